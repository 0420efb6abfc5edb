//! D1 eCom Enablement, the merchant gateways' side: a gateway's own credentials, its tokenize,
//! read and delete, what the issuer sees of it, notify-update to the gateway when the issuer or
//! D1 changes its token, and a card deleted with its tokens.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use d1_sandbox::SandboxConfig;
use d1_sandbox::gateway_client::GatewayClient;
use d1_sandbox::model::{AccountStatus, IssuerCard};
use d1_sandbox::tokens::{MERCHANTS, test_pan};
use serde_json::{Value, json};
use support::*;

/// The seeded population of the harness (seed 1, 60 consumers).
fn population() -> d1_sandbox::seed::Population {
    d1_sandbox::seed::generate(1, 60)
}

/// The first seeded card with status `status`.
fn card_with(status: AccountStatus) -> IssuerCard {
    population()
        .bank
        .values()
        .flat_map(|c| c.cards.clone())
        .find(|c| c.status == status)
        .expect("a seeded card of that status")
}

/// What reached a test server standing for the gateways' host or the issuer's: each path and
/// body taken, after refusing the first `refuse_first` attempts with 503.
#[derive(Default)]
struct Inbox {
    refuse_first: usize,
    attempts: usize,
    taken: Vec<(String, Value)>,
}

async fn take(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    Path(path): Path<String>,
    Json(body): Json<Value>,
) -> StatusCode {
    let mut inbox = inbox.lock().unwrap();
    inbox.attempts += 1;
    if inbox.attempts <= inbox.refuse_first {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    inbox.taken.push((format!("/{path}"), body));
    StatusCode::NO_CONTENT
}

/// A plain-HTTP server on 127.0.0.1 taking every POST: its URL and inbox.
async fn inbox(refuse_first: usize) -> (String, Arc<Mutex<Inbox>>) {
    let state = Arc::new(Mutex::new(Inbox {
        refuse_first,
        ..Inbox::default()
    }));
    let app = axum::Router::new()
        .route("/{*path}", post(take))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, state)
}

/// Waits until `inbox` has taken `count` deliveries (at most 10 s).
async fn taken(inbox: &Mutex<Inbox>, count: usize) -> Vec<(String, Value)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let taken = inbox.lock().unwrap().taken.clone();
        if taken.len() >= count {
            return taken;
        }
        assert!(Instant::now() < deadline, "{count} expected, got {taken:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A sandbox whose issuer and gateways' notifications go to `notify` and `gateways`, its state
/// directory, and gateway MGW_000001 connected.
async fn sandbox(
    notify: Option<String>,
    gateways: Option<String>,
) -> (Harness, tempfile::TempDir, GatewayClient) {
    let h = start_with(SandboxConfig {
        op_delay: Duration::ZERO,
        consumers: 60,
        notify_url: notify,
        gateway_notify_url: gateways,
        ..SandboxConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    h.sandbox.write_state_dir(dir.path()).unwrap();
    let gateway = GatewayClient::connect(dir.path(), "MGW_000001")
        .await
        .unwrap();
    (h, dir, gateway)
}

/// Tokenizes `card` for merchant MER0000001: the new token's id.
async fn tokenize(gateway: &GatewayClient, card: &IssuerCard) -> String {
    let (status, body) = gateway
        .tokenize("MER0000001", &test_pan(card), &card.expiry)
        .await
        .unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "ACTIVE");
    assert_eq!(body["cardLast4"], card.last4.as_str());
    body["tokenId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_gateway_s_token_is_in_the_issuer_s_list_at_once_and_its_delete_is_the_merchant_s_operation()
 {
    let (issuer_url, issuer_inbox) = inbox(0).await;
    let (gateway_url, gateway_inbox) = inbox(0).await;
    let (h, _dir, gateway) = sandbox(Some(issuer_url), Some(gateway_url)).await;
    let card = card_with(AccountStatus::Open);
    let token_id = tokenize(&gateway, &card).await;

    let (status, list) = h
        .get(&format!("/cards/{}/digitalCards", card.card_id))
        .await;
    assert_eq!(status, 200, "{list}");
    let listed = list["digitalCards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["digitalCardId"] == token_id.as_str())
        .expect("the gateway's token in the issuer's list")
        .clone();
    let (_, name, _, requestor) = MERCHANTS[0];
    assert_eq!(listed["tokenType"], "CARD_ON_FILE");
    assert_eq!(listed["state"], "ACTIVE");
    assert_eq!(listed["tokenRequestorName"], name);
    assert_eq!(listed["merchantGatewayId"], "MGW_000001");
    assert_eq!(listed["merchantId"], "MER0000001");
    assert_ne!(
        listed["last4"],
        card.last4.as_str(),
        "the token's own last four"
    );
    let (status, got) = gateway.token("MER0000001", &token_id).await.unwrap();
    assert_eq!((status, &got["tokenId"]), (200, &json!(token_id)));

    assert_eq!(
        gateway.delete("MER0000001", &token_id).await.unwrap().0,
        204
    );
    let (_, token) = h.get(&format!("/digitalCards/{token_id}")).await;
    assert_eq!(token["state"], "DELETED");
    let (_, operations) = h.get(&format!("/digitalCards/{token_id}/operations")).await;
    let operation = &operations["operations"][0];
    assert_eq!(operation["operation"], "DELETE");
    assert_eq!(operation["requestorType"], "TSP");
    assert_eq!(operation["requestorId"], requestor);
    assert_eq!(operation["status"], "SUCCESSFUL");
    assert!(operation.get("reasonCode").is_none(), "{operation}");
    let delivered = taken(&issuer_inbox, 1).await;
    assert_eq!(
        delivered[0].0,
        format!("/notifications/d1/v1/issuers/C2PSANDBOX/digitalCards/{token_id}/notifications")
    );
    assert_eq!(delivered[0].1["operationId"], operation["operationId"]);
    // A merchant's own delete is not notified back to its gateway.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(gateway_inbox.lock().unwrap().attempts, 0);
    // Deleted is final, for the merchant too; and another merchant never sees it.
    assert_eq!(
        gateway.delete("MER0000001", &token_id).await.unwrap().0,
        403
    );
    assert_eq!(gateway.token("MER0000002", &token_id).await.unwrap().0, 404);
}

#[tokio::test]
async fn the_issuer_s_writes_on_a_gateway_s_token_reach_the_gateway_again_after_a_refusal_and_then_no_more()
 {
    let (gateway_url, gateway_inbox) = inbox(1).await;
    let (h, _dir, gateway) = sandbox(None, Some(gateway_url)).await;
    let card = card_with(AccountStatus::Open);
    let token_id = tokenize(&gateway, &card).await;
    let notify_update = format!(
        "/merchant-gateways/MGW_000001/merchants/MER0000001/tokens/{token_id}/notify-update"
    );

    let write = |action: &'static str| {
        let path = format!("/digitalCards/{token_id}/operations:{action}");
        let h = &h;
        async move {
            let (status, body) = h.post(&path, json!({"reasonCode": "USER_DECISION"})).await;
            assert!((200..300).contains(&status), "{body}");
        }
    };
    write("suspend").await;
    let delivered = taken(&gateway_inbox, 1).await;
    assert_eq!(delivered[0].0, notify_update);
    assert_eq!(delivered[0].1["event"], "SUSPENDED");
    assert_eq!(delivered[0].1["status"], "SUSPENDED");
    assert_eq!(delivered[0].1["tokenId"], token_id.as_str());
    assert_eq!(delivered[0].1["tokenExpiryDate"], card.expiry.as_str());
    // Refused once, taken the second time, then never sent again.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(gateway_inbox.lock().unwrap().attempts, 2);
    assert_eq!(gateway_inbox.lock().unwrap().taken.len(), 1);

    write("resume").await;
    write("delete").await;
    let delivered = taken(&gateway_inbox, 3).await;
    let events: Vec<&Value> = delivered.iter().map(|(_, body)| &body["event"]).collect();
    assert_eq!(
        events,
        [&json!("SUSPENDED"), &json!("RESUMED"), &json!("DELETED")]
    );
    let (_, got) = gateway.token("MER0000001", &token_id).await.unwrap();
    assert_eq!(got["status"], "DELETED");
}

#[tokio::test]
async fn a_deleted_card_takes_its_tokens_and_its_click_to_pay_enrolment_with_it() {
    let (issuer_url, issuer_inbox) = inbox(0).await;
    let (gateway_url, gateway_inbox) = inbox(0).await;
    let (h, _dir, gateway) = sandbox(Some(issuer_url), Some(gateway_url)).await;
    let population = population();
    // An enrolled open card (its Click to Pay token live), given a merchant token.
    let (consumer_id, card) = population
        .directories
        .values()
        .flat_map(|profiles| profiles.iter())
        .flat_map(|(consumer, profile)| profile.cards.iter().map(move |c| (consumer, c)))
        .find_map(|(consumer, listed)| {
            let card = population
                .bank
                .get(consumer)?
                .cards
                .iter()
                .find(|c| c.card_id == listed.card_id && c.status == AccountStatus::Open)?;
            Some((consumer.clone(), card.clone()))
        })
        .unwrap();
    let token_id = tokenize(&gateway, &card).await;
    let (_, before) = h
        .get(&format!("/cards/{}/digitalCards", card.card_id))
        .await;
    let live = before["digitalCards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["state"] != "DELETED")
        .count();

    let response = h
        .http
        .delete(format!("{}/cards/{}", h.sandbox.admin_url(), card.card_id))
        .bearer_auth(&h.sandbox.credentials().admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let operations: Vec<Value> = response.json().await.unwrap();
    assert_eq!(operations.len(), live + 1, "{operations:?}");
    assert!(
        operations
            .iter()
            .all(|o| o["requestorType"] == "D1" && o["status"] == "SUCCESSFUL"),
        "{operations:?}"
    );

    let (_, after) = h
        .get(&format!("/cards/{}/digitalCards", card.card_id))
        .await;
    assert!(
        after["digitalCards"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["state"] == "DELETED"),
        "{after}"
    );
    let (_, profiles) = h
        .get(&format!("/consumers/{consumer_id}/clickToPayProfiles"))
        .await;
    assert!(
        !profiles.to_string().contains(&card.card_id),
        "the card left Click to Pay: {profiles}"
    );
    let (_, card_operations) = h.get(&format!("/cards/{}/operations", card.card_id)).await;
    assert_eq!(card_operations["operations"][0]["operation"], "DELETE");
    assert_eq!(card_operations["operations"][0]["requestorType"], "D1");
    // The issuer hears of each operation; the merchant's gateway of its token.
    taken(&issuer_inbox, live + 1).await;
    let delivered = taken(&gateway_inbox, 1).await;
    assert_eq!(delivered[0].1["tokenId"], token_id.as_str());
    assert_eq!(delivered[0].1["event"], "DELETED");
}

#[tokio::test]
async fn a_gateway_authenticates_as_itself_with_a_json_grant_and_a_correlation_id_on_every_call() {
    let (h, _dir, gateway) = sandbox(None, None).await;
    let creds = h.sandbox.credentials();
    let keys = creds
        .gateways
        .iter()
        .find(|g| g.gateway_id == "MGW_000001")
        .unwrap();
    let http = client(
        creds,
        Some((&keys.identity.chain_pem, &keys.identity.key_pem)),
    );
    let assertion =
        d1_sandbox::assertion::valid("MGW_000001", &keys.kid, &keys.signing_key_pem).unwrap();
    let grant = json!({
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": assertion,
    });
    let answer = |response: reqwest::Response| async move {
        let status = response.status().as_u16();
        (
            status,
            response.json::<Value>().await.unwrap_or(Value::Null),
        )
    };

    let (status, body) = answer(
        http.post(h.sandbox.token_url())
            .json(&grant)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, &body["errorCode"]), (400, &json!("MISSING_FIELD")));
    let (status, body) = answer(
        http.post(h.sandbox.token_url())
            .header("x-correlation-id", "form-1")
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, &body["errorCode"]), (400, &json!("INVALID_FIELD")));
    // The gateway's key does not sign for the issuer.
    let as_issuer =
        d1_sandbox::assertion::valid(&creds.issuer_id, &keys.kid, &keys.signing_key_pem).unwrap();
    let (status, _) = answer(
        http.post(h.sandbox.token_url())
            .header("x-correlation-id", "as-issuer")
            .json(&json!({
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": as_issuer,
            }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = answer(
        http.post(h.sandbox.token_url())
            .header("x-correlation-id", "json-1")
            .json(&grant)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let gateway_token = body["access_token"].as_str().unwrap().to_owned();

    // Its token opens its own paths only, never the issuer's; the issuer's never opens its.
    let card = card_with(AccountStatus::Open);
    let banking = h.url(&format!("/cards/{}/digitalCards", card.card_id));
    let (status, _) = answer(
        http.get(&banking)
            .bearer_auth(&gateway_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let tokens = |gateway_id: &str, merchant_id: &str| {
        format!(
            "{}/merchant-gateways/{gateway_id}/merchants/{merchant_id}/tokens",
            h.sandbox.ecom_url()
        )
    };
    for (url, bearer, correlation, expected) in [
        (
            tokens("MGW_000001", "MER0000001"),
            &gateway_token,
            Some("ok-1"),
            200,
        ),
        (
            tokens("MGW_000001", "MER0000001"),
            &gateway_token,
            None,
            400,
        ),
        (
            tokens("MGW_000001", "MER0000001"),
            &gateway_token,
            Some("bad id!"),
            400,
        ),
        (
            tokens("MGW_000002", "MER0000003"),
            &gateway_token,
            Some("ok-2"),
            401,
        ),
        (
            tokens("MGW_000001", "MER0000001"),
            &h.token,
            Some("ok-3"),
            401,
        ),
        (
            tokens("MGW_000001", "MER0000003"),
            &gateway_token,
            Some("ok-4"),
            404,
        ),
    ] {
        let mut request = http.get(&url).bearer_auth(bearer);
        if let Some(correlation) = correlation {
            request = request.header("x-correlation-id", correlation);
        }
        let (status, body) = answer(request.send().await.unwrap()).await;
        assert_eq!(status, expected, "{url} {correlation:?}: {body}");
    }
    assert_eq!(gateway.list("MER0000001").await.unwrap().0, 200);
}

#[tokio::test]
async fn tokenize_refuses_bad_input_naming_the_first_field_in_error() {
    let (h, dir, gateway) = sandbox(None, None).await;
    let open = card_with(AccountStatus::Open);
    let closed = card_with(AccountStatus::Closed);
    let pan = test_pan(&open);
    assert!(d1_sandbox::tokens::luhn_valid(&pan), "{pan}");
    assert!(pan.starts_with(&open.bin) && pan.ends_with(&open.last4));
    // A Luhn-valid PAN of no seeded card.
    let stranger = (0..10)
        .map(|d| format!("411111111111111{d}"))
        .find(|p| d1_sandbox::tokens::luhn_valid(p))
        .unwrap();
    for (merchant, pan, expiry, expected) in [
        ("MER0000001", "4111 1111", open.expiry.as_str(), "card.pan"),
        (
            "MER0000001",
            stranger.as_str(),
            open.expiry.as_str(),
            "card.pan",
        ),
        ("MER0000001", pan.as_str(), "13/29", "card.expiryDate"),
        ("MER0000001", pan.as_str(), "0101", "card.expiryDate"),
    ] {
        let (status, body) = gateway.tokenize(merchant, pan, expiry).await.unwrap();
        assert_eq!(
            (status, &body["errorCode"]),
            (400, &json!("INVALID_FIELD")),
            "{pan} {expiry}: {body}"
        );
        assert!(body["error"].as_str().unwrap().contains(expected), "{body}");
    }
    let (status, _) = gateway
        .tokenize("MER0000001", &test_pan(&closed), &closed.expiry)
        .await
        .unwrap();
    assert_eq!(status, 403, "a closed card is not tokenized");
    let (status, _) = gateway
        .tokenize("MER0000003", &pan, &open.expiry)
        .await
        .unwrap();
    assert_eq!(status, 404, "another gateway's merchant");

    // Missing and wrong fields of the body, with the gateway's own raw calls.
    let creds = h.sandbox.credentials();
    let keys = &creds.gateways[0];
    let http = client(
        creds,
        Some((&keys.identity.chain_pem, &keys.identity.key_pem)),
    );
    drop(dir);
    let grant = json!({
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": d1_sandbox::assertion::valid(&keys.gateway_id, &keys.kid, &keys.signing_key_pem).unwrap(),
    });
    let token: Value = http
        .post(h.sandbox.token_url())
        .header("x-correlation-id", "t")
        .json(&grant)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = format!(
        "{}/merchant-gateways/{}/merchants/MER0000001/tokens",
        h.sandbox.ecom_url(),
        keys.gateway_id
    );
    let card = json!({"pan": pan, "expiryDate": open.expiry});
    for (body, code, field) in [
        (
            json!({"useCase": "CARD_ON_FILE", "consumerConsent": true}),
            "MISSING_FIELD",
            "card",
        ),
        (
            json!({"card": {"pan": pan}, "useCase": "CARD_ON_FILE", "consumerConsent": true}),
            "MISSING_FIELD",
            "card.expiryDate",
        ),
        (
            json!({"card": card, "consumerConsent": true}),
            "MISSING_FIELD",
            "useCase",
        ),
        (
            json!({"card": card, "useCase": "LAYAWAY", "consumerConsent": true}),
            "INVALID_FIELD",
            "useCase",
        ),
        (
            json!({"card": card, "useCase": "RECURRING"}),
            "MISSING_FIELD",
            "consumerConsent",
        ),
        (
            json!({"card": card, "useCase": "RECURRING", "consumerConsent": false}),
            "INVALID_FIELD",
            "consumerConsent",
        ),
    ] {
        let response = http
            .post(&url)
            .bearer_auth(token["access_token"].as_str().unwrap())
            .header("x-correlation-id", "bad-body")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["errorCode"], code, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().starts_with(field),
            "{answer}"
        );
    }
}

#[tokio::test]
async fn faults_apply_to_the_gateway_s_calls_like_to_the_others() {
    let (h, _dir, gateway) = sandbox(None, None).await;
    h.set_faults(json!([{"endpoints": ["gatewayWrites"], "errorRate": 1.0, "errorStatus": 503}]))
        .await;
    let card = card_with(AccountStatus::Open);
    let (status, _) = gateway
        .tokenize("MER0000001", &test_pan(&card), &card.expiry)
        .await
        .unwrap();
    assert_eq!(status, 503);
    assert_eq!(
        gateway.list("MER0000001").await.unwrap().0,
        200,
        "reads are another endpoint"
    );
    h.set_faults(json!([])).await;
    tokenize(&gateway, &card).await;
}
