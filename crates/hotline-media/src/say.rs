//! Saying values from recorded pieces (like Asterisk's SayDigits/SayNumber):
//! digits, numbers, dates, times and case references, in Mandarin and English.
//!
//! Each function is pure: a value in, the list of piece names out. A piece
//! named `hundred` in language `en` is the file
//! `<prompts root>/en/say/hundred.wav` (see [`piece_path`]); the pieces are
//! made by `ivr_scripts/prompts/generate-say.sh`, and a test checks that every
//! name these functions can produce exists there.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use hotline_types::CaseRef;

use crate::MediaError;

/// A language that has say pieces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// Mandarin Chinese (`zh`).
    Zh,
    /// English (`en`).
    En,
}

impl Language {
    /// The folder name under the prompts root.
    pub fn code(self) -> &'static str {
        match self {
            Language::Zh => "zh",
            Language::En => "en",
        }
    }
}

impl FromStr for Language {
    type Err = MediaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "zh" | "cmn" | "zh-CN" => Ok(Language::Zh),
            "en" | "en-US" | "en-GB" => Ok(Language::En),
            other => Err(MediaError::UnknownLanguage {
                lang: other.to_owned(),
            }),
        }
    }
}

/// The largest number either language can say (just under 10^12).
pub const MAX_SAYABLE: u64 = 999_999_999_999;

const DIGITS: [&str; 10] = [
    "digit-0", "digit-1", "digit-2", "digit-3", "digit-4", "digit-5", "digit-6", "digit-7",
    "digit-8", "digit-9",
];
const EN_TEENS: [&str; 10] = [
    "n-10", "n-11", "n-12", "n-13", "n-14", "n-15", "n-16", "n-17", "n-18", "n-19",
];
const EN_TENS: [&str; 10] = [
    "", "", "n-20", "n-30", "n-40", "n-50", "n-60", "n-70", "n-80", "n-90",
];
const EN_MONTHS: [&str; 12] = [
    "month-1", "month-2", "month-3", "month-4", "month-5", "month-6", "month-7", "month-8",
    "month-9", "month-10", "month-11", "month-12",
];
const EN_ORDINALS: [&str; 31] = [
    "ordinal-1",
    "ordinal-2",
    "ordinal-3",
    "ordinal-4",
    "ordinal-5",
    "ordinal-6",
    "ordinal-7",
    "ordinal-8",
    "ordinal-9",
    "ordinal-10",
    "ordinal-11",
    "ordinal-12",
    "ordinal-13",
    "ordinal-14",
    "ordinal-15",
    "ordinal-16",
    "ordinal-17",
    "ordinal-18",
    "ordinal-19",
    "ordinal-20",
    "ordinal-21",
    "ordinal-22",
    "ordinal-23",
    "ordinal-24",
    "ordinal-25",
    "ordinal-26",
    "ordinal-27",
    "ordinal-28",
    "ordinal-29",
    "ordinal-30",
    "ordinal-31",
];

/// Every piece name a language can produce (what the generator must record).
pub fn all_pieces(lang: Language) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = DIGITS.to_vec();
    v.extend(["star", "pound", "pause", "letter-x", "minus"]);
    match lang {
        Language::En => {
            v.extend(EN_TEENS);
            v.extend(EN_TENS.iter().filter(|s| !s.is_empty()));
            v.extend(["hundred", "thousand", "million", "billion"]);
            v.extend(EN_MONTHS);
            v.extend(EN_ORDINALS);
            v.extend(["oh", "oclock", "am", "pm"]);
        }
        Language::Zh => {
            v.extend([
                "yao",
                "liang",
                "ten",
                "hundred",
                "thousand",
                "ten-thousand",
                "hundred-million",
                "year",
                "month",
                "day",
                "hour",
                "minute",
                "sharp",
            ]);
        }
    }
    v
}

/// Where a piece's WAV lives under the prompts root.
pub fn piece_path(prompts_root: &Path, lang: Language, piece: &str) -> PathBuf {
    prompts_root
        .join(lang.code())
        .join("say")
        .join(format!("{piece}.wav"))
}

/// Loads the prompts for a list of pieces (from the shared cache), ready for `Leg::play`.
pub fn load_pieces(
    cache: &crate::PromptCache,
    prompts_root: &Path,
    lang: Language,
    pieces: &[&str],
) -> Result<Vec<std::sync::Arc<crate::Prompt>>, MediaError> {
    pieces
        .iter()
        .map(|piece| cache.get(&piece_path(prompts_root, lang, piece)))
        .collect()
}

/// Reads a string key by key: digits, `*`, `#`, and `X` (the check character
/// of Chinese ID numbers); spaces and dashes become a short pause. In
/// Mandarin, 1 is read "yāo" as in phone numbers.
pub fn say_digits(lang: Language, text: &str) -> Result<Vec<&'static str>, MediaError> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '1' if lang == Language::Zh => out.push("yao"),
            '0'..='9' => out.push(DIGITS[(c as u8 - b'0') as usize]),
            '*' => out.push("star"),
            '#' => out.push("pound"),
            'X' | 'x' => out.push("letter-x"),
            ' ' | '-' => {
                if out.last() != Some(&"pause") {
                    out.push("pause");
                }
            }
            other => return Err(MediaError::NotADtmfKey { key: other }),
        }
    }
    Ok(out)
}

/// Reads a number as a quantity: "three hundred twenty-one", "三百二十一";
/// negative numbers start with "minus" (负).
pub fn say_number(lang: Language, value: i64) -> Result<Vec<&'static str>, MediaError> {
    let n = value.unsigned_abs();
    if n > MAX_SAYABLE {
        return Err(MediaError::NumberTooLarge {
            value,
            max: MAX_SAYABLE,
        });
    }
    let mut out = Vec::new();
    if value < 0 {
        out.push("minus");
    }
    match lang {
        Language::En => en_number(n, &mut out),
        Language::Zh => zh_number(n, &mut out),
    }
    Ok(out)
}

fn en_below_thousand(n: u64, out: &mut Vec<&'static str>) {
    let hundreds = n / 100;
    let rest = n % 100;
    if hundreds > 0 {
        out.push(DIGITS[hundreds as usize]);
        out.push("hundred");
    }
    match rest {
        0 => {}
        1..=9 => out.push(DIGITS[rest as usize]),
        10..=19 => out.push(EN_TEENS[(rest - 10) as usize]),
        _ => {
            out.push(EN_TENS[(rest / 10) as usize]);
            if rest % 10 != 0 {
                out.push(DIGITS[(rest % 10) as usize]);
            }
        }
    }
}

fn en_number(n: u64, out: &mut Vec<&'static str>) {
    if n == 0 {
        out.push(DIGITS[0]);
        return;
    }
    for (scale, word) in [
        (1_000_000_000, Some("billion")),
        (1_000_000, Some("million")),
        (1_000, Some("thousand")),
        (1, None),
    ] {
        let group = (n / scale) % 1000;
        if group > 0 {
            en_below_thousand(group, out);
            if let Some(w) = word {
                out.push(w);
            }
        }
    }
}

fn zh_number(n: u64, out: &mut Vec<&'static str>) {
    if n == 0 {
        out.push(DIGITS[0]);
        return;
    }
    const UNITS: [Option<&str>; 4] = [None, Some("ten"), Some("hundred"), Some("thousand")];
    const GROUPS: [Option<&str>; 3] = [None, Some("ten-thousand"), Some("hundred-million")];
    let top = (n.ilog10()) as usize;
    let mut zero_pending = false;
    let mut first = true;
    let mut group_has_digit = false;
    for p in (0..=top).rev() {
        let d = ((n / 10u64.pow(p as u32)) % 10) as usize;
        let unit = p % 4;
        let group = p / 4;
        if d == 0 {
            zero_pending = true;
        } else {
            if zero_pending && !first {
                out.push(DIGITS[0]);
            }
            zero_pending = false;
            let group_value = (n / 10u64.pow((group * 4) as u32)) % 10_000;
            let leading_two =
                first && d == 2 && (unit >= 2 || (unit == 0 && group > 0 && group_value == 2));
            if leading_two {
                out.push("liang");
            } else if !(first && d == 1 && unit == 1) {
                // "十五", not "一十五", when ten leads the number.
                out.push(DIGITS[d]);
            }
            if let Some(u) = UNITS[unit] {
                out.push(u);
            }
            first = false;
            group_has_digit = true;
        }
        if unit == 0 {
            if group_has_digit {
                if let Some(g) = GROUPS[group] {
                    out.push(g);
                }
            }
            group_has_digit = false;
        }
    }
}

/// Reads a calendar date: "November twenty-second, twenty twenty-six",
/// "二零二六年十一月二十二日".
pub fn say_date(
    lang: Language,
    year: u32,
    month: u32,
    day: u32,
) -> Result<Vec<&'static str>, MediaError> {
    if !(1..=12).contains(&month) {
        return Err(MediaError::ValueOutOfRange {
            what: "month",
            value: month,
        });
    }
    if !(1..=31).contains(&day) {
        return Err(MediaError::ValueOutOfRange {
            what: "day",
            value: day,
        });
    }
    if !(1000..=9999).contains(&year) {
        return Err(MediaError::ValueOutOfRange {
            what: "year",
            value: year,
        });
    }
    let mut out = Vec::new();
    match lang {
        Language::En => {
            out.push(EN_MONTHS[(month - 1) as usize]);
            out.push(EN_ORDINALS[(day - 1) as usize]);
            let (century, yy) = (year / 100, year % 100);
            if yy == 0 || (century % 10 == 0 && yy < 10) {
                // 2000 to 2009 and round centuries: "two thousand five", "nineteen hundred".
                if yy == 0 && century % 10 != 0 {
                    en_number(u64::from(century), &mut out);
                    out.push("hundred");
                } else {
                    en_number(u64::from(year), &mut out);
                }
            } else {
                en_number(u64::from(century), &mut out);
                if yy < 10 {
                    out.push("oh");
                }
                en_number(u64::from(yy), &mut out);
            }
        }
        Language::Zh => {
            for c in year.to_string().bytes() {
                out.push(DIGITS[(c - b'0') as usize]);
            }
            out.push("year");
            zh_number(u64::from(month), &mut out);
            out.push("month");
            zh_number(u64::from(day), &mut out);
            out.push("day");
        }
    }
    Ok(out)
}

/// Reads a time of day: "three twenty p.m.", "十五点二十分" (24-hour in Mandarin,
/// as official announcements read it).
pub fn say_time(lang: Language, hour: u32, minute: u32) -> Result<Vec<&'static str>, MediaError> {
    if hour > 23 {
        return Err(MediaError::ValueOutOfRange {
            what: "hour",
            value: hour,
        });
    }
    if minute > 59 {
        return Err(MediaError::ValueOutOfRange {
            what: "minute",
            value: minute,
        });
    }
    let mut out = Vec::new();
    match lang {
        Language::En => {
            let h12 = if hour % 12 == 0 { 12 } else { hour % 12 };
            en_number(u64::from(h12), &mut out);
            match minute {
                0 => out.push("oclock"),
                1..=9 => {
                    out.push("oh");
                    out.push(DIGITS[minute as usize]);
                }
                _ => en_number(u64::from(minute), &mut out),
            }
            out.push(if hour < 12 { "am" } else { "pm" });
        }
        Language::Zh => {
            zh_number(u64::from(hour), &mut out);
            out.push("hour");
            match minute {
                0 => out.push("sharp"),
                1..=9 => {
                    out.push(DIGITS[0]);
                    out.push(DIGITS[minute as usize]);
                    out.push("minute");
                }
                _ => {
                    zh_number(u64::from(minute), &mut out);
                    out.push("minute");
                }
            }
        }
    }
    Ok(out)
}

/// Reads a case reference in its three groups with a pause between them,
/// the way it is printed (`261122-00017-4`).
pub fn say_case_ref(lang: Language, case_ref: &CaseRef) -> Vec<&'static str> {
    // The grouped form has digits and dashes only, which say_digits accepts.
    say_digits(lang, &case_ref.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en(n: i64) -> String {
        say_number(Language::En, n).unwrap().join(" ")
    }
    fn zh(n: i64) -> String {
        say_number(Language::Zh, n).unwrap().join(" ")
    }

    #[test]
    fn english_numbers() {
        assert_eq!(en(0), "digit-0");
        assert_eq!(en(-12), "minus n-12");
        assert_eq!(en(7), "digit-7");
        assert_eq!(en(13), "n-13");
        assert_eq!(en(40), "n-40");
        assert_eq!(en(321), "digit-3 hundred n-20 digit-1");
        assert_eq!(en(1005), "digit-1 thousand digit-5");
        assert_eq!(en(2_000_019), "digit-2 million n-19");
        assert_eq!(
            en(MAX_SAYABLE as i64),
            "digit-9 hundred n-90 digit-9 billion digit-9 hundred n-90 digit-9 million digit-9 hundred n-90 digit-9 thousand digit-9 hundred n-90 digit-9"
        );
        assert!(say_number(Language::En, MAX_SAYABLE as i64 + 1).is_err());
    }

    #[test]
    fn mandarin_numbers_follow_the_zero_and_liang_rules() {
        assert_eq!(zh(0), "digit-0");
        assert_eq!(zh(10), "ten"); // 十
        assert_eq!(zh(15), "ten digit-5"); // 十五
        assert_eq!(zh(115), "digit-1 hundred digit-1 ten digit-5"); // 一百一十五
        assert_eq!(zh(200), "liang hundred"); // 两百
        assert_eq!(zh(22), "digit-2 ten digit-2"); // 二十二
        assert_eq!(zh(1005), "digit-1 thousand digit-0 digit-5"); // 一千零五
        assert_eq!(zh(1050), "digit-1 thousand digit-0 digit-5 ten"); // 一千零五十
        assert_eq!(zh(20_000), "liang ten-thousand"); // 两万
        assert_eq!(zh(100_500), "ten ten-thousand digit-0 digit-5 hundred"); // 十万零五百
        assert_eq!(zh(10_000_000), "digit-1 thousand ten-thousand"); // 一千万
        assert_eq!(
            zh(100_010_000),
            "digit-1 hundred-million digit-0 digit-1 ten-thousand"
        ); // 一亿零一万
        assert_eq!(zh(100_000_001), "digit-1 hundred-million digit-0 digit-1"); // 一亿零一
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(
            say_date(Language::En, 2026, 11, 22).unwrap().join(" "),
            "month-11 ordinal-22 n-20 n-20 digit-6"
        );
        assert_eq!(
            say_date(Language::En, 2005, 1, 1).unwrap().join(" "),
            "month-1 ordinal-1 digit-2 thousand digit-5"
        );
        assert_eq!(
            say_date(Language::En, 1907, 3, 9).unwrap().join(" "),
            "month-3 ordinal-9 n-19 oh digit-7"
        );
        assert_eq!(
            say_date(Language::Zh, 2026, 11, 22).unwrap().join(" "),
            "digit-2 digit-0 digit-2 digit-6 year ten digit-1 month digit-2 ten digit-2 day"
        );
        assert!(say_date(Language::Zh, 2026, 13, 1).is_err());
        assert_eq!(
            say_time(Language::En, 15, 20).unwrap().join(" "),
            "digit-3 n-20 pm"
        );
        assert_eq!(
            say_time(Language::En, 0, 5).unwrap().join(" "),
            "n-12 oh digit-5 am"
        );
        assert_eq!(
            say_time(Language::En, 9, 0).unwrap().join(" "),
            "digit-9 oclock am"
        );
        assert_eq!(
            say_time(Language::Zh, 15, 20).unwrap().join(" "),
            "ten digit-5 hour digit-2 ten minute"
        );
        assert_eq!(
            say_time(Language::Zh, 8, 0).unwrap().join(" "),
            "digit-8 hour sharp"
        );
        assert_eq!(
            say_time(Language::Zh, 8, 5).unwrap().join(" "),
            "digit-8 hour digit-0 digit-5 minute"
        );
        assert!(say_time(Language::Zh, 24, 0).is_err());
    }

    #[test]
    fn case_reference_is_read_in_groups() {
        let r = CaseRef::new(2026, 11, 22, 17).unwrap();
        let pieces = say_case_ref(Language::En, &r);
        assert_eq!(pieces.len(), 14);
        assert_eq!(pieces[6], "pause");
        assert_eq!(pieces[12], "pause");
        let zh = say_case_ref(Language::Zh, &r);
        assert_eq!(
            &zh[..6],
            &["digit-2", "digit-6", "yao", "yao", "digit-2", "digit-2"]
        );
    }

    #[test]
    fn every_produced_piece_is_in_the_piece_list() {
        for lang in [Language::En, Language::Zh] {
            let all = all_pieces(lang);
            let mut produced = Vec::new();
            for n in (0..2000).chain([
                10_000,
                20_000,
                100_500,
                1_000_000,
                2_000_000_000,
                MAX_SAYABLE as i64,
                -5,
            ]) {
                produced.extend(say_number(lang, n).unwrap());
            }
            for m in 1..=12 {
                for d in 1..=31 {
                    produced.extend(say_date(lang, 2026, m, d).unwrap());
                }
            }
            for h in 0..24 {
                for m in 0..60 {
                    produced.extend(say_time(lang, h, m).unwrap());
                }
            }
            produced.extend(say_digits(lang, "0123456789*#- X").unwrap());
            for p in produced {
                assert!(all.contains(&p), "{lang:?} piece {p} is not in all_pieces");
            }
        }
    }
}
