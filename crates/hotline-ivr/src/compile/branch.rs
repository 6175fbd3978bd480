//! `[[branch]]`: each `when` with exactly one condition.

use crate::raw::RawBranch;
use crate::script::{Condition, NodeKind, When};

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_branch(&mut self, n: &RawBranch) -> NodeKind {
        let mut when = Vec::new();
        for w in &n.when {
            let conditions = [
                w.equals.clone().map(Condition::Equals),
                w.not_equals.clone().map(Condition::NotEquals),
                w.one_of.clone().map(Condition::OneOf),
                w.is_set.map(Condition::IsSet),
            ];
            let mut given: Vec<Condition> = conditions.into_iter().flatten().collect();
            if given.len() != 1 {
                self.error(
                    w.next.span(),
                    format!(
                        "a `when` of branch {:?} has {} conditions",
                        n.id.get_ref(),
                        given.len()
                    ),
                    "give exactly one of equals, not_equals, one_of, is_set",
                );
            }
            let target = self.target(&w.next);
            if let Some(condition) = given.pop() {
                when.push(When {
                    var: w.var.clone(),
                    condition,
                    target,
                });
            }
        }
        NodeKind::Branch {
            when,
            otherwise: self.target(&n.otherwise),
        }
    }
}
