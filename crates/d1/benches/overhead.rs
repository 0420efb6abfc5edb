//! What `d1::Client` costs over a bare reqwest client: warm get-profiles against the in-process
//! sandbox, both on one reused HTTP/2 mTLS connection, alternating rounds so that drift hits both
//! alike. Prints both medians and the ratio (goal ≤ 1.10).
//!
//! Both send a fresh random `x-correlation-id` on every call, as the console must (the audit log
//! records each call's id, and D1 logs it in clear). A constant id would be indexed by HTTP/2
//! header compression after the first request, so the bare client would do less work on the wire
//! (5 to 8 µs a call here) and the ratio would not be the client's own cost.

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use d1::{Call, Client, Config, ConsumerId, Identity, IssuerId, Secret, Trust};
use d1_sandbox::{Sandbox, SandboxConfig};

const ROUNDS: usize = 20;
const PER_ROUND: usize = 200;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main]
async fn main() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let c = sandbox.credentials();
    let identity = Identity {
        client_chain_pem: c.client_chain_pem.clone(),
        client_key_pem: Secret::from(c.client_key_pem.clone()),
        signing_key_pem: Secret::from(c.signing_key_pem.clone()),
    };
    let config = Config::new(
        sandbox.base_url(),
        sandbox.token_url(),
        IssuerId::new(&c.issuer_id).unwrap(),
        &c.kid,
        Trust::OnlyCa(vec![c.server_ca_pem.clone()]),
    );
    let d1 = Client::new(config, &identity).unwrap();
    let consumer = ConsumerId::new("cons-0001-ok").unwrap();

    let bare = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(c.server_ca_pem.as_bytes()).unwrap()])
        .identity(
            reqwest::Identity::from_pem(
                format!("{}{}", c.client_chain_pem, c.client_key_pem).as_bytes(),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let assertion = d1_sandbox::assertion::valid(&c.issuer_id, &c.kid, &c.signing_key_pem).unwrap();
    let token: serde_json::Value = bare
        .post(sandbox.token_url())
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &assertion),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let url = format!(
        "{}/issuers/{}/consumers/cons-0001-ok/clickToPayProfiles",
        sandbox.base_url(),
        c.issuer_id
    );

    let (mut through_d1, mut through_bare) = (Vec::new(), Vec::new());
    for round in 0..=ROUNDS {
        for _ in 0..PER_ROUND {
            let started = Instant::now();
            let profiles = d1.profiles(&consumer, Call::default()).await.unwrap();
            assert!(!profiles.value.profiles.is_empty());
            if round > 0 {
                through_d1.push(started.elapsed());
            }
        }
        for _ in 0..PER_ROUND {
            let started = Instant::now();
            let response = bare
                .get(&url)
                .bearer_auth(&token)
                .header("x-correlation-id", d1::CorrelationId::random().as_str())
                .send()
                .await
                .unwrap();
            let body: d1::wire::Profiles =
                serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            assert!(!body.profiles.is_empty());
            if round > 0 {
                through_bare.push(started.elapsed());
            }
        }
    }
    let (d1_median, bare_median) = (median(through_d1), median(through_bare));
    println!(
        "d1::Client overhead, warm get-profiles over one HTTP/2 mTLS connection, {} calls each: d1 median {:.1} µs, bare reqwest median {:.1} µs, ratio {:.2} (goal ≤ 1.10)",
        ROUNDS * PER_ROUND,
        d1_median.as_secs_f64() * 1e6,
        bare_median.as_secs_f64() * 1e6,
        d1_median.as_secs_f64() / bare_median.as_secs_f64()
    );
    sandbox.stop().await;
}
