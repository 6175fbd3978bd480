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
//! The script format is documented for the people who write scripts in
//! `ivr_scripts/README.md`; the shipped scripts, prompts, calendar and
//! scenario transcripts live in `ivr_scripts/`.
//!
//! ```text
//! ScriptSet::load(dir, env) ─▶ Arc<CompiledScript> ─▶ Ivr::new(script, call)
//!   controller: handle_input(now, Input) ─▶ poll_action() ─▶ Action ...
//!               poll_timeout() ─▶ handle_input(deadline, Input::Timeout)
//! ```
//!
//! Driving one call (the controller does the same with real media):
//!
//! ```
//! use std::{path::Path, sync::Arc, time::{Duration, Instant}};
//! use hotline_ivr::*;
//!
//! let text = r#"
//! [script]
//! name = "demo"
//! start = "menu"
//! languages = ["en"]
//! default_language = "en"
//!
//! [[menu]]
//! id = "menu"
//! prompts = ["main_menu"]
//! keys = { "0" = "agent" }
//! timeout_ms = 5000
//! invalid_prompt = "invalid_choice"
//! timeout_prompt = "no_input"
//! after_retries = "agent"
//!
//! [[queue]]
//! id = "agent"
//! queue = "general"
//! overflow = "bye"
//!
//! [[hangup]]
//! id = "bye"
//! "#;
//! let ctx = CompileContext {
//!     environment: Environment::new(["general"], Vec::<String>::new()),
//!     prompts: PromptCatalog::unchecked("prompts"),
//!     base_dir: None,
//!     version: 1,
//! };
//! let (script, problems) = compile_script(Path::new("demo.toml"), text, &ctx);
//! let script = Arc::new(script.unwrap_or_else(|| panic!("{problems:?}")));
//!
//! let call = CallInfo {
//!     caller: "13800138000".into(),
//!     called: "12345".into(),
//!     answered_at: hotline_types::Timestamp(1_795_399_200_000),
//! };
//! let mut ivr = Ivr::new(script, call);
//! let mut now = Instant::now(); // the controller's clock, never the engine's
//! ivr.handle_input(now, Input::Start);
//! let mut playing = None;
//! while let Some(action) = ivr.poll_action() {
//!     match action {
//!         Action::Play { id, prompts, .. } => {
//!             assert_eq!(prompts[0].path.as_ref(), Path::new("prompts/en/main_menu.wav"));
//!             playing = Some(id);
//!         }
//!         Action::Emit(event) => { /* append to the call's event log */ let _ = event; }
//!         _ => {}
//!     }
//! }
//! now += Duration::from_secs(3);
//! ivr.handle_input(now, Input::PromptFinished(playing.unwrap()));
//! assert_eq!(ivr.poll_timeout(), Some(now + Duration::from_secs(5)));
//! ivr.handle_input(now + Duration::from_secs(1), Input::Digit('0'));
//! let enqueue = std::iter::from_fn(|| ivr.poll_action())
//!     .find(|a| matches!(a, Action::Enqueue { .. }));
//! assert!(matches!(enqueue, Some(Action::Enqueue { queue, .. }) if queue.as_str() == "general"));
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
mod transcript;

pub use compile::read_calendar;
pub use compile::{compile_script, CompileContext, Environment, PromptCatalog};
pub use engine::{
    Action, CallInfo, CallbackNumbers, Input, Ivr, LookupId, LookupKey, LookupOutcome,
    LookupRequest, LookupResponse, Outcome, PlaybackId, QueueOutcome, Recording, RecordingId,
    SayValue,
};
pub use error::{IvrError, Problem, Report, Severity};
pub use registry::{load_bundle, ScriptBundle, ScriptSet};
pub use resident_id::{check_resident_id, mask, resident_id_check_char, ResidentIdError};
pub use schedule::{parse_weekday, DayOverride, Schedule, ScheduleState};
pub use script::{CompiledScript, LookupKind, NodeIndex, PromptFile};
pub use tools::{check, graph, simulate, Graph};
pub use transcript::run_transcript;

/// The call controller runs one `Ivr` per call task and shares scripts and
/// the `ScriptSet` between tasks: these must stay thread-safe.
#[cfg(test)]
mod thread_safety {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_is_send_and_scripts_are_shareable() {
        send::<crate::Ivr>();
        send::<crate::Action>();
        send_sync::<crate::CompiledScript>();
        send_sync::<crate::ScriptSet>();
        send_sync::<crate::ScriptBundle>();
        send::<crate::IvrError>();
    }
}
