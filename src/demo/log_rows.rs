//! The demo app's runtime-log rows, in the stream's JSON (contract/vercel.md
//! §"Runtime logs"): the orchestrator's lines as Node prints them, and the
//! delimiter row Vercel sends when it cuts a stream (the `log-limit` fault).

use super::DemoError;
use crate::core::time::UtcNaive;
use rand::Rng;
use rand::rngs::StdRng;
use sqlx::SqliteConnection;

/// The delimiter's message, as Vercel words it.
pub const LOG_LIMIT_MESSAGE: &str =
    "Exceeded runtime logs limit: the newest lines of this invocation were dropped";

/// A console message followed by an object, as Node prints it: on one
/// line when short, one field per line otherwise (`util.inspect`'s
/// 72-column break).
pub(crate) fn node_object(message: &str, fields: &[(&str, &str)]) -> String {
    let quoted = |v: &str| format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"));
    let parts: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}: {}", quoted(v)))
        .collect();
    let one = format!("{{ {} }}", parts.join(", "));
    if one.len() <= 72 {
        format!("{message} {one}")
    } else {
        format!("{message} {{\n  {}\n}}", parts.join(",\n  "))
    }
}

/// Prints one runtime-log row (the stream's JSON) from the deployment that
/// serves at `at` (the newest READY one built before it).
pub(crate) async fn print_log(
    conn: &mut SqliteConnection,
    rng: &mut StdRng,
    at: UtcNaive,
    level: &str,
    message: &str,
) -> Result<(), DemoError> {
    let line = serde_json::json!({
        "level": level,
        "message": message,
        "rowId": uuid::Builder::from_random_bytes(rng.random()).into_uuid().simple().to_string(),
        "source": "serverless",
        "timestampInMs": at.and_utc().timestamp_millis(),
        "domain": "zrg-demo.vercel.app",
        "messageTruncated": false,
        "requestMethod": "GET",
        "requestPath": "/api/cron/background-jobs",
        "responseStatusCode": -1,
    })
    .to_string();
    insert_line(conn, at, line).await
}

/// Prints the delimiter row of a cut stream at `at`: the rows of that time
/// are missing, and the reader says so (limited), never a quiet zero.
pub(crate) async fn print_cut(conn: &mut SqliteConnection, at: UtcNaive) -> Result<(), DemoError> {
    let line = serde_json::json!({
        "level": "error",
        "message": LOG_LIMIT_MESSAGE,
        "rowId": "",
        "source": "delimiter",
        "timestampInMs": at.and_utc().timestamp_millis(),
        "domain": "zrg-demo.vercel.app",
        "messageTruncated": false,
        "requestMethod": "",
        "requestPath": "",
        "responseStatusCode": 0,
    })
    .to_string();
    insert_line(conn, at, line).await
}

async fn insert_line(
    conn: &mut SqliteConnection,
    at: UtcNaive,
    line: String,
) -> Result<(), DemoError> {
    sqlx::query(
        r#"INSERT INTO "_demo_runtime_log" ("deploymentId", "printedAt", "line")
           VALUES (COALESCE((SELECT "id" FROM "_demo_deployment" WHERE "readyState" = 'READY' AND "createdAt" <= ?
                             ORDER BY "createdAt" DESC LIMIT 1), 'dpl_demo'), ?, ?)"#,
    )
    .bind(at)
    .bind(at)
    .bind(line)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
