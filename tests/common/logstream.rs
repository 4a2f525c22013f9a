//! A stand-in for Vercel's runtime-log stream (contract/vercel.md §"Runtime
//! logs"), on a raw HTTP/1.1 socket so it can do what a mock server cannot:
//! chunked bodies split at random byte offsets (inside UTF-8 characters
//! too), a reset mid-line, a clean end after 5 minutes of the rows' own
//! time, a replay of rows already sent (same `rowId`) on every new
//! connection, scripted 429/500/503 answers, and several deployments (the
//! old one still printing after production moved). It also answers
//! `GET /v9/projects/{id}` with `targets.production` and
//! `GET /v6/deployments` with that one deployment.

#![allow(dead_code)]

use serde_json::json;
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Makes the i-th line of a deployment's log.
pub type MakeLine = fn(usize) -> String;

/// What the stand-in holds and does next.
#[derive(Default)]
pub struct LogState {
    /// deployment → every line it printed, in delivery order.
    pub logs: BTreeMap<String, Vec<String>>,
    /// deployment → the next line to deliver live.
    pub cursor: BTreeMap<String, usize>,
    /// The next connections are answered with these (status, Retry-After).
    pub answers: VecDeque<(u16, Option<String>)>,
    /// Every new connection first sends again this many lines it already sent.
    pub replay: usize,
    /// A connection ends cleanly once a row's time is this far past its
    /// first row's (the server's 5 minutes, in the rows' own time).
    pub end_after_ms: i64,
    /// Cut the next line in half and reset the connection.
    pub reset_next: bool,
    /// What `targets.production` names.
    pub production: String,
    /// Connections answered 200, and every status answered.
    pub streams: u32,
    pub statuses: Vec<u16>,
    /// Bytes sent in stream bodies.
    pub bytes: u64,
    /// Split lines into random chunks (off: one chunk per line, faster).
    pub split: bool,
    /// deployment → the newest connection's number: an older one (its
    /// client gave up on it) stops sending, as the real stream does when
    /// its peer is gone.
    pub generation: BTreeMap<String, u64>,
    /// Lines made on demand instead of held (benches: a million rows
    /// without holding them): deployment → (how many, the i-th line).
    pub made: BTreeMap<String, (usize, MakeLine)>,
}

impl LogState {
    fn line(&self, deployment: &str, i: usize) -> Option<String> {
        if let Some((n, make)) = self.made.get(deployment) {
            return (i < *n).then(|| make(i));
        }
        self.logs.get(deployment).and_then(|l| l.get(i).cloned())
    }

    fn len(&self, deployment: &str) -> usize {
        match self.made.get(deployment) {
            Some((n, _)) => *n,
            None => self.logs.get(deployment).map_or(0, Vec::len),
        }
    }
}

/// The running stand-in.
#[derive(Clone)]
pub struct LogServer {
    pub base: String,
    pub state: Arc<Mutex<LogState>>,
    wake: Arc<tokio::sync::Notify>,
}

impl LogServer {
    /// Starts it on a free port (inside a tokio runtime).
    pub async fn start(production: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let server = Self {
            base,
            state: Arc::new(Mutex::new(LogState {
                production: production.to_owned(),
                end_after_ms: 5 * 60_000,
                split: true,
                ..LogState::default()
            })),
            wake: Arc::new(tokio::sync::Notify::new()),
        };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.serve(conn).await;
                });
            }
        });
        server
    }

    /// Locks the state.
    pub fn state(&self) -> std::sync::MutexGuard<'_, LogState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `deployment` prints `line` (a row's JSON, or anything).
    pub fn emit(&self, deployment: &str, line: String) {
        self.state()
            .logs
            .entry(deployment.to_owned())
            .or_default()
            .push(line);
        self.wake.notify_waiters();
    }

    /// Every line printed has been delivered live.
    pub fn delivered(&self) -> bool {
        let s = self.state();
        s.logs
            .keys()
            .chain(s.made.keys())
            .all(|d| s.cursor.get(d).copied().unwrap_or(0) >= s.len(d))
    }

    async fn serve(&self, mut conn: TcpStream) -> std::io::Result<()> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = conn.read(&mut byte).await?;
            if n == 0 {
                return Ok(());
            }
            head.extend_from_slice(&byte[..n]);
        }
        let head = String::from_utf8_lossy(&head).to_string();
        let path = head
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .split('?')
            .next()
            .unwrap_or("/")
            .to_owned();
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        if parts.len() == 3 && parts[0] == "v9" && parts[1] == "projects" {
            let production = self.state().production.clone();
            let body = json!({
                "id": "prj_logs", "name": parts[2],
                "targets": {"production": {"id": production, "url": format!("{production}.vercel.app"), "readyState": "READY", "createdAt": 1_771_500_000_000i64}}
            })
            .to_string();
            return answer(&mut conn, 200, None, &body).await;
        }
        if parts == ["v6", "deployments"] {
            let production = self.state().production.clone();
            let body = json!({
                "deployments": [{"uid": production, "name": "zrg", "url": format!("{production}.vercel.app"), "created": 1_771_500_000_000i64, "state": "READY", "target": "production"}],
                "pagination": {"count": 1, "next": null, "prev": null}
            })
            .to_string();
            return answer(&mut conn, 200, None, &body).await;
        }
        if !(parts.len() == 6 && parts[5] == "runtime-logs") {
            return answer(
                &mut conn,
                404,
                None,
                r#"{"error":{"code":"not_found","message":"no such route"}}"#,
            )
            .await;
        }
        let deployment = parts[4].to_owned();
        let scripted = {
            let mut s = self.state();
            let a = s.answers.pop_front();
            s.statuses.push(a.as_ref().map_or(200, |a| a.0));
            if a.is_none() {
                s.streams += 1;
            }
            a
        };
        if let Some((status, retry_after)) = scripted {
            let body = json!({"error": {"code": "error", "message": format!("scripted {status}")}})
                .to_string();
            return answer(&mut conn, status, retry_after.as_deref(), &body).await;
        }
        conn.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/stream+json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        )
        .await?;
        let mine = {
            let mut s = self.state();
            let g = s.generation.entry(deployment.clone()).or_default();
            *g += 1;
            *g
        };
        // The replay: lines already sent, again.
        let (mut at, replay) = {
            let s = self.state();
            let cursor = s.cursor.get(&deployment).copied().unwrap_or(0);
            let from = cursor.saturating_sub(s.replay);
            let replay: Vec<String> = (from..cursor)
                .filter_map(|i| s.line(&deployment, i))
                .collect();
            (cursor, replay)
        };
        for line in replay {
            self.send_line(&mut conn, &line).await?;
        }
        let mut first_ts: Option<i64> = None;
        loop {
            let next = {
                let s = self.state();
                if s.generation.get(&deployment) != Some(&mine) {
                    return Ok(());
                }
                at = s.cursor.get(&deployment).copied().unwrap_or(0).max(at);
                s.line(&deployment, at)
            };
            let Some(line) = next else {
                let woken = self.wake.notified();
                let _ = tokio::time::timeout(Duration::from_millis(50), woken).await;
                continue;
            };
            let ts = serde_json::from_str::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| v["timestampInMs"].as_i64());
            if let Some(ts) = ts {
                let first = *first_ts.get_or_insert(ts);
                let end_after = self.state().end_after_ms;
                if ts - first >= end_after {
                    // The server's 5 minutes are over: a clean end.
                    conn.write_all(b"0\r\n\r\n").await?;
                    return conn.shutdown().await;
                }
            }
            let reset = std::mem::take(&mut self.state().reset_next);
            if reset {
                let half = &line.as_bytes()[..line.len() / 2];
                chunk(&mut conn, half).await?;
                // Close with SO_LINGER 0: a reset mid-line.
                conn.set_zero_linger()?;
                drop(conn);
                return Ok(());
            }
            self.send_line(&mut conn, &line).await?;
            at += 1;
            let cut = line.contains(r#""source":"delimiter""#);
            {
                let mut s = self.state();
                let cursor = s.cursor.entry(deployment.clone()).or_default();
                *cursor = (*cursor).max(at);
            }
            if cut {
                // The server cut the stream: it ends here.
                conn.write_all(b"0\r\n\r\n").await?;
                return conn.shutdown().await;
            }
        }
    }

    async fn send_line(&self, conn: &mut TcpStream, line: &str) -> std::io::Result<()> {
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        let split = self.state().split;
        self.state().bytes += bytes.len() as u64;
        if !split {
            return chunk(conn, &bytes).await;
        }
        // Up to three pieces, cut at any byte (inside a character too).
        let mut cuts: Vec<usize> = (0..rand::random_range(0..3))
            .map(|_| rand::random_range(0..bytes.len()))
            .collect();
        cuts.sort_unstable();
        let mut from = 0;
        for cut in cuts.into_iter().chain([bytes.len()]) {
            if cut > from {
                chunk(conn, &bytes[from..cut]).await?;
                conn.flush().await?;
                from = cut;
            }
        }
        Ok(())
    }
}

/// One HTTP chunk.
async fn chunk(conn: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    conn.write_all(format!("{:x}\r\n", bytes.len()).as_bytes())
        .await?;
    conn.write_all(bytes).await?;
    conn.write_all(b"\r\n").await
}

async fn answer(
    conn: &mut TcpStream,
    status: u16,
    retry_after: Option<&str>,
    body: &str,
) -> std::io::Result<()> {
    let retry = retry_after.map_or(String::new(), |r| format!("retry-after: {r}\r\n"));
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{retry}connection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await?;
    conn.write_all(body.as_bytes()).await?;
    conn.shutdown().await
}

/// A row as the stream prints it.
pub fn row(id: &str, ts: i64, source: &str, level: &str, message: &str) -> String {
    json!({
        "level": level, "message": message, "rowId": id, "source": source,
        "timestampInMs": ts, "domain": "zrg-dashboard.vercel.app", "messageTruncated": false,
        "requestMethod": "GET", "requestPath": "/api/cron/background-jobs",
        "responseStatusCode": if source == "request" { 200 } else { -1 }
    })
    .to_string()
}

/// The delimiter row the server cuts a stream with.
pub fn delimiter(ts: i64) -> String {
    json!({"level": "error", "message": "Exceeded runtime logs limit, please try again later", "rowId": "", "source": "delimiter", "timestampInMs": ts}).to_string()
}

/// The app's revision-loop line (`orchestrator.ts:478`) as Node prints it:
/// one line when short, one field per line when long.
pub fn loop_failed(ws: &str, lead: &str, draft: &str, error: &str) -> String {
    let one = format!(
        "[AutoSend] Revision loop failed; continuing without revision {{ clientId: '{ws}', leadId: '{lead}', draftId: '{draft}', error: '{error}' }}"
    );
    if one.len() - 60 <= 72 {
        one
    } else {
        format!(
            "[AutoSend] Revision loop failed; continuing without revision {{\n  clientId: '{ws}',\n  leadId: '{lead}',\n  draftId: '{draft}',\n  error: '{error}'\n}}"
        )
    }
}

/// The decision-write line (`orchestrator.ts:101`): no workspace.
pub fn decision_failed(draft: &str) -> String {
    format!(
        "[AutoSend] Failed to persist auto-send decision {{ draftId: '{draft}', action: 'send_immediate', error: \"Can't reach database server at `db.internal:5432`\" }}"
    )
}

/// The artifact-write line (`revision-agent.ts:394`).
pub fn artifact_failed(ws: &str, draft: &str) -> String {
    format!(
        "[AutoSendRevision] Failed to persist DraftPipelineArtifact; continuing {{\n  clientId: '{ws}',\n  leadId: null,\n  draftId: '{draft}',\n  runId: 'run_1',\n  stage: 'auto_send_revise',\n  iteration: 1,\n  error: 'P2002'\n}}"
    )
}
