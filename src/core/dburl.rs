//! Where a Postgres URL points — host, port, database, pooler, TLS mode —
//! parsed once for the input checks, the readiness rules and the status
//! line. Nothing here keeps or repeats the credentials.

/// Where a Postgres URL points, without credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbTarget {
    /// Host name (or socket directory, from a `host=` query).
    pub host: String,
    /// Port (5432 when not given).
    pub port: u16,
    /// Database name.
    pub database: String,
    /// `pgbouncer=true` or port 6543: a transaction-mode pooler.
    pub pooler: bool,
    /// The `sslmode` query parameter, if any.
    pub sslmode: Option<String>,
}

impl DbTarget {
    /// Parses a Postgres URL; the error never contains the URL.
    pub fn parse(value: &str) -> Result<Self, String> {
        let url =
            url::Url::parse(value).map_err(|e| format!("it does not parse as a URL ({e})"))?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(format!(
                "its scheme is {:?}, not postgres:// or postgresql://",
                url.scheme()
            ));
        }
        let query = |key: &str| {
            url.query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .or_else(|| query("host"))
            .ok_or("it has no host")?;
        let database = url.path().trim_start_matches('/').to_owned();
        if database.is_empty() {
            return Err("it names no database (the path after the host is empty)".to_owned());
        }
        let port = url.port().unwrap_or(5432);
        let pooler = port == 6543 || query("pgbouncer").as_deref() == Some("true");
        Ok(Self {
            host,
            port,
            database,
            pooler,
            sslmode: query("sslmode"),
        })
    }

    /// "host/database".
    pub fn label(&self) -> String {
        format!("{}/{}", self.host, self.database)
    }

    /// Whether the server is on this machine (loopback or a Unix socket),
    /// where TLS is not needed.
    pub fn is_local(&self) -> bool {
        let h = self.host.trim_start_matches('[').trim_end_matches(']');
        h == "localhost"
            || h == "::1"
            || h.starts_with('/')
            || h.parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}
