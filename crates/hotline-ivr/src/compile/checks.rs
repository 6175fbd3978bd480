//! The checks of the whole script, once every node is built: nodes nobody
//! reaches, dead ends that never reach a person or a hang-up, loops of
//! instant nodes, and variables that are read but that nothing sets.

use std::collections::HashSet;

use crate::error::Severity;
use crate::script::{Node, NodeIndex, NodeKind, PromptSpec, SaySource};

use super::Compiler;

impl Compiler<'_> {
    /// Unreachable nodes, dead ends that never reach a person or a hang-up,
    /// and loops of instant nodes that would spin without waiting for anyone.
    pub(super) fn check_graph(&mut self, nodes: &[Node], start: NodeIndex) {
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

/// Variables the engine sets by itself, or the call that starts a script
/// presets (a follow-up call: the reporter's `case_ref` and the
/// department's `case_reply`).
const BUILTIN_VARIABLES: &[&str] = &[
    "caller",
    "called",
    "language",
    "callback",
    "case_ref",
    "case_reply",
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
    pub(super) fn check_variables(&mut self, nodes: &[Node]) {
        let mut set: HashSet<&str> = BUILTIN_VARIABLES.iter().copied().collect();
        let mut has_lookup = false;
        let consent_vars: Vec<String> = nodes
            .iter()
            .filter_map(|node| match &node.kind {
                NodeKind::Consent { purpose, .. } => Some(crate::engine::consent_var(*purpose)),
                _ => None,
            })
            .collect();
        set.extend(consent_vars.iter().map(String::as_str));
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
