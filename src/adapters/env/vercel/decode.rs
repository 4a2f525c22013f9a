//! Decoding Vercel's list answers item by item: one malformed record or
//! deployment is skipped and said (never with a value), the rest stands.

use super::{DeploymentInfo, EnvRecord, VercelError};
use serde::Deserialize;

/// One page of the env list, decoded record by record.
#[derive(Clone, Debug, Default)]
pub struct EnvPageDecoded {
    /// The records that decoded.
    pub records: Vec<EnvRecord>,
    /// Why each other one was skipped (its key when it has one; never a value).
    pub skipped: Vec<String>,
    /// The next page's `until`, if any.
    pub next: Option<i64>,
}

/// A message with every quoted part (`"…"`, `` `…` ``) replaced by `…`.
fn without_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    for c in message.chars() {
        match open {
            Some(q) if c == q => {
                out.push('…');
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None if c == '"' || c == '`' => {
                out.push(c);
                open = Some(c);
            }
            None => out.push(c),
        }
    }
    if open.is_some() {
        out.push('…');
    }
    out
}

/// Decodes one answer of the env list: a record that does not decode (no
/// `id`, a wrong type) is skipped and said, the rest stands; an answer that
/// is not an env page at all is an error. Never panics, whatever the JSON.
pub fn decode_env_page(page: serde_json::Value) -> Result<EnvPageDecoded, VercelError> {
    let page: EnvPage = serde_json::from_value(page)
        .map_err(|e| VercelError::BadResponse(format!("env list: {e}")))?;
    let mut out = EnvPageDecoded {
        next: page.pagination.and_then(|p| p.next),
        ..EnvPageDecoded::default()
    };
    for raw in page.envs {
        let key = raw
            .get("key")
            .and_then(|k| k.as_str())
            .map(|k| crate::core::text::printable(k).into_owned());
        match serde_json::from_value::<EnvRecord>(raw) {
            Ok(r) => out.records.push(r),
            // serde quotes the offending value in its message: it could be
            // a secret, so only the message's shape is kept.
            Err(e) => out.skipped.push(format!(
                "key {}: it does not decode ({})",
                key.as_deref().unwrap_or("?"),
                without_quoted(&e.to_string())
            )),
        }
    }
    Ok(out)
}

#[derive(Deserialize)]
struct EnvPage {
    /// Decoded one by one: a malformed record does not fail the page.
    #[serde(default)]
    envs: Vec<serde_json::Value>,
    #[serde(default)]
    pagination: Option<Pagination>,
}

#[derive(Deserialize)]
struct Pagination {
    #[serde(default)]
    next: Option<i64>,
}

#[derive(Deserialize)]
pub(super) struct DeploymentsPage {
    /// Decoded one by one: a malformed deployment is skipped and said.
    #[serde(default)]
    deployments: Vec<serde_json::Value>,
}

impl DeploymentsPage {
    /// The deployments that decode; each other one is logged and skipped.
    pub(super) fn decoded(self) -> Vec<DeploymentInfo> {
        self.deployments
            .into_iter()
            .filter_map(|raw| match serde_json::from_value::<DeploymentInfo>(raw) {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::warn!(
                        "skipped one Vercel deployment: it does not decode ({}); the others are read",
                        without_quoted(&e.to_string())
                    );
                    None
                }
            })
            .collect()
    }
}
