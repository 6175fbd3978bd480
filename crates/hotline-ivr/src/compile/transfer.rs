//! `[[transfer]]`: only to destinations the configuration names, never to
//! a number (no toll fraud).

use crate::raw::RawTransfer;
use crate::script::NodeKind;

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_transfer(&mut self, n: &RawTransfer) -> NodeKind {
        if !self
            .ctx
            .environment
            .destinations
            .contains(n.destination.get_ref())
        {
            let known: Vec<&str> = self
                .ctx
                .environment
                .destinations
                .iter()
                .map(String::as_str)
                .collect();
            self.error(
                n.destination.span(),
                format!("transfer destination {:?} is not defined in the configuration", n.destination.get_ref()),
                format!("define it under the configuration's transfer destinations, or use one of {known:?}"),
            );
        }
        NodeKind::Transfer {
            destination: n.destination.get_ref().clone(),
        }
    }
}
