//! `[[callback]]`: the variable holding the number (the caller's by
//! default) and the queue the callback joins, which must exist.

use crate::raw::RawCallback;
use crate::script::NodeKind;

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_callback(&mut self, n: &RawCallback) -> NodeKind {
        if let Some(q) = &n.queue {
            self.check_queue(q);
        }
        NodeKind::Callback {
            number_var: n.number_var.clone().unwrap_or_else(|| "caller".into()),
            queue: n.queue.as_ref().map(|q| q.get_ref().clone()),
            next: self.target(&n.next),
        }
    }
}
