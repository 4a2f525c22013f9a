//! A deployment's runtime logs, followed (contract/vercel.md §"Runtime
//! logs"): `GET /v1/projects/{id}/deployments/{dep}/runtime-logs`, a stream
//! of JSON lines. Every wait is bounded (connect, the first answer, each
//! chunk); the stream is renewed before the server's 5 minutes; an end, a
//! silence, a cut or an error reconnects with the contract's backoff (429:
//! `Retry-After` plus jitter; 5xx and network: exponential, capped). What it
//! reads goes to a [`Book`]; what it cannot read is the book's state for
//! that deployment, never a quiet zero.

use super::{VercelClient, VercelError, describe_reqwest};
use crate::adapters::clock::Clock;
use crate::core::runtime_log::{Book, Line, Lines, ReaderState, parse_line};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// How long the reader waits for what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogTiming {
    /// Connecting and the answer's headers.
    pub connect: Duration,
    /// No byte for this long: the connection is given up and renewed.
    pub idle: Duration,
    /// A connection is renewed after this long (the server ends streams
    /// after 5 minutes). The next connection opens first and the old one is
    /// read for [`LogTiming::overlap`] more: rows in flight are not lost,
    /// and the rows both bring are counted once (by `rowId`).
    pub lifetime: Duration,
    /// How long a renewed connection is still read.
    pub overlap: Duration,
    /// The wait before reconnecting after an end, and the base of the
    /// exponential backoff after an error.
    pub retry: Duration,
    /// The longest wait between attempts.
    pub max_retry: Duration,
}

impl Default for LogTiming {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            idle: Duration::from_secs(90),
            lifetime: Duration::from_secs(4 * 60 + 30),
            overlap: Duration::from_secs(10),
            retry: Duration::from_secs(2),
            max_retry: Duration::from_secs(60),
        }
    }
}

/// How one connection ended (without an error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEnd {
    /// The server ended it.
    Ended,
    /// No byte came for [`LogTiming::idle`].
    Idle,
    /// Renewed before the server's limit.
    Renewed,
    /// The server cut it with a delimiter row (its message).
    Cut(String),
    /// The connection broke mid-stream (what failed).
    Broken(String),
}

/// Failures in a row before the reader calls itself blind.
const BLIND_AFTER: u32 = 3;

impl VercelClient {
    /// The runtime-log stream's URL of `deployment`.
    fn runtime_logs_url(&self, deployment: &str) -> url::Url {
        let mut url = self.url(&[
            "v1",
            "projects",
            &self.project,
            "deployments",
            deployment,
            "runtime-logs",
        ]);
        url.query_pairs_mut().append_pair("format", "lines");
        url
    }

    /// A client for streams: its connect is bounded, the whole call is not
    /// (the reader bounds each chunk instead).
    fn stream_http(&self, timing: &LogTiming) -> Result<reqwest::Client, VercelError> {
        reqwest::Client::builder()
            .connect_timeout(timing.connect)
            .user_agent(concat!("rollout-panel/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| VercelError::Setup(format!("cannot build the HTTP client: {e}")))
    }

    /// Opens `deployment`'s stream once and reads it until it ends, giving
    /// each line to `on_line` (which says whether the line cut the stream:
    /// a delimiter not seen before); `on_open` is called once the server
    /// answered 200, `on_renew` when the next connection should open (the
    /// lifetime is over; this one is read for the overlap more).
    pub async fn runtime_logs_once(
        &self,
        http: &reqwest::Client,
        deployment: &str,
        timing: &LogTiming,
        mut on_open: impl FnMut(),
        mut on_renew: impl FnMut(),
        mut on_line: impl FnMut(Line) -> bool,
    ) -> Result<StreamEnd, VercelError> {
        let network = |detail: String| VercelError::Network {
            base: self.base.to_string(),
            detail,
        };
        let request = http
            .get(self.runtime_logs_url(deployment))
            .header(reqwest::header::ACCEPT, "application/stream+json")
            .bearer_auth(self.token.expose())
            .send();
        let mut response = match tokio::time::timeout(timing.connect, request).await {
            Err(_) => {
                return Err(network(format!(
                    "no answer within {} s",
                    timing.connect.as_secs()
                )));
            }
            Ok(Err(e)) => return Err(network(describe_reqwest(&e))),
            Ok(Ok(r)) => r,
        };
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let headers = response.headers().clone();
            let body = tokio::time::timeout(timing.connect, response.text())
                .await
                .ok()
                .and_then(Result::ok)
                .unwrap_or_default();
            return Err(self.http_error(status, &headers, &body));
        }
        on_open();
        let renew_at = Instant::now() + timing.lifetime;
        let mut stop_at: Option<Instant> = None;
        let mut lines = Lines::default();
        loop {
            let now = Instant::now();
            if stop_at.is_none() && now >= renew_at {
                // The next connection opens now; this one is read a while
                // longer so nothing in flight is lost.
                on_renew();
                stop_at = Some(now + timing.overlap);
            }
            if stop_at.is_some_and(|t| now >= t) {
                return Ok(StreamEnd::Renewed);
            }
            let until = stop_at.unwrap_or(renew_at);
            let wait = timing.idle.min(until.saturating_duration_since(now));
            let chunk = match tokio::time::timeout(wait, response.chunk()).await {
                Err(_) if Instant::now() >= until => continue,
                Err(_) => return Ok(StreamEnd::Idle),
                Ok(Err(e)) => {
                    lines.reset();
                    return Ok(StreamEnd::Broken(describe_reqwest(&e)));
                }
                Ok(Ok(None)) => {
                    lines.reset();
                    return Ok(StreamEnd::Ended);
                }
                Ok(Ok(Some(chunk))) => chunk,
            };
            let mut cut = None;
            for text in lines.push(&chunk) {
                let line = parse_line(&text);
                let message = match &line {
                    Line::Delimiter { message, .. } => Some(message.clone()),
                    _ => None,
                };
                if on_line(line) {
                    cut = message;
                }
            }
            if let Some(message) = cut {
                return Ok(StreamEnd::Cut(message));
            }
        }
    }
}

/// What one follower reads and where it writes.
#[derive(Clone)]
pub struct Follow {
    /// The project's client.
    pub client: VercelClient,
    /// The deployment followed.
    pub deployment: String,
    /// Its waits.
    pub timing: LogTiming,
    /// Where the rows are counted.
    pub book: Arc<Mutex<Book>>,
    /// "Now", for the book's minutes.
    pub clock: Arc<dyn Clock>,
}

impl Follow {
    fn now_ms(&self) -> i64 {
        self.clock.now().and_utc().timestamp_millis()
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Follows one deployment's stream until `stop` turns true (or its sender
/// is dropped), reconnecting as the contract says.
pub async fn follow(f: Follow, mut stop: tokio::sync::watch::Receiver<bool>) {
    let http = match f.client.stream_http(&f.timing) {
        Ok(h) => h,
        Err(e) => {
            f.book().trouble(
                &f.deployment,
                ReaderState::Blind {
                    reason: e.to_string(),
                },
            );
            return;
        }
    };
    let mut failures = 0u32;
    let (renew_tx, mut renew_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    loop {
        if *stop.borrow() {
            return;
        }
        let connection = {
            let f = f.clone();
            let http = http.clone();
            let renew = renew_tx.clone();
            tokio::spawn(async move {
                f.client
                    .runtime_logs_once(
                        &http,
                        &f.deployment,
                        &f.timing,
                        || {
                            let now = f.now_ms();
                            f.book().connected(&f.deployment, now);
                        },
                        || {
                            let _ = renew.send(());
                        },
                        |line| {
                            let now = f.now_ms();
                            f.book().line(&f.deployment, &line, now)
                                == crate::core::runtime_log::Read::Cut
                        },
                    )
                    .await
            })
        };
        let abort = connection.abort_handle();
        let result = tokio::select! {
            r = connection => r.unwrap_or_else(|e| Ok(StreamEnd::Broken(format!("the reading task ended: {e}")))),
            // Renewed: this connection drains by itself; the next opens now.
            Some(()) = renew_rx.recv() => {
                failures = 0;
                continue;
            }
            _ = stop.changed() => {
                abort.abort();
                return;
            }
        };
        // A renewal asked for by a connection that then ended is spent.
        while renew_rx.try_recv().is_ok() {}
        let wait = match result {
            Ok(end) => {
                failures = 0;
                match end {
                    StreamEnd::Renewed => Duration::ZERO,
                    StreamEnd::Cut(m) => {
                        tracing::warn!(
                            "Vercel cut the runtime-log stream of {}: {m}",
                            f.deployment
                        );
                        f.timing.retry
                    }
                    StreamEnd::Broken(why) => {
                        tracing::info!("the runtime-log stream of {} broke: {why}", f.deployment);
                        f.timing.retry
                    }
                    StreamEnd::Ended | StreamEnd::Idle => f.timing.retry,
                }
            }
            Err(e) => {
                failures += 1;
                let (wait, state) = after_error(&e, failures, &f.timing);
                tracing::warn!(
                    "the runtime logs of {} cannot be read ({e}); retrying in {wait:?}",
                    f.deployment
                );
                if let Some(state) = state {
                    f.book().trouble(&f.deployment, state);
                }
                wait
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The wait after a failed attempt, and the state it puts the reader in
/// (`None`: not yet blind, a single failure is retried quietly).
pub fn after_error(
    e: &VercelError,
    failures: u32,
    timing: &LogTiming,
) -> (Duration, Option<ReaderState>) {
    let exponential = timing
        .retry
        .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1)))
        .min(timing.max_retry);
    let jitter = |d: Duration| d + d.mul_f64(rand::random::<f64>() * 0.25);
    let blind = |reason: String| Some(ReaderState::Blind { reason });
    match e {
        VercelError::Unauthorized { status, message } => (
            timing.max_retry,
            blind(format!(
                "the token cannot read runtime logs (HTTP {status}: {message}); it needs access to the project's logs"
            )),
        ),
        VercelError::NotFound { message, .. } => (
            timing.max_retry,
            blind(format!(
                "Vercel has no logs for this deployment (HTTP 404: {message})"
            )),
        ),
        VercelError::RateLimited { retry_after_secs } => {
            let base = match retry_after_secs {
                0 => exponential,
                s => Duration::from_secs(*s).min(timing.max_retry.saturating_mul(5)),
            };
            let wait = jitter(base);
            let state = (failures >= BLIND_AFTER).then(|| ReaderState::Blind {
                reason: format!(
                    "Vercel is rate-limiting the log stream (HTTP 429, {failures} times in a row); retrying in {} s",
                    wait.as_secs()
                ),
            });
            (wait, state)
        }
        VercelError::Http { status: 500.., .. } | VercelError::Network { .. } => {
            let wait = jitter(exponential);
            let state = (failures >= BLIND_AFTER).then(|| ReaderState::Blind {
                reason: format!(
                    "{e} ({failures} times in a row); retrying in {} s",
                    wait.as_secs()
                ),
            });
            (wait, state)
        }
        other => (
            timing.max_retry,
            blind(format!("the log stream cannot be read: {other}")),
        ),
    }
}

/// How long a deployment that stopped serving production is still read:
/// jobs already running finish on the old build (contract zrg §9).
pub const DRAIN: Duration = Duration::from_secs(15 * 60);

/// Follows every deployment that serves production, and for [`DRAIN`]
/// the one that stopped serving.
pub struct Reader {
    client: VercelClient,
    timing: LogTiming,
    book: Arc<Mutex<Book>>,
    clock: Arc<dyn Clock>,
    /// deployment → (its stop switch, since when it no longer serves).
    followers: std::collections::BTreeMap<String, (tokio::sync::watch::Sender<bool>, Option<i64>)>,
}

impl Reader {
    /// A reader counting into `book`.
    pub fn new(
        client: VercelClient,
        timing: LogTiming,
        book: Arc<Mutex<Book>>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            client,
            timing,
            book,
            clock,
            followers: Default::default(),
        }
    }

    /// The book it counts into.
    pub fn book(&self) -> Arc<Mutex<Book>> {
        Arc::clone(&self.book)
    }

    /// The deployments that serve production now (observed): new ones are
    /// followed; one that left keeps being read for [`DRAIN`], then not.
    /// Call it inside a tokio runtime.
    pub fn serving(&mut self, ids: &[String]) {
        let now = self.clock.now().and_utc().timestamp_millis();
        let drain_ms = i64::try_from(DRAIN.as_millis()).unwrap_or(i64::MAX);
        let mut book = self.book.lock().unwrap_or_else(|e| e.into_inner());
        self.followers.retain(|id, (stop, left)| {
            if ids.contains(id) {
                *left = None;
                book.follow(id, false);
                return true;
            }
            let since = *left.get_or_insert(now);
            if now - since < drain_ms {
                book.follow(id, true);
                return true;
            }
            let _ = stop.send(true);
            book.forget(id);
            false
        });
        for id in ids {
            if self.followers.contains_key(id) {
                continue;
            }
            book.follow(id, false);
            let (tx, rx) = tokio::sync::watch::channel(false);
            tokio::spawn(follow(
                Follow {
                    client: self.client.clone(),
                    deployment: id.clone(),
                    timing: self.timing,
                    book: Arc::clone(&self.book),
                    clock: Arc::clone(&self.clock),
                },
                rx,
            ));
            self.followers.insert(id.clone(), (tx, None));
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        for (stop, _) in self.followers.values() {
            let _ = stop.send(true);
        }
    }
}
