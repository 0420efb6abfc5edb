//! Transport and authentication over real mutual TLS: client certificates, the JWT-bearer grant,
//! and access tokens on banking calls.

mod support;

use std::time::Duration;

use d1_sandbox::SandboxConfig;
use d1_sandbox::pki::Pki;
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn a_valid_assertion_gets_a_token_over_http2_in_form_and_json() {
    let h = start(Duration::ZERO).await;
    let creds = h.sandbox.credentials();
    let form = token_response(&h.http, &h.sandbox, &assertion(creds)).await;
    assert_eq!(form.version(), reqwest::Version::HTTP_2);
    let body: Value = form.json().await.unwrap();
    assert_eq!(
        (body["expires_in"].as_u64(), body["token_type"].as_str()),
        (Some(900), Some("Bearer"))
    );
    let json = h
        .http
        .post(h.sandbox.token_url())
        .json(&json!({"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion(creds)}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 200);
}

#[tokio::test]
async fn forged_or_wrong_assertions_are_refused() {
    let h = start(Duration::ZERO).await;
    let c = h.sandbox.credentials();
    let (iss, kid, key) = (
        c.issuer_id.as_str(),
        c.kid.as_str(),
        c.signing_key_pem.as_str(),
    );
    let claims = json!({"iss": iss, "sub": iss, "exp": now() + 300});
    let other_key = Pki::generate().signing_key_pem;
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "alg none",
            sign(&json!({"alg": "none", "kid": kid}), &claims, key),
            "alg must be ES256",
        ),
        (
            "alg HS256",
            sign(&json!({"alg": "HS256", "kid": kid}), &claims, key),
            "alg must be ES256",
        ),
        (
            "alg RS256",
            sign(&json!({"alg": "RS256", "kid": kid}), &claims, key),
            "alg must be ES256",
        ),
        (
            "no kid",
            sign(&json!({"alg": "ES256"}), &claims, key),
            "kid",
        ),
        (
            "unknown kid",
            sign(&json!({"alg": "ES256", "kid": "nope"}), &claims, key),
            "kid",
        ),
        (
            "forged signature",
            sign(&json!({"alg": "ES256", "kid": kid}), &claims, &other_key),
            "signature",
        ),
        (
            "wrong iss",
            sign(
                &json!({"alg": "ES256", "kid": kid}),
                &json!({"iss": "OTHERBANK1", "sub": iss, "exp": now() + 60}),
                key,
            ),
            "iss and sub",
        ),
        (
            "expired",
            sign(
                &json!({"alg": "ES256", "kid": kid}),
                &json!({"iss": iss, "sub": iss, "exp": now() - 120}),
                key,
            ),
            "exp",
        ),
        (
            "exp beyond 15 minutes",
            sign(
                &json!({"alg": "ES256", "kid": kid}),
                &json!({"iss": iss, "sub": iss, "exp": now() + 3600}),
                key,
            ),
            "exp",
        ),
        ("not a JWT", "abc.def".to_owned(), "compact JWS"),
    ];
    for (case, assertion, reason) in cases {
        let response = token_response(&h.http, &h.sandbox, &assertion).await;
        assert_eq!(response.status(), 401, "{case}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["errorCode"], "AUTHORIZER_UNAUTHORIZED", "{case}");
        assert!(
            body["error"].as_str().unwrap().contains(reason),
            "{case}: {body}"
        );
    }
    let wrong_grant = h
        .http
        .post(h.sandbox.token_url())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_grant.status(), 400);
}

#[tokio::test]
async fn banking_calls_need_a_valid_unexpired_token() {
    let h = start_with(SandboxConfig {
        token_ttl: Duration::from_secs(1),
        consumers: 20,
        ..SandboxConfig::default()
    })
    .await;
    let path = h.url("/consumers/cons-0001-ok/clickToPayProfiles");
    let no_token = h.http.get(&path).send().await.unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(
        no_token.json::<Value>().await.unwrap()["errorCode"],
        "AUTHORIZER_UNAUTHORIZED"
    );
    let garbage = h
        .http
        .get(&path)
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 401);
    assert_eq!(
        h.http
            .get(&path)
            .bearer_auth(&h.token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        h.http
            .get(&path)
            .bearer_auth(&h.token)
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "expired"
    );
}

#[tokio::test]
async fn the_handshake_fails_without_a_trusted_client_certificate() {
    let h = start(Duration::ZERO).await;
    let creds = h.sandbox.credentials();
    let anonymous = client(creds, None);
    let error = anonymous
        .get(h.sandbox.token_url())
        .send()
        .await
        .unwrap_err();
    assert!(error.is_connect() || error.is_request(), "{error:?}");
    let stranger = Pki::untrusted_client_identity();
    let untrusted = client(creds, Some((&stranger.chain_pem, &stranger.key_pem)));
    assert!(
        untrusted.get(h.sandbox.token_url()).send().await.is_err(),
        "a client CA the sandbox does not trust"
    );
    // The same server still serves its own client.
    assert_eq!(
        h.get("/consumers/cons-0001-ok/clickToPayProfiles").await.0,
        200
    );
}

#[tokio::test]
async fn http1_clients_are_served_too() {
    let h = start(Duration::ZERO).await;
    let creds = h.sandbox.credentials();
    let ca = reqwest::Certificate::from_pem(creds.server_ca_pem.as_bytes()).unwrap();
    let identity = reqwest::Identity::from_pem(
        format!("{}{}", creds.client_chain_pem, creds.client_key_pem).as_bytes(),
    )
    .unwrap();
    let http1 = reqwest::Client::builder()
        .tls_certs_only([ca])
        .identity(identity)
        .http1_only()
        .build()
        .unwrap();
    let response = http1
        .get(h.url("/consumers/cons-0001-ok/clickToPayProfiles"))
        .bearer_auth(&h.token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (response.status().as_u16(), response.version()),
        (200, reqwest::Version::HTTP_11)
    );
}
