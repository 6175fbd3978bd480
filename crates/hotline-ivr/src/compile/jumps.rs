//! `[[goto]]`, `[[submenu]]` and `[[back]]`: their targets. That a `back`
//! can return to every submenu's `return_to` is part of the graph checks
//! (`checks.rs`).

use crate::raw::{RawBack, RawGoto, RawSubmenu};
use crate::script::NodeKind;

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_goto(&mut self, n: &RawGoto) -> NodeKind {
        NodeKind::Goto {
            target: self.target(&n.target),
        }
    }

    pub(super) fn build_submenu(&mut self, n: &RawSubmenu) -> NodeKind {
        NodeKind::Submenu {
            target: self.target(&n.target),
            return_to: self.target(&n.return_to),
        }
    }

    pub(super) fn build_back(&mut self, n: &RawBack) -> NodeKind {
        NodeKind::Back {
            fallback: self.target(&n.fallback),
        }
    }
}
