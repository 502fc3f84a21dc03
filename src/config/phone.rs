//! Phone numbers in E.164 form: `+` and up to 15 digits, written with optional spaces,
//! dashes, dots or parentheses, stored without them.

/// Normalises `+965 5123-4567` to `+96551234567`. The error is a lowercase fragment.
pub fn normalize_number(text: &str) -> Result<String, String> {
    let trimmed = text.trim();
    let Some(rest) = trimmed.strip_prefix('+') else {
        return Err(format!(
            "malformed number {text:?}: write it in international form starting with + and the country code, like \"+965 5123 4567\""
        ));
    };
    // `+` and up to 15 digits; more are counted for the message but not kept.
    let mut normalized = [b'+'; 16];
    let mut digits = 0;
    for (index, byte) in rest.bytes().enumerate() {
        match byte {
            b'0'..=b'9' => {
                if let Some(slot) = normalized.get_mut(digits + 1) {
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
                ));
            }
        }
    }
    if !(7..=15).contains(&digits) {
        return Err(format!(
            "malformed number {text:?}: E.164 numbers have 7 to 15 digits, this one has {digits}"
        ));
    }
    if normalized[1] == b'0' {
        return Err(format!(
            "malformed number {text:?}: a country code never starts with 0"
        ));
    }
    if digits == rest.len() {
        // Written without separators: already normalised.
        return Ok(trimmed.to_owned());
    }
    // Only ASCII digits and `+`: always UTF-8.
    Ok(std::str::from_utf8(&normalized[..=digits])
        .unwrap_or_default()
        .to_owned())
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
            assert_eq!(normalize_number(text).as_deref(), Ok(expected), "{text}");
        }
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
            assert!(error.contains(fragment), "{text}: {error}");
        }
    }
}
