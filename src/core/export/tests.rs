//! The CSV and the sample: round trip through the `csv` reader, formula
//! neutralising, reproducible sampling.

use super::*;
use chrono::NaiveDate;

fn at(h: u32) -> UtcNaive {
    NaiveDate::from_ymd_opt(2026, 3, 2)
        .unwrap()
        .and_hms_milli_opt(h, 0, 0, 250)
        .unwrap()
}

fn row(id: &str, content: &str) -> DraftRow {
    DraftRow {
        draft_id: id.to_owned(),
        workspace_id: "c-1".into(),
        workspace_name: "Acme, \"Solar\"".into(),
        lead_id: "l-1".into(),
        channel: "email".into(),
        created_at: at(9),
        attempted_at: at(10),
        original_confidence: Some(0.6),
        revised_confidence: Some(0.7),
        threshold: Some(0.9),
        action: Some("send_delayed".into()),
        status: "pending".into(),
        iterations: None,
        selector_used: Some(true),
        content: content.to_owned(),
    }
}

fn read(bytes: &[u8]) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(bytes)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn round_trip_keeps_every_cell() {
    let long = "x".repeat(5000);
    let rows = vec![
        row("d1", "Hi Ann, thanks \"so\" much,\nsee you\r\nsoon 🎉"),
        row("d2", &long),
        DraftRow {
            original_confidence: None,
            action: None,
            selector_used: None,
            ..row("d3", "plain")
        },
    ];
    let mut out = Vec::new();
    write_csv(&mut out, &rows).unwrap();
    assert!(std::str::from_utf8(&out).is_ok());
    let back = read(&out);
    assert_eq!(back[0], COLUMNS.map(str::to_owned).to_vec());
    assert_eq!(back.len(), 4);
    for (r, cells_back) in rows.iter().zip(&back[1..]) {
        assert_eq!(cells_back, &cells(r).to_vec());
        assert_eq!(cells_back[15], r.content, "content survives untouched");
    }
    assert_eq!(back[1][2], "Acme, \"Solar\"");
    assert_eq!(back[1][6], "2026-03-02T10:00:00.250Z");
    assert_eq!(back[1][9], "0.1", "uplift without float noise");
    // NULL is an empty cell, never "null".
    assert_eq!(back[3][7], "");
    assert_eq!(back[3][9], "");
    assert_eq!(back[3][11], "");
    assert_eq!(back[3][14], "");
    assert!(!String::from_utf8_lossy(&out).contains("null"));
    assert_eq!(back[1][13], "", "iterations empty before V2");
}

#[test]
fn formulas_are_neutralised_and_numbers_stay_numbers() {
    for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
        let r = row("d1", bad);
        let c = cells(&r);
        assert_eq!(c[15], format!("'{bad}"), "{bad:?}");
    }
    assert_eq!(cells(&row("d1", "fine = ok"))[15], "fine = ok");
    // A negative uplift is a number, not text: no quote.
    let r = DraftRow {
        original_confidence: Some(0.8),
        revised_confidence: Some(0.5),
        ..row("d1", "x")
    };
    assert_eq!(cells(&r)[9], "-0.3");
    // Other text cells too (a workspace name someone typed).
    let r = DraftRow {
        workspace_name: "=cmd".into(),
        ..row("d1", "x")
    };
    assert_eq!(cells(&r)[2], "'=cmd");
}

#[test]
fn the_same_seed_gives_the_same_sample_whatever_the_read_order() {
    let ids: Vec<String> = (0..200).map(|i| format!("d{i:03}")).collect();
    let mut shuffled = ids.clone();
    shuffled.reverse();
    let a = sample_ids(ids.clone(), 25, 42);
    assert_eq!(a.len(), 25);
    assert_eq!(a, sample_ids(shuffled, 25, 42));
    assert_ne!(
        a,
        sample_ids(ids.clone(), 25, 43),
        "another seed, another sample"
    );
    let mut unique = a.clone();
    unique.dedup();
    assert_eq!(unique.len(), 25, "without replacement");
    // More asked than there are: all of them.
    assert_eq!(sample_ids(ids[..10].to_vec(), 25, 1), ids[..10].to_vec());
}

#[test]
fn file_names_carry_profile_date_and_seed() {
    assert_eq!(
        file_name("prod/eu", at(10), 7),
        "revised-drafts-prod_eu-2026-03-02-seed7.csv"
    );
}

#[test]
fn formulas_after_blanks_in_full_width_or_after_a_separator_are_neutralised() {
    for (bad, want) in [
        ("  =HYPERLINK(\"x\")", "  '=HYPERLINK(\"x\")"),
        ("\u{3000}=1", "\u{3000}'=1"),
        ("\u{FF1D}1+1", "'\u{FF1D}1+1"),
        ("\u{FF20}SUM(A1)", "'\u{FF20}SUM(A1)"),
        ("ok;=1+1", "ok;'=1+1"),
        ("a, -2", "a, '-2"),
        ("x\t@y", "x\t'@y"),
        ("\"=1\"", "\"'=1\""),
    ] {
        assert_eq!(neutralise(bad), want, "{bad:?}");
    }
    assert_eq!(
        neutralise("Hi Ann, see you at 5pm; thanks"),
        "Hi Ann, see you at 5pm; thanks"
    );
}

/// Every cell of `bytes` read with `delimiter`, quote-aware or naive.
fn cells_read_as(bytes: &[u8], delimiter: u8, quoting: bool) -> Vec<String> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .quoting(quoting)
        .flexible(true)
        .from_reader(bytes)
        .records()
        .flat_map(|r| {
            r.expect("a record")
                .iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn no_cell_starts_a_formula_whatever_the_delimiter_a_spreadsheet_reads_with() {
    let hostile = [
        "=HYPERLINK(\"http://x\",\"y\")",
        "  =1+1",
        "\t=1",
        "\u{FF1D}1+1",
        "ok;=1+1",
        "ok,=1+1",
        "ok\t@SUM(A1)",
        "a;\"=1\";b",
        "x,\u{3000}+1",
        "\r\n-1+1",
    ];
    let rows: Vec<DraftRow> = hostile
        .iter()
        .map(|h| DraftRow {
            workspace_name: (*h).to_owned(),
            original_confidence: Some(0.8),
            revised_confidence: Some(0.5),
            ..row("d1", h)
        })
        .collect();
    let mut out = Vec::new();
    write_csv(&mut out, &rows).unwrap();
    for delimiter in [b',', b';', b'\t'] {
        for quoting in [true, false] {
            let cells = cells_read_as(&out, delimiter, quoting);
            assert!(cells.len() > 10);
            let bad: Vec<&String> = cells.iter().filter(|c| starts_formula(c)).collect();
            assert!(
                bad.is_empty(),
                "delimiter {:?}, quoting {quoting}: {bad:?}",
                delimiter as char
            );
        }
    }
    // The check can fail: the raw text, unneutralised, does start formulas.
    assert!(starts_formula("  =1+1") && starts_formula("\u{FF1D}1"));
    assert!(!starts_formula("-0.3"));
}

#[test]
fn a_review_adds_its_columns_at_the_end_and_leaves_the_others_unchanged() {
    use crate::core::review::{FailReason, Verdict};
    let rows = [row("a", "hello"), row("b", "bye")];
    let mut plain = Vec::new();
    write_csv(&mut plain, &rows).unwrap();
    let mut review = Review::new();
    review.insert(
        "b".to_owned(),
        Verdict {
            draft_id: "b".to_owned(),
            pass: false,
            reason: Some(FailReason::MeaningChanged),
            note: "=cmd".to_owned(),
            reviewer: "bob@h".to_owned(),
            at: at(1),
        },
    );
    let mut reviewed = Vec::new();
    write_csv_reviewed(&mut reviewed, &rows, Some(&review)).unwrap();
    let (plain, reviewed) = (read(&plain), read(&reviewed));
    assert_eq!(reviewed[0][..COLUMNS.len()], plain[0][..]);
    assert_eq!(
        reviewed[0][COLUMNS.len()..],
        REVIEW_COLUMNS.map(String::from)
    );
    for (p, r) in plain.iter().zip(&reviewed).skip(1) {
        assert_eq!(r[..COLUMNS.len()], p[..], "the existing columns unchanged");
    }
    assert_eq!(
        reviewed[1][COLUMNS.len()..],
        ["", "", "", ""].map(String::from)
    );
    assert_eq!(
        reviewed[2][COLUMNS.len()..],
        ["fail", "meaning_changed", "'=cmd", "bob@h"].map(String::from),
        "the note neutralised like every CSV text cell"
    );
}
