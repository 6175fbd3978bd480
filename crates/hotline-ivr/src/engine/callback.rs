//! `[[callback]]`: registers a callback request for the caller's number
//! (or a collected one) if the dial plan allows calling it, and sets
//! `callback` to `requested`, `refused` or `no_number` for the script to
//! branch on. Instant: the IVR goes on at once.

use std::sync::Arc;

use hotline_types::{CallEvent, QueueId};

use crate::script::NodeIndex;

use super::{Action, Ivr};

/// Decides whether a number may be called back: the controller's dial plan,
/// handed in as a pure function so the engine stays sans-IO. The default
/// accepts every number.
#[derive(Clone)]
pub struct CallbackNumbers(Arc<dyn Fn(&str) -> bool + Send + Sync>);

impl CallbackNumbers {
    pub fn new(allows: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        Self(Arc::new(allows))
    }

    fn allows(&self, number: &str) -> bool {
        (self.0)(number)
    }
}

impl Default for CallbackNumbers {
    fn default() -> Self {
        Self::new(|_| true)
    }
}

impl std::fmt::Debug for CallbackNumbers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackNumbers(..)")
    }
}

impl Ivr {
    pub(super) fn enter_callback(
        &mut self,
        number_var: &str,
        queue: Option<&str>,
        next: NodeIndex,
    ) -> Option<NodeIndex> {
        let number = self.vars.get(number_var).cloned().unwrap_or_default();
        if number.is_empty() {
            // Anonymous caller: nobody to call back. Scripts branch on this.
            self.set_var("callback", "no_number".into(), "no_number".into());
        } else if !self.callback_numbers.allows(&number) {
            // A number the hotline may not dial (toll fraud: an
            // international or premium number as caller ID or typed in).
            self.emit(CallEvent::DialRefused {
                number,
                purpose: "callback".into(),
                reason: "outside_dial_plan".into(),
            });
            self.set_var("callback", "refused".into(), "refused".into());
        } else {
            let queue = queue.map(QueueId::from);
            self.emit(CallEvent::CallbackRequested {
                queue: queue.clone(),
                number: number.clone(),
            });
            self.actions
                .push_back(Action::RequestCallback { number, queue });
            self.set_var("callback", "requested".into(), "requested".into());
        }
        Some(next)
    }
}
