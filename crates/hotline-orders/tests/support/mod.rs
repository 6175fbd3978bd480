//! A desk of orders for scenarios: the example catalogue, China's working
//! calendar read from the IVR's calendar file, a wall clock in Beijing
//! time, and each order's log. Every step checks that folding the whole log
//! gives the order that was applied event by event.

#![allow(dead_code)]

use std::collections::BTreeMap;

use hotline_orders::{
    Actor, CalendarSpec, Catalogue, Channel, Command, Inbox, Location, NewOrder, OrderError,
    OrderEvent, Rules, WorkOrder, WorkingCalendar,
};
use hotline_types::{CaseRef, CitizenId, Timestamp};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

pub const SHANGHAI: &str = "Asia/Shanghai";

/// China's calendar: Monday to Friday in Asia/Shanghai, with the holidays
/// and make-up workdays of `ivr_scripts/calendars/cn.toml` (what the binary
/// will do with the same file).
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

/// A local time `YYYY-MM-DDTHH:MM` in `zone`.
pub fn local(zone: &str, text: &str) -> Timestamp {
    let civil: DateTime = text.parse().expect("a civil date-time");
    let zoned = civil
        .to_zoned(TimeZone::get(zone).expect("a known zone"))
        .expect("in range");
    Timestamp(zoned.timestamp().as_millisecond())
}

/// A Beijing time `YYYY-MM-DDTHH:MM`.
pub fn beijing(text: &str) -> Timestamp {
    local(SHANGHAI, text)
}

pub fn date(text: &str) -> Date {
    text.parse().expect("a date")
}

pub fn reference(seq: u32) -> CaseRef {
    CaseRef::new(2026, 10, 1, seq).expect("a reference")
}

// --- the people at the desk ---

pub fn agent() -> Actor {
    Actor::agent("li.agent")
}

pub fn dispatcher() -> Actor {
    Actor::dispatcher("zhao.dispatch")
}

pub fn supervisor() -> Actor {
    Actor::supervisor("chen.supervisor")
}

/// A handler of the housing bureau (requests for help).
pub fn housing() -> Actor {
    Actor::handler("wang.housing", &["housing"])
}

/// A handler of the water authority.
pub fn water() -> Actor {
    Actor::handler("liu.water", &["water"])
}

/// A handler of market regulation (complaints).
pub fn market() -> Actor {
    Actor::handler("sun.market", &["market_regulation"])
}

pub fn location() -> Location {
    Location {
        address: "景山前街 4 号".into(),
        district: "东城区".into(),
        street: "景山街道".into(),
        coordinates: None,
    }
}

pub fn new_order(seq: u32, category: &str, citizen: Option<i64>) -> NewOrder {
    NewOrder {
        reference: reference(seq),
        channel: Channel::Call,
        category: category.into(),
        citizen: citizen.map(CitizenId),
        location: location(),
        summary: format!("order {seq}: {category}"),
    }
}

/// The catalogue, the calendar, the clock and every order's log.
pub struct Desk {
    pub catalogue: Catalogue,
    pub calendar: WorkingCalendar,
    pub now: Timestamp,
    logs: BTreeMap<CaseRef, (Vec<OrderEvent>, WorkOrder)>,
}

impl Desk {
    /// The example catalogue and China's calendar, at `now` (Beijing time).
    pub fn new(now: &str) -> Self {
        Self {
            catalogue: Catalogue::example(),
            calendar: china_calendar(),
            now: beijing(now),
            logs: BTreeMap::new(),
        }
    }

    pub fn rules(&self) -> Rules<'_> {
        Rules {
            catalogue: &self.catalogue,
            calendar: &self.calendar,
        }
    }

    /// Sets the clock to a Beijing time.
    pub fn at(&mut self, now: &str) -> &mut Self {
        self.now = beijing(now);
        self
    }

    /// An agent takes a call down as order `seq`.
    pub fn create(&mut self, seq: u32, category: &str, citizen: Option<i64>) -> CaseRef {
        self.try_create(&agent(), new_order(seq, category, citizen))
            .expect("create")
    }

    pub fn try_create(&mut self, actor: &Actor, new: NewOrder) -> Result<CaseRef, OrderError> {
        let events = WorkOrder::create(self.rules(), self.now, actor, new)?;
        let order = WorkOrder::from_events(&events).expect("a created event folds");
        let reference = order.reference().clone();
        self.logs.insert(reference.clone(), (events, order));
        Ok(reference)
    }

    /// Decides `command` and, if granted, appends and applies its events.
    /// A refusal leaves the log exactly as it was.
    pub fn run(
        &mut self,
        order: &CaseRef,
        actor: &Actor,
        command: Command,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let now = self.now;
        let rules = Rules {
            catalogue: &self.catalogue,
            calendar: &self.calendar,
        };
        let (log, folded) = self.logs.get_mut(order).expect("a known order");
        let before = log.len();
        let decided = folded.decide(rules, now, actor, command);
        match &decided {
            Ok(events) => append(log, folded, events),
            Err(_) => assert_eq!(log.len(), before, "a refused command appended events"),
        }
        decided
    }

    /// `run`, expected to be granted.
    pub fn ok(&mut self, order: &CaseRef, actor: &Actor, command: Command) -> Vec<OrderEvent> {
        let name = command.name();
        self.run(order, actor, command)
            .unwrap_or_else(|e| panic!("{name} refused: {e}"))
    }

    /// Merges `duplicate` into `master`.
    pub fn merge(
        &mut self,
        duplicate: &CaseRef,
        master: &CaseRef,
        actor: &Actor,
    ) -> Result<(), OrderError> {
        let events = WorkOrder::merge(
            self.now,
            actor,
            &self.logs[duplicate].1,
            &self.logs[master].1,
        )?;
        let (log, folded) = self.logs.get_mut(duplicate).expect("the duplicate");
        append(log, folded, &events.duplicate);
        let (log, folded) = self.logs.get_mut(master).expect("the master");
        append(log, folded, &events.master);
        Ok(())
    }

    /// Inboxes with a due-soon window of one working day.
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox {
            calendar: &self.calendar,
            due_soon_working_days: 1,
        }
    }

    pub fn order(&self, reference: &CaseRef) -> &WorkOrder {
        &self.logs[reference].1
    }

    pub fn log(&self, reference: &CaseRef) -> &[OrderEvent] {
        &self.logs[reference].0
    }

    /// Created and dispatched by the catalogue, accepted by `handler`.
    pub fn accepted(&mut self, seq: u32, category: &str, handler: &Actor) -> CaseRef {
        let order = self.create(seq, category, Some(i64::from(seq)));
        self.ok(&order, &agent(), Command::Dispatch);
        self.ok(&order, handler, Command::Accept);
        order
    }

    /// Replied and closed by `handler`.
    pub fn reply_and_close(&mut self, order: &CaseRef, handler: &Actor) {
        self.ok(
            order,
            handler,
            Command::Reply {
                text: "已处理完毕".into(),
            },
        );
        self.ok(order, handler, Command::Close);
    }
}

fn append(log: &mut Vec<OrderEvent>, folded: &mut WorkOrder, events: &[OrderEvent]) {
    for event in events {
        folded.apply(event).expect("a decided event applies");
        log.push(event.clone());
    }
    let refolded = WorkOrder::from_events(log).expect("the log folds");
    assert_eq!(
        &refolded, folded,
        "folding the log differs from applying it"
    );
}
