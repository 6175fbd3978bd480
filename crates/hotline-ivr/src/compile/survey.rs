//! `[[survey]]`: the post-call question (one key, 1 to 5) and its
//! timeout and retries.

use crate::raw::RawSurvey;
use crate::script::NodeKind;

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_survey(&mut self, n: &RawSurvey) -> NodeKind {
        let line = self.line(n.id.span());
        let what = format!("survey {:?}", n.id.get_ref());
        let retry = self.retry(
            line,
            &what,
            n.timeout_ms,
            None,
            n.retries,
            &n.invalid_prompt,
            &n.timeout_prompt,
        );
        NodeKind::Survey {
            prompts: self.prompts(&n.prompts),
            retry,
            next: self.target(&n.next),
        }
    }
}
