//! 临期提醒 end to end: an order in the store, dispatched to housing with
//! its deadline inside the due-soon window (here ten working days, the
//! request's deadline five), is reminded by the running hotline once it
//! starts: one `reminded` event, by the hotline, naming the deadline in
//! force; a restart reminds it no second time. Needs nothing external.

mod support;

use std::time::{Duration, SystemTime};

use hotline_orders::{Command, OrderChange};
use hotline_store::Store;
use hotline_types::{CaseRef, Timestamp};
use support::orders::{self, ctx, DataDir};
use support::Hotline;

fn now() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// A request taken and dispatched to housing now.
async fn dispatched_order(store: &Store) -> CaseRef {
    let rules = orders::rules();
    let reference = orders::take_down_request(store, &rules, now(), None).await;
    orders::act(
        store,
        &rules,
        now(),
        &orders::agent(),
        &reference,
        Command::Dispatch,
    )
    .await;
    reference
}

#[test]
fn the_hotline_reminds_the_department_once_before_the_deadline() {
    let data = DataDir::new();
    let reference = data.with_store(async |store| dispatched_order(store).await);
    let env = [
        data.env().as_slice(),
        &[("HOTLINE_ORDERS_DUE_SOON_WORKING_DAYS", "10")],
    ]
    .concat();

    let hotline = Hotline::start(&env);
    assert!(
        hotline.wait_for_log(
            "the department was reminded of the deadline",
            Duration::from_secs(15)
        ),
        "{}",
        hotline.log()
    );
    assert!(
        hotline.log().contains(&reference.to_string()),
        "{}",
        hotline.log()
    );
    let (status, _) = hotline.stop_keeping_data();
    assert!(status.success(), "{status:?}");

    // Started again: the reminder is in the log, none is given twice.
    let hotline = Hotline::start(&env);
    assert!(
        hotline.wait_for_log(
            "deadline reminders: given by the hotline",
            Duration::from_secs(5)
        ),
        "{}",
        hotline.log()
    );
    std::thread::sleep(Duration::from_secs(1));
    let (status, _) = hotline.stop_keeping_data();
    assert!(status.success(), "{status:?}");

    data.with_store(async |store| {
        let log = store
            .work_order_events(&ctx("test", now()), &reference)
            .await
            .expect("read")
            .expect("the order");
        let reminders: Vec<_> = log
            .iter()
            .filter_map(|e| match &e.change {
                OrderChange::Reminded { deadline } => Some((e.by.as_str().to_owned(), *deadline)),
                _ => None,
            })
            .collect();
        let order = store
            .work_order(&ctx("test", now()), &reference)
            .await
            .expect("read")
            .expect("the order");
        assert_eq!(
            reminders,
            [(
                "hotline".to_owned(),
                order.order.deadline().expect("a deadline")
            )],
            "{log:?}"
        );
        assert!(order.order.reminded());
    });
}
