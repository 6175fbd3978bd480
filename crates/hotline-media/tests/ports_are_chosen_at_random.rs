//! RTP port pairs are picked at random from the range, not in sequence:
//! the next caller's port cannot be guessed from the last one's.

use hotline_media::{EngineConfig, MediaEngine};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consecutive_legs_do_not_get_consecutive_ports() {
    let engine = MediaEngine::start(EngineConfig {
        bind_ip: "127.0.0.1".parse().unwrap(),
        port_first: 33_000,
        port_last: 34_999,
        shards: 1,
    })
    .unwrap();
    let legs: Vec<_> = (0..12).map(|_| engine.allocate_leg().unwrap()).collect();
    let ports: Vec<u16> = legs.iter().map(|l| l.local_addr().port()).collect();
    for port in &ports {
        assert!((33_000..34_999).contains(port) && port % 2 == 0, "{port}");
    }
    let mut distinct = ports.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), ports.len(), "every leg its own pair");
    // In sequence, each would be the last + 2. At random over 1,000 pairs
    // four or more of the eleven steps being +2 has a chance of about 10^-10.
    let in_sequence = ports.windows(2).filter(|w| w[1] == w[0] + 2).count();
    assert!(in_sequence <= 3, "ports in sequence: {ports:?}");
}
