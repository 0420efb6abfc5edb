//! D1's notifications: to the issuer when an operation ends (Notify Card, Consumer or Digital
//! Card Operations), and to a merchant gateway when the issuer or D1 changed one of its tokens
//! (notify-update). Each is POSTed in the background, retried with backoff until it answers 2xx
//! or the attempts run out.

use std::time::Duration;

use serde_json::json;

use crate::tokens::DigitalCard;
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
        Self {
            http: client(),
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
        deliver(self.http.clone(), url, body);
    }
}

/// POSTs `body` to `url` in the background until it is taken.
fn deliver(http: reqwest::Client, url: String, body: serde_json::Value) {
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

/// What a merchant gateway is told about one of its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEvent {
    /// The issuer suspended it.
    Suspended,
    /// The issuer lifted its suspension.
    Resumed,
    /// The issuer, or D1 with its card, deleted it.
    Deleted,
}

/// Delivers notify-update calls to the merchant gateways' host.
#[derive(Clone)]
pub struct GatewayNotifier {
    http: reqwest::Client,
    base_url: String,
}

impl GatewayNotifier {
    /// A notifier posting to `base_url` (the gateways' host, e.g. `http://127.0.0.1:PORT`).
    pub fn new(base_url: &str) -> Self {
        Self {
            http: client(),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Tells `token`'s gateway of `event`, in the background.
    pub fn send(&self, token: &DigitalCard, event: TokenEvent, at: &str) {
        let (Some(gateway), Some(merchant)) = (&token.merchant_gateway_id, &token.merchant_id)
        else {
            return;
        };
        let path = wire::GATEWAY_NOTIFY_UPDATE
            .replace("{merchantGatewayId}", gateway)
            .replace("{merchantId}", merchant)
            .replace("{tokenId}", &token.digital_card_id);
        let body = json!({
            "tokenId": token.digital_card_id,
            "event": match event {
                TokenEvent::Suspended => "SUSPENDED",
                TokenEvent::Resumed => "RESUMED",
                TokenEvent::Deleted => "DELETED",
            },
            "status": token.state,
            "tokenExpiryDate": token.expiry_date,
            "eventTime": at,
        });
        deliver(self.http.clone(), format!("{}{path}", self.base_url), body);
    }
}

/// The HTTP client notifications go out with.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("HTTP client")
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
