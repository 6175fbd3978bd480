//! Scripted IVR menus for the Hotline: the script format (`ivr_scripts/*.toml`),
//! its compiler and checker, the sans-IO state machine that runs one call
//! through a script, versioned loading, and the tools behind
//! `hotline ivr check | graph | simulate`.
//!
//! Owns: what the caller hears and presses before reaching a person. Must
//! not touch: SIP, RTP and audio (the media crate turns [`Action::Play`] and
//! [`Action::Say`] into sound and DTMF into [`Input::Digit`]), queues and
//! agents (the ACD acts on [`Action::Enqueue`]), the database (the store
//! answers [`Action::Lookup`]). It never reads the clock: every input comes
//! with `now`, and [`Ivr::poll_timeout`] says when to come back.
//!
//! ```text
//! ScriptSet::load(dir, env) ─▶ Arc<CompiledScript> ─▶ Ivr::new(script, call)
//!   controller: handle_input(now, Input) ─▶ poll_action() ─▶ Action ...
//!               poll_timeout() ─▶ handle_input(deadline, Input::Timeout)
//! ```

mod compile;
mod engine;
mod error;
mod raw;
mod registry;
mod resident_id;
mod schedule;
mod script;
mod tools;

pub use compile::{compile_script, CompileContext, Environment, PromptCatalog};
pub use engine::{
    Action, CallInfo, Input, Ivr, LookupId, LookupKey, LookupOutcome, LookupRequest,
    LookupResponse, Outcome, PlaybackId, QueueOutcome, Recording, RecordingId, SayValue,
};
pub use error::{IvrError, Problem, Report, Severity};
pub use registry::{load_bundle, ScriptBundle, ScriptSet};
pub use resident_id::{check_resident_id, mask, resident_id_check_char, ResidentIdError};
pub use schedule::{Schedule, ScheduleState};
pub use script::{CompiledScript, LookupKind, NodeIndex, PromptFile};
pub use tools::{check, graph, simulate, Graph};
