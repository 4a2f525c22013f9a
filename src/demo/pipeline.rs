//! The demo app's pipeline records (Phase 123): one `DraftPipelineRun`
//! per draft, its artifacts, and for an applied revision the texts the
//! quality review reads — the `final_draft` artifact (the text the draft was
//! created with, `lib/ai-drafts.ts:6612`) and the reviser's artifact of the
//! applied iteration with its account (`lib/auto-send/revision-agent.ts:848`,
//! loop iterations ≥ 1 only).

use super::DemoError;
use super::simulator::fnv1a;
use crate::core::time::UtcNaive;
use sqlx::SqliteConnection;

/// The draft's pipeline run (one per draft: `DraftPipelineRun.draftId` is
/// unique), created on first use; returns its id.
pub(crate) async fn pipeline_run(
    conn: &mut SqliteConnection,
    client_id: &str,
    lead_id: &str,
    draft_id: &str,
    channel: &str,
    at: UtcNaive,
) -> Result<String, DemoError> {
    let run = format!("run-{draft_id}");
    sqlx::query(
        r#"INSERT INTO "DraftPipelineRun" ("id", "clientId", "leadId", "triggerMessageId", "draftId", "channel", "status", "createdAt", "updatedAt")
           VALUES (?, ?, ?, ?, ?, ?, 'COMPLETED', ?, ?)
           ON CONFLICT DO NOTHING"#,
    )
    .bind(&run)
    .bind(client_id)
    .bind(lead_id)
    .bind(format!("msg-{draft_id}"))
    .bind(draft_id)
    .bind(channel)
    .bind(at)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(run)
}

/// One `DraftPipelineArtifact` of a run.
pub(crate) async fn artifact(
    conn: &mut SqliteConnection,
    run: &str,
    stage: &str,
    iteration: i64,
    payload: &str,
    at: UtcNaive,
) -> Result<(), DemoError> {
    sqlx::query(
        r#"INSERT INTO "DraftPipelineArtifact" ("id", "runId", "stage", "iteration", "payload", "createdAt")
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING"#,
    )
    .bind(format!("{run}-{stage}-{iteration}"))
    .bind(run)
    .bind(stage)
    .bind(iteration)
    .bind(payload)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// An applied revision, as the review reads it.
pub(crate) struct Revised<'a> {
    pub client_id: &'a str,
    pub lead_id: &'a str,
    pub draft_id: &'a str,
    pub channel: &'a str,
    /// The content the draft was created with.
    pub before: &'a str,
    /// When the draft was created.
    pub created: UtcNaive,
    /// The revised content applied.
    pub after: &'a str,
    /// `autoSendRevisionIterations` (0: single pass).
    pub iteration: i64,
    pub original: f64,
    pub revised: f64,
    pub at: UtcNaive,
}

/// The pipeline texts of an applied revision. One draft in ten has no run
/// (as drafts created before runs were written, or pruned): the review then
/// says there is no "before". Chosen by the draft's id, not the simulator's
/// random stream, so the seeded world is unchanged.
pub(crate) async fn revised_artifacts(
    conn: &mut SqliteConnection,
    r: &Revised<'_>,
) -> Result<(), DemoError> {
    let h = fnv1a(r.draft_id);
    if h.is_multiple_of(10) {
        return Ok(());
    }
    let run = pipeline_run(
        conn,
        r.client_id,
        r.lead_id,
        r.draft_id,
        r.channel,
        r.created,
    )
    .await?;
    let payload = serde_json::json!({"channel": r.channel}).to_string();
    artifact_text(conn, &run, "final_draft", 0, &payload, r.before, r.created).await?;
    if r.iteration < 1 {
        // A single pass (SMS) persists no reviser artifact.
        return Ok(());
    }
    const CHANGES: [&str; 4] = [
        "softened the opener",
        "answered the pricing question directly",
        "added the booking link",
        "shortened the closing",
    ];
    const ISSUES: [&str; 3] = [
        "the draft did not answer the lead's question",
        "the call to action was vague",
        "the tone was too formal",
    ];
    let payload = serde_json::json!({
        "selectorUsed": true,
        "improved": true,
        "validationPassed": true,
        "originalConfidence": r.original,
        "revisedConfidence": r.revised,
        "changesMade": [CHANGES[(h >> 8) as usize % CHANGES.len()], CHANGES[(h >> 16) as usize % CHANGES.len()]],
        "issuesAddressed": [ISSUES[(h >> 24) as usize % ISSUES.len()]],
        "unresolvedRequirements": [],
    })
    .to_string();
    artifact_text(
        conn,
        &run,
        "auto_send_revision_reviser",
        r.iteration,
        &payload,
        r.after,
        r.at,
    )
    .await
}

/// One artifact with its text.
async fn artifact_text(
    conn: &mut SqliteConnection,
    run: &str,
    stage: &str,
    iteration: i64,
    payload: &str,
    text: &str,
    at: UtcNaive,
) -> Result<(), DemoError> {
    sqlx::query(
        r#"INSERT INTO "DraftPipelineArtifact" ("id", "runId", "stage", "iteration", "payload", "text", "createdAt")
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING"#,
    )
    .bind(format!("{run}-{stage}-{iteration}"))
    .bind(run)
    .bind(stage)
    .bind(iteration)
    .bind(payload)
    .bind(text)
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
