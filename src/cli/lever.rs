//! `lever`: prints the plan, asks for the guard word, runs it audited.

use super::args::{LeverArgs, OnOff};
use super::print;
use crate::adapters::audit::{AuditEntry, EntryStatus, short_id};
use crate::core::lever::{
    Finish, Guard, LeverKind, LeverRequest, Parts, Plan, PlanSource, StepReport, Watch, finish,
    plan_source,
};
use crate::ops::levers::{RunContext, Targets, Waits, check_again, close_finished, run_plan_with};
use crate::platform::paths::Paths;
use anyhow::bail;
use std::process::ExitCode;

/// Asks for the guard word on the terminal, or checks --yes/--confirm.
fn confirmed(plan: &Plan, args: &LeverArgs) -> anyhow::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    let word = match &plan.guard {
        Guard::Confirm => None,
        Guard::Type(w) => Some(w.as_str()),
    };
    if args.yes {
        return match (word, args.confirm.as_deref()) {
            (None, _) => Ok(true),
            (Some(w), Some(c)) if c.trim() == w => Ok(true),
            (Some(w), _) => {
                bail!("this lever's guard is typing {w:?}: pass --confirm {w:?} with --yes")
            }
        };
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "not a terminal: pass --yes{}",
            word.map_or(String::new(), |w| format!(" --confirm {w:?}"))
        );
    }
    match word {
        Some(w) => eprint!("type {w:?} to go on (anything else cancels): "),
        None => eprint!("go on? type yes (anything else cancels): "),
    }
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(match word {
        Some(_) => plan.guard_satisfied(&line),
        None => line.trim() == "yes",
    })
}

/// The interrupted action `wanted` (id or prefix) of this lever, with its
/// recorded plan.
fn interrupted_action(
    interrupted: &[AuditEntry],
    wanted: &str,
    request: &LeverRequest,
) -> anyhow::Result<(AuditEntry, Plan)> {
    let wanted = wanted.trim();
    let found: Vec<&AuditEntry> = interrupted
        .iter()
        .filter(|e| !wanted.is_empty() && e.action_id.starts_with(wanted))
        .collect();
    let old = match found.as_slice() {
        [one] => (*one).clone(),
        [] => bail!(
            "no interrupted action {wanted:?} in this profile (`audit` lists the actions); nothing was changed"
        ),
        _ => bail!(
            "{wanted:?} names several interrupted actions: give more of the id; nothing was changed"
        ),
    };
    let recorded: Plan = old
        .detail
        .get("plan")
        .and_then(|p| serde_json::from_value(p.clone()).ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "interrupted action {} has no readable plan; nothing was changed",
                short_id(&old.action_id)
            )
        })?;
    if recorded.lever != request.kind || recorded.on != request.on {
        bail!(
            "interrupted action {} was {:?}, not this lever: finish it with the same lever, state and workspace; nothing was changed",
            short_id(&old.action_id),
            recorded.title
        );
    }
    Ok((old, recorded))
}

/// Says on stderr which actions of the profile were interrupted, and how to
/// finish them.
fn warn_interrupted(interrupted: &[AuditEntry], profile: &str) {
    for e in interrupted {
        let how = e
            .detail
            .get("plan")
            .and_then(|p| serde_json::from_value::<Plan>(p.clone()).ok())
            .map(|p| print::finish_command(&p, profile, &e.action_id))
            .unwrap_or_default();
        esay!(
            "warning: action {} ({:?}, started {} UTC by {}) was interrupted and is still open{how}",
            short_id(&e.action_id),
            e.summary,
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.operator
        );
    }
}

/// The canary's watch so far, for an expansion's preconditions: the
/// verdict, how long the canary has run, and the alarms of the last 24 h
/// (the demo's simulated app is run up to now first).
async fn watch_now(
    session: &mut crate::ops::session::Session,
    store: &dyn crate::adapters::store::Store,
    audit: &crate::adapters::audit::AuditLog,
    profile: &str,
    now: crate::core::time::UtcNaive,
) -> anyhow::Result<Watch> {
    session
        .advance(now, std::time::Duration::from_secs(300))
        .await
        .map_err(anyhow::Error::msg)?;
    let entries = audit.list(profile, 1000).await?;
    let env = match session.env().await {
        Ok(source) => source.read(now).await.ok(),
        Err(_) => None,
    };
    let report = crate::ops::metrics::gather(
        store,
        &crate::ops::metrics::Request {
            profile,
            now,
            window: chrono::Duration::hours(24),
            workspace: None,
            settings: crate::core::verdict::VerdictSettings::default(),
            audit: &entries,
            env: env.as_ref(),
            grace: session.grace(),
            vercel_logs: None,
            logs: None,
        },
    )
    .await?;
    let canary = &report.verdict.canary;
    Ok(Watch::new(
        (!canary.workspace_ids.is_empty()).then_some(report.verdict.verdict.state),
        canary
            .started
            .as_deref()
            .and_then(crate::core::time::parse_naive),
        now,
        &report.alarms,
    ))
}

pub(super) fn run_lever(paths: &Paths, args: &LeverArgs) -> anyhow::Result<ExitCode> {
    let request = LeverRequest {
        kind: args.lever.into(),
        on: args.state == OnOff::On,
        workspace: args.workspace.clone(),
    };
    if args.reason.trim().is_empty() {
        bail!("--reason must say why (it goes to the audit log)");
    }
    let source = if request.kind == LeverKind::Expansion {
        let mut workspaces = args.workspaces.clone();
        workspaces.extend(args.workspace.clone());
        workspaces.retain(|w| !w.trim().is_empty());
        PlanSource::Expansion {
            on: request.on,
            workspaces,
        }
    } else {
        if !args.workspaces.is_empty() {
            bail!("--workspaces is for the expansion lever; this lever takes --workspace");
        }
        PlanSource::Lever(request.clone())
    };
    // The window's lever locks: levers on one part never interleave here.
    let needs = request.needs();
    let _locks = crate::platform::instance::lever_locks(
        &paths.data_dir,
        &args.profile,
        needs.database,
        needs.env,
    )
    .map_err(anyhow::Error::msg)?;
    let mut session = super::session(paths, &args.profile)?;
    super::runtime()?.block_on(async {
        // On the demo, the world's time (a drill may run its clock faster).
        let now = session.now().await?;
        let clock = session.clock();
        // Only what this lever changes is connected: a kill switch does not
        // wait for the database, a workspace lever not for Vercel.
        let store = match needs.database {
            true => Some(session.store().await?),
            false => None,
        };
        let env = match needs.env {
            true => Some(session.env().await?),
            false => None,
        };
        // Enabling the canary is judged against the checklist (it reads both).
        // So is a restore, which turns revision on again (issue 28); it
        // does not need the env, so an unreadable one is only its readiness.
        let restore = request.kind == LeverKind::WorkspaceRollback && !request.on;
        let report = match (request.kind == LeverKind::CanaryEnable && request.on) || restore {
            true => Some(crate::ops::readiness::check(&mut session, now, None).await),
            false => None,
        };
        let env_now = match (&report, &env) {
            (Some(r), _) if restore => r.env.clone().ok(),
            (Some(r), _) => Some(r.env.clone().map_err(|e| anyhow::anyhow!("cannot read the env: {e}"))?),
            (None, Some(env)) => Some(env.read(now).await.map_err(|e| anyhow::anyhow!("cannot read the env: {e}"))?),
            (None, None) => None,
        };
        let workspaces = match &store {
            Some(store) => Some(store.workspaces().await?),
            None => None,
        };
        // This machine's log (and the shared table when the database is connected).
        let audit = session.audit().await?;
        let watch = match (&source, &store) {
            (PlanSource::Expansion { on: true, .. }, Some(store)) => {
                Some(watch_now(&mut session, store.as_ref(), &audit, &args.profile, now).await?)
            }
            _ => None,
        };
        let parts = Parts {
            workspaces: workspaces.as_deref(),
            schema: store.as_ref().map(|s| s.schema()),
            env: env_now.as_ref(),
            readiness: report.as_ref().map(|r| r.items.as_slice()),
            watch: watch.as_ref(),
        };
        let interrupted = audit.unfinished(&args.profile).await?;
        let finishing = match &args.finish {
            Some(wanted) => Some(interrupted_action(&interrupted, wanted, &request)?),
            None => {
                warn_interrupted(&interrupted, &args.profile);
                None
            }
        };
        let plan = match &finishing {
            None => {
                let mut plan = plan_source(&source, parts)?;
                if plan.lever == LeverKind::CanaryEnable && plan.on {
                    // The guard's last rollback, until a canary enable follows it.
                    let rows = audit.list(&args.profile, 200).await?;
                    let last = crate::adapters::audit::guard::last_guard_rollback(&rows);
                    plan.preconditions.extend(crate::core::guard::finding_precondition(last.as_ref()));
                }
                plan
            }
            Some((old, recorded)) => match finish(Some(recorded), &recorded.source(), parts) {
                Finish::Plan(plan) => {
                    say!("finishing interrupted action {}: what is left to do", short_id(&old.action_id));
                    *plan
                }
                Finish::Done(why) => {
                    let note = format!("found done on finishing: {why}");
                    audit
                        .close_unfinished(&old.action_id, clock.now(), EntryStatus::Ok, &note, &serde_json::json!({"finished_from": "cli"}))
                        .await?;
                    say!("nothing left to do ({why}); interrupted action {} closed as done", short_id(&old.action_id));
                    return Ok(ExitCode::SUCCESS);
                }
                Finish::KeepOpen(why) => {
                    esay!("cannot finish it now: {why}; interrupted action {} stays open", short_id(&old.action_id));
                    return Ok(ExitCode::from(1));
                }
            },
        };
        print::plan(&plan);
        if plan.blocked() {
            esay!("refused: a precondition fails that cannot be overridden; nothing was changed");
            return Ok(ExitCode::from(1));
        }
        if plan.needs_override() && !args.override_preconditions {
            esay!("refused: a precondition fails; pass --override to go on anyway; nothing was changed");
            return Ok(ExitCode::from(1));
        }
        if !confirmed(&plan, args)? {
            esay!("cancelled; nothing was changed");
            return Ok(ExitCode::from(1));
        }
        if args.request_approval {
            if !(session.approvals() && crate::core::approval::needs_approval(&plan)) {
                esay!("refused: --request-approval: this lever needs no approval here (a profile's approvals = true makes the canary and expansions wait for one); nothing was asked");
                return Ok(ExitCode::from(1));
            }
            let id = audit
                .request_approval(clock.now(), &args.profile, &plan, &args.reason)
                .await?;
            say!(
                "approval asked (request {}): a second operator approves it in their panel's Levers tab; then run this command again without --request-approval (an approval counts {} min)",
                short_id(&id),
                crate::core::approval::APPROVAL_TTL.num_minutes()
            );
            return Ok(ExitCode::SUCCESS);
        }
        if args.guard {
            if !(plan.lever == LeverKind::CanaryEnable && plan.on) {
                esay!("refused: --guard arms the canary's guard with canary-enable (on); use rollout-panel guard arm for a running canary; nothing was changed");
                return Ok(ExitCode::from(1));
            }
            let id = audit
                .set_guard(clock.now(), &args.profile, true, false, &format!("with the canary: {}", args.reason))
                .await?;
            say!(
                "guard armed (action {}): a panel open on this profile rolls the canary back itself when a rule holds (rollout-panel guard status)",
                short_id(&id)
            );
        }
        // The answer at the terminal may have taken a while: check again.
        let targets = Targets {
            store: store.as_deref(),
            env: env.as_deref(),
        };
        if let Err(moved) = check_again(&plan, targets, clock.now()).await {
            esay!("refused: {moved}");
            return Ok(ExitCode::from(1));
        }
        let ctx = RunContext {
            audit: &audit,
            profile: &args.profile,
            reason: &args.reason,
            clock: clock.as_ref(),
            waits: Waits::default(),
            action_id: None,
            approvals: session.approvals(),
        };
        let progress = |s: &StepReport| print::step(s);
        let r = run_plan_with(&plan, targets, &ctx, &progress).await?;
        if let Some((old, _)) = &finishing {
            match close_finished(&audit, &old.action_id, &r, clock.now()).await {
                Ok(()) => say!(
                    "interrupted action {} closed: {}",
                    short_id(&old.action_id),
                    if r.ok { "finished" } else { "FAILED" }
                ),
                Err(e) => esay!(
                    "warning: interrupted action {} could not be closed ({e}); it stays open",
                    short_id(&old.action_id)
                ),
            }
        }
        say!(
            "{} (audit action {})",
            if r.ok { "verified" } else { "FAILED: see the steps above" },
            r.action_id
        );
        for gap in &r.audit_failures {
            esay!("warning: {gap}");
        }
        if let Some(problem) = audit.shared_problem() {
            esay!("warning: the shared audit table could not be written ({problem}); this machine's log has every row");
        }
        Ok(if r.ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}
