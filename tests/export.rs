//! The quality-review export against real databases and real files: the same
//! seed and data give the same file on Postgres (V1, V2) and SQLite; the file
//! is written atomically; the command line writes, prints and audits it.

mod common;

use common::{DATA_BASE, DATA_METRICS, DATA_REVISIONS, PG_V0, PG_V1, PG_V2, TestDb, ts};
use rollout_panel::adapters::store::{PgStore, SqliteStore, Store};
use rollout_panel::ops::export::{SampleRequest, draw, write_atomic};

const FIXED_CREATED_AT: &str = r#"UPDATE "AIDraft" SET "createdAt" = '2026-02-20 09:00:00.125';"#;

fn request(n: usize, seed: u64) -> SampleRequest {
    SampleRequest {
        start: ts("2026-02-01 00:00:00"),
        end: ts("2026-03-01 00:00:00"),
        workspace_id: None,
        n,
        seed,
    }
}

/// The CSV of a sample, as bytes.
async fn export_bytes(store: &dyn Store, n: usize, seed: u64) -> (Vec<u8>, usize) {
    let sample = draw(store, request(n, seed)).await.expect("sample");
    let dir = common::temp_dir();
    let path = dir.path().join("out.csv");
    write_atomic(&path, &sample.rows).expect("write");
    (std::fs::read(&path).expect("read"), sample.population)
}

/// The file with the iterations column (14th) blanked: V1 has no such column.
fn without_iterations(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::Reader::from_reader(bytes)
        .records()
        .map(|r| {
            let mut v: Vec<String> = r.expect("record").iter().map(str::to_owned).collect();
            v[13].clear();
            v
        })
        .collect()
}

#[tokio::test]
async fn postgres_and_sqlite_give_the_same_file_for_the_same_seed() {
    let mut files = Vec::new();
    for fixtures in [
        vec![PG_V0, PG_V1, DATA_BASE, DATA_REVISIONS, DATA_METRICS],
        vec![PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS, DATA_METRICS],
    ] {
        let db = TestDb::create().await;
        db.apply(&fixtures).await;
        // The fixtures leave createdAt to the database's clock: pin it, so
        // databases made at different instants hold the same data.
        db.apply(&[FIXED_CREATED_AT]).await;
        let store = PgStore::connect(&db.url).await.expect("connect");
        files.push(export_bytes(&store, 2, 5).await);
        // Asking for more than exist gives all of them.
        let (all, population) = export_bytes(&store, 25, 5).await;
        assert_eq!(population, 4, "d1, d3, d4, d7 are applied and stamped");
        assert_eq!(without_iterations(&all).len(), 4);
    }
    let dir = common::temp_dir();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.path().join("prod-shaped.sqlite"))
        .create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    rollout_panel::demo::apply_schema(&pool).await.unwrap();
    for script in [DATA_BASE, DATA_REVISIONS, DATA_METRICS, FIXED_CREATED_AT] {
        sqlx::raw_sql(script).execute(&pool).await.unwrap();
    }
    let sqlite = SqliteStore::from_pool(pool).await.expect("store");
    let (lite, population) = export_bytes(&sqlite, 2, 5).await;
    assert_eq!(population, 4);
    // More asked than exist: all of them, and the sample says so.
    let all = draw(&sqlite, request(25, 5)).await.expect("sample");
    assert_eq!(all.rows.len(), 4);
    assert_eq!(
        all.describe(),
        "all 4 revised drafts of the window (25 asked, fewer exist)"
    );
    assert_eq!(
        draw(&sqlite, request(2, 5)).await.unwrap().describe(),
        "2 of 4 revised drafts"
    );
    let (v1, _) = &files[0];
    let (v2, _) = &files[1];
    assert_eq!(
        String::from_utf8_lossy(v2),
        String::from_utf8_lossy(&lite),
        "V2 Postgres and SQLite: byte for byte"
    );
    assert_eq!(
        without_iterations(v1),
        without_iterations(&lite),
        "V1 differs only by the iterations column it does not have"
    );
    let rows = without_iterations(&lite);
    assert_eq!(rows.len(), 2);
    // Other seeds pick other pairs of these four (one of six pairs each).
    let mut differs = false;
    for seed in 6..20 {
        differs |= export_bytes(&sqlite, 2, seed).await.0 != lite;
    }
    assert!(differs, "every seed picked the same pair");
}

#[test]
fn a_failed_write_leaves_the_target_as_it_was() {
    let dir = common::temp_dir();
    let rows = Vec::new();
    // The parent folder does not exist: nothing is created.
    let missing = dir.path().join("no-such-dir").join("out.csv");
    let e = write_atomic(&missing, &rows).expect_err("no folder");
    assert!(e.to_string().contains("cannot write"), "{e}");
    assert!(!missing.exists());
    // The target is a directory: the rename fails, the directory stays, and
    // no temporary file is left behind.
    let target = dir.path().join("busy.csv");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let e = write_atomic(&target, &rows).expect_err("a directory");
    assert!(e.to_string().contains("moving it into place failed"), "{e}");
    assert!(target.join("keep").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // An existing file is replaced whole.
    let path = dir.path().join("out.csv");
    std::fs::write(&path, "old,content\n").unwrap();
    write_atomic(&path, &rows).expect("write");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("\"draft_id\",\"workspace_id\""), "{text}");
    assert!(!text.contains("old,content"));
}

#[test]
fn the_cli_exports_the_demo_reproducibly_prints_to_stdout_and_audits() {
    let dir = common::temp_dir();
    let d = dir.path();
    let out1 = d.join("a.csv");
    let out2 = d.join("b.csv");
    // A wide window: the demo world's day of history has applied revisions.
    // Its end is fixed: the demo keeps revising drafts between the runs.
    let until = chrono::Utc::now() - chrono::Duration::minutes(10);
    let until = until.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let args = |out: &std::path::Path| {
        vec![
            "export".to_owned(),
            "--profile".into(),
            "demo".into(),
            "--out".into(),
            out.display().to_string(),
            "--sample".into(),
            "5".into(),
            "--seed".into(),
            "77".into(),
            "--window".into(),
            "2d".into(),
            "--until".into(),
            until.clone(),
        ]
    };
    let run = |a: Vec<String>| {
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        common::panel_env(d, &refs, "", &[])
    };
    let o = run(args(&out1));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("seed 77"), "{said}");
    assert!(said.contains(&format!("--until {until}")), "{said}");
    let o = run(args(&out2));
    assert_eq!(o.status.code(), Some(0));
    let (a, b) = (std::fs::read(&out1).unwrap(), std::fs::read(&out2).unwrap());
    assert_eq!(a, b, "same seed, same data, same file");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(a.as_slice())
        .records()
        .map(|r| r.expect("parses"))
        .collect();
    assert_eq!(rows.len(), 5);
    // Standard output gets the same CSV.
    let mut to_stdout = args(&out1);
    to_stdout[4] = "-".into();
    let o = run(to_stdout);
    assert_eq!(o.stdout, a);
    // The audit log has who exported what and where, not the content.
    let o = run(vec![
        "audit".into(),
        "--profile".into(),
        "demo".into(),
        "--json".into(),
    ]);
    let log = String::from_utf8_lossy(&o.stdout);
    assert!(log.contains("\"lever\": \"export\""), "{log}");
    assert!(log.contains("a.csv"));
    let first_content = rows[0].get(15).unwrap();
    assert!(
        !log.contains(first_content),
        "no draft content in the audit log"
    );
    // A malformed or future end is refused with a clear line, and writes nothing.
    let bad = d.join("c.csv");
    for (until, says) in [
        ("yesterday", "not an RFC 3339 time"),
        ("2999-01-01T00:00:00Z", "in the future"),
    ] {
        let mut a = args(&bad);
        let at = a.iter().position(|x| x == "--until").unwrap() + 1;
        a[at] = until.into();
        let o = run(a);
        assert_eq!(o.status.code(), Some(1), "{until}");
        let said = String::from_utf8_lossy(&o.stderr);
        assert!(said.contains(says), "{until}: {said}");
        assert!(!bad.exists());
    }
}

#[test]
fn without_portal_or_zenity_no_dialog_is_offered_and_the_export_falls_back() {
    use rollout_panel::ops::export::{
        DialogOutcome, ExportOutcome, SaveDialog, dialog_unavailable_in, export_with,
    };
    let empty = common::temp_dir();
    let path = Some(empty.path().as_os_str().to_owned());
    // Neither dbus-send (to find a portal) nor zenity on this PATH.
    let why = dialog_unavailable_in(path, true).expect("no dialog");
    assert!(why.contains("zenity"), "{why}");
    // zenity without a display cannot show anything either.
    let tools = common::temp_dir();
    std::fs::write(tools.path().join("zenity"), "#!/bin/sh\n").unwrap();
    let with_zenity = Some(tools.path().as_os_str().to_owned());
    assert!(dialog_unavailable_in(with_zenity.clone(), false).is_some());
    assert_eq!(dialog_unavailable_in(with_zenity, true), None);

    // The export then goes to the fallback folder and says so.
    struct NoDialog(String);
    impl SaveDialog for NoDialog {
        fn ask(&self, _: &std::path::Path, _: &str) -> DialogOutcome {
            DialogOutcome::Unavailable(self.0.clone())
        }
    }
    let out = common::temp_dir();
    let fallback = out.path().join("Downloads");
    match export_with(&NoDialog(why), &fallback, "x.csv", &[], None) {
        ExportOutcome::Written {
            path,
            rows,
            fallback: Some(reason),
        } => {
            assert_eq!(path, fallback.join("x.csv"));
            assert_eq!(rows, 0);
            assert!(reason.contains("zenity"));
            let mode = std::os::unix::fs::PermissionsExt::mode(
                &std::fs::metadata(&path).unwrap().permissions(),
            );
            assert_eq!(
                mode & 0o777,
                0o600,
                "customer messages: private, the operator hands it on"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Contents a spreadsheet would misread, and a long one.
fn special_contents() -> Vec<(&'static str, String)> {
    vec![
        ("d1", "Hi,\r\nsee you 😀 soon\r\n".to_owned()),
        ("d3", "=SUM(A1)".to_owned()),
        ("d4", "- item one\n+ item two\n@mention".to_owned()),
        ("d7", "x".repeat(4_990) + "ünï😀"),
    ]
}

#[tokio::test]
async fn the_workbook_holds_every_content_byte_for_byte_as_string_cells_with_the_review() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    use rollout_panel::core::review::{FailReason, Verdict};
    let db = TestDb::create().await;
    db.apply(&[PG_V0, PG_V1, PG_V2, DATA_BASE, DATA_REVISIONS])
        .await;
    let pool = db.pool().await;
    for (id, content) in special_contents() {
        sqlx::query(r#"UPDATE "AIDraft" SET "content" = $1 WHERE "id" = $2"#)
            .bind(&content)
            .bind(id)
            .execute(&pool)
            .await
            .expect("content");
    }
    let store = PgStore::connect(&db.url).await.expect("connect");
    let sample = draw(&store, request(25, 5)).await.expect("sample");
    assert_eq!(sample.rows.len(), 4);
    let mut review = rollout_panel::core::export::Review::new();
    review.insert(
        "d3".to_owned(),
        Verdict {
            draft_id: "d3".to_owned(),
            pass: false,
            reason: Some(FailReason::Formatting),
            note: "=HYPERLINK(\"x\")".to_owned(),
            reviewer: "alice@host-a".to_owned(),
            at: ts("2026-03-01 10:00:00"),
        },
    );
    let dir = common::temp_dir();
    let path = dir.path().join("review.XLSX");
    assert_eq!(
        rollout_panel::core::export::Format::of_path(&path),
        rollout_panel::core::export::Format::Xlsx
    );
    rollout_panel::ops::export::write_atomic_as(
        &path,
        &sample.rows,
        rollout_panel::core::export::Format::Xlsx,
        Some(&review),
    )
    .expect("write");
    // Read back with an independent reader.
    let mut book: Xlsx<_> = open_workbook(&path).expect("a workbook");
    let range = book.worksheet_range("revised drafts").expect("the sheet");
    let rows: Vec<&[Data]> = range.rows().collect();
    let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
    let mut want: Vec<&str> = rollout_panel::core::export::COLUMNS.to_vec();
    want.extend(rollout_panel::core::export::REVIEW_COLUMNS);
    assert_eq!(header, want, "the CSV's columns, the review's at the end");
    let expected: std::collections::BTreeMap<&str, String> =
        special_contents().into_iter().collect();
    for (row, r) in rows[1..].iter().zip(&sample.rows) {
        assert_eq!(row[0], Data::String(r.draft_id.clone()));
        // The content exactly as the database holds it, as a string cell.
        assert_eq!(
            row[15],
            Data::String(expected[r.draft_id.as_str()].clone()),
            "{}",
            r.draft_id
        );
        // Every text cell is a string cell (never a formula, never a number).
        for c in [0, 1, 2, 3, 4, 5, 6, 12, 15] {
            assert!(
                matches!(row[c], Data::String(_)),
                "{} col {c}: {:?}",
                r.draft_id,
                row[c]
            );
        }
        let reviewed = r.draft_id == "d3";
        assert_eq!(
            row.get(16).cloned().unwrap_or(Data::Empty),
            if reviewed {
                Data::String("fail".into())
            } else {
                Data::Empty
            }
        );
        if reviewed {
            assert_eq!(row[17], Data::String("formatting".into()));
            assert_eq!(
                row[18],
                Data::String("=HYPERLINK(\"x\")".into()),
                "the note as written"
            );
            assert_eq!(row[19], Data::String("alice@host-a".into()));
        }
    }
    // No formula anywhere in the sheet.
    let formulas = book.worksheet_formula("revised drafts").expect("formulas");
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no cell is a formula"
    );
}
