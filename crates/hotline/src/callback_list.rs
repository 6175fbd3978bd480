//! The driver of the callback list: the store's list of promises to call
//! back, `hotline_call::callbacks::Scheduler` deciding when each is placed,
//! and the ACD, which offers a placed callback to the first free agent (the
//! callback task then rings the agent, and dials the citizen once the agent
//! has answered). Requests come from the call tasks (the IVR's
//! `[[callback]]` after hours, a queued caller's key 1); outcomes from the
//! callback tasks. The list lives in the store, so a restart resumes it.

use std::time::{Duration, SystemTime};

use hotline_acd::EnqueueRequest;
use hotline_call::callbacks::{Input, Outcome, Output, Policy, Scheduler};
use hotline_call::desk;
use hotline_screenpop::{CallbackChange, Refused};
use hotline_store::{CallbackKind, NewCallback, Store};
use hotline_types::{CallId, CallbackId, QueueId, Timestamp};
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use crate::acd_task::AcdHandle;

/// How long a promise to call back stands before it expires.
pub const WINDOW: Duration = Duration::from_secs(3 * 24 * 3600);

#[derive(Debug)]
enum ListInput {
    Request {
        new: NewCallback,
        in_acd: bool,
    },
    Outcome {
        call: CallId,
        outcome: Outcome,
    },
    Change {
        id: CallbackId,
        change: CallbackChange,
        by: String,
        reply: oneshot::Sender<Result<(), Refused>>,
    },
    /// Taken over from a node that stopped or died (`crate::cluster`).
    Adopted(Vec<hotline_store::Callback>),
}

/// Where call tasks send requests and outcomes.
#[derive(Debug, Clone)]
pub struct CallbackList {
    inputs: mpsc::UnboundedSender<ListInput>,
    /// This node's name in a centre of several: it works the callbacks it
    /// takes; `None`, a single node, works the whole list.
    node: Option<String>,
}

fn now_ts() -> Timestamp {
    Timestamp::from_system_time(SystemTime::now())
}

impl CallbackList {
    /// A citizen asked to be called back on `number` (on call `call`):
    /// after hours from the IVR, or while queued (`kind` InQueue: the entry
    /// is in the ACD already, keeping its place).
    pub fn request(
        &self,
        call: CallId,
        number: &str,
        queue: QueueId,
        kind: CallbackKind,
        language: &str,
    ) {
        let requested_at = now_ts();
        let new = NewCallback {
            call,
            number: number.to_owned(),
            queue,
            kind,
            language: language.to_owned(),
            priority: 0,
            requested_at,
            expires_at: requested_at.plus(WINDOW),
            node: self.node.clone(),
        };
        let in_acd = kind == CallbackKind::InQueue;
        if self
            .inputs
            .send(ListInput::Request { new, in_acd })
            .is_err()
        {
            warn!(%call, "the callback list has stopped: the request is only in the call log");
        }
    }

    /// The attempt on the ACD entry `call` ended.
    pub fn outcome(&self, call: CallId, outcome: Outcome) {
        let _ = self.inputs.send(ListInput::Outcome { call, outcome });
    }

    /// Callbacks this node adopted from one that stopped or died: worked
    /// as if loaded at start (an attempt that was being placed is retried).
    pub fn adopt(&self, callbacks: Vec<hotline_store::Callback>) {
        if !callbacks.is_empty() {
            let _ = self.inputs.send(ListInput::Adopted(callbacks));
        }
    }

    /// A supervisor cancels or reprioritises callback `id`.
    pub fn change(
        &self,
        id: CallbackId,
        change: CallbackChange,
        by: String,
        reply: oneshot::Sender<Result<(), Refused>>,
    ) {
        if let Err(mpsc::error::SendError(ListInput::Change { reply, .. })) =
            self.inputs.send(ListInput::Change {
                id,
                change,
                by,
                reply,
            })
        {
            let _ = reply.send(Err(Refused::Other {
                message: "the callback list has stopped".into(),
            }));
        }
    }
}

/// The receiving half, for [`run`].
#[derive(Debug)]
pub struct ListRunner {
    inputs: mpsc::UnboundedReceiver<ListInput>,
    node: Option<String>,
}

/// The list's handle (for the call tasks and the ACD task) and its runner;
/// `node`: this node's name in a centre of several.
pub fn channel(node: Option<String>) -> (CallbackList, ListRunner) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        CallbackList {
            inputs: tx,
            node: node.clone(),
        },
        ListRunner { inputs: rx, node },
    )
}

/// Loads the open list (waiting for the database if it is away) and runs
/// the scheduler until the process stops.
pub fn run(
    runner: ListRunner,
    store: Store,
    acd: AcdHandle,
    policy: Policy,
    hours: Option<hotline_ivr::Schedule>,
) {
    let mut rx = runner.inputs;
    let node = runner.node;
    tokio::spawn(async move {
        let mut scheduler = Scheduler::new(policy, hours);
        let loaded = loop {
            match store.open_callbacks_of(node.as_deref()).await {
                Ok(list) => break list,
                Err(e) => {
                    warn!(error = %e, "the callback list waits for the database");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        };
        if !loaded.is_empty() {
            info!(
                open = loaded.len(),
                "callback list loaded: promises to call back resume"
            );
        }
        scheduler.handle(now_ts(), Input::Loaded(loaded));
        loop {
            drive(&mut scheduler, &store, &acd).await;
            let now = now_ts();
            let sleep = scheduler
                .poll_timeout(now)
                .map_or(Duration::from_secs(3600), |at| {
                    Duration::from_millis(u64::try_from(at.millis_since(now)).unwrap_or(0))
                });
            let input = tokio::select! {
                input = rx.recv() => match input {
                    Some(input) => input,
                    None => return,
                },
                () = tokio::time::sleep(sleep) => {
                    scheduler.handle(now_ts(), Input::Tick);
                    continue;
                }
            };
            match input {
                ListInput::Request { new, in_acd } => match store.add_callback(&new).await {
                    Ok(callback) => {
                        info!(call = %new.call, callback = %callback.id, kind = new.kind.as_str(), "callback on the list");
                        let input = if in_acd {
                            Input::AddedInAcd(callback)
                        } else {
                            Input::Added(callback)
                        };
                        scheduler.handle(now_ts(), input);
                    }
                    Err(e) => {
                        warn!(call = %new.call, error = %e, "the callback could not be put on the list");
                    }
                },
                ListInput::Adopted(callbacks) => {
                    info!(
                        adopted = callbacks.len(),
                        "callbacks taken over from another node: their promises resume here"
                    );
                    scheduler.handle(now_ts(), Input::Loaded(callbacks));
                }
                ListInput::Outcome { call, outcome } => {
                    info!(%call, outcome = outcome.as_str(), "callback attempt over");
                    scheduler.handle(now_ts(), Input::Outcome { call, outcome });
                }
                ListInput::Change {
                    id,
                    change,
                    by,
                    reply,
                } => {
                    if !scheduler.is_open(id) {
                        let _ = reply.send(Err(Refused::CallbackClosed));
                        continue;
                    }
                    info!(callback = %id, ?change, by, "a supervisor changes a callback");
                    let input = match change {
                        CallbackChange::Cancel => Input::Cancel { id, by },
                        CallbackChange::Priority(priority) => {
                            Input::Reprioritise { id, priority, by }
                        }
                    };
                    scheduler.handle(now_ts(), input);
                    drive(&mut scheduler, &store, &acd).await;
                    let _ = reply.send(Ok(()));
                }
            }
        }
    });
}

/// Carries out the scheduler's orders.
async fn drive(scheduler: &mut Scheduler, store: &Store, acd: &AcdHandle) {
    while let Some(output) = scheduler.poll_output() {
        match output {
            Output::Persist { id, update } => {
                if let Err(e) = store.update_callback(id, &update).await {
                    warn!(callback = %id, error = %e, "the callback list could not be updated");
                }
            }
            Output::Enqueue {
                id,
                call,
                queue,
                number,
                language,
                priority,
            } => {
                info!(%call, callback = %id, %queue, "callback due: queued for the next free agent");
                acd.send(
                    desk::Input::EnqueueCallback {
                        call,
                        request: EnqueueRequest {
                            queue,
                            priority,
                            skills: Vec::new(),
                        },
                        number,
                        language,
                    }
                    .into(),
                );
            }
            Output::Withdraw { call } => acd.send(desk::Input::WithdrawCallback { call }.into()),
        }
    }
}
