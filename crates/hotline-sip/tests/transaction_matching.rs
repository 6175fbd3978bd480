//! Server transactions are matched as §17.2.3 says: branch and sent-by
//! together, ACK and CANCEL to their INVITE; RFC 2543 clients (no magic
//! cookie, or no branch at all) by Call-ID, From tag and CSeq.

mod support;

use support::*;

#[test]
fn the_same_branch_from_two_hosts_is_two_transactions() {
    let mut h = Harness::new();
    let mut a = Phone::caller("127.0.0.1:5061", "12345", "same-branch-a");
    let mut b = Phone::caller("127.0.0.2:5061", "12345", "same-branch-b");
    let invite_a = a.invite();
    let mut invite_b = b.invite();
    // Both clients happen to choose the same branch value.
    let text = String::from_utf8(invite_b.bytes.clone())
        .unwrap()
        .replace(&invite_b.branch, &invite_a.branch);
    invite_b.bytes = text.into_bytes();
    h.deliver(a.peer, &invite_a.bytes);
    h.deliver(b.peer, &invite_b.bytes);
    let events = h.take_events();
    assert_eq!(events.len(), 2, "two calls: {events:?}");
    assert_eq!(h.take_statuses(), vec![100, 100]);
}

fn without_cookie(bytes: &[u8], branch: &str, replacement: &str) -> Vec<u8> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .replace(&format!(";branch={branch}"), replacement)
        .into_bytes()
}

#[test]
fn branchless_rfc2543_calls_do_not_collide() {
    let mut h = Harness::new();
    let mut a = Phone::caller("127.0.0.1:5061", "12345", "old-a");
    let mut b = Phone::caller("127.0.0.1:5061", "12345", "old-b");
    let invite_a = a.invite();
    let invite_b = b.invite();
    let raw_a = without_cookie(&invite_a.bytes, &invite_a.branch, "");
    let raw_b = without_cookie(&invite_b.bytes, &invite_b.branch, "");
    h.deliver(a.peer, &raw_a);
    h.deliver(b.peer, &raw_b);
    assert_eq!(h.take_events().len(), 2, "two different calls");
    h.take_sent();
    // A retransmission of the first is still recognised.
    h.deliver(a.peer, &raw_a);
    assert_eq!(h.take_statuses(), vec![100]);
    assert!(h.take_events().is_empty());
    // And its CANCEL finds its INVITE.
    let cancel = without_cookie(&a.cancel(&invite_a), &invite_a.branch, ";branch=1");
    h.deliver(a.peer, &cancel);
    assert_eq!(h.take_statuses(), vec![200, 487]);
}
