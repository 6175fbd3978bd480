//! The 18-character resident identity number of GB 11643-1999: six digits of
//! region, the birth date `YYYYMMDD`, a three-digit sequence and a check
//! character (ISO 7064 MOD 11-2, where 10 is written `X`). On a keypad the
//! `X` is entered as `*`, the usual convention of Chinese hotlines.

/// Weights of the first 17 characters: 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// Check character for each remainder of the weighted sum mod 11.
const CHECK: [u8; 11] = *b"10X98765432";

/// Why an entered number is not a resident ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidentIdError {
    WrongLength { len: usize },
    NotADigit { position: usize },
    BadBirthDate,
    CheckCharacter,
}

/// Normalises keypad input (`*` → `X`) and checks length, birth date and the
/// check character. Returns the ID as printed on the card.
pub fn check_resident_id(entered: &str) -> Result<String, ResidentIdError> {
    let id: String = entered
        .chars()
        .map(|c| if c == '*' || c == 'x' { 'X' } else { c })
        .collect();
    let bytes = id.as_bytes();
    if bytes.len() != 18 {
        return Err(ResidentIdError::WrongLength {
            len: id.chars().count(),
        });
    }
    let mut sum = 0u32;
    for (position, (b, w)) in bytes[..17].iter().zip(WEIGHTS).enumerate() {
        if !b.is_ascii_digit() {
            return Err(ResidentIdError::NotADigit { position });
        }
        sum += u32::from(b - b'0') * w;
    }
    let last = bytes[17];
    if !(last.is_ascii_digit() || last == b'X') {
        return Err(ResidentIdError::NotADigit { position: 17 });
    }
    let year: i16 = id[6..10]
        .parse()
        .map_err(|_| ResidentIdError::BadBirthDate)?;
    let month: i8 = id[10..12]
        .parse()
        .map_err(|_| ResidentIdError::BadBirthDate)?;
    let day: i8 = id[12..14]
        .parse()
        .map_err(|_| ResidentIdError::BadBirthDate)?;
    if !(1900..=2100).contains(&year) || jiff::civil::Date::new(year, month, day).is_err() {
        return Err(ResidentIdError::BadBirthDate);
    }
    if CHECK[(sum % 11) as usize] != last {
        return Err(ResidentIdError::CheckCharacter);
    }
    Ok(id)
}

/// The check character for 17 digits (used by tests and tools to build IDs).
pub fn resident_id_check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(CHECK[(sum % 11) as usize]))
}

/// Masks all but the last four characters, for events and logs.
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    value
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '*' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_example_checks() {
        // The worked example of GB 11643-1999, appendix: 11010519491231002X.
        assert_eq!(
            check_resident_id("11010519491231002X").as_deref(),
            Ok("11010519491231002X")
        );
        assert_eq!(
            check_resident_id("11010519491231002*").as_deref(),
            Ok("11010519491231002X")
        );
        assert_eq!(resident_id_check_char("11010519491231002"), Some('X'));
        assert_eq!(
            check_resident_id("110105194912310021"),
            Err(ResidentIdError::CheckCharacter)
        );
        assert_eq!(
            check_resident_id("110105194913310029"),
            Err(ResidentIdError::BadBirthDate)
        );
        assert_eq!(
            check_resident_id("1234"),
            Err(ResidentIdError::WrongLength { len: 4 })
        );
        assert_eq!(mask("11010519491231002X"), "**************002X");
    }
}
