//! The demo's rolling releases (the `rolling-release` fault), as Vercel
//! plays them (contract/vercel.md §"Rolling releases"): with the fault on, a
//! production build that turns READY becomes the canary of a release at
//! [`CANARY_SHARE`] % of traffic; the deployment that served before keeps the
//! rest until the release is completed (the canary then serves everything)
//! or aborted (traffic goes back to the current one).

use super::{DemoError, DemoWorld, PINNED, advance_deployments, meta_get, meta_set};
use crate::core::env::{Deployment, flag_is_on};
use crate::core::time::UtcNaive;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

/// The canary's share of traffic in a demo rolling release, in percent.
pub const CANARY_SHARE: u8 = 10;

/// The meta key of the active release.
const ROLLING: &str = "rolling_release";

/// An active release: both deployments serve production.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Release {
    /// The deployment that served before.
    pub current: String,
    /// The new one, at `share` % of traffic.
    pub canary: String,
    /// The canary's share, in percent.
    pub share: u8,
}

/// The active release, if any.
pub(crate) async fn active(conn: &mut SqliteConnection) -> Result<Option<Release>, DemoError> {
    Ok(meta_get::<Option<Release>>(conn, ROLLING).await?.flatten())
}

async fn set(conn: &mut SqliteConnection, release: Option<&Release>) -> Result<(), DemoError> {
    meta_set(conn, ROLLING, &release).await
}

/// A build turned READY with the fault on: it becomes the canary of the
/// release (a new one from `serving`, or the active one's, replacing its
/// canary). Nothing served before: it simply serves.
pub(crate) async fn started(
    conn: &mut SqliteConnection,
    serving: Option<String>,
    id: &str,
) -> Result<(), DemoError> {
    let current = match active(conn).await? {
        Some(r) => r.current,
        None => match serving {
            Some(s) if s != id => s,
            _ => return Ok(()),
        },
    };
    set(
        conn,
        Some(&Release {
            current,
            canary: id.to_owned(),
            share: CANARY_SHARE,
        }),
    )
    .await
}

/// Whether `key` is on in a deployment's own env (a demo build always
/// carries its env; one without is treated as disabled, as no app runs).
pub(crate) fn deployment_flag(d: &Deployment, key: &str) -> bool {
    d.env
        .as_ref()
        .is_none_or(|env| flag_is_on(env.get(key).and_then(|v| v.as_deref())))
}

impl DemoWorld {
    /// Completes the active release whose canary is `canary`: it serves all
    /// of production (`POST …/rolling-release/complete` on Vercel).
    pub async fn complete_rolling(&self, canary: &str, now: UtcNaive) -> Result<(), DemoError> {
        let mut conn = self.pool.acquire().await?;
        advance_deployments(&mut conn, now).await?;
        match active(&mut conn).await? {
            Some(r) if r.canary == canary => {
                set(&mut conn, None).await?;
                drop(conn);
                // The canary is READY: it now serves everything (a pin to it
                // when a newer build exists, as a promote does).
                self.promote(canary, now).await
            }
            Some(r) => Err(DemoError::Invalid(format!(
                "the active rolling release's canary is {}, not {canary}",
                r.canary
            ))),
            None => Err(DemoError::Invalid(
                "no rolling release is active in the demo".to_owned(),
            )),
        }
    }

    /// Aborts the active release, if any: traffic goes back to the current
    /// deployment (pinned to it, since the canary is newer).
    pub async fn abort_rolling(&self) -> Result<Option<String>, DemoError> {
        let mut conn = self.pool.acquire().await?;
        let Some(r) = active(&mut conn).await? else {
            return Ok(None);
        };
        set(&mut conn, None).await?;
        meta_set(&mut conn, PINNED, &Some(r.current.clone())).await?;
        Ok(Some(r.current))
    }
}
