//! `[[say]]`: speaks a variable or a literal as digits, a number, a date,
//! a case reference or free text (for text-to-speech); with nothing
//! sayable it goes on at once.

use hotline_types::CaseRef;

use crate::script::{NodeIndex, SayFormat, SaySource};

use super::{Action, Ivr, Phase, PlaybackId, SayValue};

impl Ivr {
    pub(super) fn enter_say(
        &mut self,
        format: SayFormat,
        source: &SaySource,
        next: NodeIndex,
    ) -> Option<NodeIndex> {
        let lang = self.language;
        let text = match source {
            SaySource::Var(v) => self.vars.get(v).cloned().unwrap_or_default(),
            SaySource::Literal(s) => s.clone(),
        };
        match say_value(format, &text) {
            Some(value) => {
                let id = PlaybackId(self.new_id());
                self.actions.push_back(Action::Say {
                    id,
                    value,
                    language: self.script.languages[lang].clone(),
                });
                self.phase = Phase::Saying { playback: id, next };
                None
            }
            // Nothing sayable (variable unset or malformed): go on.
            None => Some(next),
        }
    }
}

fn say_value(format: SayFormat, text: &str) -> Option<SayValue> {
    match format {
        SayFormat::Digits => (!text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || c == '*' || c == '#' || c == 'X'))
        .then(|| SayValue::Digits(text.to_owned())),
        SayFormat::Number => text.trim().parse().ok().map(SayValue::Number),
        SayFormat::Date => {
            let d: jiff::civil::Date = text.trim().parse().ok()?;
            Some(SayValue::Date {
                year: d.year(),
                month: d.month(),
                day: d.day(),
            })
        }
        SayFormat::CaseRef => CaseRef::parse(text).ok().map(SayValue::CaseRef),
        SayFormat::Text => {
            let text = text.trim();
            (!text.is_empty()).then(|| SayValue::Text(text.to_owned()))
        }
    }
}
