//! Fuzzing by property (proptest, 10 000 cases per target) of everything
//! that reads input from outside: the profiles file, the window parser, the
//! Vercel env JSON, the CSV writer, and the redaction of hostile passwords
//! (one strategy for the pure redaction and the connect and audit paths).
//! Each parser target first runs its committed seeds (`tests/fuzz_seeds/`),
//! then generated input; none may panic, and each has its invariant.

use proptest::prelude::*;
use rollout_panel::adapters::config::ConfigStore;
use rollout_panel::adapters::env::vercel::decode_env_page;
use rollout_panel::core::export::{DraftRow, cells, starts_formula, write_csv};
use rollout_panel::core::time::{MAX_WINDOW_DAYS, parse_window};
use std::path::{Path, PathBuf};

const CASES: u32 = 10_000;

fn seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz_seeds")
        .join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let p = e.expect("entry").path();
            let bytes = std::fs::read(&p).expect("seed");
            (p, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seeds in {}", dir.display());
    out
}

// ---- the profiles file ----

fn config_invariants(text: &str) {
    let store = ConfigStore::new(Path::new("/nonexistent-config-dir"));
    if let Ok((file, _warnings)) = store.load_text(text) {
        for p in file.profiles.values() {
            // Whatever was written, what the panel uses is in range.
            assert!((1..=3600).contains(&p.refresh_secs()));
            assert!((1..=120).contains(&p.grace_minutes()));
            assert!(rollout_panel::core::profile::check_api_url(&p.vercel_api).is_ok());
        }
    }
}

#[test]
fn config_seeds() {
    for (path, bytes) in seeds("config") {
        let text = String::from_utf8_lossy(&bytes);
        config_invariants(&text);
        let _ = path;
    }
}

fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        "[ -~]{0,20}".prop_map(|s| format!("{s:?}")),
        Just("true".to_owned()),
        Just("\"http://example.com\"".to_owned()),
        Just("\"https://api.vercel.com\"".to_owned()),
        Just("\"http://127.0.0.1:9\"".to_owned()),
        Just("[1, 2]".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn config_arbitrary_text_never_panics(text in "\\PC{0,200}") {
        config_invariants(&text);
    }

    #[test]
    fn config_profiles_with_any_values_load_in_range(
        name in "[a-z][a-z0-9_-]{0,10}",
        keys in proptest::collection::vec(
            (prop_oneof![
                Just("vercel_project"), Just("vercel_team"), Just("vercel_api"),
                Just("refresh_secs"), Just("grace_minutes"), Just("canary_workspace"),
                Just("other")
            ], toml_value()),
            0..6,
        ),
    ) {
        let mut text = format!("[profiles.{name}]\n");
        let mut seen = std::collections::BTreeSet::new();
        for (k, v) in keys {
            if seen.insert(k) {
                text.push_str(&format!("{k} = {v}\n"));
            }
        }
        config_invariants(&text);
    }
}

// ---- the window parser ----

fn window_invariants(text: &str) {
    if let Ok(d) = parse_window(text) {
        assert!(d > chrono::Duration::zero(), "{text:?}");
        assert!(d <= chrono::Duration::days(MAX_WINDOW_DAYS), "{text:?}");
    }
}

#[test]
fn window_seeds() {
    for (_, bytes) in seeds("window") {
        window_invariants(&String::from_utf8_lossy(&bytes));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn window_any_text_never_panics(text in "\\PC{0,40}") {
        window_invariants(&text);
    }

    #[test]
    fn window_any_number_and_unit(n in any::<u128>(), unit in "[mhdsMHD ]{0,2}") {
        window_invariants(&format!("{n}{unit}"));
    }
}

// ---- the Vercel env JSON ----

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        prop_oneof![
            Just("id"),
            Just("key"),
            Just("value"),
            Just("type"),
            Just("target"),
            Just("production"),
            Just("plain"),
            Just("encrypted"),
            Just("sensitive")
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("key".to_owned()),
                    Just("value".to_owned()),
                    Just("type".to_owned()),
                    Just("target".to_owned()),
                    Just("gitBranch".to_owned()),
                    Just("decrypted".to_owned()),
                    Just("updatedAt".to_owned()),
                    Just("envs".to_owned()),
                    Just("pagination".to_owned()),
                    Just("next".to_owned()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..6,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn vercel_invariants(page: serde_json::Value) {
    let n_items = page.get("envs").and_then(|e| e.as_array()).map(|a| a.len());
    if let Ok(decoded) = decode_env_page(page) {
        // Every item is either a record or said to be skipped.
        if let Some(n) = n_items {
            assert_eq!(decoded.records.len() + decoded.skipped.len(), n);
        }
    }
}

#[test]
fn vercel_json_seeds() {
    for (path, bytes) in seeds("vercel_json") {
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        vercel_invariants(value);
    }
    // The seed page: two good records, the malformed ones skipped, said.
    let (_, page) = seeds("vercel_json")
        .into_iter()
        .find(|(p, _)| p.ends_with("page.json"))
        .expect("page.json");
    let decoded = decode_env_page(serde_json::from_slice(&page).unwrap()).expect("a page");
    assert_eq!(decoded.records.len(), 1, "{decoded:?}");
    assert_eq!(decoded.skipped.len(), 3, "{decoded:?}");
    assert!(decoded.skipped.iter().any(|s| s.starts_with("key NO_ID")));
    assert_eq!(decoded.next, Some(1_771_400_000_000));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn vercel_any_json_never_panics(page in json_value()) {
        vercel_invariants(serde_json::json!({"envs": [page.clone()]}));
        vercel_invariants(page);
    }
}

// ---- the CSV writer ----

fn row(text: &str) -> DraftRow {
    let t = chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("a time");
    DraftRow {
        draft_id: format!("d-{text}"),
        workspace_id: "c1".into(),
        workspace_name: text.to_owned(),
        lead_id: "l1".into(),
        channel: "email".into(),
        created_at: t,
        attempted_at: t,
        original_confidence: Some(0.8),
        revised_confidence: Some(0.5),
        threshold: Some(0.9),
        action: Some(text.to_owned()),
        status: "pending".into(),
        iterations: Some(2),
        selector_used: Some(true),
        content: text.to_owned(),
    }
}

fn csv_invariants(texts: &[String]) {
    let rows: Vec<DraftRow> = texts.iter().map(|t| row(t)).collect();
    let mut out = Vec::new();
    write_csv(&mut out, &rows).expect("written");
    // Read as the file says (comma, quotes): exactly the cells written.
    let back: Vec<Vec<String>> = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(out.as_slice())
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(back.len(), rows.len());
    for (r, b) in rows.iter().zip(&back) {
        assert_eq!(b, &cells(r).to_vec());
    }
    // Read with any delimiter a spreadsheet might use, quote-aware or not:
    // no cell starts a formula.
    for delimiter in [b',', b';', b'\t'] {
        for quoting in [true, false] {
            for rec in csv::ReaderBuilder::new()
                .has_headers(false)
                .delimiter(delimiter)
                .quoting(quoting)
                .flexible(true)
                .from_reader(out.as_slice())
                .records()
            {
                let rec = rec.expect("a record");
                for cell in rec.iter() {
                    assert!(
                        !starts_formula(cell),
                        "delimiter {:?} quoting {quoting}: {cell:?} from {texts:?}",
                        delimiter as char
                    );
                }
            }
        }
    }
}

#[test]
fn csv_seeds() {
    let all: Vec<String> = seeds("csv")
        .into_iter()
        .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
        .collect();
    csv_invariants(&all);
}

fn hostile_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('='),
            Just('+'),
            Just('-'),
            Just('@'),
            Just('\u{FF1D}'),
            Just('\u{FF0B}'),
            Just('\u{FF0D}'),
            Just('\u{FF20}'),
            Just(','),
            Just(';'),
            Just('\t'),
            Just('\r'),
            Just('\n'),
            Just('"'),
            Just('\''),
            Just(' '),
            Just('\u{3000}'),
            Just('\u{0}'),
            Just('\u{1b}'),
            Just('é'),
            proptest::char::range('a', 'z'),
            proptest::char::range('0', '9'),
        ],
        0..30,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn csv_hostile_cells_never_start_a_formula(texts in proptest::collection::vec(hostile_text(), 1..4)) {
        csv_invariants(&texts);
    }
}

// ---- hostile passwords through the error paths ----

fn hostile_password() -> impl Strategy<Value = String> {
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
            Just('#'),
            Just('='),
            Just('\''),
            Just(' '),
            Just('é'),
            Just('東'),
            Just('🔑'),
            proptest::char::range('a', 'z'),
            proptest::char::range('0', '9'),
        ],
        6..24,
    )
    .prop_map(|cs| format!("Zq{}", cs.into_iter().collect::<String>()))
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The password raw, percent-encoded and JSON-escaped.
fn forms(pw: &str) -> [String; 3] {
    let json = serde_json::to_string(pw).expect("json");
    [pw.to_owned(), enc(pw), json[1..json.len() - 1].to_owned()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Every form a password takes in an error, a log line or an audit row
    /// (a URL, a query parameter, a keyword DSN, JSON and JSON inside JSON):
    /// no form of it survives the redaction.
    #[test]
    fn no_form_of_a_hostile_password_survives(pw in hostile_password()) {
        let [_, encoded, json_escaped] = forms(&pw);
        let dsn_quoted = pw.replace('\\', "\\\\").replace('\'', "\\'");
        let texts = [
            format!("cannot connect: postgres://zrg:{encoded}@db.example:5432/app failed"),
            format!("postgres://zrg@db/app?sslmode=require&sslpassword={encoded}&x=1"),
            format!("host=db user=zrg password='{dsn_quoted}' dbname=app"),
            format!("{{\"password\":\"{json_escaped}\",\"n\":1}}"),
            serde_json::json!({"reason": format!("pasted postgres://u:{encoded}@h/d")}).to_string(),
        ];
        for t in &texts {
            let r = rollout_panel::core::redact::redact(t);
            for f in forms(&pw) {
                prop_assert!(!r.contains(&f), "{f:?} in {r:?} (from {t:?})");
            }
        }
    }
}

proptest! {
    // Each case connects or writes a real file: fewer cases, same invariant.
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A connect the server refuses (a fake Postgres that answers every
    /// startup with FATAL 28P01, as a wrong password gets) and a URL that
    /// does not parse say why without the password, whatever it is made of.
    #[test]
    fn a_failed_connect_never_shows_the_password(pw in hostile_password()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        let e = enc(&pw);
        rt.block_on(async {
            let port = refusing_postgres().await;
            for url in [
                format!("postgres://zrg:{e}@127.0.0.1:{port}/app?sslmode=disable"),
                format!("postgres://zrg@127.0.0.1:{port}/app?sslmode=disable&sslpassword={e}&frob={e}"),
                // Not encoded: the URL may not even parse.
                format!("postgres://zrg:{pw}@127.0.0.1:{port}/app?sslmode=disable"),
            ] {
                let Err(err) = rollout_panel::adapters::store::PgStore::connect(&url).await else {
                    panic!("the fake server refuses every login");
                };
                let text = format!("{err} {err:?}");
                if url.contains(&e) {
                    // It reached the server: the refusal is what it says.
                    assert!(text.contains("password authentication failed"), "{text}");
                }
                for f in forms(&pw) {
                    assert!(!text.contains(&f), "{f:?} in {text:?}");
                }
            }
        });
    }

    /// The audit log stores a pasted URL or JSON with the password masked.
    #[test]
    fn the_audit_never_stores_the_password(pw in hostile_password()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("rt");
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("audit.sqlite");
        let e = enc(&pw);
        rt.block_on(async {
            let log = rollout_panel::adapters::audit::AuditLog::open(&path).await.expect("open");
            log.intent(
                chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
                    .and_then(|d| d.and_hms_opt(10, 0, 0))
                    .expect("time"),
                &rollout_panel::adapters::audit::Intent {
                    profile: "production",
                    lever: "canary-enable",
                    reason: &format!("pasted postgres://zrg:{e}@db/app?sslpassword={e}"),
                    summary: "toggle",
                    detail: serde_json::json!({"password": pw, "url": format!("postgres://u:{e}@h/d")}),
                },
            )
            .await
            .expect("intent");
            log.close().await;
        });
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir.path()).expect("dir") {
            bytes.extend(std::fs::read(entry.expect("entry").path()).expect("read"));
        }
        let text = String::from_utf8_lossy(&bytes);
        for f in forms(&pw) {
            prop_assert!(!text.contains(&f), "{f:?} in the audit file");
        }
    }
}

/// A fake Postgres on a free port that refuses every login the way a wrong
/// password is refused (`ErrorResponse` FATAL 28P01): the driver fails at
/// once, with the server's message.
async fn refusing_postgres() -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                loop {
                    let mut head = [0u8; 8];
                    if sock.read_exact(&mut head).await.is_err() {
                        return;
                    }
                    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
                    let code = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
                    let mut rest = vec![0u8; len.saturating_sub(8)];
                    if sock.read_exact(&mut rest).await.is_err() {
                        return;
                    }
                    if code == 80_877_103 {
                        // SSLRequest: no TLS here.
                        let _ = sock.write_all(b"N").await;
                        continue;
                    }
                    let mut body = Vec::new();
                    for (field, text) in [
                        (b'S', "FATAL"),
                        (b'V', "FATAL"),
                        (b'C', "28P01"),
                        (b'M', "password authentication failed for user \"zrg\""),
                    ] {
                        body.push(field);
                        body.extend_from_slice(text.as_bytes());
                        body.push(0);
                    }
                    body.push(0);
                    let mut msg = vec![b'E'];
                    msg.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
                    msg.extend_from_slice(&body);
                    let _ = sock.write_all(&msg).await;
                    return;
                }
            });
        }
    });
    port
}

// ---- rows of the shared audit table (issue 28) ----

fn hostile_time() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("infinity".to_owned())),
        Just(Some("-infinity".to_owned())),
        (
            0u32..400_000,
            0u32..14,
            0u32..33,
            0u32..25,
            0u32..61,
            0u32..1000,
            any::<bool>()
        )
            .prop_map(|(y, mo, d, h, mi, ms, bc)| Some(format!(
                "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{mi:02}.{ms:03}{}",
                if bc { " BC" } else { "" }
            ))),
        any::<String>().prop_map(Some),
    ]
}

fn shared_row_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\\u{202a}-\\u{202e}<>&a-z\\n]{0,64}",
        (0usize..20_000).prop_map(|n| "é\n".repeat(n)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: CASES, ..ProptestConfig::default() })]

    #[test]
    fn shared_audit_rows_never_panic_and_never_count_unsigned(
        id in any::<i64>(),
        at in hostile_time(),
        recorded_at in hostile_time(),
        server_now in hostile_time(),
        texts in proptest::collection::vec(shared_row_text(), 8),
        seq in proptest::option::of(any::<i64>()),
        signer in proptest::option::of(prop_oneof![any::<String>(), Just("ed25519:AAAA".to_owned())]),
        signature in proptest::option::of(any::<String>()),
        issued in proptest::option::of(any::<bool>()),
    ) {
        use rollout_panel::adapters::audit::{SharedRow, decode_shared};
        let row = SharedRow {
            id,
            entry_id: texts[0].clone(),
            action_id: texts[1].clone(),
            at,
            operator: texts[2].clone(),
            profile: texts[3].clone(),
            lever: texts[4].clone(),
            kind: texts[5].clone(),
            status: "pending".to_owned(),
            reason: texts[6].clone(),
            summary: texts[7].clone(),
            detail: texts[7].clone(),
            seq,
            prev_hash: None,
            signer,
            signature,
            recorded_at,
            issued,
            server_now,
        };
        let roster = rollout_panel::core::trust::Roster::default();
        let e = decode_shared(row, &roster, None);
        // Nothing a random row holds is signed by the (empty) roster.
        prop_assert!(!e.counts());
        // Every text the screen shows is one inert, bounded line.
        for shown in [&e.operator, &e.profile, &e.lever, &e.reason, &e.summary, &e.entry_id, &e.action_id] {
            prop_assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
            prop_assert!(shown.len() <= 9 * 1024, "{}", shown.len());
        }
        // Its time is a real one, no earlier than the panel's epoch.
        prop_assert!(e.at >= rollout_panel::core::trust::earliest());
    }
}
