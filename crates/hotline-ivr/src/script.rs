//! The compiled, checked menu graph that the engine runs. Built only by
//! `compile`; every node target is an index that exists, every regex
//! compiles, every prompt resolves in every language.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hotline_types::ConsentPurpose;

use crate::schedule::Schedule;

/// Index of a node of a [`CompiledScript`] (see [`CompiledScript::node_index`]).
pub type NodeIndex = usize;

/// A prompt file resolved for one language, ready for the media engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptFile {
    /// The prompt's name as written in the script (`welcome`).
    pub name: Arc<str>,
    /// The language it was resolved for (`zh`).
    pub language: Arc<str>,
    /// `<prompt_dir>/<language>/<name>.wav`.
    pub path: Arc<Path>,
}

/// A prompt of a node: a fixed name, or a name built from a variable
/// (`status_{case_status}`) that is played only if that prompt exists.
#[derive(Debug, Clone)]
pub(crate) enum PromptSpec {
    /// Resolved per language index.
    Fixed(Vec<PromptFile>),
    Template {
        prefix: String,
        var: String,
        suffix: String,
    },
}

/// A key sequence of a menu and where it leads.
#[derive(Debug, Clone)]
pub(crate) struct MenuKey {
    pub keys: String,
    pub target: NodeIndex,
}

#[derive(Debug, Clone)]
pub(crate) struct Retry {
    pub timeout_ms: u64,
    pub inter_digit_timeout_ms: u64,
    pub retries: u32,
    pub invalid_prompt: Option<Vec<PromptFile>>,
    pub timeout_prompt: Option<Vec<PromptFile>>,
}

#[derive(Debug, Clone)]
pub(crate) enum Validation {
    None,
    Pattern(regex::Regex),
    ResidentId,
    CaseRef,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SayFormat {
    Digits,
    Number,
    Date,
    CaseRef,
    /// Free text, spoken by the text-to-speech engine.
    Text,
}

#[derive(Debug, Clone)]
pub(crate) enum SaySource {
    Var(String),
    Literal(String),
}

#[derive(Debug, Clone)]
pub(crate) enum Condition {
    Equals(String),
    NotEquals(String),
    OneOf(Vec<String>),
    IsSet(bool),
}

#[derive(Debug, Clone)]
pub(crate) struct When {
    pub var: String,
    pub condition: Condition,
    pub target: NodeIndex,
}

/// What a lookup node asks the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookupKind {
    /// The citizen record of the caller's number.
    CitizenByCaller,
    /// The citizen record of an entered resident ID.
    CitizenById,
    /// The status of a case by its reference number.
    CaseStatus,
}

impl LookupKind {
    /// Short name used in events and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            LookupKind::CitizenByCaller => "citizen_by_caller",
            LookupKind::CitizenById => "citizen_by_id",
            LookupKind::CaseStatus => "case_status",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Play {
        prompts: Vec<PromptSpec>,
        fallback: Option<Vec<PromptFile>>,
        barge_in: bool,
        next: NodeIndex,
    },
    Menu {
        prompts: Vec<Vec<PromptFile>>,
        keys: Vec<MenuKey>,
        retry: Retry,
        after_retries: NodeIndex,
    },
    Collect {
        prompts: Vec<Vec<PromptFile>>,
        var: String,
        min_len: usize,
        max_len: usize,
        terminator: Option<char>,
        validation: Validation,
        mask: bool,
        retry: Retry,
        next: NodeIndex,
        after_retries: NodeIndex,
    },
    Say {
        format: SayFormat,
        source: SaySource,
        next: NodeIndex,
    },
    Branch {
        when: Vec<When>,
        otherwise: NodeIndex,
    },
    Schedule {
        schedule: Box<Schedule>,
        open: NodeIndex,
        closed: NodeIndex,
        holiday: NodeIndex,
    },
    Lookup {
        kind: LookupKind,
        key_var: Option<String>,
        timeout_ms: u64,
        found: NodeIndex,
        not_found: NodeIndex,
        failed: NodeIndex,
    },
    Set {
        var: String,
        value: String,
        next: NodeIndex,
    },
    SetLanguage {
        language: usize,
        next: NodeIndex,
    },
    Queue {
        queue: String,
        priority: u8,
        skills: Vec<String>,
        overflow: NodeIndex,
        after_agent: Option<NodeIndex>,
    },
    Voicemail {
        prompts: Vec<Vec<PromptFile>>,
        max_ms: u64,
        min_ms: u64,
        next: NodeIndex,
        empty: NodeIndex,
        /// The message becomes a work order of this catalogue category,
        /// dispatched at once; without one it waits at the hotline.
        category: Option<String>,
    },
    Callback {
        number_var: String,
        queue: Option<String>,
        next: NodeIndex,
    },
    Transfer {
        destination: String,
    },
    Survey {
        prompts: Vec<Vec<PromptFile>>,
        retry: Retry,
        next: NodeIndex,
    },
    Consent {
        purpose: ConsentPurpose,
        prompts: Vec<Vec<PromptFile>>,
        decline_key: char,
        timeout_ms: u64,
        next: NodeIndex,
    },
    Hangup {
        prompts: Vec<Vec<PromptFile>>,
        reason: String,
    },
    Goto {
        target: NodeIndex,
    },
    Submenu {
        target: NodeIndex,
        return_to: NodeIndex,
    },
    Back {
        fallback: NodeIndex,
    },
}

impl NodeKind {
    /// The kind's name as written in scripts (`[[menu]]`).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            NodeKind::Play { .. } => "play",
            NodeKind::Menu { .. } => "menu",
            NodeKind::Collect { .. } => "collect",
            NodeKind::Say { .. } => "say",
            NodeKind::Branch { .. } => "branch",
            NodeKind::Schedule { .. } => "schedule",
            NodeKind::Lookup { .. } => "lookup",
            NodeKind::Set { .. } => "set",
            NodeKind::SetLanguage { .. } => "set_language",
            NodeKind::Queue { .. } => "queue",
            NodeKind::Voicemail { .. } => "voicemail",
            NodeKind::Callback { .. } => "callback",
            NodeKind::Transfer { .. } => "transfer",
            NodeKind::Survey { .. } => "survey",
            NodeKind::Consent { .. } => "consent",
            NodeKind::Hangup { .. } => "hangup",
            NodeKind::Goto { .. } => "goto",
            NodeKind::Submenu { .. } => "submenu",
            NodeKind::Back { .. } => "back",
        }
    }

    /// Every node this one can lead to, with a label for graphs.
    pub(crate) fn edges(&self) -> Vec<(String, NodeIndex)> {
        let mut out = Vec::new();
        let mut add = |label: &str, n: NodeIndex| out.push((label.to_owned(), n));
        match self {
            NodeKind::Play { next, .. }
            | NodeKind::Say { next, .. }
            | NodeKind::Set { next, .. }
            | NodeKind::SetLanguage { next, .. }
            | NodeKind::Callback { next, .. }
            | NodeKind::Survey { next, .. } => add("", *next),
            // Granted or declined, the caller goes on the same way: only
            // what the hotline may do with the call changes.
            NodeKind::Consent { next, .. } => add("", *next),
            NodeKind::Menu {
                keys,
                after_retries,
                ..
            } => {
                for k in keys {
                    add(&k.keys, k.target);
                }
                add("retries", *after_retries);
            }
            NodeKind::Collect {
                next,
                after_retries,
                ..
            } => {
                add("ok", *next);
                add("retries", *after_retries);
            }
            NodeKind::Branch { when, otherwise } => {
                for w in when {
                    add(&w.var, w.target);
                }
                add("else", *otherwise);
            }
            NodeKind::Schedule {
                open,
                closed,
                holiday,
                ..
            } => {
                add("open", *open);
                add("closed", *closed);
                add("holiday", *holiday);
            }
            NodeKind::Lookup {
                found,
                not_found,
                failed,
                ..
            } => {
                add("found", *found);
                add("not found", *not_found);
                add("failed", *failed);
            }
            NodeKind::Queue {
                overflow,
                after_agent,
                ..
            } => {
                add("overflow", *overflow);
                if let Some(a) = after_agent {
                    add("after agent", *a);
                }
            }
            NodeKind::Voicemail { next, empty, .. } => {
                add("recorded", *next);
                add("empty", *empty);
            }
            NodeKind::Goto { target } => add("", *target),
            NodeKind::Submenu { target, return_to } => {
                add("", *target);
                add("return", *return_to);
            }
            NodeKind::Back { fallback } => add("fallback", *fallback),
            NodeKind::Transfer { .. } | NodeKind::Hangup { .. } => {}
        }
        out
    }

    /// Nodes that hand the caller to a person or end the call.
    pub(crate) fn is_terminal(&self) -> bool {
        matches!(
            self,
            NodeKind::Queue { .. } | NodeKind::Transfer { .. } | NodeKind::Hangup { .. }
        )
    }

    /// Nodes that pass through at once, without waiting for any input.
    pub(crate) fn is_instant(&self) -> bool {
        matches!(
            self,
            NodeKind::Branch { .. }
                | NodeKind::Schedule { .. }
                | NodeKind::Set { .. }
                | NodeKind::SetLanguage { .. }
                | NodeKind::Callback { .. }
                | NodeKind::Goto { .. }
                | NodeKind::Submenu { .. }
                | NodeKind::Back { .. }
        )
    }
}

/// One node of the graph.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub id: String,
    pub line: u32,
    pub kind: NodeKind,
}

/// A checked script, shared (`Arc`) by every call that runs it.
#[derive(Debug)]
pub struct CompiledScript {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) version: u32,
    pub(crate) file: PathBuf,
    pub(crate) start: NodeIndex,
    pub(crate) languages: Vec<Arc<str>>,
    pub(crate) default_language: usize,
    pub(crate) nodes: Vec<Node>,
    pub(crate) by_id: HashMap<String, NodeIndex>,
    /// Every prompt file present per language, for `{variable}` prompts:
    /// only names found here are ever played, so a value from the store can
    /// never point the media engine at another file.
    pub(crate) available_prompts: Vec<HashMap<String, PromptFile>>,
}

impl CompiledScript {
    /// The script's name (`[script] name`), used to pick it for a number.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the script is for, if its author said.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The load generation this script came from (1 for the first load).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The file it was compiled from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Languages in the order the script lists them.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.languages.iter().map(|l| &**l)
    }

    /// Node ids in file order per kind.
    pub fn node_ids(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| n.id.as_str())
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Index of a node by id.
    pub fn node_index(&self, id: &str) -> Option<NodeIndex> {
        self.by_id.get(id).copied()
    }

    /// The opening hours of the script's `[[schedule]]` nodes, by node id,
    /// in file order (the callback list works in the first one's hours).
    pub fn schedules(&self) -> impl Iterator<Item = (&str, &Schedule)> {
        self.nodes.iter().filter_map(|n| match &n.kind {
            NodeKind::Schedule { schedule, .. } => Some((n.id.as_str(), &**schedule)),
            _ => None,
        })
    }
}
