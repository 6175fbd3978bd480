//! Three citizens report the same burst main: two duplicates are merged
//! into the first order, whose close is followed up with all three.

mod support;

use hotline_orders::{Command, OrderChange, OrderError, Phase, Reporter};
use hotline_types::CitizenId;
use support::*;

#[test]
fn every_reporter_of_a_merged_order_is_followed_up() {
    let mut desk = Desk::new("2026-11-02T08:10");
    let master = desk.create(1, "water_outage", Some(101));
    desk.ok(&master, &agent(), Command::Dispatch);
    desk.at("2026-11-02T08:25");
    let second = desk.create(2, "water_outage", Some(102));
    desk.at("2026-11-02T08:40");
    let third = desk.create(3, "water_outage", Some(103));
    desk.ok(&third, &agent(), Command::Dispatch);

    desk.merge(&second, &master, &agent()).unwrap();
    desk.merge(&third, &master, &dispatcher()).unwrap();

    for duplicate in [&second, &third] {
        assert_eq!(desk.order(duplicate).phase(), Phase::Merged);
        assert_eq!(desk.order(duplicate).merged_into(), Some(&master));
    }
    let reporters = |seqs: &[u32]| -> Vec<Reporter> {
        seqs.iter()
            .map(|s| Reporter {
                order: reference(*s),
                citizen: Some(CitizenId(100 + i64::from(*s))),
            })
            .collect()
    };
    assert_eq!(desk.order(&master).reporters(), reporters(&[1, 2, 3]));

    // A merged duplicate is done: its own department cannot act on it.
    assert_eq!(
        desk.run(&third, &water(), Command::Accept),
        Err(OrderError::WrongPhase {
            action: "accept",
            phase: Phase::Merged
        })
    );

    desk.ok(&master, &water(), Command::Accept);
    desk.at("2026-11-03T11:00");
    desk.reply_and_close(&master, &water());
    assert_eq!(
        desk.order(&master).reporters_to_call(),
        reporters(&[1, 2, 3])
    );

    desk.at("2026-11-04T09:00");
    for (seq, score) in [(1, 5), (2, 4)] {
        desk.ok(
            &master,
            &agent(),
            Command::RecordFollowUp {
                reporter: reference(seq),
                score,
            },
        );
        assert_eq!(
            desk.order(&master).phase(),
            Phase::Closed,
            "one still to call"
        );
    }
    assert_eq!(desk.order(&master).reporters_to_call(), reporters(&[3]));
    desk.ok(
        &master,
        &agent(),
        Command::RecordFollowUp {
            reporter: reference(3),
            score: 5,
        },
    );
    let done = desk.order(&master);
    assert_eq!(done.phase(), Phase::FollowedUp);
    assert_eq!(
        done.follow_ups()
            .iter()
            .map(|f| f.reporter.clone())
            .collect::<Vec<_>>(),
        vec![reference(1), reference(2), reference(3)]
    );
}

#[test]
fn merging_a_master_carries_its_reporters_along() {
    let mut desk = Desk::new("2026-11-02T08:10");
    let a = desk.create(1, "water_outage", Some(101));
    let b = desk.create(2, "water_outage", Some(102));
    let c = desk.create(3, "water_outage", Some(103));
    desk.merge(&b, &a, &agent()).unwrap();
    // Later a is itself found to duplicate c.
    desk.merge(&a, &c, &agent()).unwrap();
    let linked: Vec<_> = desk
        .log(&c)
        .iter()
        .filter_map(|e| match &e.change {
            OrderChange::ReporterLinked { order, .. } => Some(order.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(linked, vec![reference(1), reference(2)]);
    assert_eq!(desk.order(&c).reporters().len(), 3);
}

#[test]
fn merges_that_make_no_sense_are_refused() {
    let mut desk = Desk::new("2026-11-02T08:10");
    let a = desk.create(1, "water_outage", Some(101));
    let b = desk.create(2, "water_outage", Some(102));
    assert_eq!(
        desk.merge(&a, &a, &agent()),
        Err(OrderError::MergeIntoSelf {
            reference: a.clone()
        })
    );
    assert!(matches!(
        desk.merge(&b, &a, &water()),
        Err(OrderError::RoleNotAllowed { .. })
    ));
    desk.merge(&b, &a, &agent()).unwrap();
    // b is merged already; a cannot go into it.
    assert_eq!(
        desk.merge(&a, &b, &agent()),
        Err(OrderError::WrongPhase {
            action: "merge into",
            phase: Phase::Merged
        })
    );
    // A closed master takes no more reporters.
    let c = desk.create(3, "water_outage", Some(103));
    desk.ok(&a, &agent(), Command::Dispatch);
    desk.ok(&a, &water(), Command::Accept);
    desk.reply_and_close(&a, &water());
    assert_eq!(
        desk.merge(&c, &a, &agent()),
        Err(OrderError::WrongPhase {
            action: "merge into",
            phase: Phase::Closed
        })
    );
    assert_eq!(desk.order(&c).phase(), Phase::New);
}
