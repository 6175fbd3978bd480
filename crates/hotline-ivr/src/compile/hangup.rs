//! `[[hangup]]`: the goodbye prompts and the reason recorded.

use crate::raw::RawHangup;
use crate::script::NodeKind;

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_hangup(&mut self, n: &RawHangup) -> NodeKind {
        NodeKind::Hangup {
            prompts: self.prompts(&n.prompts),
            reason: n.reason.clone().unwrap_or_else(|| "ivr_hangup".into()),
        }
    }
}
