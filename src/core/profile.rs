//! Profiles: named targets (production, staging, …) and their non-secret
//! settings, as kept in the hand-editable `profiles.toml`. The built-in
//! `demo` profile is not stored.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The name of the built-in rehearsal profile.
pub const DEMO_PROFILE: &str = "demo";

/// Vercel's API, unless a profile says otherwise.
pub const DEFAULT_VERCEL_API: &str = "https://api.vercel.com";

/// The panel's refresh interval when a profile does not set one.
pub const DEFAULT_REFRESH_SECS: u64 = 5;

/// The longest refresh interval a profile may set.
pub const MAX_REFRESH_SECS: u64 = 3600;

/// The longest grace a profile may set.
pub const MAX_GRACE_MINUTES: u32 = 120;

/// How long after a change revision attempts are still expected, when a
/// profile does not say: the app reads the toggle and the env when a job
/// starts, and jobs run for up to ~14 min (contract §9: cron budget 240 s,
/// functions up to 800 s).
pub const DEFAULT_GRACE_MINUTES: u32 = 15;

/// The quality review's default policy target (a pass rate).
pub const DEFAULT_QUALITY_TARGET: f64 = 0.95;

/// One profile's settings (secrets live in the keyring, never here).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// The Vercel project id or name.
    pub vercel_project: String,
    /// The Vercel team id (`team_…`) or slug, for team-owned projects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vercel_team: Option<String>,
    /// The Vercel API base URL (tests point it at a local server).
    #[serde(default = "default_api")]
    pub vercel_api: String,
    /// The canary workspace chosen last time (a workspace id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_workspace: Option<String>,
    /// Seconds between automatic refreshes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_secs: Option<u64>,
    /// Minutes after a toggle-off or a kill switch going live during which
    /// revision attempts are expected (jobs already running finish with the
    /// old value); default [`DEFAULT_GRACE_MINUTES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_minutes: Option<u32>,
    /// Desktop notifications for this profile (alarms, harm, failed runs,
    /// other operators' levers); default on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<bool>,
    /// Enabling the canary and an expansion wait for a second operator's
    /// approval (from their own panel, through the shared audit table);
    /// default off. Rollbacks never wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<bool>,
    /// The team's operators, one `NAME ed25519:KEY` line each (issue 28):
    /// only entries signed by these keys count in the shared audit table.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub operators: Vec<String>,
    /// An absolute path to a team file of more operators in the same
    /// format (commit it to the team's repo, review it like code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_file: Option<String>,
    /// The quality review's policy target: the pass rate the sampled
    /// revisions must meet (0.5–0.999; default 0.95).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality_target: Option<f64>,
    /// The guarded canary's settings (`[profiles.NAME.guard]`, issue 29):
    /// its thresholds and whether arming is a dry run by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<Box<crate::core::guard::GuardProfile>>,
    /// Keys this version does not know: kept as they are and reported.
    #[serde(flatten)]
    pub unknown: toml::Table,
}

/// The profile settings that are switches (`true`/`false`): a value of
/// another type is dropped with a warning, the default is used.
pub const SWITCH_KEYS: [&str; 2] = ["notifications", "approvals"];

fn default_api() -> String {
    DEFAULT_VERCEL_API.to_owned()
}

impl Profile {
    /// A profile for a Vercel project with the default API.
    pub fn new(vercel_project: impl Into<String>) -> Self {
        Self {
            vercel_project: vercel_project.into(),
            vercel_api: default_api(),
            ..Self::default()
        }
    }

    /// Whether desktop notifications are on (the default).
    pub fn notifications(&self) -> bool {
        self.notifications.unwrap_or(true)
    }

    /// Whether the canary and an expansion need a second operator's approval.
    pub fn approvals(&self) -> bool {
        self.approvals.unwrap_or(false)
    }

    /// The refresh interval in seconds (1–3600, whatever the file says).
    pub fn refresh_secs(&self) -> u64 {
        self.refresh_secs
            .unwrap_or(DEFAULT_REFRESH_SECS)
            .clamp(1, MAX_REFRESH_SECS)
    }

    /// The guard's thresholds (the defaults for keys not set).
    pub fn guard_settings(&self) -> crate::core::guard::GuardSettings {
        self.guard.clone().unwrap_or_default().settings()
    }

    /// The quality review's policy target (0.5–0.999, whatever the file says).
    pub fn quality_target(&self) -> f64 {
        self.quality_target
            .filter(|t| t.is_finite())
            .map_or(DEFAULT_QUALITY_TARGET, |t| t.clamp(0.5, 0.999))
    }

    /// The grace after a change, in minutes (see [`Profile::grace_minutes`]; 1–120).
    pub fn grace_minutes(&self) -> u32 {
        self.grace_minutes
            .unwrap_or(DEFAULT_GRACE_MINUTES)
            .clamp(1, MAX_GRACE_MINUTES)
    }

    /// Drops the settings a hand-edited file holds out of range, so the rest
    /// of the profile still works: each as (key, what was wrong and what is
    /// used instead). The file is not changed by this.
    pub fn drop_invalid(&mut self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(s) = self.refresh_secs
            && !(1..=MAX_REFRESH_SECS).contains(&s)
        {
            out.push((
                "refresh_secs",
                format!("refresh_secs = {s} is out of range (1-{MAX_REFRESH_SECS}); ignored, every {DEFAULT_REFRESH_SECS} s is used"),
            ));
            self.refresh_secs = None;
        }
        if let Some(g) = self.grace_minutes
            && !(1..=MAX_GRACE_MINUTES).contains(&g)
        {
            out.push((
                "grace_minutes",
                format!("grace_minutes = {g} is out of range (1-{MAX_GRACE_MINUTES}); ignored, {DEFAULT_GRACE_MINUTES} min is used"),
            ));
            self.grace_minutes = None;
        }
        if let Err(e) = check_api_url(&self.vercel_api) {
            out.push((
                "vercel_api",
                format!("{e}; ignored, {DEFAULT_VERCEL_API} is used"),
            ));
            self.vercel_api = default_api();
        }
        out
    }

    /// Checks the settings a person typed; the message says what to fix.
    pub fn validate(&self) -> Result<(), String> {
        if self.vercel_project.trim().is_empty() {
            return Err("the Vercel project (id or name) is empty".to_owned());
        }
        if self.vercel_project.trim() != self.vercel_project
            || self.vercel_project.contains(['/', '?', '#', ' '])
        {
            return Err(format!(
                "the Vercel project {:?} is not a project id or name (no spaces, '/', '?' or '#')",
                self.vercel_project
            ));
        }
        if let Some(team) = &self.vercel_team
            && (team.is_empty() || team.contains(['/', '?', '#', '&', ' ']))
        {
            return Err(format!("the Vercel team {team:?} is not a team id or slug"));
        }
        check_api_url(&self.vercel_api)?;
        if let Some(s) = self.refresh_secs
            && !(1..=MAX_REFRESH_SECS).contains(&s)
        {
            return Err(format!(
                "refresh_secs is {s}; it must be between 1 and {MAX_REFRESH_SECS}"
            ));
        }
        if let Some(g) = self.grace_minutes
            && !(1..=MAX_GRACE_MINUTES).contains(&g)
        {
            return Err(format!(
                "grace_minutes is {g}; it must be between 1 and {MAX_GRACE_MINUTES}"
            ));
        }
        Ok(())
    }
}

/// Checks a Vercel API base URL: https (http only to a loopback address, for
/// a local test server: the bearer token must never travel in clear), a
/// host, no query or credentials.
pub fn check_api_url(value: &str) -> Result<(), String> {
    let url = url::Url::parse(value)
        .map_err(|e| format!("the Vercel API URL {value:?} does not parse ({e})"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(format!(
                "the Vercel API URL {value:?} is http: the token would travel in clear; use https:// (http:// only to localhost, for a test server)"
            ));
        }
        _ => {
            return Err(format!(
                "the Vercel API URL {value:?} must start with https:// (or http:// to localhost, for a test server)"
            ));
        }
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("the Vercel API URL {value:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err(format!(
            "the Vercel API URL {value:?} must be a plain base URL (no credentials or query); \
             the token goes in the keyring"
        ));
    }
    Ok(())
}

/// Checks a new profile's name: 1–40 of `a-z 0-9 - _`, not `demo`.
pub fn check_profile_name(name: &str) -> Result<(), String> {
    if name == DEMO_PROFILE {
        return Err("\"demo\" is the built-in rehearsal profile; choose another name".to_owned());
    }
    let ok = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the profile name {name:?} must be 1–40 characters of a-z, 0-9, '-' and '_'"
        ))
    }
}

/// The whole `profiles.toml`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfilesFile {
    /// The profile the window opens with (the last one chosen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    /// The profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Keys this version does not know: kept as they are and reported.
    #[serde(flatten)]
    pub unknown: toml::Table,
}

impl ProfilesFile {
    /// The unknown keys, for a warning (they are kept when the file is saved).
    pub fn unknown_keys(&self) -> Vec<String> {
        let mut out: Vec<String> = self.unknown.keys().cloned().collect();
        for (name, p) in &self.profiles {
            out.extend(p.unknown.keys().map(|k| format!("profiles.{name}.{k}")));
        }
        out
    }

    /// The names, `demo` first (it is always there).
    pub fn names_with_demo(&self) -> Vec<String> {
        std::iter::once(DEMO_PROFILE.to_owned())
            .chain(self.profiles.keys().cloned())
            .collect()
    }

    /// Looks a profile up; the error lists the known names.
    pub fn get(&self, name: &str) -> Result<&Profile, String> {
        self.profiles
            .get(name)
            .ok_or_else(|| self.unknown_profile(name))
    }

    /// "no profile named X; the profiles are: …".
    pub fn unknown_profile(&self, name: &str) -> String {
        let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
        if known.is_empty() {
            format!(
                "no profile named {name:?}; none is configured yet (add one: rollout-panel \
                 profile add NAME --vercel-project ID)"
            )
        } else {
            format!(
                "no profile named {name:?}; the profiles are: {} (and the built-in demo)",
                known.join(", ")
            )
        }
    }

    /// The profile the window should open: the chosen default when it still
    /// exists, else the demo.
    pub fn startup_profile(&self) -> String {
        self.default_profile
            .as_ref()
            .filter(|n| self.profiles.contains_key(*n))
            .cloned()
            .unwrap_or_else(|| DEMO_PROFILE.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rules() {
        assert!(check_profile_name("production").is_ok());
        assert!(check_profile_name("staging-2_eu").is_ok());
        assert!(check_profile_name("demo").unwrap_err().contains("built-in"));
        assert!(check_profile_name("").is_err());
        assert!(check_profile_name("Prod").is_err());
        assert!(check_profile_name("a b").is_err());
        assert!(check_profile_name(&"x".repeat(41)).is_err());
    }

    #[test]
    fn settings_are_validated_with_reasons() {
        let mut p = Profile::new("zrg-dashboard");
        assert_eq!(p.validate(), Ok(()));
        p.vercel_api = "api.vercel.com".into();
        assert!(p.validate().unwrap_err().contains("does not parse"));
        p.vercel_api = "ftp://api.vercel.com".into();
        assert!(p.validate().unwrap_err().contains("https://"));
        p.vercel_api = "https://user:pw@api.vercel.com".into();
        assert!(p.validate().unwrap_err().contains("keyring"));
        p.vercel_api = "http://127.0.0.1:8080".into();
        assert_eq!(p.validate(), Ok(()));
        p.vercel_project = "my project".into();
        assert!(p.validate().is_err());
        p.vercel_project = "prj_123".into();
        p.vercel_team = Some("team/x".into());
        assert!(p.validate().is_err());
        p.vercel_team = Some("team_abc".into());
        p.refresh_secs = Some(0);
        assert!(p.validate().unwrap_err().contains("refresh_secs"));
    }

    #[test]
    fn unknown_profiles_list_the_known_ones_and_startup_falls_back_to_demo() {
        let mut f = ProfilesFile::default();
        assert!(
            f.get("production")
                .unwrap_err()
                .contains("none is configured")
        );
        f.profiles.insert("production".into(), Profile::new("p"));
        f.profiles.insert("staging".into(), Profile::new("s"));
        let e = f.get("prod").unwrap_err();
        assert!(e.contains("production, staging"), "{e}");
        assert_eq!(f.startup_profile(), "demo");
        f.default_profile = Some("staging".into());
        assert_eq!(f.startup_profile(), "staging");
        f.default_profile = Some("gone".into());
        assert_eq!(f.startup_profile(), "demo");
        assert_eq!(f.names_with_demo(), vec!["demo", "production", "staging"]);
    }
}
