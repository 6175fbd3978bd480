//! `[[set]]` (a variable) and `[[set_language]]` (one of the script's
//! languages).

use crate::raw::{RawSet, RawSetLanguage};
use crate::script::NodeKind;

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_set(&mut self, n: &RawSet) -> NodeKind {
        let var = self.var_name(&n.var);
        NodeKind::Set {
            var,
            value: n.value.clone(),
            next: self.target(&n.next),
        }
    }

    pub(super) fn build_set_language(&mut self, n: &RawSetLanguage) -> NodeKind {
        let language = self
            .languages
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
        NodeKind::SetLanguage {
            language,
            next: self.target(&n.next),
        }
    }
}
