//! Notifications to the issuer: delivery of card and consumer operations, and retry with backoff
//! while the receiver fails.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use d1_sandbox::SandboxConfig;
use serde_json::{Value, json};
use support::*;

/// A receiver that refuses the first `fail_first` requests with 503, then accepts with 204.
#[derive(Default)]
struct Receiver {
    fail_first: usize,
    attempts: usize,
    delivered: Vec<(String, Value)>,
}

async fn receive(
    State(receiver): State<Arc<Mutex<Receiver>>>,
    Path((_, _, kind)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> StatusCode {
    delivered(&receiver, kind, body)
}

/// Notify Digital Card Operation, noted as kind `digitalCards/{digitalCardId}`.
async fn receive_token(
    State(receiver): State<Arc<Mutex<Receiver>>>,
    Path((_, _, token)): Path<(String, String, String)>,
    Json(body): Json<Value>,
) -> StatusCode {
    delivered(&receiver, format!("digitalCards/{token}"), body)
}

fn delivered(receiver: &Mutex<Receiver>, kind: String, body: Value) -> StatusCode {
    let mut receiver = receiver.lock().unwrap();
    receiver.attempts += 1;
    if receiver.attempts <= receiver.fail_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    receiver.delivered.push((kind, body));
    StatusCode::NO_CONTENT
}

async fn receiver(fail_first: usize) -> (String, Arc<Mutex<Receiver>>) {
    let state = Arc::new(Mutex::new(Receiver {
        fail_first,
        ..Receiver::default()
    }));
    let app = axum::Router::new()
        .route(
            "/notifications/d1/{version}/issuers/{issuer}/{kind}",
            post(receive),
        )
        .route(
            "/notifications/d1/{version}/issuers/{issuer}/digitalCards/{token}/notifications",
            post(receive_token),
        )
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

async fn wait_for(state: &Mutex<Receiver>, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while state.lock().unwrap().delivered.len() < count {
        assert!(
            Instant::now() < deadline,
            "{count} notification(s) expected, got {}",
            state.lock().unwrap().delivered.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn ended_operations_are_notified_and_retried_until_delivered() {
    let (url, state) = receiver(2).await;
    let config = SandboxConfig {
        op_delay: Duration::from_millis(50),
        consumers: 40,
        notify_url: Some(url),
        ..SandboxConfig::default()
    };
    let h = start_with(config).await;
    let record = h.seeded("ok").await;
    let card = record["cards"][0]["cardId"].as_str().unwrap();
    let (_, op) = h
        .post(
            &format!("/cards/{card}/operations:clickToPayOptOut"),
            json!({}),
        )
        .await;
    wait_for(&state, 1).await;
    {
        let receiver = state.lock().unwrap();
        assert_eq!(receiver.attempts, 3, "two refusals, then delivered");
        let (kind, body) = &receiver.delivered[0];
        assert_eq!(kind, "cards");
        let notified = &body["operations"][0];
        assert_eq!(notified["operationId"], op["operationId"]);
        assert_eq!(
            (notified["cardId"].as_str(), notified["status"].as_str()),
            (Some(card), Some("SUCCESSFUL"))
        );
        assert_eq!(notified["operation"], "CLICK_TO_PAY_OPT_OUT");
        assert!(notified["startTime"].is_string());
    }
    let consumer = h.seeded("phone").await;
    let consumer_id = consumer["consumerId"].as_str().unwrap();
    h.post(
        &format!("/consumers/{consumer_id}/operations:clickToPayOptOut"),
        json!({}),
    )
    .await;
    wait_for(&state, 2).await;
    let receiver = state.lock().unwrap();
    let (kind, body) = &receiver.delivered[1];
    assert_eq!(
        (kind.as_str(), body["operations"][0]["consumerId"].as_str()),
        ("consumers", Some(consumer_id))
    );
    assert_eq!(
        receiver.delivered.len(),
        2,
        "each operation is delivered once"
    );
}

#[tokio::test]
async fn operations_that_end_at_once_are_notified_too() {
    let (url, state) = receiver(0).await;
    let config = SandboxConfig {
        op_delay: Duration::ZERO,
        consumers: 20,
        notify_url: Some(url),
        ..SandboxConfig::default()
    };
    let h = start_with(config).await;
    let record = h.seeded("ok").await;
    let card = record["cards"][0]["cardId"].as_str().unwrap();
    let (_, op) = h
        .post(
            &format!("/cards/{card}/operations:clickToPayOptOut"),
            json!({}),
        )
        .await;
    assert_eq!(op["status"], "SUCCESSFUL");
    wait_for(&state, 1).await;
    assert_eq!(
        state.lock().unwrap().delivered[0].1["operations"][0]["operationId"],
        op["operationId"]
    );
}

#[tokio::test]
async fn a_digital_card_s_ended_operation_is_notified_to_the_issuer() {
    let (url, state) = receiver(1).await;
    let config = SandboxConfig {
        op_delay: Duration::from_millis(20),
        consumers: 40,
        notify_url: Some(url),
        ..SandboxConfig::default()
    };
    let h = start_with(config).await;
    let population = d1_sandbox::seed::generate(1, 40);
    let token = d1_sandbox::tokens::generate(1, &population)
        .into_values()
        .find(|t| t.state == d1_sandbox::tokens::TokenState::Active)
        .unwrap();
    let id = &token.digital_card_id;
    let (_, op) = h
        .post(&format!("/digitalCards/{id}/operations:suspend"), json!({}))
        .await;
    wait_for(&state, 1).await;
    let receiver = state.lock().unwrap();
    let (kind, body) = &receiver.delivered[0];
    assert_eq!(kind, &format!("digitalCards/{id}"));
    assert_eq!(
        body,
        &json!({"operationId": op["operationId"], "operation": "SUSPEND", "status": "SUCCESSFUL"})
    );
}
