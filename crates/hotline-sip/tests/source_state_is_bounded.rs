//! Traffic from many addresses (a scan, or spoofed sources) leaves no
//! per-source state behind once its transactions are over.

mod support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use hotline_sip::{Peer, Transport};
use support::*;

#[test]
fn per_source_state_is_pruned_after_a_wide_scan() {
    let mut h = Harness::new();
    for n in 0..12_000u32 {
        let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n));
        let peer = Peer {
            transport: Transport::Udp,
            addr: SocketAddr::new(ip, 5060),
            connection: None,
        };
        let text = format!("OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP {ip}:5060;branch=z9hG4bK{n}\r\nFrom: <sip:s@{ip}>;tag={n}\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: scan-{n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
        h.deliver(peer, text.as_bytes());
    }
    assert_eq!(h.take_statuses().len(), 12_000);
    assert_eq!(h.endpoint.active_transactions(), 12_000);
    h.run_until_idle(Duration::from_secs(60));
    assert_eq!(
        h.endpoint.active_transactions(),
        0,
        "timer J ended them all"
    );
    // Nothing else can be observed from outside but memory; the transactions
    // are gone and a new request from a scanned address is answered afresh.
    let peer = Peer {
        transport: Transport::Udp,
        addr: "10.0.0.1:5060".parse().unwrap(),
        connection: None,
    };
    let text = "OPTIONS sip:100@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKagain\r\nFrom: <sip:s@10.0.0.1>;tag=x\r\nTo: <sip:100@127.0.0.1>\r\nCall-ID: again\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    h.deliver(peer, text.as_bytes());
    assert_eq!(h.take_statuses(), vec![200]);
}
