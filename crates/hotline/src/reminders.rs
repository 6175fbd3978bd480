//! The driver of the deadline reminders (临期提醒): once a minute it gives
//! every reminder due (`Store::give_reminders_due`): each order with a
//! department whose deadline falls within `orders.due_soon_working_days` is
//! reminded once per deadline, as the hotline's agent, a `reminded` event
//! in its log that the department's inbox shows as a mark. The orders core
//! decides when a reminder is due; the store lists and records it; this
//! only keeps the clock.

use std::time::{Duration, SystemTime};

use hotline_orders::{Actor, OrderRules};

use crate::reload::Live;
use hotline_store::Store;
use hotline_types::Timestamp;
use tracing::{info, warn};

use crate::follow_up_list::HOTLINE_AGENT;

/// How often the reminders due are looked for.
const POLL: Duration = Duration::from_secs(60);

/// Orders reminded in one pass, at most; the rest follow a minute later.
const PER_PASS: u32 = 200;

/// Starts the reminder driver; it runs until the process stops.
pub fn run(store: Store, live_rules: Live<OrderRules>) {
    tokio::spawn(async move {
        info!(
            within_working_days = live_rules.get().due_soon_working_days,
            "deadline reminders: given by the hotline"
        );
        let by = Actor::agent(HOTLINE_AGENT);
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let now = Timestamp::from_system_time(SystemTime::now());
            let rules = live_rules.get();
            match store.give_reminders_due(&rules, &by, now, PER_PASS).await {
                Ok(reminded) => {
                    for line in reminded {
                        info!(order = %line.reference, department = line.department.as_ref().map_or("", |d| d.as_str()), deadline_ms = ?line.deadline.map(Timestamp::as_millis), "the department was reminded of the deadline");
                    }
                }
                Err(e) => warn!(error = %e, "the deadline reminders could not be given"),
            }
        }
    });
}
