//! Masks credentials in text that may reach a log, an audit row, a crash
//! report or the screen: the password of `scheme://user:password@host` (also
//! with JSON-escaped slashes, `:\/\/`), the value of any secret-named
//! parameter (`?password=`, `&sslpassword=`, a keyword DSN's
//! `password='…'`, `token=`, `secret=`), and the value of a secret-named
//! JSON field (`"password": "…"`, with escapes).

/// What a masked value is shown as.
pub const MASK: &str = "•••";

/// Whether a parameter or field name names a secret.
fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("password")
        || n.contains("passwd")
        || n.contains("secret")
        || n.contains("token")
        || matches!(n.as_str(), "pwd" | "apikey" | "api_key" | "pass")
}

/// Masks every credential in `text` (see the module's doc).
pub fn redact(text: &str) -> String {
    let text = redact_userinfo(text);
    let text = redact_json_fields(&text);
    redact_params(&text)
}

/// Where a URL-ish token ends: whitespace or a quote (a raw `"` inside a
/// password cannot be told from the end of a quoted URL; its start is
/// masked anyway up to there).
fn token_end(s: &str) -> usize {
    s.find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '<' || c == '>')
        .unwrap_or(s.len())
}

fn redact_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let plain = rest.find("://").map(|p| (p, 3));
        let escaped = rest.find(":\\/\\/").map(|p| (p, 5));
        let next = match (plain, escaped) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        let Some((pos, len)) = next else {
            break;
        };
        let (head, tail) = rest.split_at(pos + len);
        out.push_str(head);
        let end = token_end(tail);
        let token = &tail[..end];
        // The user info ends at the last '@' before the query (a raw '@' in a
        // password is common; a host never has one).
        let before_query = token.find(['?', '#']).unwrap_or(token.len());
        let at = token[..before_query]
            .rfind('@')
            .or_else(|| token.rfind('@'));
        match at {
            Some(at) => {
                let userinfo = &token[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push(':');
                        out.push_str(MASK);
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&token[at..]);
            }
            None => out.push_str(token),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `name=value` with a secret name: the value, up to `&`, `;`, `,`,
/// whitespace, a quote or a backslash, or a whole quoted value
/// (`password='a b'`, with `\'` escapes).
fn redact_params(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'=' {
            i += 1;
            continue;
        }
        // The name before '=': letters, digits, '_', '-', '.'.
        let name_start = text[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .map_or(0, |p| p + 1);
        let name = &text[name_start..i];
        let value_start = i + 1;
        if name.is_empty() || !secret_name(name) {
            i += 1;
            continue;
        }
        let rest = &text[value_start..];
        let value_len = match rest.chars().next() {
            Some(q @ ('\'' | '"')) => quoted_len(rest, q),
            _ => rest
                .find(|c: char| {
                    c.is_whitespace() || matches!(c, '&' | ';' | ',' | '"' | '\'' | ')' | '}')
                })
                .unwrap_or(rest.len()),
        };
        if value_len > 0 {
            out.push_str(&text[copied..value_start]);
            out.push_str(MASK);
            copied = value_start + value_len;
        }
        i = value_start + value_len.max(1);
    }
    out.push_str(&text[copied.min(text.len())..]);
    out
}

/// Where the first `q` not escaped by a backslash is in `body` (the whole
/// length when there is none).
fn closing(body: &str, q: char) -> usize {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            c if c == q && !escaped => return i,
            _ => escaped = false,
        }
    }
    body.len()
}

/// The length of a quoted value starting at `s[0] == q` (an ASCII quote),
/// through its closing quote; the whole rest when it is not closed.
fn quoted_len(s: &str, q: char) -> usize {
    let body = &s[1..];
    match closing(body, q) {
        end if end == body.len() => s.len(),
        end => end + 2,
    }
}

/// `"name": "value"` (JSON, possibly itself escaped as `\"name\":\"value\"`)
/// with a secret name: the string value.
fn redact_json_fields(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(q) = rest.find('"') {
        // A field name: "name" then optional blanks, ':', optional blanks, '"'.
        let after = &rest[q + 1..];
        let Some(close) = after.find('"') else {
            break;
        };
        let raw_name = after[..close].trim_end_matches('\\');
        let tail = &after[close + 1..];
        let colon = tail.trim_start();
        let is_field = colon.starts_with(':');
        if !(is_field && secret_name(raw_name)) {
            out.push_str(&rest[..q + 1]);
            rest = after;
            continue;
        }
        let value = colon[1..].trim_start();
        let value = value.strip_prefix('\\').unwrap_or(value);
        let Some(body) = value.strip_prefix('"') else {
            out.push_str(&rest[..q + 1]);
            rest = after;
            continue;
        };
        // The value runs to the first '"' not escaped by a backslash (for
        // an escaped JSON text, to the first `\"` closing it).
        let escaped_json = after[..close].ends_with('\\');
        let end = if escaped_json {
            body.find("\\\"").unwrap_or(body.len())
        } else {
            closing(body, '"')
        };
        let value_start = rest.len() - body.len();
        out.push_str(&rest[..value_start]);
        out.push_str(MASK);
        rest = &body[end.min(body.len())..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
