//! On simulated time, a leg sends exactly one 20 ms packet per tick: the
//! prompt's bytes in order, sequence +1 and timestamp +160 each time, then
//! comfort noise, with playbacks reported finished in queue order.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_media::core::{ComfortNoise, LegCore, Outbox, Port, TICK};
use hotline_media::rtp;
use hotline_media::{Codec, LegParams, MediaEvent, PlaybackId, PlaybackOutcome, Prompt};

fn ramp_prompt(name: &str, samples: usize) -> Arc<Prompt> {
    let pcm: Vec<i16> = (0..samples)
        .map(|i| ((i % 200) as i16 - 100) * 100)
        .collect();
    Arc::new(Prompt::from_samples(name, &pcm))
}

#[test]
fn prompts_play_in_order_one_packet_per_tick() {
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let t0 = Instant::now();
    let mut core = LegCore::new(0xABCD, 65530, u32::MAX - 100, Arc::new(ComfortNoise::new()));
    core.start(t0, LegParams::new(peer, Codec::Pcma, Some(101)));
    let first = ramp_prompt("first", 400); // 2.5 packets
    let second = ramp_prompt("second", 320); // 2 packets
    core.play(PlaybackId(1), vec![Arc::clone(&first)], false);
    core.play(PlaybackId(2), vec![Arc::clone(&second)], false);

    let mut out = Outbox::new();
    let mut sent = Vec::new();
    let mut finished = Vec::new();
    for n in 0..8u32 {
        core.tick(t0 + TICK * n, 0, &mut out);
        let rtp_packets: Vec<_> = out.iter().filter(|(port, ..)| *port == Port::Rtp).collect();
        assert_eq!(rtp_packets.len(), 1, "tick {n}");
        let (_, to, bytes) = rtp_packets[0];
        assert_eq!(to, peer);
        let p = rtp::parse(bytes).unwrap();
        sent.push((p.header, p.payload.to_vec()));
        out.clear();
        while let Some(e) = core.poll_event() {
            if let MediaEvent::PlaybackFinished { id, outcome } = e {
                assert_eq!(outcome, PlaybackOutcome::Completed);
                finished.push((n, id));
            }
        }
    }
    for (i, (h, payload)) in sent.iter().enumerate() {
        assert_eq!(h.ssrc, 0xABCD);
        assert_eq!(h.payload_type, 8);
        assert_eq!(
            h.sequence,
            65530u16.wrapping_add(i as u16),
            "sequence wraps"
        );
        assert_eq!(
            h.timestamp,
            (u32::MAX - 100).wrapping_add(160 * i as u32),
            "timestamp wraps"
        );
        assert_eq!(h.marker, i == 0);
        assert_eq!(payload.len(), 160);
    }
    // The first prompt's 400 bytes, then its last 80 padded with silence: a
    // playback ends on a packet boundary so the next one starts cleanly.
    let played: Vec<u8> = sent[..3].iter().flat_map(|(_, p)| p.clone()).collect();
    assert_eq!(&played[..400], first.encoded(Codec::Pcma));
    assert!(played[400..]
        .iter()
        .all(|b| *b == Codec::Pcma.silence_byte()));
    let played: Vec<u8> = sent[3..5].iter().flat_map(|(_, p)| p.clone()).collect();
    assert_eq!(&played[..], second.encoded(Codec::Pcma));
    assert_eq!(finished, vec![(2, PlaybackId(1)), (4, PlaybackId(2))]);
    // Then comfort noise: quiet, but not digital silence.
    for (_, payload) in &sent[5..] {
        let peak = payload
            .iter()
            .map(|b| Codec::Pcma.decode(*b).unsigned_abs())
            .max()
            .unwrap();
        assert!(peak > 0 && peak < 200, "comfort noise peak {peak}");
    }
}

#[test]
fn a_leg_sends_nothing_before_start_and_reports_rtcp_every_five_seconds() {
    let t0 = Instant::now();
    let mut core = LegCore::new(7, 0, 0, Arc::new(ComfortNoise::new()));
    let mut out = Outbox::new();
    core.tick(t0, 0, &mut out);
    assert!(out.is_empty());
    let peer: SocketAddr = "127.0.0.1:40010".parse().unwrap();
    core.start(t0, LegParams::new(peer, Codec::Pcmu, None));
    let mut rtcp_to = Vec::new();
    for n in 0..=500u32 {
        let now = t0 + TICK * n;
        core.tick(now, 0, &mut out);
        for (port, to, bytes) in out.iter() {
            if port == Port::Rtcp {
                let report = hotline_media::rtcp::parse_report(bytes).unwrap();
                assert_eq!(report.sender_ssrc, 7);
                rtcp_to.push((now.duration_since(t0), to));
            }
        }
        out.clear();
    }
    let expected_to: SocketAddr = "127.0.0.1:40011".parse().unwrap();
    assert_eq!(
        rtcp_to,
        vec![
            (Duration::from_secs(5), expected_to),
            (Duration::from_secs(10), expected_to)
        ]
    );
}

#[test]
fn music_loops_and_yields_to_prompts() {
    let t0 = Instant::now();
    let peer: SocketAddr = "127.0.0.1:40020".parse().unwrap();
    let mut core = LegCore::new(1, 0, 0, Arc::new(ComfortNoise::new()));
    core.start(t0, LegParams::new(peer, Codec::Pcmu, None));
    let music = ramp_prompt("music", 240);
    core.start_music(Arc::clone(&music));
    let mut out = Outbox::new();
    let mut payloads = Vec::new();
    for n in 0..3u32 {
        core.tick(t0 + TICK * n, 0, &mut out);
        for (_, _, bytes) in out.iter() {
            payloads.extend_from_slice(rtp::parse(bytes).unwrap().payload);
        }
        out.clear();
    }
    let looped: Vec<u8> = music
        .encoded(Codec::Pcmu)
        .iter()
        .copied()
        .cycle()
        .take(480)
        .collect();
    assert_eq!(payloads, looped);
    let announcement = ramp_prompt("position", 160);
    core.play(PlaybackId(9), vec![Arc::clone(&announcement)], false);
    core.tick(t0 + TICK * 3, 0, &mut out);
    let (_, _, bytes) = out.iter().next().unwrap();
    assert_eq!(
        rtp::parse(bytes).unwrap().payload,
        announcement.encoded(Codec::Pcmu)
    );
}

#[test]
fn a_starved_clock_shows_as_a_timestamp_gap_not_a_slowdown() {
    let t0 = Instant::now();
    let peer: SocketAddr = "127.0.0.1:40030".parse().unwrap();
    let mut core = LegCore::new(1, 0, 1000, Arc::new(ComfortNoise::new()));
    core.start(t0, LegParams::new(peer, Codec::Pcmu, None));
    let mut out = Outbox::new();
    let mut headers = Vec::new();
    for n in 0..2u32 {
        core.tick(t0 + TICK * n, 0, &mut out);
    }
    core.skip_ticks(7);
    core.tick(t0 + TICK * 10, 0, &mut out);
    for (_, _, bytes) in out.iter() {
        headers.push(rtp::parse(bytes).unwrap().header);
    }
    let stamps: Vec<(u16, u32, bool)> = headers
        .iter()
        .map(|h| (h.sequence, h.timestamp, h.marker))
        .collect();
    assert_eq!(
        stamps,
        vec![(0, 1000, true), (1, 1160, false), (2, 1000 + 9 * 160, true)]
    );
}

#[test]
fn with_rtcp_mux_reports_share_the_rtp_port_both_ways() {
    let t0 = Instant::now();
    let peer: SocketAddr = "127.0.0.1:40040".parse().unwrap();
    let mut core = LegCore::new(3, 0, 0, Arc::new(ComfortNoise::new()));
    let mut params = LegParams::new(peer, Codec::Pcmu, None);
    params.rtcp_mux = true;
    core.start(t0, params);
    let mut out = Outbox::new();
    let mut reports = Vec::new();
    for n in 0..=250u32 {
        core.tick(t0 + TICK * n, 0, &mut out);
        for (port, to, bytes) in out.iter() {
            if hotline_media::rtcp::parse_report(bytes).is_ok() {
                reports.push((port, to));
            }
        }
        out.clear();
    }
    assert_eq!(reports, vec![(Port::Rtp, peer)]);
    // A receiver report from the peer on the RTP port is read as RTCP.
    let block = hotline_media::rtcp::ReportBlock {
        ssrc: 3,
        fraction_lost: 64,
        cumulative_lost: 12,
        extended_highest_seq: 250,
        jitter: 80,
        last_sr: 0,
        delay_since_last_sr: 0,
    };
    let mut rr = Vec::new();
    hotline_media::rtcp::build_report(99, None, Some(block), "peer", &mut rr);
    core.handle_rtp(t0, peer, &rr);
    let stats = core.stats();
    assert_eq!(stats.counters.rtcp_received, 1);
    assert_eq!(stats.counters.malformed_dropped, 0);
    assert_eq!(stats.remote_cumulative_lost, Some(12));
    assert_eq!(stats.remote_jitter_ms, Some(10.0));
}
