//! Durations as users write them (`90d`, `6mo`, `1y`) and calendar arithmetic on civil dates.
//!
//! Days are civil days, never 24-hour multiples, so daylight-saving changes cannot move a date.
//! Months and years are calendar arithmetic clamped at month end (jiff does the clamping).

use std::fmt;

use jiff::civil::Date;
use jiff::{SignedDuration, Span};

use super::InvalidText;

/// The largest count accepted in a period, whatever its unit: beyond a century nothing a
/// carrier states makes sense, and a bound keeps every later step free of overflow surprises.
const MAX_COUNT: u32 = 36_600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    Day,
    Week,
    Month,
    Year,
}

impl Unit {
    /// The short spelling used in configs: `d`, `w`, `mo`, `y`.
    pub fn suffix(self) -> &'static str {
        match self {
            Unit::Day => "d",
            Unit::Week => "w",
            Unit::Month => "mo",
            Unit::Year => "y",
        }
    }
}

/// A duration such as `90d` or `1mo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    pub count: u32,
    pub unit: Unit,
}

impl Period {
    pub const fn days(count: u32) -> Period {
        Period {
            count,
            unit: Unit::Day,
        }
    }

    pub const fn months(count: u32) -> Period {
        Period {
            count,
            unit: Unit::Month,
        }
    }

    /// Parses `N` + unit: `d`/`day(s)`, `w`/`week(s)`, `mo`/`month(s)`, `y`/`year(s)`.
    /// A space between the number and the unit is allowed. The error is a lowercase fragment
    /// fit to follow a position.
    pub fn parse(text: &str) -> Result<Period, InvalidText> {
        let trimmed = text.trim();
        let digits_end = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(trimmed.len());
        let (digits, unit_text) = trimmed.split_at(digits_end);
        let unit_text = unit_text.trim_start();
        if digits.is_empty() {
            return Err(format!(
                "invalid duration {text:?}: expected a number and a unit, like \"90d\", \"6mo\" or \"1y\""
            ).into());
        }
        let unit = match unit_text {
            "d" | "day" | "days" => Unit::Day,
            "w" | "week" | "weeks" => Unit::Week,
            "mo" | "month" | "months" => Unit::Month,
            "y" | "year" | "years" => Unit::Year,
            "m" => {
                return Err(format!(
                    "invalid duration {text:?}: a bare \"m\" is ambiguous; use \"mo\" for months"
                )
                .into());
            }
            "" => {
                return Err(format!(
                    "invalid duration {text:?}: missing unit; use d, w, mo or y (\"{digits}d\")"
                )
                .into());
            }
            other => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {other:?}; use d, w, mo or y"
                )
                .into());
            }
        };
        let count = digits
            .parse::<u32>()
            .ok()
            .filter(|count| *count <= MAX_COUNT)
            .ok_or_else(|| {
                InvalidText(format!(
                    "invalid duration {text:?}: the number is too large"
                ))
            })?;
        Ok(Period { count, unit })
    }

    pub fn is_zero(self) -> bool {
        self.count == 0
    }

    /// This period repeated `times` times, as one span (so month steps stay anchored).
    fn calendar_span(self, times: i64) -> Option<Span> {
        let total = i64::from(self.count).checked_mul(times)?;
        match self.unit {
            Unit::Day | Unit::Week => None,
            Unit::Month => Span::new().try_months(total).ok(),
            Unit::Year => Span::new().try_years(total).ok(),
        }
    }

    /// This period repeated `times` times in days, for units of fixed length.
    fn fixed_days(self, times: i64) -> Option<i64> {
        let days = match self.unit {
            Unit::Day => i64::from(self.count),
            Unit::Week => 7 * i64::from(self.count),
            Unit::Month | Unit::Year => return None,
        };
        days.checked_mul(times)
    }

    /// `date` + this period. `None` when the result leaves jiff's date range.
    pub fn after(self, date: Date) -> Option<Date> {
        self.after_times(date, 1)
    }

    /// `date` − this period.
    pub fn before(self, date: Date) -> Option<Date> {
        self.after_times(date, -1)
    }

    /// `anchor` + `times` × this period, computed from the anchor in one step: stepping from
    /// 31 January by one month gives 28 February, then 31 March (never 28 March).
    pub fn after_times(self, anchor: Date, times: i64) -> Option<Date> {
        match self.unit {
            Unit::Day | Unit::Week => add_days(anchor, self.fixed_days(times)?),
            Unit::Month | Unit::Year => anchor.checked_add(self.calendar_span(times)?).ok(),
        }
    }

    /// The last day of a window that starts on `start` and lasts this period:
    /// start + period − 1 day. A zero period has no last day (`None`).
    pub fn last_day_from(self, start: Date) -> Option<Date> {
        if self.is_zero() {
            return None;
        }
        match self.unit {
            Unit::Day | Unit::Week => add_days(start, self.fixed_days(1)? - 1),
            Unit::Month | Unit::Year => self.after(start)?.yesterday().ok(),
        }
    }
}

/// `date` + `days` civil days; `None` outside jiff's date range. Adding a whole number of
/// days as a duration skips `Span`'s unit bookkeeping: every status computes several such
/// sums per number.
pub fn add_days(date: Date, days: i64) -> Option<Date> {
    let seconds = days.checked_mul(86_400)?;
    date.checked_add(SignedDuration::from_secs(seconds)).ok()
}

/// `to` − `from` in civil days.
pub fn days_between(from: Date, to: Date) -> i32 {
    // Civil dates are at most ~20,000 years (7.3 million days) apart: the count fits.
    let days = to.duration_since(from).as_secs() / 86_400;
    i32::try_from(days).unwrap_or(if days < 0 { i32::MIN } else { i32::MAX })
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.count, self.unit.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn parses_every_unit_spelling() {
        let cases = [
            ("90d", Period::days(90)),
            ("1 day", Period::days(1)),
            ("2days", Period::days(2)),
            (
                "3w",
                Period {
                    count: 3,
                    unit: Unit::Week,
                },
            ),
            (
                "1 week",
                Period {
                    count: 1,
                    unit: Unit::Week,
                },
            ),
            ("6mo", Period::months(6)),
            ("1 month", Period::months(1)),
            ("18 months", Period::months(18)),
            (
                "1y",
                Period {
                    count: 1,
                    unit: Unit::Year,
                },
            ),
            (
                "2 years",
                Period {
                    count: 2,
                    unit: Unit::Year,
                },
            ),
            ("0d", Period::days(0)),
        ];
        for (text, expected) in cases {
            assert_eq!(Period::parse(text), Ok(expected), "{text}");
        }
    }

    #[test]
    fn rejects_bad_durations_with_hints() {
        let cases = [
            ("3m", "use \"mo\" for months"),
            ("30", "missing unit"),
            ("d", "expected a number"),
            ("", "expected a number"),
            ("-3d", "expected a number"),
            ("3 fortnights", "unknown unit"),
            ("99999999999d", "too large"),
            ("36601d", "too large"),
        ];
        for (text, fragment) in cases {
            let error = Period::parse(text).unwrap_err();
            assert!(error.0.contains(fragment), "{text}: {error}");
        }
    }

    #[test]
    fn calendar_arithmetic() {
        // (start, period, start + period)
        let cases = [
            (date(2026, 1, 31), "1mo", date(2026, 2, 28)),
            (date(2028, 1, 31), "1mo", date(2028, 2, 29)),
            (date(2028, 2, 29), "1y", date(2029, 2, 28)),
            (date(2028, 2, 29), "4y", date(2032, 2, 29)),
            (date(2026, 12, 15), "1mo", date(2027, 1, 15)),
            (date(2026, 11, 1), "30d", date(2026, 12, 1)),
            (date(2026, 3, 28), "2d", date(2026, 3, 30)),
            (date(2026, 10, 24), "2w", date(2026, 11, 7)),
        ];
        for (start, period, expected) in cases {
            let period = Period::parse(period).unwrap();
            assert_eq!(period.after(start), Some(expected), "{start} + {period}");
        }
    }

    #[test]
    fn anchored_stepping_never_drifts() {
        let anchor = date(2026, 1, 31);
        let steps: Vec<Date> = (0..4)
            .map(|n| Period::months(1).after_times(anchor, n).unwrap())
            .collect();
        assert_eq!(
            steps,
            [
                date(2026, 1, 31),
                date(2026, 2, 28),
                date(2026, 3, 31),
                date(2026, 4, 30)
            ]
        );
    }

    #[test]
    fn window_last_day_is_inclusive() {
        assert_eq!(
            Period::days(30).last_day_from(date(2026, 11, 1)),
            Some(date(2026, 11, 30))
        );
        assert_eq!(
            Period::days(1).last_day_from(date(2026, 11, 1)),
            Some(date(2026, 11, 1))
        );
        assert_eq!(Period::days(0).last_day_from(date(2026, 11, 1)), None);
        assert_eq!(Period::after(Period::days(1), date(9999, 12, 31)), None);
    }

    #[test]
    fn day_sums_and_differences_match_spans() {
        let days = [0, 1, -1, 29, 365, -366, 36_600, 100_000];
        for start in [date(2024, 2, 28), date(2026, 12, 31), date(1, 1, 1)] {
            for count in days {
                let by_span = start.checked_add(Span::new().days(count)).ok();
                assert_eq!(add_days(start, count), by_span, "{start} + {count}");
                if let Some(end) = by_span {
                    assert_eq!(
                        i64::from(days_between(start, end)),
                        count,
                        "{start} → {end}"
                    );
                }
            }
        }
        assert_eq!(add_days(date(9999, 12, 31), 1), None);
        assert_eq!(add_days(date(2026, 1, 1), i64::MAX), None);
    }

    #[test]
    fn displays_compactly() {
        for text in ["90d", "2w", "6mo", "1y"] {
            assert_eq!(Period::parse(text).unwrap().to_string(), text);
        }
    }
}
