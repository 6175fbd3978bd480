//! Scenario transcripts: a call written as text (what the caller does, at
//! what time) with the prompts, events and outcome expected, replayed
//! against the engine on simulated time. Hotline staff can write them next
//! to their scripts; the crate's tests replay the shipped ones.
//!
//! ```text
//! # a comment
//! script hotline
//! answered 2026-11-23 10:00 Asia/Shanghai
//! caller 13800138000
//!
//!                         # the call is answered at the first command
//! press 2                 # listen to the end, then press keys (300 ms apart)
//! expect prompt en/welcome
//! end                     # the prompt playing now ends
//! notfound                # the store answers the lookup
//! expect node main_menu
//! barge 1                 # press while the prompt plays
//! timeout                 # wait for the pending timeout
//! wait 1500               # let time pass
//! found case_status=open case_department=housing
//! agent | overflow [why]  # the queue is done with the call (why: voicemail,
//!                           # callback or fallback, the default)
//! recorded 30000 261120000174
//! hangup
//! expect outcome hung_up survey_done
//! ```
//!
//! Every `expect` must match an observation after the one the previous
//! `expect` matched, so a transcript states the order that matters and
//! nothing more. Observations are printed by [`run_transcript`] on failure.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use hotline_types::{CallEvent, CaseRef, Timestamp};

use crate::engine::{
    Action, CallInfo, Input, Ivr, LookupId, LookupKey, LookupOutcome, LookupResponse, Outcome,
    PlaybackId, QueueOutcome, Recording, RecordingId, SayValue,
};
use crate::error::IvrError;
use crate::registry::ScriptBundle;

struct Run {
    ivr: Ivr,
    now: Instant,
    playing: Vec<PlaybackId>,
    lookup: Option<LookupId>,
    recording: Option<RecordingId>,
    seen: Vec<String>,
}

impl Run {
    fn feed(&mut self, input: Input) {
        self.ivr.handle_input(self.now, input);
        while let Some(action) = self.ivr.poll_action() {
            let seen = match action {
                Action::Emit(e) => describe_event(&e),
                Action::Play { id, .. } => {
                    self.playing.push(id);
                    continue;
                }
                Action::Say { id, value, .. } => {
                    self.playing.push(id);
                    format!("say {}", describe_say(&value))
                }
                Action::StopPlayback { id } => {
                    self.playing.retain(|p| *p != id);
                    "stop".into()
                }
                Action::CollectDigits { .. } => continue,
                Action::Lookup(r) => {
                    self.lookup = Some(r.id);
                    let key = match &r.key {
                        LookupKey::CallerNumber(n) | LookupKey::ResidentId(n) => n.clone(),
                        LookupKey::CaseRef(c) => c.digits().to_owned(),
                    };
                    format!("lookup {} {key}", r.kind.as_str())
                }
                Action::Enqueue {
                    queue,
                    priority,
                    skills,
                } if skills.is_empty() => format!("enqueue {queue} {priority}"),
                Action::Enqueue {
                    queue,
                    priority,
                    skills,
                } => format!("enqueue {queue} {priority} {}", skills.join(",")),
                Action::Record { id, max_ms, .. } => {
                    self.recording = Some(id);
                    format!("record {max_ms}")
                }
                Action::RequestCallback { number, .. } => format!("request_callback {number}"),
                // The `consent_recorded` event beside it says the same.
                Action::Consent { .. } => continue,
                Action::Transfer { destination } => format!("transfer {destination}"),
                Action::Hangup { reason } => format!("hangup {reason}"),
            };
            self.seen.push(seen);
        }
    }

    fn listen(&mut self) {
        // Bounded: prompts may lead to prompts, but not forever.
        for _ in 0..1000 {
            let Some(id) = self.playing.first().copied() else {
                return;
            };
            self.playing.remove(0);
            self.now += Duration::from_millis(1000);
            self.feed(Input::PromptFinished(id));
        }
    }
}

fn describe_say(v: &SayValue) -> String {
    match v {
        SayValue::Digits(d) => format!("digits {d}"),
        SayValue::Number(n) => format!("number {n}"),
        SayValue::Date { year, month, day } => format!("date {year:04}-{month:02}-{day:02}"),
        SayValue::CaseRef(c) => format!("case_ref {}", c.digits()),
        SayValue::Text(t) => format!("text {t:?}"),
    }
}

fn describe_event(e: &CallEvent) -> String {
    match e {
        CallEvent::IvrNodeEntered { node, .. } => format!("node {node}"),
        CallEvent::PromptPlayed { prompt } => format!("prompt {prompt}"),
        CallEvent::LanguageSelected { language } => format!("language {language}"),
        CallEvent::DigitsCollected { node, digits } => format!("digits {node} {digits}"),
        CallEvent::MenuRetry {
            node,
            reason,
            attempt,
        } => format!("retry {node} {reason} {attempt}"),
        CallEvent::VariableSet { name, value } => format!("var {name}={value}"),
        CallEvent::LookupDone { what, found } => {
            format!(
                "lookup_done {what} {}",
                if *found { "found" } else { "not_found" }
            )
        }
        CallEvent::CallbackRequested { number, .. } => format!("callback_requested {number}"),
        CallEvent::VoicemailRecorded { duration_ms, .. } => format!("voicemail {duration_ms}"),
        CallEvent::CaseLinked { case_ref } => format!("case {}", case_ref.digits()),
        CallEvent::SurveyAnswered { score } => format!("survey {score}"),
        CallEvent::ConsentRecorded {
            purpose, granted, ..
        } => format!(
            "consent {purpose} {}",
            if *granted { "granted" } else { "declined" }
        ),
        CallEvent::Transferred { to, .. } => format!("transferred {to}"),
        other => format!("event {}", other.kind()),
    }
}

fn describe_outcome(o: Option<&Outcome>) -> String {
    match o {
        Some(Outcome::HungUp { reason }) => format!("outcome hung_up {reason}"),
        Some(Outcome::Transferred { destination }) => format!("outcome transferred {destination}"),
        Some(Outcome::CallerHungUp { node }) => {
            format!("outcome caller_hung_up {}", node.as_deref().unwrap_or("-"))
        }
        None => "outcome none".into(),
    }
}

/// Parses `2026-11-23 10:00 Asia/Shanghai`.
fn parse_answered(text: &str) -> Result<Timestamp, String> {
    let mut parts = text.split_whitespace();
    let (Some(date), Some(time), Some(tz)) = (parts.next(), parts.next(), parts.next()) else {
        return Err("write `answered YYYY-MM-DD HH:MM Area/City`".into());
    };
    let civil: jiff::civil::DateTime = format!("{date}T{time}")
        .parse()
        .map_err(|e| format!("{date} {time}: {e}"))?;
    let zoned = civil.in_tz(tz).map_err(|e| format!("{tz}: {e}"))?;
    Ok(Timestamp(zoned.timestamp().as_millisecond()))
}

/// Replays a transcript against a script of `bundle`. On success returns
/// everything observed (one line each); on failure, the first line whose
/// expectation or command failed ([`IvrError::TranscriptFailed`]), with
/// the observations so far.
pub fn run_transcript(bundle: &ScriptBundle, text: &str) -> Result<Vec<String>, IvrError> {
    let fail = |line: usize, message: String| IvrError::TranscriptFailed { line, message };
    let mut script_name = None;
    let mut answered = Timestamp(0);
    let mut caller = String::from("13800138000");
    let mut preset: Vec<(String, String)> = Vec::new();
    let mut run: Option<Run> = None;
    let mut matched = 0usize;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split(" # ").next().unwrap_or("").trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let (command, rest) = content.split_once(' ').unwrap_or((content, ""));
        let rest = rest.trim();
        // Header lines come before the call starts.
        match command {
            "script" | "answered" | "caller" | "var" if run.is_some() => {
                return Err(fail(
                    line,
                    format!("`{command}` must come before the first command of the call"),
                ));
            }
            "script" => {
                script_name = Some(rest.to_owned());
                continue;
            }
            "answered" => {
                answered = parse_answered(rest).map_err(|m| fail(line, m))?;
                continue;
            }
            "caller" => {
                caller = rest.to_owned();
                continue;
            }
            "var" => {
                let (k, v) = rest
                    .split_once('=')
                    .ok_or_else(|| fail(line, "write `var name=value`".into()))?;
                preset.push((k.trim().to_owned(), v.trim().to_owned()));
                continue;
            }
            _ => {}
        }
        if run.is_none() {
            let name = script_name
                .as_deref()
                .ok_or_else(|| fail(line, "name the script first: `script hotline`".into()))?;
            let script = bundle.script(name).map_err(|e| fail(line, e.to_string()))?;
            let ivr = Ivr::new(
                script,
                CallInfo {
                    caller: caller.clone(),
                    called: "12345".into(),
                    answered_at: answered,
                },
            )
            .with_vars(preset.drain(..));
            let mut started = Run {
                ivr,
                now: Instant::now(),
                playing: Vec::new(),
                lookup: None,
                recording: None,
                seen: Vec::new(),
            };
            // The call is answered when its first line is read.
            started.feed(Input::Start);
            run = Some(started);
        }
        let Some(r) = run.as_mut() else { continue };
        match command {
            "end" => {
                if let Some(id) = r.playing.first().copied() {
                    r.playing.remove(0);
                    r.now += Duration::from_millis(1000);
                    r.feed(Input::PromptFinished(id));
                } else {
                    return Err(fail(line, "`end`: no prompt is playing".into()));
                }
            }
            "press" | "barge" => {
                if command == "press" {
                    r.listen();
                }
                if rest.is_empty()
                    || !rest
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
                {
                    return Err(fail(
                        line,
                        format!("`{command}` takes keys: 0-9 * #, not {rest:?}"),
                    ));
                }
                for key in rest.chars() {
                    r.now += Duration::from_millis(300);
                    r.feed(Input::Digit(key));
                }
            }
            "timeout" => {
                r.listen();
                let at = r
                    .ivr
                    .poll_timeout()
                    .ok_or_else(|| fail(line, "`timeout`: no timeout is pending".into()))?;
                r.now = r.now.max(at);
                r.feed(Input::Timeout);
            }
            "wait" => {
                let ms: u64 = rest
                    .parse()
                    .map_err(|_| fail(line, format!("`wait` takes milliseconds, not {rest:?}")))?;
                r.now += Duration::from_millis(ms);
                r.feed(Input::Timeout);
            }
            "found" | "notfound" | "fail" => {
                r.listen();
                let id = r
                    .lookup
                    .take()
                    .ok_or_else(|| fail(line, format!("`{command}`: no lookup is pending")))?;
                let outcome = match command {
                    "found" => LookupOutcome::Found {
                        fields: rest
                            .split_whitespace()
                            .filter_map(|w| w.split_once('='))
                            .map(|(k, v)| (k.to_owned(), v.to_owned()))
                            .collect(),
                    },
                    "notfound" => LookupOutcome::NotFound,
                    _ => LookupOutcome::Failed,
                };
                r.now += Duration::from_millis(50);
                r.feed(Input::LookupResult(LookupResponse { id, outcome }));
            }
            "agent" => r.feed(Input::QueueResult(QueueOutcome::AgentFinished)),
            "overflow" => r.feed(Input::QueueResult(QueueOutcome::Overflow {
                reason: if rest.is_empty() {
                    "fallback".into()
                } else {
                    rest.to_owned()
                },
            })),
            "recorded" => {
                r.listen();
                let id = r
                    .recording
                    .take()
                    .ok_or_else(|| fail(line, "`recorded`: no recording is pending".into()))?;
                let mut words = rest.split_whitespace();
                let duration_ms: u64 = words
                    .next()
                    .and_then(|w| w.parse().ok())
                    .ok_or_else(|| fail(line, "write `recorded MS [CASE_REF]`".into()))?;
                let case_ref = match words.next() {
                    Some(w) => {
                        Some(CaseRef::parse(w).map_err(|e| fail(line, format!("{w}: {e}")))?)
                    }
                    None => None,
                };
                r.now += Duration::from_millis(duration_ms);
                r.feed(Input::RecordingFinished(Recording {
                    id,
                    file: "transcript.wav".into(),
                    duration_ms,
                    case_ref,
                }));
            }
            "hangup" => r.feed(Input::Hangup),
            "expect" => {
                let mut seen = r.seen.clone();
                seen.push(describe_outcome(r.ivr.outcome()));
                match seen.iter().skip(matched).position(|s| s == rest) {
                    Some(p) => matched += p + 1,
                    None => {
                        let mut message =
                            format!("expected `{rest}`; observed since the last match:\n");
                        for s in seen.iter().skip(matched) {
                            let _ = writeln!(message, "    {s}");
                        }
                        return Err(fail(line, message));
                    }
                }
                // The outcome line is not part of the call's history.
                matched = matched.min(r.seen.len());
            }
            other => return Err(fail(line, format!("unknown command `{other}`"))),
        }
    }
    let r = run.ok_or_else(|| fail(0, "the transcript has no call".into()))?;
    let mut seen = r.seen;
    seen.push(describe_outcome(r.ivr.outcome()));
    Ok(seen)
}
