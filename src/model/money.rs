//! Exact decimal money. KWD has three decimals, so binary floating point is never used.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::InvalidText;

/// Parses a money amount written as a TOML string (`"2.98"`) or the text of a TOML integer
/// or float (a float is read by its shortest decimal text, so `2.98` is exactly 2.98).
/// Negative amounts are rejected: no balance or fee is below zero.
pub fn parse_money(text: &str) -> Result<Decimal, InvalidText> {
    let trimmed = text.trim();
    let amount = Decimal::from_str(trimmed)
        .ok()
        .filter(|_| !trimmed.contains(['e', 'E']))
        .ok_or_else(|| {
            InvalidText(format!(
                "invalid amount {text:?}: expected a decimal number like \"12.500\""
            ))
        })?;
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(format!("invalid amount {text:?}: must not be negative").into());
    }
    Ok(amount)
}

/// The decimal text of a TOML float: Rust prints the shortest text that reads back as the
/// same binary value, which is the text the user most likely wrote.
pub fn float_text(value: f64) -> String {
    format!("{value}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_decimals() {
        let cases = [
            ("2.98", "2.98"),
            ("12.500", "12.500"),
            ("3", "3"),
            (" 0.001 ", "0.001"),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_money(text).unwrap().to_string(), expected);
        }
    }

    #[test]
    fn floats_read_by_their_shortest_text() {
        let amount = parse_money(&float_text(2.98)).unwrap();
        assert_eq!(amount, Decimal::new(298, 2));
        assert_eq!(parse_money(&float_text(0.1)).unwrap(), Decimal::new(1, 1));
    }

    #[test]
    fn rejects_garbage_and_negatives() {
        for text in ["", "abc", "1,5", "-1", "-0.01", "1e3", "NaN"] {
            assert!(parse_money(text).is_err(), "{text}");
        }
    }
}
