//! Counters that let tests check what reached the sandbox: token requests, accepted
//! connections, and writes per card or consumer.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum_server::accept::Accept;

/// The live counters.
#[derive(Default)]
pub struct Stats {
    token_requests: AtomicU64,
    connections: AtomicU64,
    writes: Mutex<HashMap<String, u64>>,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Requests to the token endpoint.
    pub token_requests: u64,
    /// TCP connections accepted (each one a TLS handshake).
    pub connections: u64,
    /// Write requests that reached a handler, by card or consumer id.
    pub writes: HashMap<String, u64>,
}

impl Stats {
    /// Counts a token request.
    pub fn token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a write to `target` (a card or consumer id).
    pub fn write(&self, target: &str) {
        *self
            .writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(target.to_owned())
            .or_default() += 1;
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            token_requests: self.token_requests.load(Ordering::Relaxed),
            connections: self.connections.load(Ordering::Relaxed),
            writes: self
                .writes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }
}

/// An acceptor that counts connections, then hands them to `inner`.
#[derive(Clone)]
pub struct Counting<A> {
    /// The acceptor doing the work.
    pub inner: A,
    /// Where connections are counted.
    pub stats: Arc<Stats>,
}

impl<I, S, A> Accept<I, S> for Counting<A>
where
    A: Accept<I, S> + Clone + Send + 'static,
    A::Future: Send + 'static,
    I: Send + 'static,
    S: Send + 'static,
{
    type Stream = A::Stream;
    type Service = A::Service;
    type Future =
        Pin<Box<dyn Future<Output = std::io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        self.stats.connections.fetch_add(1, Ordering::Relaxed);
        Box::pin(self.inner.accept(stream, service))
    }
}
