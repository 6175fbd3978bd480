//! `[[play]]`: plays its prompts, fixed ones or one named after a variable
//! (`status_{case_status}`, with a fallback when no such recording
//! exists), then goes on. With `barge_in` a key stops it and counts for the
//! next menu (see `on_digit`).

use crate::script::{NodeIndex, PromptFile, PromptSpec};

use super::{Ivr, Then};

impl Ivr {
    pub(super) fn enter_play(
        &mut self,
        prompts: &[PromptSpec],
        fallback: Option<&Vec<PromptFile>>,
        barge_in: bool,
        next: NodeIndex,
    ) -> Option<NodeIndex> {
        let files = self.resolve(prompts, fallback);
        if files.is_empty() {
            return Some(next);
        }
        self.play(files, barge_in, Then::Next(next));
        None
    }

    fn resolve(
        &self,
        prompts: &[PromptSpec],
        fallback: Option<&Vec<PromptFile>>,
    ) -> Vec<PromptFile> {
        let lang = self.language;
        let mut out = Vec::with_capacity(prompts.len());
        for p in prompts {
            match p {
                PromptSpec::Fixed(files) => out.extend(files.get(lang).cloned()),
                PromptSpec::Template {
                    prefix,
                    var,
                    suffix,
                } => {
                    let value = self.vars.get(var).map(String::as_str).unwrap_or("");
                    let name = format!("{prefix}{value}{suffix}");
                    match self.script.available_prompts[lang].get(&name) {
                        Some(file) => out.push(file.clone()),
                        None => out.extend(fallback.and_then(|f| f.get(lang)).cloned()),
                    }
                }
            }
        }
        out
    }
}
