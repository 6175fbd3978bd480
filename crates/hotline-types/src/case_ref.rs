//! Case reference numbers that a citizen can read out or type on a keypad.
//!
//! Format: `YYMMDD` (the day the case was opened), a five-digit sequence of
//! that day, and one Damm check digit: twelve digits, written in groups as
//! `261122-00017-4`. Digits only, because citizens enter them with DTMF; the
//! Damm algorithm catches every single wrong digit and every swap of two
//! neighbouring digits, the two mistakes people make reading numbers aloud.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The Damm quasigroup of order 10 (weakly totally anti-symmetric).
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

fn damm_digit(digits: &[u8]) -> u8 {
    digits
        .iter()
        .fold(0u8, |interim, d| DAMM[interim as usize][*d as usize])
}

/// A validated case reference: twelve digits whose last one checks the rest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseRef(String);

/// Why a string is not a case reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaseRefError {
    #[error("a case reference has {expected} digits, this one has {len}")]
    WrongLength { expected: usize, len: usize },
    #[error("a case reference has digits only, found {found:?}")]
    NotADigit { found: char },
    #[error("the check digit does not match: a digit was misread or two were swapped")]
    CheckDigit,
    #[error("the sequence number {seq} does not fit in five digits")]
    SequenceTooLarge { seq: u32 },
    #[error("the date {year:04}-{month:02}-{day:02} cannot be written as YYMMDD")]
    BadDate { year: i32, month: u32, day: u32 },
}

impl CaseRef {
    /// Number of digits, check digit included.
    pub const LEN: usize = 12;

    /// The reference for the `seq`-th case opened on the given day.
    pub fn new(year: i32, month: u32, day: u32, seq: u32) -> Result<Self, CaseRefError> {
        if !(2000..2100).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(CaseRefError::BadDate { year, month, day });
        }
        if seq > 99_999 {
            return Err(CaseRefError::SequenceTooLarge { seq });
        }
        let body = format!("{:02}{:02}{:02}{:05}", year - 2000, month, day, seq);
        let digits: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        let check = damm_digit(&digits);
        Ok(Self(format!("{body}{check}")))
    }

    /// Parses what a citizen typed or an agent wrote: spaces and dashes are ignored.
    pub fn parse(input: &str) -> Result<Self, CaseRefError> {
        let mut digits = String::with_capacity(Self::LEN);
        for c in input.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                other => return Err(CaseRefError::NotADigit { found: other }),
            }
        }
        if digits.len() != Self::LEN {
            return Err(CaseRefError::WrongLength {
                expected: Self::LEN,
                len: digits.len(),
            });
        }
        let values: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
        if damm_digit(&values) != 0 {
            return Err(CaseRefError::CheckDigit);
        }
        Ok(Self(digits))
    }

    /// The twelve digits, ungrouped (what is stored and what DTMF sends).
    pub fn digits(&self) -> &str {
        &self.0
    }

    /// The sequence number within its day.
    pub fn sequence(&self) -> u32 {
        // The constructor guarantees five ASCII digits at 6..11.
        self.0[6..11].parse().unwrap_or_default()
    }
}

impl fmt::Display for CaseRef {
    /// Grouped for reading aloud: `261122-00017-4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", &self.0[..6], &self.0[6..11], &self.0[11..])
    }
}

impl FromStr for CaseRef {
    type Err = CaseRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for CaseRef {
    type Error = CaseRefError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// Twelve digits as answers write them; a request may group them with
/// spaces and dashes (`261122-00017-4`), as [`CaseRef::parse`] reads them.
impl schemars::JsonSchema for CaseRef {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CaseRef".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[ -]*([0-9][ -]*){12}$",
            "description": "A case reference: twelve digits, the last a Damm check digit (261122000174); requests may group them with spaces or dashes (261122-00017-4).",
        })
    }
}

impl From<CaseRef> for String {
    fn from(value: CaseRef) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_damm_example() {
        // The textbook example: 572 has check digit 4.
        assert_eq!(damm_digit(&[5, 7, 2]), 4);
        assert_eq!(damm_digit(&[5, 7, 2, 4]), 0);
    }

    #[test]
    fn builds_groups_and_parses_back() {
        let r = CaseRef::new(2026, 11, 22, 17).unwrap();
        assert_eq!(r.digits().len(), 12);
        assert!(r.to_string().starts_with("261122-00017-"));
        assert_eq!(CaseRef::parse(&r.to_string()).unwrap(), r);
        assert_eq!(r.sequence(), 17);
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        assert_eq!(
            CaseRef::parse("12345"),
            Err(CaseRefError::WrongLength {
                expected: 12,
                len: 5
            })
        );
        assert_eq!(
            CaseRef::parse("26112200017x"),
            Err(CaseRefError::NotADigit { found: 'x' })
        );
        assert!(CaseRef::new(2026, 13, 1, 1).is_err());
        assert!(CaseRef::new(2026, 1, 1, 100_000).is_err());
    }

    proptest! {
        #[test]
        fn any_single_digit_error_is_caught(seq in 0u32..100_000, pos in 0usize..12, delta in 1u8..10) {
            let r = CaseRef::new(2026, 11, 22, seq).unwrap();
            let mut bytes = r.digits().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(CaseRef::parse(&typo), Err(CaseRefError::CheckDigit));
        }

        #[test]
        fn any_adjacent_swap_is_caught(seq in 0u32..100_000, pos in 0usize..11) {
            let r = CaseRef::new(2026, 11, 22, seq).unwrap();
            let mut bytes = r.digits().as_bytes().to_vec();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert_eq!(CaseRef::parse(&typo), Err(CaseRefError::CheckDigit));
        }
    }
}
