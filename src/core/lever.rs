//! Lever plans (runbook steps 3 and 5): what a lever would change, on which
//! system, before → after, with its preconditions and its guard. Pure: the
//! confirm dialog and `rollout-panel lever` show a plan; nothing changes
//! before the operator confirms it.

use crate::core::env::{
    AUTO_SEND_DISABLED, AUTO_SEND_REVISION_DISABLED, EnvSnapshot, Live, flag_is_on,
};
use crate::core::readiness::{CheckStatus, Item};
use crate::core::schema::SchemaReport;
use crate::core::workspace::{RevisionToggle, Workspace};
use serde::{Deserialize, Serialize};

/// Why no plan can be made.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The state already is what the lever would make it.
    #[error("{0}")]
    NothingToDo(String),
    /// What the plan is made from has not been read (or cannot be read now).
    #[error("{0}")]
    NotRead(String),
    /// The request cannot be planned (no such workspace, none given).
    #[error("{0}")]
    Invalid(String),
}

/// The four levers of the runbook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LeverKind {
    /// Turn a workspace's revision toggle on (and the kill switch off if needed).
    CanaryEnable,
    /// Turn a workspace's revision toggle off (the workspace-level rollback).
    WorkspaceRollback,
    /// `AUTO_SEND_REVISION_DISABLED` = "1" (the fast rollback) or back to "0".
    RevisionKillSwitch,
    /// `AUTO_SEND_DISABLED` = "1" (the full rollback) or back to "0".
    AutoSendKillSwitch,
    /// Revision on for several workspaces after a clean watch (the
    /// expansion step), or off again for them (its rollback).
    Expansion,
}

impl LeverKind {
    /// Every lever, in runbook order.
    pub const ALL: [Self; 5] = [
        Self::CanaryEnable,
        Self::WorkspaceRollback,
        Self::RevisionKillSwitch,
        Self::AutoSendKillSwitch,
        Self::Expansion,
    ];

    /// The lever of a CLI name (as the audit log records it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CanaryEnable => "canary-enable",
            Self::WorkspaceRollback => "workspace-rollback",
            Self::RevisionKillSwitch => "revision-kill-switch",
            Self::AutoSendKillSwitch => "auto-send-kill-switch",
            Self::Expansion => "expansion",
        }
    }
}

/// What the operator asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeverRequest {
    /// Which lever.
    pub kind: LeverKind,
    /// `true` = the lever itself; `false` = its restore.
    pub on: bool,
    /// The workspace (`Client.id`), for the workspace levers.
    pub workspace: Option<String>,
}

/// One change a plan makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "system", rename_all = "snake_case")]
pub enum Change {
    /// `WorkspaceSettings.autoSendRevisionEnabled` in the production database.
    Toggle {
        /// `Client.id`.
        workspace_id: String,
        /// `Client.name`.
        workspace_name: String,
        /// As the operator saw it (the compare-and-set expects it).
        before: RevisionToggle,
        /// The new value.
        after: bool,
    },
    /// A Vercel production env variable.
    Env {
        /// The variable.
        key: String,
        /// The configured value now (`None` = unset).
        before: Option<String>,
        /// The record's `updatedAt` as the operator saw it (`None` = unset):
        /// the write checks it first, so a concurrent change is not overwritten.
        before_updated_at: Option<crate::core::time::UtcNaive>,
        /// The new value.
        after: String,
    },
    /// A production redeploy, so the env change goes live.
    Redeploy,
    /// A production build started after the variable last changed (under
    /// way, or READY behind a pin) already carries the value: it is followed
    /// to READY and verified, instead of starting a second build.
    Follow {
        /// The deployment id.
        deployment: String,
    },
    /// Production is pinned to an older build (an Instant Rollback): the new
    /// build is promoted, or it would be READY without serving.
    Promote {
        /// The build production is pinned to now.
        pinned: String,
    },
    /// A rolling release is active (contract/vercel.md §"Rolling
    /// releases"): its canary deployment serves only a share of production,
    /// so it is completed (`POST …/rolling-release/complete`) and then
    /// verified to serve all of it; a rollback does not wait on a stage.
    CompleteRolling {
        /// The canary to complete: a deployment that already carries the
        /// value, or `None` = the build an earlier step of this plan makes.
        canary: Option<String>,
        /// The release as it was read ("dpl_new 10 % · dpl_old 90 %").
        release: String,
    },
}

impl Change {
    /// Whether this step brings a build to production (a redeploy, or a
    /// build followed): after it, the configured values are live.
    pub fn builds(&self) -> bool {
        matches!(self, Self::Redeploy | Self::Follow { .. })
    }

    /// Whether this step makes the configured values live: a build, or the
    /// completion of a rolling release whose canary carries them.
    pub fn makes_live(&self) -> bool {
        self.builds() || matches!(self, Self::CompleteRolling { .. })
    }

    /// Whether this step changes something on Vercel (the env source).
    pub fn on_vercel(&self) -> bool {
        !matches!(self, Self::Toggle { .. })
    }

    /// "Acme: toggle OFF → ON (database)" etc., for the dialog.
    pub fn describe(&self) -> String {
        match self {
            Self::Toggle {
                workspace_name,
                before,
                after,
                ..
            } => format!(
                "database: {workspace_name}'s revision toggle {} -> {}",
                before.label(),
                if *after { "ON" } else { "OFF" }
            ),
            Self::Env {
                key, before, after, ..
            } => format!(
                "Vercel production env: {key} {} -> {after:?}",
                before
                    .as_deref()
                    .map_or("unset".to_owned(), |v| format!("{v:?}"))
            ),
            Self::Redeploy => {
                "Vercel: redeploy production, wait for READY, verify the new deployment serves"
                    .to_owned()
            }
            Self::Follow { deployment } => format!(
                "Vercel: follow the build {deployment} (started after the change, so it carries it; no second build), wait for READY, verify it serves"
            ),
            Self::Promote { pinned } => format!(
                "Vercel: promote the new build to production (production is pinned to {pinned} by an Instant Rollback; a promote does not rebuild), verify it serves"
            ),
            Self::CompleteRolling { canary, release } => format!(
                "Vercel: complete the rolling release ({release}) so that {} serves all of production, not a stage's share; verify it serves",
                canary.as_deref().unwrap_or("the new build")
            ),
        }
    }
}

/// A condition checked before the lever runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precondition {
    /// What is checked.
    pub name: String,
    /// Whether it holds.
    pub ok: bool,
    /// What was found.
    pub detail: String,
    /// Whether the operator may go on anyway (explicitly).
    pub overridable: bool,
}

/// The parts a lever changes, and so needs connected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    /// The production database (a workspace toggle).
    pub database: bool,
    /// The env source (an env variable, a redeploy).
    pub env: bool,
}

impl LeverRequest {
    /// The parts the plan of this request may read and change, known before
    /// it is made: a kill switch needs only the env; a workspace lever only
    /// the database; enabling the canary both (and the readiness checklist).
    pub fn needs(&self) -> Needs {
        match (self.kind, self.on) {
            (LeverKind::CanaryEnable, true) => Needs {
                database: true,
                env: true,
            },
            (LeverKind::CanaryEnable, false)
            | (LeverKind::WorkspaceRollback | LeverKind::Expansion, _) => Needs {
                database: true,
                env: false,
            },
            (LeverKind::RevisionKillSwitch | LeverKind::AutoSendKillSwitch, _) => Needs {
                database: false,
                env: true,
            },
        }
    }
}

/// How the operator confirms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "word", rename_all = "snake_case")]
pub enum Guard {
    /// One confirm (speed matters).
    Confirm,
    /// Type exactly this word (a workspace name, DISABLE, ENABLE).
    Type(String),
}

/// A lever's plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Which lever, which direction.
    pub lever: LeverKind,
    /// `true` = the lever, `false` = its restore.
    pub on: bool,
    /// The workspace a workspace lever was asked for (its id), also when
    /// its toggle needs no change any more (an interrupted canary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// The workspaces an expansion was asked for (their ids), also those
    /// whose toggle needs no change any more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// One line for people.
    pub title: String,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// What was checked.
    pub preconditions: Vec<Precondition>,
    /// How to confirm.
    pub guard: Guard,
    /// Whether an env change must wait for a redeploy.
    pub needs_redeploy: bool,
    /// Rough wait until it takes effect.
    pub takes_effect: String,
    /// Things the operator must know.
    pub warnings: Vec<String>,
    /// The readiness checklist as the operator saw it when the plan was
    /// made (none when no check had run): recorded with the lever's intent,
    /// so the rollout record shows the prerequisites the lever went on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readiness: Vec<ReadinessMark>,
}

/// One readiness item as a lever's intent records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessMark {
    /// The item's id (`env.<KEY>`, `db.<…>`, …).
    pub id: String,
    /// `pass`, `warn`, `fail` or `unknown`.
    pub status: String,
    /// What was found (never a secret value).
    pub finding: String,
}

impl ReadinessMark {
    /// The marks of a checklist.
    pub fn of(items: &[Item]) -> Vec<Self> {
        items
            .iter()
            .map(|i| Self {
                id: i.id.clone(),
                status: i.status.as_str().to_owned(),
                finding: i.finding.clone(),
            })
            .collect()
    }
}

impl Plan {
    /// Preconditions that fail and cannot be overridden.
    pub fn blocked(&self) -> bool {
        self.preconditions.iter().any(|p| !p.ok && !p.overridable)
    }

    /// Preconditions that fail but may be overridden explicitly.
    pub fn needs_override(&self) -> bool {
        self.preconditions.iter().any(|p| !p.ok && p.overridable)
    }

    /// Which parts the plan changes: it runs with only those connected.
    pub fn needs(&self) -> Needs {
        Needs {
            database: self
                .changes
                .iter()
                .any(|c| matches!(c, Change::Toggle { .. })),
            env: self.changes.iter().any(Change::on_vercel),
        }
    }

    /// Whether `typed` satisfies the guard (exact, after trimming).
    pub fn guard_satisfied(&self, typed: &str) -> bool {
        match &self.guard {
            Guard::Confirm => true,
            Guard::Type(word) => typed.trim() == word,
        }
    }

    /// Whether the plan rolls back (a workspace rollback, a kill switch ON):
    /// it never waits on another operator's lever.
    pub fn is_rollback(&self) -> bool {
        match self.lever {
            // Its restore turns revision on again: an enable, not a rollback.
            LeverKind::WorkspaceRollback => self.on,
            LeverKind::RevisionKillSwitch | LeverKind::AutoSendKillSwitch => self.on,
            LeverKind::Expansion => !self.on,
            LeverKind::CanaryEnable => false,
        }
    }

    /// Whether the plan turns revision on for a workspace (a toggle to ON):
    /// the canary, an expansion, a restore — each waits for the same
    /// preconditions and, with approvals on, an approval.
    pub fn turns_revision_on(&self) -> bool {
        self.changes
            .iter()
            .any(|c| matches!(c, Change::Toggle { after: true, .. }))
    }

    /// The kill switches this plan sets, with the state it wants: every env
    /// change's; with a build and no env change, the lever's own variable
    /// (the build makes its configured value live).
    pub fn live_flags(&self) -> Vec<(&'static str, bool)> {
        let known = |key: &str| match key {
            AUTO_SEND_DISABLED => AUTO_SEND_DISABLED,
            _ => AUTO_SEND_REVISION_DISABLED,
        };
        let mut flags: Vec<(&'static str, bool)> = self
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::Env { key, after, .. } => Some((known(key), flag_is_on(Some(after)))),
                _ => None,
            })
            .collect();
        if flags.is_empty() && self.changes.iter().any(Change::makes_live) {
            flags.push(match self.lever {
                LeverKind::AutoSendKillSwitch => (AUTO_SEND_DISABLED, self.on),
                LeverKind::RevisionKillSwitch => (AUTO_SEND_REVISION_DISABLED, self.on),
                LeverKind::CanaryEnable | LeverKind::WorkspaceRollback | LeverKind::Expansion => {
                    (AUTO_SEND_REVISION_DISABLED, false)
                }
            });
        }
        flags
    }

    /// Whether the state read now is this plan's after-state: every toggle
    /// as planned, every env flag configured and live as planned. `Err` lists
    /// what differs (an interrupted action is closed `ok` only on `Ok`).
    pub fn after_state_reached(
        &self,
        workspaces: &[Workspace],
        env: &EnvSnapshot,
    ) -> Result<(), Vec<String>> {
        let mut differs = Vec::new();
        for change in &self.changes {
            match change {
                Change::Toggle {
                    workspace_id,
                    workspace_name,
                    after,
                    ..
                } => match workspaces.iter().find(|w| &w.id == workspace_id) {
                    Some(w) if w.toggle.is_on() == *after => {}
                    Some(w) => differs.push(format!(
                        "{}'s revision toggle is {}, the action wanted {}",
                        w.name,
                        w.toggle.label(),
                        if *after { "ON" } else { "OFF" }
                    )),
                    None => differs.push(format!("workspace {workspace_name} is not found")),
                },
                Change::Env { .. }
                | Change::Redeploy
                | Change::Follow { .. }
                | Change::Promote { .. }
                | Change::CompleteRolling { .. } => {}
            }
        }
        let redeploys = self.changes.iter().any(Change::makes_live);
        for (key, on) in self.live_flags() {
            let flag = env.flag(key);
            if flag.configured_on != on || (redeploys && flag.live != Live::Known(on)) {
                differs.push(format!(
                    "{key} is configured {} and live {}, the action wanted {}",
                    if flag.configured_on { "ON" } else { "OFF" },
                    flag.live.label("ON", "OFF"),
                    if on { "ON" } else { "OFF" }
                ));
            }
        }
        if differs.is_empty() {
            Ok(())
        } else {
            Err(differs)
        }
    }
}

/// What a plan is computed from.
#[derive(Clone, Copy, Debug)]
pub struct LeverState<'a> {
    /// Workspaces and their toggles, as last read.
    pub workspaces: &'a [Workspace],
    /// The env as last read.
    pub env: &'a EnvSnapshot,
    /// The schema report.
    pub schema: &'a SchemaReport,
    /// The last readiness items, if a check ran.
    pub readiness: Option<&'a [Item]>,
}

/// Where a plan comes from, so it can be made again from fresh data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanSource {
    /// A lever or its restore.
    Lever(LeverRequest),
    /// The instant complement of the fast rollback.
    Complement,
    /// An expansion to these workspaces (ids or names), or its rollback.
    Expansion {
        /// `true` = revision on for them, `false` = off again.
        on: bool,
        /// The workspaces.
        workspaces: Vec<String>,
    },
}

impl PlanSource {
    /// The parts its plan is made from (the complement: the database).
    pub fn needs(&self) -> Needs {
        match self {
            Self::Lever(req) => req.needs(),
            Self::Complement | Self::Expansion { .. } => Needs {
                database: true,
                env: false,
            },
        }
    }
}

/// The plan of `source` from the parts that could be read.
pub fn plan_source(source: &PlanSource, state: Parts<'_>) -> Result<Plan, PlanError> {
    let mut plan = match source {
        PlanSource::Lever(req) => plan_from_parts(req, state),
        PlanSource::Complement => complement_from_parts(state),
        PlanSource::Expansion { on, workspaces } => expansion_plan(workspaces, *on, state),
    }?;
    plan.readiness = state.readiness.map(ReadinessMark::of).unwrap_or_default();
    Ok(plan)
}

impl Plan {
    /// What this plan was made for (the complement when it turns several
    /// toggles off at once).
    pub fn source(&self) -> PlanSource {
        let toggles: Vec<&str> = self
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::Toggle { workspace_id, .. } => Some(workspace_id.as_str()),
                _ => None,
            })
            .collect();
        if self.lever == LeverKind::Expansion {
            return PlanSource::Expansion {
                on: self.on,
                workspaces: if self.targets.is_empty() {
                    toggles.iter().map(|w| (*w).to_owned()).collect()
                } else {
                    self.targets.clone()
                },
            };
        }
        if self.lever == LeverKind::WorkspaceRollback && self.on && toggles.len() > 1 {
            return PlanSource::Complement;
        }
        PlanSource::Lever(LeverRequest {
            kind: self.lever,
            on: self.on,
            workspace: self
                .workspace
                .clone()
                .or_else(|| toggles.first().map(|w| (*w).to_owned())),
        })
    }

    /// The parts the plan is made from and changes: what must be connected
    /// to check it again and run it.
    pub fn reads(&self) -> Needs {
        let changes = self.needs();
        let planned = self.source().needs();
        Needs {
            database: changes.database || planned.database,
            env: changes.env || planned.env,
        }
    }

    /// What differs between this plan (as confirmed) and the same lever
    /// planned again from fresh reads: its changes with their "before"
    /// values, and the outcome of each precondition but the readiness one
    /// (the checklist is not run again at confirm time). Empty = nothing moved.
    pub fn moved_since(&self, fresh: &Plan) -> Vec<String> {
        let mut moved = Vec::new();
        if self.changes != fresh.changes {
            let now: Vec<String> = fresh.changes.iter().map(Change::describe).collect();
            moved.push(format!("the changes are now: {}", now.join("; ")));
        }
        for p in &self.preconditions {
            if p.name == "readiness" || WATCH_PRECONDITIONS.contains(&p.name.as_str()) {
                continue;
            }
            if let Some(f) = fresh.preconditions.iter().find(|f| f.name == p.name)
                && f.ok != p.ok
            {
                moved.push(format!("precondition {}: now {}", p.name, f.detail));
            }
        }
        moved
    }
}

/// What a plan is made from when a part may be unreadable: each lever needs
/// only what it changes (a kill switch the env, a workspace lever the
/// database), so a part that is down fails only the levers that need it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Parts<'a> {
    /// Workspaces and their toggles (`None` = the database is not read).
    pub workspaces: Option<&'a [Workspace]>,
    /// The schema report (`None` = the database is not read).
    pub schema: Option<&'a SchemaReport>,
    /// The env (`None` = the env source is not read).
    pub env: Option<&'a EnvSnapshot>,
    /// The last readiness items, if a check ran.
    pub readiness: Option<&'a [Item]>,
    /// The canary's watch so far (an expansion's preconditions).
    pub watch: Option<&'a Watch>,
}

impl<'a> From<LeverState<'a>> for Parts<'a> {
    fn from(s: LeverState<'a>) -> Self {
        Self {
            workspaces: Some(s.workspaces),
            schema: Some(s.schema),
            env: Some(s.env),
            readiness: s.readiness,
            watch: None,
        }
    }
}

impl<'a> Parts<'a> {
    /// The database's part, or why the lever cannot be planned without it.
    fn db(&self) -> Result<(&'a [Workspace], &'a SchemaReport), PlanError> {
        match (self.workspaces, self.schema) {
            (Some(w), Some(s)) => Ok((w, s)),
            _ => Err(PlanError::NotRead(
                "the database has not been read: this lever changes a workspace toggle".to_owned(),
            )),
        }
    }

    /// The env's part, or why the lever cannot be planned without it.
    fn env(&self) -> Result<&'a EnvSnapshot, PlanError> {
        self.env.ok_or_else(|| {
            PlanError::NotRead(
                "the Vercel env has not been read: this lever changes a production env variable"
                    .to_owned(),
            )
        })
    }
}

/// Under an Instant Rollback pin a new build does not serve by itself: the
/// plan promotes it, as a step of its own that the operator sees.
/// When a change has reached every job (contract §9): the app reads the
/// toggle and the env when a background job starts, and jobs run on.
pub const RUNNING_JOBS: &str = "jobs already running finish with the old value (up to ~14 min: the app reads it when a job starts)";

/// Computes a lever's plan, or says why there is nothing to do.
pub fn plan(req: &LeverRequest, state: LeverState<'_>) -> Result<Plan, PlanError> {
    plan_from_parts(req, state.into())
}

/// Computes a lever's plan from the parts that could be read; a lever whose
/// part is missing fails with [`PlanError::NotRead`], the others plan as usual.
pub fn plan_from_parts(req: &LeverRequest, state: Parts<'_>) -> Result<Plan, PlanError> {
    match (req.kind, req.on) {
        (LeverKind::CanaryEnable, true) => canary_enable(req, state),
        (LeverKind::CanaryEnable, false) | (LeverKind::WorkspaceRollback, true) => {
            toggle_plan(req, state, false)
        }
        (LeverKind::WorkspaceRollback, false) => toggle_plan(req, state, true),
        (LeverKind::RevisionKillSwitch, on) => {
            env_plan(req, state, AUTO_SEND_REVISION_DISABLED, on)
        }
        (LeverKind::AutoSendKillSwitch, on) => env_plan(req, state, AUTO_SEND_DISABLED, on),
        (LeverKind::Expansion, on) => expansion_plan(
            &req.workspace.iter().cloned().collect::<Vec<_>>(),
            on,
            state,
        ),
    }
}

fn workspace<'a>(
    req: &LeverRequest,
    workspaces: &'a [Workspace],
) -> Result<&'a Workspace, PlanError> {
    let wanted = req.workspace.as_deref().ok_or_else(|| {
        PlanError::Invalid("this lever needs a workspace (--workspace ID or exact name)".to_owned())
    })?;
    crate::core::workspace::find(workspaces, wanted).map_err(PlanError::Invalid)
}

/// The `updatedAt` of a configured env record, if it is set.
fn updated_at(env: &EnvSnapshot, key: &str) -> Option<crate::core::time::UtcNaive> {
    env.configured.get(key).map(|v| v.updated_at)
}

fn schema_precondition(schema: &SchemaReport) -> Precondition {
    let ok = schema.revision_readable();
    Precondition {
        name: "schema".to_owned(),
        ok,
        detail: if ok {
            format!("{} with the revision columns", schema.variant.label())
        } else {
            format!("revision columns missing: {}", schema.summary())
        },
        overridable: false,
    }
}

/// "One canary": no other workspace has revision on (overridable).
fn one_canary(workspaces: &[Workspace], w: &Workspace) -> Precondition {
    let others: Vec<&str> = workspaces
        .iter()
        .filter(|o| o.id != w.id && o.toggle.is_on())
        .map(|o| o.name.as_str())
        .collect();
    Precondition {
        name: "one canary".to_owned(),
        ok: others.is_empty(),
        detail: if others.is_empty() {
            "no other workspace has the toggle on".to_owned()
        } else {
            format!("already on: {}", others.join(", "))
        },
        overridable: true,
    }
}

/// "Readiness": no failing item of the checklist (overridable; not run =
/// not known to pass).
fn readiness_precondition(readiness: Option<&[Item]>) -> Precondition {
    match readiness {
        None => Precondition {
            name: "readiness".to_owned(),
            ok: false,
            detail: "the readiness checklist has not run".to_owned(),
            overridable: true,
        },
        Some(items) => {
            let failures: Vec<&str> = items
                .iter()
                .filter(|i| i.status == CheckStatus::Fail)
                .map(|i| i.id.as_str())
                .collect();
            Precondition {
                name: "readiness".to_owned(),
                ok: failures.is_empty(),
                detail: if failures.is_empty() {
                    "no failing item".to_owned()
                } else {
                    format!("failing: {}", failures.join(", "))
                },
                overridable: true,
            }
        }
    }
}

mod toggles;
use toggles::{canary_enable, toggle_plan};
mod complement;
mod env_plan;
mod expansion;
mod finish;
pub use complement::{complement_from_parts, complement_plan};
use env_plan::{INSTANT_ROLLBACK, env_plan};
pub use expansion::{
    EXPAND_WORD, MIN_WATCH, WATCH_PRECONDITIONS, Watch, candidates, expansion_plan, stage_line,
};
pub use finish::{Finish, finish};
mod outcome;
pub use outcome::{AUDIT_GAP, RunReport, StepOutcome, StepReport, failed_step};

#[cfg(test)]
mod tests;
