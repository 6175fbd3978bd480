//! 临期提醒 in the store: `Store::reminders_due` lists the orders with a
//! department whose deadline falls in the due-soon window and that were not
//! reminded of that deadline, the nearest first; a reminder takes the order
//! off the list and marks its inbox line, an approved extension puts it
//! back once the new deadline is near, and an overdue order is never listed
//! (it is on the overdue list). `Store::give_reminders_due`, the driver's
//! pass, reminds each due order once as the hotline, and an order that
//! cannot be reminded (its log no longer reads) does not keep the others
//! from theirs.

mod common;

use common::orders::*;
use common::*;
use hotline_orders::{Actor, Command, DepartmentId, OrderRules};
use hotline_store::{InboxQuery, Store};
use hotline_types::{CaseRef, Timestamp};

fn remind() -> Command {
    Command::Remind {
        within_working_days: 1,
    }
}

#[tokio::test]
async fn reminders_due_once_per_deadline() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        // Sunday T0 (16:00 in Beijing): due at the end of Friday 27th.
        let near = desk.dispatched(s, at(0), "request", None).await;
        desk.ok(s, at(HOUR), &housing(), &near, Command::Accept)
            .await;
        // Tuesday 24th: due at the end of Tuesday 1st.
        let later = desk.dispatched(s, at(2 * DAY), "request", None).await;
        // Ten days before: long overdue.
        let late = desk.dispatched(s, at(-10 * DAY), "request", None).await;
        // Not with a department: only taken down.
        desk.create(s, at(0), "request", None).await;

        let due = |now: Timestamp| due(&desk, s, now);

        // Wednesday 25th: the window ends with Thursday; nothing is near.
        assert_eq!(due(at(3 * DAY)).await, [] as [CaseRef; 0], "{label}");
        // Thursday 26th: the window ends with Friday, the near order's last day.
        let thursday = at(4 * DAY);
        assert_eq!(due(thursday).await, std::slice::from_ref(&near), "{label}");
        assert!(!inbox_line_reminded(&desk, s, thursday, &near).await);

        let reminded = desk
            .ok(s, thursday, &Actor::agent("hotline"), &near, remind())
            .await;
        assert!(reminded.order.reminded());
        assert_eq!(due(thursday).await, [] as [CaseRef; 0], "{label}: once");
        assert!(
            inbox_line_reminded(&desk, s, thursday, &near).await,
            "{label}: the inbox line is marked"
        );
        assert_eq!(
            ts.row_column(&near, "reminded_deadline_at_ms").await,
            reminded.order.deadline().map(|d| d.as_millis().to_string()),
            "{label}"
        );
        assert_eq!(
            ts.log_kinds(&near).await.last().map(String::as_str),
            Some("reminded"),
            "{label}"
        );

        // Two more working days, approved: due at the end of Tuesday 1st.
        desk.ok(
            s,
            thursday,
            &housing(),
            &near,
            Command::RequestExtension {
                working_days: 2,
                reason: "需要现场勘查".into(),
            },
        )
        .await;
        let extended = desk
            .ok(
                s,
                thursday,
                &supervisor(),
                &near,
                Command::DecideExtension { approve: true },
            )
            .await;
        assert!(!extended.order.reminded());
        assert!(!inbox_line_reminded(&desk, s, thursday, &near).await);
        assert_eq!(due(thursday).await, [] as [CaseRef; 0], "{label}");

        // Monday 30th: both orders are due at the end of Tuesday, the one
        // made first listed first; the overdue one is still not listed.
        let monday = at(8 * DAY);
        assert_eq!(due(monday).await, [near.clone(), later.clone()], "{label}");
        let limited = s
            .reminders_due(monday, desk.inbox().due_soon_until(monday).unwrap(), 1)
            .await
            .unwrap();
        assert_eq!(limited.len(), 1, "{label}: the limit holds");
        assert!(!due(monday).await.contains(&late), "{label}: overdue");

        // The driver's pass: both reminded as the hotline, then nothing.
        let rules = OrderRules {
            catalogue: desk.catalogue.clone(),
            calendar: desk.calendar.clone(),
            due_soon_working_days: 1,
        };
        let hotline = Actor::agent("hotline");
        let given: Vec<CaseRef> = s
            .give_reminders_due(&rules, &hotline, monday, 100)
            .await
            .unwrap_or_else(|e| panic!("{label}: give_reminders_due: {e}"))
            .into_iter()
            .map(|line| line.reference)
            .collect();
        assert_eq!(given, [near.clone(), later.clone()], "{label}");
        let again = s
            .give_reminders_due(&rules, &hotline, monday, 100)
            .await
            .unwrap();
        assert!(again.is_empty(), "{label}: once per deadline");
        assert_eq!(due(monday).await, [] as [CaseRef; 0], "{label}");
        assert_eq!(
            ts.log_kinds(&later).await,
            ["created", "dispatched", "reminded"],
            "{label}"
        );

        // A reminder that the core refuses (not near, or overdue) writes
        // nothing.
        let kinds = ts.log_kinds(&late).await;
        let refused = s
            .act_on_order(
                &desk_ctx("hotline", monday),
                desk.rules(),
                monday,
                &Actor::agent("hotline"),
                &late,
                remind(),
            )
            .await;
        assert!(refused.is_err(), "{label}: {refused:?}");
        assert_eq!(ts.log_kinds(&late).await, kinds, "{label}");
    }
}

#[tokio::test]
async fn a_broken_order_does_not_stop_the_reminders() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        // Both due at the end of Friday 27th; the first listed is broken.
        let broken = desk.dispatched(s, at(0), "request", None).await;
        let sound = desk.dispatched(s, at(HOUR), "request", None).await;
        ts.raw_strings(&format!(
            "UPDATE case_events SET payload = 'not an order change' WHERE seq = 1 \
             AND case_id = (SELECT case_id FROM cases WHERE case_ref = '{}')",
            broken.digits()
        ))
        .await;
        let thursday = at(4 * DAY);
        assert_eq!(
            due(&desk, s, thursday).await,
            [broken.clone(), sound.clone()],
            "{label}"
        );
        let rules = OrderRules {
            catalogue: desk.catalogue.clone(),
            calendar: desk.calendar.clone(),
            due_soon_working_days: 1,
        };
        let given: Vec<CaseRef> = s
            .give_reminders_due(&rules, &Actor::agent("hotline"), thursday, 100)
            .await
            .unwrap_or_else(|e| panic!("{label}: the pass goes on: {e}"))
            .into_iter()
            .map(|line| line.reference)
            .collect();
        assert_eq!(given, std::slice::from_ref(&sound), "{label}");
        assert_eq!(
            ts.log_kinds(&sound).await,
            ["created", "dispatched", "reminded"],
            "{label}"
        );
    }
}

/// The orders `store` would remind at `now`, in its order.
async fn due(desk: &Desk, store: &Store, now: Timestamp) -> Vec<CaseRef> {
    let until = desk.inbox().due_soon_until(now).expect("a window");
    store
        .reminders_due(now, until, 100)
        .await
        .unwrap_or_else(|e| panic!("reminders_due: {e}"))
        .into_iter()
        .map(|line| line.reference)
        .collect()
}

/// Whether `order`'s line in the housing inbox at `now` carries the mark.
async fn inbox_line_reminded(desk: &Desk, store: &Store, now: Timestamp, order: &CaseRef) -> bool {
    let inbox = desk.inbox();
    let query = InboxQuery::new(DepartmentId::from("housing"), now, &inbox, 100).unwrap();
    let page = store.department_inbox(&query).await.unwrap();
    page.orders
        .iter()
        .find(|line| &line.reference == order)
        .expect("the order is in the inbox")
        .reminded
}
