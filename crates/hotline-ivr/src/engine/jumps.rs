//! `[[goto]]` (go on at another node; it needs no run step of its own, see
//! `enter`), `[[submenu]]` (go to a node and remember where `back` returns)
//! and `[[back]]` (return to the last remembered node, or to `fallback`).
//! Instant: they never wait.

use crate::script::NodeIndex;

use super::Ivr;

/// Depth of the `submenu`/`back` stack; deeper pushes drop the oldest.
const MAX_STACK: usize = 32;

impl Ivr {
    pub(super) fn enter_submenu(
        &mut self,
        target: NodeIndex,
        return_to: NodeIndex,
    ) -> Option<NodeIndex> {
        if self.stack.len() == MAX_STACK {
            self.stack.remove(0);
        }
        self.stack.push(return_to);
        Some(target)
    }

    pub(super) fn enter_back(&mut self, fallback: NodeIndex) -> Option<NodeIndex> {
        Some(self.stack.pop().unwrap_or(fallback))
    }
}
