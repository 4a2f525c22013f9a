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
