//! The live poll in one statement: the workspaces with their toggles and the
//! per-minute series' sources (claims, evaluations, AI errors), as one
//! `UNION ALL` the server answers in one round trip. The same statement
//! without the workspaces reads a series range (the first poll's history,
//! the CLI's from-scratch read), so every reader of the series shares one
//! SQL text and one decoder.
//!
//! The parts are the statements of [`super::sql`] as subqueries; the union
//! gives every row the same columns (`kind` says which part it is) and is
//! composed once per dialect and schema shape ([`statement`]).
//!
//! Two things are read only when they changed, through [`PollCache`]:
//! - **the workspaces** (Postgres): the statement always returns a
//!   fingerprint of `Client` and `WorkspaceSettings` (row count, sum and
//!   maximum of the rows' `xmin`: any insert, update or delete changes it)
//!   and returns the rows themselves only when it differs from the one the
//!   panel holds — and at least every [`WORKSPACES_AT_LEAST_EVERY`];
//! - **the lead → workspace map**: evaluations come per lead, and a lead's
//!   workspace is looked up once (`Lead.clientId` never changes: the app
//!   writes it only when it creates the lead).

use super::sql;
use crate::core::metrics::{MinuteBucket, MinuteStats, SeriesChunk};
use crate::core::schema::SchemaReport;
use crate::core::time::UtcNaive;
use crate::core::workspace::Workspace;
use chrono::NaiveDateTime;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// The end bound of a read with no end: later than any stamp the app
/// writes, and written the same way by both databases (SQLite compares
/// timestamps as text).
pub const NO_END: UtcNaive = match chrono::NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => match d.and_hms_opt(23, 59, 59) {
        Some(t) => t,
        None => NaiveDateTime::MIN,
    },
    None => NaiveDateTime::MIN,
};

/// The SQL dialect of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// Production.
    Postgres,
    /// The demo's file.
    Sqlite,
}

/// What a live poll reads: every workspace with its toggle, and the series
/// from the poll's `since` on.
#[derive(Clone, Debug, PartialEq)]
pub struct PollRead {
    /// Every workspace, ordered by name then id (the database's collation);
    /// `None` when nothing in them changed since the list this store's
    /// previous poll returned (the statement then sends no workspace row).
    pub workspaces: Option<Vec<Workspace>>,
    /// Every bucket at or after `since`.
    pub series: SeriesChunk,
}

/// One row of the union. `kind`: 0 workspace, 1 claims (per minute and
/// workspace), 2 one evaluation (lead, action in `name`, stamp in
/// `max_stamp`), 3 AI errors (per minute and workspace), 4 the workspaces'
/// fingerprint (in `name`); the other columns are the part's, NULL where it
/// has none.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct PollRow {
    kind: i64,
    ord: i64,
    minute: Option<NaiveDateTime>,
    client: Option<String>,
    lead: Option<String>,
    name: Option<String>,
    has_row: Option<bool>,
    enabled: Option<bool>,
    updated_at: Option<NaiveDateTime>,
    n1: Option<i64>,
    n2: Option<i64>,
    n3: Option<i64>,
    n4: Option<i64>,
    uplift_sum: Option<f64>,
    max_stamp: Option<NaiveDateTime>,
}

/// Which parts a schema can answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    workspaces: bool,
    /// The toggle column exists (V1+).
    toggle: bool,
    /// Claims: none (V0 or unreadable columns), without or with the
    /// `AIInteraction` failure rule.
    claims: Option<bool>,
    /// `AIInteraction` is readable.
    errors: bool,
}

impl Shape {
    fn of(report: &SchemaReport, workspaces: bool) -> Self {
        Self {
            workspaces,
            toggle: report.variant.has_revision_columns(),
            claims: report.revision_readable().then_some(report.ai_interaction),
            errors: report.ai_interaction,
        }
    }

    /// A dense index over every shape (for the statement cache).
    fn index(self) -> usize {
        let claims = match self.claims {
            None => 0,
            Some(false) => 1,
            Some(true) => 2,
        };
        (usize::from(self.workspaces) * 2 + usize::from(self.toggle)) * 6
            + claims * 2
            + usize::from(self.errors)
    }

    fn all() -> impl Iterator<Item = Shape> {
        [false, true].into_iter().flat_map(|workspaces| {
            [false, true].into_iter().flat_map(move |toggle| {
                [None, Some(false), Some(true)]
                    .into_iter()
                    .flat_map(move |claims| {
                        [false, true].into_iter().map(move |errors| Shape {
                            workspaces,
                            toggle,
                            claims,
                            errors,
                        })
                    })
            })
        })
    }
}

/// The NULL columns of a part, typed so both databases agree on the union.
const NULL_TS: &str = "CAST(NULL AS TIMESTAMP)";
const NULL_INT: &str = "CAST(NULL AS BIGINT)";
const NULL_BOOL: &str = "CAST(NULL AS BOOLEAN)";
const NULL_TEXT: &str = "CAST(NULL AS TEXT)";
const NULL_FLOAT: &str = "CAST(NULL AS DOUBLE PRECISION)";

/// The workspaces' fingerprint (Postgres): per table, the row count and the
/// sum and maximum of the rows' transaction ids. An insert or update gives
/// its row a new `xmin`, a delete lowers the count.
const FINGERPRINT: &str = r#"(SELECT count(*) || ':' || COALESCE(sum(x), 0) || ':' || COALESCE(max(x), 0) FROM (SELECT CAST(CAST(c.xmin AS TEXT) AS BIGINT) AS x FROM "Client" c) c) || '/' || (SELECT count(*) || ':' || COALESCE(sum(x), 0) || ':' || COALESCE(max(x), 0) FROM (SELECT CAST(CAST(ws.xmin AS TEXT) AS BIGINT) AS x FROM "WorkspaceSettings" ws) ws)"#;

/// The workspaces are read whole at least this often, fingerprint or not.
pub const WORKSPACES_AT_LEAST_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Lead → workspace entries kept at most; past it the map starts again.
const LEADS_KEPT: usize = 1_000_000;

/// What a store keeps between polls (shared by its clones).
#[derive(Debug, Default)]
pub struct PollCache {
    /// `Lead.id` → `Lead.clientId`.
    leads: std::collections::HashMap<String, String>,
    /// The fingerprint of the workspace list last returned, and when the
    /// list was last read whole.
    workspaces: Option<(String, std::time::Instant)>,
}

/// The cache, locked (a poisoned lock is taken over: it holds no invariant
/// a panic could break, only entries).
pub(crate) fn lock(cache: &std::sync::Mutex<PollCache>) -> std::sync::MutexGuard<'_, PollCache> {
    cache
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PollCache {
    /// The fingerprint to send: the held list's, unless it is due a whole read.
    pub(crate) fn known_fingerprint(&self) -> Option<String> {
        self.workspaces
            .as_ref()
            .filter(|(_, at)| at.elapsed() < WORKSPACES_AT_LEAST_EVERY)
            .map(|(fp, _)| fp.clone())
    }

    /// The leads of these rows whose workspace is not known yet.
    pub(crate) fn unknown_leads(&self, rows: &[PollRow]) -> Vec<String> {
        let mut out: Vec<String> = rows
            .iter()
            .filter_map(|r| r.lead.as_ref())
            .filter(|l| !self.leads.contains_key(*l))
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Records looked-up leads.
    pub(crate) fn add_leads(&mut self, found: Vec<(String, String)>) {
        if self.leads.len() + found.len() > LEADS_KEPT {
            self.leads.clear();
        }
        self.leads.extend(found);
    }
}

/// One part of the union: every column's expression, typed NULL where the
/// part has none. Every part names its columns (the union takes the first
/// part's names), in [`PollRow`]'s order.
struct Part<'a> {
    kind: u8,
    ord: &'a str,
    minute: &'a str,
    client: &'a str,
    lead: &'a str,
    name: &'a str,
    has_row: &'a str,
    enabled: &'a str,
    updated_at: &'a str,
    n: [&'a str; 4],
    uplift_sum: &'a str,
    max_stamp: &'a str,
}

impl Default for Part<'_> {
    fn default() -> Self {
        Self {
            kind: 0,
            ord: "CAST(0 AS BIGINT)",
            minute: NULL_TS,
            client: NULL_TEXT,
            lead: NULL_TEXT,
            name: NULL_TEXT,
            has_row: NULL_BOOL,
            enabled: NULL_BOOL,
            updated_at: NULL_TS,
            n: [NULL_INT; 4],
            uplift_sum: NULL_FLOAT,
            max_stamp: NULL_TS,
        }
    }
}

impl Part<'_> {
    /// The part's SELECT list over `from`.
    fn select(&self, from: &str) -> String {
        let [n1, n2, n3, n4] = self.n;
        format!(
            "SELECT CAST({} AS BIGINT) AS kind, {} AS ord, {} AS minute, {} AS client, {} AS lead, {} AS name, {} AS has_row, {} AS enabled, {} AS updated_at, {n1} AS n1, {n2} AS n2, {n3} AS n3, {n4} AS n4, {} AS uplift_sum, {} AS max_stamp\n{from}",
            self.kind,
            self.ord,
            self.minute,
            self.client,
            self.lead,
            self.name,
            self.has_row,
            self.enabled,
            self.updated_at,
            self.uplift_sum,
            self.max_stamp,
        )
    }
}

fn compose(dialect: Dialect, shape: Shape) -> String {
    let [plain_claims, evaluated, errors, failure_claims] = match dialect {
        Dialect::Postgres => sql::PG_SERIES,
        Dialect::Sqlite => sql::SQLITE_SERIES,
    };
    let mut parts = Vec::new();
    let mut with = String::new();
    if shape.workspaces {
        // Postgres: the rows only when the fingerprint differs from `$4`
        // (a one-time filter: the join and sort do not run otherwise).
        let gate = match dialect {
            Dialect::Postgres => {
                with = format!("WITH fp AS (SELECT {FINGERPRINT} AS v)\n");
                parts.push(
                    Part {
                        kind: 4,
                        name: "fp.v",
                        ..Part::default()
                    }
                    .select("FROM fp"),
                );
                "\nWHERE (SELECT fp.v FROM fp) IS DISTINCT FROM CAST($4 AS TEXT)"
            }
            Dialect::Sqlite => "",
        };
        parts.push(
            Part {
                kind: 0,
                ord: r#"CAST(row_number() OVER (ORDER BY c."name", c."id") AS BIGINT)"#,
                client: r#"c."id""#,
                name: r#"c."name""#,
                has_row: r#"(ws."id" IS NOT NULL)"#,
                enabled: if shape.toggle {
                    r#"ws."autoSendRevisionEnabled""#
                } else {
                    NULL_BOOL
                },
                updated_at: r#"ws."updatedAt""#,
                ..Part::default()
            }
            .select(&format!(
                r#"FROM "Client" c
LEFT JOIN "WorkspaceSettings" ws ON ws."clientId" = c."id"{gate}"#
            )),
        );
    }
    if let Some(failures) = shape.claims {
        let claims = if failures {
            failure_claims
        } else {
            plain_claims
        };
        parts.push(
            Part {
                kind: 1,
                minute: "s.minute",
                client: "s.client",
                n: ["s.attempted", "s.applied", "s.stuck", "s.uplift_n"],
                uplift_sum: "s.uplift_sum",
                max_stamp: "s.max_stamp",
                ..Part::default()
            }
            .select(&format!("FROM ({claims}) s")),
        );
    }
    // One row per evaluation: the action in `name`, the stamp in `max_stamp`.
    parts.push(
        Part {
            kind: 2,
            minute: "s.minute",
            lead: "s.lead",
            name: "s.action",
            max_stamp: "s.stamp",
            ..Part::default()
        }
        .select(&format!("FROM ({evaluated}) s")),
    );
    if shape.errors {
        parts.push(
            Part {
                kind: 3,
                minute: "s.minute",
                client: r#"s."clientId""#,
                n: ["s.errors", NULL_INT, NULL_INT, NULL_INT],
                max_stamp: "s.max_stamp",
                ..Part::default()
            }
            .select(&format!("FROM ({errors}) s")),
        );
    }
    with + &parts.join("\nUNION ALL\n")
}

/// Every shape's statement in a dialect, at its shape's index.
fn statements(dialect: Dialect) -> Vec<String> {
    let mut out = vec![String::new(); Shape::all().count()];
    for shape in Shape::all() {
        out[shape.index()] = compose(dialect, shape);
    }
    out
}

static PG_STATEMENTS: LazyLock<Vec<String>> = LazyLock::new(|| statements(Dialect::Postgres));
static SQLITE_STATEMENTS: LazyLock<Vec<String>> = LazyLock::new(|| statements(Dialect::Sqlite));

/// The statement for this dialect and schema: with the workspaces (a live
/// poll) or without (a series range). Parameters: 1 the range's start
/// (inclusive), 2 the stuck rule's cutoff (`now − STUCK_AFTER`), 3 the
/// range's end (exclusive; [`NO_END`] for none).
pub fn statement(dialect: Dialect, report: &SchemaReport, workspaces: bool) -> &'static str {
    let cache = match dialect {
        Dialect::Postgres => &PG_STATEMENTS,
        Dialect::Sqlite => &SQLITE_STATEMENTS,
    };
    cache[Shape::of(report, workspaces).index()].as_str()
}

/// Turns the union's rows into workspaces and a series chunk starting at
/// `since`, resolving each evaluation's lead through the cache (a lead it
/// lacks has no workspace: look them up first,
/// [`PollCache::unknown_leads`]). The workspaces are `None` when the
/// statement had no workspace part or when they did not change since the
/// list this cache last saw returned.
pub(crate) fn assemble(
    rows: Vec<PollRow>,
    since: UtcNaive,
    report: &SchemaReport,
    cache: &mut PollCache,
    with_workspaces: bool,
) -> (Option<Vec<Workspace>>, SeriesChunk) {
    let column_present = report.variant.has_revision_columns();
    let n = |v: Option<i64>| v.unwrap_or(0).max(0) as u64;
    let mut workspaces: Vec<(i64, Workspace)> = Vec::new();
    let mut rows_came = false;
    let mut fingerprint: Option<String> = None;
    let mut merged: BTreeMap<(NaiveDateTime, String), MinuteStats> = BTreeMap::new();
    let mut decisions: std::collections::HashSet<(String, Option<NaiveDateTime>, Option<String>)> =
        std::collections::HashSet::new();
    let mut max_stamp: Option<NaiveDateTime> = None;
    for r in rows {
        match r.kind {
            0 => {
                rows_came = true;
                let (Some(id), Some(name)) = (r.client, r.name) else {
                    continue;
                };
                workspaces.push((
                    r.ord,
                    super::workspace_from_row(
                        id,
                        name,
                        r.has_row.unwrap_or(false),
                        r.enabled,
                        r.updated_at,
                        column_present,
                    ),
                ));
                continue;
            }
            4 => {
                fingerprint = r.name;
                continue;
            }
            _ => {}
        }
        max_stamp = max_stamp.max(r.max_stamp);
        if r.kind == 2 {
            // One decision per lead, evaluation time and action: a Slack
            // "Regenerate" copy (contract §9) counts once.
            let (Some(minute), Some(lead)) = (r.minute, r.lead) else {
                continue;
            };
            let needs_review = r.name.as_deref() == Some("needs_review");
            if !decisions.insert((lead.clone(), r.max_stamp, r.name)) {
                continue;
            }
            // A draft without a lead (impossible with the FK) has no workspace.
            let Some(client) = cache.leads.get(&lead) else {
                continue;
            };
            let e = merged.entry((minute, client.clone())).or_default();
            e.evaluated += 1;
            e.needs_review += u64::from(needs_review);
            continue;
        }
        let (Some(minute), Some(client)) = (r.minute, r.client) else {
            continue;
        };
        let e = merged.entry((minute, client)).or_default();
        match r.kind {
            1 => {
                e.attempted = n(r.n1);
                e.applied = n(r.n2);
                e.stuck = n(r.n3);
                e.uplift_n = n(r.n4);
                e.uplift_sum = r.uplift_sum.unwrap_or(0.0);
            }
            _ => e.ai_errors = n(r.n1),
        }
    }
    workspaces.sort_by_key(|(ord, _)| *ord);
    let workspaces: Vec<Workspace> = workspaces.into_iter().map(|(_, w)| w).collect();
    let workspaces = match (fingerprint, rows_came) {
        _ if !with_workspaces => None,
        // No rows: the fingerprint matched the list last returned.
        (Some(fp), false)
            if cache
                .workspaces
                .as_ref()
                .is_some_and(|(kept, _)| *kept == fp) =>
        {
            None
        }
        // Rows came (or there is no workspace at all): the list as read now.
        (Some(fp), _) => {
            cache.workspaces = Some((fp, std::time::Instant::now()));
            Some(workspaces)
        }
        // SQLite: no fingerprint, the rows every time.
        (None, _) => Some(workspaces),
    };
    let buckets = merged
        .into_iter()
        .map(|((minute, client_id), counts)| MinuteBucket {
            minute,
            client_id,
            counts,
        })
        .collect();
    (
        workspaces,
        SeriesChunk {
            since,
            buckets,
            max_stamp,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_has_its_own_statement() {
        let shapes: Vec<Shape> = Shape::all().collect();
        assert_eq!(shapes.len(), 24);
        let mut seen = vec![false; shapes.len()];
        for s in &shapes {
            assert!(!seen[s.index()], "two shapes share index {}", s.index());
            seen[s.index()] = true;
        }
        // The parts present are the shape's.
        for s in shapes {
            let text = compose(Dialect::Postgres, s);
            assert_eq!(
                text.contains(r#"LEFT JOIN "WorkspaceSettings""#),
                s.workspaces,
                "{s:?}"
            );
            assert_eq!(text.contains("s.attempted"), s.claims.is_some(), "{s:?}");
            assert_eq!(
                text.contains(r#"EXISTS (SELECT 1 FROM "AIInteraction""#),
                s.claims == Some(true),
                "{s:?}"
            );
            assert_eq!(text.contains("s.errors"), s.errors, "{s:?}");
            assert_eq!(
                text.contains(r#"ws."autoSendRevisionEnabled""#),
                s.workspaces && s.toggle,
                "{s:?}"
            );
            assert!(text.contains("s.lead AS lead"));
        }
    }

    #[test]
    fn no_end_is_the_last_second_of_9999() {
        assert_eq!(NO_END.to_string(), "9999-12-31 23:59:59");
    }
}
