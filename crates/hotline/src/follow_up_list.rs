//! The driver of the follow-up calls (回访): every few seconds, in the
//! hotline's opening hours, it reads the reporters whose follow-up call is
//! due (`Store::follow_ups_due`), and places at most `max_calls` at once,
//! each a `hotline_call::follow_up::FollowUp` run by the one call driver
//! (`crate::call::drive`) through the callbacks' trunk and dial plan
//! (`crate::callback::trunk`). What each call came to is recorded on the
//! order as the hotline's agent: a score with `RecordFollowUp` (the order's
//! core decides satisfied or reopened), anything else with
//! `RecordFollowUpAttempt`, whose retry rule moves that reporter's next
//! call on or leaves them to the agents' follow-up list. The attempts live
//! in the order's log, so a restart resumes where it was; a call cut by
//! shutdown records nothing and is due again.
//!
//! Must not decide what an outcome means for the order (the orders core
//! does) or how a call goes (the call core does).

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use hotline_call::call::Input;
use hotline_call::follow_up::{FollowUp, FollowUpRequest, Outcome};
use hotline_call::outbound::Trunk;
use hotline_ivr::{Schedule, ScheduleState};
use hotline_orders::{Actor, Command, FollowUpAttempt, FollowUpRetry, Rules};
use hotline_store::{AuditContext, FollowUpDue};
use hotline_types::{CallId, CaseRef, Timestamp};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::call::{drive, CallContext};
use crate::controller::ControlCommand;
use hotline_orders::OrderRules;

use crate::reload::Live;

/// The script the reporter hears (`ivr_scripts/follow_up.toml`).
pub const FOLLOW_UP_SCRIPT: &str = "follow_up";

/// Who records the hotline's own follow-up calls on the orders.
pub const HOTLINE_AGENT: &str = "hotline";

/// How often the list is read.
const POLL: Duration = Duration::from_secs(3);

/// How the follow-up calls are placed (`[orders]`).
#[derive(Debug, Clone)]
pub struct FollowUpSettings {
    pub max_calls: usize,
    pub retry: FollowUpRetry,
    /// The hotline's opening hours (the hotline script's first
    /// `[[schedule]]`); `None`: always.
    pub hours: Option<Schedule>,
}

fn now_ts() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

/// Starts the follow-up caller; it runs until the process stops.
pub fn run(
    context: Arc<CallContext>,
    trunk: Arc<Trunk>,
    rules: Live<OrderRules>,
    settings: FollowUpSettings,
) {
    tokio::spawn(async move {
        info!(
            max_calls = settings.max_calls,
            retry_minutes = settings.retry.after.as_secs() / 60,
            attempts = settings.retry.attempts,
            "follow-up calls: placed by the hotline"
        );
        let mut calls: JoinSet<CaseRef> = JoinSet::new();
        let mut under_way: HashSet<CaseRef> = HashSet::new();
        let mut every = tokio::time::interval(POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                Some(done) = calls.join_next() => {
                    match done {
                        Ok(reporter) => {
                            under_way.remove(&reporter);
                        }
                        // A panicked call task: its reporter stays marked
                        // until the next start, never called twice at once.
                        Err(e) => warn!(error = %e, "a follow-up call task failed"),
                    }
                    continue;
                }
                _ = every.tick() => {}
            }
            let now = now_ts();
            let open = settings
                .hours
                .as_ref()
                .is_none_or(|h| h.state_at(now) == ScheduleState::Open);
            let free = settings.max_calls.saturating_sub(under_way.len());
            if !open || free == 0 {
                continue;
            }
            let due = match context.store.follow_ups_due(now, 50).await {
                Ok(due) => due,
                Err(e) => {
                    warn!(error = %e, "the follow-up calls due could not be read");
                    continue;
                }
            };
            let due: Vec<FollowUpDue> = due
                .into_iter()
                .filter(|d| !under_way.contains(&d.reporter))
                .take(free)
                .collect();
            for reporter in due {
                under_way.insert(reporter.reporter.clone());
                calls.spawn(follow_up(
                    context.clone(),
                    trunk.clone(),
                    rules.get(),
                    settings.retry,
                    reporter,
                ));
            }
        }
    });
}

/// One follow-up call to one reporter, and its outcome on the order;
/// returns the reporter.
async fn follow_up(
    context: Arc<CallContext>,
    trunk: Arc<Trunk>,
    rules: Arc<OrderRules>,
    retry: FollowUpRetry,
    due: FollowUpDue,
) -> CaseRef {
    let id = CallId::new();
    let outcome = call_reporter(&context, trunk, id, &due).await;
    let command = match outcome {
        Some(Outcome::Scored(score)) => Command::RecordFollowUp {
            reporter: due.reporter.clone(),
            score,
        },
        Some(Outcome::Interrupted) | None => return due.reporter,
        Some(other) => Command::RecordFollowUpAttempt {
            reporter: due.reporter.clone(),
            outcome: match other {
                Outcome::NoAnswer => FollowUpAttempt::NoAnswer,
                Outcome::NoScore => FollowUpAttempt::NoScore,
                Outcome::Refused => FollowUpAttempt::Refused,
                _ => FollowUpAttempt::Failed,
            },
            retry,
        },
    };
    let now = now_ts();
    let ctx = AuditContext::for_call(HOTLINE_AGENT, id, now);
    let order_rules = Rules {
        catalogue: &rules.catalogue,
        calendar: &rules.calendar,
    };
    match context
        .store
        .act_on_order(
            &ctx,
            order_rules,
            now,
            &Actor::agent(HOTLINE_AGENT),
            &due.order,
            command,
        )
        .await
    {
        Ok(stored) => {
            info!(order = %due.order, reporter = %due.reporter, outcome = outcome.map_or("none", Outcome::as_str), phase = %stored.order.phase(), "follow-up recorded on the order")
        }
        Err(e) => {
            warn!(order = %due.order, reporter = %due.reporter, error = %e, "the follow-up could not be recorded on the order")
        }
    }
    due.reporter
}

/// Places the call and runs it to its end; `None` when it could not start
/// (no script: nothing to say, not an attempt). A citizen without a phone
/// number is an attempt refused before dialling.
async fn call_reporter(
    context: &Arc<CallContext>,
    trunk: Arc<Trunk>,
    id: CallId,
    due: &FollowUpDue,
) -> Option<Outcome> {
    let script = match context.scripts.script(FOLLOW_UP_SCRIPT) {
        Ok(script) => script,
        Err(e) => {
            warn!(error = %e, "no follow-up script: follow-up calls wait for ivr_scripts/follow_up.toml");
            return None;
        }
    };
    let ctx = AuditContext::for_call(HOTLINE_AGENT, id, now_ts());
    let citizen = match context.store.citizen(&ctx, due.citizen).await {
        Ok(citizen) => citizen,
        Err(e) => {
            warn!(reporter = %due.reporter, error = %e, "the reporter's citizen record could not be read");
            return None;
        }
    };
    // A restricted record, or a citizen who said no to follow-up calls, is
    // not called: the order's follow-up is left to the agents.
    if let Some(record) = &citizen {
        let declined = record
            .citizen
            .consents
            .iter()
            .find(|c| c.what == "follow_up")
            .is_some_and(|c| c.granted == 0);
        if record.citizen.restricted_at_ms.is_some() || declined {
            info!(
                reporter = %due.reporter,
                restricted = record.citizen.restricted_at_ms.is_some(),
                declined,
                "the reporter's record is restricted or they declined follow-up calls: left to the agents"
            );
            return Some(Outcome::Refused);
        }
    }
    let Some((number, language)) = citizen.and_then(|record| {
        let number = record.citizen.phones.first()?.clone();
        Some((number, record.citizen.preferred_language))
    }) else {
        warn!(reporter = %due.reporter, "the reporter has no phone number: left to the agents");
        return Some(Outcome::Refused);
    };
    // The department's reply, read out to the reporter; the call goes on
    // without it if it cannot be read.
    let reply = match context.store.case_status(&due.order).await {
        Ok(status) => status.and_then(|s| s.reply),
        Err(e) => {
            warn!(order = %due.order, error = %e, "the order's reply could not be read: not read out");
            None
        }
    };
    let (inputs, orders) = mpsc::unbounded_channel();
    let _ = context
        .dispatcher
        .send(ControlCommand::Watch(inputs.clone()));
    let call = FollowUp::new(
        context.core.get(),
        &trunk,
        script,
        id,
        FollowUpRequest {
            number,
            case_ref: due.reporter.clone(),
            language,
            reply,
        },
        Instant::now(),
    );
    let call = drive(
        context.clone(),
        call,
        id,
        None,
        (inputs, orders),
        Input::Terminate,
    )
    .await;
    call.outcome()
}
