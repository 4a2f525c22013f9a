//! The production app's environment variables and their exact semantics
//! (contract §4), plus the "configured vs live" view of the two kill switches.

use crate::core::time::UtcNaive;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `AUTO_SEND_DISABLED`: exactly `"1"` stops all auto-send.
pub const AUTO_SEND_DISABLED: &str = "AUTO_SEND_DISABLED";
/// `AUTO_SEND_REVISION_DISABLED`: exactly `"1"` stops the revision (the kill switch).
pub const AUTO_SEND_REVISION_DISABLED: &str = "AUTO_SEND_REVISION_DISABLED";

/// The seven variables of the Phase 116e runbook, in runbook order.
pub const RUNBOOK_VARS: [&str; 7] = [
    "DATABASE_URL",
    "DIRECT_URL",
    "OPENAI_API_KEY",
    "CRON_SECRET",
    "WORKSPACE_PROVISIONING_SECRET",
    AUTO_SEND_DISABLED,
    AUTO_SEND_REVISION_DISABLED,
];

/// Whether a variable holds a secret whose value must never be shown.
pub fn is_secret_var(key: &str) -> bool {
    !matches!(key, AUTO_SEND_DISABLED | AUTO_SEND_REVISION_DISABLED)
}

/// The app's flag rule: on only when the value is exactly the string `"1"`;
/// `"0"`, `"true"`, empty or unset all mean off.
pub fn flag_is_on(value: Option<&str>) -> bool {
    value == Some("1")
}

/// A Vercel deployment's `readyState` (contract/vercel.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReadyState {
    /// Waiting for a builder.
    Queued,
    /// Being set up.
    Initializing,
    /// Building.
    Building,
    /// Built and able to serve (final).
    Ready,
    /// The build failed (final).
    Error,
    /// Cancelled, e.g. by an Ignored Build Step (final).
    Canceled,
}

impl ReadyState {
    /// `READY`, `ERROR` and `CANCELED` never change again.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ready | Self::Error | Self::Canceled)
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Initializing => "INITIALIZING",
            Self::Building => "BUILDING",
            Self::Ready => "READY",
            Self::Error => "ERROR",
            Self::Canceled => "CANCELED",
        }
    }

    /// Parses the API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "QUEUED" => Self::Queued,
            "INITIALIZING" => Self::Initializing,
            "BUILDING" => Self::Building,
            "READY" => Self::Ready,
            "ERROR" => Self::Error,
            "CANCELED" => Self::Canceled,
            _ => return None,
        })
    }
}

/// One configured variable (production target).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvVar {
    /// The value, when it could be read (`None` = unset or unreadable).
    pub value: Option<String>,
    /// When the record last changed.
    pub updated_at: UtcNaive,
    /// Why the value could not be read (`sensitive`, not decrypted), if so:
    /// the key exists but its value must not be judged.
    pub unreadable: Option<String>,
}

/// A deployment as far as liveness is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deployment {
    /// Deployment id.
    pub id: String,
    /// When it was created (env is captured at build time, i.e. creation).
    pub created_at: UtcNaive,
    /// Its current state.
    pub state: ReadyState,
    /// The environment it was built with, when the source knows it (the demo does;
    /// Vercel does not expose it).
    pub env: Option<BTreeMap<String, Option<String>>>,
}

/// What the environment source knows at one read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvSnapshot {
    /// Configured production variables by key (absent key = no record).
    pub configured: BTreeMap<String, EnvVar>,
    /// The deployment that serves production.
    pub serving: Option<Deployment>,
    /// The newest production deployment (may still be building, or failed).
    pub latest: Option<Deployment>,
    /// Keys that exist only for other targets (preview, development).
    pub other_targets_only: std::collections::BTreeSet<String>,
    /// Keys with several production records, and how many.
    pub duplicates: BTreeMap<String, usize>,
    /// The serving deployment's URL (host name, without scheme), when known.
    pub serving_url: Option<String>,
    /// The newest READY production build, when production does not serve it:
    /// production is pinned to an older build (a Vercel Instant Rollback), so
    /// a new build reaches READY but does not serve until it is promoted.
    pub pinned_past: Option<Deployment>,
}

/// The newest READY build when production serves an older one (an Instant
/// Rollback pin), else `None`.
pub fn pinned_past(
    serving: Option<&Deployment>,
    newest_ready: Option<Deployment>,
) -> Option<Deployment> {
    match (serving, newest_ready) {
        (Some(s), Some(n)) if n.id != s.id && n.created_at > s.created_at => Some(n),
        _ => None,
    }
}

impl EnvSnapshot {
    /// Whether production is pinned to an older build than the newest READY one.
    pub fn is_pinned(&self) -> bool {
        self.pinned_past.is_some()
    }
}

/// Whether a flag is live in the serving deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    /// The serving deployment runs with the flag in this state.
    Known(bool),
    /// The configured value changed after the serving deployment was built:
    /// the serving deployment still runs the previous value, unknown here.
    AwaitingRedeploy,
    /// Nothing serves production, or it could not be read.
    Unknown,
}

impl Live {
    /// For people: `on` / `off` when known, else why not.
    pub fn label(self, on: &'static str, off: &'static str) -> &'static str {
        match self {
            Self::Known(true) => on,
            Self::Known(false) => off,
            Self::AwaitingRedeploy => "not yet (redeploy to apply)",
            Self::Unknown => "unknown",
        }
    }
}

/// A kill switch as configured and as live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagState {
    /// The variable name.
    pub key: &'static str,
    /// The configured value (`None` = unset).
    pub configured_value: Option<String>,
    /// `flag_is_on(configured_value)`.
    pub configured_on: bool,
    /// The live state.
    pub live: Live,
}

impl FlagState {
    /// Whether configured and live agree (false while a redeploy is owed).
    pub fn is_settled(&self) -> bool {
        self.live == Live::Known(self.configured_on)
    }
}

impl EnvSnapshot {
    /// Computes the configured-vs-live state of a flag.
    ///
    /// Live is read from the serving deployment's own env when the source knows it;
    /// otherwise it is inferred: a deployment created after the record's `updatedAt`
    /// runs the configured value, an older one awaits a redeploy.
    pub fn flag(&self, key: &'static str) -> FlagState {
        let var = self.configured.get(key);
        let configured_value = var.and_then(|v| v.value.clone());
        let configured_on = flag_is_on(configured_value.as_deref());
        let live = match &self.serving {
            None => Live::Unknown,
            Some(_) if var.is_some_and(|v| v.unreadable.is_some()) => Live::Unknown,
            Some(dep) => match &dep.env {
                Some(env) => Live::Known(flag_is_on(env.get(key).and_then(|v| v.as_deref()))),
                None => match var {
                    None => Live::Known(false),
                    Some(v) if dep.created_at > v.updated_at => Live::Known(configured_on),
                    // A pinned build older than the change runs the value
                    // before it, which the env source does not tell.
                    Some(_) if self.is_pinned() => Live::Unknown,
                    Some(_) => Live::AwaitingRedeploy,
                },
            },
        };
        FlagState {
            key,
            configured_value,
            configured_on,
            live,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(min: u32) -> UtcNaive {
        NaiveDate::from_ymd_opt(2026, 2, 20)
            .unwrap()
            .and_hms_opt(10, min, 0)
            .unwrap()
    }

    #[test]
    fn only_the_exact_string_one_is_on() {
        assert!(flag_is_on(Some("1")));
        for off in [
            None,
            Some("0"),
            Some("true"),
            Some(""),
            Some(" 1"),
            Some("1 "),
        ] {
            assert!(!flag_is_on(off), "{off:?} must be off");
        }
    }

    #[test]
    fn ready_state_round_trips_and_knows_final_states() {
        for s in [
            "QUEUED",
            "INITIALIZING",
            "BUILDING",
            "READY",
            "ERROR",
            "CANCELED",
        ] {
            assert_eq!(ReadyState::parse(s).unwrap().as_str(), s);
        }
        assert!(ReadyState::Canceled.is_final());
        assert!(!ReadyState::Building.is_final());
        assert_eq!(ReadyState::parse("DONE"), None);
    }

    fn snapshot(var_updated: u32, dep_created: u32, dep_env: Option<&str>) -> EnvSnapshot {
        let mut configured = BTreeMap::new();
        configured.insert(
            AUTO_SEND_REVISION_DISABLED.to_owned(),
            EnvVar {
                value: Some("0".into()),
                updated_at: at(var_updated),
                unreadable: None,
            },
        );
        let env = dep_env.map(|v| {
            let mut m = BTreeMap::new();
            m.insert(AUTO_SEND_REVISION_DISABLED.to_owned(), Some(v.to_owned()));
            m
        });
        let dep = Deployment {
            id: "dpl_1".into(),
            created_at: at(dep_created),
            state: ReadyState::Ready,
            env,
        };
        EnvSnapshot {
            configured,
            serving: Some(dep.clone()),
            latest: Some(dep),
            ..EnvSnapshot::default()
        }
    }

    #[test]
    fn inferred_liveness_follows_build_time() {
        let live = snapshot(5, 10, None).flag(AUTO_SEND_REVISION_DISABLED);
        assert_eq!(live.live, Live::Known(false));
        assert!(live.is_settled());
        let pending = snapshot(10, 5, None).flag(AUTO_SEND_REVISION_DISABLED);
        assert_eq!(pending.live, Live::AwaitingRedeploy);
        assert!(!pending.is_settled());
    }

    #[test]
    fn known_deployment_env_wins_over_inference() {
        // Configured "0" after the build, but the build ran with "1": live is ON.
        let s = snapshot(10, 5, Some("1")).flag(AUTO_SEND_REVISION_DISABLED);
        assert!(!s.configured_on);
        assert_eq!(s.live, Live::Known(true));
    }

    #[test]
    fn nothing_serving_is_unknown_and_missing_record_is_off() {
        let mut s = snapshot(5, 10, None);
        s.serving = None;
        assert_eq!(s.flag(AUTO_SEND_REVISION_DISABLED).live, Live::Unknown);
        let s = snapshot(5, 10, None).flag(AUTO_SEND_DISABLED);
        assert_eq!(s.configured_value, None);
        assert_eq!(s.live, Live::Known(false));
    }

    #[test]
    fn secrets_are_all_but_the_flags() {
        assert!(is_secret_var("OPENAI_API_KEY"));
        assert!(is_secret_var("DATABASE_URL"));
        assert!(!is_secret_var(AUTO_SEND_DISABLED));
    }
}
