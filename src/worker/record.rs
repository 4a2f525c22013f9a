//! The Audit tab's "Write the rollout record…": the record written on a
//! task of its own, with its own session, bounded, answered as one event.

use crate::worker::WorkerConfig;
use crate::worker::handle::Emit;
use crate::worker::protocol::{Event, RecordAsk, RecordDone};
use std::time::Duration;

/// How long a record may take at most (a 2 M-draft database and 48 hours
/// take seconds; see `benches/record.rs`).
pub(crate) const RECORD_TIMEOUT: Duration = Duration::from_secs(300);

/// Writes the record `ask` asks for and emits [`Event::RecordWritten`].
/// The demo world is not moved on here: the window's refreshes do that.
pub(crate) async fn write(config: WorkerConfig, ask: RecordAsk, emit: Emit) {
    let mut session = config.session();
    let now = config.clock.now();
    let writer = crate::adapters::audit::operator();
    let work = async {
        let store = session.store().await.map_err(|e| e.to_string())?;
        crate::ops::record::write_from(
            &mut session,
            store,
            &crate::ops::record::Ask {
                period: &ask.period,
                at: now,
                clock_now: now,
                out: &ask.dir,
                written_by: &writer,
            },
        )
        .await
        .map_err(|e| e.to_string())
    };
    let result = match tokio::time::timeout(RECORD_TIMEOUT, work).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "the record took longer than {} s and was stopped; nothing half-written is left under its names",
            RECORD_TIMEOUT.as_secs()
        )),
    };
    session.close().await;
    if let Err(e) = &result {
        tracing::warn!("the rollout record was not written: {e}");
    }
    emit(Event::RecordWritten(result.map(|written| RecordDone {
        dir: ask.dir,
        written,
        fallback: ask.fallback,
    })));
}
