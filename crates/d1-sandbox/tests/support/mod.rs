//! A plain reqwest client for the sandbox over real mutual TLS, and real ES256 assertions.

#![allow(dead_code)] // each test binary uses a different part of this module

use std::time::Duration;

use d1_sandbox::{Credentials, Sandbox, SandboxConfig};
use serde_json::Value;

/// A started sandbox with an authenticated client.
pub struct Harness {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
    pub token: String,
}

pub async fn start(op_delay: Duration) -> Harness {
    start_with(SandboxConfig {
        op_delay,
        consumers: 60,
        ..SandboxConfig::default()
    })
    .await
}

pub async fn start_with(config: SandboxConfig) -> Harness {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let creds = sandbox.credentials();
    let http = client(
        creds,
        Some((&creds.client_chain_pem, &creds.client_key_pem)),
    );
    let token = fetch_token(&http, &sandbox).await;
    Harness {
        sandbox,
        http,
        token,
    }
}

/// A client trusting only the sandbox's server CA, presenting `identity` if given.
pub fn client(creds: &Credentials, identity: Option<(&str, &str)>) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(creds.server_ca_pem.as_bytes()).unwrap();
    let mut builder = reqwest::Client::builder()
        .tls_certs_only([ca])
        .https_only(true)
        .timeout(Duration::from_secs(10));
    if let Some((chain, key)) = identity {
        builder = builder
            .identity(reqwest::Identity::from_pem(format!("{chain}{key}").as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A JWS over `header` and `claims`, signed with ES256 by `signing_key_pem`.
pub fn sign(header: &Value, claims: &Value, signing_key_pem: &str) -> String {
    d1_sandbox::assertion::sign(header, claims, signing_key_pem).unwrap()
}

/// A valid assertion for the sandbox.
pub fn assertion(creds: &Credentials) -> String {
    d1_sandbox::assertion::valid(&creds.issuer_id, &creds.kid, &creds.signing_key_pem).unwrap()
}

pub async fn token_response(
    http: &reqwest::Client,
    sandbox: &Sandbox,
    assertion: &str,
) -> reqwest::Response {
    http.post(sandbox.token_url())
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", assertion),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn fetch_token(http: &reqwest::Client, sandbox: &Sandbox) -> String {
    let response = token_response(http, sandbox, &assertion(sandbox.credentials())).await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/issuers/{}{path}",
            self.sandbox.base_url(),
            self.sandbox.credentials().issuer_id
        )
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn records(&self, path: &str) -> (u16, Value) {
        let url = format!("{}{path}", self.sandbox.issuer_records_url());
        let key = &self.sandbox.credentials().issuer_api_key;
        let response = self.http.get(url).bearer_auth(key).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The schemes of a consumer's directory profiles.
    pub async fn schemes(&self, consumer_id: &str) -> Vec<String> {
        let (status, body) = self
            .get(&format!("/consumers/{consumer_id}/clickToPayProfiles"))
            .await;
        assert_eq!(status, 200, "{body}");
        body["clickToPayProfiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["scheme"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The bank's record of the first seeded consumer whose id ends with `-{slug}`.
    pub async fn seeded(&self, slug: &str) -> Value {
        let (status, body) = self.records("/consumers?q=cons&limit=100").await;
        assert_eq!(status, 200, "{body}");
        let id = body["consumers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["consumerId"].as_str().unwrap())
            .find(|id| id.ends_with(&format!("-{slug}")))
            .unwrap_or_else(|| panic!("no -{slug} consumer"))
            .to_owned();
        self.records(&format!("/consumers/{id}")).await.1
    }
}

impl Harness {
    /// Replaces the sandbox's fault rules through the admin endpoint.
    pub async fn set_faults(&self, rules: Value) {
        let url = format!("{}/faults", self.sandbox.admin_url());
        let token = &self.sandbox.credentials().admin_token;
        let response = self
            .http
            .put(url)
            .bearer_auth(token)
            .json(&rules)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
}
