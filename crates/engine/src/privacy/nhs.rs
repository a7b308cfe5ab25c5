//! NHS numbers and their Scottish and Northern Irish counterparts: ten digits whose last is
//! a modulus-11 check digit over the first nine (weights 10 down to 2). Which block a valid
//! number falls in says who issues it; the 999 block is reserved for test data.

/// Who a ten-digit number with a valid check digit belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuer {
    /// England, Wales and the Isle of Man (400 000 000 0 - 499 999 999 9, 600 000 000 0 - 799 999 999 9).
    Nhs,
    /// Scotland's CHI number: a date of birth (DDMMYY) then four digits.
    Chi,
    /// Northern Ireland's Health and Care number (320 000 000 0 - 399 999 999 9).
    HealthAndCare,
    /// The 999 block, reserved for test and training data.
    Test,
    /// A valid check digit in no block issued to patients: likely another kind of number.
    Unissued,
}

/// The check digit the first nine digits call for; None when it would be 10 (no number
/// with those nine digits is valid).
pub fn check_digit(first_nine: &[u8; 9]) -> Option<u8> {
    let sum: u32 = first_nine.iter().zip((2..=10).rev()).map(|(&d, w)| d as u32 * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        c => Some(c as u8),
    }
}

/// The ten digits of `text` when it holds exactly ten (spaces and dashes aside) and the
/// check digit is right, with the block they fall in.
pub fn classify(text: &str) -> Option<Issuer> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    if digits.len() != 10 || text.bytes().any(|b| !(b.is_ascii_digit() || b.is_ascii_whitespace() || b == b'-')) {
        return None;
    }
    let first_nine: [u8; 9] = digits[..9].try_into().ok()?;
    if check_digit(&first_nine)? != digits[9] {
        return None;
    }
    let head = digits[..3].iter().fold(0u32, |n, &d| n * 10 + d as u32);
    let (day, month) = (digits[0] * 10 + digits[1], digits[2] * 10 + digits[3]);
    Some(match head {
        999 => Issuer::Test,
        400..=499 | 600..=799 => Issuer::Nhs,
        320..=399 => Issuer::HealthAndCare,
        _ if (1..=31).contains(&day) && (1..=12).contains(&month) => Issuer::Chi,
        _ => Issuer::Unissued,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_and_blocks() {
        // 943 476 5919 is NHS Digital's own worked example.
        assert_eq!(classify("943 476 5919"), Some(Issuer::Unissued));
        assert_eq!(check_digit(&[9, 4, 3, 4, 7, 6, 5, 9, 1]), Some(9));
        assert_eq!(classify("943 476 5918"), None, "a wrong check digit");
        assert_eq!(classify("401-023-2137"), Some(Issuer::Nhs));
        assert_eq!(classify("999 000 1235"), Some(Issuer::Test));
        assert_eq!(classify("9990001235"), Some(Issuer::Test));
        assert_eq!(classify("999 000 1237"), None);
        assert_eq!(classify("12345"), None);
        assert_eq!(classify("401/023/2137"), None, "slashes make a date, not an NHS number");
    }
}
