//! The work-order report's scenarios: China's calendar (the IVR's
//! `ivr_scripts/calendars/cn.toml`: National Day week 2026, its make-up
//! Saturday), local times in Beijing, and a small set of orders worked
//! across the weekend and the holiday whose figures are worked out by hand
//! in `order_report_figures_match_the_hand_computed_definitions.rs`.
#![allow(dead_code)]

use hotline_orders::{CalendarSpec, Catalogue, Channel, Command, Location, WorkingCalendar};
use hotline_store::{NewCitizen, NewWorkOrder, Store};
use hotline_types::{CaseRef, CitizenId, Timestamp};
use jiff::civil::{Date, DateTime};

use crate::common::admin;
use crate::common::orders::*;

pub const SHANGHAI: &str = "Asia/Shanghai";
pub const HOUR_MS: i64 = 3_600_000;

/// Monday to Friday in Beijing with the holidays and make-up workdays of
/// the shipped calendar, read as the binary reads it.
pub fn china_calendar() -> WorkingCalendar {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../ivr_scripts/calendars/cn.toml"
    );
    let text = std::fs::read_to_string(path).expect("the IVR's calendar file");
    let file: toml::Table = toml::from_str(&text).expect("the calendar file is TOML");
    let dates = |key: &str| -> Vec<Date> {
        file.get(key)
            .and_then(|v| v.as_array())
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| {
                        let date = entry["date"].as_datetime().expect("a TOML date");
                        date.to_string().parse().expect("a plain date")
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut spec = CalendarSpec::monday_to_friday(SHANGHAI);
    spec.holidays = dates("holiday");
    spec.make_up_workdays = dates("workday");
    WorkingCalendar::new(spec).expect("China's calendar")
}

/// The example catalogue on China's calendar.
pub fn china_desk() -> Desk {
    Desk {
        catalogue: Catalogue::example(),
        calendar: china_calendar(),
    }
}

/// A Beijing local time, `YYYY-MM-DDTHH:MM`.
pub fn local(text: &str) -> Timestamp {
    let dt: DateTime = text.parse().expect("a local date and time");
    let zoned = dt
        .to_zoned(jiff::tz::TimeZone::get(SHANGHAI).expect("the zone"))
        .expect("a time in Beijing");
    Timestamp(zoned.timestamp().as_millisecond())
}

/// Local midnight starting `date` (`YYYY-MM-DD`), in UTC milliseconds.
pub fn day(date: &str) -> i64 {
    local(&format!("{date}T00:00")).as_millis()
}

pub fn location(district: &str, street: &str) -> Location {
    Location {
        address: "1 号".into(),
        district: district.into(),
        street: street.into(),
        coordinates: None,
    }
}

pub async fn citizen(store: &Store, name: &str) -> CitizenId {
    store
        .create_citizen(
            &admin(0),
            &NewCitizen {
                full_name: name.into(),
                ..NewCitizen::default()
            },
        )
        .await
        .expect("a citizen")
}

/// An agent takes an order down at `now` at `place`.
pub async fn take(
    desk: &Desk,
    store: &Store,
    now: Timestamp,
    category: &str,
    citizen: Option<CitizenId>,
    place: Location,
) -> CaseRef {
    store
        .create_work_order(
            &desk_ctx("li.agent", now),
            desk.rules(),
            now,
            &agent(),
            NewWorkOrder {
                call: None,
                channel: Channel::Call,
                category: category.into(),
                citizen,
                location: place,
                summary: format!("a {category}"),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create {category}: {e}"))
        .order
        .reference()
        .clone()
}

/// Taken down and dispatched by the catalogue at `now`.
pub async fn take_and_dispatch(
    desk: &Desk,
    store: &Store,
    now: Timestamp,
    category: &str,
    citizen: Option<CitizenId>,
    place: Location,
) -> CaseRef {
    let order = take(desk, store, now, category, citizen, place).await;
    desk.ok(store, now, &agent(), &order, Command::Dispatch)
        .await;
    order
}

pub fn reply() -> Command {
    Command::Reply {
        text: "repaired".into(),
    }
}

/// The orders of the hand-computed scenario (see the golden test's
/// docs), worked on `store`.
pub struct Scenario {
    pub a: CaseRef,
    pub b: CaseRef,
    pub c: CaseRef,
    pub d: CaseRef,
    pub e: CaseRef,
    pub f: CaseRef,
    pub g: CaseRef,
}

pub async fn national_day_fortnight(desk: &Desk, s: &Store) -> Scenario {
    let jingshan = || location("东城区", "景山街道");
    let (c1, c2, c3) = (
        citizen(s, "Sun Li").await,
        citizen(s, "Zhou Mei").await,
        citizen(s, "Wu Gang").await,
    );
    let water = || hotline_orders::Actor::handler("liu.water", &["water"]);

    // A: a request on Monday 28 September, closed on time on Tuesday, its
    // follow-up (due Wednesday) made after the holiday, satisfied.
    let a = take_and_dispatch(
        desk,
        s,
        local("2026-09-28T09:00"),
        "request",
        Some(c1),
        jingshan(),
    )
    .await;
    desk.ok(
        s,
        local("2026-09-28T10:00"),
        &housing(),
        &a,
        Command::Accept,
    )
    .await;
    desk.ok(s, local("2026-09-29T15:00"), &housing(), &a, reply())
        .await;
    desk.ok(s, local("2026-09-29T16:00"), &housing(), &a, Command::Close)
        .await;
    desk.ok(
        s,
        local("2026-10-08T10:00"),
        &agent(),
        &a,
        Command::RecordFollowUp {
            reporter: a.clone(),
            score: 5,
        },
    )
    .await;

    // B: a request returned by housing, re-dispatched to water, which gets
    // an extension of 3 working days; still open.
    let b = take_and_dispatch(
        desk,
        s,
        local("2026-09-28T11:00"),
        "request",
        Some(c2),
        jingshan(),
    )
    .await;
    desk.ok(
        s,
        local("2026-09-29T09:00"),
        &housing(),
        &b,
        Command::Return {
            reason: "a water main, not housing".into(),
        },
    )
    .await;
    desk.ok(
        s,
        local("2026-09-29T10:00"),
        &dispatcher(),
        &b,
        Command::Redispatch {
            department: "water".into(),
        },
    )
    .await;
    desk.ok(s, local("2026-09-29T11:00"), &water(), &b, Command::Accept)
        .await;
    desk.ok(
        s,
        local("2026-09-30T09:00"),
        &water(),
        &b,
        Command::RequestExtension {
            working_days: 3,
            reason: "parts on order".into(),
        },
    )
    .await;
    desk.ok(
        s,
        local("2026-09-30T10:00"),
        &supervisor(),
        &b,
        Command::DecideExtension { approve: true },
    )
    .await;

    // C: a water outage on Wednesday evening before the holiday: an
    // extension refused, closed late, followed up unsatisfied: reopened.
    let c = take_and_dispatch(
        desk,
        s,
        local("2026-09-30T20:00"),
        "water_outage",
        Some(c3),
        jingshan(),
    )
    .await;
    desk.ok(s, local("2026-10-08T09:00"), &water(), &c, Command::Accept)
        .await;
    desk.ok(
        s,
        local("2026-10-08T10:00"),
        &water(),
        &c,
        Command::RequestExtension {
            working_days: 2,
            reason: "a holiday backlog".into(),
        },
    )
    .await;
    desk.ok(
        s,
        local("2026-10-08T11:00"),
        &supervisor(),
        &c,
        Command::DecideExtension { approve: false },
    )
    .await;
    desk.ok(s, local("2026-10-14T08:00"), &water(), &c, reply())
        .await;
    desk.ok(s, local("2026-10-14T09:00"), &water(), &c, Command::Close)
        .await;
    desk.ok(
        s,
        local("2026-10-15T10:00"),
        &agent(),
        &c,
        Command::RecordFollowUp {
            reporter: c.clone(),
            score: 2,
        },
    )
    .await;

    // D: a consultation on the holiday Saturday, resolved on the call.
    let d = take(
        desk,
        s,
        local("2026-10-03T10:00"),
        "consultation",
        None,
        location("西城区", "新街口街道"),
    )
    .await;
    desk.ok(
        s,
        local("2026-10-03T10:00"),
        &agent(),
        &d,
        Command::ResolveOnCall {
            reply: "the office opens on the 8th".into(),
        },
    )
    .await;

    // E: an anonymous complaint on National Day (13 working days).
    let e = take_and_dispatch(
        desk,
        s,
        local("2026-10-01T10:00"),
        "complaint",
        None,
        location("西城区", "西长安街街道"),
    )
    .await;

    // F: an anonymous request on the holiday Friday, never worked.
    let f = take_and_dispatch(
        desk,
        s,
        local("2026-10-02T10:00"),
        "request",
        None,
        jingshan(),
    )
    .await;

    // G: its duplicate on the holiday Sunday, merged into it.
    let g = take_and_dispatch(
        desk,
        s,
        local("2026-10-04T12:00"),
        "request",
        None,
        jingshan(),
    )
    .await;
    s.merge_orders(
        &desk_ctx("zhao.dispatch", local("2026-10-04T13:00")),
        local("2026-10-04T13:00"),
        &dispatcher(),
        &g,
        &f,
    )
    .await
    .expect("merge the duplicate");

    Scenario {
        a,
        b,
        c,
        d,
        e,
        f,
        g,
    }
}
