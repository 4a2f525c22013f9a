//! The env source as a profile's session reads it: Vercel's answer, plus
//! what this machine's audit log shows a pinned build runs. Vercel does not
//! show a build's env; after an Instant Rollback the serving build may be
//! older than a variable's last change. Every lever's audited plan recorded
//! the variables it read (value and `updatedAt`) just before changing them:
//! such a read, made after the pinned build was made, of a record last
//! changed before it, shows the value that build runs.

use crate::adapters::audit::{AuditEntry, AuditLog, EntryKind, short_id};
use crate::adapters::env::{EnvError, EnvSource};
use crate::core::env::{Deployment, EnvRecord, EnvSnapshot, ReadyState};
use crate::core::lever::Change;
use crate::core::time::UtcNaive;
use std::sync::Arc;

/// How many of the newest local audit rows are searched for earlier reads.
const ROWS: u32 = 2000;

/// An env source whose reads learn a pinned build's values from the audit.
pub struct WithRecords {
    inner: Arc<dyn EnvSource>,
    audit: AuditLog,
    profile: String,
}

impl WithRecords {
    /// Wraps `inner`; reads search `audit` (this machine's rows of `profile`).
    pub fn new(inner: Arc<dyn EnvSource>, audit: AuditLog, profile: &str) -> Self {
        Self {
            inner,
            audit,
            profile: profile.to_owned(),
        }
    }
}

/// The variables the audited plans in `entries` read before changing them.
pub fn records(entries: &[AuditEntry]) -> Vec<EnvRecord> {
    let mut out = Vec::new();
    for e in entries
        .iter()
        .filter(|e| e.counts() && e.kind == EntryKind::Intent)
    {
        for c in e.plan_changes().unwrap_or_default() {
            let Ok(Change::Env {
                key,
                before,
                before_updated_at: Some(updated_at),
                ..
            }) = serde_json::from_value::<Change>(c.clone())
            else {
                continue;
            };
            out.push(EnvRecord {
                key,
                value: before,
                updated_at,
                seen_at: e.at,
                by: format!(
                    "the plan of action {} by {}",
                    short_id(&e.action_id),
                    e.operator
                ),
            });
        }
    }
    out
}

#[async_trait::async_trait]
impl EnvSource for WithRecords {
    fn label(&self) -> String {
        self.inner.label()
    }

    async fn read(&self, now: UtcNaive) -> Result<EnvSnapshot, EnvError> {
        let mut env = self.inner.read(now).await?;
        if env.is_pinned() {
            // The local log only: a pinned read must not wait on the database.
            match self.audit.local(&self.profile, ROWS).await {
                Ok(entries) => env.learn_from_records(&records(&entries)),
                Err(e) => tracing::warn!(
                    "the audit log cannot be searched for a pinned build's values: {e}"
                ),
            }
        }
        Ok(env)
    }

    async fn write_unchecked(&self, key: &str, value: &str, now: UtcNaive) -> Result<(), EnvError> {
        self.inner.write_unchecked(key, value, now).await
    }

    async fn redeploy(&self, now: UtcNaive) -> Result<String, EnvError> {
        self.inner.redeploy(now).await
    }

    async fn deployment_state(&self, id: &str, now: UtcNaive) -> Result<ReadyState, EnvError> {
        self.inner.deployment_state(id, now).await
    }

    async fn promote(&self, id: &str, now: UtcNaive) -> Result<(), EnvError> {
        self.inner.promote(id, now).await
    }

    async fn complete_rolling(&self, canary: &str, now: UtcNaive) -> Result<(), EnvError> {
        self.inner.complete_rolling(canary, now).await
    }

    async fn serving(&self, now: UtcNaive) -> Result<Option<Deployment>, EnvError> {
        self.inner.serving(now).await
    }

    async fn probe_serving(&self, env: &EnvSnapshot) -> Option<Result<u16, String>> {
        self.inner.probe_serving(env).await
    }
}
