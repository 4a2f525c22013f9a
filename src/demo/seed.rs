//! The demo world's fixed cast (workspaces, campaigns, leads, env) and its
//! seeded history: a day of traffic played by the same simulator that runs live.

use super::{
    DemoError, DemoWorld, Simulator, create_deployment, meta_set, set_env, set_revision_toggle,
};
use crate::core::env::{AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED};
use crate::core::time::UtcNaive;
use chrono::Duration;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where the seeded history leaves the runbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DemoStage {
    /// Deployed dark: revision kill switch live "1", no workspace enabled (runbook step 2).
    Dark,
    /// Canary running: kill switch off and live, the pilot workspace enabled 40 minutes ago (step 4).
    Canary,
}

/// A seeded workspace.
#[derive(Clone, Copy, Debug)]
pub struct SeedWorkspace {
    /// `Client.name`.
    pub name: &'static str,
    /// Drafts per minute.
    pub drafts_per_minute: f64,
    /// The AI_AUTO_SEND campaign's threshold.
    pub threshold: f64,
    /// Whether a `WorkspaceSettings` row exists (toggle off) at the start.
    pub settings_row: bool,
    /// The canary candidate.
    pub canary: bool,
}

/// The cast. The first one is the obvious canary candidate: a pilot workspace.
pub const SEED_WORKSPACES: &[SeedWorkspace] = &[
    SeedWorkspace {
        name: "Acme Solar (pilot)",
        drafts_per_minute: 4.0,
        threshold: 0.9,
        settings_row: true,
        canary: true,
    },
    SeedWorkspace {
        name: "Brightline Roofing",
        drafts_per_minute: 2.5,
        threshold: 0.9,
        settings_row: true,
        canary: false,
    },
    SeedWorkspace {
        name: "Cobalt Legal",
        drafts_per_minute: 1.5,
        threshold: 0.85,
        settings_row: true,
        canary: false,
    },
    SeedWorkspace {
        name: "Driftwood Café — Zürich 東京 ☕",
        drafts_per_minute: 1.0,
        threshold: 0.9,
        settings_row: false,
        canary: false,
    },
];

const LEADS_PER_WORKSPACE: usize = 24;
const FIRST_NAMES: &[&str] = &[
    "Ana", "Ben", "Chloe", "Dev", "Elif", "Femi", "Grace", "Hugo", "Ines", "Jon", "Kira", "Luca",
];

fn seeded_uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.random())
        .into_uuid()
        .to_string()
}

fn random_token(rng: &mut StdRng, len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// Creates the cast and plays a day of history ending at `now`.
pub(crate) async fn seed_world(
    world: &DemoWorld,
    now: UtcNaive,
    stage: DemoStage,
    seed: u64,
) -> Result<(), DemoError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let long_ago = now - Duration::days(30);
    let history_start = now - Duration::hours(24);
    let mut rates: BTreeMap<String, f64> = BTreeMap::new();
    let mut canary_id = None;

    let mut tx = world.pool().begin().await?;
    for ws in SEED_WORKSPACES {
        let client_id = seeded_uuid(&mut rng);
        sqlx::query(
            r#"INSERT INTO "Client" ("id", "name", "userId", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?)"#,
        )
        .bind(&client_id)
        .bind(ws.name)
        .bind(seeded_uuid(&mut rng))
        .bind(long_ago)
        .bind(long_ago)
        .execute(&mut *tx)
        .await?;
        let ai_campaign = seeded_uuid(&mut rng);
        let setter_campaign = seeded_uuid(&mut rng);
        for (id, name, mode, threshold) in [
            (
                &ai_campaign,
                "Inbound replies (AI auto-send)",
                "AI_AUTO_SEND",
                ws.threshold,
            ),
            (
                &setter_campaign,
                "Outbound follow-ups (setter)",
                "SETTER_MANAGED",
                0.9,
            ),
        ] {
            sqlx::query(
                r#"INSERT INTO "EmailCampaign" ("id", "clientId", "name", "responseMode", "autoSendConfidenceThreshold", "createdAt", "updatedAt")
                   VALUES (?, ?, ?, ?, ?, ?, ?)"#,
            )
            .bind(id)
            .bind(&client_id)
            .bind(name)
            .bind(mode)
            .bind(threshold)
            .bind(long_ago)
            .bind(long_ago)
            .execute(&mut *tx)
            .await?;
        }
        for i in 0..LEADS_PER_WORKSPACE {
            // Five in six leads are on the AI auto-send campaign.
            let campaign = if i % 6 == 5 {
                &setter_campaign
            } else {
                &ai_campaign
            };
            let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
            sqlx::query(
                r#"INSERT INTO "Lead" ("id", "clientId", "emailCampaignId", "firstName", "email", "createdAt", "updatedAt")
                   VALUES (?, ?, ?, ?, ?, ?, ?)"#,
            )
            .bind(seeded_uuid(&mut rng))
            .bind(&client_id)
            .bind(campaign)
            .bind(first)
            .bind(format!("{}.{i}@example.com", first.to_lowercase()))
            .bind(long_ago)
            .bind(long_ago)
            .execute(&mut *tx)
            .await?;
        }
        if ws.settings_row {
            set_revision_toggle(&mut tx, &client_id, false, long_ago).await?;
        }
        if ws.canary {
            canary_id = Some(client_id.clone());
        }
        rates.insert(client_id, ws.drafts_per_minute);
    }

    // The env of the runbook's first deploy: kill switch "1", auto-send enabled.
    let env: [(&str, String); 7] = [
        (
            "DATABASE_URL",
            format!(
                "postgresql://zrg_app:{}@db.demo.invalid:6543/postgres?pgbouncer=true",
                random_token(&mut rng, 20)
            ),
        ),
        (
            "DIRECT_URL",
            format!(
                "postgresql://zrg_app:{}@db.demo.invalid:5432/postgres",
                random_token(&mut rng, 20)
            ),
        ),
        (
            "OPENAI_API_KEY",
            format!("sk-demo-{}", random_token(&mut rng, 40)),
        ),
        ("CRON_SECRET", random_token(&mut rng, 32)),
        ("WORKSPACE_PROVISIONING_SECRET", random_token(&mut rng, 32)),
        (AUTO_SEND_DISABLED, "0".to_owned()),
        (AUTO_SEND_REVISION_DISABLED, "1".to_owned()),
    ];
    for (key, value) in &env {
        set_env(&mut tx, key, Some(value), now - Duration::hours(26)).await?;
    }
    let first_deploy = now - Duration::hours(25);
    create_deployment(&mut tx, first_deploy, false).await?;
    super::advance_deployments(&mut tx, first_deploy + Duration::minutes(1)).await?;

    meta_set(&mut tx, "seed", &seed).await?;
    meta_set(&mut tx, "rates", &rates).await?;
    meta_set(&mut tx, "stage_at_reset", &stage).await?;
    meta_set(&mut tx, "created_at", &now).await?;
    meta_set(&mut tx, "last_tick", &history_start).await?;
    tx.commit().await?;

    let mut sim = Simulator::new(seed);
    match stage {
        DemoStage::Dark => {
            sim.advance_to(world, now).await?;
        }
        DemoStage::Canary => {
            let canary_id = canary_id
                .ok_or_else(|| DemoError::Invalid("the cast has no canary workspace".into()))?;
            let flip = now - Duration::minutes(45);
            sim.advance_to(world, flip).await?;
            world
                .set_env(AUTO_SEND_REVISION_DISABLED, Some("0"), flip)
                .await?;
            let mut conn = world.pool().acquire().await?;
            create_deployment(&mut conn, flip + Duration::minutes(1), false).await?;
            drop(conn);
            let enable = now - Duration::minutes(40);
            sim.advance_to(world, enable).await?;
            world.set_revision_toggle(&canary_id, true, enable).await?;
            world.set_meta("canary_started_at", &enable).await?;
            sim.advance_to(world, now).await?;
        }
    }
    Ok(())
}
