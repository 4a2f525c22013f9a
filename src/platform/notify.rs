//! Desktop notifications through the platform's own service (`notify-rust`:
//! the freedesktop notification service over D-Bus on Linux, the
//! notification centre on macOS and Windows).
//!
//! The window never waits on it: notices go to a thread of their own, which
//! shows them; on Linux a bounded number of waiters listen for a click and
//! hand the screen to open back to the window, which then focuses itself.

use crate::core::notice::{Notice, Screen};
use crate::platform::desktop::APP_ID;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};

/// How many notifications are followed for a click at once (each waits on
/// its own D-Bus connection until it is clicked or closed).
const MAX_WAITING: usize = 8;

/// How long a notification stays on screen (the service may ignore it).
const SHOWN_FOR_MS: u32 = 60_000;

/// The window's end of the desktop notifications.
pub struct Desktop {
    /// Where notices go (`None` = off: nothing is shown).
    tx: Option<mpsc::Sender<Notice>>,
    /// The screens clicked notifications asked for.
    clicks: mpsc::Receiver<Screen>,
}

impl Desktop {
    /// Notifications off: notices are dropped.
    pub fn off() -> Self {
        let (_, clicks) = mpsc::channel();
        Self { tx: None, clicks }
    }

    /// Starts the thread that shows notices; `wake` is called after a click
    /// so the window handles it at once.
    pub fn spawn(wake: Arc<dyn Fn() + Send + Sync>) -> Self {
        let (tx, rx) = mpsc::channel::<Notice>();
        let (click_tx, clicks) = mpsc::channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        let started = std::thread::Builder::new()
            .name("notifications".to_owned())
            .spawn(move || {
                for notice in rx {
                    show(&notice, &click_tx, &wake, &waiting);
                }
            });
        match started {
            Ok(_) => Self {
                tx: Some(tx),
                clicks,
            },
            Err(e) => {
                tracing::warn!("desktop notifications are off: no thread for them ({e})");
                Self::off()
            }
        }
    }

    /// Whether notices are shown.
    pub fn is_on(&self) -> bool {
        self.tx.is_some()
    }

    /// Shows a notice (never blocks; an error is logged, once per notice).
    pub fn notify(&self, notice: Notice) {
        if let Some(tx) = &self.tx {
            tracing::info!(
                "notification ({}): {}",
                notice.kind.name(),
                crate::core::text::printable(&notice.title)
            );
            if tx.send(notice).is_err() {
                tracing::warn!("desktop notifications stopped: the thread that shows them is gone");
            }
        }
    }

    /// The screen a clicked notification asked for, if one was clicked.
    pub fn clicked(&self) -> Option<Screen> {
        self.clicks.try_recv().ok()
    }
}

fn show(
    notice: &Notice,
    clicks: &mpsc::Sender<Screen>,
    wake: &Arc<dyn Fn() + Send + Sync>,
    waiting: &Arc<AtomicUsize>,
) {
    let mut n = notify_rust::Notification::new();
    // The freedesktop service may read a body as markup: a tenant's
    // workspace name must show as text. The other platforms show text.
    #[cfg(all(unix, not(target_os = "macos")))]
    let body = crate::core::text::markup_escaped(&notice.body);
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    let body = std::borrow::Cow::Borrowed(notice.body.as_str());
    n.appname("rollout-panel")
        .summary(&notice.title)
        .body(&body)
        .icon(APP_ID)
        .action("default", "Open the panel")
        .timeout(notify_rust::Timeout::Milliseconds(SHOWN_FOR_MS));
    #[cfg(all(unix, not(target_os = "macos")))]
    n.hint(notify_rust::Hint::DesktopEntry(APP_ID.to_owned()));
    let handle = match n.show() {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(
                "a desktop notification could not be shown ({}): {e}",
                notice.kind.name()
            );
            return;
        }
    };
    follow_click(handle, notice.screen, clicks, wake, waiting);
}

/// Waits (on a thread of its own, at most [`MAX_WAITING`] at once) for the
/// notification to be clicked, and hands its screen to the window.
#[cfg(all(unix, not(target_os = "macos")))]
fn follow_click(
    handle: notify_rust::NotificationHandle,
    screen: Screen,
    clicks: &mpsc::Sender<Screen>,
    wake: &Arc<dyn Fn() + Send + Sync>,
    waiting: &Arc<AtomicUsize>,
) {
    if waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
        waiting.fetch_sub(1, Ordering::SeqCst);
        tracing::debug!("a notification is shown without following its click (too many open)");
        return;
    }
    let (clicks, wake, counter) = (clicks.clone(), Arc::clone(wake), Arc::clone(waiting));
    let spawned = std::thread::Builder::new()
        .name("notification-click".to_owned())
        .spawn(move || {
            handle.wait_for_action(|action| {
                if action == "default" && clicks.send(screen).is_ok() {
                    wake();
                }
            });
            counter.fetch_sub(1, Ordering::SeqCst);
        });
    if let Err(e) = spawned {
        waiting.fetch_sub(1, Ordering::SeqCst);
        tracing::debug!("a notification's click is not followed: {e}");
    }
}

/// Elsewhere the notification centre opens the application itself.
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn follow_click<H>(
    _handle: H,
    _screen: Screen,
    _clicks: &mpsc::Sender<Screen>,
    _wake: &Arc<dyn Fn() + Send + Sync>,
    _waiting: &Arc<AtomicUsize>,
) {
}
