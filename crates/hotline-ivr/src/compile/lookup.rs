//! `[[lookup]]`: what to ask the store, the variable holding the key (not
//! needed for the caller's number) and where each answer leads.

use crate::raw::{RawLookup, RawLookupKind};
use crate::script::{LookupKind, NodeKind};

use super::{Compiler, DEFAULT_LOOKUP_TIMEOUT_MS};

impl Compiler<'_> {
    pub(super) fn build_lookup(&mut self, n: &RawLookup) -> NodeKind {
        let kind = match n.what {
            RawLookupKind::CitizenByCaller => LookupKind::CitizenByCaller,
            RawLookupKind::CitizenById => LookupKind::CitizenById,
            RawLookupKind::CaseStatus => LookupKind::CaseStatus,
        };
        let key_var = match (&n.key_var, kind) {
            (None, LookupKind::CitizenById | LookupKind::CaseStatus) => {
                self.error(
                    n.id.span(),
                    format!(
                        "lookup {:?} needs key_var: the variable holding what the caller entered",
                        n.id.get_ref()
                    ),
                    "add key_var = \"<variable set by a collect node>\"",
                );
                None
            }
            (Some(v), _) => Some(self.var_name(v)),
            (None, LookupKind::CitizenByCaller) => None,
        };
        let not_found = self.target(&n.not_found);
        NodeKind::Lookup {
            kind,
            key_var,
            timeout_ms: n.timeout_ms.unwrap_or(DEFAULT_LOOKUP_TIMEOUT_MS),
            found: self.target(&n.found),
            not_found,
            failed: n.failed.as_ref().map_or(not_found, |t| self.target(t)),
        }
    }
}
