//! `[[branch]]`: goes on at the first `when` whose condition holds for
//! its variable, or at `otherwise`. Instant: it never waits.

use crate::script::{Condition, NodeIndex, When};

use super::Ivr;

impl Ivr {
    pub(super) fn enter_branch(
        &mut self,
        when: &[When],
        otherwise: NodeIndex,
    ) -> Option<NodeIndex> {
        Some(
            when.iter()
                .find(|w| {
                    let v = self.vars.get(&w.var);
                    match &w.condition {
                        Condition::Equals(x) => v == Some(x),
                        Condition::NotEquals(x) => v != Some(x),
                        Condition::OneOf(xs) => v.is_some_and(|v| xs.contains(v)),
                        Condition::IsSet(set) => v.is_some_and(|v| !v.is_empty()) == *set,
                    }
                })
                .map_or(otherwise, |w| w.target),
        )
    }
}
