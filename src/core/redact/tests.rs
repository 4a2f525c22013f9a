use super::*;

#[test]
fn urls_parameters_dsns_and_json_fields_are_masked() {
    for (text, want) in [
        (
            "failed for postgres://zrg:s3cr3t@db.example:5432/app now",
            "failed for postgres://zrg:•••@db.example:5432/app now",
        ),
        (
            "a postgresql://u:p@h/d and b postgres://h2/x",
            "a postgresql://u:•••@h/d and b postgres://h2/x",
        ),
        ("postgres://user@host/db", "postgres://user@host/db"),
        ("postgres://u:p:q@h", "postgres://u:•••@h"),
        // A raw '@' in the password: the host starts after the last one.
        ("postgres://u:p@ss@host/db", "postgres://u:•••@host/db"),
        // Query parameters, any case.
        (
            "postgres://h/db?sslmode=require&sslpassword=hunter2&x=1",
            "postgres://h/db?sslmode=require&sslpassword=•••&x=1",
        ),
        ("url?password=hunter2", "url?password=•••"),
        ("?PASSWORD=hunter2&a=b", "?PASSWORD=•••&a=b"),
        // Keyword DSNs, quoted with escapes.
        (
            "host=db user=zrg password='a b\\'c' dbname=app",
            "host=db user=zrg password=••• dbname=app",
        ),
        (
            "host=db password=plain dbname=app",
            "host=db password=••• dbname=app",
        ),
        // JSON, and JSON-escaped JSON, and escaped slashes.
        (
            r#"{"user":"zrg","password":"p\"w","x":1}"#,
            r#"{"user":"zrg","password":"•••","x":1}"#,
        ),
        (
            r#"{\"token\": \"abc\", \"n\": 2}"#,
            r#"{\"token\": \"•••\", \"n\": 2}"#,
        ),
        (
            r#""url":"postgres:\/\/u:pw@h\/db""#,
            r#""url":"postgres:\/\/u:•••@h\/db""#,
        ),
        ("no url here", "no url here"),
    ] {
        assert_eq!(redact(text), want, "{text}");
    }
}

mod property {
    use super::*;
    use proptest::prelude::*;

    /// Passwords made of what breaks naive redaction.
    fn hostile() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('"'),
                Just('\\'),
                Just('@'),
                Just('/'),
                Just('%'),
                Just(':'),
                Just('?'),
                Just('&'),
                Just('='),
                Just('\''),
                Just(' '),
                Just('é'),
                Just('東'),
                Just('🔑'),
                proptest::char::range('a', 'z'),
                proptest::char::range('0', '9'),
            ],
            8..24,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    fn enc(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(10_000))]

        /// Every form a password takes in an error, a log line or an audit
        /// row: no form of it survives (a marker keeps short passwords from
        /// matching by chance).
        #[test]
        fn no_form_of_a_hostile_password_survives(pw in hostile()) {
            let pw = format!("Zq{pw}");
            let encoded = enc(&pw);
            let json_escaped = serde_json::to_string(&pw).unwrap();
            let json_escaped = &json_escaped[1..json_escaped.len() - 1];
            let dsn_quoted = pw.replace('\\', "\\\\").replace('\'', "\\'");
            let texts = [
                format!("cannot connect: postgres://zrg:{encoded}@db.example:5432/app failed"),
                format!("postgres://zrg@db/app?sslmode=require&sslpassword={encoded}&x=1"),
                format!("host=db user=zrg password='{dsn_quoted}' dbname=app"),
                format!("{{\"password\":\"{json_escaped}\",\"n\":1}}"),
                serde_json::json!({"reason": format!("pasted postgres://u:{encoded}@h/d")}).to_string(),
            ];
            for t in &texts {
                let r = redact(t);
                prop_assert!(!r.contains(&pw), "raw password in {r:?} (from {t:?})");
                prop_assert!(!r.contains(&encoded), "encoded password in {r:?}");
                prop_assert!(!r.contains(json_escaped), "escaped password in {r:?}");
            }
        }
    }
}
