//! Reading messages as a mail client would: the body decoded from its transfer encoding.

/// The body of a raw single-part message, decoded from base64 or quoted-printable, with
/// CRLF turned into LF.
pub fn decoded_body(raw: &str) -> String {
    let (headers, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let encoding = headers
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-transfer-encoding")
                .then(|| value.trim().to_ascii_lowercase())
        })
        .unwrap_or_default();
    let bytes = match encoding.as_str() {
        "base64" => base64(body),
        "quoted-printable" => quoted_printable(body),
        _ => body.as_bytes().to_vec(),
    };
    String::from_utf8_lossy(&bytes).replace("\r\n", "\n")
}

/// A header's value as a mail client shows it: RFC 2047 `=?utf-8?b?…?=` words decoded
/// (base64 only: what lettre writes), the whitespace between two encoded words dropped.
pub fn decoded_header(raw: &str, name: &str) -> String {
    let value = header(raw, name);
    let mut out = Vec::new();
    let mut previous_encoded = false;
    for word in value.split(' ') {
        let encoded = word
            .strip_prefix("=?")
            .and_then(|rest| rest.strip_suffix("?="))
            .and_then(|rest| {
                let (charset, rest) = rest.split_once('?')?;
                let (encoding, text) = rest.split_once('?')?;
                (charset.eq_ignore_ascii_case("utf-8") && encoding.eq_ignore_ascii_case("b"))
                    .then(|| base64(text))
            });
        let joins_previous = encoded.is_some() && previous_encoded;
        if !out.is_empty() && !joins_previous {
            out.push(b' ');
        }
        previous_encoded = encoded.is_some();
        match encoded {
            Some(bytes) => out.extend(bytes),
            None => out.extend_from_slice(word.as_bytes()),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `bytes` in base64 (RFC 4648, padded), as SMTP AUTH sends credentials.
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let mut buffer = [0u8; 3];
        buffer[..chunk.len()].copy_from_slice(chunk);
        let value = u32::from_be_bytes([0, buffer[0], buffer[1], buffer[2]]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(char::from(
                    ALPHABET[(value >> (18 - 6 * index) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let sextets: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(sextets.len() * 3 / 4);
    for chunk in sextets.chunks(4) {
        let mut buffer = 0u32;
        for (index, sextet) in chunk.iter().enumerate() {
            buffer |= u32::from(*sextet) << (18 - 6 * index);
        }
        let bytes = buffer.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    out
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'=' if bytes[index + 1..].starts_with(b"\r\n") => index += 3,
            b'=' if bytes[index + 1..].starts_with(b"\n") => index += 2,
            b'=' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => out.push(byte),
                    Err(_) => out.extend_from_slice(&bytes[index..index + 3]),
                }
                index += 3;
            }
            byte => {
                out.push(byte);
                index += 1;
            }
        }
    }
    out
}

/// A header's value, unfolded (continuation lines joined with one space).
pub fn header(raw: &str, name: &str) -> String {
    let headers = raw.split("\r\n\r\n").next().unwrap_or_default();
    let unfolded = headers.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default()
}

/// Everything wrong with `raw` as an RFC 5322 message with a single MIME part (RFC 2045),
/// sent by an address at `sender_domain`; empty when it is well formed. Strict where the
/// RFCs are, so that what large providers check is checked here:
///
/// - lines end in CRLF and hold at most 998 characters; header fields are ASCII, each a
///   name of printable characters, a colon and a value, or a folded continuation;
/// - `Date` and `From` appear exactly once; `Date` is a `date-time` (section 3.3);
///   fields that may appear at most once do;
/// - `Message-ID` is `<dot-atom-text@dot-atom-text>` with the sender's domain on the right;
/// - `MIME-Version: 1.0`, a `Content-Type` with a `charset` parameter and a known
///   `Content-Transfer-Encoding` that the body keeps to.
pub fn rfc5322_problems(raw: &str, sender_domain: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let Some((head, body)) = raw.split_once("\r\n\r\n") else {
        return vec!["no empty line (CRLF CRLF) after the header".into()];
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.contains(['\r', '\n']) {
            problems.push(format!("a bare CR or LF in the header: {line:?}"));
        }
        if line.len() > 998 {
            problems.push(format!(
                "a header line longer than 998 characters: {line:?}"
            ));
        }
        if !line.is_ascii() {
            problems.push(format!("a header line with 8-bit characters: {line:?}"));
        }
        if line.starts_with([' ', '\t']) {
            match fields.last_mut() {
                Some((_, value)) => value.push_str(line),
                None => problems.push(format!("the header starts with a continuation: {line:?}")),
            }
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            problems.push(format!("a header line without a colon: {line:?}"));
            continue;
        };
        if name.is_empty() || !name.bytes().all(|byte| (33..=126).contains(&byte)) {
            problems.push(format!("an invalid field name: {name:?}"));
        }
        fields.push((name.to_ascii_lowercase(), value.to_owned()));
    }
    let all = |name: &str| -> Vec<&str> {
        fields
            .iter()
            .filter(|(field, _)| field == name)
            .map(|(_, value)| value.trim())
            .collect()
    };
    for name in ["date", "from"] {
        if all(name).len() != 1 {
            problems.push(format!(
                "{name}: must appear exactly once, found {}",
                all(name).len()
            ));
        }
    }
    for name in [
        "sender",
        "reply-to",
        "to",
        "cc",
        "bcc",
        "message-id",
        "in-reply-to",
        "references",
        "subject",
        "mime-version",
        "content-type",
        "content-transfer-encoding",
    ] {
        if all(name).len() > 1 {
            problems.push(format!("{name}: must appear at most once"));
        }
    }
    let one = |name: &str| all(name).first().copied().unwrap_or_default().to_owned();
    if let Err(problem) = check_date_time(&one("date")) {
        problems.push(format!("Date {:?}: {problem}", one("date")));
    }
    if let Err(problem) = check_message_id(&one("message-id"), sender_domain) {
        problems.push(format!("Message-ID {:?}: {problem}", one("message-id")));
    }
    if one("mime-version") != "1.0" {
        problems.push(format!(
            "MIME-Version must be 1.0, found {:?}",
            one("mime-version")
        ));
    }
    if let Err(problem) = check_content_type(&one("content-type")) {
        problems.push(format!("Content-Type {:?}: {problem}", one("content-type")));
    }
    let encoding = one("content-transfer-encoding").to_ascii_lowercase();
    let body_lines: Vec<&str> = body.split("\r\n").collect();
    if body_lines.iter().any(|line| line.contains(['\r', '\n'])) {
        problems.push("a bare CR or LF in the body".into());
    }
    if body_lines.iter().any(|line| line.len() > 998) {
        problems.push("a body line longer than 998 characters".into());
    }
    match encoding.as_str() {
        "7bit" if !body.is_ascii() => problems.push("8-bit body under 7bit".into()),
        "7bit" | "8bit" => {}
        "quoted-printable" => {
            if !body.is_ascii() || body_lines.iter().any(|line| line.len() > 76) {
                problems
                    .push("quoted-printable body with 8-bit characters or lines over 76".into());
            }
        }
        "base64" => {
            let alphabet = |byte: u8| byte.is_ascii_alphanumeric() || b"+/=".contains(&byte);
            if !body_lines
                .iter()
                .all(|line| line.len() <= 76 && line.bytes().all(alphabet))
            {
                problems.push("base64 body with other characters or lines over 76".into());
            }
        }
        other => problems.push(format!(
            "Content-Transfer-Encoding {other:?} is not one of 7bit, 8bit, quoted-printable, base64"
        )),
    }
    problems
}

/// RFC 5322 `dot-atom-text`.
fn is_dot_atom_text(text: &str) -> bool {
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    !text.is_empty()
        && text
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(atext))
}

/// `msg-id = "<" id-left "@" id-right ">"`, both sides `dot-atom-text` (or a domain literal
/// on the right), the right one the sender's domain.
fn check_message_id(value: &str, sender_domain: &str) -> Result<(), String> {
    let inner = value
        .strip_prefix('<')
        .and_then(|rest| rest.strip_suffix('>'))
        .ok_or("not in angle brackets")?;
    let (left, right) = inner.rsplit_once('@').ok_or("no @")?;
    if !is_dot_atom_text(left) {
        return Err(format!("the left part {left:?} is not dot-atom-text"));
    }
    let literal = right.starts_with('[') && right.ends_with(']');
    if !literal && !is_dot_atom_text(right) {
        return Err(format!("the right part {right:?} is not dot-atom-text"));
    }
    if !right.eq_ignore_ascii_case(sender_domain) {
        return Err(format!("not on the sender's domain {sender_domain}"));
    }
    Ok(())
}

/// `date-time = [ day-of-week "," ] date time`: `Mon, 23 Nov 2026 09:00:00 +0000` (one or
/// two digits for the day, seconds optional, a numeric zone; no obsolete forms).
fn check_date_time(value: &str) -> Result<(), String> {
    let rest = match value.split_once(',') {
        Some((day, rest)) => {
            const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            if !DAYS.contains(&day.trim()) {
                return Err(format!("{day:?} is not a day of the week"));
            }
            rest
        }
        None => value,
    };
    let parts: Vec<&str> = rest.split_whitespace().collect();
    let [day, month, year, time, zone] = parts[..] else {
        return Err("not `day month year time zone`".into());
    };
    let digits = |text: &str, lengths: &[usize]| {
        lengths.contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_digit())
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let time_parts: Vec<&str> = time.split(':').collect();
    let zone_ok = zone.len() == 5 && zone.starts_with(['+', '-']) && digits(&zone[1..], &[4]);
    let ok = digits(day, &[1, 2])
        && MONTHS.contains(&month)
        && digits(year, &[4])
        && matches!(time_parts.len(), 2 | 3)
        && time_parts.iter().all(|part| digits(part, &[2]))
        && zone_ok;
    if ok {
        Ok(())
    } else {
        Err("not an RFC 5322 date-time".into())
    }
}

/// `type/subtype` tokens and a `charset` parameter.
fn check_content_type(value: &str) -> Result<(), String> {
    let token = |text: &str| {
        !text.is_empty()
            && text
                .bytes()
                .all(|byte| (33..=126).contains(&byte) && !b"()<>@,;:\\\"/[]?=".contains(&byte))
    };
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or_default().trim();
    let (kind, subtype) = media.split_once('/').ok_or("no type/subtype")?;
    if !token(kind) || !token(subtype) {
        return Err("type or subtype is not a token".into());
    }
    let charset = parts.find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    });
    match charset {
        Some(charset) if token(charset) => Ok(()),
        _ => Err("no charset parameter".into()),
    }
}

#[test]
fn the_strict_check_refuses_what_it_should() {
    let good = "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nFrom: a <a@example.org>\r\nTo: b@example.org\r\nMessage-ID: <x.y@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nhello\r\n";
    assert_eq!(rfc5322_problems(good, "example.org"), Vec::<String>::new());
    for (from, to) in [
        ("Message-ID: <x.y@example.org>\r\n", ""),
        ("<x.y@example.org>", "<x.y@mail.example.net>"),
        ("<x.y@example.org>", "x.y@example.org"),
        ("<x.y@example.org>", "<x..y@example.org>"),
        ("MIME-Version: 1.0\r\n", ""),
        ("; charset=utf-8", ""),
        ("7bit", "8-bit"),
        ("Mon, 23 Nov", "Mon, 32x Nov"),
        ("+0000", "UTC"),
        ("Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n", ""),
        ("\r\n\r\nhello", "\r\n\r\nhéllo"),
        ("To: b", "To: b\nX: y\r\nTo: b"),
    ] {
        let bad = good.replacen(from, to, 1);
        assert!(!rfc5322_problems(&bad, "example.org").is_empty(), "{bad}");
    }
}
