//! A notification service for tests: owns `org.freedesktop.Notifications`
//! on a bus and records every `Notify` call (the real `notify-rust` client
//! talks to it as to a desktop's).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The object path of the service.
pub const PATH: &str = "/org/freedesktop/Notifications";
/// The bus name of the service.
pub const NAME: &str = "org.freedesktop.Notifications";

/// One recorded `Notify` call.
#[derive(Clone, Debug)]
pub struct Call {
    pub id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: String,
    pub actions: Vec<String>,
    pub at: std::time::Instant,
}

struct Recorder {
    calls: Arc<Mutex<Vec<Call>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Recorder {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut calls = self.calls.lock().unwrap();
        let id = calls.len() as u32 + 1;
        calls.push(Call {
            id,
            app_name,
            summary,
            body,
            actions,
            at: std::time::Instant::now(),
        });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_owned(), "actions".to_owned()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "recorder".to_owned(),
            "test".to_owned(),
            "1".to_owned(),
            "1.2".to_owned(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

/// The service, running until dropped.
pub struct Service {
    pub connection: zbus::blocking::Connection,
    pub calls: Arc<Mutex<Vec<Call>>>,
}

impl Service {
    /// Owns the name on the bus at `address`.
    pub fn start(address: &str) -> Self {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let connection = zbus::blocking::connection::Builder::address(address)
            .unwrap()
            .name(NAME)
            .unwrap()
            .serve_at(
                PATH,
                Recorder {
                    calls: Arc::clone(&calls),
                },
            )
            .unwrap()
            .build()
            .expect("own org.freedesktop.Notifications");
        Self { connection, calls }
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// Waits up to 20 s for a call whose summary starts with `prefix`.
    pub fn wait_for(&self, prefix: &str) -> Call {
        let start = std::time::Instant::now();
        loop {
            if let Some(c) = self
                .calls()
                .into_iter()
                .find(|c| c.summary.starts_with(prefix))
            {
                return c;
            }
            assert!(
                start.elapsed() < std::time::Duration::from_secs(20),
                "no notification {prefix:?}: {:#?}",
                self.calls()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Clicks notification `id` (its default action), as a desktop does.
    pub fn click(&self, id: u32) {
        self.connection
            .emit_signal(
                None::<zbus::names::BusName<'_>>,
                PATH,
                NAME,
                "ActionInvoked",
                &(id, "default"),
            )
            .unwrap();
    }
}

/// A private session bus for this test process only.
pub struct Bus {
    daemon: std::process::Child,
    /// Its address (for `DBUS_SESSION_BUS_ADDRESS`).
    pub address: String,
}

impl Bus {
    /// Starts `dbus-daemon --session` on a private address.
    pub fn start() -> Self {
        use std::io::BufRead as _;
        use std::process::{Command, Stdio};
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon (apt: dbus-daemon)");
        let mut line = String::new();
        std::io::BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("the bus address");
        Self {
            daemon,
            address: line.trim().to_owned(),
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
