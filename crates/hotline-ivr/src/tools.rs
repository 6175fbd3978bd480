//! The script writers' tools, as library functions the binary exposes:
//! `check` (every problem at once), `graph` (DOT and Mermaid) and
//! `simulate` (walk a script from a terminal, no phone needed).

use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hotline_types::CaseRef;

use crate::compile::Environment;
use crate::engine::{
    Action, CallInfo, Input, Ivr, LookupOutcome, LookupResponse, Outcome, QueueOutcome, Recording,
};
use crate::error::{IvrError, Problem, Report, Severity};
use crate::registry::{compile_dir, ScriptBundle};
use crate::script::CompiledScript;
use crate::transcript::run_transcript;

/// Checks every script of `dir` against the configuration's queues and
/// destinations, and reports every problem (errors and warnings) with file,
/// line and fix. When the scripts compile, the scenario transcripts in
/// `dir/transcripts/*.txt` are replayed too, and each one that no longer
/// holds is an error at its failing line. Only an unreadable directory is
/// an `Err`.
pub fn check(dir: &Path, environment: &Environment) -> Result<Report, IvrError> {
    let (scripts, mut report) = compile_dir(dir, environment, 0)?;
    if report.has_errors() {
        return Ok(report);
    }
    let transcripts = dir.join("transcripts");
    if !transcripts.is_dir() {
        return Ok(report);
    }
    let bundle = ScriptBundle::new(0, scripts, Report::default());
    let io = |path: &Path, source| IvrError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&transcripts).map_err(|e| io(&transcripts, e))? {
        let path = entry.map_err(|e| io(&transcripts, e))?.path();
        if path.extension().is_some_and(|e| e == "txt") {
            files.push(path);
        }
    }
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| io(&file, e))?;
        if let Err(IvrError::TranscriptFailed { line, message }) = run_transcript(&bundle, &text) {
            report.problems.push(Problem {
                severity: Severity::Error,
                file,
                line: u32::try_from(line).unwrap_or(u32::MAX),
                message: format!("transcript no longer holds: {message}"),
                fix: "fix the script, or update the transcript if the new behaviour is intended"
                    .into(),
            });
        }
    }
    report.sort();
    Ok(report)
}

/// A script drawn two ways, for documentation and review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub dot: String,
    pub mermaid: String,
}

fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The script as a Graphviz DOT digraph and a Mermaid flowchart.
pub fn graph(script: &CompiledScript) -> Graph {
    let mut dot = String::new();
    let mut mermaid = String::from("flowchart TD\n");
    let _ = writeln!(dot, "digraph \"{}\" {{", quote(&script.name));
    let _ = writeln!(dot, "  rankdir=LR;\n  node [fontname=\"sans-serif\"];");
    let start = &script.nodes[script.start].id;
    let _ = writeln!(
        dot,
        "  \"__start\" [shape=point];\n  \"__start\" -> \"{}\";",
        quote(start)
    );
    // Mermaid ids get a prefix: a node called `end` would close the chart.
    let _ = writeln!(mermaid, "  __start(( )) --> n_{start}");
    for node in &script.nodes {
        let kind = node.kind.name();
        let shape = match kind {
            "menu" | "collect" | "survey" | "consent" => "box",
            "branch" | "schedule" | "lookup" => "diamond",
            "queue" | "transfer" => "doubleoctagon",
            "hangup" => "octagon",
            _ => "ellipse",
        };
        let _ = writeln!(
            dot,
            "  \"{}\" [shape={shape}, label=\"{}\\n[{kind}]\"];",
            quote(&node.id),
            quote(&node.id)
        );
        let (open, close) = match kind {
            "branch" | "schedule" | "lookup" => ("{", "}"),
            "queue" | "transfer" | "hangup" => ("[[", "]]"),
            _ => ("[", "]"),
        };
        let _ = writeln!(
            mermaid,
            "  n_{}{open}\"{} ({kind})\"{close}",
            node.id, node.id
        );
        for (label, target) in node.kind.edges() {
            let to = &script.nodes[target].id;
            if label.is_empty() {
                let _ = writeln!(dot, "  \"{}\" -> \"{}\";", quote(&node.id), quote(to));
                let _ = writeln!(mermaid, "  n_{} --> n_{to}", node.id);
            } else {
                let _ = writeln!(
                    dot,
                    "  \"{}\" -> \"{}\" [label=\"{}\"];",
                    quote(&node.id),
                    quote(to),
                    quote(&label)
                );
                let label = label.replace('"', "'").replace('#', "＃");
                let _ = writeln!(mermaid, "  n_{} -->|\"{label}\"| n_{to}", node.id);
            }
        }
    }
    dot.push_str("}\n");
    Graph { dot, mermaid }
}

const SIMULATOR_HELP: &str = "\
keys: 0-9 * #  pressed after the prompt ended (e.g. 2, 123#)
      !KEYS    pressed while the prompt plays (barge-in)
      t        nothing pressed: the pending timeout fires
      wait MS  let MS milliseconds pass
      found [name=value ...] | notfound | fail   answer a lookup
      agent    the agent call ended
      overflow [voicemail|callback|fallback]  the queue let the call go
      rec MS [CASE_REF]  a recording of MS ms (and the case opened for it)
      h        hang up    ?  this help    ; comment";

/// Walks `script` from the terminal: reads commands from `input` (see `?`),
/// writes prompts, actions and events to `output`. Prompts end by
/// themselves before the next command unless it starts with `!`.
/// Returns how the IVR ended, or `None` if the input ran out first.
pub fn simulate(
    script: Arc<CompiledScript>,
    call: CallInfo,
    input: impl BufRead,
    mut output: impl Write,
) -> Result<Option<Outcome>, IvrError> {
    let base = Instant::now();
    let mut now = base;
    let mut ivr = Ivr::new(script, call);
    let mut playing = Vec::new();
    let mut pending_lookup = None;
    let mut pending_recording = None;
    writeln!(output, "{SIMULATOR_HELP}")?;
    ivr.handle_input(now, Input::Start);
    drain(
        &mut ivr,
        base,
        now,
        &mut output,
        &mut playing,
        &mut pending_lookup,
        &mut pending_recording,
    )?;
    for line in input.lines() {
        let line = line?;
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        if ivr.is_finished() {
            break;
        }
        let (barge, command) = match line.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        if !barge {
            // The caller listened to the end of whatever was playing.
            // Until nothing plays: a prompt that ends can start the next one.
            // Bounded: a script of prompts that lead to each other forever
            // must not hang the terminal.
            let mut listened = 0;
            while let Some(id) = playing.first().copied() {
                listened += 1;
                if listened > 1000 {
                    writeln!(output, "  (stopped listening after 1000 prompts in a row)")?;
                    break;
                }
                playing.remove(0);
                ivr.handle_input(now, Input::PromptFinished(id));
                drain(
                    &mut ivr,
                    base,
                    now,
                    &mut output,
                    &mut playing,
                    &mut pending_lookup,
                    &mut pending_recording,
                )?;
            }
        }
        let mut words = command.split_whitespace();
        let first = words.next().unwrap_or("");
        let mut inputs: Vec<Input> = Vec::new();
        match first {
            "?" | "help" => {
                writeln!(output, "{SIMULATOR_HELP}")?;
                continue;
            }
            "t" => match ivr.poll_timeout() {
                Some(at) => {
                    now = now.max(at);
                    inputs.push(Input::Timeout);
                }
                None => {
                    writeln!(output, "  (no timeout pending)")?;
                    continue;
                }
            },
            "wait" => {
                let ms: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(1000);
                now += Duration::from_millis(ms);
                inputs.push(Input::Timeout);
            }
            "h" | "hangup" => inputs.push(Input::Hangup),
            "agent" => inputs.push(Input::QueueResult(QueueOutcome::AgentFinished)),
            "overflow" => inputs.push(Input::QueueResult(QueueOutcome::Overflow {
                reason: words.next().unwrap_or("fallback").to_owned(),
            })),
            "found" | "notfound" | "fail" => {
                let Some(id) = pending_lookup.take() else {
                    writeln!(output, "  (no lookup pending)")?;
                    continue;
                };
                let outcome = match first {
                    "found" => LookupOutcome::Found {
                        fields: words
                            .filter_map(|w| w.split_once('='))
                            .map(|(k, v)| (k.to_owned(), v.to_owned()))
                            .collect(),
                    },
                    "notfound" => LookupOutcome::NotFound,
                    _ => LookupOutcome::Failed,
                };
                inputs.push(Input::LookupResult(LookupResponse { id, outcome }));
            }
            "rec" => {
                let Some(id) = pending_recording.take() else {
                    writeln!(output, "  (no recording pending)")?;
                    continue;
                };
                let duration_ms = words.next().and_then(|w| w.parse().ok()).unwrap_or(5000);
                let case_ref = words.next().and_then(|w| CaseRef::parse(w).ok());
                now += Duration::from_millis(duration_ms);
                inputs.push(Input::RecordingFinished(Recording {
                    id,
                    file: "simulated.wav".into(),
                    duration_ms,
                    case_ref,
                }));
            }
            keys if keys
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#') =>
            {
                inputs.extend(keys.chars().map(Input::Digit));
            }
            other => {
                writeln!(output, "  (unknown command {other:?}; ? for help)")?;
                continue;
            }
        }
        for i in inputs {
            writeln!(output, "{} > {i:?}", stamp(base, now))?;
            ivr.handle_input(now, i);
            drain(
                &mut ivr,
                base,
                now,
                &mut output,
                &mut playing,
                &mut pending_lookup,
                &mut pending_recording,
            )?;
            now += Duration::from_millis(200);
        }
    }
    let outcome = ivr.outcome().cloned();
    match &outcome {
        Some(o) => writeln!(output, "outcome: {o:?}")?,
        None => writeln!(output, "input ended at node {:?}", ivr.current_node())?,
    }
    Ok(outcome)
}

fn stamp(base: Instant, now: Instant) -> String {
    format!("[{:>8.3}s]", now.duration_since(base).as_secs_f64())
}

fn drain(
    ivr: &mut Ivr,
    base: Instant,
    now: Instant,
    output: &mut impl Write,
    playing: &mut Vec<crate::engine::PlaybackId>,
    pending_lookup: &mut Option<crate::engine::LookupId>,
    pending_recording: &mut Option<crate::engine::RecordingId>,
) -> std::io::Result<()> {
    let t = stamp(base, now);
    while let Some(action) = ivr.poll_action() {
        match action {
            Action::Emit(e) => writeln!(output, "{t}   event {e:?}")?,
            Action::Play {
                id,
                prompts,
                barge_in,
            } => {
                let list: Vec<String> = prompts
                    .iter()
                    .map(|p| p.path.display().to_string())
                    .collect();
                writeln!(
                    output,
                    "{t} ♪ play{} {}",
                    if barge_in { " (keys interrupt)" } else { "" },
                    list.join(" + ")
                )?;
                playing.push(id);
            }
            Action::Say {
                id,
                value,
                language,
            } => {
                writeln!(output, "{t} ♪ say [{language}] {value:?}")?;
                playing.push(id);
            }
            Action::StopPlayback { id } => {
                writeln!(output, "{t} ■ stop playback")?;
                playing.retain(|p| *p != id);
            }
            Action::Lookup(req) => {
                writeln!(
                    output,
                    "{t} ? lookup {:?} {:?}  (answer: found k=v... | notfound | fail)",
                    req.kind, req.key
                )?;
                *pending_lookup = Some(req.id);
            }
            Action::Record { id, max_ms, .. } => {
                writeln!(
                    output,
                    "{t} ● record up to {max_ms} ms  (answer: rec MS [CASE_REF])"
                )?;
                *pending_recording = Some(id);
            }
            Action::Consent { purpose, granted } => writeln!(
                output,
                "{t} {} consent {purpose}: {}",
                if granted { "✓" } else { "✗" },
                if granted {
                    "granted (no key in time)"
                } else {
                    "declined"
                }
            )?,
            other => writeln!(output, "{t} → {other:?}")?,
        }
    }
    if let Some(at) = ivr.poll_timeout() {
        writeln!(output, "{t}   (timeout at {})", stamp(base, at))?;
    }
    Ok(())
}
