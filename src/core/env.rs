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
    /// The value, when it could be read (`None` = unset or unreadable) —
    /// only for the variables that are not secrets ([`is_secret_var`]); a
    /// secret's value is reduced to [`EnvVar::facts`] where it is read.
    pub value: Option<String>,
    /// When the record last changed.
    pub updated_at: UtcNaive,
    /// Why the value could not be read (`sensitive`, not decrypted), if so:
    /// the key exists but its value must not be judged.
    pub unreadable: Option<String>,
    /// What the checks need to know about a secret's value (never the value).
    pub facts: Option<SecretFacts>,
}

impl EnvVar {
    /// A variable as its source read it: a secret is reduced to
    /// [`SecretFacts`] at once and its value dropped; any other value is kept.
    pub fn read(key: &str, value: Option<String>, updated_at: UtcNaive) -> Self {
        match value {
            Some(v) if is_secret_var(key) => Self {
                value: None,
                updated_at,
                unreadable: None,
                facts: Some(SecretFacts::of(key, &v)),
            },
            value => Self {
                value,
                updated_at,
                unreadable: None,
                facts: None,
            },
        }
    }

    /// A variable whose value cannot be read (`why`: sensitive, not decrypted).
    pub fn unreadable(updated_at: UtcNaive, why: &str) -> Self {
        Self {
            value: None,
            updated_at,
            unreadable: Some(why.to_owned()),
            facts: None,
        }
    }
}

/// What the readiness checks need to know about a secret's value: its
/// length, its prefix class and, for a database URL, where it points — never
/// the value, which is dropped where it is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretFacts {
    /// Length in characters.
    pub chars: usize,
    /// Starts with `sk-` (an OpenAI key's prefix).
    pub openai_prefix: bool,
    /// Holds whitespace.
    pub whitespace: bool,
    /// For `*_URL` variables: where the URL points, or why it cannot be read
    /// (the reason never contains the URL).
    pub db: Option<Result<crate::core::dburl::DbTarget, String>>,
}

impl SecretFacts {
    /// The facts of `value`, the value of `key`.
    pub fn of(key: &str, value: &str) -> Self {
        Self {
            chars: value.chars().count(),
            openai_prefix: value.starts_with("sk-"),
            whitespace: value.contains(char::is_whitespace),
            db: key
                .ends_with("_URL")
                .then(|| crate::core::dburl::DbTarget::parse(value)),
        }
    }
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
    /// Values the pinned serving build runs, known from a record of an
    /// earlier read rather than from the build itself (Vercel does not show a
    /// build's env): see [`EnvSnapshot::learn_from_records`].
    pub recorded_live: BTreeMap<String, RecordedValue>,
    /// The deployments or the project could not be read although the env
    /// was (each read fails only itself): why. `serving`, `latest` and the
    /// live state are then unknown, never guessed.
    pub deployments_error: Option<String>,
    /// An active rolling release: production is served by two deployments
    /// at once, each with the env it was built with (contract/vercel.md
    /// §"Rolling releases").
    pub rolling: Option<RollingRelease>,
    /// The rolling release could not be read (its own error; the rest of
    /// the read stands, and a kill switch's live state is then unknown).
    pub rolling_error: Option<String>,
    /// Whether the project has Rolling Releases on, so a new production
    /// build starts a release (read when none is active).
    pub rolling_config: RollingConfig,
}

/// A project's Rolling Releases setting: whether a new production build
/// takes all traffic or starts a release at a stage's share.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RollingConfig {
    /// A new build takes all traffic (or the source has no rolling releases).
    #[default]
    Off,
    /// A new build starts a rolling release.
    On,
    /// The setting cannot be read: why.
    Unknown(String),
}

/// An active rolling release: both deployments serve production.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RollingRelease {
    /// The deployment that served before (most of the traffic at first).
    pub current: Deployment,
    /// The new deployment taking over stage by stage.
    pub canary: Deployment,
    /// The canary's share of traffic now, in percent, when Vercel says.
    pub canary_share: Option<u8>,
}

impl RollingRelease {
    /// "dpl_new 10 % · dpl_old 90 %".
    pub fn describe(&self) -> String {
        match self.canary_share {
            Some(p) => format!(
                "{} {p} % · {} {} %",
                self.canary.id,
                self.current.id,
                100u8.saturating_sub(p)
            ),
            None => format!("{} (share unknown) · {}", self.canary.id, self.current.id),
        }
    }
}

/// A value the serving build runs, as a record shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedValue {
    /// The value (`None` = unset).
    pub value: Option<String>,
    /// Where it is known from, for people.
    pub how: String,
}

/// One earlier read of a production variable, as a lever's audited plan
/// recorded it: at `seen_at` the record held `value`, last changed at
/// `updated_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvRecord {
    /// The variable.
    pub key: String,
    /// Its value then.
    pub value: Option<String>,
    /// The record's `updatedAt` then.
    pub updated_at: UtcNaive,
    /// When it was read (the intent's time; the read was just before).
    pub seen_at: UtcNaive,
    /// Which record shows it, for people (e.g. "action 1a2b3c4d by alice").
    pub by: String,
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
    /// Every deployment that serves production: the one production's
    /// domains point at, and both of an active rolling release.
    pub fn serving_ids(&self) -> Result<Vec<String>, String> {
        let mut ids: Vec<String> = self
            .serving_read()?
            .map(|d| d.id.clone())
            .into_iter()
            .collect();
        if let Some(r) = &self.rolling {
            for id in [&r.current.id, &r.canary.id] {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        Ok(ids)
    }

    /// What serves production, when the read could tell (`Err`: the
    /// deployments could not be read, so "nothing serves" is not known).
    pub fn serving_read(&self) -> Result<Option<&Deployment>, String> {
        match &self.deployments_error {
            Some(e) => Err(e.clone()),
            None => Ok(self.serving.as_ref()),
        }
    }

    /// Fills in what a pinned serving build runs, for the variables changed
    /// since it was built, from earlier reads: a read made after the build
    /// whose record had last changed before it shows the value the build
    /// was made with (nothing changed between the two). Without a pin, or
    /// without such a read, nothing is filled in: live stays unknown.
    pub fn learn_from_records(&mut self, records: &[EnvRecord]) {
        let Some(serving) = self.pinned_past.as_ref().and(self.serving.as_ref()) else {
            return;
        };
        let built = serving.created_at;
        let id = serving.id.clone();
        for (key, var) in &self.configured {
            if var.updated_at <= built || self.recorded_live.contains_key(key) {
                continue;
            }
            if let Some(r) = records
                .iter()
                .find(|r| &r.key == key && r.updated_at <= built && r.seen_at > built)
            {
                self.recorded_live.insert(
                    key.clone(),
                    RecordedValue {
                        value: r.value.clone(),
                        how: format!(
                            "{id} runs {}: {} read it at {} UTC, unchanged since {} UTC, before {id} was built",
                            r.value.as_deref().map_or("unset".to_owned(), |v| format!("{v:?}")),
                            r.by,
                            r.seen_at.format("%Y-%m-%d %H:%M:%S"),
                            r.updated_at.format("%Y-%m-%d %H:%M:%S"),
                        ),
                    },
                );
            }
        }
    }

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
    /// A rolling release is active and only its canary deployment runs the
    /// configured value: live for the canary's share of traffic only, not
    /// live for production until the release completes.
    Partial {
        /// The canary's share of traffic, in percent, when known.
        share: Option<u8>,
    },
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
            Self::Partial { .. } => "on the rolling release's canary share only",
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
                    // before it, which the env source does not tell; an
                    // earlier read may have recorded it.
                    Some(_) if self.is_pinned() => match self.recorded_live.get(key) {
                        Some(r) => Live::Known(flag_is_on(r.value.as_deref())),
                        None => Live::Unknown,
                    },
                    Some(_) => Live::AwaitingRedeploy,
                },
            },
        };
        // Under a rolling release both deployments serve: the value is live
        // only when every one of them carries it.
        let live = match (&self.rolling, &self.rolling_error, live) {
            (_, Some(_), _) => Live::Unknown,
            (Some(_), None, _) if var.is_some_and(|v| v.unreadable.is_some()) => Live::Unknown,
            (Some(r), None, Live::Known(_) | Live::AwaitingRedeploy) => {
                // A build runs the configured value when its own env says
                // so, or (env not known) when it was built after the change.
                let runs_configured = |d: &Deployment| match &d.env {
                    Some(env) => {
                        flag_is_on(env.get(key).and_then(|v| v.as_deref())) == configured_on
                    }
                    None => var.is_none_or(|v| d.created_at > v.updated_at),
                };
                match (runs_configured(&r.canary), runs_configured(&r.current)) {
                    (true, true) => Live::Known(configured_on),
                    (true, false) => Live::Partial {
                        share: r.canary_share,
                    },
                    (false, _) => Live::AwaitingRedeploy,
                }
            }
            (_, None, live) => live,
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
            EnvVar::read(
                AUTO_SEND_REVISION_DISABLED,
                Some("0".into()),
                at(var_updated),
            ),
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
    fn a_pinned_build_runs_what_a_read_after_it_saw_unchanged_since_before_it() {
        // The variable changed at 30 to "1"; production is pinned to a build
        // made at 10; a newer build (made at 40) does not serve.
        let mut env = snapshot(30, 10, None);
        env.configured
            .get_mut(AUTO_SEND_REVISION_DISABLED)
            .unwrap()
            .value = Some("1".into());
        env.pinned_past = Some(Deployment {
            id: "dpl_2".into(),
            created_at: at(40),
            state: ReadyState::Ready,
            env: None,
        });
        assert_eq!(env.flag(AUTO_SEND_REVISION_DISABLED).live, Live::Unknown);
        let read = |updated: u32, seen: u32| EnvRecord {
            key: AUTO_SEND_REVISION_DISABLED.into(),
            value: Some("0".into()),
            updated_at: at(updated),
            seen_at: at(seen),
            by: "action 1a2b3c4d by alice".into(),
        };
        // A read before the build, or of a record changed after it, says
        // nothing about the build.
        for useless in [read(5, 8), read(12, 20)] {
            let mut e = env.clone();
            e.learn_from_records(&[useless]);
            assert_eq!(e.flag(AUTO_SEND_REVISION_DISABLED).live, Live::Unknown);
        }
        // Unchanged from 5 to 20 spans the build at 10: it runs "0".
        let mut e = env.clone();
        e.learn_from_records(&[read(5, 20)]);
        assert_eq!(e.flag(AUTO_SEND_REVISION_DISABLED).live, Live::Known(false));
        let how = &e.recorded_live[AUTO_SEND_REVISION_DISABLED].how;
        assert!(how.contains("dpl_1 runs \"0\""), "{how}");
        assert!(how.contains("action 1a2b3c4d by alice"), "{how}");
        // Without a pin nothing is filled in (the build-time rule applies).
        let mut unpinned = env.clone();
        unpinned.pinned_past = None;
        unpinned.learn_from_records(&[read(5, 20)]);
        assert!(unpinned.recorded_live.is_empty());
    }

    #[test]
    fn under_a_rolling_release_a_switch_is_live_only_when_both_deployments_carry_it() {
        let dep = |id: &str, created: u32| Deployment {
            id: id.into(),
            created_at: at(created),
            state: ReadyState::Ready,
            env: None,
        };
        // The switch changed at 10; the old build is from 5, the release's
        // canary from 12 at 10 % of traffic.
        let mut env = snapshot(10, 5, None);
        env.rolling = Some(RollingRelease {
            current: dep("dpl_old", 5),
            canary: dep("dpl_new", 12),
            canary_share: Some(10),
        });
        let f = env.flag(AUTO_SEND_REVISION_DISABLED);
        assert_eq!(f.live, Live::Partial { share: Some(10) });
        assert!(!f.is_settled(), "live on 10 % is not live");
        assert_eq!(
            env.serving_ids().unwrap(),
            vec!["dpl_1".to_owned(), "dpl_old".into(), "dpl_new".into()]
        );
        // Both built after the change: live.
        env.rolling.as_mut().unwrap().current = dep("dpl_old", 11);
        assert_eq!(
            env.flag(AUTO_SEND_REVISION_DISABLED).live,
            Live::Known(false)
        );
        // Neither: awaiting a redeploy.
        env.rolling.as_mut().unwrap().current = dep("dpl_old", 5);
        env.rolling.as_mut().unwrap().canary = dep("dpl_new", 8);
        assert_eq!(
            env.flag(AUTO_SEND_REVISION_DISABLED).live,
            Live::AwaitingRedeploy
        );
        // The release could not be read: what all of production runs is unknown.
        let mut env = snapshot(5, 10, None);
        env.rolling_error = Some("HTTP 500".into());
        assert_eq!(env.flag(AUTO_SEND_REVISION_DISABLED).live, Live::Unknown);
        // The deployments could not be read: serving is not "nothing".
        let mut env = snapshot(5, 10, None);
        env.deployments_error = Some("HTTP 500".into());
        assert!(env.serving_read().is_err() && env.serving_ids().is_err());
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
