//! Plays the production app against the demo database, in real time or fast-forward.
//!
//! Drafts arrive per workspace (Poisson), the evaluator scores them, and the
//! revision runs only when the gates of contract §3.1 allow — with the env of
//! the deployment that *serves* production, not the configured env. Claims use
//! the app's conditional update (at-most-once); completions land seconds to a
//! minute later; some time out (stamp without a revised confidence) or fail
//! with an AI error.

use super::faults::{BURST, Faults};
use super::log_rows::{node_object, print_cut, print_log};
use super::pipeline::{artifact, pipeline_run, revised_artifacts};
use super::{DemoError, DemoWorld, advance_deployments, env_snapshot, meta_get, meta_set};
use crate::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, Live};
use crate::core::time::{UtcNaive, to_millis};
use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::SqliteConnection;
use std::collections::{BTreeMap, BTreeSet};

/// The longest step the simulator takes at once; longer gaps are played in
/// steps. Gates are read at the start of each step, so a change is seen at most
/// one step late (live ticks are a couple of seconds; history phases are aligned).
const STEP: Duration = Duration::minutes(5);
/// The loop budget: a claim not finished by then has timed out (contract §3.4 default).
pub const LOOP_BUDGET: Duration = Duration::seconds(60);
/// How far back a world that was closed is caught up when reopened.
const MAX_CATCH_UP: Duration = Duration::hours(24);

/// How long jobs started before a toggle-off go on claiming under `slow_jobs`.
pub const SLOW_JOBS: Duration = Duration::minutes(10);

/// What the app's cron prints while its database is down (Prisma's P1001).
const DB_DOWN_LOG: &str = "prisma:error Can't reach database server at `db.zrg-demo.internal:5432` (P1001). Please make sure your database server is running at `db.zrg-demo.internal:5432`.";

/// What a call to [`Simulator::advance_to`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickSummary {
    /// Drafts created.
    pub drafts: u64,
    /// Revision claims made.
    pub claims: u64,
    /// Revisions applied.
    pub applied: u64,
}

/// The simulator. Its randomness is seeded, so a seeded world is reproducible.
#[derive(Debug)]
pub struct Simulator {
    seed: u64,
    rng: StdRng,
    leads: Option<BTreeMap<String, Vec<LeadInfo>>>,
}

#[derive(Clone, Debug)]
struct LeadInfo {
    id: String,
    first_name: String,
    ai_auto_send: bool,
    threshold: f64,
}

/// The app's view of its gates at one instant (contract §3.1).
#[derive(Clone, Debug)]
struct Gates {
    auto_send_disabled: bool,
    revision_disabled: bool,
    enabled: BTreeSet<String>,
    /// Under a rolling release: the canary's share of jobs (0..1) and its
    /// own kill switches (auto-send disabled, revision disabled).
    canary: Option<(f64, bool, bool)>,
}

impl Simulator {
    /// A simulator with a fixed seed.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            rng: StdRng::seed_from_u64(seed),
            leads: None,
        }
    }

    /// Plays the world from its last tick up to `now` (at most a day back), in
    /// steps of at most a minute, in one transaction.
    pub async fn advance_to(
        &mut self,
        world: &DemoWorld,
        now: UtcNaive,
    ) -> Result<TickSummary, DemoError> {
        // IMMEDIATE: take the write lock up front, so two processes on one world
        // (the window and the CLI) take turns instead of playing the same minutes twice.
        let mut tx = world.pool().begin_with("BEGIN IMMEDIATE").await?;
        let last: Option<UtcNaive> = meta_get(&mut tx, "last_tick").await?;
        let mut from = last.unwrap_or(now).max(now - MAX_CATCH_UP);
        let mut summary = TickSummary::default();
        if from >= now {
            return Ok(summary);
        }
        // Reproducible for a given seed and history, yet never the same stream twice.
        self.rng = StdRng::seed_from_u64(self.seed ^ fnv1a(&from.to_string()));
        let faults: Faults = meta_get(&mut tx, "faults").await?.unwrap_or_default();
        let rates: BTreeMap<String, f64> = meta_get(&mut tx, "rates").await?.unwrap_or_default();
        if self.leads.is_none() {
            self.leads = Some(load_leads(&mut tx).await?);
        }
        while from < now {
            let mut to = (from + STEP).min(now);
            // A burst's edges are step edges: its minute is played as one.
            if let Some(b) = faults.burst {
                for edge in [b, b + BURST] {
                    if from < edge && edge < to {
                        to = edge;
                    }
                }
            }
            self.step(&mut tx, from, to, &rates, &faults, &mut summary)
                .await?;
            from = to;
        }
        meta_set(&mut tx, "last_tick", &now).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn step(
        &mut self,
        conn: &mut SqliteConnection,
        from: UtcNaive,
        to: UtcNaive,
        rates: &BTreeMap<String, f64>,
        faults: &Faults,
        summary: &mut TickSummary,
    ) -> Result<(), DemoError> {
        advance_deployments(conn, from).await?;
        if faults.database_down {
            // The app cannot reach its database: nothing is evaluated,
            // claimed or written, and its cron prints Prisma's error once a
            // minute. Vercel's side (the deployments) goes on.
            if to.and_utc().timestamp() / 60 != from.and_utc().timestamp() / 60 {
                print_log(conn, &mut self.rng, to, "error", DB_DOWN_LOG).await?;
            }
            advance_deployments(conn, to).await?;
            return Ok(());
        }
        let mut gates = read_gates(conn).await?;
        if faults.slow_jobs {
            // Jobs that started before a toggle-off still see it on.
            let recent: Vec<(String,)> = sqlx::query_as(
                r#"SELECT "clientId" FROM "WorkspaceSettings"
                   WHERE "autoSendRevisionEnabled" = false AND "updatedAt" >= ?"#,
            )
            .bind(from - SLOW_JOBS)
            .fetch_all(&mut *conn)
            .await?;
            gates.enabled.extend(recent.into_iter().map(|(c,)| c));
        }
        let leads = self.leads.take().unwrap_or_default();
        let seconds = (to - from).num_milliseconds() as f64 / 1000.0;
        for (client_id, rate) in rates {
            let Some(client_leads) = leads.get(client_id).filter(|l| !l.is_empty()) else {
                continue;
            };
            // Poisson arrivals: exponential gaps at `rate` per minute.
            let burst = if faults.bursting(from) { 4.0 } else { 1.0 };
            let per_second = rate * burst / 60.0;
            let mut t = 0.0;
            loop {
                let u: f64 = self.rng.random_range(f64::EPSILON..1.0);
                t += -u.ln() / per_second;
                if t > seconds {
                    break;
                }
                let at = to_millis(from + Duration::milliseconds((t * 1000.0) as i64));
                let lead = &client_leads[self.rng.random_range(0..client_leads.len())];
                let claimed = self
                    .arrive(conn, client_id, lead, at, &gates, faults)
                    .await?;
                summary.drafts += 1;
                summary.claims += u64::from(claimed);
            }
        }
        self.leads = Some(leads);
        summary.applied += self.complete_due(conn, to, faults).await?;
        if faults.log_limit && to.and_utc().timestamp() / 60 != from.and_utc().timestamp() / 60 {
            print_cut(conn, to).await?;
        }
        advance_deployments(conn, to).await?;
        Ok(())
    }

    /// A draft arrives and is evaluated; a low-confidence one is claimed for
    /// revision when every gate allows. Returns whether it was claimed.
    async fn arrive(
        &mut self,
        conn: &mut SqliteConnection,
        client_id: &str,
        lead: &LeadInfo,
        at: UtcNaive,
        gates: &Gates,
        faults: &Faults,
    ) -> Result<bool, DemoError> {
        let rng = &mut self.rng;
        // Under a rolling release a job runs on the canary for its share.
        let (auto_send_disabled, revision_disabled) = match gates.canary {
            Some((share, a, r)) if rng.random_bool(share) => (a, r),
            _ => (gates.auto_send_disabled, gates.revision_disabled),
        };
        let id = uuid::Builder::from_random_bytes(rng.random())
            .into_uuid()
            .to_string();
        let trigger = uuid::Builder::from_random_bytes(rng.random())
            .into_uuid()
            .to_string();
        let channel = if rng.random_bool(0.6) { "email" } else { "sms" };
        let content = draft_text(rng, &lead.first_name, false);
        let created = at - Duration::milliseconds(rng.random_range(1500..8000));
        let insert = sqlx::query(
            r#"INSERT INTO "AIDraft" ("id", "leadId", "triggerMessageId", "content", "channel", "status", "createdAt", "updatedAt")
               VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)"#,
        )
        .bind(&id)
        .bind(&lead.id)
        .bind(&trigger)
        .bind(&content)
        .bind(channel)
        .bind(created)
        .bind(created);

        // Gate 1: all auto-send disabled — no DB write at all. Gate 2: campaign mode.
        if auto_send_disabled || !lead.ai_auto_send {
            insert.execute(&mut *conn).await?;
            return Ok(false);
        }
        let spike =
            (faults.needs_review_spike || faults.bursting(at)) && gates.enabled.contains(client_id);
        let hard_block = rng.random_bool(0.03);
        let confidence = if hard_block {
            0.0
        } else if rng.random_bool(if spike { 0.3 } else { 0.62 }) {
            rng.random_range(lead.threshold..0.995)
        } else {
            rng.random_range(0.42..lead.threshold)
        };
        let low = confidence < lead.threshold;
        let may_revise =
            low && !hard_block && gates.enabled.contains(client_id) && !revision_disabled;
        let decision = if may_revise {
            None
        } else if hard_block {
            Some(("needs_review", "hard_block:opt_out".to_owned()))
        } else if low {
            Some((
                "needs_review",
                format!(
                    "confidence {confidence:.2} below threshold {:.2}",
                    lead.threshold
                ),
            ))
        } else if rng.random_bool(0.75) {
            Some(("send_immediate", "confident reply".to_owned()))
        } else {
            Some((
                "send_delayed",
                "confident reply, delayed by schedule".to_owned(),
            ))
        };
        insert.execute(&mut *conn).await?;
        match decision {
            None => {
                // The app's claim: one conditional update, at most once per draft.
                let claimed = sqlx::query(
                    r#"UPDATE "AIDraft"
                       SET "autoSendRevisionAttemptedAt" = ?, "autoSendOriginalConfidence" = ?,
                           "autoSendRevisionApplied" = false, "updatedAt" = ?
                       WHERE "id" = ? AND "status" = 'pending' AND "autoSendRevisionAttemptedAt" IS NULL"#,
                )
                .bind(at)
                .bind(confidence.clamp(0.0, 1.0))
                .bind(at)
                .bind(&id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                Ok(claimed == 1)
            }
            Some((action, reason)) => {
                record_decision(conn, &id, at, confidence, lead.threshold, action, &reason).await?;
                Ok(false)
            }
        }
    }

    /// Finishes every claimed revision whose time has come. Returns how many were applied.
    async fn complete_due(
        &mut self,
        conn: &mut SqliteConnection,
        now: UtcNaive,
        faults: &Faults,
    ) -> Result<u64, DemoError> {
        type Pending = (String, String, String, UtcNaive, f64, f64, String, String);
        let pending: Vec<Pending> = sqlx::query_as(
            r#"SELECT d."id", d."channel", l."clientId", d."autoSendRevisionAttemptedAt",
                      d."autoSendOriginalConfidence", c."autoSendConfidenceThreshold", l."id", COALESCE(l."firstName", '')
               FROM "AIDraft" d
               JOIN "Lead" l ON l."id" = d."leadId"
               JOIN "EmailCampaign" c ON c."id" = l."emailCampaignId"
               WHERE d."autoSendRevisionAttemptedAt" >= ? AND d."autoSendAction" IS NULL
                 AND d."status" = 'pending'"#,
        )
        .bind(now - Duration::minutes(30))
        .fetch_all(&mut *conn)
        .await?;
        let mut applied = 0;
        for (id, channel, client_id, stamp, original, threshold, lead_id, first_name) in pending {
            let mut rng = StdRng::seed_from_u64(self.seed ^ fnv1a(&id));
            let email = channel == "email";
            let latency = Duration::milliseconds(if email {
                rng.random_range(8_000..50_000)
            } else {
                rng.random_range(4_000..15_000)
            });
            let timeout_p = if faults.timeouts { 0.5 } else { 0.04 };
            let error_p = if faults.ai_errors { 0.33 } else { 0.02 };
            let roll: f64 = rng.random();
            let spike = faults.needs_review_spike;
            if roll < timeout_p {
                // deadline_exceeded: the orchestrator falls through to the review decision;
                // nothing else is persisted (contract §3.6).
                let done = stamp + LOOP_BUDGET;
                if done <= now {
                    // The orchestrator's console.warn (`orchestrator.ts:478`),
                    // as the runtime logs carry it (dropped while the stream
                    // is cut).
                    if !faults.log_limit {
                        print_log(
                            conn,
                            &mut rng,
                            done,
                            "warning",
                            &node_object(
                                crate::core::runtime_log::REVISION_LOOP_FAILED,
                                &[
                                    ("clientId", &client_id),
                                    ("leadId", &lead_id),
                                    ("draftId", &id),
                                    ("error", crate::core::runtime_log::DEADLINE_EXCEEDED),
                                ],
                            ),
                        )
                        .await?;
                    }
                    if email {
                        // The email loop's summary says how it ended.
                        loop_summary(
                            conn, &mut rng, &client_id, &lead_id, &id, "error", 1, &channel, done,
                        )
                        .await?;
                    }
                    record_decision(
                        conn,
                        &id,
                        done,
                        original,
                        threshold,
                        "needs_review",
                        "revision loop failed; continuing without revision",
                    )
                    .await?;
                }
                continue;
            }
            let done = to_millis(stamp + latency);
            if done > now {
                continue;
            }
            if roll < timeout_p + error_p {
                sqlx::query(
                    r#"INSERT INTO "AIInteraction" ("id", "clientId", "leadId", "source", "featureId", "promptKey", "model", "apiType", "latencyMs", "status", "errorMessage", "createdAt")
                       VALUES (?, ?, ?, 'lib:auto_send.revision_agent', 'auto_send.revise', 'auto_send.revise.v3', 'gpt-5.2', 'responses', ?, 'error', ?, ?)"#,
                )
                .bind(uuid::Builder::from_random_bytes(rng.random()).into_uuid().to_string())
                .bind(&client_id)
                .bind(&lead_id)
                .bind(latency.num_milliseconds())
                .bind("400 Invalid schema for response_format: missing required property")
                .bind(done)
                .execute(&mut *conn)
                .await?;
                if email {
                    // With a pipeline run, the agent records the failed
                    // iteration (`lib/auto-send/revision-agent.ts:756`).
                    let run = pipeline_run(conn, &client_id, &lead_id, &id, &channel, done).await?;
                    artifact(
                        conn,
                        &run,
                        "loop_error",
                        1,
                        r#"{"error":"missing_revised_draft"}"#,
                        done,
                    )
                    .await?;
                }
                record_decision(
                    conn,
                    &id,
                    done,
                    original,
                    threshold,
                    "needs_review",
                    "revision not applied",
                )
                .await?;
                continue;
            }
            let (mean, spread) = if spike { (-0.08, 0.1) } else { (0.03, 0.12) };
            let uplift = mean
                + spread * (rng.random::<f64>() + rng.random::<f64>() + rng.random::<f64>() - 1.5);
            let revised = (original + uplift).clamp(0.0, 0.995);
            let selector_used = rng.random_bool(0.7);
            // The reviser sometimes leaves requirements unresolved: validation fails.
            let validation_passed = rng.random_bool(0.88);
            let improved = (revised > original || revised >= threshold) && validation_passed;
            if improved {
                let iteration = if email { rng.random_range(1..=3) } else { 0 };
                let content = draft_text(&mut rng, &first_name, true);
                let before: Option<(String, UtcNaive)> = sqlx::query_as(
                    r#"SELECT "content", "createdAt" FROM "AIDraft" WHERE "id" = ?"#,
                )
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await?;
                let changed = sqlx::query(
                    r#"UPDATE "AIDraft"
                       SET "content" = ?, "autoSendRevisionApplied" = true, "autoSendRevisionConfidence" = ?,
                           "autoSendRevisionSelectorUsed" = ?, "autoSendRevisionIterations" = ?, "updatedAt" = ?
                       WHERE "id" = ? AND "status" = 'pending'"#,
                )
                .bind(&content)
                .bind(revised)
                .bind(selector_used)
                .bind(iteration)
                .bind(done)
                .bind(&id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                applied += changed;
                if let (1, Some((original_text, created))) = (changed, before) {
                    revised_artifacts(
                        conn,
                        &super::pipeline::Revised {
                            client_id: &client_id,
                            lead_id: &lead_id,
                            draft_id: &id,
                            channel: &channel,
                            before: &original_text,
                            created,
                            after: &content,
                            iteration,
                            original,
                            revised,
                            at: done,
                        },
                    )
                    .await?;
                }
            } else {
                sqlx::query(
                    r#"UPDATE "AIDraft"
                       SET "autoSendRevisionConfidence" = ?, "autoSendRevisionSelectorUsed" = ?, "updatedAt" = ?
                       WHERE "id" = ? AND "status" = 'pending'"#,
                )
                .bind(revised)
                .bind(selector_used)
                .bind(done)
                .bind(&id)
                .execute(&mut *conn)
                .await?;
            }
            // The loop's summary (the app writes it for every loop run);
            // with `repeated_attempts`, some loops exceed the clamp.
            let over = faults.repeated_attempts && rng.random_bool(0.3);
            let used = match (email, over) {
                (true, true) => 4,
                (true, false) => rng.random_range(1..=3),
                (false, true) => 2,
                (false, false) => 1,
            };
            let stop = if improved && revised >= threshold {
                "threshold_met"
            } else if improved {
                "exhausted"
            } else {
                "no_improvement"
            };
            loop_summary(
                conn, &mut rng, &client_id, &lead_id, &id, stop, used, &channel, done,
            )
            .await?;
            // One reviser call per iteration used (the summary's count).
            for n in 0..used {
                sqlx::query(
                    r#"INSERT INTO "AIInteraction" ("id", "clientId", "leadId", "source", "featureId", "promptKey", "model", "apiType", "latencyMs", "status", "createdAt")
                       VALUES (?, ?, ?, 'lib:auto_send.revision_agent', 'auto_send.revise', 'auto_send.revise.v3', 'gpt-5.2', 'responses', ?, 'success', ?)"#,
                )
                .bind(format!("{id}-revise-{n}"))
                .bind(&client_id)
                .bind(&lead_id)
                .bind(latency.num_milliseconds() / used.max(1))
                .bind(to_millis(stamp + latency * (n as i32 + 1) / (used.max(1) as i32)))
                .execute(&mut *conn)
                .await?;
            }
            let final_conf = if improved { revised } else { original };
            let action = if final_conf >= threshold {
                if rng.random_bool(0.75) {
                    "send_immediate"
                } else {
                    "send_delayed"
                }
            } else {
                "needs_review"
            };
            record_decision(
                conn,
                &id,
                done,
                final_conf,
                threshold,
                action,
                "after revision",
            )
            .await?;
        }
        Ok(applied)
    }
}

/// The app's revision loop summary: an `AIInteraction` row
/// `auto_send.revision_loop` with the stats in `metadata`
/// (`lib/auto-send/loop-observability.ts`).
#[allow(clippy::too_many_arguments)]
async fn loop_summary(
    conn: &mut SqliteConnection,
    rng: &mut StdRng,
    client_id: &str,
    lead_id: &str,
    draft_id: &str,
    stop_reason: &str,
    iterations_used: i64,
    channel: &str,
    at: UtcNaive,
) -> Result<(), DemoError> {
    let run_id = uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string();
    // Email loops run in a pipeline run: the summary is also its artifact
    // (`lib/auto-send/loop-observability.ts`).
    let run_id = match channel {
        "email" => {
            let run = pipeline_run(conn, client_id, lead_id, draft_id, channel, at).await?;
            let payload = serde_json::json!({
                "stopReason": stop_reason,
                "iterationsUsed": iterations_used,
            });
            artifact(
                conn,
                &run,
                "auto_send_revision_loop",
                0,
                &payload.to_string(),
                at,
            )
            .await?;
            run
        }
        _ => run_id,
    };
    let metadata = serde_json::json!({
        "runId": run_id,
        "draftId": draft_id,
        "stopReason": stop_reason,
        "iterationsUsed": iterations_used,
        "cacheHits": 0,
        "channel": channel,
    });
    sqlx::query(
        r#"INSERT INTO "AIInteraction" ("id", "clientId", "leadId", "source", "featureId", "model", "apiType", "status", "metadata", "createdAt")
           VALUES (?, ?, ?, 'lib:auto_send.orchestrator', 'auto_send.revision_loop', 'internal', 'internal', 'success', ?, ?)"#,
    )
    .bind(uuid::Builder::from_random_bytes(rng.random()).into_uuid().to_string())
    .bind(client_id)
    .bind(lead_id)
    .bind(metadata.to_string())
    .bind(at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The app's `recordAutoSendDecision`: stamps the evaluation and the action; a
/// sent draft becomes approved/AUTO_SENT.
async fn record_decision(
    conn: &mut SqliteConnection,
    id: &str,
    at: UtcNaive,
    confidence: f64,
    threshold: f64,
    action: &str,
    reason: &str,
) -> Result<(), DemoError> {
    let sent = action == "send_immediate";
    sqlx::query(
        r#"UPDATE "AIDraft"
           SET "autoSendEvaluatedAt" = ?, "autoSendConfidence" = ?, "autoSendThreshold" = ?,
               "autoSendAction" = ?, "autoSendReason" = ?, "updatedAt" = ?,
               "status" = CASE WHEN ? THEN 'approved' ELSE "status" END,
               "responseDisposition" = CASE WHEN ? THEN 'AUTO_SENT' ELSE "responseDisposition" END
           WHERE "id" = ? AND ("autoSendAction" IS NULL OR "autoSendAction" NOT IN ('send_immediate', 'send_delayed'))"#,
    )
    .bind(at)
    .bind(confidence)
    .bind(threshold)
    .bind(action)
    .bind(reason)
    .bind(at)
    .bind(sent)
    .bind(sent)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct LeadRow {
    id: String,
    client_id: String,
    first_name: String,
    mode: Option<String>,
    threshold: Option<f64>,
}

async fn load_leads(
    conn: &mut SqliteConnection,
) -> Result<BTreeMap<String, Vec<LeadInfo>>, DemoError> {
    let rows: Vec<LeadRow> = sqlx::query_as(
        r#"SELECT l."id" AS id, l."clientId" AS client_id, COALESCE(l."firstName", '') AS first_name,
                  c."responseMode" AS mode, c."autoSendConfidenceThreshold" AS threshold
           FROM "Lead" l LEFT JOIN "EmailCampaign" c ON c."id" = l."emailCampaignId"
           ORDER BY l."clientId", l."id""#,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<String, Vec<LeadInfo>> = BTreeMap::new();
    for r in rows {
        out.entry(r.client_id).or_default().push(LeadInfo {
            id: r.id,
            first_name: r.first_name,
            ai_auto_send: r.mode.as_deref() == Some("AI_AUTO_SEND"),
            threshold: r.threshold.unwrap_or(0.9),
        });
    }
    Ok(out)
}

/// Reads the gates as the *live* app sees them: flags from the serving
/// deployment's env, toggles from `WorkspaceSettings`.
async fn read_gates(conn: &mut SqliteConnection) -> Result<Gates, DemoError> {
    let env = env_snapshot(conn).await?;
    // With nothing serving there is no app running; treat as fully disabled.
    let live_on = |key| !matches!(env.flag(key).live, Live::Known(false));
    let enabled: Vec<(String,)> = sqlx::query_as(
        r#"SELECT "clientId" FROM "WorkspaceSettings" WHERE "autoSendRevisionEnabled" = true"#,
    )
    .fetch_all(&mut *conn)
    .await?;
    let enabled = enabled.into_iter().map(|(c,)| c).collect();
    // Under a rolling release each deployment runs its own env.
    if let Some(r) = &env.rolling {
        let on = super::rolling::deployment_flag;
        return Ok(Gates {
            auto_send_disabled: on(&r.current, AUTO_SEND_DISABLED),
            revision_disabled: on(&r.current, AUTO_SEND_REVISION_DISABLED),
            enabled,
            canary: Some((
                f64::from(r.canary_share.unwrap_or(0).min(100)) / 100.0,
                on(&r.canary, AUTO_SEND_DISABLED),
                on(&r.canary, AUTO_SEND_REVISION_DISABLED),
            )),
        });
    }
    Ok(Gates {
        auto_send_disabled: live_on(AUTO_SEND_DISABLED),
        revision_disabled: live_on(AUTO_SEND_REVISION_DISABLED),
        enabled,
        canary: None,
    })
}

fn draft_text(rng: &mut StdRng, first_name: &str, revised: bool) -> String {
    const OPENERS: &[&str] = &[
        "thanks for getting back to us",
        "great question",
        "appreciate the quick reply",
        "thanks for the details",
    ];
    const BODIES: &[&str] = &[
        "We can walk you through pricing on a short call this week.",
        "Here is a link to pick a time that suits you.",
        "Our team can send over a quote by tomorrow.",
        "Happy to answer anything else before you decide.",
    ];
    let opener = OPENERS[rng.random_range(0..OPENERS.len())];
    let body = BODIES[rng.random_range(0..BODIES.len())];
    let name = if first_name.is_empty() {
        "there"
    } else {
        first_name
    };
    if revised {
        format!(
            "Hi {name}, {opener}. {body} (Revised: tightened wording, answered the question asked.)"
        )
    } else {
        format!("Hi {name}, {opener}! {body}")
    }
}

/// FNV-1a, for per-draft reproducible randomness.
pub(crate) fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
