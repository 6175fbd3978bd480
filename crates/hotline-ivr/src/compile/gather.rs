//! What menus, collects and surveys share: how long to wait for keys, how
//! many retries, and the prompts that say why a retry happens.

use toml::Spanned;

use crate::error::Severity;
use crate::script::Retry;

use super::{Compiler, DEFAULT_INTER_DIGIT_MS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS};

impl Compiler<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn retry(
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
}
