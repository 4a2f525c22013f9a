//! `audit`: the log of a profile, newest first; `audit init` creates the
//! shared table.

use super::args::{AuditArgs, AuditCmd};
use super::print;
use crate::core::secret::SecretKey;
use crate::platform::paths::Paths;
use anyhow::bail;
use std::process::ExitCode;

/// A configured profile's database URL from the keyring.
fn database_url(paths: &Paths, profile: &str) -> anyhow::Result<crate::core::secret::Secret> {
    let m = super::manager(paths);
    m.get(profile)?;
    m.keyring
        .require(profile, SecretKey::DatabaseUrl)
        .map_err(anyhow::Error::msg)
}

fn run_audit_init(paths: &Paths, profile: &str) -> anyhow::Result<ExitCode> {
    use crate::adapters::audit::{SHARED_SCHEMA, SharedAudit, SharedInit};
    let url = database_url(paths, profile)?;
    let label = crate::core::dburl::DbTarget::parse(url.expose())
        .map(|t| t.label())
        .unwrap_or_else(|_| "the profile's database".to_owned());
    super::runtime()?.block_on(async {
        let store = crate::adapters::store::PgStore::connect(url.expose()).await?;
        let done = SharedAudit::init(store.pool()).await?;
        match done {
            SharedInit::Created => say!(
                "created the shared audit table {SHARED_SCHEMA}.audit_entry in {label} (sqlx migration; its bookkeeping is {SHARED_SCHEMA}._sqlx_migrations; the app's tables were not touched)"
            ),
            SharedInit::Upgraded => say!(
                "the shared audit table {SHARED_SCHEMA}.audit_entry in {label} now has signed, chained entries (columns seq, prev_hash, signer, signature, recorded_at); its older rows are unsigned and never count"
            ),
            SharedInit::AlreadyThere => say!(
                "the shared audit table {SHARED_SCHEMA}.audit_entry already exists in {label}; nothing changed"
            ),
        }
        store.pool().close().await;
        Ok(ExitCode::SUCCESS)
    })
}

pub(super) fn run_audit(paths: &Paths, args: &AuditArgs) -> anyhow::Result<ExitCode> {
    let profile = match (&args.action, &args.profile) {
        (Some(AuditCmd::Init { profile }), _) => return run_audit_init(paths, profile),
        (Some(AuditCmd::Verify { profile, json }), _) => {
            return run_audit_verify(paths, profile, *json);
        }
        (
            Some(AuditCmd::Policy {
                profile,
                approvals,
                seconds,
                reason,
            }),
            _,
        ) => {
            let on = *approvals == super::args::OnOff::On;
            return run_audit_policy(paths, profile, on, seconds.as_deref(), reason);
        }
        (None, Some(p)) => p.clone(),
        (None, None) => bail!("audit needs --profile NAME"),
    };
    let mut session = super::session(paths, &profile)?;
    super::runtime()?.block_on(async {
        if let Err(e) = session.find_shared_audit().await {
            esay!("warning: the shared audit table cannot be read ({e}); using this machine's log only");
        }
        let audit = session.audit().await?;
        let rows = audit.list(&profile, args.limit).await?;
        if let Some(problem) = audit.shared_problem() {
            esay!("warning: the shared audit table failed ({problem}); using this machine's log only");
        }
        session.close().await;
        if args.json {
            print::json(&rows)?;
        } else if rows.is_empty() {
            say!("no actions recorded for profile {profile}");
        } else {
            print::audit_rows(&rows);
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// `operator key`: this operator's public key, as a team-file line.
pub(super) fn run_operator(cmd: &super::args::OperatorCmd) -> anyhow::Result<ExitCode> {
    let super::args::OperatorCmd::Key { name } = cmd;
    let keyring = crate::adapters::secrets::Keyring::native();
    let (key, created) = keyring.operator_key().map_err(anyhow::Error::msg)?;
    let name = name
        .clone()
        .unwrap_or_else(crate::adapters::audit::operator);
    if name.split_whitespace().count() != 1 {
        bail!("--name must be one word (e.g. alice@zrg)");
    }
    if created {
        esay!("made a new operator key in the OS keyring");
    }
    say!("{name} {}", key.public());
    esay!(
        "add this line to the team file (or the profile's operators) so other panels trust your shared audit entries"
    );
    Ok(ExitCode::SUCCESS)
}

/// `audit verify`: every row of the shared table judged; exit 1 when any
/// does not verify.
fn run_audit_verify(paths: &Paths, profile: &str, json: bool) -> anyhow::Result<ExitCode> {
    let mut session = super::session(paths, profile)?;
    if let Some(problem) = session.roster_problem() {
        esay!("warning: the team's roster cannot be used ({problem}); no row can verify");
    }
    super::runtime()?.block_on(async {
        session.find_shared_audit().await?;
        let audit = session.audit().await?;
        let Some(shared) = audit.shared() else {
            esay!("the profile's database has no shared audit table (rollout-panel audit init --profile {profile})");
            return Ok(ExitCode::from(2));
        };
        let rows = shared.verify_all().await?;
        session.close().await;
        let failed: Vec<_> = rows.iter().filter(|e| !e.counts()).collect();
        if json {
            print::json(&serde_json::json!({
                "rows": rows.len(),
                "verified": rows.len() - failed.len(),
                "failed": failed.iter().map(|e| serde_json::json!({
                    "id": e.id,
                    "entry_id": e.entry_id,
                    "action_id": e.action_id,
                    "operator": e.operator,
                    "lever": e.lever,
                    "why": e.trust.label(),
                })).collect::<Vec<_>>(),
            }))?;
        } else {
            for e in &failed {
                say!(
                    "row {} (entry {}, {} by {:?}, {} UTC): {}",
                    e.id,
                    crate::adapters::audit::short_id(&e.entry_id),
                    e.lever,
                    e.operator,
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    e.trust.label()
                );
            }
            say!(
                "{} of {} rows verify{}",
                rows.len() - failed.len(),
                rows.len(),
                if failed.is_empty() { "" } else { "; the others never count (not as approvals, running levers, alarm times, the canary's start or a Restore)" }
            );
        }
        Ok(if failed.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
    })
}

/// `audit policy`: the team's approvals policy, as a signed shared entry.
fn run_audit_policy(
    paths: &Paths,
    profile: &str,
    on: bool,
    seconds: Option<&str>,
    reason: &str,
) -> anyhow::Result<ExitCode> {
    use crate::adapters::clock::{Clock, SystemClock};
    if reason.trim().is_empty() {
        bail!("--reason must say why (it goes to the audit log)");
    }
    if on && seconds.is_some() {
        bail!(
            "--seconds co-signs a proposal to turn approvals off; turning them on needs no second operator"
        );
    }
    let mut session = super::session(paths, profile)?;
    super::runtime()?.block_on(async {
        session.find_shared_audit().await?;
        let audit = session.audit().await?;
        let id = audit
            .set_policy(SystemClock.now(), profile, on, seconds, reason)
            .await?;
        let now_required = audit.approvals_required(session.approvals()).await;
        session.close().await;
        match (on, seconds) {
            (true, _) => say!("the team's approvals are ON (action {})", crate::adapters::audit::short_id(&id)),
            (false, None) => say!(
                "proposed turning the team's approvals OFF (action {id}); it takes a second operator: rollout-panel audit policy --profile {profile} --approvals off --seconds {id} --reason …"
            ),
            (false, Some(_)) => say!("co-signed: the team's approvals are OFF (action {})", crate::adapters::audit::short_id(&id)),
        }
        say!("approvals required now: {}", if now_required { "yes" } else { "no" });
        Ok(ExitCode::SUCCESS)
    })
}

/// `guard arm|disarm|status`: the canary's guard, an audited action.
pub(super) fn run_guard(paths: &Paths, args: &super::args::GuardArgs) -> anyhow::Result<ExitCode> {
    use super::args::GuardAction;
    use crate::adapters::clock::{Clock, SystemClock};
    use crate::core::guard::Rule;
    let target =
        crate::ops::session::Target::resolve(paths, &super::manager(paths), &args.profile)?;
    let settings = target.guard_settings();
    let dry_run = args.dry_run || (target.guard_dry_run() && !args.no_dry_run);
    let reason = args.reason.as_deref().unwrap_or("").trim().to_owned();
    if args.action != GuardAction::Status && reason.is_empty() {
        bail!("--reason must say why (it goes to the audit log)");
    }
    if args.dry_run && args.action != GuardAction::Arm {
        bail!("--dry-run goes with guard arm");
    }
    let mut session = super::session(paths, &args.profile)?;
    super::runtime()?.block_on(async {
        if let Err(e) = session.find_shared_audit().await {
            esay!("warning: the shared audit table cannot be read ({e}); using this machine's log only");
        }
        let audit = session.audit().await?;
        let now = SystemClock.now();
        if args.action != GuardAction::Status {
            let armed = args.action == GuardAction::Arm;
            let id = audit
                .set_guard(now, &args.profile, armed, dry_run, &reason)
                .await?;
            say!(
                "guard {} (action {})",
                match (armed, dry_run) {
                    (true, false) => "armed: a panel open on this profile rolls the canary back itself when a rule holds",
                    (true, true) => "armed as a dry run: it records what it would roll back and writes nothing",
                    (false, _) => "disarmed",
                },
                crate::adapters::audit::short_id(&id)
            );
        }
        let rows = audit.list(&args.profile, 200).await?;
        let arming = crate::core::guard::arming(&crate::adapters::audit::guard::guard_events(&rows));
        // Who guards: the lock's holder and its heartbeat (shared table only).
        let watch = match audit.shared() {
            Some(shared) => match tokio::time::timeout(super::CONNECT_TIMEOUT, shared.guard_watch()).await {
                Ok(Ok(w)) => Some(w),
                Ok(Err(e)) => {
                    esay!("warning: who guards cannot be read: {e}");
                    None
                }
                Err(_) => {
                    esay!("warning: who guards: no answer within {} s", super::CONNECT_TIMEOUT.as_secs());
                    None
                }
            },
            None => None,
        };
        session.close().await;
        let holder = watch.as_ref().and_then(|w| {
            w.beats.iter().find(|b| b.backend_pid.is_some() && b.backend_pid == w.holder_pid)
        });
        let down = watch.as_ref().and_then(|w| {
            crate::core::guard::down(arming.as_ref(), w.holder_pid, &w.beats, &settings)
        });
        if args.json {
            print::json(&serde_json::json!({
                "armed": arming.is_some(),
                "by": arming.as_ref().map(|a| &a.by),
                "since": arming.as_ref().map(|a| a.since.and_utc().to_rfc3339()),
                "dry_run": arming.as_ref().is_some_and(|a| a.dry_run),
                "action_id": arming.as_ref().map(|a| &a.action_id),
                "rules": Rule::ALL.iter().map(|r| serde_json::json!({"id": r.id(), "rule": r.describe(&settings)})).collect::<Vec<_>>(),
                "guarded_by": holder.map(|b| serde_json::json!({"host": b.host, "operator": b.operator, "beat_age_secs": b.age.num_seconds()})),
                "lock_held": watch.as_ref().map(|w| w.holder_pid.is_some()),
                "down_since": down.as_ref().map(|d| d.since.and_utc().to_rfc3339()),
            }))?;
        } else if args.action == GuardAction::Status {
            match &arming {
                Some(a) => say!(
                    "guard{} armed by {} since {} UTC (action {})",
                    if a.dry_run { " (dry run)" } else { "" },
                    a.by,
                    a.since.format("%Y-%m-%d %H:%M:%S"),
                    crate::adapters::audit::short_id(&a.action_id)
                ),
                None => say!("guard not armed"),
            }
            match (&down, holder, &watch) {
                (Some(d), _, _) => say!(
                    "GUARD DOWN since {} UTC: the panel holding the lock{} stopped its heartbeat",
                    d.since.format("%H:%M:%S"),
                    d.host.as_deref().map(|h| format!(" (on {h})")).unwrap_or_default()
                ),
                (None, Some(b), _) => say!("guarded on {} by {} (heartbeat {} s ago)", b.host, b.operator, b.age.num_seconds()),
                (None, None, Some(w)) if w.holder_pid.is_none() => say!("no panel holds the guard's lock (none is running with it armed)"),
                _ => {}
            }
            for r in Rule::ALL {
                say!("  rule {}: {}", r.id(), r.describe(&settings));
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
