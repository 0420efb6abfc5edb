//! Each fault switch, set at run time through the admin endpoint, and aimed per endpoint.

mod support;

use std::time::{Duration, Instant};

use d1_sandbox::SandboxConfig;
use d1_sandbox::faults::{Endpoint, Fault};
use serde_json::{Value, json};
use support::*;

fn profiles_of(record: &Value) -> String {
    format!(
        "/consumers/{}/clickToPayProfiles",
        record["consumerId"].as_str().unwrap()
    )
}

#[tokio::test]
async fn the_admin_endpoint_needs_the_admin_token() {
    let h = start(Duration::ZERO).await;
    let url = format!("{}/faults", h.sandbox.admin_url());
    assert_eq!(h.http.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(
        h.http
            .get(&url)
            .bearer_auth(&h.token)
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "a D1 token is not enough"
    );
    let admin = &h.sandbox.credentials().admin_token;
    assert_eq!(
        h.http
            .get(&url)
            .bearer_auth(admin)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap(),
        json!([])
    );
    let bad = h
        .http
        .put(&url)
        .bearer_auth(admin)
        .body(r#"[{"noSuchSwitch": true}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    h.set_faults(json!([{"endpoints": ["profiles"], "errorRate": 1.0}]))
        .await;
    assert_eq!(h.get(&profiles_of(&h.seeded("ok").await)).await.0, 500);
    assert_eq!(
        h.http
            .delete(&url)
            .bearer_auth(admin)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        h.get(&profiles_of(&h.seeded("ok").await)).await.0,
        200,
        "back to normal"
    );
}

#[tokio::test]
async fn latency_errors_and_rate_limits_hit_only_the_chosen_endpoints() {
    let h = start(Duration::ZERO).await;
    let record = h.seeded("ok").await;
    let card = record["cards"][0]["cardId"].as_str().unwrap();
    // The delay is long enough that an unslowed call on a busy machine stays well under it.
    h.set_faults(json!([{"endpoints": ["profiles"], "latencyMs": 1000, "jitterMs": 50}]))
        .await;
    let started = Instant::now();
    assert_eq!(h.get(&profiles_of(&record)).await.0, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
    let started = Instant::now();
    assert_eq!(h.get(&format!("/cards/{card}/operations")).await.0, 200);
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "other endpoints are not slowed: {:?}",
        started.elapsed()
    );

    h.set_faults(json!([{"endpoints": ["profiles"], "errorRate": 1.0, "errorStatus": 503}]))
        .await;
    assert_eq!(h.get(&profiles_of(&record)).await.0, 503);
    assert_eq!(h.get(&format!("/cards/{card}/operations")).await.0, 200);

    h.set_faults(json!([{"endpoints": ["optOutCard"], "rateLimitRate": 1.0, "retryAfterS": 7}]))
        .await;
    let response = h
        .http
        .post(h.url(&format!("/cards/{card}/operations:clickToPayOptOut")))
        .bearer_auth(&h.token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    assert!(
        h.get(&format!("/cards/{card}/operations")).await.1["operations"]
            .as_array()
            .unwrap()
            .is_empty(),
        "a 429 applies nothing"
    );

    h.set_faults(json!([{"errorRate": 0.5}])).await;
    let mut failures = 0;
    for _ in 0..60 {
        if h.get(&profiles_of(&record)).await.0 == 500 {
            failures += 1;
        }
    }
    assert!(
        (10..=50).contains(&failures),
        "about half fail: {failures}/60"
    );
}

#[tokio::test]
async fn one_directory_can_fail_while_the_other_answers() {
    let h = start(Duration::ZERO).await;
    let mut record = h.seeded("onenet").await;
    for slug in ["ok", "email", "phone", "address"] {
        let candidate = h.seeded(slug).await;
        if h.schemes(candidate["consumerId"].as_str().unwrap())
            .await
            .len()
            == 2
        {
            record = candidate;
            break;
        }
    }
    assert_eq!(
        h.schemes(record["consumerId"].as_str().unwrap())
            .await
            .len(),
        2,
        "a consumer in both directories"
    );
    h.set_faults(json!([{"endpoints": ["profiles"], "failingDirectory": "VISA"}]))
        .await;
    let (status, body) = h.get(&profiles_of(&record)).await;
    assert_eq!(status, 200);
    let schemes: Vec<&str> = body["clickToPayProfiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["scheme"].as_str().unwrap())
        .collect();
    assert_eq!(schemes, ["MASTERCARD"]);
    assert_eq!(
        body["errors"],
        json!([{"scheme": "VISA", "errorCode": "DIRECTORY_UNAVAILABLE", "error": "the directory did not answer"}])
    );
}

#[tokio::test]
async fn a_write_can_be_applied_and_its_answer_lost() {
    let h = start(Duration::ZERO).await;
    let record = h.seeded("ok").await;
    let card = record["cards"][0]["cardId"].as_str().unwrap();
    h.set_faults(json!([{"endpoints": ["optOutCard"], "dropAfterApply": true}]))
        .await;
    let sent = h
        .http
        .post(h.url(&format!("/cards/{card}/operations:clickToPayOptOut")))
        .bearer_auth(&h.token)
        .json(&json!({}))
        .send()
        .await;
    assert!(sent.is_err(), "no answer: {sent:?}");
    // A new connection: the dropped one took its HTTP/2 session with it.
    let fresh = client(
        h.sandbox.credentials(),
        Some((
            &h.sandbox.credentials().client_chain_pem,
            &h.sandbox.credentials().client_key_pem,
        )),
    );
    let response = fresh
        .get(h.url(&format!("/cards/{card}/operations")))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    let list: Value = response.json().await.unwrap();
    assert_eq!(
        list["operations"][0]["status"], "SUCCESSFUL",
        "the write was applied: {list}"
    );
}

#[tokio::test]
async fn malformed_and_oversized_answers() {
    let h = start(Duration::ZERO).await;
    let path = profiles_of(&h.seeded("ok").await);
    h.set_faults(json!([{"endpoints": ["profiles"], "malformedBody": true}]))
        .await;
    let response = h
        .http
        .get(h.url(&path))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(serde_json::from_slice::<Value>(&response.bytes().await.unwrap()).is_err());

    let size: u64 = 60 * 1024 * 1024;
    h.set_faults(json!([{"endpoints": ["profiles"], "oversizedBodyBytes": size}]))
        .await;
    let response = h
        .http
        .get(h.url(&path))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut response = response;
    let mut received: u64 = 0;
    while let Some(chunk) = response.chunk().await.unwrap() {
        received += chunk.len() as u64;
    }
    assert_eq!(received, size);
}

#[tokio::test]
async fn revoked_tokens_stop_working_and_new_ones_do() {
    let h = start(Duration::ZERO).await;
    let path = profiles_of(&h.seeded("ok").await);
    let admin = &h.sandbox.credentials().admin_token;
    let revoke = h
        .http
        .post(format!("{}/tokens:revoke", h.sandbox.admin_url()))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), 204);
    assert_eq!(h.get(&path).await.0, 401);
    let token = fetch_token(&h.http, &h.sandbox).await;
    let response = h
        .http
        .get(h.url(&path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn operations_can_stay_pending_and_faults_can_be_set_at_start_up() {
    let stuck = Fault {
        endpoints: vec![Endpoint::OptOutCard],
        stuck_pending: true,
        ..Fault::default()
    };
    let h = start_with(SandboxConfig {
        op_delay: Duration::from_millis(20),
        consumers: 20,
        faults: vec![stuck],
        ..SandboxConfig::default()
    })
    .await;
    let record = h.seeded("ok").await;
    let card = record["cards"][0]["cardId"].as_str().unwrap();
    assert_eq!(
        h.post(
            &format!("/cards/{card}/operations:clickToPayOptOut"),
            json!({})
        )
        .await
        .1["status"],
        "PENDING"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        h.get(&format!("/cards/{card}/operations")).await.1["operations"][0]["status"],
        "PENDING"
    );
    let consumer = record["consumerId"].as_str().unwrap();
    let (_, op) = h
        .post(
            &format!("/consumers/{consumer}/operations:clickToPayOptOut"),
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_, list) = h.get(&format!("/consumers/{consumer}/operations")).await;
    assert_eq!(
        (
            list["operations"][0]["operationId"].clone(),
            list["operations"][0]["status"].as_str()
        ),
        (op["operationId"].clone(), Some("SUCCESSFUL")),
        "other endpoints still end"
    );
}
