//! After the close the citizen is called back from the next working day;
//! a satisfied evaluation ends the order's life.

mod support;

use hotline_orders::{Command, OrderChange, OrderError, Phase};
use support::*;

#[test]
fn a_satisfied_citizen_ends_the_order() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    // Closed on Friday afternoon: the follow-up is due on Monday.
    desk.at("2026-11-06T16:00");
    desk.reply_and_close(&order, &housing());
    let closed = desk.order(&order);
    assert_eq!(closed.follow_up_due(), Some(beijing("2026-11-09T00:00")));
    assert_eq!(closed.reporters_to_call().len(), 1);
    assert_eq!(closed.reporters_to_call()[0].order, order);
    assert_eq!(
        desk.log(&order).last().map(|e| e.change.clone()),
        Some(OrderChange::FollowUpDue {
            due_at: beijing("2026-11-09T00:00")
        })
    );

    let events = desk.at("2026-11-09T10:00").ok(
        &order,
        &agent(),
        Command::RecordFollowUp {
            reporter: order.clone(),
            score: 4,
        },
    );
    assert_eq!(events.len(), 1, "no reopen");
    let done = desk.order(&order);
    assert_eq!(done.phase(), Phase::FollowedUp);
    assert!(done.reporters_to_call().is_empty());
    assert_eq!(done.follow_ups()[0].score, 4);
    assert!(done.follow_ups()[0].satisfied);
    assert_eq!(done.counters().reopens, 0);
    assert_eq!(done.closed_on_time(), Some(true));

    // Nothing more to record.
    assert!(matches!(
        desk.run(
            &order,
            &agent(),
            Command::RecordFollowUp {
                reporter: order.clone(),
                score: 5
            }
        ),
        Err(OrderError::WrongPhase { .. })
    ));
}

#[test]
fn the_follow_up_skips_the_national_day_week() {
    let mut desk = Desk::new("2026-09-28T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.at("2026-09-30T17:00");
    desk.reply_and_close(&order, &housing());
    assert_eq!(
        desk.order(&order).follow_up_due(),
        Some(beijing("2026-10-08T00:00"))
    );
}

#[test]
fn scores_are_one_to_five_and_only_agents_record_them() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.reply_and_close(&order, &housing());
    for score in [0, 6] {
        assert_eq!(
            desk.run(
                &order,
                &agent(),
                Command::RecordFollowUp {
                    reporter: order.clone(),
                    score
                }
            ),
            Err(OrderError::BadScore { score })
        );
    }
    assert!(matches!(
        desk.run(
            &order,
            &housing(),
            Command::RecordFollowUp {
                reporter: order.clone(),
                score: 5
            }
        ),
        Err(OrderError::RoleNotAllowed { .. })
    ));
    let stranger = reference(99);
    assert_eq!(
        desk.run(
            &order,
            &agent(),
            Command::RecordFollowUp {
                reporter: stranger.clone(),
                score: 5
            }
        ),
        Err(OrderError::NotAwaitingFollowUp { reporter: stranger })
    );
}

#[test]
fn no_follow_up_for_a_consultation_or_an_anonymous_citizen() {
    let mut desk = Desk::new("2026-11-02T09:00");
    // Consultations need no follow-up in the catalogue.
    let consultation = desk.create(1, "consultation", Some(1));
    desk.ok(&consultation, &agent(), Command::Dispatch);
    let clerk = hotline_orders::Actor::handler("zhou.services", &["government_services"]);
    desk.ok(&consultation, &clerk, Command::Accept);
    desk.reply_and_close(&consultation, &clerk);
    assert_eq!(desk.order(&consultation).follow_up_due(), None);
    assert_eq!(desk.order(&consultation).phase(), Phase::Closed);

    // An anonymous report: nobody to call.
    let anonymous = desk.create(2, "request", None);
    desk.ok(&anonymous, &agent(), Command::Dispatch);
    desk.ok(&anonymous, &housing(), Command::Accept);
    desk.reply_and_close(&anonymous, &housing());
    assert_eq!(desk.order(&anonymous).follow_up_due(), None);
    assert!(desk.order(&anonymous).reporters_to_call().is_empty());
}
