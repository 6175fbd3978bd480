//! Parse, then check, then build: turns script text into a [`CompiledScript`]
//! or into the complete list of what is wrong with it, each problem with its
//! file, line and fix. Reads files only through [`PromptCatalog`] and the
//! calendar loader; knows nothing of calls.
//!
//! This file holds the compiler's frame: the TOML parse, the languages, the
//! two passes over the nodes (first every id, so that targets resolve
//! wherever they point, then each node built and checked), and the helpers
//! every node uses (targets, variable names, problems with their line).
//! Each node kind's compile step is in the file named after it (its run
//! step is in the file of the same name under `engine/`):
//!
//! | script table | compile step |
//! |---|---|
//! | `[[play]]` | `play.rs` |
//! | `[[menu]]` | `menu.rs` |
//! | `[[collect]]` | `collect.rs` |
//! | `[[survey]]` | `survey.rs` |
//! | `[[consent]]` | `consent.rs` |
//! | `[[say]]` | `say.rs` |
//! | `[[branch]]` | `branch.rs` |
//! | `[[schedule]]` (and its holiday calendar) | `schedule.rs` |
//! | `[[lookup]]` | `lookup.rs` |
//! | `[[set]]`, `[[set_language]]` | `set.rs` |
//! | `[[queue]]` | `queue.rs` |
//! | `[[voicemail]]` | `voicemail.rs` |
//! | `[[callback]]` | `callback.rs` |
//! | `[[transfer]]` | `transfer.rs` |
//! | `[[hangup]]` | `hangup.rs` |
//! | `[[goto]]`, `[[submenu]]`, `[[back]]` | `jumps.rs` |
//!
//! Menus, collects and surveys share `gather.rs` (timeouts, retries and
//! their prompts). Prompt names resolve in `prompts.rs`. The checks of the
//! whole graph (reachability, dead ends, loops, unset variables) run once
//! every node is built, in `checks.rs`.

mod branch;
mod callback;
mod checks;
mod collect;
mod consent;
mod gather;
mod hangup;
mod jumps;
mod lookup;
mod menu;
mod play;
mod prompts;
mod queue;
mod say;
mod schedule;
mod set;
mod survey;
mod transfer;
mod voicemail;

use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use crate::error::{Problem, Severity};
use crate::raw::{RawScript, Target};
use crate::script::{CompiledScript, Node, NodeIndex, NodeKind};

pub use prompts::PromptCatalog;
pub use schedule::read_calendar;

/// Defaults that apply when a script does not say.
pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 5_000;
pub(crate) const DEFAULT_INTER_DIGIT_MS: u64 = 3_000;
pub(crate) const DEFAULT_RETRIES: u32 = 2;
pub(crate) const DEFAULT_LOOKUP_TIMEOUT_MS: u64 = 4_000;
pub(crate) const DEFAULT_VOICEMAIL_MAX_MS: u64 = 120_000;
pub(crate) const DEFAULT_VOICEMAIL_MIN_MS: u64 = 1_000;
/// How long after a consent notice the caller may still object.
pub(crate) const DEFAULT_CONSENT_TIMEOUT_MS: u64 = 3_000;

/// What the rest of the hotline's configuration defines, which scripts may
/// only refer to: ACD queues and named transfer destinations (never a number
/// typed by a caller: no toll fraud), and the work orders' categories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    pub queues: BTreeSet<String>,
    pub destinations: BTreeSet<String>,
    /// Categories of the dispatch catalogue a voicemail may name.
    pub categories: BTreeSet<String>,
}

impl Environment {
    pub fn new<Q, D>(queues: Q, destinations: D) -> Self
    where
        Q: IntoIterator,
        Q::Item: Into<String>,
        D: IntoIterator,
        D::Item: Into<String>,
    {
        Self {
            queues: queues.into_iter().map(Into::into).collect(),
            destinations: destinations.into_iter().map(Into::into).collect(),
            categories: BTreeSet::new(),
        }
    }

    /// The same, with the catalogue's categories.
    pub fn with_categories<C>(mut self, categories: C) -> Self
    where
        C: IntoIterator,
        C::Item: Into<String>,
    {
        self.categories = categories.into_iter().map(Into::into).collect();
        self
    }
}

/// Everything a compile needs besides the script text.
#[derive(Debug, Clone)]
pub struct CompileContext {
    pub environment: Environment,
    pub prompts: PromptCatalog,
    /// Where calendar paths of schedule nodes are relative to; `None`
    /// refuses schedules with a `holidays` file.
    pub base_dir: Option<PathBuf>,
    /// The load generation stamped on the script and its events.
    pub version: u32,
}

/// Byte offset to 1-based line number.
pub(crate) fn line_of(text: &str, offset: usize) -> u32 {
    let end = offset.min(text.len());
    let newlines = text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

/// Compiles one script. Returns the script only when no error was found;
/// the problems (warnings included) are returned either way.
pub fn compile_script(
    file: &Path,
    text: &str,
    ctx: &CompileContext,
) -> (Option<CompiledScript>, Vec<Problem>) {
    let raw: RawScript = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let line = e.span().map_or(0, |s| line_of(text, s.start));
            let message = syntax_message(&e);
            let fix = syntax_fix(&message);
            return (
                None,
                vec![Problem {
                    severity: Severity::Error,
                    file: file.to_path_buf(),
                    line,
                    message,
                    fix,
                }],
            );
        }
    };
    let mut c = Compiler {
        file: file.to_path_buf(),
        text,
        ctx,
        problems: Vec::new(),
        ids: HashMap::new(),
        order: Vec::new(),
        languages: Vec::new(),
    };
    let script = c.compile(raw);
    let has_error = c.problems.iter().any(|p| p.severity == Severity::Error);
    (if has_error { None } else { script }, c.problems)
}

/// The TOML parser's message for a syntax error. toml 0.8 has none for
/// some (`a =` with no value, a control character in a comment): a problem
/// must still say what is wrong.
fn syntax_message(e: &toml::de::Error) -> String {
    match e.message().trim() {
        "" => "the TOML syntax is invalid here".to_owned(),
        message => message.to_owned(),
    }
}

fn syntax_fix(message: &str) -> String {
    if message.contains("unknown field") {
        "remove the key or correct its spelling; the keys this table accepts are listed above"
            .into()
    } else if message.contains("missing field") {
        "add the missing key to this table".into()
    } else if message.contains("duplicate key") {
        "each key may appear once per table: remove or merge the repeated one".into()
    } else if message.contains("unknown variant") {
        "use one of the values listed above".into()
    } else if message.contains("invalid type") {
        "write the value with the type shown above (quotes for text, none for numbers and true/false)"
            .into()
    } else {
        "correct the TOML syntax at this line".into()
    }
}

struct Compiler<'a> {
    file: PathBuf,
    text: &'a str,
    ctx: &'a CompileContext,
    problems: Vec<Problem>,
    ids: HashMap<String, NodeIndex>,
    /// (id, line) in index order.
    order: Vec<(String, u32)>,
    languages: Vec<Arc<str>>,
}

/// Placeholder for a target that did not resolve; never reaches the engine
/// because any error refuses the whole script.
const UNRESOLVED: NodeIndex = usize::MAX;

impl Compiler<'_> {
    fn line(&self, span: Range<usize>) -> u32 {
        line_of(self.text, span.start)
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>, fix: impl Into<String>) {
        let line = self.line(span);
        self.problem_at(Severity::Error, line, message, fix);
    }

    fn warn(&mut self, line: u32, message: impl Into<String>, fix: impl Into<String>) {
        self.problem_at(Severity::Warning, line, message, fix);
    }

    fn problem_at(
        &mut self,
        severity: Severity,
        line: u32,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.problems.push(Problem {
            severity,
            file: self.file.clone(),
            line,
            message: message.into(),
            fix: fix.into(),
        });
    }

    fn register(&mut self, kind: &str, id: &Spanned<String>) {
        let name = id.get_ref();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.error(
                id.span(),
                format!("node id {name:?} of a [[{kind}]] is not a plain name"),
                "use letters, digits and underscores only, e.g. \"main_menu\"",
            );
        }
        if let Some(&first) = self.ids.get(name) {
            let first_line = self.order[first].1;
            self.error(
                id.span(),
                format!("node id {name:?} is used twice (first at line {first_line})"),
                "give every node its own id",
            );
            return;
        }
        let index = self.order.len();
        self.ids.insert(name.clone(), index);
        let line = self.line(id.span());
        self.order.push((name.clone(), line));
    }

    fn target(&mut self, t: &Target) -> NodeIndex {
        if let Some(&i) = self.ids.get(t.get_ref()) {
            return i;
        }
        let near = closest(t.get_ref(), self.ids.keys().map(String::as_str));
        let fix = match near {
            Some(n) => format!(
                "did you mean {n:?}? Otherwise define a node with id = {:?}",
                t.get_ref()
            ),
            None => format!("define a node with id = {:?}", t.get_ref()),
        };
        self.error(t.span(), format!("unknown node {:?}", t.get_ref()), fix);
        UNRESOLVED
    }

    fn var_name(&mut self, v: &Spanned<String>) -> String {
        let name = v.get_ref();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.error(
                v.span(),
                format!("variable name {name:?} is not a plain name"),
                "use letters, digits and underscores only",
            );
        }
        name.clone()
    }

    fn compile(&mut self, raw: RawScript) -> Option<CompiledScript> {
        // Languages first: every prompt resolves in each of them.
        let mut languages: Vec<Arc<str>> = Vec::new();
        for l in raw.script.languages.get_ref() {
            if l.is_empty() || !l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                self.error(
                    raw.script.languages.span(),
                    format!("language {l:?} is not a language tag"),
                    "use tags like \"zh\" and \"en\"",
                );
            } else if languages.iter().any(|x| &**x == l) {
                self.error(
                    raw.script.languages.span(),
                    format!("language {l:?} is listed twice"),
                    "list each language once",
                );
            } else {
                languages.push(Arc::from(l.as_str()));
            }
        }
        if languages.is_empty() {
            self.error(
                raw.script.languages.span(),
                "the script has no language",
                "list its languages: languages = [\"zh\", \"en\"]",
            );
        }
        let default_language = languages
            .iter()
            .position(|l| **l == **raw.script.default_language.get_ref())
            .unwrap_or_else(|| {
                self.error(
                    raw.script.default_language.span(),
                    format!(
                        "default_language {:?} is not one of the script's languages",
                        raw.script.default_language.get_ref()
                    ),
                    "pick one of the languages listed in `languages`",
                );
                0
            });
        self.languages = languages.clone();

        // Pass 1: every node id, in a fixed kind order, so targets resolve
        // wherever they point.
        macro_rules! register_all {
            ($($field:ident),*) => {
                $( for n in &raw.$field { self.register(stringify!($field), &n.id); } )*
            };
        }
        register_all!(
            play,
            menu,
            collect,
            say,
            branch,
            schedule,
            lookup,
            set,
            set_language,
            queue,
            voicemail,
            callback,
            transfer,
            survey,
            consent,
            hangup,
            goto,
            submenu,
            back
        );

        // Pass 2: build each node (same order as pass 1).
        let mut nodes: Vec<Node> = Vec::with_capacity(self.order.len());
        let mut push = |c: &mut Self, id: &Spanned<String>, kind: NodeKind| {
            let line = c.line(id.span());
            nodes.push(Node {
                id: id.get_ref().clone(),
                line,
                kind,
            });
        };
        for n in &raw.play {
            let k = self.build_play(n);
            push(self, &n.id, k);
        }
        for n in &raw.menu {
            let k = self.build_menu(n);
            push(self, &n.id, k);
        }
        for n in &raw.collect {
            let k = self.build_collect(n);
            push(self, &n.id, k);
        }
        for n in &raw.say {
            let k = self.build_say(n);
            push(self, &n.id, k);
        }
        for n in &raw.branch {
            let k = self.build_branch(n);
            push(self, &n.id, k);
        }
        for n in &raw.schedule {
            let k = self.build_schedule(n);
            push(self, &n.id, k);
        }
        for n in &raw.lookup {
            let k = self.build_lookup(n);
            push(self, &n.id, k);
        }
        for n in &raw.set {
            let k = self.build_set(n);
            push(self, &n.id, k);
        }
        for n in &raw.set_language {
            let k = self.build_set_language(n);
            push(self, &n.id, k);
        }
        for n in &raw.queue {
            let k = self.build_queue(n);
            push(self, &n.id, k);
        }
        for n in &raw.voicemail {
            let k = self.build_voicemail(n);
            push(self, &n.id, k);
        }
        for n in &raw.callback {
            let k = self.build_callback(n);
            push(self, &n.id, k);
        }
        for n in &raw.transfer {
            let k = self.build_transfer(n);
            push(self, &n.id, k);
        }
        for n in &raw.survey {
            let k = self.build_survey(n);
            push(self, &n.id, k);
        }
        for n in &raw.consent {
            let k = self.build_consent(n);
            push(self, &n.id, k);
        }
        for n in &raw.hangup {
            let k = self.build_hangup(n);
            push(self, &n.id, k);
        }
        for n in &raw.goto {
            let k = self.build_goto(n);
            push(self, &n.id, k);
        }
        for n in &raw.submenu {
            let k = self.build_submenu(n);
            push(self, &n.id, k);
        }
        for n in &raw.back {
            let k = self.build_back(n);
            push(self, &n.id, k);
        }
        let start = self.target(&raw.script.start);

        if self.problems.iter().any(|p| p.severity == Severity::Error) {
            return None;
        }
        self.check_graph(&nodes, start);
        self.check_variables(&nodes);

        let available_prompts = languages
            .iter()
            .map(|lang| {
                self.ctx
                    .prompts
                    .names
                    .get(&**lang)
                    .map(|names| {
                        names
                            .iter()
                            .map(|n| (n.clone(), self.ctx.prompts.file(lang, n)))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        Some(CompiledScript {
            name: raw.script.name.get_ref().clone(),
            description: raw.script.description.clone(),
            version: self.ctx.version,
            file: self.file.clone(),
            start,
            languages,
            default_language,
            by_id: self.ids.clone(),
            nodes,
            available_prompts,
        })
    }
}

/// The candidate with the smallest edit distance, if it is close enough.
fn closest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
