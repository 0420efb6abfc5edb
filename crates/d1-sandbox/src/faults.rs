//! Fault switches for the console's reliability tests. Off by default; set at start-up
//! ([`crate::SandboxConfig::faults`]) or at run time through the admin endpoint. Each rule names
//! the endpoints it applies to (all when empty); a profiles fault can also fail one directory.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::model::Scheme;

/// An endpoint a fault can be aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Endpoint {
    /// `POST /authz/v1/oauth2/token`.
    Token,
    /// Get consumer profiles.
    Profiles,
    /// Enrol a card.
    Enrol,
    /// Update a card.
    UpdateCard,
    /// Update a consumer.
    UpdateConsumer,
    /// Opt out a card.
    OptOutCard,
    /// Opt out a consumer.
    OptOutConsumer,
    /// The operation lists and the single operation.
    Operations,
    /// The issuer-records API.
    IssuerRecords,
    /// The digital-card reads: a card's list, one, and one's operations.
    DigitalCards,
    /// Suspend, resume or delete a digital card.
    DigitalCardWrites,
    /// A merchant gateway's reads of its tokens (eCom Enablement).
    GatewayTokens,
    /// A merchant gateway's tokenize and delete.
    GatewayWrites,
}

impl Endpoint {
    fn is_write(self) -> bool {
        matches!(
            self,
            Endpoint::Enrol
                | Endpoint::UpdateCard
                | Endpoint::UpdateConsumer
                | Endpoint::OptOutCard
                | Endpoint::OptOutConsumer
                | Endpoint::DigitalCardWrites
                | Endpoint::GatewayWrites
        )
    }
}

/// One fault rule. Every switch is off unless set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Fault {
    /// The endpoints this rule applies to; every endpoint when empty.
    pub endpoints: Vec<Endpoint>,
    /// Added latency, in milliseconds.
    pub latency_ms: u64,
    /// Up to this much more latency, at random.
    pub jitter_ms: u64,
    /// Share of requests (0 to 1) answered with `error_status` instead.
    pub error_rate: f64,
    /// The status of those errors: 500 (default) or 503.
    pub error_status: Option<u16>,
    /// Share of requests (0 to 1) answered 429 with `Retry-After: retry_after_s`.
    pub rate_limit_rate: f64,
    /// The `Retry-After` of those 429s, in seconds.
    pub retry_after_s: u64,
    /// A directory whose profiles fail while the others answer (a partial result).
    pub failing_directory: Option<Scheme>,
    /// Writes are applied, then the connection is dropped before the answer.
    pub drop_after_apply: bool,
    /// Answers 200 with a body that is not valid JSON.
    pub malformed_body: bool,
    /// Answers 200 with a body of this many bytes.
    pub oversized_body_bytes: u64,
    /// Writes stay PENDING for good.
    pub stuck_pending: bool,
}

impl Fault {
    fn applies_to(&self, endpoint: Endpoint) -> bool {
        self.endpoints.is_empty() || self.endpoints.contains(&endpoint)
    }
}

/// The fault rules in force.
#[derive(Default)]
pub struct Faults(std::sync::RwLock<Vec<Fault>>);

impl Faults {
    /// Replaces every rule.
    pub fn set(&self, rules: Vec<Fault>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = rules;
    }

    /// The rules in force.
    pub fn get(&self) -> Vec<Fault> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn for_endpoint(&self, endpoint: Endpoint) -> Vec<Fault> {
        self.get()
            .into_iter()
            .filter(|f| f.applies_to(endpoint))
            .collect()
    }

    /// The directory whose profiles fail, if a rule says so.
    pub fn failing_directory(&self) -> Option<Scheme> {
        self.for_endpoint(Endpoint::Profiles)
            .iter()
            .find_map(|f| f.failing_directory)
    }

    /// Whether writes to `endpoint` stay PENDING.
    pub fn stuck_pending(&self, endpoint: Endpoint) -> bool {
        self.for_endpoint(endpoint).iter().any(|f| f.stuck_pending)
    }
}

/// A body of `size` bytes sent in 64 KiB chunks, never held in memory at once.
fn oversized(size: u64) -> Response {
    const CHUNK: usize = 64 * 1024;
    let chunk = Bytes::from(vec![b' '; CHUNK]);
    let chunks = size.div_ceil(CHUNK as u64);
    let stream = futures_util::stream::iter((0..chunks).map(move |i| {
        let left = size - i * CHUNK as u64;
        Ok::<_, std::io::Error>(chunk.slice(..CHUNK.min(left as usize)))
    }));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Middleware applying the rules for `endpoint` to one request; `state` holds the rules in force.
pub async fn apply<S: AsRef<Faults>>(
    State((state, endpoint)): State<(Arc<S>, Endpoint)>,
    request: Request,
    next: Next,
) -> Response {
    let faults: &Faults = (*state).as_ref();
    let rules = faults.for_endpoint(endpoint);
    if rules.is_empty() {
        return next.run(request).await;
    }
    let latency: u64 = rules
        .iter()
        .map(|f| {
            f.latency_ms
                + if f.jitter_ms > 0 {
                    rand::rng().random_range(0..=f.jitter_ms)
                } else {
                    0
                }
        })
        .sum();
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    for rule in &rules {
        if rule.rate_limit_rate > 0.0 && rand::rng().random_bool(rule.rate_limit_rate.min(1.0)) {
            let body = serde_json::json!({ "error": "too many requests" }).to_string();
            let retry_after = rule.retry_after_s.to_string();
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, retry_after)],
                body,
            )
                .into_response();
        }
        if rule.error_rate > 0.0 && rand::rng().random_bool(rule.error_rate.min(1.0)) {
            let status = StatusCode::from_u16(rule.error_status.unwrap_or(500))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (
                status,
                axum::Json(serde_json::json!({ "error": "simulated failure" })),
            )
                .into_response();
        }
        if rule.malformed_body {
            return (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"clickToPayProfiles": [{"scheme": "VI"#,
            )
                .into_response();
        }
        if rule.oversized_body_bytes > 0 {
            return oversized(rule.oversized_body_bytes);
        }
    }
    let response = next.run(request).await;
    let drop = endpoint.is_write()
        && response.status().is_success()
        && rules.iter().any(|f| f.drop_after_apply);
    if drop {
        // The write is recorded; unwinding out of the connection's task closes it with no answer.
        // `resume_unwind` skips the panic hook, so this prints nothing.
        std::panic::resume_unwind(Box::new(
            "fault: connection dropped after the write was applied",
        ));
    }
    response
}
