//! Reads one field of the object Node prints after a console message:
//! `util.inspect` renders `{ clientId: 'ws_1', draftId: 'd_1', error: 'x' }`
//! on one line, or one field per line when it is long; strings are quoted
//! with `'`, or `"` or `` ` `` when they hold quotes, with backslash escapes;
//! old Node versions split a long string as `'abc' +\n 'def'`. A JSON
//! rendering (`"clientId":"ws_1"`) is read as well.

/// The string value of `key` in `message`, if the message has one (`null`,
/// `undefined` or a field that is not a string: `None`).
pub fn field(message: &str, key: &str) -> Option<String> {
    let bytes = message.as_bytes();
    let mut from = 0;
    while let Some(at) = message[from..].find(key) {
        let start = from + at;
        let end = start + key.len();
        from = end;
        // A whole key: not the tail or head of a longer name.
        let before = start.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_') {
            continue;
        }
        let mut rest = &message[end..];
        // `"clientId":` (JSON) or `'clientId':` (a quoted key).
        if before.is_some_and(|b| b == b'"' || b == b'\'') {
            match rest.strip_prefix(char::from(before.unwrap_or(b'"'))) {
                Some(r) => rest = r,
                None => continue,
            }
        }
        let Some(r) = rest.trim_start_matches([' ', '\t']).strip_prefix(':') else {
            continue;
        };
        return string_value(r.trim_start());
    }
    None
}

/// A quoted string at the start of `s`, with Node's `' +` continuations.
fn string_value(s: &str) -> Option<String> {
    let (mut out, mut rest) = quoted(s)?;
    loop {
        let after = rest.trim_start();
        let Some(next) = after.strip_prefix('+') else {
            return Some(out);
        };
        match quoted(next.trim_start()) {
            Some((more, r)) => {
                out.push_str(&more);
                rest = r;
            }
            None => return Some(out),
        }
    }
}

/// One quoted string at the start of `s` and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let mut chars = s.char_indices();
    let (_, quote) = chars.next()?;
    if !matches!(quote, '\'' | '"' | '`') {
        return None;
    }
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in chars {
        if escaped {
            out.push(match c {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                other => other,
            });
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return Some((out, &s[i + c.len_utf8()..]));
        } else {
            out.push(c);
        }
    }
    // Cut before the closing quote (a truncated message): what there is.
    (!out.is_empty()).then_some((out, ""))
}
