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
    let mut normalized = String::with_capacity(16);
    normalized.push('+');
    for character in rest.chars() {
        match character {
            '0'..='9' => normalized.push(character),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(format!(
                    "malformed number {text:?}: unexpected character {character:?}"
                ));
            }
        }
    }
    let digits = normalized.len() - 1;
    if !(7..=15).contains(&digits) {
        return Err(format!(
            "malformed number {text:?}: E.164 numbers have 7 to 15 digits, this one has {digits}"
        ));
    }
    if normalized.as_bytes()[1] == b'0' {
        return Err(format!(
            "malformed number {text:?}: a country code never starts with 0"
        ));
    }
    Ok(normalized)
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
            ("", "international form"),
        ];
        for (text, fragment) in cases {
            let error = normalize_number(text).unwrap_err();
            assert!(error.contains(fragment), "{text}: {error}");
        }
    }
}
