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
