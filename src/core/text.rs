//! Text from outside — workspace names, other operators' audit reasons,
//! errors from servers — made safe to print on a terminal: a control
//! character (an escape sequence can move the cursor, rewrite a line or set
//! the window title) or a bidirectional override (it can make text read in
//! another order than it is) is shown escaped, never sent as it is.

use std::borrow::Cow;

fn is_hostile(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// `text` with every control character and bidirectional override written
/// as an escape (`\u{1b}`, `\n`), so it prints as one inert line.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hostile(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` with the characters freedesktop notification bodies read as
/// markup (`&`, `<`, `>`) written as entities: a workspace name such as
/// `<b>x</b> & <i>y` shows as it is, never as bold text or a broken body.
pub fn markup_escaped(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>']) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;"),
    )
}

/// Terminal output: like [`printable`], but a line break stays a line
/// break (the output's own layout).
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_hostile(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for line in text.split('\n') {
        if !out.is_empty() || text.starts_with('\n') {
            out.push('\n');
        }
        out.push_str(&printable(line));
    }
    Cow::Owned(out)
}

/// JSON text with the control and bidirectional characters JSON allows raw
/// (C1 controls, overrides) escaped as `\uXXXX`: still the same JSON.
pub fn json(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            // Outside strings a JSON text has only these controls.
            '\n' | '\r' | '\t' => out.push(c),
            c if is_hostile(c) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_for_notification_bodies() {
        assert_eq!(
            markup_escaped("<b>x</b> & <i>y"),
            "&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;y"
        );
        assert!(matches!(markup_escaped("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn escapes_and_overrides_print_as_inert_text() {
        assert_eq!(printable("Acme Solar (pilot)"), "Acme Solar (pilot)");
        assert_eq!(
            printable("Ünïcødé Café — 東京 ☕"),
            "Ünïcødé Café — 東京 ☕"
        );
        assert_eq!(
            printable("evil\u{1b}]0;pwned\u{7}\u{1b}[2J"),
            "evil\\u{1b}]0;pwned\\u{7}\\u{1b}[2J"
        );
        assert_eq!(printable("two\nlines\r"), "two\\nlines\\r");
        assert_eq!(printable("abc\u{202E}fed"), "abc\\u{202e}fed");
        assert!(!printable("\u{9b}31m").contains('\u{9b}'), "C1 CSI too");
        assert_eq!(terminal("a\u{1b}[2J\nb"), "a\\u{1b}[2J\nb");
        assert_eq!(terminal("\nx\n"), "\nx\n");
        let j = serde_json::to_string(&"n\u{9b}1m\u{202e}").unwrap();
        let safe = json(&j);
        assert_eq!(safe, "\"n\\u009b1m\\u202e\"");
        let back: String = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, "n\u{9b}1m\u{202e}", "the same JSON");
    }
}
