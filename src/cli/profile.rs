//! `profile`, `secrets` and `test-connection`: the config file and the
//! keyring, through [`ProfileManager`].

use super::args::{ProfileCmd, SecretsCmd, TestConnectionArgs};
use super::print;
use crate::adapters::secrets::SERVICE;
use crate::core::profile::Profile;
use crate::core::secret::SecretKey;
use crate::ops::profiles::{Outcome, ProfileManager};
use anyhow::Context;
use std::process::ExitCode;

pub(super) fn run_profile(m: &ProfileManager, cmd: ProfileCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ProfileCmd::Add {
            name,
            vercel_project,
            vercel_team,
            vercel_api,
            refresh_secs,
        } => {
            let profile = Profile {
                vercel_team,
                vercel_api,
                refresh_secs,
                ..Profile::new(vercel_project)
            };
            let became_default = m.save(&name, profile, true)?;
            say!("profile {name} added to {}", m.config.path().display());
            if became_default {
                say!("it is the window's default profile");
            }
            say!(
                "next: rollout-panel secrets set --profile {name} database-url   (the app's DIRECT_URL)"
            );
        }
        ProfileCmd::List { json } => {
            let loaded = m.config.load()?;
            for w in &loaded.warnings {
                esay!("warning: {w}");
            }
            let file = loaded.file;
            if json {
                let list: Vec<_> = file
                    .profiles
                    .iter()
                    .map(|(name, p)| {
                        serde_json::json!({
                            "name": name,
                            "default": file.default_profile.as_deref() == Some(name),
                            "vercel_project": p.vercel_project,
                            "vercel_team": p.vercel_team,
                            "vercel_api": p.vercel_api,
                        })
                    })
                    .collect();
                print::json(&list)?;
            } else if file.profiles.is_empty() {
                say!(
                    "no profiles yet (the window opens the demo); add one: rollout-panel profile add NAME --vercel-project ID"
                );
            } else {
                for (name, p) in &file.profiles {
                    let default = if file.default_profile.as_deref() == Some(name) {
                        " (default)"
                    } else {
                        ""
                    };
                    say!("{name}{default}\tvercel project {}", p.vercel_project);
                }
            }
        }
        ProfileCmd::Show { name, json } => {
            let loaded = m.config.load()?;
            for w in &loaded.warnings {
                esay!("warning: {w}");
            }
            let p = loaded.file.get(&name).map_err(anyhow::Error::msg)?.clone();
            let status = m.keyring.status(&name);
            if json {
                let secrets = match &status {
                    Ok(list) => serde_json::Value::Object(
                        list.iter()
                            .map(|(k, s)| (k.as_str().to_owned(), serde_json::json!(s.is_set())))
                            .collect(),
                    ),
                    Err(_) => serde_json::Value::Null,
                };
                let out = serde_json::json!({
                    "name": name,
                    "default": loaded.file.default_profile.as_deref() == Some(name.as_str()),
                    "vercel_project": p.vercel_project,
                    "vercel_team": p.vercel_team,
                    "vercel_api": p.vercel_api,
                    "canary_workspace": p.canary_workspace,
                    "refresh_secs": p.refresh_secs(),
                    "secrets": secrets,
                    "keyring_error": status.as_ref().err().map(ToString::to_string),
                });
                print::json(&out)?;
            } else {
                say!("profile: {name}");
                say!("vercel project: {}", p.vercel_project);
                say!(
                    "vercel team: {}",
                    p.vercel_team.as_deref().unwrap_or("(none)")
                );
                say!("vercel api: {}", p.vercel_api);
                say!(
                    "canary workspace: {}",
                    p.canary_workspace.as_deref().unwrap_or("(not chosen)")
                );
                say!("refresh: every {} s", p.refresh_secs());
                match &status {
                    Ok(list) => {
                        for (k, s) in list {
                            say!("secret {k}: {}", s.label());
                        }
                    }
                    Err(e) => say!("secrets: unknown — {e}"),
                }
            }
            if status.is_err() {
                return Ok(ExitCode::from(1));
            }
        }
        ProfileCmd::Check => {
            let path = m.config.path().display().to_string();
            return match m.config.load() {
                Err(e) => {
                    esay!("error: {e}");
                    Ok(ExitCode::from(2))
                }
                Ok(loaded) if !loaded.exists => {
                    say!("{path}: no profiles file yet (the window opens the demo)");
                    Ok(ExitCode::SUCCESS)
                }
                Ok(loaded) if loaded.warnings.is_empty() => {
                    say!("{path}: ok ({} profile(s))", loaded.file.profiles.len());
                    Ok(ExitCode::SUCCESS)
                }
                Ok(loaded) => {
                    for w in &loaded.warnings {
                        esay!("warning: {w}");
                    }
                    Ok(ExitCode::from(1))
                }
            };
        }
        ProfileCmd::Remove { name } => {
            m.get(&name)?;
            let status = m.keyring.status(&name)?;
            let set: Vec<&str> = status
                .iter()
                .filter(|(_, s)| s.is_set())
                .map(|(k, _)| k.as_str())
                .collect();
            if set.is_empty() {
                say!("profile {name} has no keyring entries");
            } else {
                say!(
                    "deleting the keyring entries of profile {name}: {} (service {SERVICE})",
                    set.join(", ")
                );
            }
            let removed = m.remove(&name)?;
            for k in &removed.deleted_secrets {
                say!("deleted keyring entry {name}:{k}");
            }
            say!("profile {name} removed from {}", m.config.path().display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Reads a secret from stdin: hidden when it is a terminal; otherwise all
/// of stdin with one trailing newline dropped.
fn read_secret_from_stdin(profile: &str, key: SecretKey) -> anyhow::Result<String> {
    use std::io::{IsTerminal, Read};
    if std::io::stdin().is_terminal() {
        eprint!("{key} for profile {profile} (input hidden, Enter to finish): ");
        let v = rpassword::read_password().context("cannot read from the terminal")?;
        return Ok(v);
    }
    let mut v = String::new();
    std::io::stdin()
        .read_to_string(&mut v)
        .context("cannot read the secret from stdin (is it UTF-8?)")?;
    if v.ends_with('\n') {
        v.pop();
        if v.ends_with('\r') {
            v.pop();
        }
    }
    Ok(v)
}

pub(super) fn run_secrets(m: &ProfileManager, cmd: SecretsCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        SecretsCmd::Set { profile, key } => {
            m.get(&profile)?;
            m.keyring.availability()?;
            let raw = read_secret_from_stdin(&profile, key)?;
            let warnings = m.set_secret(&profile, key, &raw)?;
            for w in &warnings {
                esay!("warning: {w}");
            }
            say!("{key} of profile {profile} stored in the OS keyring (read back and checked)");
        }
        SecretsCmd::List { profile, json } => {
            let status = m.secret_status(&profile)?;
            if json {
                let map: serde_json::Map<String, serde_json::Value> = status
                    .iter()
                    .map(|(k, s)| (k.as_str().to_owned(), serde_json::json!(s.word())))
                    .collect();
                print::json(&map)?;
            } else {
                for (k, s) in &status {
                    say!("{k} {}", s.word());
                }
            }
        }
        SecretsCmd::Delete { profile, key } => {
            if m.delete_secret(&profile, key)? {
                say!("{key} of profile {profile} deleted from the OS keyring");
            } else {
                say!("{key} of profile {profile} was not set; nothing to delete");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn run_test_connection(
    m: &ProfileManager,
    args: &TestConnectionArgs,
) -> anyhow::Result<ExitCode> {
    let results = super::runtime()?.block_on(m.test_all(&args.profile))?;
    let failed = results.iter().any(|r| r.outcome == Outcome::Failed);
    if args.json {
        let out = serde_json::json!({ "profile": args.profile, "ok": !failed, "results": results });
        print::json(&out)?;
    } else {
        print::test_results(&results);
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
