//! Simulated wall-clock time for callback scenarios, a week-day office and
//! callbacks as the store would hand them over.
#![allow(dead_code)]

pub mod callbacks_sim;
pub mod calls;
pub mod desk_sim;
pub mod follow_up_sim;

use std::path::Path;
use std::time::Duration;

use hotline_call::{Input, Output, Policy, Scheduler};
use hotline_ivr::{compile_script, CompileContext, Environment, PromptCatalog, Schedule};
use hotline_store::{Callback, CallbackKind, CallbackStatus};
use hotline_types::{CallId, CallbackId, QueueId, Timestamp};
use uuid::Uuid;

/// Monday 2026-11-23 00:00 in Shanghai (UTC+8): 2026-11-22T16:00:00Z.
pub const MONDAY_MIDNIGHT: i64 = 1_795_334_400_000 + 8 * 3_600_000;
pub const HOUR: i64 = 3_600_000;
pub const MINUTE: i64 = 60_000;

/// Office hours 08:00-20:00 every day, Asia/Shanghai.
pub fn office() -> Schedule {
    let text = r#"
[script]
name = "office"
start = "hours"
languages = ["zh"]
default_language = "zh"

[[schedule]]
id = "hours"
timezone = "Asia/Shanghai"
hours = { mon = ["08:00-20:00"], tue = ["08:00-20:00"], wed = ["08:00-20:00"], thu = ["08:00-20:00"], fri = ["08:00-20:00"], sat = ["08:00-20:00"], sun = ["08:00-20:00"] }
open = "bye"
closed = "bye"
holiday = "bye"

[[hangup]]
id = "bye"
"#;
    let ctx = CompileContext {
        environment: Environment::new(["general"], Vec::<String>::new()),
        prompts: PromptCatalog::unchecked("prompts"),
        base_dir: None,
        version: 1,
    };
    let (script, problems) = compile_script(Path::new("office.toml"), text, &ctx);
    let script = script.unwrap_or_else(|| panic!("{problems:?}"));
    let (_, schedule) = script.schedules().next().expect("one schedule");
    schedule.clone()
}

pub fn call(n: u128) -> CallId {
    CallId(Uuid::from_u128(n))
}

pub fn id(n: u128) -> CallbackId {
    CallbackId(Uuid::from_u128(1000 + n))
}

/// A pending after-hours callback asked for on call `n` at `at`.
pub fn pending(n: u128, at: i64, priority: u8) -> Callback {
    Callback {
        id: id(n),
        call: call(n),
        number: format!("1380000{n:04}"),
        queue: QueueId::from("general"),
        kind: CallbackKind::AfterHours,
        language: "zh".into(),
        priority,
        requested_at: Timestamp(at),
        not_before: Timestamp(at),
        expires_at: Timestamp(at + 72 * HOUR),
        attempts: 0,
        status: CallbackStatus::Pending,
        outcome: None,
        last_call: None,
        updated_at: Timestamp(at),
        updated_by: None,
    }
}

/// The scheduler and its clock.
pub struct Sim {
    pub scheduler: Scheduler,
    pub now: Timestamp,
}

impl Sim {
    pub fn new(policy: Policy, at: i64) -> Self {
        Self {
            scheduler: Scheduler::new(policy, Some(office())),
            now: Timestamp(at),
        }
    }

    pub fn input(&mut self, input: Input) -> Vec<Output> {
        self.scheduler.handle(self.now, input);
        self.drain()
    }

    pub fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.scheduler.poll_output()).collect()
    }

    /// Runs every timeout up to `at`, at its own time.
    pub fn advance_to(&mut self, at: i64) -> Vec<Output> {
        let mut out = Vec::new();
        while let Some(next) = self.scheduler.poll_timeout(self.now) {
            if next.as_millis() > at {
                break;
            }
            self.now = next;
            self.scheduler.handle(self.now, Input::Tick);
            out.extend(self.drain());
        }
        self.now = Timestamp(at);
        self.scheduler.handle(self.now, Input::Tick);
        out.extend(self.drain());
        out
    }

    pub fn advance(&mut self, by: Duration) -> Vec<Output> {
        let at = self.now.plus(by).as_millis();
        self.advance_to(at)
    }
}

/// The calls handed to the ACD, in order.
pub fn enqueued(outputs: &[Output]) -> Vec<CallId> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Enqueue { call, .. } => Some(*call),
            _ => None,
        })
        .collect()
}

/// The statuses written, in order, for one callback.
pub fn statuses(outputs: &[Output], of: CallbackId) -> Vec<CallbackStatus> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Persist { id, update } if *id == of => Some(update.status),
            _ => None,
        })
        .collect()
}
