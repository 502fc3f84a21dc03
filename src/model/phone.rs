//! Phone numbers in E.164 form: `+` and up to 15 digits, written with optional spaces,
//! dashes, dots or parentheses, stored without them.

use std::fmt;
use std::ops::Deref;

use super::InvalidText;

/// A number in E.164 form, `+` and 7 to 15 digits, the first never 0. Kept inline, as the
/// 16 bytes it fits in: a fleet's config holds one per line, and a separate allocation for
/// each was a cache miss each time a number was read back.
///
/// The default is empty, not a number: a placeholder for a table whose number is missing or
/// malformed, which is never kept.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhoneNumber {
    /// `+`, the digits, then zero bytes. Zero sorts below every digit, so the derived order
    /// is the order of the strings.
    bytes: [u8; 16],
}

impl PhoneNumber {
    pub fn as_str(&self) -> &str {
        let length = self.bytes.iter().position(|byte| *byte == 0).unwrap_or(16);
        // Only `+` and ASCII digits are ever stored: always UTF-8.
        std::str::from_utf8(&self.bytes[..length]).unwrap_or_default()
    }

    /// The digits after the `+`, as an integer: distinct numbers have distinct values
    /// (the first digit is never 0), so it serves as a compact key.
    pub fn value(&self) -> u64 {
        self.bytes[1..]
            .iter()
            .take_while(|byte| **byte != 0)
            .fold(0, |value, digit| value * 10 + u64::from(digit - b'0'))
    }
}

impl Deref for PhoneNumber {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = InvalidText;

    fn from_str(text: &str) -> Result<PhoneNumber, InvalidText> {
        normalize_number(text)
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for PhoneNumber {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for PhoneNumber {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Normalises `+965 5123-4567` to `+96551234567`. The error is a lowercase fragment.
pub fn normalize_number(text: &str) -> Result<PhoneNumber, InvalidText> {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix('+') else {
        return Err(format!(
            "malformed number {text:?}: write it in international form starting with + and the country code, like \"+965 5123 4567\""
        ).into());
    };
    // `+` and up to 15 digits; more are counted for the message but not kept.
    let mut bytes = [0; 16];
    bytes[0] = b'+';
    let mut digits = 0;
    for (index, byte) in rest.bytes().enumerate() {
        match byte {
            b'0'..=b'9' => {
                if let Some(slot) = bytes.get_mut(digits + 1) {
                    *slot = byte;
                }
                digits += 1;
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => {
                // Every byte before this one was ASCII, so a character starts here.
                let character = rest[index..].chars().next().unwrap_or_default();
                return Err(format!(
                    "malformed number {text:?}: unexpected character {character:?}"
                )
                .into());
            }
        }
    }
    if !(7..=15).contains(&digits) {
        return Err(format!(
            "malformed number {text:?}: E.164 numbers have 7 to 15 digits, this one has {digits}"
        )
        .into());
    }
    if bytes[1] == b'0' {
        return Err(
            format!("malformed number {text:?}: a country code never starts with 0").into(),
        );
    }
    Ok(PhoneNumber { bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_common_spellings() {
        let cases = [
            ("+965 5123 4567", "+96551234567"),
            ("+1 (555) 010-0199", "+15550100199"),
            ("+44 7700.900123", "+447700900123"),
            ("  +85291234567 ", "+85291234567"),
        ];
        for (text, expected) in cases {
            let number = normalize_number(text).unwrap();
            assert_eq!(number.as_str(), expected, "{text}");
            assert_eq!(number.to_string(), expected);
            assert_eq!(number.value().to_string(), expected[1..]);
        }
    }

    #[test]
    fn orders_like_the_strings() {
        let mut texts = [
            "+15550100199",
            "+1555010019",
            "+447700900123",
            "+96551234567",
            "+2345678",
            "+999999999999999",
            "+100000000000000",
        ];
        let mut numbers = texts.map(|text| normalize_number(text).unwrap());
        texts.sort_unstable();
        numbers.sort_unstable();
        assert_eq!(
            numbers.map(|number| number.to_string()),
            texts.map(String::from)
        );
    }

    #[test]
    fn rejects_malformed_numbers() {
        let cases = [
            ("96551234567", "international form"),
            ("+965 5123 456x", "unexpected character"),
            ("+12345", "7 to 15 digits"),
            ("+1234567890123456", "7 to 15 digits"),
            ("+0965551234", "never starts with 0"),
            ("+965\r\nBcc: x", "unexpected character"),
            ("+965\r\nBcc: x", "unexpected character '\\r'"),
            ("+965 5123 456é", "unexpected character 'é'"),
            ("+965 ５123", "unexpected character '５'"),
            ("", "international form"),
        ];
        for (text, fragment) in cases {
            let error = normalize_number(text).unwrap_err();
            assert!(error.0.contains(fragment), "{text}: {error}");
        }
    }
}
