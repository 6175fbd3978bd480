//! `[[menu]]`: keys that a phone can send, each leading to a node; keys
//! that begin another key (the caller waits for the inter-digit timeout);
//! what happens after the last retry.

use crate::raw::RawMenu;
use crate::script::{MenuKey, NodeKind};

use super::{Compiler, UNRESOLVED};

impl Compiler<'_> {
    pub(super) fn build_menu(&mut self, n: &RawMenu) -> NodeKind {
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
}
