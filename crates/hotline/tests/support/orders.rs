//! Work orders put in a store around a run of the hotline: the example
//! catalogue with Monday to Friday in Beijing, and a request for help
//! about one lift, taken down by agent `li.agent`.

use hotline_orders::{
    Actor, CalendarSpec, Catalogue, Channel, Command, Location, OrderRules, WorkingCalendar,
};
use hotline_store::{AuditContext, NewWorkOrder, Store};
use hotline_types::{CallId, CaseRef, CitizenId, Timestamp};

/// The example catalogue, Monday to Friday in Asia/Shanghai, due soon
/// within one working day.
pub fn rules() -> OrderRules {
    OrderRules {
        catalogue: Catalogue::example(),
        calendar: WorkingCalendar::new(CalendarSpec::monday_to_friday("Asia/Shanghai"))
            .expect("calendar"),
        due_soon_working_days: 1,
    }
}

/// `actor`'s access at `at`, as for a call.
pub fn ctx(actor: &str, at: Timestamp) -> AuditContext {
    AuditContext::for_call(actor, CallId::new(), at)
}

pub fn agent() -> Actor {
    Actor::agent("li.agent")
}

/// A request for help (to housing) taken down at `at`, from `citizen` or
/// anonymous; not dispatched yet.
pub async fn take_down_request(
    store: &Store,
    rules: &OrderRules,
    at: Timestamp,
    citizen: Option<CitizenId>,
) -> CaseRef {
    let created = store
        .create_work_order(
            &ctx("li.agent", at),
            rules.rules(),
            at,
            &agent(),
            NewWorkOrder {
                call: None,
                channel: Channel::Call,
                category: "request".into(),
                citizen,
                location: Location {
                    address: "景山前街 4 号".into(),
                    district: "东城区".into(),
                    street: "景山街道".into(),
                    coordinates: None,
                },
                summary: "The lift has been broken for a week".into(),
            },
        )
        .await
        .expect("order");
    created.order.reference().clone()
}

/// `actor` gives `command` on `order` at `at`, expected to be granted.
pub async fn act(
    store: &Store,
    rules: &OrderRules,
    at: Timestamp,
    actor: &Actor,
    order: &CaseRef,
    command: Command,
) {
    let name = command.name();
    store
        .act_on_order(
            &ctx(actor.user.as_str(), at),
            rules.rules(),
            at,
            actor,
            order,
            command,
        )
        .await
        .unwrap_or_else(|e| panic!("{name} on {order}: {e}"));
}
