//! D1's notifications to the issuer: when an operation ends, Notify Card Operations or Notify
//! Consumer Operations is POSTed to the issuer's receiver, retried with backoff until it answers
//! 2xx or the attempts run out.

use std::time::Duration;

use serde_json::json;

use crate::wire;
use crate::world::Operation;

/// Waits before each attempt after the first: 0.1 s, 0.2 s, 0.4 s, … (8 attempts in all).
const BACKOFF: [u64; 7] = [100, 200, 400, 800, 1600, 3200, 6400];

/// Delivers notifications to one receiver.
#[derive(Clone)]
pub struct Notifier {
    http: reqwest::Client,
    base_url: String,
    issuer_id: String,
}

impl Notifier {
    /// A notifier posting to `base_url` (the issuer's notification host, e.g. `http://127.0.0.1:PORT`).
    pub fn new(base_url: &str, issuer_id: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("HTTP client");
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            issuer_id: issuer_id.to_owned(),
        }
    }

    /// Sends the notification of the ended `operation` in the background.
    pub fn send(&self, operation: &Operation) {
        let action = &operation.action;
        let (path, body) = match (
            action.card_id(),
            action.consumer_id(),
            action.digital_card_id(),
        ) {
            (Some(card), _, _) => (
                wire::NOTIFY_CARDS.to_owned(),
                listed(operation, "cardId", card),
            ),
            (None, Some(consumer), _) => (
                wire::NOTIFY_CONSUMERS.to_owned(),
                listed(operation, "consumerId", consumer),
            ),
            (None, None, Some(token)) => (
                wire::NOTIFY_DIGITAL_CARD.replace("{digitalCardId}", token),
                json!({
                    "operationId": operation.operation_id,
                    "operation": operation.operation,
                    "status": operation.status,
                }),
            ),
            (None, None, None) => return,
        };
        let url = format!(
            "{}{}",
            self.base_url,
            path.replace("{issuerId}", &self.issuer_id)
        );
        let http = self.http.clone();
        tokio::spawn(async move {
            for (attempt, wait) in std::iter::once(0).chain(BACKOFF).enumerate() {
                tokio::time::sleep(Duration::from_millis(wait)).await;
                match http.post(&url).json(&body).send().await {
                    Ok(response) if response.status().is_success() => return,
                    Ok(response) => {
                        tracing::info!(attempt, status = %response.status(), %url, "notification refused")
                    }
                    Err(error) => {
                        tracing::info!(attempt, %error, %url, "notification not delivered")
                    }
                }
            }
            tracing::warn!(%url, "notification given up after {} attempts", BACKOFF.len() + 1);
        });
    }
}

/// Notify Card or Consumer Operations' body: `operation` in a list, naming its `key` `id`.
fn listed(operation: &Operation, key: &str, id: &str) -> serde_json::Value {
    json!({ "operations": [{
        "operationId": operation.operation_id,
        "operation": operation.operation,
        "status": operation.status,
        "startTime": operation.start_time,
        key: id,
    }]})
}
