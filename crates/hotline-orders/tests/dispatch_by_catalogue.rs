//! The agent dispatches by the catalogue: the category names the
//! department and the deadline in working days; nobody else dispatches.

mod support;

use hotline_orders::{Command, Coordinates, OrderChange, OrderError, Phase};
use support::*;

#[test]
fn a_complaint_goes_to_market_regulation_with_thirteen_working_days() {
    // Monday 2026-11-02, 09:30.
    let mut desk = Desk::new("2026-11-02T09:30");
    let order = desk.create(1, "complaint", Some(7));
    assert_eq!(desk.order(&order).phase(), Phase::New);

    let events = desk.ok(&order, &agent(), Command::Dispatch);

    // 13 working days after Monday 2 November: 3..6, 9..13, 16..19 → Thursday 19th.
    let deadline = beijing("2026-11-20T00:00");
    assert_eq!(
        events.iter().map(|e| e.change.clone()).collect::<Vec<_>>(),
        vec![OrderChange::Dispatched {
            department: "market_regulation".into(),
            deadline,
        }]
    );
    let dispatched = desk.order(&order);
    assert_eq!(dispatched.phase(), Phase::Dispatched);
    assert_eq!(dispatched.department(), Some(&"market_regulation".into()));
    assert_eq!(dispatched.deadline(), Some(deadline));
    assert_eq!(events[0].by, agent().user);
    assert_eq!(events[0].at, desk.now);
}

#[test]
fn each_category_uses_its_own_deadline() {
    let mut desk = Desk::new("2026-11-02T09:30");
    for (seq, category, department, end) in [
        (1, "consultation", "government_services", "2026-11-06T00:00"),
        (2, "request", "housing", "2026-11-10T00:00"),
        (3, "water_outage", "water", "2026-11-10T00:00"),
    ] {
        let order = desk.create(seq, category, Some(1));
        desk.ok(&order, &agent(), Command::Dispatch);
        assert_eq!(desk.order(&order).department(), Some(&department.into()));
        assert_eq!(
            desk.order(&order).deadline(),
            Some(beijing(end)),
            "{category}"
        );
    }
}

#[test]
fn only_an_agent_dispatches_and_only_once() {
    let mut desk = Desk::new("2026-11-02T09:30");
    let order = desk.create(1, "request", Some(1));
    for actor in [dispatcher(), supervisor(), housing()] {
        assert!(matches!(
            desk.run(&order, &actor, Command::Dispatch),
            Err(OrderError::RoleNotAllowed {
                action: "dispatch",
                ..
            })
        ));
    }
    desk.ok(&order, &agent(), Command::Dispatch);
    assert_eq!(
        desk.run(&order, &agent(), Command::Dispatch),
        Err(OrderError::WrongPhase {
            action: "dispatch",
            phase: Phase::Dispatched
        })
    );
    assert_eq!(desk.log(&order).len(), 2);
}

#[test]
fn an_order_outside_the_catalogue_is_refused_at_creation() {
    let mut desk = Desk::new("2026-11-02T09:30");
    assert_eq!(
        desk.try_create(&agent(), new_order(1, "parking", Some(1))),
        Err(OrderError::UnknownCategory {
            category: "parking".into()
        })
    );

    let mut elsewhere = new_order(2, "request", Some(1));
    elsewhere.location.district = "朝阳区".into();
    assert_eq!(
        desk.try_create(&agent(), elsewhere),
        Err(OrderError::UnknownDistrict {
            district: "朝阳区".into()
        })
    );

    let mut wrong_street = new_order(3, "request", Some(1));
    wrong_street.location.street = "新街口街道".into(); // 西城区's
    assert!(matches!(
        desk.try_create(&agent(), wrong_street),
        Err(OrderError::UnknownStreet { .. })
    ));

    let mut off_the_map = new_order(4, "request", Some(1));
    off_the_map.location.coordinates = Some(Coordinates {
        latitude: 123.0,
        longitude: 116.4,
    });
    assert_eq!(
        desk.try_create(&agent(), off_the_map),
        Err(OrderError::InvalidCoordinates)
    );

    let mut blank = new_order(5, "request", Some(1));
    blank.summary = "  ".into();
    assert_eq!(
        desk.try_create(&agent(), blank),
        Err(OrderError::EmptyText { field: "summary" })
    );

    assert!(matches!(
        desk.try_create(&housing(), new_order(6, "request", Some(1))),
        Err(OrderError::RoleNotAllowed { .. })
    ));
}

#[test]
fn coordinates_on_the_map_are_kept() {
    let mut desk = Desk::new("2026-11-02T09:30");
    let mut new = new_order(1, "request", Some(1));
    let point = Coordinates {
        latitude: 39.9254,
        longitude: 116.3972,
    };
    new.location.coordinates = Some(point);
    let order = desk.try_create(&agent(), new).unwrap();
    assert_eq!(desk.order(&order).location().coordinates, Some(point));
}
