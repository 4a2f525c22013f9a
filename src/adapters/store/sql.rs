//! SQL shared by both stores. Only the placeholder and the minute-bucket
//! expression differ between Postgres and SQLite, so each statement is written
//! once and instantiated per dialect at compile time.

macro_rules! workspaces_sql {
    ($enabled:literal) => {
        concat!(
            r#"SELECT c."id", c."name", (ws."id" IS NOT NULL) AS has_row, "#,
            $enabled,
            r#" AS enabled, ws."updatedAt" AS updated_at
FROM "Client" c
LEFT JOIN "WorkspaceSettings" ws ON ws."clientId" = c."id"
ORDER BY c."name", c."id""#
        )
    };
}

macro_rules! counts_sql {
    ($p:literal) => {
        concat!(
            r#"SELECT l."clientId", count(*) AS attempted,
       count(*) FILTER (WHERE d."autoSendRevisionApplied" = true) AS applied
FROM "AIDraft" d
JOIN "Lead" l ON l."id" = d."leadId"
WHERE d."autoSendRevisionAttemptedAt" >= "#,
            $p,
            r#"
GROUP BY l."clientId""#
        )
    };
}

/// Claims per minute and workspace: attempted, applied, stuck (no revision
/// confidence yet and stamped before the second parameter, and not a
/// reviser failure — `$failed` — which is counted as an AI error instead:
/// one failure, one count; contract §9), confidence uplift.
macro_rules! series_sql {
    ($trunc:literal, $p1:literal, $p2:literal, $p3:literal, $failed:literal) => {
        concat!(
            "SELECT ",
            $trunc,
            r#"d."autoSendRevisionAttemptedAt") AS minute, d.client, count(*) AS attempted,
       count(*) FILTER (WHERE d."autoSendRevisionApplied" = true) AS applied,
       count(*) FILTER (WHERE d."autoSendRevisionConfidence" IS NULL AND NOT d.failed AND d."autoSendRevisionAttemptedAt" < "#,
            $p2,
            r#") AS stuck,
       CAST(COALESCE(sum(d."autoSendRevisionConfidence" - d."autoSendOriginalConfidence"), 0) AS DOUBLE PRECISION) AS uplift_sum,
       count(d."autoSendRevisionConfidence" - d."autoSendOriginalConfidence") AS uplift_n,
       max(d."autoSendRevisionAttemptedAt") AS max_stamp
FROM (SELECT d0."autoSendRevisionAttemptedAt", d0."autoSendRevisionApplied",
             d0."autoSendRevisionConfidence", d0."autoSendOriginalConfidence",
             (SELECT l."clientId" FROM "Lead" l WHERE l."id" = d0."leadId") AS client,
             "#,
            $failed,
            r#" AS failed
      FROM "AIDraft" d0
      WHERE d0."autoSendRevisionAttemptedAt" >= "#,
            $p1,
            r#" AND d0."autoSendRevisionAttemptedAt" < "#,
            $p3,
            r#") d
GROUP BY 1, 2
ORDER BY 1, 2"#
        )
    };
}

/// The evaluations stamped in the range, one row each (lead, action, stamp
/// and its minute). The store counts them per minute and workspace: a
/// Slack "Regenerate" copies the old draft's evaluation (contract §9), so
/// one decision per lead, evaluation time and action counts once, and the
/// workspace is the lead's (`Lead.clientId`, through the store's lead
/// cache: `PG_LEAD_CLIENTS`). Deduplicating, grouping and looking the lead
/// up per row here was most of a live poll's time (text sorts and index
/// probes), for the same numbers.
macro_rules! evaluated_sql {
    ($trunc:literal, $p1:literal, $p3:literal) => {
        concat!(
            "SELECT ",
            $trunc,
            r#"d0."autoSendEvaluatedAt") AS minute, d0."leadId" AS lead, d0."autoSendAction" AS action, d0."autoSendEvaluatedAt" AS stamp
FROM "AIDraft" d0
WHERE d0."autoSendEvaluatedAt" >= "#,
            $p1,
            r#" AND d0."autoSendEvaluatedAt" < "#,
            $p3
        )
    };
}

/// The workspace of each lead in a JSON array of lead ids, Postgres.
pub const PG_LEAD_CLIENTS: &str = r#"SELECT l."id", l."clientId" FROM "Lead" l
WHERE l."id" IN (SELECT jsonb_array_elements_text(CAST($1 AS JSONB)))"#;
/// The same, SQLite.
pub const SQLITE_LEAD_CLIENTS: &str = r#"SELECT l."id", l."clientId" FROM "Lead" l
WHERE l."id" IN (SELECT value FROM json_each(?1))"#;

/// AI errors of the revision path per minute and workspace (contract §1.6,
/// §3.6): the reviser's. `auto_send.context_select` errors are not fatal (the
/// revision goes on without context, contract §9) and are not counted.
macro_rules! ai_errors_sql {
    ($trunc:literal, $p1:literal, $p3:literal) => {
        concat!(
            "SELECT ",
            $trunc,
            r#"i."createdAt") AS minute, i."clientId", count(*) AS errors,
       max(i."createdAt") AS max_stamp
FROM "AIInteraction" i
WHERE i."clientId" IN (SELECT c."id" FROM "Client" c)
  AND i."featureId" = 'auto_send.revise'
  AND i."createdAt" >= "#,
            $p1,
            r#" AND i."createdAt" < "#,
            $p3,
            r#" AND i."status" = 'error'
GROUP BY 1, 2
ORDER BY 1, 2"#
        )
    };
}

macro_rules! draft_facts_sql {
    ($p1:literal, $p2:literal) => {
        (
            concat!(
                r#"SELECT
  count(*) FILTER (WHERE d."autoSendRevisionApplied" = true AND d."autoSendRevisionAttemptedAt" IS NULL) AS applied_without_attempt,
  count(*) FILTER (WHERE d."autoSendEvaluatedAt" >= "#,
                $p1,
                r#") AS evaluated,
  count(*) FILTER (WHERE d."autoSendEvaluatedAt" >= "#,
                $p1,
                r#" AND d."autoSendAction" IS NOT NULL AND (d."autoSendConfidence" IS NOT NULL OR d."autoSendAction" = 'skip')) AS recorded,
  count(*) FILTER (WHERE d."autoSendRevisionAttemptedAt" >= "#,
                $p2,
                r#") AS attempts
FROM "AIDraft" d"#
            ),
            // The evaluated drafts whose decision is not recorded (skip
            // decisions carry no confidence: contract §9).
            concat!(
                r#"SELECT d."id" FROM "AIDraft" d WHERE d."autoSendEvaluatedAt" >= "#,
                $p1,
                r#" AND NOT (d."autoSendAction" IS NOT NULL AND (d."autoSendConfidence" IS NOT NULL OR d."autoSendAction" = 'skip')) ORDER BY d."autoSendEvaluatedAt", d."id""#
            ),
            // The attempts from the judged time on.
            concat!(
                r#"SELECT d."id" FROM "AIDraft" d WHERE d."autoSendRevisionAttemptedAt" >= "#,
                $p1,
                r#" ORDER BY d."autoSendRevisionAttemptedAt", d."id""#
            ),
        )
    };
}

/// The readiness counts and draft ids, Postgres.
pub const PG_DRAFT_FACTS: (&str, &str, &str) = draft_facts_sql!("$1", "$2");
/// The readiness counts and draft ids, SQLite (numbered parameters).
pub const SQLITE_DRAFT_FACTS: (&str, &str, &str) = draft_facts_sql!("?1", "?2");

/// The revision loops' summaries since `$1` (`AIInteraction`
/// `auto_send.revision_loop`, stats in `metadata`;
/// `lib/auto-send/loop-observability.ts`). Postgres: jsonb.
pub const PG_LOOPS: &str = r#"SELECT i."metadata"->>'draftId', i."clientId", i."metadata"->>'stopReason',
       CAST(i."metadata"->>'iterationsUsed' AS BIGINT), i."metadata"->>'channel', i."createdAt",
       CASE WHEN jsonb_typeof(i."metadata"->'cacheHits') = 'number' THEN CAST(i."metadata"->>'cacheHits' AS BIGINT) END
FROM "AIInteraction" i
WHERE i."featureId" = 'auto_send.revision_loop' AND i."createdAt" >= $1
  AND jsonb_typeof(i."metadata"->'iterationsUsed') = 'number'
ORDER BY i."createdAt""#;
/// The same, SQLite (metadata as JSON text).
pub const SQLITE_LOOPS: &str = r#"SELECT json_extract(i."metadata", '$.draftId'), i."clientId", json_extract(i."metadata", '$.stopReason'),
       CAST(json_extract(i."metadata", '$.iterationsUsed') AS INTEGER), json_extract(i."metadata", '$.channel'), i."createdAt",
       CASE WHEN json_type(i."metadata", '$.cacheHits') IN ('integer', 'real') THEN CAST(json_extract(i."metadata", '$.cacheHits') AS INTEGER) END
FROM "AIInteraction" i
WHERE i."featureId" = 'auto_send.revision_loop' AND i."createdAt" >= ?
  AND json_type(i."metadata", '$.iterationsUsed') IN ('integer', 'real')
ORDER BY i."createdAt""#;

/// The reviser's calls since `$1` (`AIInteraction` `auto_send.revise`, any
/// status), through the (clientId, featureId, createdAt) index.
macro_rules! revise_calls_sql {
    ($p:literal) => {
        concat!(
            r#"SELECT i."leadId", i."createdAt", i."status" = 'error' AS failed, i."promptKey"
FROM "AIInteraction" i
WHERE i."clientId" IN (SELECT c."id" FROM "Client" c)
  AND i."featureId" = 'auto_send.revise'
  AND i."createdAt" >= "#,
            $p,
            r#" AND i."leadId" IS NOT NULL
ORDER BY i."createdAt""#
        )
    };
}

/// The `loop_error` artifacts of the claims since `$1`: from the stamp
/// index to each claim's run (unique on draftId) and its artifacts (unique
/// on runId, stage, iteration), never a scan of the artifacts.
macro_rules! loop_errors_sql {
    ($p:literal) => {
        concat!(
            r#"SELECT d."id", CAST(a."iteration" AS BIGINT) AS iteration
FROM "AIDraft" d
JOIN "DraftPipelineRun" r ON r."draftId" = d."id"
JOIN "DraftPipelineArtifact" a ON a."runId" = r."id" AND a."stage" = 'loop_error'
WHERE d."autoSendRevisionAttemptedAt" >= "#,
            $p,
            r#"
ORDER BY d."id", a."iteration""#
        )
    };
}

/// Reviser calls and loop errors, Postgres.
pub const PG_PATH: (&str, &str) = (revise_calls_sql!("$1"), loop_errors_sql!("$1"));
/// Reviser calls and loop errors, SQLite.
pub const SQLITE_PATH: (&str, &str) = (revise_calls_sql!("?1"), loop_errors_sql!("?1"));

macro_rules! toggle_sql {
    ($d:literal) => {
        (
            // Compare-and-set on the value the operator saw.
            concat!(
                r#"UPDATE "WorkspaceSettings" SET "autoSendRevisionEnabled" = "#, $d, r#"1, "updatedAt" = "#, $d, r#"2
WHERE "clientId" = "#, $d, r#"3 AND "autoSendRevisionEnabled" = "#, $d, r#"4"#
            ),
            // The operator saw no settings row: create it, unless someone just did.
            concat!(
                r#"INSERT INTO "WorkspaceSettings" ("id", "clientId", "autoSendRevisionEnabled", "createdAt", "updatedAt")
VALUES ("#, $d, r#"1, "#, $d, r#"2, "#, $d, r#"3, "#, $d, r#"4, "#, $d, r#"4)
ON CONFLICT ("clientId") DO NOTHING"#
            ),
            // Read back.
            concat!(
                r#"SELECT "autoSendRevisionEnabled", "updatedAt" FROM "WorkspaceSettings" WHERE "clientId" = "#, $d, "1"
            ),
        )
    };
}

/// Toggle update / insert / read-back, Postgres.
pub const PG_TOGGLE: (&str, &str, &str) = toggle_sql!("$");
/// Toggle update / insert / read-back, SQLite (numbered parameters).
pub const SQLITE_TOGGLE: (&str, &str, &str) = toggle_sql!("?");

/// Workspaces with their toggle (V1 and later).
pub const WORKSPACES: &str = workspaces_sql!(r#"ws."autoSendRevisionEnabled""#);
/// Workspaces on V0, where the toggle column does not exist.
pub const WORKSPACES_V0: &str = workspaces_sql!("CAST(NULL AS BOOLEAN)");

/// The admin page's counts, Postgres.
pub const PG_COUNTS: &str = counts_sql!("$1");
/// The admin page's counts, SQLite.
pub const SQLITE_COUNTS: &str = counts_sql!("?");

/// Per-minute series, Postgres: claims (without `AIInteraction`), evaluations,
/// AI errors, claims whose reviser failures are not also stuck.
pub const PG_SERIES: [&str; 4] = [
    series_sql!("date_trunc('minute', ", "$1", "$2", "$3", "false"),
    evaluated_sql!("date_trunc('minute', ", "$1", "$3"),
    ai_errors_sql!("date_trunc('minute', ", "$1", "$3"),
    // A reviser failure of the claimed draft: an `auto_send.revise` error
    // row of its lead within the stuck rule's 5 minutes after the stamp.
    series_sql!(
        "date_trunc('minute', ",
        "$1",
        "$2",
        "$3",
        r#"EXISTS (SELECT 1 FROM "AIInteraction" i WHERE i."leadId" = d0."leadId" AND i."featureId" = 'auto_send.revise' AND i."status" = 'error' AND i."createdAt" >= d0."autoSendRevisionAttemptedAt" AND i."createdAt" < d0."autoSendRevisionAttemptedAt" + interval '5 minutes')"#
    ),
];
/// Per-minute series, SQLite (timestamps are stored as text).
pub const SQLITE_SERIES: [&str; 4] = [
    series_sql!("strftime('%Y-%m-%d %H:%M:00', ", "?1", "?2", "?3", "0"),
    evaluated_sql!("strftime('%Y-%m-%d %H:%M:00', ", "?1", "?3"),
    ai_errors_sql!("strftime('%Y-%m-%d %H:%M:00', ", "?1", "?3"),
    series_sql!(
        "strftime('%Y-%m-%d %H:%M:00', ",
        "?1",
        "?2",
        "?3",
        r#"EXISTS (SELECT 1 FROM "AIInteraction" i WHERE i."leadId" = d0."leadId" AND i."featureId" = 'auto_send.revise' AND i."status" = 'error' AND i."createdAt" >= d0."autoSendRevisionAttemptedAt" AND i."createdAt" < strftime('%Y-%m-%d %H:%M:%f', d0."autoSendRevisionAttemptedAt", '+5 minutes'))"#
    ),
];

macro_rules! claims_sql {
    ($p:literal, $iterations:literal, $max_iterations:literal) => {
        concat!(
            r#"SELECT d."id", l."clientId", d."leadId", (d."autoSendRevisionConfidence" IS NOT NULL) AS revised, d."autoSendRevisionAttemptedAt", d."channel", "#,
            $iterations,
            " AS iterations, ",
            $max_iterations,
            r#" AS max_iterations
FROM "AIDraft" d
JOIN "Lead" l ON l."id" = d."leadId"
LEFT JOIN "WorkspaceSettings" ws ON ws."clientId" = l."clientId"
WHERE d."autoSendRevisionAttemptedAt" >= "#,
            $p,
            r#"
ORDER BY d."autoSendRevisionAttemptedAt", d."id""#
        )
    };
}

/// Every claim since a time, for the alarms: (without iterations, V2).
pub const PG_CLAIMS: [&str; 2] = [
    claims_sql!("$1", "CAST(NULL AS BIGINT)", "CAST(NULL AS BIGINT)"),
    claims_sql!(
        "$1",
        r#"CAST(d."autoSendRevisionIterations" AS BIGINT)"#,
        r#"CAST(ws."autoSendRevisionMaxIterations" AS BIGINT)"#
    ),
];
/// Every claim since a time, SQLite.
pub const SQLITE_CLAIMS: [&str; 2] = [
    claims_sql!("?1", "CAST(NULL AS BIGINT)", "CAST(NULL AS BIGINT)"),
    claims_sql!(
        "?1",
        r#"CAST(d."autoSendRevisionIterations" AS BIGINT)"#,
        r#"CAST(ws."autoSendRevisionMaxIterations" AS BIGINT)"#
    ),
];

macro_rules! revised_ids_sql {
    ($p1:literal, $p2:literal, $p3:literal) => {
        concat!(
            r#"SELECT d."id" FROM "AIDraft" d
WHERE d."autoSendRevisionApplied" = true
  AND d."autoSendRevisionAttemptedAt" >= "#,
            $p1,
            r#" AND d."autoSendRevisionAttemptedAt" < "#,
            $p2,
            r#"
  AND (CAST("#,
            $p3,
            r#" AS TEXT) IS NULL OR d."leadId" IN (SELECT l."id" FROM "Lead" l WHERE l."clientId" = "#,
            $p3,
            r#"))"#
        )
    };
}

/// Applied revisions stamped in `[$1, $2)`, optionally of workspace `$3`.
pub const PG_REVISED_IDS: &str = revised_ids_sql!("$1", "$2", "$3");
/// Applied revisions, SQLite.
pub const SQLITE_REVISED_IDS: &str = revised_ids_sql!("?1", "?2", "?3");

macro_rules! drafts_by_ids_sql {
    ($ids:literal, $iterations:literal) => {
        concat!(
            r#"SELECT d."id", l."clientId", c."name", d."leadId", d."channel", d."createdAt",
       d."autoSendRevisionAttemptedAt", d."autoSendOriginalConfidence", d."autoSendRevisionConfidence",
       d."autoSendThreshold", d."autoSendAction", d."status", "#,
            $iterations,
            r#" AS iterations, d."autoSendRevisionSelectorUsed", d."content"
FROM "AIDraft" d
JOIN "Lead" l ON l."id" = d."leadId"
JOIN "Client" c ON c."id" = l."clientId"
WHERE d."id" IN ("#,
            $ids,
            r#")
ORDER BY d."autoSendRevisionAttemptedAt", d."id""#
        )
    };
}

/// Drafts by id (a JSON array of ids): (without iterations, V2).
pub const PG_DRAFTS_BY_IDS: [&str; 2] = [
    drafts_by_ids_sql!(
        "SELECT jsonb_array_elements_text(CAST($1 AS JSONB))",
        "CAST(NULL AS BIGINT)"
    ),
    drafts_by_ids_sql!(
        "SELECT jsonb_array_elements_text(CAST($1 AS JSONB))",
        r#"CAST(d."autoSendRevisionIterations" AS BIGINT)"#
    ),
];
/// Drafts by id, SQLite.
pub const SQLITE_DRAFTS_BY_IDS: [&str; 2] = [
    drafts_by_ids_sql!("SELECT value FROM json_each(?1)", "CAST(NULL AS BIGINT)"),
    drafts_by_ids_sql!(
        "SELECT value FROM json_each(?1)",
        r#"CAST(d."autoSendRevisionIterations" AS BIGINT)"#
    ),
];

macro_rules! review_sql {
    ($ids:literal, $iterations:literal) => {
        concat!(
            r#"SELECT d."id", d."content", r."id" AS run, fd."text" AS before_text,
       rv."text" AS after_text, CAST(rv."payload" AS TEXT) AS payload
FROM "AIDraft" d
LEFT JOIN "DraftPipelineRun" r ON r."draftId" = d."id"
LEFT JOIN "DraftPipelineArtifact" fd
       ON fd."runId" = r."id" AND fd."stage" = 'final_draft' AND fd."iteration" = 0
LEFT JOIN "DraftPipelineArtifact" rv
       ON rv."runId" = r."id" AND rv."stage" = 'auto_send_revision_reviser'
      AND rv."iteration" = "#,
            $iterations,
            r#" AND rv."iteration" > 0
WHERE d."id" IN ("#,
            $ids,
            r#")"#
        )
    };
}

/// The review's texts of drafts by id (a JSON array of ids), with the
/// pipeline tables: (without iterations, V2). The `final_draft` artifact
/// (iteration 0) holds the text the draft was created with and the
/// evaluator scored (`lib/ai-drafts.ts:6612`); the reviser artifact of the
/// applied iteration holds the revised text and the reviser's account
/// (`lib/auto-send/revision-agent.ts:848`, iterations ≥ 1 only).
pub const PG_REVIEW: [&str; 2] = [
    review_sql!(
        "SELECT jsonb_array_elements_text(CAST($1 AS JSONB))",
        "CAST(NULL AS INTEGER)"
    ),
    review_sql!(
        "SELECT jsonb_array_elements_text(CAST($1 AS JSONB))",
        r#"d."autoSendRevisionIterations""#
    ),
];
/// The review's texts, SQLite.
pub const SQLITE_REVIEW: [&str; 2] = [
    review_sql!("SELECT value FROM json_each(?1)", "CAST(NULL AS INTEGER)"),
    review_sql!(
        "SELECT value FROM json_each(?1)",
        r#"d."autoSendRevisionIterations""#
    ),
];
/// The drafts' content alone (a database without the pipeline tables).
pub const PG_CONTENT: &str = r#"SELECT d."id", d."content" FROM "AIDraft" d
WHERE d."id" IN (SELECT jsonb_array_elements_text(CAST($1 AS JSONB)))"#;
/// The drafts' content alone, SQLite.
pub const SQLITE_CONTENT: &str = r#"SELECT d."id", d."content" FROM "AIDraft" d
WHERE d."id" IN (SELECT value FROM json_each(?1))"#;

/// Implements [`Store`](super::Store) for a pool-backed store. The row-reading
/// code is written once; the stores differ only in the SQL constants, the
/// version query and how the catalogue is read (each module's `read_catalog`).
macro_rules! impl_store {
    ($ty:ty, $counts:expr, $dialect:expr, $lead_clients:expr, $claims:expr, $revised:expr, $facts:expr, $toggle:expr, $tls_sql:expr, $version_sql:expr, $version_fmt:expr, $loops:expr, $path:expr) => {
        #[async_trait::async_trait]
        impl $crate::adapters::store::Store for $ty {
            async fn loop_summaries(
                &self,
                since: $crate::core::time::UtcNaive,
            ) -> Result<Vec<$crate::core::alarms::LoopSummary>, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::StoreError;
                if !self.report.ai_interaction {
                    return Ok(Vec::new());
                }
                let rows: Vec<(Option<String>, String, Option<String>, Option<i64>, Option<String>, $crate::core::time::UtcNaive, Option<i64>)> =
                    sqlx::query_as($loops)
                        .bind(since)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|e| StoreError::query("the revision loop summaries", e))?;
                // A summary without a draft id or an iteration count says nothing here.
                Ok(rows
                    .into_iter()
                    .filter_map(|(draft, client, stop, used, channel, at, cache_hits)| {
                        Some($crate::core::alarms::LoopSummary {
                            draft_id: draft?,
                            client_id: client,
                            stop_reason: stop.unwrap_or_default(),
                            iterations_used: used?,
                            cache_hits,
                            channel: channel.unwrap_or_default(),
                            at,
                        })
                    })
                    .collect())
            }

            async fn revision_path(
                &self,
                since: $crate::core::time::UtcNaive,
            ) -> Result<$crate::core::health::PathRows, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::StoreError;
                use $crate::core::health::{LoopError, PathRows, ReviseCall};
                let (calls_sql, errors_sql) = $path;
                let calls = match self.report.ai_interaction {
                    false => None,
                    true => {
                        let rows: Vec<(String, $crate::core::time::UtcNaive, bool, Option<String>)> =
                            sqlx::query_as(calls_sql)
                                .bind(since)
                                .fetch_all(&self.pool)
                                .await
                                .map_err(|e| StoreError::query("the reviser calls", e))?;
                        Some(
                            rows.into_iter()
                                .map(|(lead_id, at, error, key)| ReviseCall {
                                    lead_id,
                                    at,
                                    error,
                                    runner_retry: ReviseCall::is_runner_retry(key.as_deref()),
                                })
                                .collect(),
                        )
                    }
                };
                let loop_errors = match self.report.pipeline_artifacts
                    && self.report.variant.has_revision_columns()
                {
                    false => None,
                    true => {
                        let rows: Vec<(String, i64)> = sqlx::query_as(errors_sql)
                            .bind(since)
                            .fetch_all(&self.pool)
                            .await
                            .map_err(|e| StoreError::query("the loop_error artifacts", e))?;
                        Some(
                            rows.into_iter()
                                .map(|(draft_id, iteration)| LoopError { draft_id, iteration })
                                .collect(),
                        )
                    }
                };
                Ok(PathRows { calls, loop_errors })
            }

            fn schema(&self) -> &$crate::core::schema::SchemaReport {
                &self.report
            }

            async fn refresh_schema(
                &mut self,
            ) -> Result<&$crate::core::schema::SchemaReport, $crate::adapters::store::StoreError>
            {
                self.report =
                    $crate::core::schema::SchemaReport::from_catalog(&read_catalog(&self.pool).await?);
                Ok(&self.report)
            }

            async fn server_version(&self) -> Result<String, $crate::adapters::store::StoreError> {
                let (v,): (String,) = sqlx::query_as($version_sql)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(|e| $crate::adapters::store::StoreError::query("the server version", e))?;
                let format: fn(&str) -> String = $version_fmt;
                Ok(format(&v))
            }

            async fn workspaces(
                &self,
            ) -> Result<Vec<$crate::core::workspace::Workspace>, $crate::adapters::store::StoreError>
            {
                use $crate::adapters::store::{StoreError, sql, workspace_from_row};
                let column_present = self.report.variant.has_revision_columns();
                let q = if column_present { sql::WORKSPACES } else { sql::WORKSPACES_V0 };
                let rows: Vec<$crate::adapters::store::rows::WorkspaceRow> = sqlx::query_as(q)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| StoreError::query("workspaces", e))?;
                Ok(rows
                    .into_iter()
                    .map(|r| {
                        workspace_from_row(r.id, r.name, r.has_row, r.enabled, r.updated_at, column_present)
                    })
                    .collect())
            }

            async fn revision_counts(
                &self,
                since: $crate::core::time::UtcNaive,
            ) -> Result<
                std::collections::BTreeMap<String, $crate::core::workspace::RevisionCounts>,
                $crate::adapters::store::StoreError,
            > {
                use $crate::adapters::store::{StoreError, require_revision_columns};
                require_revision_columns(&self.report)?;
                let rows: Vec<$crate::adapters::store::rows::CountsRow> = sqlx::query_as($counts)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| StoreError::query("revision counts", e))?;
                Ok(rows
                    .into_iter()
                    .map(|r| {
                        (
                            r.client_id,
                            $crate::core::workspace::RevisionCounts {
                                attempted: r.attempted.max(0) as u64,
                                applied: r.applied.max(0) as u64,
                            },
                        )
                    })
                    .collect())
            }

            async fn draft_facts(
                &self,
                since: $crate::core::time::UtcNaive,
                attempts_from: $crate::core::time::UtcNaive,
            ) -> Result<$crate::core::readiness::DraftFacts, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::{StoreError, require_revision_columns};
                require_revision_columns(&self.report)?;
                let (counts, unrecorded_sql, attempts_sql) = $facts;
                let (applied_without_attempt, evaluated, recorded, attempts): (i64, i64, i64, i64) =
                    sqlx::query_as(counts)
                        .bind(since)
                        .bind(attempts_from)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(|e| StoreError::query("the readiness counts", e))?;
                let n = |v: i64| v.max(0) as u64;
                // Ids only when a check fails on them: every one is named.
                let ids = |sql: &'static str, at: $crate::core::time::UtcNaive, what: &'static str| {
                    let pool = &self.pool;
                    async move {
                        let rows: Vec<(String,)> = sqlx::query_as(sql)
                            .bind(at)
                            .fetch_all(pool)
                            .await
                            .map_err(|e| StoreError::query(what, e))?;
                        Ok::<Vec<String>, StoreError>(rows.into_iter().map(|(id,)| id).collect())
                    }
                };
                let unrecorded_ids = if evaluated > recorded {
                    ids(unrecorded_sql, since, "the drafts without a recorded decision").await?
                } else {
                    Vec::new()
                };
                let attempt_ids = if attempts > 0 {
                    ids(attempts_sql, attempts_from, "the revision attempts").await?
                } else {
                    Vec::new()
                };
                Ok($crate::core::readiness::DraftFacts {
                    applied_without_attempt: n(applied_without_attempt),
                    evaluated_since_live: n(evaluated),
                    recorded_since_live: n(recorded),
                    unrecorded_ids,
                    attempts_since_live: n(attempts),
                    attempt_ids,
                    attempts_from: Some(attempts_from),
                    too_early: false,
                    enabled_workspaces: 0,
                    enabled_names: Vec::new(),
                })
            }

            async fn set_revision_toggle(
                &self,
                client_id: &str,
                expected: $crate::core::workspace::RevisionToggle,
                enabled: bool,
                now: $crate::core::time::UtcNaive,
            ) -> Result<$crate::core::workspace::ToggleWrite, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::{StoreError, require_revision_columns};
                use $crate::core::workspace::{RevisionToggle, ToggleWrite};
                require_revision_columns(&self.report)?;
                let (update, insert, read_back) = $toggle;
                let now = $crate::core::time::to_millis(now);
                let done = match expected {
                    RevisionToggle::Enabled | RevisionToggle::Disabled => sqlx::query(update)
                        .bind(enabled)
                        .bind(now)
                        .bind(client_id)
                        .bind(expected == RevisionToggle::Enabled)
                        .execute(&self.pool)
                        .await,
                    RevisionToggle::NoSettingsRow => sqlx::query(insert)
                        .bind(uuid::Uuid::new_v4().to_string())
                        .bind(client_id)
                        .bind(enabled)
                        .bind(now)
                        .execute(&self.pool)
                        .await,
                    RevisionToggle::ColumnMissing => {
                        return Err(StoreError::SchemaMissing(
                            vec!["WorkspaceSettings.autoSendRevisionEnabled".to_owned()],
                        ));
                    }
                }
                .map_err(|e| StoreError::write("the toggle write", e))?;
                let row: Option<(bool, $crate::core::time::UtcNaive)> = sqlx::query_as(read_back)
                    .bind(client_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| StoreError::query("reading the toggle back", e))?;
                let found = match row {
                    None => RevisionToggle::NoSettingsRow,
                    Some((true, _)) => RevisionToggle::Enabled,
                    Some((false, _)) => RevisionToggle::Disabled,
                };
                let updated_at = row.map(|(_, at)| at);
                let wanted = if enabled { RevisionToggle::Enabled } else { RevisionToggle::Disabled };
                Ok(if done.rows_affected() == 1 && found == wanted && updated_at == Some(now) {
                    ToggleWrite::Written { updated_at: now }
                } else {
                    ToggleWrite::Conflict { found, updated_at }
                })
            }

            async fn tls_in_use(&self) -> Result<Option<bool>, $crate::adapters::store::StoreError> {
                let row: Option<(bool,)> = sqlx::query_as($tls_sql)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| $crate::adapters::store::StoreError::query("the TLS state", e))?;
                Ok(row.map(|(b,)| b))
            }

            async fn close(&self) {
                self.pool.close().await;
                self.close_poll().await;
            }

            async fn revised_draft_ids(
                &self,
                start: $crate::core::time::UtcNaive,
                end: $crate::core::time::UtcNaive,
                workspace_id: Option<&str>,
            ) -> Result<Vec<String>, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::{StoreError, require_revision_columns};
                require_revision_columns(&self.report)?;
                let (ids_sql, _) = $revised;
                let rows: Vec<(String,)> = sqlx::query_as(ids_sql)
                    .bind(start)
                    .bind(end)
                    .bind(workspace_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| StoreError::query("the revised drafts", e))?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn drafts_by_ids(
                &self,
                ids: &[String],
            ) -> Result<Vec<$crate::core::export::DraftRow>, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::{StoreError, require_revision_columns};
                require_revision_columns(&self.report)?;
                let (_, [v1, v2]) = $revised;
                let q = if self.report.variant.has_iterations() { v2 } else { v1 };
                let mut out = Vec::with_capacity(ids.len());
                // In chunks, so a large sample is not one huge statement.
                for chunk in ids.chunks(1000) {
                    // Serialising strings cannot fail; "[]" would read nothing.
                    let json = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".to_owned());
                    let rows: Vec<$crate::adapters::store::rows::DraftRow> = sqlx::query_as(q)
                        .bind(json)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|e| StoreError::query("the sampled drafts", e))?;
                    out.extend(rows.into_iter().map($crate::core::export::DraftRow::from));
                }
                out.sort_by(|a, b| a.attempted_at.cmp(&b.attempted_at).then_with(|| a.draft_id.cmp(&b.draft_id)));
                Ok(out)
            }

            async fn review_texts(
                &self,
                ids: &[String],
            ) -> Result<Vec<$crate::core::review::ReviewText>, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::StoreError;
                use $crate::adapters::store::poll::Dialect;
                use $crate::core::review::{Account, NoBefore, ReviewText};
                let postgres = matches!($dialect, Dialect::Postgres);
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(1000) {
                    let json = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".to_owned());
                    if !self.report.pipeline_artifacts {
                        let q = if postgres { $crate::adapters::store::sql::PG_CONTENT } else { $crate::adapters::store::sql::SQLITE_CONTENT };
                        let rows: Vec<(String, String)> = sqlx::query_as(q)
                            .bind(json)
                            .fetch_all(&self.pool)
                            .await
                            .map_err(|e| StoreError::query("the sampled drafts' texts", e))?;
                        out.extend(rows.into_iter().map(|(draft_id, content_now)| ReviewText {
                            draft_id,
                            before: Err(NoBefore::NoPipelineTables),
                            after: None,
                            account: None,
                            content_now,
                        }));
                        continue;
                    }
                    let [v1, v2] = if postgres { $crate::adapters::store::sql::PG_REVIEW } else { $crate::adapters::store::sql::SQLITE_REVIEW };
                    let q = if self.report.variant.has_iterations() { v2 } else { v1 };
                    type Row = (String, String, Option<String>, Option<String>, Option<String>, Option<String>);
                    let rows: Vec<Row> = sqlx::query_as(q)
                        .bind(json)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|e| StoreError::query("the sampled drafts' pipeline texts", e))?;
                    out.extend(rows.into_iter().map(|(draft_id, content_now, run, before, after, payload)| {
                        let before = match (run, before) {
                            (None, _) => Err(NoBefore::NoRun),
                            (Some(_), Some(t)) if !t.is_empty() => Ok(t),
                            (Some(_), _) => Err(NoBefore::NoFinalDraft),
                        };
                        let account = payload
                            .and_then(|p| serde_json::from_str::<serde_json::Value>(&p).ok())
                            .map(|p| Account::from_payload(&p));
                        ReviewText { draft_id, before, after: after.filter(|a| !a.is_empty()), account, content_now }
                    }));
                }
                // The caller's order (the sample's).
                let order: std::collections::HashMap<&str, usize> =
                    ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
                out.sort_by_key(|t| order.get(t.draft_id.as_str()).copied().unwrap_or(usize::MAX));
                Ok(out)
            }

            async fn claims_since(
                &self,
                since: $crate::core::time::UtcNaive,
            ) -> Result<Vec<$crate::core::alarms::ClaimFact>, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::{StoreError, require_revision_columns};
                require_revision_columns(&self.report)?;
                let [v1, v2] = $claims;
                let q = if self.report.variant.has_iterations() { v2 } else { v1 };
                let rows: Vec<$crate::adapters::store::rows::ClaimRow> = sqlx::query_as(q)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| StoreError::query("the claims", e))?;
                Ok(rows.into_iter().map($crate::core::alarms::ClaimFact::from).collect())
            }

            async fn series_between(
                &self,
                since: $crate::core::time::UtcNaive,
                until: $crate::core::time::UtcNaive,
                now: $crate::core::time::UtcNaive,
            ) -> Result<$crate::core::metrics::SeriesChunk, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::poll;
                let q = poll::statement($dialect, &self.report, false);
                let rows: Vec<poll::PollRow> = sqlx::query_as(sqlx::AssertSqlSafe(q))
                    .bind(since)
                    .bind(now - $crate::core::metrics::STUCK_AFTER)
                    .bind(until)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| $crate::adapters::store::StoreError::query("revision series", e))?;
                Ok(self.assemble(rows, since, false).await?.1)
            }

            async fn poll(
                &self,
                since: $crate::core::time::UtcNaive,
                now: $crate::core::time::UtcNaive,
            ) -> Result<$crate::adapters::store::PollRead, $crate::adapters::store::StoreError> {
                use $crate::adapters::store::poll;
                let q = poll::statement($dialect, &self.report, true);
                let known = poll::lock(&self.cache).known_fingerprint();
                let rows = self
                    .fetch_poll(q, since, now - $crate::core::metrics::STUCK_AFTER, known)
                    .await
                    .map_err(|e| $crate::adapters::store::StoreError::query("the live poll", e))?;
                let (workspaces, series) = self.assemble(rows, since, true).await?;
                Ok($crate::adapters::store::PollRead {
                    workspaces,
                    series,
                })
            }
        }

        impl $ty {
            /// The union's rows as workspaces and a series chunk
            /// (`poll::assemble`), after
            /// looking up the workspace of the evaluations' leads the cache
            /// does not know yet (none in a steady poll).
            async fn assemble(
                &self,
                rows: Vec<$crate::adapters::store::poll::PollRow>,
                since: $crate::core::time::UtcNaive,
                with_workspaces: bool,
            ) -> Result<
                (
                    Option<Vec<$crate::core::workspace::Workspace>>,
                    $crate::core::metrics::SeriesChunk,
                ),
                $crate::adapters::store::StoreError,
            > {
                use $crate::adapters::store::poll;
                let unknown = poll::lock(&self.cache).unknown_leads(&rows);
                for chunk in unknown.chunks(10_000) {
                    // Serialising strings cannot fail; "[]" would find nothing.
                    let json = serde_json::to_string(chunk).unwrap_or_else(|_| "[]".to_owned());
                    let found: Vec<(String, String)> = sqlx::query_as($lead_clients)
                        .bind(json)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(|e| $crate::adapters::store::StoreError::query("the leads' workspaces", e))?;
                    poll::lock(&self.cache).add_leads(found);
                }
                let mut cache = poll::lock(&self.cache);
                Ok(poll::assemble(rows, since, &self.report, &mut cache, with_workspaces))
            }
        }
    };
}

pub(crate) use impl_store;
