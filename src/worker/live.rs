//! The worker's live feed of the shared audit table: a task that listens
//! (`LiveFeed`) and wakes the worker when another panel writes a row, so the
//! window shows it without waiting for its next poll. A lost connection is
//! retried every few seconds; the feed catches up from the table itself.

use crate::adapters::audit::SharedAudit;
use crate::adapters::audit::live::LiveFeed;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedSender;

/// How long one wait for a notice lasts (then the loop checks the worker is
/// still there).
const WAIT: Duration = Duration::from_secs(30);

/// Between two attempts to listen again.
const RETRY: Duration = Duration::from_secs(5);

/// Runs until the worker is gone: each batch of new rows sends one wake-up.
pub(crate) async fn run(shared: SharedAudit, wake: UnboundedSender<()>) {
    loop {
        match LiveFeed::start(&shared).await {
            Ok(mut feed) => loop {
                match feed.next(WAIT).await {
                    Ok(rows) if !rows.is_empty() => {
                        if wake.send(()).is_err() {
                            return;
                        }
                    }
                    Ok(_) if wake.is_closed() => return,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!("the live audit feed stopped ({e}); listening again");
                        break;
                    }
                }
            },
            Err(e) => tracing::debug!("the live audit feed cannot listen: {e}"),
        }
        if wake.is_closed() {
            return;
        }
        tokio::time::sleep(RETRY).await;
    }
}
