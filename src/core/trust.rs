//! Trust in the shared audit table (issue 28): who an operator is, what an
//! entry signs, and whether a row read from the shared table counts.
//!
//! Every operator's panel has an Ed25519 key pair (the private half in the
//! OS keyring). The team lists its operators — a name and a public key — in
//! a roster (a profile's `operators`, or a team file it points to, like
//! ssh's `allowed_signers`). Every entry a panel writes to the shared table
//! is signed, and carries its writer's sequence number and the hash of the
//! writer's previous entry: an append-only chain per operator. A row that is
//! unsigned, signed by a key the roster does not know, altered, out of its
//! chain, dated in the future or malformed is **unverified** and never
//! counts: not as an approval, a running lever, an alarm's time, the
//! canary's start or a Restore button.
//!
//! Pure: the keys are given, the rows are given, the clock is given.

use crate::core::time::UtcNaive;
use base64::Engine as _;
use ed25519_dalek::Signer as _;
use serde::Serialize;
use sha2::Digest as _;

/// The prefix of a public key's text form (`ed25519:<base64>`).
pub const KEY_PREFIX: &str = "ed25519:";

/// How far ahead of the database server's clock an entry's time may be
/// (clock skew between machines); later is "dated in the future".
pub const MAX_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// The oldest time an entry may carry (the panel did not exist before).
pub fn earliest() -> UtcNaive {
    chrono::NaiveDate::from_ymd_opt(2020, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
}

/// The longest text a field of a shared row may hold, by field; a longer
/// one is cut for display and the row is unverified.
pub const fn max_len(field: Field) -> usize {
    match field {
        Field::Detail => 512 * 1024,
        Field::Reason | Field::Summary => 8 * 1024,
        Field::Id | Field::Operator | Field::Profile | Field::Lever | Field::Key => 256,
        Field::Signature => 256,
    }
}

/// A text field of a shared row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The entry or action id.
    Id,
    /// The operator's name.
    Operator,
    /// The profile's name.
    Profile,
    /// The lever's name.
    Lever,
    /// The reason.
    Reason,
    /// The summary.
    Summary,
    /// The JSON detail.
    Detail,
    /// The signer's public key.
    Key,
    /// The signature.
    Signature,
}

impl Field {
    /// The column's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::Operator => "operator",
            Self::Profile => "profile",
            Self::Lever => "lever",
            Self::Reason => "reason",
            Self::Summary => "summary",
            Self::Detail => "detail",
            Self::Key => "signer",
            Self::Signature => "signature",
        }
    }
}

/// Whether an entry counts, and why not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "trust", content = "why", rename_all = "snake_case")]
pub enum Trust {
    /// This machine's own log (written by this panel).
    #[default]
    Local,
    /// Signed by a key of the roster, in its chain, unaltered.
    Verified,
    /// It does not count; why.
    Unverified(Why),
}

impl Trust {
    /// Whether the entry may be taken as a fact (its own log, or verified).
    pub fn counts(&self) -> bool {
        !matches!(self, Self::Unverified(_))
    }

    /// "verified", "this machine" or "UNVERIFIED: why".
    pub fn label(&self) -> String {
        match self {
            Self::Local => "this machine's log".to_owned(),
            Self::Verified => "verified".to_owned(),
            Self::Unverified(why) => format!("UNVERIFIED: {why}"),
        }
    }
}

/// Why a shared row does not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum Why {
    /// No signature (written by hand, or by a panel without a key).
    #[error("unsigned")]
    Unsigned,
    /// Signed by a key the team's roster does not list.
    #[error("signed by a key the team's roster does not list ({0})")]
    UnknownKey(String),
    /// The signature does not match the row: altered after it was written.
    #[error("the signature does not match: the row was altered after it was written")]
    Altered,
    /// The row names another operator than the roster gives its key.
    #[error("it says it is by {claimed}, but its key is {known}'s")]
    NameMismatch {
        /// The name in the row.
        claimed: String,
        /// The roster's name of the key.
        known: String,
    },
    /// Its link to the writer's previous entry does not hold.
    #[error("out of its writer's chain: {0}")]
    OutOfChain(String),
    /// Its time cannot be a real one (infinite, out of range, malformed).
    #[error("its time {0:?} is not a real time")]
    BadTime(String),
    /// Its time is ahead of the database server's clock.
    #[error("dated in the future ({at} UTC, the database server's clock says {server_now} UTC)")]
    Future {
        /// The row's time.
        at: String,
        /// The server's time.
        server_now: String,
    },
    /// Its id was not issued by the table's sequence (set by hand).
    #[error("its id {0} was not issued by the table (set by hand)")]
    ForgedId(i64),
    /// A field is longer than a panel writes.
    #[error("its {field} is longer than a panel writes ({len} bytes)", field = .0.as_str(), len = .1)]
    TooLong(Field, usize),
    /// A field does not hold a value a panel writes.
    #[error("its {0} is not one a panel writes ({1:?})")]
    BadValue(&'static str, String),
}

/// An operator's signing key (the private half stays in the OS keyring).
#[derive(Clone)]
pub struct OperatorKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for OperatorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OperatorKey({})", self.public())
    }
}

impl OperatorKey {
    /// The key from its 32 secret bytes.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The secret bytes as text (for the keyring only).
    pub fn seed_text(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.to_bytes())
    }

    /// The key from [`OperatorKey::seed_text`]'s text.
    pub fn from_seed_text(text: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        let seed: [u8; 32] = bytes.try_into().ok()?;
        Some(Self::from_seed(&seed))
    }

    /// The public key, `ed25519:<base64>`.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// The signature of `message`, as base64.
    pub fn sign(&self, message: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.sign(message).to_bytes())
    }
}

/// An operator's public key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey(ed25519_dalek::VerifyingKey);

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{KEY_PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(self.0.as_bytes())
        )
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl std::str::FromStr for PublicKey {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let b64 = s
            .trim()
            .strip_prefix(KEY_PREFIX)
            .ok_or_else(|| format!("a public key starts with {KEY_PREFIX:?}"))?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| "the key after ed25519: is not base64".to_owned())?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "an Ed25519 public key has 32 bytes".to_owned())?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| "not a valid Ed25519 public key".to_owned())
    }
}

impl PublicKey {
    /// Whether `signature` (base64) signs `message` with this key.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
            return false;
        };
        let Ok(bytes) = <[u8; 64]>::try_from(bytes) else {
            return false;
        };
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        self.0.verify_strict(message, &signature).is_ok()
    }
}

/// One operator of the team: a name and a public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operator {
    /// How others see them (e.g. `alice@zrg`).
    pub name: String,
    /// Their public key.
    pub key: PublicKey,
}

/// The team's operators (the trust anchor: keep it in the team's repo,
/// reviewed like code).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Roster {
    operators: Vec<Operator>,
}

impl Roster {
    /// A roster of these operators; a name or a key listed twice is refused.
    pub fn new(operators: Vec<Operator>) -> Result<Self, String> {
        for (i, a) in operators.iter().enumerate() {
            for b in &operators[..i] {
                if a.name == b.name {
                    return Err(format!("operator {:?} is listed twice", a.name));
                }
                if a.key == b.key {
                    return Err(format!(
                        "operators {:?} and {:?} have the same key: every operator needs their own",
                        b.name, a.name
                    ));
                }
            }
        }
        Ok(Self { operators })
    }

    /// Parses a team file: one operator a line, `NAME ed25519:KEY`, with
    /// `#` comments and blank lines; errors name the line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut operators = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(name), Some(key), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!(
                    "line {}: expected `NAME ed25519:KEY`, found {:?}",
                    n + 1,
                    crate::core::text::printable(line)
                ));
            };
            let key = key.parse().map_err(|e| format!("line {}: {e}", n + 1))?;
            operators.push(Operator {
                name: name.to_owned(),
                key,
            });
        }
        Self::new(operators)
    }

    /// The operators.
    pub fn operators(&self) -> &[Operator] {
        &self.operators
    }

    /// Whether it lists nobody.
    pub fn is_empty(&self) -> bool {
        self.operators.is_empty()
    }

    /// The name of a key, if the roster lists it.
    pub fn name_of(&self, key: &PublicKey) -> Option<&str> {
        self.operators
            .iter()
            .find(|o| &o.key == key)
            .map(|o| o.name.as_str())
    }
}

/// What an entry signs: every column a panel writes, its writer's sequence
/// number, the hash of the writer's previous entry and the writer's key.
#[derive(Clone, Debug, Serialize)]
pub struct Signed<'a> {
    /// The entry's id.
    pub entry_id: &'a str,
    /// Its action's id.
    pub action_id: &'a str,
    /// Its time, in milliseconds since the epoch (UTC).
    pub at_ms: i64,
    /// Who wrote it.
    pub operator: &'a str,
    /// The writer's profile.
    pub profile: &'a str,
    /// The lever (or approval, request, …).
    pub lever: &'a str,
    /// intent, step or result.
    pub kind: &'a str,
    /// pending, ok, failed or abandoned.
    pub status: &'a str,
    /// Why.
    pub reason: &'a str,
    /// One line for people.
    pub summary: &'a str,
    /// The JSON detail, as stored.
    pub detail: &'a str,
    /// The writer's sequence number (1 for its first entry).
    pub seq: i64,
    /// The hash of the writer's previous entry ("" for the first).
    pub prev: &'a str,
    /// The writer's public key.
    pub signer: &'a str,
}

impl Signed<'_> {
    /// The bytes the signature covers: a JSON array in a fixed order, under
    /// a version tag.
    pub fn message(&self) -> Vec<u8> {
        serde_json::to_vec(&(
            "rollout-panel audit entry v1",
            self.entry_id,
            self.action_id,
            self.at_ms,
            self.operator,
            self.profile,
            self.lever,
            self.kind,
            self.status,
            self.reason,
            self.summary,
            self.detail,
            self.seq,
            self.prev,
            self.signer,
        ))
        .unwrap_or_default()
    }

    /// The entry's hash (what the writer's next entry carries): SHA-256 of
    /// the message and the signature, hex.
    pub fn hash(&self, signature: &str) -> String {
        let mut h = sha2::Sha256::new();
        h.update(self.message());
        h.update(b"\n");
        h.update(signature.as_bytes());
        hex(&h.finalize())
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of `bytes`, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

/// The chain fields of a shared row, as read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chain {
    /// The writer's sequence number.
    pub seq: Option<i64>,
    /// The hash of the writer's previous entry.
    pub prev: Option<String>,
    /// The writer's public key (text).
    pub signer: Option<String>,
    /// The signature (base64).
    pub signature: Option<String>,
}

/// Why a signed row's own signature does not hold, or the key's roster name.
pub fn check_signature<'a>(
    signed: &Signed<'_>,
    chain: &Chain,
    roster: &'a Roster,
) -> Result<&'a str, Why> {
    let (Some(signer), Some(signature), Some(_)) = (&chain.signer, &chain.signature, chain.seq)
    else {
        return Err(Why::Unsigned);
    };
    let key: PublicKey = signer
        .parse()
        .map_err(|_| Why::BadValue("signer", crate::core::text::printable(signer).into()))?;
    let name = roster
        .name_of(&key)
        .ok_or_else(|| Why::UnknownKey(short_key(signer)))?;
    if !key.verifies(&signed.message(), signature) {
        return Err(Why::Altered);
    }
    if signed.operator != name {
        return Err(Why::NameMismatch {
            claimed: crate::core::text::printable(signed.operator).into_owned(),
            known: name.to_owned(),
        });
    }
    Ok(name)
}

/// `ed25519:AbCdEfGh…` (the first 8 characters of the key).
pub fn short_key(key: &str) -> String {
    let body = key.strip_prefix(KEY_PREFIX).unwrap_or(key);
    let cut: String = body.chars().take(8).collect();
    format!("{KEY_PREFIX}{}…", crate::core::text::printable(&cut))
}

/// Whether an entry's link to its writer's previous one holds: the first
/// entry (seq 1) links to nothing; a later one to the hash of the entry
/// before it, which must be there. `previous` is that entry's hash as
/// recomputed from its content (`None`: not found).
pub fn check_link(seq: i64, prev: &str, previous: Option<&str>) -> Result<(), Why> {
    match (seq, previous) {
        (s, _) if s < 1 => Err(Why::BadValue("seq", s.to_string())),
        (1, _) if prev.is_empty() => Ok(()),
        (1, _) => Err(Why::OutOfChain(
            "its writer's first entry links to an entry before it".to_owned(),
        )),
        (s, None) => Err(Why::OutOfChain(format!(
            "its writer's entry {} before it is missing (deleted?)",
            s - 1
        ))),
        (s, Some(hash)) if hash != prev => Err(Why::OutOfChain(format!(
            "its writer's entry {} before it is not the one it was written after (altered or replaced)",
            s - 1
        ))),
        _ => Ok(()),
    }
}

/// A time read from the shared table as text (Postgres' own form, so an
/// `infinity` or a year 294276 reaches the panel as text, never as a
/// decoding panic): the time, or why it is not a real one.
pub fn parse_time(text: &str) -> Result<UtcNaive, Why> {
    let bad = || Why::BadTime(crate::core::text::printable(&cut(text, 40)).into_owned());
    if text.ends_with("BC") {
        return Err(bad());
    }
    let t = crate::core::time::parse_naive(text).ok_or_else(bad)?;
    if t < earliest() {
        return Err(bad());
    }
    Ok(t)
}

/// Whether `at` is within [`MAX_SKEW`] of the database server's clock.
pub fn check_not_future(at: UtcNaive, server_now: UtcNaive) -> Result<(), Why> {
    if at > server_now + MAX_SKEW {
        Err(Why::Future {
            at: at.format("%Y-%m-%d %H:%M:%S").to_string(),
            server_now: server_now.format("%Y-%m-%d %H:%M:%S").to_string(),
        })
    } else {
        Ok(())
    }
}

/// The first `max` bytes of `text`, on a character boundary.
pub fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// A text field as the screen may show it: one line, no control or
/// bidirectional characters, at most `max` bytes of the escaped text (and
/// "… (cut)" when it was longer).
pub fn display_text(text: &str, max: usize) -> String {
    let escaped = crate::core::text::printable(&cut(text, max)).into_owned();
    let shown = cut(&escaped, max);
    if shown.len() < escaped.len() || text.len() > max {
        format!("{shown}… (cut)")
    } else {
        shown
    }
}

#[cfg(test)]
mod tests;
