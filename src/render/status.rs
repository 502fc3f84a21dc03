//! `numkeep status --json`: what scripts read (DESIGN.md §5). The table people read is
//! `table.rs`.

use std::collections::HashMap;

use crate::engine::deadline::RuleKind;
use crate::engine::status::{Deadline, Evaluation, NumberReport};
use crate::model::{Carrier, Settings};

use super::words;

/// One JSON array, most urgent first, one number per line; keys as DESIGN.md §5 (stable:
/// add, never rename). Written by hand rather than through serde: for 100,000 numbers the
/// generic serializer and its intermediate strings were most of the run time.
pub fn json(reports: &Evaluation<'_>, settings: &Settings) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_json(&mut out, reports, settings);
    String::from_utf8_lossy(&out).into_owned()
}

/// [`json`], streamed to `sink` in blocks, so that the whole output is never held in memory.
/// Bytes rather than a `String`: every piece written is ASCII or already valid UTF-8, and
/// a `String` would check that again for each of the millions of pieces.
pub fn write_json(
    sink: &mut impl std::io::Write,
    reports: &Evaluation<'_>,
    settings: &Settings,
) -> std::io::Result<()> {
    const BLOCK: usize = 64 * 1024;
    let mut out = Vec::with_capacity(BLOCK + 4096);
    let mut scratch = Scratch::default();
    out.push(b'[');
    for (index, report) in reports.iter().enumerate() {
        out.extend_from_slice(if index == 0 { b"\n" } else { b",\n" });
        write_number(&mut out, &mut scratch, report, settings);
        if out.len() >= BLOCK {
            sink.write_all(&out)?;
            out.clear();
        }
    }
    out.extend_from_slice(if reports.is_empty() { b"]\n" } else { b"\n]\n" });
    sink.write_all(&out)
}

/// One number's object, as `status --json` writes it (webhooks and commands get these).
pub fn number_json(report: &NumberReport<'_>, settings: &Settings) -> String {
    let mut out = Vec::new();
    write_number(&mut out, &mut Scratch::default(), report, settings);
    String::from_utf8_lossy(&out).into_owned()
}

/// Buffers kept from one number to the next.
#[derive(Default)]
struct Scratch<'c> {
    why: String,
    /// The most urgent obligation's fields, written at the top level and again first in
    /// `obligations`.
    fields: Vec<u8>,
    /// `,"carrier":…,"carrier_name":…` by carrier id: the same few carriers come back on
    /// every line, and escaping their strings each time was a tenth of the run.
    carriers: HashMap<&'c str, Vec<u8>>,
}

impl<'c> Scratch<'c> {
    fn carrier_fields(&mut self, carrier: &'c Carrier) -> &[u8] {
        self.carriers.entry(&carrier.id).or_insert_with(|| {
            let mut fields = b",\"carrier\":".to_vec();
            json::string(&mut fields, &carrier.id);
            fields.extend_from_slice(b",\"carrier_name\":");
            json::optional_string(&mut fields, carrier.name.as_deref());
            fields
        })
    }
}

fn write_number<'c>(
    out: &mut Vec<u8>,
    scratch: &mut Scratch<'c>,
    report: &NumberReport<'c>,
    settings: &Settings,
) {
    let entry = report.entry;
    // Normalised numbers are `+` and digits: nothing to escape.
    out.extend_from_slice(b"{\"number\":\"");
    out.extend_from_slice(entry.number.as_bytes());
    out.extend_from_slice(b"\",\"label\":");
    json::optional_string(out, entry.label.as_deref());
    match entry.carrier.as_deref() {
        Some(carrier) => out.extend_from_slice(scratch.carrier_fields(carrier)),
        None => out.extend_from_slice(b",\"carrier\":null,\"carrier_name\":null"),
    }
    out.extend_from_slice(b",\"state\":\"");
    out.extend_from_slice(report.state.key().as_bytes());
    out.push(b'"');
    let mut deadlines = report.deadlines.iter();
    match deadlines.next() {
        Some(deadline) => {
            deadline_fields(&mut scratch.fields, &mut scratch.why, deadline, settings);
            out.extend_from_slice(&scratch.fields);
        }
        None => out.extend_from_slice(
            b",\"act_by\":null,\"lost_on\":null,\"deadline\":null,\"lost_at\":null,\"days_left\":null,\"action\":null,\"rule\":null,\"why\":null",
        ),
    }
    out.extend_from_slice(b",\"grace_phase\":");
    json::optional_string(
        out,
        report.grace_phase.and_then(|phase| phase.state.as_deref()),
    );
    life_fields(out, report);
    out.extend_from_slice(b",\"obligations\":[");
    if !report.deadlines.is_empty() {
        // The same fields as the top level, without the leading comma.
        out.push(b'{');
        out.extend_from_slice(&scratch.fields[1..]);
        out.push(b'}');
    }
    for deadline in deadlines {
        deadline_fields(&mut scratch.fields, &mut scratch.why, deadline, settings);
        out.extend_from_slice(b",{");
        out.extend_from_slice(&scratch.fields[1..]);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
}

/// `,"bound_to":[…],"notes":…,"retire_by":…,"retired_on":…`. A retiring number's
/// `retire_by` is the day its `cancel` obligation falls on, written or by default.
fn life_fields(out: &mut Vec<u8>, report: &NumberReport<'_>) {
    let entry = report.entry;
    out.extend_from_slice(b",\"bound_to\":[");
    for (index, account) in entry.bound_to().iter().enumerate() {
        if index > 0 {
            out.push(b',');
        }
        json::string(out, account);
    }
    out.extend_from_slice(b"],\"notes\":");
    json::optional_string(out, entry.notes());
    let retire_by = report
        .deadlines
        .iter()
        .find(|deadline| deadline.obligation.rule == RuleKind::RetireBy)
        .map(|deadline| deadline.obligation.act_by)
        .or(entry.retire_by());
    out.extend_from_slice(b",\"retire_by\":");
    json::optional_date(out, retire_by);
    out.extend_from_slice(b",\"retired_on\":");
    json::optional_date(out, entry.retired_on());
}

/// Replaces `fields` with `,"act_by":…,"lost_on":…,"deadline":…,"lost_at":…,"days_left":…,
/// "action":…,"rule":…,"why":…`: dates in the carrier's calendar, instants in the user's
/// offset.
fn deadline_fields(
    fields: &mut Vec<u8>,
    why: &mut String,
    deadline: &Deadline,
    settings: &Settings,
) {
    let obligation = &deadline.obligation;
    let user_zone = &settings.timezone.tz;
    fields.clear();
    fields.extend_from_slice(b",\"act_by\":");
    json::date(fields, obligation.act_by);
    fields.extend_from_slice(b",\"lost_on\":");
    json::date(fields, obligation.lost_on);
    fields.extend_from_slice(b",\"deadline\":");
    json::instant(fields, deadline.deadline_at, user_zone);
    fields.extend_from_slice(b",\"lost_at\":");
    json::instant(fields, deadline.lost_at, user_zone);
    fields.extend_from_slice(b",\"days_left\":");
    fields.extend_from_slice(itoa::Buffer::new().format(deadline.days_left).as_bytes());
    fields.extend_from_slice(b",\"action\":\"");
    fields.extend_from_slice(obligation.action().key().as_bytes());
    fields.extend_from_slice(b"\",\"rule\":\"");
    fields.extend_from_slice(obligation.rule.key().as_bytes());
    fields.extend_from_slice(b"\",\"why\":\"");
    why.clear();
    words::write_why(why, settings.language, &obligation.why);
    // Reasons are built from fixed words, dates, decimals and durations, never from text
    // the user wrote, so they need no escaping; checked in debug builds.
    debug_assert!(
        !why.bytes()
            .any(|byte| byte == b'"' || byte == b'\\' || byte < 0x20)
    );
    fields.extend_from_slice(why.as_bytes());
    fields.push(b'"');
}

/// Minimal JSON output helpers.
mod json {
    use jiff::Timestamp;
    use jiff::civil::Date;
    use jiff::tz::TimeZone;

    /// The bytes a JSON string must escape: `"`, `\` and the control characters.
    const NEEDS_ESCAPE: [bool; 256] = {
        let mut table = [false; 256];
        let mut byte = 0;
        while byte < 0x20 {
            table[byte] = true;
            byte += 1;
        }
        table[b'"' as usize] = true;
        table[b'\\' as usize] = true;
        table
    };

    pub fn string(out: &mut Vec<u8>, text: &str) {
        out.push(b'"');
        let mut rest = text.as_bytes();
        while let Some(index) = rest
            .iter()
            .position(|byte| NEEDS_ESCAPE[usize::from(*byte)])
        {
            out.extend_from_slice(&rest[..index]);
            match rest[index] {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                byte => out.extend_from_slice(format!("\\u{byte:04x}").as_bytes()),
            }
            rest = &rest[index + 1..];
        }
        out.extend_from_slice(rest);
        out.push(b'"');
    }

    pub fn optional_string(out: &mut Vec<u8>, text: Option<&str>) {
        match text {
            Some(text) => string(out, text),
            None => out.extend_from_slice(b"null"),
        }
    }

    pub fn optional_date(out: &mut Vec<u8>, day: Option<Date>) {
        match day {
            Some(day) => date(out, day),
            None => out.extend_from_slice(b"null"),
        }
    }

    /// `"2026-11-30"`, without going through the formatting machinery.
    pub fn date(out: &mut Vec<u8>, date: Date) {
        out.push(b'"');
        crate::render::words::push_date_bytes(out, date);
        out.push(b'"');
    }

    /// `"2026-12-14T05:00:00+08:00"`: RFC 3339, to the second, in `zone`'s offset at that
    /// instant, no zone name (DESIGN.md §5).
    pub fn instant(out: &mut Vec<u8>, at: Timestamp, zone: &TimeZone) {
        let offset = zone.to_offset(at);
        let local = offset.to_datetime(at);
        let seconds = offset.seconds();
        let (year, minutes) = (local.year(), seconds.unsigned_abs() / 60);
        // Offsets in whole minutes and four-digit years, as every zone has had since the
        // 1970s; RFC 3339 cannot write the rest, so jiff's own text stands in.
        if !(0..=9999).contains(&year) || seconds % 60 != 0 {
            out.push(b'"');
            out.extend_from_slice(at.to_string().as_bytes());
            out.push(b'"');
            return;
        }
        let two = |out: &mut Vec<u8>, value: u32| {
            out.extend_from_slice(&[b'0' + (value / 10 % 10) as u8, b'0' + (value % 10) as u8]);
        };
        out.push(b'"');
        crate::render::words::push_date_bytes(out, local.date());
        out.push(b'T');
        two(out, local.hour().unsigned_abs().into());
        out.push(b':');
        two(out, local.minute().unsigned_abs().into());
        out.push(b':');
        two(out, local.second().unsigned_abs().into());
        out.push(if seconds < 0 { b'-' } else { b'+' });
        two(out, minutes / 60);
        out.push(b':');
        two(out, minutes % 60);
        out.push(b'"');
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn escapes_what_json_requires() {
            let mut out = Vec::new();
            string(&mut out, "a\"b\\c\nd\u{1}é宽");
            let out = String::from_utf8(out).unwrap();
            assert_eq!(out, r#""a\"b\\c\nd\u0001é宽""#);
            let parsed: String = serde_json::from_str(&out).unwrap();
            assert_eq!(parsed, "a\"b\\c\nd\u{1}é宽");
        }

        #[test]
        fn dates() {
            let mut out = Vec::new();
            date(&mut out, jiff::civil::date(2026, 1, 5));
            date(&mut out, jiff::civil::date(987, 12, 31));
            assert_eq!(out, b"\"2026-01-05\"\"0987-12-31\"");
        }

        #[test]
        fn instants_in_the_offset_of_their_day() {
            let at: Timestamp = "2026-12-13T21:00:00Z".parse().unwrap();
            let cases = [
                ("Asia/Shanghai", "\"2026-12-14T05:00:00+08:00\""),
                ("America/New_York", "\"2026-12-13T16:00:00-05:00\""),
                ("Asia/Kolkata", "\"2026-12-14T02:30:00+05:30\""),
                ("UTC", "\"2026-12-13T21:00:00+00:00\""),
            ];
            for (zone, expected) in cases {
                let mut out = Vec::new();
                instant(&mut out, at, &TimeZone::get(zone).unwrap());
                assert_eq!(String::from_utf8(out).unwrap(), expected, "{zone}");
            }
            // Summer time: New York's offset on that day, not December's.
            let mut out = Vec::new();
            let summer: Timestamp = "2026-07-01T04:00:00Z".parse().unwrap();
            instant(
                &mut out,
                summer,
                &TimeZone::get("America/New_York").unwrap(),
            );
            assert_eq!(out, b"\"2026-07-01T00:00:00-04:00\"");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::json;
    use crate::engine::status::{Now, evaluate};

    /// The exact text around the numbers: `[` alone, one number per line, `]` alone on the
    /// last line; an empty list is `[]` on one line. (Both spellings are valid JSON, so only
    /// the text can tell them apart.)
    #[test]
    fn json_brackets_stand_on_their_own_lines() {
        let today = Now::on_day(jiff::civil::date(2026, 11, 23));
        let empty = crate::config::config_from_text("[settings]\ntimezone = \"UTC\"\n");
        assert_eq!(json(&evaluate(&empty, today), &empty.settings), "[]\n");
        let two = crate::config::config_from_text(
            "[settings]\ntimezone = \"UTC\"\n\
             [[number]]\nnumber = \"+965 5123 4567\"\nvalid_until = 2026-12-01\n\
             [[number]]\nnumber = \"+44 7700 900123\"\nvalid_until = 2026-12-02\n",
        );
        let text = json(&evaluate(&two, today), &two.settings);
        let lines: Vec<&str> = text.split('\n').collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert_eq!(lines[0], "[");
        assert!(lines[1].starts_with("{\"number\":\"+96551234567\"") && lines[1].ends_with("},"));
        assert!(lines[2].starts_with("{\"number\":\"+447700900123\"") && lines[2].ends_with('}'));
        assert_eq!(lines[3..], ["]", ""]);
    }
}
