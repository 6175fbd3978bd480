//! `[[collect]]`: lengths, the terminator key, and the check of what was
//! entered (a pattern, a resident ID, a case reference), which must fit
//! in `max_len`.

use std::ops::Range;

use crate::raw::{RawCollect, RawValidation};
use crate::script::{NodeKind, Validation};

use super::{Compiler, UNRESOLVED};

impl Compiler<'_> {
    pub(super) fn build_collect(&mut self, n: &RawCollect) -> NodeKind {
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
