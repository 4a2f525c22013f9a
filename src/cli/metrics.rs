//! `metrics` and `export`: the revision numbers, the verdict and the
//! alarms; a reproducible sample of revised drafts as CSV.

use super::args::{ExportArgs, MetricsArgs};
use super::print;
use crate::adapters::audit::{EntryStatus, Intent};
use crate::adapters::clock::SystemClock;
use crate::core::time::UtcNaive;
use crate::ops::session::Session;
use crate::platform::paths::Paths;
use anyhow::bail;
use std::process::ExitCode;
use std::time::Duration;

/// The store of a session, with the demo's simulated app run up to now.
pub(super) async fn store_now(
    session: &mut Session,
    now: UtcNaive,
) -> anyhow::Result<std::sync::Arc<dyn crate::adapters::store::Store>> {
    let store = session.store().await?;
    session
        .advance(now, Duration::from_secs(300))
        .await
        .map_err(anyhow::Error::msg)?;
    Ok(store)
}

pub(super) fn run_metrics(paths: &Paths, args: &MetricsArgs) -> anyhow::Result<ExitCode> {
    use crate::core::verdict::VerdictSettings;
    let window = crate::core::time::parse_window(&args.window).map_err(anyhow::Error::msg)?;
    if !((0.0..100.0).contains(&args.tolerance) && 0.0 < args.alpha && args.alpha < 1.0) {
        bail!("--tolerance is in percentage points (0-100) and --alpha between 0 and 1");
    }
    let settings = VerdictSettings {
        tolerance: args.tolerance / 100.0,
        alpha: args.alpha,
        ..VerdictSettings::default()
    };
    let mut session = super::session(paths, &args.profile)?;
    super::runtime()?.block_on(async {
        let now = session.now().await?;
        let audit = session.local_audit().await?;
        let store = store_now(&mut session, now).await?;
        let env = match session.env().await {
            Ok(source) => source.read(now).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let env = env
            .inspect_err(|e| esay!("warning: the Vercel env cannot be read ({e}); the kill-switch alarms are not evaluated"))
            .ok();
        let entries = audit.list(&args.profile, 1000).await?;
        let logs = read_logs(&mut session, env.as_ref(), now, args.logs_secs).await;
        let report = crate::ops::metrics::gather(
            store.as_ref(),
            &crate::ops::metrics::Request {
                profile: &args.profile,
                now,
                window,
                workspace: args.workspace.as_deref(),
                settings,
                audit: &entries,
                env: env.as_ref(),
                grace: session.grace(),
                vercel_logs: session.vercel_logs(),
                logs: logs.as_ref().map(|(source, book)| (*source, book)),
            },
        )
        .await?;
        if args.json {
            print::json(&report)?;
        } else {
            print::metrics(&report, &args.window);
        }
        Ok(ExitCode::SUCCESS)
    })
}

/// The runtime logs for the report: the demo's table at once, or what
/// production's streams bring in `secs` seconds (`None`: not read).
async fn read_logs(
    session: &mut Session,
    env: Option<&crate::core::env::EnvSnapshot>,
    now: UtcNaive,
    secs: u64,
) -> Option<(&'static str, crate::core::runtime_log::Book)> {
    use crate::core::runtime_log::{Book, BookLimits, ReaderState};
    if let Ok(Some(world)) = session.demo_world().await {
        return match crate::ops::runtime_logs::demo_book(&world, now, BookLimits::default()).await {
            Ok((mut book, mut after)) => {
                crate::ops::runtime_logs::demo_read(&world, &mut book, &mut after, now).await;
                Some(("demo", book))
            }
            Err(e) => {
                let mut book = Book::new(BookLimits::default());
                book.trouble(
                    "demo",
                    ReaderState::Blind {
                        reason: e.to_string(),
                    },
                );
                Some(("demo", book))
            }
        };
    }
    if secs == 0 {
        return None;
    }
    let blind = |reason: String| {
        let mut book = Book::new(BookLimits::default());
        book.trouble("production", ReaderState::Blind { reason });
        Some(("vercel", book))
    };
    let ids = match env.map(|e| e.serving_ids()) {
        Some(Ok(ids)) if !ids.is_empty() => ids,
        Some(Ok(_)) => return blind("no deployment serves production".to_owned()),
        Some(Err(e)) => return blind(format!("which deployment serves cannot be read: {e}")),
        None => {
            return blind(
                "the Vercel env cannot be read, so which deployment serves is unknown".to_owned(),
            );
        }
    };
    let client = match session.vercel_client().await {
        Ok(Some(c)) => c,
        Ok(None) => return None,
        Err(e) => return blind(e.to_string()),
    };
    let book = std::sync::Arc::new(std::sync::Mutex::new(Book::new(BookLimits::default())));
    let mut reader = crate::adapters::env::vercel::logs::Reader::new(
        client,
        Default::default(),
        std::sync::Arc::clone(&book),
        std::sync::Arc::new(SystemClock),
    );
    reader.serving(&ids);
    tokio::time::sleep(Duration::from_secs(secs.min(300))).await;
    drop(reader);
    let book = std::mem::replace(
        &mut *book.lock().unwrap_or_else(|e| e.into_inner()),
        Book::new(BookLimits::default()),
    );
    Some(("vercel", book))
}

pub(super) fn run_export(paths: &Paths, args: &ExportArgs) -> anyhow::Result<ExitCode> {
    if !(1..=crate::core::export::MAX_SAMPLE).contains(&args.sample) {
        bail!(
            "--sample must be between 1 and {}",
            crate::core::export::MAX_SAMPLE
        );
    }
    let window = args
        .window
        .as_deref()
        .map(crate::core::time::parse_window)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let until = super::rfc3339_flag("--until", args.until.as_deref())?;
    let seed = args.seed.unwrap_or_else(rand::random::<u64>);
    let mut session = super::session(paths, &args.profile)?;
    super::runtime()?.block_on(async {
        let now = session.now().await?;
        if until.is_some_and(|u| u > now) {
            bail!("--until is in the future: drafts after now do not exist yet");
        }
        // The window's end: the drafts revised until then (inclusive), to the
        // millisecond printed below, so `--until` repeats it exactly.
        let end = chrono::SubsecRound::trunc_subsecs(until.unwrap_or(now), 3);
        let audit = session.local_audit().await?;
        let store = store_now(&mut session, now).await?;
        let workspaces = store.workspaces().await?;
        let workspace_id = match &args.workspace {
            None => None,
            Some(w) => Some(
                crate::core::workspace::find(&workspaces, w)
                    .map_err(anyhow::Error::msg)?
                    .id
                    .clone(),
            ),
        };
        let entries = audit.list(&args.profile, 1000).await?;
        let start = match window {
            Some(w) => end - w,
            None => {
                let claims = store
                    .claims_since(now - chrono::Duration::hours(72))
                    .await?;
                crate::ops::metrics::canary_start(&workspaces, &entries, &claims)
                    .map_or(end - chrono::Duration::hours(24), |(t, _)| t)
            }
        };
        let sample = crate::ops::export::draw(
            store.as_ref(),
            crate::ops::export::SampleRequest {
                start,
                end: end + chrono::Duration::milliseconds(1),
                workspace_id,
                n: args.sample,
                seed,
            },
        )
        .await
        .map_err(anyhow::Error::msg)?;
        let to_stdout = args.out.as_os_str() == "-";
        let where_to = if to_stdout {
            "standard output".to_owned()
        } else {
            args.out.display().to_string()
        };
        let action = audit
            .intent(
                now,
                &Intent {
                    profile: &args.profile,
                    lever: "export",
                    reason: "quality review sample",
                    summary: &format!("Export {} (seed {seed}) to {where_to}", sample.describe()),
                    detail: sample.audit_detail(Some(where_to.clone())),
                },
            )
            .await?;
        let format = match args.format {
            Some(super::args::ExportFormat::Csv) => crate::core::export::Format::Csv,
            Some(super::args::ExportFormat::Xlsx) => crate::core::export::Format::Xlsx,
            None => crate::core::export::Format::of_path(&args.out),
        };
        // The review's columns when any sampled draft has a verdict.
        let verdicts = crate::adapters::audit::review::verdicts(&entries);
        let review = crate::core::export::review_of(&sample.rows, &verdicts);
        let review = review.as_ref();
        let written = if to_stdout {
            match format {
                crate::core::export::Format::Csv => crate::core::export::write_csv_reviewed(
                    std::io::stdout().lock(),
                    &sample.rows,
                    review,
                )
                .map_err(|e| e.to_string()),
                crate::core::export::Format::Xlsx => {
                    crate::core::export::xlsx_bytes(&sample.rows, review)
                        .map_err(|e| e.to_string())
                        .and_then(|b| {
                            std::io::Write::write_all(&mut std::io::stdout().lock(), &b)
                                .map_err(|e| e.to_string())
                        })
                }
            }
        } else {
            crate::ops::export::write_atomic_as(&args.out, &sample.rows, format, review)
                .map_err(|e| e.to_string())
        };
        let (status, summary) = match &written {
            Ok(()) => (
                EntryStatus::Ok,
                format!("wrote {} rows to {where_to}", sample.rows.len()),
            ),
            Err(e) => (EntryStatus::Failed, format!("export failed: {e}")),
        };
        audit
            .result(
                &action,
                session.clock().now(),
                status,
                &summary,
                &serde_json::json!({}),
            )
            .await?;
        written.map_err(anyhow::Error::msg)?;
        esay!(
            "exported {} (seed {seed}, revisions from {} until {}; the same rows again: --seed {seed} --until {}) to {where_to}",
            sample.describe(),
            crate::core::time::rfc3339(start),
            crate::core::time::rfc3339(end),
            crate::core::time::rfc3339(end)
        );
        Ok(ExitCode::SUCCESS)
    })
}
