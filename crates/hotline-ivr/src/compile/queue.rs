//! `[[queue]]`: a queue the ACD configuration defines (also checked for
//! the queue of a `[[callback]]`), and where overflow and the end of the
//! agent's call lead.

use toml::Spanned;

use crate::raw::RawQueue;
use crate::script::NodeKind;

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_queue(&mut self, n: &RawQueue) -> NodeKind {
        self.check_queue(&n.queue);
        NodeKind::Queue {
            queue: n.queue.get_ref().clone(),
            priority: n.priority,
            skills: n.skills.clone(),
            overflow: self.target(&n.overflow),
            after_agent: n.after_agent.as_ref().map(|t| self.target(t)),
        }
    }

    pub(super) fn check_queue(&mut self, q: &Spanned<String>) {
        if !self.ctx.environment.queues.contains(q.get_ref()) {
            let known: Vec<&str> = self
                .ctx
                .environment
                .queues
                .iter()
                .map(String::as_str)
                .collect();
            self.error(
                q.span(),
                format!(
                    "queue {:?} is not defined in the configuration",
                    q.get_ref()
                ),
                format!("define the queue in the ACD configuration, or use one of {known:?}"),
            );
        }
    }
}
