//! One follow-up call on simulated time: the citizen's line through the
//! trunk as a SIP handle, the shipped follow-up script, and the outputs of
//! each step.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_call::call::{
    CallCore, Input, LegRef, MediaInput, MediaOp, Output, Placement, PlayTag,
};
use hotline_call::follow_up::{FollowUp, FollowUpRequest};
use hotline_ivr::{compile_script, CompileContext, Environment, PromptCatalog};
use hotline_sip::{CallHandle, EndedBy, Event};
use hotline_types::{CallId, CaseRef};
use uuid::Uuid;

use super::callbacks_sim::trunk;
use super::calls::{config, media, media_ops, placed_leg};

pub const CITIZEN_LINE: CallHandle = CallHandle(301);

/// The department's reply on the reporter's request.
pub const REPLY: &str = "The streetlight on Main Street was repaired on Monday.";

/// The reporter's request: 2026-11-23, the 42nd of the day.
pub fn case_ref() -> CaseRef {
    CaseRef::new(2026, 11, 23, 42).expect("a reference")
}

pub struct FollowUpSim {
    pub call: FollowUp,
    pub now: Instant,
    pub citizen: Option<LegRef>,
}

impl FollowUpSim {
    /// A follow-up call to `number` with the shipped script
    /// (`ivr_scripts/follow_up.toml`); the driver places the leg if asked.
    pub fn dial(number: &str, language: Option<&str>) -> (Self, Vec<Output>) {
        Self::dial_with(request(number, language))
    }

    /// A follow-up call for `request`, its leg placed if asked.
    pub fn dial_with(request: FollowUpRequest) -> (Self, Vec<Output>) {
        let (mut sim, out) = Self::dial_request(request);
        if let Some(leg) = placed_leg(&out) {
            sim.step(Input::Placed {
                leg,
                placed: Some(Placement {
                    handle: CITIZEN_LINE,
                    offered: None,
                }),
            });
        }
        (sim, out)
    }

    /// The same, the driver not having placed the leg yet.
    pub fn dial_unplaced(number: &str, language: Option<&str>) -> (Self, Vec<Output>) {
        Self::dial_request(request(number, language))
    }

    /// A follow-up call for `request`, not placed yet.
    pub fn dial_request(request: FollowUpRequest) -> (Self, Vec<Output>) {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let text = std::fs::read_to_string(root.join("ivr_scripts/follow_up.toml"))
            .expect("the shipped follow-up script");
        let ctx = CompileContext {
            environment: Environment::new(["general"], Vec::<String>::new()),
            prompts: PromptCatalog::unchecked("prompts"),
            base_dir: None,
            version: 1,
        };
        let (script, problems) = compile_script(Path::new("follow_up.toml"), &text, &ctx);
        let script = Arc::new(script.unwrap_or_else(|| panic!("{problems:?}")));
        let now = Instant::now();
        let call = FollowUp::new(
            Arc::new(config()),
            &trunk(),
            script,
            CallId(Uuid::from_u128(11)),
            request,
            now,
        );
        let mut sim = FollowUpSim {
            call,
            now,
            citizen: None,
        };
        let out = sim.drain();
        sim.citizen = placed_leg(&out).map(LegRef::Placed);
        (sim, out)
    }

    pub fn drain(&mut self) -> Vec<Output> {
        std::iter::from_fn(|| self.call.poll_output()).collect()
    }

    pub fn step(&mut self, input: Input) -> Vec<Output> {
        self.call.handle(self.now, input);
        self.drain()
    }

    pub fn advance(&mut self, by: Duration) -> Vec<Output> {
        self.now += by;
        if self.call.poll_timeout().is_some_and(|at| at <= self.now) {
            self.call.handle_timeout(self.now);
        }
        self.drain()
    }

    pub fn citizen(&self) -> LegRef {
        self.citizen.expect("the citizen's line was placed")
    }

    /// The citizen picks up.
    pub fn answer(&mut self) -> Vec<Output> {
        self.step(Input::Sip(Event::OutgoingAnswered {
            call: CITIZEN_LINE,
            remote_media: Some(media(40_000)),
        }))
    }

    pub fn line_ends(&mut self, by: EndedBy) -> Vec<Output> {
        self.step(Input::Sip(Event::CallEnded {
            call: CITIZEN_LINE,
            by,
            reason: "bye",
        }))
    }

    /// Every playback started in `out` on the citizen's leg ends; what follows.
    pub fn playbacks_end(&mut self, out: &[Output]) -> Vec<Output> {
        let citizen = self.citizen();
        let mut next = Vec::new();
        for (tag, _) in plays(out, citizen) {
            next.extend(self.step(Input::Media(citizen, MediaInput::PlaybackFinished(tag))));
        }
        next
    }

    /// Lets every prompt play to its end, from those started in `out`,
    /// until the script waits for keys or the call is over; every output
    /// on the way (with `out`), in order.
    pub fn listen(&mut self, out: Vec<Output>) -> Vec<Output> {
        let mut heard = Vec::new();
        let mut out = out;
        for _ in 0..10 {
            let next = self.playbacks_end(&out);
            heard.append(&mut out);
            if next.is_empty() {
                break;
            }
            out = next;
        }
        heard.append(&mut out);
        heard
    }
}

/// A follow-up of [`case_ref`], whose department replied [`REPLY`].
pub fn request(number: &str, language: Option<&str>) -> FollowUpRequest {
    FollowUpRequest {
        number: number.into(),
        case_ref: case_ref(),
        language: language.map(str::to_owned),
        reply: Some(REPLY.into()),
    }
}

/// The files of every playback started on `leg`, and their tags; a text
/// to speak is one "speak LANGUAGE: TEXT" among them.
pub fn plays(out: &[Output], leg: LegRef) -> Vec<(PlayTag, Vec<String>)> {
    media_ops(out, leg)
        .into_iter()
        .filter_map(|op| match op {
            MediaOp::Play { tag, files, .. } => {
                Some((tag, files.iter().map(|f| f.display().to_string()).collect()))
            }
            MediaOp::Speak {
                tag,
                text,
                language,
            } => Some((tag, vec![format!("speak {language}: {text}")])),
            _ => None,
        })
        .collect()
}

/// Every file played on `leg` in `out`, in order.
pub fn files(out: &[Output], leg: LegRef) -> Vec<String> {
    plays(out, leg).into_iter().flat_map(|(_, f)| f).collect()
}
