use super::*;

const T0: i64 = 1_772_000_000_000 - 1_772_000_000_000 % 60_000;

fn row(id: &str, ts: i64, message: &str) -> String {
    serde_json::json!({
        "level": "warning", "message": message, "rowId": id, "source": "serverless",
        "timestampInMs": ts, "domain": "zrg.example", "messageTruncated": false,
        "requestMethod": "GET", "requestPath": "/api/cron/background-jobs", "responseStatusCode": 200
    })
    .to_string()
}

fn loop_failed(ws: &str, draft: &str, error: &str) -> String {
    format!(
        "{REVISION_LOOP_FAILED} {{ clientId: '{ws}', leadId: 'lead_1', draftId: '{draft}', error: '{error}' }}"
    )
}

#[test]
fn lines_survive_any_split_even_inside_a_utf8_character() {
    let text = format!(
        "{}\n\n{}\r\nnot json\n",
        row("a", T0, "héllo — ✓"),
        row("b", T0, "two")
    );
    let bytes = text.as_bytes();
    for cut in 0..bytes.len() {
        let mut lines = Lines::default();
        let mut got = lines.push(&bytes[..cut]);
        got.extend(lines.push(&bytes[cut..]));
        assert_eq!(got.len(), 3, "cut at {cut}: {got:?}");
        assert!(got[0].contains("héllo — ✓"), "cut at {cut}: {got:?}");
        assert_eq!(got[2], "not json");
        assert!(!lines.reset());
    }
}

#[test]
fn a_line_over_the_limit_is_dropped_and_the_next_one_read() {
    let mut lines = Lines::default();
    let long = vec![b'x'; MAX_LINE + 10];
    assert!(lines.push(&long).is_empty());
    assert!(lines.push(b"yyy").is_empty());
    let got = lines.push(b"\nnext\n");
    assert_eq!(got, vec!["next".to_owned()]);
    assert_eq!(lines.overlong, 1);
    lines.push(b"partial");
    assert!(lines.reset(), "a reset mid-line drops the partial line");
}

#[test]
fn rows_delimiters_and_noise() {
    assert!(matches!(parse_line(&row("1", T0, "x")), Line::Row(r) if r.row_id == "1"));
    let numeric = r#"{"message":"x","rowId":42,"source":"serverless","timestampInMs":1}"#;
    assert!(matches!(parse_line(numeric), Line::Row(r) if r.row_id == "42"));
    let delimiter = r#"{"level":"error","message":"Exceeded runtime logs limit","rowId":"","source":"delimiter","timestampInMs":1}"#;
    assert_eq!(
        parse_line(delimiter),
        Line::Delimiter {
            message: "Exceeded runtime logs limit".to_owned(),
            timestamp_ms: 1
        }
    );
    assert_eq!(parse_line("not json"), Line::Noise);
    assert_eq!(parse_line("{}"), Line::Noise);
    assert_eq!(parse_line("[1,2]"), Line::Noise);
}

#[test]
fn node_fields_one_line_many_lines_quotes_json_and_continuations() {
    let one = "[AutoSend] x { clientId: 'ws_1', leadId: null, draftId: 'd_1', error: 'deadline_exceeded' }";
    assert_eq!(field(one, "clientId").as_deref(), Some("ws_1"));
    assert_eq!(field(one, "leadId"), None);
    assert_eq!(field(one, "error").as_deref(), Some("deadline_exceeded"));
    let many = "[AutoSend] x {\n  clientId: 'cl_9f8e7d6c5b4a39281706f5e4d3c2b1a0',\n  leadId: 'l',\n  draftId: 'dr_0011',\n  error: \"can't reach database server\"\n}";
    assert_eq!(field(many, "draftId").as_deref(), Some("dr_0011"));
    assert_eq!(
        field(many, "error").as_deref(),
        Some("can't reach database server")
    );
    let escaped = r"x { error: 'it\'s `odd`', draftId: `d'2` }";
    assert_eq!(field(escaped, "error").as_deref(), Some("it's `odd`"));
    assert_eq!(field(escaped, "draftId").as_deref(), Some("d'2"));
    let json = r#"x {"clientId":"ws_2","draftId":"d_3","error":"boom"}"#;
    assert_eq!(field(json, "clientId").as_deref(), Some("ws_2"));
    let split =
        "x { error: 'Invalid prisma.aIDraft.update() invocation: ' +\n    'deadline_exceeded' }";
    assert_eq!(
        field(split, "error").as_deref(),
        Some("Invalid prisma.aIDraft.update() invocation: deadline_exceeded")
    );
    // A longer key that ends in the name is not it.
    assert_eq!(field("x { myclientId: 'no' }", "clientId"), None);
    // Cut by truncation before the closing quote: what there is.
    assert_eq!(
        field("x { draftId: 'd_4", "draftId").as_deref(),
        Some("d_4")
    );
}

#[test]
fn classify_by_text_never_by_level_or_from_a_request_row() {
    let mut r = match parse_line(&row("1", T0, &loop_failed("ws", "d", "deadline_exceeded"))) {
        Line::Row(r) => r,
        other => panic!("{other:?}"),
    };
    for level in ["warning", "error", "info"] {
        r.level = level.to_owned();
        assert_eq!(classify(&r).map(|f| f.kind), Some(Kind::DeadlineExceeded));
    }
    r.message = loop_failed("ws", "d", "Request timed out");
    assert_eq!(classify(&r).map(|f| f.kind), Some(Kind::OtherError));
    r.message =
        format!("{DECISION_NOT_PERSISTED} {{ draftId: 'd9', action: 'send', error: 'P1001' }}");
    let f = classify(&r).expect("a decision write failure");
    assert_eq!(
        (f.kind, f.workspace, f.draft_id.as_deref()),
        (Kind::DbWriteFailed, None, Some("d9"))
    );
    r.message = format!("{ARTIFACT_NOT_PERSISTED} {{ clientId: 'ws', draftId: 'd8' }}");
    assert_eq!(classify(&r).map(|f| f.kind), Some(Kind::DbWriteFailed));
    r.source = "request".to_owned();
    assert_eq!(classify(&r), None, "a request row never counts");
    r.source = "serverless".to_owned();
    r.message = "[AutoSend] Revision loop started".to_owned();
    assert_eq!(classify(&r), None);
}

fn feed(book: &mut Book, dep: &str, line: &str, now: i64) -> Option<Finding> {
    match book.line(dep, &parse_line(line), now) {
        Read::Counted(f) => Some(f),
        _ => None,
    }
}

#[test]
fn each_row_counts_once_in_the_minute_it_was_printed() {
    let mut book = Book::new(BookLimits::default());
    book.follow("dpl_a", false);
    book.connected("dpl_a", T0 + 10 * 60_000);
    let now = T0 + 10 * 60_000;
    // History the server replays, then the same rows again after a reconnect.
    for _ in 0..2 {
        feed(
            &mut book,
            "dpl_a",
            &row(
                "r1",
                T0 + 5_000,
                &loop_failed("ws1", "d1", "deadline_exceeded"),
            ),
            now,
        );
        feed(
            &mut book,
            "dpl_a",
            &row("r2", T0 + 65_000, &loop_failed("ws1", "d2", "boom")),
            now,
        );
        feed(
            &mut book,
            "dpl_a",
            &row("", T0 + 70_000, &loop_failed("ws2", "d3", "boom")),
            now,
        );
    }
    // Late and out of order: counted in its own minute.
    feed(
        &mut book,
        "dpl_a",
        &row(
            "r0",
            T0 + 9 * 60_000 + 59_000,
            &loop_failed("ws1", "d4", "deadline_exceeded"),
        ),
        now + 90_000,
    );
    assert_eq!((book.counted, book.repeats), (4, 3));
    let minutes = book.minutes(T0 - 60_000, now + 90_000);
    let got: Vec<_> = minutes
        .iter()
        .map(|m| {
            (
                m.minute.and_utc().timestamp_millis() - T0,
                m.workspace_id.as_deref(),
                m.revision_loop_failed,
                m.deadline_exceeded,
                m.provisional,
                m.from_history,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (0, Some("ws1"), 1, 1, false, true),
            (60_000, Some("ws1"), 1, 0, false, true),
            (60_000, Some("ws2"), 1, 0, false, true),
            (9 * 60_000, Some("ws1"), 1, 1, true, true),
        ]
    );
    let t = book.totals(T0, |ws| ws == Some("ws1"));
    assert_eq!(
        (t.revision_loop_failed, t.deadline_exceeded, t.other_error),
        (3, 2, 1)
    );
    assert_eq!(
        t.draft_ids.deadline_exceeded,
        vec!["d1".to_owned(), "d4".to_owned()]
    );
    assert_eq!(t.draft_ids.other_error, vec!["d2".to_owned()]);
}

#[test]
fn memory_stays_bounded_and_old_minutes_go() {
    let limits = BookLimits {
        window_ms: 10 * 60_000,
        max_seen: 1_000,
        ..BookLimits::default()
    };
    let mut book = Book::new(limits);
    book.connected("d", T0);
    for i in 0..20_000i64 {
        let ts = T0 + i * 100;
        feed(
            &mut book,
            "d",
            &row(
                &i.to_string(),
                ts,
                &loop_failed("ws", &format!("d{i}"), "boom"),
            ),
            ts,
        );
        assert!(book.remembered() <= 1_000);
    }
    let now = T0 + 20_000 * 100;
    assert!(
        book.minutes(0, now).len() <= 11,
        "{}",
        book.minutes(0, now).len()
    );
    // A row older than the window does not count.
    assert!(
        feed(
            &mut book,
            "d",
            &row("old", T0, &loop_failed("ws", "x", "boom")),
            now
        )
        .is_none()
    );
    assert_eq!(book.too_old, 1);
}

#[test]
fn what_it_cannot_see_is_a_state_of_its_own() {
    let mut book = Book::new(BookLimits::default());
    assert_eq!(book.state(T0, T0).name(), "blind", "nothing to read");
    book.follow("d", false);
    assert_eq!(book.state(T0, T0), ReaderState::Starting);
    book.connected("d", T0);
    assert_eq!(book.state(T0, T0 + 1_000), ReaderState::Reading);
    // Silent: no row for 3 minutes.
    let s = book.state(T0, T0 + 3 * 60_000);
    assert!(
        matches!(&s, ReaderState::Limited { reason } if reason.contains("silent")),
        "{s:?}"
    );
    feed(
        &mut book,
        "d",
        &row("1", T0 + 3 * 60_000, "tick"),
        T0 + 3 * 60_000,
    );
    assert_eq!(book.state(T0, T0 + 3 * 60_000), ReaderState::Reading);
    // A delimiter: limited, naming the cut; the same one replayed is no new cut.
    let cut = r#"{"level":"error","message":"Exceeded runtime logs limit","rowId":"","source":"delimiter","timestampInMs":7}"#;
    assert_eq!(book.line("d", &parse_line(cut), T0 + 4 * 60_000), Read::Cut);
    assert_eq!(
        book.line("d", &parse_line(cut), T0 + 4 * 60_000),
        Read::Nothing
    );
    feed(
        &mut book,
        "d",
        r#"{"level":"error","message":"Exceeded runtime logs limit","rowId":"","source":"delimiter","timestampInMs":1}"#,
        T0 + 4 * 60_000,
    );
    let s = book.state(T0, T0 + 4 * 60_000);
    assert!(
        matches!(&s, ReaderState::Limited { reason } if reason.contains("cut the stream")),
        "{s:?}"
    );
    // A window before what was seen: limited.
    let s = book.state(T0 - 30 * 60_000, T0 + 60_000);
    assert!(
        matches!(&s, ReaderState::Limited { reason } if reason.contains("not seen")),
        "{s:?}"
    );
    // No log access: blind.
    book.trouble(
        "d",
        ReaderState::Blind {
            reason: "HTTP 403".to_owned(),
        },
    );
    assert_eq!(book.state(T0, T0).name(), "blind");
    // A draining deployment's silence is expected.
    let mut book = Book::new(BookLimits::default());
    book.follow("old", true);
    book.connected("old", T0);
    assert_eq!(book.state(T0, T0 + 10 * 60_000), ReaderState::Reading);
}
