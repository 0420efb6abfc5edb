//! The access-token cache: one token reused until shortly before it expires, fetched
//! single-flight (concurrent callers wait for the one fetch in progress).

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::secret::Secret;

/// Refresh this long before the token expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

#[derive(Clone)]
struct Token {
    value: Secret,
    refresh_at: Instant,
}

/// The cache. Holding its lock while fetching makes the fetch single-flight.
#[derive(Default)]
pub struct TokenCache {
    current: Mutex<Option<Token>>,
}

impl TokenCache {
    /// The cached token, or a new one from `fetch` (which returns the token and its lifetime).
    pub async fn get<F, Fut, E>(&self, fetch: F) -> Result<Secret, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(Secret, Duration), E>>,
    {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref().filter(|t| t.refresh_at > Instant::now()) {
            return Ok(token.value.clone());
        }
        let (value, lifetime) = fetch().await?;
        let refresh_at = Instant::now() + lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2));
        *current = Some(Token {
            value: value.clone(),
            refresh_at,
        });
        Ok(value)
    }

    /// Forgets `stale` if it is still the cached token (D1 refused it).
    pub async fn invalidate(&self, stale: &Secret) {
        let mut current = self.current.lock().await;
        if current
            .as_ref()
            .is_some_and(|t| t.value.expose() == stale.expose())
        {
            *current = None;
        }
    }
}
