//! Get-profiles throughput of the sandbox on loopback: 16 clients, each on its own HTTP/2
//! connection over mutual TLS, for a fixed time. Prints requests per second and the ratio to the
//! 5,000 req/s target (the sandbox must never be the bottleneck of a console benchmark).

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use d1_sandbox::{Sandbox, SandboxConfig};

const CLIENTS: usize = 16;
const WARM_UP: Duration = Duration::from_millis(500);
const MEASURE: Duration = Duration::from_secs(3);
const TARGET_PER_SECOND: f64 = 5000.0;

fn client(sandbox: &Sandbox) -> reqwest::Client {
    let creds = sandbox.credentials();
    let identity = format!("{}{}", creds.client_chain_pem, creds.client_key_pem);
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(creds.server_ca_pem.as_bytes()).unwrap()])
        .identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap())
        .http2_prior_knowledge()
        .build()
        .unwrap()
}

async fn token(http: &reqwest::Client, sandbox: &Sandbox) -> String {
    let c = sandbox.credentials();
    let assertion = d1_sandbox::assertion::valid(&c.issuer_id, &c.kid, &c.signing_key_pem).unwrap();
    let response = http
        .post(sandbox.token_url())
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    response.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Runs one client until `until`, returning how many answers it got (all must be 200).
async fn run(http: reqwest::Client, url: String, token: String, until: Instant) -> u64 {
    let mut done = 0;
    while Instant::now() < until {
        let response = http.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
        done += 1;
    }
    done
}

#[tokio::main]
async fn main() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let creds = sandbox.credentials();
    let base = format!(
        "{}/issuers/{}/consumers",
        sandbox.base_url(),
        creds.issuer_id
    );
    // Spread the clients over the first consistent consumers (one to four cards in both
    // directories), as the seed generates them.
    let consistent: Vec<String> = d1_sandbox::seed::generate(SandboxConfig::default().seed, 40)
        .bank
        .into_keys()
        .filter(|id| id.ends_with("-ok"))
        .take(12)
        .collect();
    let mut clients = Vec::new();
    for n in 0..CLIENTS {
        let http = client(&sandbox);
        let token = token(&http, &sandbox).await;
        let url = format!(
            "{base}/{}/clickToPayProfiles",
            consistent[n % consistent.len()]
        );
        clients.push((http, url, token));
    }
    let warm_until = Instant::now() + WARM_UP;
    let warm: Vec<_> = clients
        .iter()
        .map(|(h, u, t)| tokio::spawn(run(h.clone(), u.clone(), t.clone(), warm_until)))
        .collect();
    for task in warm {
        task.await.unwrap();
    }
    let started = Instant::now();
    let until = started + MEASURE;
    let tasks: Vec<_> = clients
        .into_iter()
        .map(|(h, u, t)| tokio::spawn(run(h, u, t, until)))
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    let per_second = total as f64 / started.elapsed().as_secs_f64();
    println!(
        "d1-sandbox get-profiles, {CLIENTS} HTTP/2 mTLS clients on loopback, {:.1} s: {total} requests, {per_second:.0} req/s, \
         ratio to the {TARGET_PER_SECOND:.0} req/s target: {:.2}",
        MEASURE.as_secs_f64(),
        per_second / TARGET_PER_SECOND
    );
    sandbox.stop().await;
}
