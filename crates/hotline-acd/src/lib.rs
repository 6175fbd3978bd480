//! Sans-IO automatic call distribution: queues, agent states and routing
//! for the whole hotline.
//!
//! # The I/O contract
//!
//! One [`Acd`] holds every queue, agent and queued call. Its owner (one
//! task in the binary) feeds it inputs and carries out what it decides:
//!
//! - **Inputs** are method calls, each with the current `now: Instant`:
//!   from the agent console ([`Acd::login`], [`Acd::set_available`],
//!   [`Acd::set_break`], [`Acd::logout`], [`Acd::wrap_up_done`],
//!   [`Acd::extend_wrap_up`]), from the call tasks ([`Acd::enqueue`],
//!   [`Acd::offer_answered`], [`Acd::offer_failed`], [`Acd::abandon`],
//!   [`Acd::talk_ended`], [`Acd::transfer`], [`Acd::request_callback`],
//!   the attended transfer's [`Acd::consult`], [`Acd::consult_answered`],
//!   [`Acd::consult_gone`], [`Acd::complete_consult`],
//!   [`Acd::return_from_consult`]) and
//!   from the clock ([`Acd::handle_timeout`]). A wrong input (unknown id,
//!   wrong state, stale offer) returns an [`AcdError`] and changes nothing.
//! - **Outputs** are [`Action`]s, drained with [`Acd::poll_action`] until it
//!   returns `None` after every input: offers to ring, offers to cancel,
//!   calls leaving to the IVR, announcements, agent state changes, and the
//!   [`CallEvent`](hotline_types::CallEvent)s to record (the owner stamps
//!   the wall-clock time). Statistics are computed from those events alone.
//! - **Time**: [`Acd::poll_timeout`] says when to call
//!   [`Acd::handle_timeout`] next; ask again after every input. The ACD
//!   never reads the clock, sleeps, or touches a socket, a file or a lock,
//!   so every race (a break during an offer, an answer after a withdrawal)
//!   is an ordering of method calls and is tested in simulated time.
//! - **Views** ([`Acd::agent_state`], [`Acd::position`],
//!   [`Acd::queue_snapshots`], [`Acd::agent_snapshots`]) are read-only.
//!
//! # Behaviour in brief
//!
//! - Queue order: higher priority first, then earlier entry into the queue.
//!   A call whose offer is withdrawn (ring-no-answer, the agent's break or
//!   logout) keeps its entry, so it is back at the head and routed again at
//!   once. Escalation steps apply as the wait grows (raise the priority,
//!   lower the minimum skill level, drop the required skills).
//! - Required skills restrict every strategy: an agent qualifies for a call
//!   when they have each required skill at the call's current minimum level
//!   (1 unless an escalation step set it; a step with `after` zero sets the
//!   starting level). Strategies then pick among the available qualifying
//!   agents of the call's queue (see [`Strategy`]); an agent serving several
//!   queues takes the best waiting call across them.
//! - An agent rings for at most one call at a time. Ring timeout →
//!   `RingNoAnswer`, `CancelOffer`, the agent on break `ring_no_answer`
//!   (unless the queue's `rna_not_ready` is false).
//! - A break or logout during a call or wrap-up waits for wrap-up to end.
//! - Overflow ([`Overflow`]): `max_wait`, `max_waiting` (`queue_full`) and
//!   no agent logged in (`no_agents`, at once) send callers on; into another
//!   queue inside the ACD, or out to the IVR with [`Action::Overflow`]. An
//!   overflow back into a queue the call already left goes to the IVR's
//!   fallback instead, so misconfigured queues cannot bounce a call forever.
//! - Callback entries keep their place, hear nothing, never overflow, and
//!   are offered like calls with the number to ring.
//! - Estimated wait (announcements, [`Acd::position`]): position × the mean
//!   handle time (agent answer to end of wrap-up) of the queue's last 20
//!   calls ÷ its agents logged in and not on break; `None` without history.
//!   Handle time, not past waits, because a caller's wait depends on their
//!   place and on how many agents work the queue, which past waits do not
//!   tell.

mod acd;
mod config;
mod consult;
mod error;
mod model;
mod ops;
mod routing;
mod state;
mod views;

pub use acd::Acd;
pub use config::{AcdConfig, EscalationStep, Overflow, QueueConfig, Strategy};
pub use error::AcdError;
pub use model::{
    Action, AgentProfile, AgentSnapshot, AgentState, CancelReason, ConsultOutcome, ConsultTarget,
    Consultee, EnqueueRequest, PendingChange, QueuePosition, QueueSnapshot,
};
