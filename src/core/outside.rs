//! Changes made outside the panel (issue 28): a workspace toggle flipped on
//! the admin page or with psql, a runbook env variable changed in Vercel's
//! dashboard. Between two reads the panel sees a new state; a change that no
//! verified panel action explains raises an alarm that says what changed,
//! when, and that it came from outside. It never blocks anything.
//!
//! Pure: two observations and the panel's own actions in, alarms out.

use crate::core::alarms::{Alarm, AlarmKind};
use crate::core::env::{EnvSnapshot, RUNBOOK_VARS, is_secret_var};
use crate::core::time::UtcNaive;
use crate::core::workspace::Workspace;
use std::collections::BTreeMap;

/// How far apart a panel action's times and the change it made may be
/// (clocks of the panel, the database and Vercel differ).
pub const SLACK: chrono::Duration = chrono::Duration::minutes(2);

/// Workspace id → (name, toggle on, the row's `updatedAt`).
pub type Toggles = BTreeMap<String, (String, bool, Option<UtcNaive>)>;

/// Runbook variable → (value when not a secret, the record's `updatedAt`).
pub type EnvRecords = BTreeMap<String, (Option<String>, Option<UtcNaive>)>;

/// What one read saw: each workspace's toggle, each runbook variable's
/// record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// When it was read (the panel's clock).
    pub at: UtcNaive,
    /// Workspace id → (name, toggle on, the row's `updatedAt`).
    pub toggles: Option<Toggles>,
    /// Runbook variable → (value when not a secret, the record's
    /// `updatedAt`); `None` for the map when the env was not read.
    pub env: Option<EnvRecords>,
}

impl Observation {
    /// What a refresh read (a part it could not read is `None`: no change
    /// is judged for it).
    pub fn of(at: UtcNaive, workspaces: Option<&[Workspace]>, env: Option<&EnvSnapshot>) -> Self {
        Self {
            at,
            toggles: workspaces.map(|ws| {
                ws.iter()
                    .map(|w| {
                        (
                            w.id.clone(),
                            (w.name.clone(), w.toggle.is_on(), w.settings_updated_at),
                        )
                    })
                    .collect()
            }),
            env: env.map(|e| {
                RUNBOOK_VARS
                    .iter()
                    .map(|k| {
                        let v = e.configured.get(*k);
                        (
                            (*k).to_owned(),
                            (
                                v.and_then(|v| v.value.clone())
                                    .filter(|_| !is_secret_var(k)),
                                v.map(|v| v.updated_at),
                            ),
                        )
                    })
                    .collect()
            }),
        }
    }
}

/// A verified panel action's reach: what its plan changes, from its intent
/// to its result (`until` = `None`: still running).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanelTouch {
    /// Workspace ids whose toggle it changes.
    pub workspaces: Vec<String>,
    /// Env keys it writes.
    pub keys: Vec<String>,
    /// Its intent's time.
    pub from: UtcNaive,
    /// Its result's time.
    pub until: Option<UtcNaive>,
}

impl PanelTouch {
    fn covers(&self, lo: UtcNaive, hi: UtcNaive) -> bool {
        self.from - SLACK <= hi && self.until.is_none_or(|u| u + SLACK >= lo)
    }
}

fn fmt(t: UtcNaive) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The alarms for changes between `prev` and `now` that no panel action
/// explains: one per workspace toggle and per variable, naming what changed
/// and when.
pub fn outside_changes(
    prev: &Observation,
    now: &Observation,
    touches: &[PanelTouch],
) -> Vec<Alarm> {
    let mut out = Vec::new();
    if let (Some(before), Some(after)) = (&prev.toggles, &now.toggles) {
        for (id, (name, on, updated)) in after {
            let Some((_, was, _)) = before.get(id) else {
                continue;
            };
            if was == on {
                continue;
            }
            let explained = touches
                .iter()
                .any(|t| t.workspaces.contains(id) && t.covers(prev.at, now.at));
            if explained {
                continue;
            }
            let word = |b: bool| if b { "ON" } else { "OFF" };
            out.push(alarm(
                format!("outside:toggle:{id}:{}", now.at.and_utc().timestamp_millis()),
                vec![id.clone()],
                format!(
                    "{name}'s revision toggle changed {} -> {} outside the panel (admin page, psql or another tool): no panel action explains it; seen between {} and {} UTC{}",
                    word(*was),
                    word(*on),
                    fmt(prev.at),
                    fmt(now.at),
                    updated.map_or(String::new(), |u| format!(
                        " (the row's updatedAt {}, which other writes also bump)",
                        fmt(u)
                    ))
                ),
                if *on { "workspace-rollback" } else { "" },
            ));
        }
    }
    if let (Some(before), Some(after)) = (&prev.env, &now.env) {
        for (key, (value, updated)) in after {
            let Some((was, was_updated)) = before.get(key) else {
                continue;
            };
            if was == value && was_updated == updated {
                continue;
            }
            let (lo, hi) = match updated {
                Some(u) => (*u, *u),
                None => (prev.at, now.at),
            };
            let explained = touches
                .iter()
                .any(|t| t.keys.contains(key) && t.covers(lo, hi));
            if explained {
                continue;
            }
            let shown = |v: &Option<String>, u: &Option<UtcNaive>| match (v, u) {
                (_, None) => "unset".to_owned(),
                (Some(v), Some(_)) => format!("{v:?}"),
                (None, Some(_)) => "a value not shown".to_owned(),
            };
            out.push(alarm(
                format!(
                    "outside:env:{key}:{}",
                    updated.map_or(now.at, |u| u).and_utc().timestamp_millis()
                ),
                Vec::new(),
                format!(
                    "{key} changed outside the panel (the Vercel dashboard, its CLI or API): {} -> {}{}; no panel action explains it",
                    shown(was, was_updated),
                    shown(value, updated),
                    updated.map_or_else(
                        || format!(", between {} and {} UTC", fmt(prev.at), fmt(now.at)),
                        |u| format!(", the record's updatedAt {} UTC", fmt(u))
                    )
                ),
                "",
            ));
        }
    }
    out
}

fn alarm(id: String, workspace_ids: Vec<String>, finding: String, lever: &str) -> Alarm {
    Alarm {
        id,
        kind: AlarmKind::ChangedOutsidePanel,
        workspace_ids,
        draft_ids: Vec::new(),
        draft_count: 0,
        grace_minutes: None,
        finding,
        suggested_lever: lever.to_owned(),
    }
}

#[cfg(test)]
mod tests;
