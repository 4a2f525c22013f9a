//! A TCP proxy in front of the test PostgreSQL that can pass, refuse,
//! black-hole (accept and never answer) and cut connections mid-query: the
//! database's side of the fault matrix. It runs on its own thread and
//! runtime, so sync and async tests alike can use it.

use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does with connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward both ways.
    Pass,
    /// New connections are reset at once; open ones are reset too (the
    /// server went down).
    Refuse,
    /// New connections are accepted and never answered; open ones stop
    /// moving (a frozen server or a dropped route).
    BlackHole,
}

/// A running proxy; dropping it stops it.
pub struct FaultProxy {
    /// The local port to connect to.
    pub port: u16,
    mode: Arc<watch::Sender<Fault>>,
    cuts: Arc<watch::Sender<u64>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// A proxy to `127.0.0.1:upstream`, passing.
    pub fn start(upstream: u16) -> Self {
        let (mode, _) = watch::channel(Fault::Pass);
        let (cuts, _) = watch::channel(0u64);
        let (mode, cuts) = (Arc::new(mode), Arc::new(cuts));
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let (m, c) = (Arc::clone(&mode), Arc::clone(&cuts));
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("proxy runtime");
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                port_tx
                    .send(listener.local_addr().expect("addr").port())
                    .expect("port");
                let mut held = Vec::new();
                tokio::pin!(stopped);
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        accepted = listener.accept() => {
                            let Ok((client, _)) = accepted else { continue };
                            match *m.borrow() {
                                Fault::Refuse => {
                                    let _ = client.set_zero_linger();
                                    drop(client);
                                }
                                Fault::BlackHole => held.push(client),
                                Fault::Pass => {
                                    tokio::spawn(pipe(client, upstream, m.subscribe(), c.subscribe()));
                                }
                            }
                        }
                    }
                }
            });
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("proxy port");
        Self {
            port,
            mode,
            cuts,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// A proxy in front of the server of `url` (`…@host:port/db`), and
    /// the same URL through the proxy.
    pub fn in_front_of(url: &str) -> (Self, String) {
        let at = url.rfind('@').map_or(0, |i| i + 1);
        let rest = &url[at..];
        let host = &rest[..rest.find('/').unwrap_or(rest.len())];
        let port: u16 = host
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url}"));
        let proxy = Self::start(port);
        let through = proxy.url(url);
        (proxy, through)
    }

    /// A URL like `url` with its port replaced by the proxy's.
    pub fn url(&self, url: &str) -> String {
        let at = url.rfind('@').map_or(0, |i| i + 1);
        let (head, rest) = url.split_at(at);
        let host_end = rest.find('/').unwrap_or(rest.len());
        let host = rest[..host_end]
            .rsplit_once(':')
            .map_or(&rest[..host_end], |(h, _)| h);
        format!("{head}{host}:{}{}", self.port, &rest[host_end..])
    }

    /// Switches what happens to new and open connections.
    pub fn set(&self, fault: Fault) {
        self.mode.send_replace(fault);
    }

    /// Resets every open connection now (mid-query, mid-transaction).
    pub fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.set(Fault::Refuse);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Forwards one connection until either side closes, the mode refuses, or a
/// cut; black-holed, it holds both sides open and moves nothing.
async fn pipe(
    mut client: TcpStream,
    upstream: u16,
    mut mode: watch::Receiver<Fault>,
    mut cuts: watch::Receiver<u64>,
) {
    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)).await else {
        let _ = client.set_zero_linger();
        return;
    };
    let (mut a, mut b) = ([0u8; 8192], [0u8; 8192]);
    loop {
        let fault = *mode.borrow_and_update();
        match fault {
            Fault::Refuse => break,
            Fault::BlackHole => {
                tokio::select! {
                    changed = mode.changed() => if changed.is_err() { break },
                    _ = cuts.changed() => break,
                }
                continue;
            }
            Fault::Pass => {}
        }
        tokio::select! {
            n = client.read(&mut a) => match n {
                Ok(0) | Err(_) => return,
                Ok(n) => if server.write_all(&a[..n]).await.is_err() { return },
            },
            n = server.read(&mut b) => match n {
                Ok(0) | Err(_) => return,
                Ok(n) => if client.write_all(&b[..n]).await.is_err() { return },
            },
            changed = mode.changed() => if changed.is_err() { break },
            _ = cuts.changed() => break,
        }
    }
    let _ = client.set_zero_linger();
    let _ = server.set_zero_linger();
}
