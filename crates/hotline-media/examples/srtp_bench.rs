//! What SRTP costs a leg: nanoseconds to protect and unprotect one 20 ms
//! G.711 packet (12-byte header + 160 bytes = 172 bytes) and one RTCP
//! report, the way `LegCore` does it (in place at the end of a reused
//! buffer; unprotect into a reused scratch buffer), per suite.
//!
//! cargo run --release -p hotline-media --example srtp_bench [-- packets]

use std::hint::black_box;
use std::time::Instant;

use hotline_media::rtcp;
use hotline_media::rtp::{self, RtpHeader};
use hotline_media::{SrtpKey, SrtpParams, SrtpSession, SrtpSuite};

fn main() {
    let packets: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    println!("{packets} packets per figure, one core, release build expected");
    for suite in [
        SrtpSuite::AesCm128HmacSha1_80,
        SrtpSuite::AesCm128HmacSha1_32,
    ] {
        run(suite, packets);
    }
}

fn run(suite: SrtpSuite, packets: u32) {
    let (ours, theirs) = (SrtpKey::new([0x5A; 30]), SrtpKey::new([0xC3; 30]));
    let mut leg = SrtpSession::new(&SrtpParams {
        suite,
        send: ours,
        receive: theirs,
    });
    let mut peer = SrtpSession::new(&SrtpParams {
        suite,
        send: theirs,
        receive: ours,
    });
    let payload = [0xD5u8; 160];
    let header = |seq: u32| RtpHeader {
        marker: false,
        payload_type: 0,
        sequence: seq as u16,
        timestamp: seq.wrapping_mul(160),
        ssrc: 0x1234_5678,
    };

    // Protect: build in place, as the outbox does, and keep the last 64 so
    // the unprotect pass below has genuine packets (a ring of them, fed
    // in order, so the replay window sees fresh indices).
    let mut buf = Vec::with_capacity(256);
    let started = Instant::now();
    for seq in 0..packets {
        buf.clear();
        rtp::build(&header(seq), &payload, &mut buf);
        leg.protect_rtp(&mut buf, 0).expect("fresh stream");
        black_box(&buf);
    }
    let protect_ns = started.elapsed().as_nanos() as f64 / f64::from(packets);
    let wire_len = buf.len();

    // Unprotect needs packets the peer has not seen: protect them first
    // (not timed), a batch at a time to keep memory flat.
    let mut batch: Vec<Vec<u8>> = Vec::with_capacity(4_096);
    let mut scratch = Vec::with_capacity(256);
    let mut unprotect_total = 0u128;
    let mut sender = SrtpSession::new(&SrtpParams {
        suite,
        send: ours,
        receive: theirs,
    });
    let mut seq = 0u32;
    while seq < packets {
        batch.clear();
        for _ in 0..4_096.min(packets - seq) {
            let mut p = Vec::with_capacity(wire_len);
            rtp::build(&header(seq), &payload, &mut p);
            sender.protect_rtp(&mut p, 0).expect("fresh stream");
            batch.push(p);
            seq += 1;
        }
        let started = Instant::now();
        for p in &batch {
            scratch.clear();
            scratch.extend_from_slice(p);
            let len = peer.unprotect_rtp(&mut scratch).expect("genuine");
            black_box(&scratch[..len]);
        }
        unprotect_total += started.elapsed().as_nanos();
    }
    let unprotect_ns = unprotect_total as f64 / f64::from(packets);

    // An RTCP sender report with one block and a CNAME, every 5 s a leg.
    let mut report = Vec::new();
    let block = rtcp::ReportBlock {
        ssrc: 1,
        fraction_lost: 0,
        cumulative_lost: 0,
        extended_highest_seq: 0,
        jitter: 0,
        last_sr: 0,
        delay_since_last_sr: 0,
    };
    let info = rtcp::SenderInfo {
        ntp_timestamp: 0,
        rtp_timestamp: 0,
        packet_count: 0,
        octet_count: 0,
    };
    rtcp::build_report(
        0x1234_5678,
        Some(info),
        Some(block),
        "hotline-12345678",
        &mut report,
    );
    let reports = packets / 10;
    let mut wire = Vec::with_capacity(report.len() * 2);
    let started = Instant::now();
    for _ in 0..reports {
        wire.clear();
        wire.extend_from_slice(&report);
        leg.protect_rtcp(&mut wire, 0).expect("index space left");
        black_box(&wire);
    }
    let rtcp_protect_ns = started.elapsed().as_nanos() as f64 / f64::from(reports);

    println!(
        "{}: RTP {} -> {wire_len} bytes: protect {protect_ns:.0} ns, unprotect {unprotect_ns:.0} ns; \
         SRTCP {} -> {} bytes: protect {rtcp_protect_ns:.0} ns",
        suite.name(),
        RTP_LEN,
        report.len(),
        wire.len(),
    );
}

const RTP_LEN: usize = 172;
