//! A desk of work orders for store scenarios: the example catalogue, a
//! Monday-to-Friday calendar in Beijing time, the people at the desk, and
//! looks at what the store really holds for an order.

use hotline_orders::{
    Actor, CalendarSpec, Catalogue, Channel, Command, Inbox, Location, Rules, WorkingCalendar,
};
use hotline_store::{Access, AuditContext, NewWorkOrder, Store, StoredOrder};
use hotline_types::{CaseRef, CitizenId, Timestamp};

use super::TestStore;

pub const DAY: i64 = 86_400_000;
pub const HOUR: i64 = 3_600_000;

/// The example catalogue (requests to housing in 5 working days, water
/// outages to water in 5, complaints to market regulation in 13, follow-up
/// the next working day) and Monday to Friday in Asia/Shanghai.
pub struct Desk {
    pub catalogue: Catalogue,
    pub calendar: WorkingCalendar,
}

impl Desk {
    pub fn beijing() -> Self {
        Self {
            catalogue: Catalogue::example(),
            calendar: WorkingCalendar::new(CalendarSpec::monday_to_friday("Asia/Shanghai"))
                .expect("a calendar"),
        }
    }

    pub fn rules(&self) -> Rules<'_> {
        Rules {
            catalogue: &self.catalogue,
            calendar: &self.calendar,
        }
    }

    /// Due soon: within one working day.
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox {
            calendar: &self.calendar,
            due_soon_working_days: 1,
        }
    }

    /// An agent takes an order down at `now`.
    pub async fn create(
        &self,
        store: &Store,
        now: Timestamp,
        category: &str,
        citizen: Option<CitizenId>,
    ) -> StoredOrder {
        store
            .create_work_order(
                &desk_ctx("li.agent", now),
                self.rules(),
                now,
                &agent(),
                new_order(category, citizen),
            )
            .await
            .unwrap_or_else(|e| panic!("create {category}: {e}"))
    }

    /// `actor` gives `command` at `now`, expected to be granted.
    pub async fn ok(
        &self,
        store: &Store,
        now: Timestamp,
        actor: &Actor,
        order: &CaseRef,
        command: Command,
    ) -> StoredOrder {
        let name = command.name();
        store
            .act_on_order(
                &desk_ctx(actor.user.as_str(), now),
                self.rules(),
                now,
                actor,
                order,
                command,
            )
            .await
            .unwrap_or_else(|e| panic!("{name} on {order}: {e}"))
    }

    /// Created and dispatched by the catalogue at `now`.
    pub async fn dispatched(
        &self,
        store: &Store,
        now: Timestamp,
        category: &str,
        citizen: Option<CitizenId>,
    ) -> CaseRef {
        let created = self.create(store, now, category, citizen).await;
        let reference = created.order.reference().clone();
        self.ok(store, now, &agent(), &reference, Command::Dispatch)
            .await;
        reference
    }
}

/// What a desk user's access is audited as.
pub fn desk_ctx(user: &str, now: Timestamp) -> AuditContext {
    AuditContext {
        actor: user.into(),
        access: Access::Administration,
        reason: "working the order".into(),
        at: now,
    }
}

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

/// Another handler of the housing bureau.
pub fn housing_too() -> Actor {
    Actor::handler("zhou.housing", &["housing"])
}

/// A handler of the water authority.
pub fn water() -> Actor {
    Actor::handler("liu.water", &["water"])
}

pub fn location() -> Location {
    Location {
        address: "景山前街 4 号".into(),
        district: "东城区".into(),
        street: "景山街道".into(),
        coordinates: None,
    }
}

pub fn new_order(category: &str, citizen: Option<CitizenId>) -> NewWorkOrder {
    NewWorkOrder {
        call: None,
        channel: Channel::Call,
        category: category.into(),
        citizen,
        location: location(),
        summary: format!("a {category} about the courtyard"),
    }
}

impl TestStore {
    /// The `seq` numbers of an order's stored log, in order.
    pub async fn log_seqs(&self, order: &CaseRef) -> Vec<i64> {
        self.raw_strings(&format!(
            "SELECT CAST(e.seq AS TEXT) FROM case_events e JOIN cases c ON c.case_id = e.case_id \
             WHERE c.case_ref = '{}' ORDER BY e.seq",
            order.digits()
        ))
        .await
        .into_iter()
        .map(|s| s.expect("a seq").parse().expect("a number"))
        .collect()
    }

    /// The `kind`s of an order's stored log, in order.
    pub async fn log_kinds(&self, order: &CaseRef) -> Vec<String> {
        self.raw_strings(&format!(
            "SELECT e.kind FROM case_events e JOIN cases c ON c.case_id = e.case_id \
             WHERE c.case_ref = '{}' ORDER BY e.seq",
            order.digits()
        ))
        .await
        .into_iter()
        .map(|s| s.expect("a kind"))
        .collect()
    }

    /// One column of an order's row, as text (`NULL` as `None`).
    pub async fn row_column(&self, order: &CaseRef, column: &str) -> Option<String> {
        self.raw_strings(&format!(
            "SELECT CAST({column} AS TEXT) FROM cases WHERE case_ref = '{}'",
            order.digits()
        ))
        .await
        .into_iter()
        .next()
        .expect("the order's row")
    }
}
