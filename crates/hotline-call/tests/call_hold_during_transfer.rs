//! Hold and the phone's transfer key: the citizen held from the console
//! hears music; the phone's REFER to a queue gets "100 Trying" at once and
//! "200 OK" when the ACD has requeued the call (the agent's leg hung up,
//! the citizen waiting with music again), or "603 Declined" when refused;
//! a REFER to anything but a queue is refused and recorded.

mod support;

use hotline_call::call::{BridgeOp, Input, Order, Output, Phase, Refusal, ToAcd};
use hotline_sip::transport::Command;
use hotline_sip::Event;
use support::calls::*;

fn notifies(out: &[Output]) -> Vec<&'static str> {
    out.iter()
        .filter_map(|o| match o {
            Output::Sip(Command::NotifyRefer(_, status, _)) => Some(*status),
            _ => None,
        })
        .collect()
}

fn refer(sim: &mut CallSim, to: &str) -> Vec<Output> {
    let call = sim.handles["alice"];
    sim.step(Input::Sip(Event::ReferReceived {
        call,
        refer_to: format!("<sip:{to}@127.0.0.1>"),
    }))
}

#[test]
fn a_held_citizen_is_transferred_and_waits_again() {
    let mut sim = CallSim::talking("alice");
    assert_eq!(sim.call.hold(true), Ok(()));
    assert_eq!(sim.call.phase(), Phase::Talking { held: true });
    let out = sim.drain();
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Bridge(BridgeOp::Hold { on: true, .. }))));
    assert_eq!(events(&out), ["hold_started"]);

    let out = refer(&mut sim, "transport");
    assert_eq!(notifies(&out), ["100 Trying"]);
    assert_eq!(
        acd(&out),
        [ToAcd::TransferFromPhone {
            agent: agent("alice"),
            queue: "transport".into()
        }]
    );

    let out = sim.order(Order::Requeued);
    assert_eq!(notifies(&out), ["200 OK"]);
    assert_eq!(hangups(&out), [sim.handles["alice"]]);
    assert_eq!(sim.call.phase(), Phase::Waiting);
    assert_eq!(sim.call.hold(false), Err(Refusal::NotConnected));

    // Another agent takes the call from the transport queue.
    sim.ring("bob", 6002);
    sim.phone_answers("bob");
    let out = sim.order(Order::Connect {
        agent: agent("bob"),
    });
    assert!(out
        .iter()
        .any(|o| matches!(o, Output::Bridge(BridgeOp::Connect(..)))));
    assert_eq!(sim.call.phase(), Phase::Talking { held: false });
}

#[test]
fn a_refused_transfer_keeps_the_conversation() {
    let mut sim = CallSim::talking("alice");
    refer(&mut sim, "transport");
    let out = sim.order(Order::TransferRefused);
    assert_eq!(notifies(&out), ["603 Declined"]);
    assert!(hangups(&out).is_empty());
    assert_eq!(sim.call.phase(), Phase::Talking { held: false });
}

#[test]
fn a_refer_to_a_number_is_refused_and_recorded() {
    let mut sim = CallSim::talking("alice");
    let out = refer(&mut sim, "0090123456789");
    assert_eq!(notifies(&out), ["603 Declined"]);
    assert!(acd(&out).is_empty());
    assert_eq!(events(&out), ["dial_refused"]);
}
