//! The window (egui only): the eframe app, the one list of user actions, and
//! the panels. It draws the worker's snapshot and returns commands; it never
//! waits on IO and never imports the command line.

pub mod alerts;
pub mod app;
pub mod command;
pub mod fonts;
pub mod panels;

use crate::adapters::clock::SystemClock;
use crate::adapters::config::ConfigStore;
use crate::adapters::secrets::Keyring;
use crate::core::profile::DEMO_PROFILE;
use crate::ops::profiles::ProfileManager;
use crate::platform::paths::Paths;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// How the window opens.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Seconds between automatic refreshes (default: the profile's, else 2 for the demo).
    pub refresh_secs: Option<u64>,
    /// Open this profile (default: the one chosen last, else the demo).
    pub profile: Option<String>,
    /// How fast the demo's clock runs (`--speed`; the demo profile only).
    pub speed: Option<f64>,
}

/// Opens the window and runs it until it is closed.
pub fn run(paths: &Paths, args: &Options) -> anyhow::Result<ExitCode> {
    let launcher = app::Launcher {
        paths: paths.clone(),
        manager: ProfileManager {
            config: ConfigStore::new(&paths.config_dir),
            keyring: Keyring::native(),
        },
        clock: Arc::new(SystemClock),
        read_timeout: Duration::from_secs(15),
        auto_refresh: true,
        refresh_override: args.refresh_secs,
        demo_speed: args.speed.unwrap_or(1.0),
    };
    // A malformed profiles file must not keep the panel from opening: the
    // demo opens and the window says what is wrong with the file.
    let file = match launcher.manager.config.load() {
        Ok(loaded) => {
            for w in &loaded.warnings {
                tracing::warn!("{w}");
            }
            Some(loaded.file)
        }
        Err(e) if args.profile.is_none() => {
            tracing::warn!("{e}; opening the demo");
            None
        }
        Err(e) => return Err(e.into()),
    };
    let name = match (&args.profile, &file) {
        (Some(n), _) if n == DEMO_PROFILE => n.clone(),
        (Some(n), Some(f)) => {
            f.get(n).map_err(anyhow::Error::msg)?;
            n.clone()
        }
        (_, Some(f)) => f.startup_profile(),
        (_, None) => DEMO_PROFILE.to_owned(),
    };
    // Without a usable keyring a profile cannot connect: open the demo and say
    // why (unless the profile was asked for by name).
    let mut notice = None;
    let name = match launcher.manager.keyring.availability() {
        Err(e) if args.profile.is_none() && name != DEMO_PROFILE => {
            let text = format!("opened the demo instead of profile {name}: {e}");
            tracing::warn!("{text}");
            notice = Some(text);
            DEMO_PROFILE.to_owned()
        }
        _ => name,
    };
    if let Some(crash) = crate::platform::diagnostics::LAST_CRASH.get() {
        notice = Some(match notice {
            Some(n) => format!("{n}; {crash}"),
            None => crash.clone(),
        });
    }
    if args.speed.is_some_and(|s| s != 1.0) && name != DEMO_PROFILE {
        anyhow::bail!(
            "--speed runs the demo world's clock faster; profile {name} is not the demo and always runs on the wall clock (open it without --speed, or add --profile demo)"
        );
    }
    // One window per profile: a second one is refused before it opens.
    let instance = crate::platform::instance::lock(paths, &name).map_err(anyhow::Error::msg)?;
    let profile = file.as_ref().and_then(|f| f.profiles.get(&name));
    tracing::info!("opening profile {name}");
    let config = launcher.config_for(&name, profile);
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("rollout-panel")
        .with_app_id(crate::platform::desktop::APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([900.0, 560.0]);
    if let Some(icon) = crate::platform::desktop::window_icon() {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        persistence_path: Some(paths.data_dir.join("ui-state.ron")),
        // The app installs its own chain (system fonts, then a bundled CJK subset).
        system_font_fallback: false,
        ..Default::default()
    };
    eframe::run_native(
        "rollout-panel",
        options,
        Box::new(move |cc| {
            Ok(Box::new(
                app::App::new(cc, config, Some(launcher))
                    .with_notice(notice)
                    .with_instance_lock(instance)
                    .with_desktop_notifications(),
            ))
        }),
    )
    .map_err(|e| anyhow::anyhow!("the window could not be opened: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

pub use command::{AppCommand, MetricsWindow, Tab};

use egui::Color32;

/// Colours with meaning, readable on the dark and the light theme.
pub mod colors {
    use super::Color32;
    /// Good / pass.
    pub const OK: Color32 = Color32::from_rgb(60, 170, 90);
    /// Attention / warn.
    pub const WARN: Color32 = Color32::from_rgb(220, 150, 30);
    /// Failure / danger.
    pub const FAIL: Color32 = Color32::from_rgb(215, 60, 60);
    /// Unknown / neutral.
    pub const UNKNOWN: Color32 = Color32::from_rgb(140, 140, 140);
    /// The canary's series.
    pub const CANARY: Color32 = Color32::from_rgb(240, 170, 40);
    /// Every other workspace's series.
    pub const REST: Color32 = Color32::from_rgb(90, 150, 230);
}

/// A small filled circle in `color`, as a status light (painted: the default
/// fonts have no "●").
pub fn status_dot(ui: &mut egui::Ui, color: Color32) {
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size * 0.7, size), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), size * 0.3, color);
}

/// A small filled square in `color`, as a legend swatch.
pub fn swatch(ui: &mut egui::Ui, color: Color32) {
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size * 0.8, size), egui::Sense::hover());
    ui.painter().rect_filled(
        egui::Rect::from_center_size(rect.center(), egui::vec2(size * 0.6, size * 0.6)),
        2.0,
        color,
    );
}
