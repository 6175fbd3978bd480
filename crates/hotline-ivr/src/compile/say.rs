//! `[[say]]`: exactly one of a variable or a literal, and the format to
//! speak it in.

use crate::raw::{RawSay, RawSayFormat};
use crate::script::{NodeKind, SayFormat, SaySource};

use super::Compiler;

impl Compiler<'_> {
    pub(super) fn build_say(&mut self, n: &RawSay) -> NodeKind {
        let source = match (&n.var, &n.value) {
            (Some(v), None) => SaySource::Var(v.clone()),
            (None, Some(v)) => SaySource::Literal(v.clone()),
            _ => {
                self.error(
                    n.id.span(),
                    format!(
                        "say {:?} needs exactly one of `var` and `value`",
                        n.id.get_ref()
                    ),
                    "write var = \"case_ref\" to say a variable, or value = \"12345\"",
                );
                SaySource::Literal(String::new())
            }
        };
        let format = match n.format {
            RawSayFormat::Digits => SayFormat::Digits,
            RawSayFormat::Number => SayFormat::Number,
            RawSayFormat::Date => SayFormat::Date,
            RawSayFormat::CaseRef => SayFormat::CaseRef,
            RawSayFormat::Text => SayFormat::Text,
        };
        NodeKind::Say {
            format,
            source,
            next: self.target(&n.next),
        }
    }
}
