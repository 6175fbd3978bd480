//! `[[play]]`: fixed prompts and prompts named after a variable
//! (`status_{case_status}`), which want a `fallback_prompt`.

use crate::raw::RawPlay;
use crate::script::{NodeKind, PromptSpec};

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_play(&mut self, n: &RawPlay) -> NodeKind {
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
}
