//! `[[transfer]]`: hands the call to a destination named in the
//! configuration (never a number a caller typed). The IVR is done.

use hotline_types::CallEvent;

use crate::script::NodeIndex;

use super::{Ivr, Outcome};

impl Ivr {
    pub(super) fn enter_transfer(&mut self, destination: &str) -> Option<NodeIndex> {
        self.emit(CallEvent::Transferred {
            to: destination.to_owned(),
            kind: "external".into(),
            by: None,
        });
        self.finish(Outcome::Transferred {
            destination: destination.to_owned(),
        });
        None
    }
}
