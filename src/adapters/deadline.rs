//! Every call is bounded: [`within`] runs a future with a deadline and says
//! which of the two ended it.

use std::future::Future;
use std::time::Duration;

/// A bounded call that did not succeed: it failed, or it did not answer in time.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Bounded<E> {
    /// It answered with an error.
    #[error("{0}")]
    Failed(E),
    /// It did not answer within the deadline.
    #[error("{what} did not answer within {secs} s")]
    TimedOut {
        /// What was waited for, for people ("the database").
        what: String,
        /// The deadline in seconds.
        secs: u64,
    },
}

/// Runs `fut` with a deadline of `timeout`.
pub async fn within<T, E>(
    timeout: Duration,
    what: &str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, Bounded<E>> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Bounded::Failed(e)),
        Err(_) => Err(Bounded::TimedOut {
            what: what.to_owned(),
            secs: timeout.as_secs(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn says_which_ended_it() {
        let ok: Result<u8, Bounded<String>> =
            within(Duration::from_secs(1), "x", async { Ok::<_, String>(1) }).await;
        assert_eq!(ok, Ok(1));
        let failed = within(Duration::from_secs(1), "x", async {
            Err::<u8, _>("refused".to_owned())
        })
        .await;
        assert_eq!(failed.unwrap_err().to_string(), "refused");
        let slow = within(Duration::from_millis(10), "the database", async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok::<u8, String>(1)
        })
        .await;
        assert_eq!(
            slow.unwrap_err().to_string(),
            "the database did not answer within 0 s"
        );
    }
}
