//! Who an operator is (issue 28): this panel's signing key from the OS
//! keyring, and the team's roster from a profile (`operators`, and the
//! `team_file` it points to, meant to be committed to the team's repo like
//! ssh's `allowed_signers`).

use super::AuditLog;
use crate::core::profile::Profile;
use crate::core::trust::{OperatorKey, Roster};

/// The roster a profile names: its `operators` lines, then its team file's
/// lines, in the team file's format (`NAME ed25519:KEY`). Errors say which
/// source and line is wrong.
pub fn roster_of(profile: &Profile) -> Result<Roster, String> {
    let mut text = String::new();
    for line in &profile.operators {
        text.push_str(line);
        text.push('\n');
    }
    let inline = Roster::parse(&text).map_err(|e| format!("the profile's operators: {e}"))?;
    let Some(path) = profile.team_file.as_deref() else {
        return Ok(inline);
    };
    let path = std::path::Path::new(path);
    if !path.is_absolute() {
        return Err(format!(
            "team_file {:?} must be an absolute path (e.g. into the team repo's checkout)",
            path.display()
        ));
    }
    let file = std::fs::read_to_string(path)
        .map_err(|e| format!("the team file {} cannot be read: {e}", path.display()))?;
    let from_file =
        Roster::parse(&file).map_err(|e| format!("the team file {}: {e}", path.display()))?;
    let mut all = inline.operators().to_vec();
    all.extend(from_file.operators().iter().cloned());
    Roster::new(all).map_err(|e| format!("the profile's operators and its team file: {e}"))
}

impl AuditLog {
    /// Signs every entry it writes to the shared table with `key`; writes
    /// under the name the roster gives the key (its `user@host` when the
    /// roster does not list it: then no other panel counts its entries).
    pub fn with_key(mut self, key: OperatorKey, roster: &Roster) -> Self {
        if let Some(name) = roster.name_of(&key.public()) {
            name.clone_into(&mut self.operator);
        }
        self.key = Some(key);
        self
    }

    /// This panel's public key, when it signs.
    pub fn public_key(&self) -> Option<crate::core::trust::PublicKey> {
        self.key.as_ref().map(OperatorKey::public)
    }

    /// Whether other panels can verify this panel's entries: it signs, and
    /// the shared table's roster lists its key under its name.
    pub fn trusted_by_roster(&self) -> bool {
        match (self.public_key(), &self.shared) {
            (Some(key), Some(shared)) => shared.roster().name_of(&key) == Some(&self.operator),
            _ => false,
        }
    }
}
