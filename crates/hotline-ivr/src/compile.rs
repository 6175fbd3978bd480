//! Parse, then check, then build: turns script text into a [`CompiledScript`]
//! or into the complete list of what is wrong with it, each problem with its
//! file, line and fix. Reads files only through [`PromptCatalog`] and the
//! calendar loader; knows nothing of calls.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use toml::Spanned;

use crate::error::{Problem, Severity};
use crate::raw::*;
use crate::schedule::{parse_range, parse_weekday, DayOverride, OpenRange, Schedule};
use crate::script::*;

/// Defaults that apply when a script does not say.
pub(crate) const DEFAULT_TIMEOUT_MS: u64 = 5_000;
pub(crate) const DEFAULT_INTER_DIGIT_MS: u64 = 3_000;
pub(crate) const DEFAULT_RETRIES: u32 = 2;
pub(crate) const DEFAULT_LOOKUP_TIMEOUT_MS: u64 = 4_000;
pub(crate) const DEFAULT_VOICEMAIL_MAX_MS: u64 = 120_000;
pub(crate) const DEFAULT_VOICEMAIL_MIN_MS: u64 = 1_000;

/// What the rest of the hotline's configuration defines, which scripts may
/// only refer to: ACD queues and named transfer destinations (never a number
/// typed by a caller: no toll fraud).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    pub queues: BTreeSet<String>,
    pub destinations: BTreeSet<String>,
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
        }
    }
}

/// The recorded prompts found on disk: `<dir>/<language>/<name>.wav`.
#[derive(Debug, Clone, Default)]
pub struct PromptCatalog {
    pub(crate) dir: PathBuf,
    pub(crate) names: HashMap<String, HashSet<String>>,
    /// False when built without a directory: prompt files are not checked.
    pub(crate) scanned: bool,
}

impl PromptCatalog {
    /// Lists `<dir>/<language>/*.wav` for every language subdirectory.
    pub fn scan(dir: &Path) -> std::io::Result<Self> {
        let mut names: HashMap<String, HashSet<String>> = HashMap::new();
        if dir.is_dir() {
            for lang in std::fs::read_dir(dir)? {
                let lang = lang?;
                if !lang.file_type()?.is_dir() {
                    continue;
                }
                let lang_name = lang.file_name().to_string_lossy().into_owned();
                let set = names.entry(lang_name).or_default();
                for file in std::fs::read_dir(lang.path())? {
                    let path = file?.path();
                    if path.extension().is_some_and(|e| e == "wav") {
                        if let Some(stem) = path.file_stem() {
                            set.insert(stem.to_string_lossy().into_owned());
                        }
                    }
                }
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            names,
            scanned: true,
        })
    }

    /// A catalog that resolves paths under `dir` but checks no files
    /// (for scripts compiled from a string in tests and tools).
    pub fn unchecked(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            names: HashMap::new(),
            scanned: false,
        }
    }

    fn has(&self, language: &str, name: &str) -> bool {
        self.names
            .get(language)
            .is_some_and(|set| set.contains(name))
    }

    fn file(&self, language: &Arc<str>, name: &str) -> PromptFile {
        PromptFile {
            name: Arc::from(name),
            language: language.clone(),
            path: Arc::from(self.dir.join(&**language).join(format!("{name}.wav"))),
        }
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

    fn prompt(&mut self, p: &Spanned<String>) -> Vec<PromptFile> {
        let name = p.get_ref();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            self.error(
                p.span(),
                format!("prompt name {name:?} is not a plain file name"),
                "use lower-case letters, digits and underscores; the file is prompts/<language>/<name>.wav",
            );
            return Vec::new();
        }
        let languages = self.languages.clone();
        let mut out = Vec::with_capacity(languages.len());
        for lang in &languages {
            if self.ctx.prompts.scanned && !self.ctx.prompts.has(lang, name) {
                self.error(
                    p.span(),
                    format!("prompt {name:?} has no recording in language {lang:?}"),
                    format!(
                        "add {}/{lang}/{name}.wav (add its text to ivr_scripts/prompts/generate.sh and run it)",
                        self.ctx.prompts.dir.display()
                    ),
                );
            }
            out.push(self.ctx.prompts.file(lang, name));
        }
        out
    }

    fn prompts(&mut self, list: &[Spanned<String>]) -> Vec<Vec<PromptFile>> {
        list.iter().map(|p| self.prompt(p)).collect()
    }

    fn opt_prompt(&mut self, p: &Option<Spanned<String>>) -> Option<Vec<PromptFile>> {
        p.as_ref().map(|p| self.prompt(p))
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

    #[allow(clippy::too_many_arguments)]
    fn retry(
        &mut self,
        line: u32,
        what: &str,
        timeout_ms: Option<u64>,
        inter_digit: Option<u64>,
        retries: Option<u32>,
        invalid: &Option<Spanned<String>>,
        timeout_prompt: &Option<Spanned<String>>,
    ) -> Retry {
        if timeout_ms.is_none() {
            self.warn(
                line,
                format!("{what} has no timeout_ms; {DEFAULT_TIMEOUT_MS} ms is assumed"),
                "say how long to wait for a key: timeout_ms = 5000",
            );
        }
        if invalid.is_none() {
            self.warn(
                line,
                format!("{what} has no invalid_prompt: a wrong key gets the menu again without explanation"),
                "add invalid_prompt = \"invalid_choice\"",
            );
        }
        if timeout_prompt.is_none() {
            self.warn(
                line,
                format!(
                    "{what} has no timeout_prompt: silence gets the menu again without explanation"
                ),
                "add timeout_prompt = \"no_input\"",
            );
        }
        for (value, key) in [
            (timeout_ms, "timeout_ms"),
            (inter_digit, "inter_digit_timeout_ms"),
        ] {
            if value == Some(0) {
                self.problem_at(
                    Severity::Error,
                    line,
                    format!("{what}: {key} is 0, the caller would have no time at all"),
                    format!("set {key} to a few seconds, e.g. 5000"),
                );
            }
        }
        Retry {
            timeout_ms: timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS),
            inter_digit_timeout_ms: inter_digit.unwrap_or(DEFAULT_INTER_DIGIT_MS),
            retries: retries.unwrap_or(DEFAULT_RETRIES),
            invalid_prompt: self.opt_prompt(invalid),
            timeout_prompt: self.opt_prompt(timeout_prompt),
        }
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
            let var = self.var_name(&n.var);
            let k = NodeKind::Set {
                var,
                value: n.value.clone(),
                next: self.target(&n.next),
            };
            push(self, &n.id, k);
        }
        for n in &raw.set_language {
            let language = languages
                .iter()
                .position(|l| **l == **n.language.get_ref())
                .unwrap_or_else(|| {
                    self.error(
                        n.language.span(),
                        format!("language {:?} is not one of the script's languages", n.language.get_ref()),
                        "add it to `languages` in [script] (and record its prompts) or pick a listed one",
                    );
                    0
                });
            let k = NodeKind::SetLanguage {
                language,
                next: self.target(&n.next),
            };
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
            if let Some(q) = &n.queue {
                self.check_queue(q);
            }
            let k = NodeKind::Callback {
                number_var: n.number_var.clone().unwrap_or_else(|| "caller".into()),
                queue: n.queue.as_ref().map(|q| q.get_ref().clone()),
                next: self.target(&n.next),
            };
            push(self, &n.id, k);
        }
        for n in &raw.transfer {
            if !self
                .ctx
                .environment
                .destinations
                .contains(n.destination.get_ref())
            {
                let known: Vec<&str> = self
                    .ctx
                    .environment
                    .destinations
                    .iter()
                    .map(String::as_str)
                    .collect();
                self.error(
                    n.destination.span(),
                    format!("transfer destination {:?} is not defined in the configuration", n.destination.get_ref()),
                    format!("define it under the configuration's transfer destinations, or use one of {known:?}"),
                );
            }
            let k = NodeKind::Transfer {
                destination: n.destination.get_ref().clone(),
            };
            push(self, &n.id, k);
        }
        for n in &raw.survey {
            let line = self.line(n.id.span());
            let what = format!("survey {:?}", n.id.get_ref());
            let retry = self.retry(
                line,
                &what,
                n.timeout_ms,
                None,
                n.retries,
                &n.invalid_prompt,
                &n.timeout_prompt,
            );
            let k = NodeKind::Survey {
                prompts: self.prompts(&n.prompts),
                retry,
                next: self.target(&n.next),
            };
            push(self, &n.id, k);
        }
        for n in &raw.hangup {
            let k = NodeKind::Hangup {
                prompts: self.prompts(&n.prompts),
                reason: n.reason.clone().unwrap_or_else(|| "ivr_hangup".into()),
            };
            push(self, &n.id, k);
        }
        for n in &raw.goto {
            let k = NodeKind::Goto {
                target: self.target(&n.target),
            };
            push(self, &n.id, k);
        }
        for n in &raw.submenu {
            let k = NodeKind::Submenu {
                target: self.target(&n.target),
                return_to: self.target(&n.return_to),
            };
            push(self, &n.id, k);
        }
        for n in &raw.back {
            let k = NodeKind::Back {
                fallback: self.target(&n.fallback),
            };
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

    fn check_queue(&mut self, q: &Spanned<String>) {
        if !self.ctx.environment.queues.contains(q.get_ref()) {
            let known: Vec<&str> = self
                .ctx
                .environment
                .queues
                .iter()
                .map(String::as_str)
                .collect();
            self.error(
                q.span(),
                format!(
                    "queue {:?} is not defined in the configuration",
                    q.get_ref()
                ),
                format!("define the queue in the ACD configuration, or use one of {known:?}"),
            );
        }
    }

    fn build_play(&mut self, n: &RawPlay) -> NodeKind {
        let mut prompts = Vec::new();
        let mut has_template = false;
        for p in &n.prompts {
            let text = p.get_ref();
            if let Some(open) = text.find('{') {
                has_template = true;
                let close = text[open..].find('}').map(|c| open + c);
                match close {
                    Some(close) if !text[close + 1..].contains('{') => {
                        let prefix = &text[..open];
                        let suffix = &text[close + 1..];
                        let var = &text[open + 1..close];
                        let plain = |s: &str| {
                            s.chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                        };
                        if plain(prefix)
                            && plain(suffix)
                            && !var.is_empty()
                            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        {
                            prompts.push(PromptSpec::Template {
                                prefix: prefix.to_owned(),
                                var: var.to_owned(),
                                suffix: suffix.to_owned(),
                            });
                            continue;
                        }
                        self.error(p.span(), format!("prompt template {text:?} is not of the form name_{{variable}}"), "write e.g. \"status_{case_status}\": plain name parts and one variable");
                    }
                    _ => self.error(
                        p.span(),
                        format!("prompt template {text:?} must contain exactly one {{variable}}"),
                        "write e.g. \"status_{case_status}\"",
                    ),
                }
            } else {
                let files = self.prompt(p);
                prompts.push(PromptSpec::Fixed(files));
            }
        }
        if n.prompts.is_empty() {
            self.error(
                n.id.span(),
                format!("play {:?} has no prompts", n.id.get_ref()),
                "list at least one prompt: prompts = [\"welcome\"]",
            );
        }
        let fallback = self.opt_prompt(&n.fallback_prompt);
        if has_template && fallback.is_none() {
            let line = self.line(n.id.span());
            self.warn(
                line,
                format!("play {:?} builds a prompt name from a variable but has no fallback_prompt: an unexpected value plays nothing", n.id.get_ref()),
                "add fallback_prompt = \"...\"",
            );
        }
        NodeKind::Play {
            prompts,
            fallback,
            barge_in: n.barge_in,
            next: self.target(&n.next),
        }
    }

    fn build_menu(&mut self, n: &RawMenu) -> NodeKind {
        let line = self.line(n.id.span());
        let what = format!("menu {:?}", n.id.get_ref());
        let mut keys = Vec::new();
        for (k, target) in n.keys.get_ref() {
            if k.is_empty()
                || !k
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '*' || c == '#')
            {
                self.error(
                    target.span(),
                    format!("{what}: key {k:?} cannot be pressed on a phone"),
                    "use digits, * and # only",
                );
                continue;
            }
            let t = self.target(target);
            keys.push(MenuKey {
                keys: k.clone(),
                target: t,
            });
        }
        if keys.is_empty() && n.keys.get_ref().is_empty() {
            self.error(
                n.keys.span(),
                format!("{what} has no keys"),
                "add keys = { \"1\" = \"some_node\" }",
            );
        }
        for a in &keys {
            for b in &keys {
                if a.keys != b.keys && b.keys.starts_with(&a.keys) {
                    self.warn(
                        line,
                        format!("{what}: key {:?} is the start of key {:?}, so pressing {:?} waits for the inter-digit timeout", a.keys, b.keys, a.keys),
                        "avoid keys that begin with another key unless the wait is intended",
                    );
                }
            }
        }
        let retry = self.retry(
            line,
            &what,
            n.timeout_ms,
            n.inter_digit_timeout_ms,
            n.retries,
            &n.invalid_prompt,
            &n.timeout_prompt,
        );
        let after_retries = match &n.after_retries {
            Some(t) => self.target(t),
            None => {
                self.error(
                    n.id.span(),
                    format!("{what} does not say what happens after the last retry"),
                    "add after_retries = \"<node>\" (usually an agent queue or a polite hang-up)",
                );
                UNRESOLVED
            }
        };
        NodeKind::Menu {
            prompts: self.prompts(&n.prompts),
            keys,
            retry,
            after_retries,
        }
    }

    fn build_collect(&mut self, n: &RawCollect) -> NodeKind {
        let line = self.line(n.id.span());
        let what = format!("collect {:?}", n.id.get_ref());
        let max_len = *n.max_len.get_ref();
        let min_len = n.min_len.unwrap_or(1);
        if max_len == 0 || min_len > max_len || max_len > 64 {
            self.error(
                n.max_len.span(),
                format!("{what}: lengths min {min_len} / max {max_len} are not possible"),
                "use 1 <= min_len <= max_len <= 64",
            );
        }
        let terminator = match &n.terminator {
            None => Some('#'),
            Some(t) if t.get_ref().is_empty() => None,
            Some(t) => {
                let mut chars = t.get_ref().chars();
                match (chars.next(), chars.next()) {
                    (Some(c @ ('#' | '*')), None) => Some(c),
                    _ => {
                        self.error(
                            t.span(),
                            format!("{what}: terminator {:?} is not # or *", t.get_ref()),
                            "use terminator = \"#\" (or \"\" for none)",
                        );
                        None
                    }
                }
            }
        };
        let validation = match (n.validate, &n.pattern) {
            (Some(_), Some(p)) => {
                self.error(
                    p.span(),
                    format!("{what} has both `validate` and `pattern`"),
                    "keep one of them",
                );
                Validation::None
            }
            (Some(RawValidation::ResidentId), None) => {
                if max_len < 18 {
                    self.error(
                        n.max_len.span(),
                        format!("{what}: a resident ID has 18 characters but max_len is {max_len}"),
                        "set max_len = 18",
                    );
                }
                Validation::ResidentId
            }
            (Some(RawValidation::CaseRef), None) => {
                if max_len < hotline_types::CaseRef::LEN {
                    self.error(
                        n.max_len.span(),
                        format!("{what}: a case reference has 12 digits but max_len is {max_len}"),
                        "set max_len = 12",
                    );
                }
                Validation::CaseRef
            }
            (None, Some(p)) => {
                // Anchored so that the pattern must match everything entered.
                match regex::Regex::new(&format!("^(?:{})$", p.get_ref())) {
                    Ok(r) => Validation::Pattern(r),
                    Err(e) => {
                        self.error(
                            p.span(),
                            format!("{what}: pattern does not compile: {e}"),
                            "write a regular expression over digits, e.g. \"1[3-9][0-9]{9}\"",
                        );
                        Validation::None
                    }
                }
            }
            (None, None) => Validation::None,
        };
        if terminator.is_some()
            && matches!(validation, Validation::ResidentId)
            && terminator == Some('*')
        {
            self.error(
                line_span(self.text, line),
                format!("{what}: * is the X of a resident ID and cannot also end the input"),
                "use terminator = \"#\"",
            );
        }
        let retry = self.retry(
            line,
            &what,
            n.timeout_ms,
            n.inter_digit_timeout_ms,
            n.retries,
            &n.invalid_prompt,
            &n.timeout_prompt,
        );
        let after_retries = match &n.after_retries {
            Some(t) => self.target(t),
            None => {
                self.error(
                    n.id.span(),
                    format!("{what} does not say what happens after the last retry"),
                    "add after_retries = \"<node>\"",
                );
                UNRESOLVED
            }
        };
        NodeKind::Collect {
            prompts: self.prompts(&n.prompts),
            var: self.var_name(&n.var),
            min_len,
            max_len,
            terminator,
            mask: n.mask || matches!(validation, Validation::ResidentId),
            validation,
            retry,
            next: self.target(&n.next),
            after_retries,
        }
    }

    fn build_say(&mut self, n: &RawSay) -> NodeKind {
        let source = match (&n.var, &n.value) {
            (Some(v), None) => SaySource::Var(v.clone()),
            (None, Some(v)) => SaySource::Literal(v.clone()),
            _ => {
                self.error(
                    n.id.span(),
                    format!(
                        "say {:?} needs exactly one of `var` and `value`",
                        n.id.get_ref()
                    ),
                    "write var = \"case_ref\" to say a variable, or value = \"12345\"",
                );
                SaySource::Literal(String::new())
            }
        };
        let format = match n.format {
            RawSayFormat::Digits => SayFormat::Digits,
            RawSayFormat::Number => SayFormat::Number,
            RawSayFormat::Date => SayFormat::Date,
            RawSayFormat::CaseRef => SayFormat::CaseRef,
        };
        NodeKind::Say {
            format,
            source,
            next: self.target(&n.next),
        }
    }

    fn build_branch(&mut self, n: &RawBranch) -> NodeKind {
        let mut when = Vec::new();
        for w in &n.when {
            let conditions = [
                w.equals.clone().map(Condition::Equals),
                w.not_equals.clone().map(Condition::NotEquals),
                w.one_of.clone().map(Condition::OneOf),
                w.is_set.map(Condition::IsSet),
            ];
            let mut given: Vec<Condition> = conditions.into_iter().flatten().collect();
            if given.len() != 1 {
                self.error(
                    w.next.span(),
                    format!(
                        "a `when` of branch {:?} has {} conditions",
                        n.id.get_ref(),
                        given.len()
                    ),
                    "give exactly one of equals, not_equals, one_of, is_set",
                );
            }
            let target = self.target(&w.next);
            if let Some(condition) = given.pop() {
                when.push(When {
                    var: w.var.clone(),
                    condition,
                    target,
                });
            }
        }
        NodeKind::Branch {
            when,
            otherwise: self.target(&n.otherwise),
        }
    }

    fn build_schedule(&mut self, n: &RawSchedule) -> NodeKind {
        let what = format!("schedule {:?}", n.id.get_ref());
        let timezone = match jiff::tz::TimeZone::get(n.timezone.get_ref()) {
            Ok(tz) => tz,
            Err(_) => {
                self.error(
                    n.timezone.span(),
                    format!("{what}: unknown time zone {:?}", n.timezone.get_ref()),
                    "use an IANA name such as \"Asia/Shanghai\" or \"America/New_York\"",
                );
                jiff::tz::TimeZone::UTC
            }
        };
        let mut weekly: [Vec<OpenRange>; 7] = Default::default();
        let h = &n.hours;
        for (i, list) in [&h.mon, &h.tue, &h.wed, &h.thu, &h.fri, &h.sat, &h.sun]
            .into_iter()
            .enumerate()
        {
            for r in list {
                match parse_range(r.get_ref()) {
                    Ok(range) => weekly[i].push(range),
                    Err(e) => self.error(
                        r.span(),
                        format!("{what}: {e}"),
                        "write opening hours as \"08:30-12:00\"",
                    ),
                }
            }
        }
        let mut days = std::collections::BTreeMap::new();
        if let Some(path) = &n.holidays {
            match &self.ctx.base_dir {
                None => self.error(
                    path.span(),
                    format!("{what}: a holiday calendar needs the script's directory"),
                    "load the script from its directory (ScriptSet::load or check)",
                ),
                Some(base) => {
                    let file = base.join(path.get_ref());
                    match std::fs::read_to_string(&file) {
                        Ok(text) => {
                            let (parsed, problems) = parse_calendar(&file, &text);
                            self.problems.extend(problems);
                            days = parsed;
                        }
                        Err(e) => self.error(
                            path.span(),
                            format!("{what}: cannot read calendar {}: {e}", file.display()),
                            "check the path; it is relative to the scripts directory",
                        ),
                    }
                }
            }
        }
        if weekly.iter().all(Vec::is_empty) {
            let line = self.line(n.id.span());
            self.warn(
                line,
                format!("{what} has no opening hours: it is always closed"),
                "add hours, e.g. mon = [\"08:30-17:30\"]",
            );
        }
        let closed = self.target(&n.closed);
        NodeKind::Schedule {
            schedule: Box::new(Schedule {
                timezone,
                timezone_name: n.timezone.get_ref().clone(),
                weekly,
                days,
            }),
            open: self.target(&n.open),
            closed,
            holiday: n.holiday.as_ref().map_or(closed, |t| self.target(t)),
        }
    }

    fn build_lookup(&mut self, n: &RawLookup) -> NodeKind {
        let kind = match n.what {
            RawLookupKind::CitizenByCaller => LookupKind::CitizenByCaller,
            RawLookupKind::CitizenById => LookupKind::CitizenById,
            RawLookupKind::CaseStatus => LookupKind::CaseStatus,
        };
        let key_var = match (&n.key_var, kind) {
            (None, LookupKind::CitizenById | LookupKind::CaseStatus) => {
                self.error(
                    n.id.span(),
                    format!(
                        "lookup {:?} needs key_var: the variable holding what the caller entered",
                        n.id.get_ref()
                    ),
                    "add key_var = \"<variable set by a collect node>\"",
                );
                None
            }
            (Some(v), _) => Some(self.var_name(v)),
            (None, LookupKind::CitizenByCaller) => None,
        };
        let not_found = self.target(&n.not_found);
        NodeKind::Lookup {
            kind,
            key_var,
            timeout_ms: n.timeout_ms.unwrap_or(DEFAULT_LOOKUP_TIMEOUT_MS),
            found: self.target(&n.found),
            not_found,
            failed: n.failed.as_ref().map_or(not_found, |t| self.target(t)),
        }
    }

    fn build_queue(&mut self, n: &RawQueue) -> NodeKind {
        self.check_queue(&n.queue);
        NodeKind::Queue {
            queue: n.queue.get_ref().clone(),
            priority: n.priority,
            skills: n.skills.clone(),
            overflow: self.target(&n.overflow),
            after_agent: n.after_agent.as_ref().map(|t| self.target(t)),
        }
    }

    fn build_voicemail(&mut self, n: &RawVoicemail) -> NodeKind {
        let max_ms = n.max_ms.unwrap_or(DEFAULT_VOICEMAIL_MAX_MS);
        let min_ms = n.min_ms.unwrap_or(DEFAULT_VOICEMAIL_MIN_MS);
        if max_ms == 0 || min_ms >= max_ms {
            self.error(
                n.id.span(),
                format!(
                    "voicemail {:?}: min_ms {min_ms} / max_ms {max_ms} leave no room for a message",
                    n.id.get_ref()
                ),
                "use e.g. min_ms = 1000, max_ms = 120000",
            );
        }
        let next = self.target(&n.next);
        NodeKind::Voicemail {
            prompts: self.prompts(&n.prompts),
            max_ms,
            min_ms,
            next,
            empty: n.empty.as_ref().map_or(next, |t| self.target(t)),
        }
    }

    /// Unreachable nodes, dead ends that never reach a person or a hang-up,
    /// and loops of instant nodes that would spin without waiting for anyone.
    fn check_graph(&mut self, nodes: &[Node], start: NodeIndex) {
        let n = nodes.len();
        let edges: Vec<Vec<NodeIndex>> = nodes
            .iter()
            .map(|node| node.kind.edges().into_iter().map(|(_, t)| t).collect())
            .collect();
        // A `back` returns to whatever a submenu pushed: any return_to.
        let returns: Vec<NodeIndex> = nodes
            .iter()
            .filter_map(|node| match node.kind {
                NodeKind::Submenu { return_to, .. } => Some(return_to),
                _ => None,
            })
            .collect();
        let out = |i: NodeIndex| -> Vec<NodeIndex> {
            let mut v = edges[i].clone();
            if matches!(nodes[i].kind, NodeKind::Back { .. }) {
                v.extend(&returns);
            }
            v
        };
        let mut reachable = vec![false; n];
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut reachable[i], true) {
                continue;
            }
            stack.extend(out(i));
        }
        for (i, node) in nodes.iter().enumerate() {
            if !reachable[i] {
                self.warn(
                    node.line,
                    format!(
                        "node {:?} can never be reached from the start node",
                        node.id
                    ),
                    "link it from a menu key or another node, or remove it",
                );
            }
        }
        // Reverse reachability from terminals.
        let mut reverse: Vec<Vec<NodeIndex>> = vec![Vec::new(); n];
        for i in 0..n {
            for t in out(i) {
                reverse[t].push(i);
            }
        }
        let mut ends = vec![false; n];
        let mut stack: Vec<NodeIndex> = (0..n).filter(|&i| nodes[i].kind.is_terminal()).collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut ends[i], true) {
                continue;
            }
            stack.extend(reverse[i].iter().copied());
        }
        for (i, node) in nodes.iter().enumerate() {
            if reachable[i] && !ends[i] {
                self.problem_at(
                    Severity::Error,
                    node.line,
                    format!(
                        "from node {:?} the caller can never reach a person or a hang-up",
                        node.id
                    ),
                    "add a path to a queue, a transfer or a hangup node (e.g. after_retries)",
                );
            }
        }
        // Cycles made only of instant nodes: the engine would spin forever.
        let mut color = vec![0u8; n];
        for s in 0..n {
            if color[s] != 0 || !nodes[s].kind.is_instant() {
                continue;
            }
            let mut stack = vec![(s, 0usize)];
            color[s] = 1;
            while let Some((i, k)) = stack.pop() {
                let next = out(i);
                if k < next.len() {
                    stack.push((i, k + 1));
                    let t = next[k];
                    if !nodes[t].kind.is_instant() {
                        continue;
                    }
                    if color[t] == 1 {
                        self.problem_at(Severity::Error, nodes[t].line, format!("node {:?} is on a loop that never plays a prompt or waits for the caller", nodes[t].id), "put a play, menu or hangup node in the loop");
                    } else if color[t] == 0 {
                        color[t] = 1;
                        stack.push((t, 0));
                    }
                } else {
                    color[i] = 2;
                }
            }
        }
    }
}

/// Variables the engine sets by itself.
const BUILTIN_VARIABLES: &[&str] = &[
    "caller",
    "called",
    "language",
    "callback",
    "case_ref",
    crate::engine::QUEUE_OVERFLOW_VAR,
];

/// `{name}` placeholders in a text.
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        out.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    out
}

impl Compiler<'_> {
    /// Warns about variables that are read but that nothing sets: almost
    /// always a misspelling, and the caller would silently get the fallback.
    fn check_variables(&mut self, nodes: &[Node]) {
        let mut set: HashSet<&str> = BUILTIN_VARIABLES.iter().copied().collect();
        let mut has_lookup = false;
        for node in nodes {
            match &node.kind {
                NodeKind::Collect { var, .. } | NodeKind::Set { var, .. } => {
                    set.insert(var);
                }
                NodeKind::Lookup { .. } => has_lookup = true,
                _ => {}
            }
        }
        for node in nodes {
            let mut read: Vec<&str> = Vec::new();
            match &node.kind {
                NodeKind::Play { prompts, .. } => {
                    for p in prompts {
                        if let PromptSpec::Template { var, .. } = p {
                            read.push(var);
                        }
                    }
                }
                NodeKind::Say {
                    source: SaySource::Var(v),
                    ..
                } => read.push(v),
                NodeKind::Branch { when, .. } => read.extend(when.iter().map(|w| w.var.as_str())),
                NodeKind::Lookup {
                    key_var: Some(v), ..
                } => read.push(v),
                NodeKind::Set { value, .. } => read.extend(placeholders(value)),
                NodeKind::Queue { skills, .. } => {
                    read.extend(skills.iter().flat_map(|s| placeholders(s)));
                }
                NodeKind::Callback { number_var, .. } => read.push(number_var),
                _ => {}
            }
            for var in read {
                // Lookup answers set case_* and citizen_* fields.
                let from_lookup =
                    has_lookup && (var.starts_with("case_") || var.starts_with("citizen_"));
                if !set.contains(var) && !from_lookup {
                    self.warn(
                        node.line,
                        format!(
                            "node {:?} reads variable {var:?}, which nothing sets",
                            node.id
                        ),
                        "check the spelling, or set it with a collect, set or lookup node",
                    );
                }
            }
        }
    }
}

fn line_span(text: &str, line: u32) -> Range<usize> {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line as usize {
            return offset..offset;
        }
        offset += l.len();
    }
    0..0
}

/// Parses a holiday calendar; problems name the calendar file.
pub(crate) fn parse_calendar(
    file: &Path,
    text: &str,
) -> (
    std::collections::BTreeMap<jiff::civil::Date, DayOverride>,
    Vec<Problem>,
) {
    let mut problems = Vec::new();
    let mut days = std::collections::BTreeMap::new();
    let raw: RawCalendar = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let message = syntax_message(&e);
            problems.push(Problem {
                severity: Severity::Error,
                file: file.to_path_buf(),
                line: e.span().map_or(0, |s| line_of(text, s.start)),
                fix: syntax_fix(&message),
                message,
            });
            return (days, problems);
        }
    };
    let date_of = |d: &Spanned<toml::value::Datetime>, problems: &mut Vec<Problem>| {
        let v = d.get_ref();
        let parsed = match (v.date, v.time, v.offset) {
            (Some(date), None, None) => jiff::civil::Date::new(
                i16::try_from(date.year).unwrap_or(i16::MAX),
                i8::try_from(date.month).unwrap_or(0),
                i8::try_from(date.day).unwrap_or(0),
            )
            .ok(),
            _ => None,
        };
        if parsed.is_none() {
            problems.push(Problem {
                severity: Severity::Error,
                file: file.to_path_buf(),
                line: line_of(text, d.span().start),
                message: format!("{v} is not a calendar date"),
                fix: "write a plain date without quotes: date = 2026-10-01".into(),
            });
        }
        parsed
    };
    for h in &raw.holiday {
        if let Some(date) = date_of(&h.date, &mut problems) {
            days.insert(
                date,
                DayOverride::Holiday {
                    name: h.name.clone(),
                },
            );
        }
    }
    for w in &raw.workday {
        let Some(date) = date_of(&w.date, &mut problems) else {
            continue;
        };
        match parse_weekday(w.hours_like.get_ref()) {
            Some(hours_like) => {
                if days
                    .insert(
                        date,
                        DayOverride::Workday {
                            name: w.name.clone(),
                            hours_like,
                        },
                    )
                    .is_some()
                {
                    problems.push(Problem {
                        severity: Severity::Error,
                        file: file.to_path_buf(),
                        line: line_of(text, w.date.span().start),
                        message: format!("{date} is both a holiday and a workday"),
                        fix: "keep one of the two entries".into(),
                    });
                }
            }
            None => problems.push(Problem {
                severity: Severity::Error,
                file: file.to_path_buf(),
                line: line_of(text, w.hours_like.span().start),
                message: format!("hours_like {:?} is not a weekday", w.hours_like.get_ref()),
                fix: "use mon, tue, wed, thu, fri, sat or sun".into(),
            }),
        }
    }
    (days, problems)
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
