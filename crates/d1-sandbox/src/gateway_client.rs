//! A merchant gateway calling the sandbox's eCom Enablement API with its own certificate and
//! key, as `d1-sandbox gateway …` and the tests do.

use std::path::Path;

use rand::Rng;
use serde_json::{Value, json};

use crate::gateway::GatewayFile;

/// A gateway's connection and access token.
pub struct GatewayClient {
    http: reqwest::Client,
    about: GatewayFile,
    access_token: String,
}

/// An answer: its HTTP status and JSON body (`null` when empty).
pub type Answer = (u16, Value);

/// A fresh `x-correlation-id`, random as D1 asks.
fn correlation_id() -> String {
    format!("gw-{:016x}", rand::rng().random::<u64>())
}

impl GatewayClient {
    /// Connects as gateway `gateway_id` with its keys in state directory `dir`, and gets an
    /// access token with the JSON grant.
    pub async fn connect(dir: &Path, gateway_id: &str) -> Result<Self, String> {
        let home = dir.join("gateways").join(gateway_id);
        let read = |path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))
        };
        let about: GatewayFile = serde_json::from_str(&read(&home.join(GatewayFile::NAME))?)
            .map_err(|e| format!("{}: {e}", home.join(GatewayFile::NAME).display()))?;
        let identity = format!(
            "{}{}",
            read(&home.join("client.pem"))?,
            read(&home.join("client.key"))?
        );
        let ca = read(&dir.join("server-ca.pem"))?;
        let http = reqwest::Client::builder()
            .tls_certs_only([
                reqwest::Certificate::from_pem(ca.as_bytes()).map_err(|e| e.to_string())?
            ])
            .identity(reqwest::Identity::from_pem(identity.as_bytes()).map_err(|e| e.to_string())?)
            .build()
            .map_err(|e| e.to_string())?;
        let assertion =
            crate::assertion::valid(gateway_id, &about.kid, &read(&home.join("signing.key"))?)
                .map_err(|e| e.to_string())?;
        let grant = json!({
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "assertion": assertion,
        });
        let response = http
            .post(&about.token_url)
            .header("x-correlation-id", correlation_id())
            .json(&grant)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let access_token = body["access_token"]
            .as_str()
            .ok_or_else(|| format!("no access token ({status}): {body}"))?
            .to_owned();
        Ok(Self {
            http,
            about,
            access_token,
        })
    }

    fn url(&self, merchant_id: &str, token_id: Option<&str>) -> String {
        let tokens = format!(
            "{}/merchant-gateways/{}/merchants/{merchant_id}/tokens",
            self.about.ecom_url, self.about.merchant_gateway_id
        );
        match token_id {
            Some(token_id) => format!("{tokens}/{token_id}"),
            None => tokens,
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, String> {
        let response = request
            .bearer_auth(&self.access_token)
            .header("x-correlation-id", correlation_id())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// Tokenizes test PAN `pan` expiring `expiry` (MMYY) for `merchant_id`, card on file.
    pub async fn tokenize(
        &self,
        merchant_id: &str,
        pan: &str,
        expiry: &str,
    ) -> Result<Answer, String> {
        let body = json!({
            "card": { "pan": pan, "expiryDate": expiry },
            "useCase": "CARD_ON_FILE",
            "consumerConsent": true,
        });
        self.send(self.http.post(self.url(merchant_id, None)).json(&body))
            .await
    }

    /// The merchant's token `token_id`.
    pub async fn token(&self, merchant_id: &str, token_id: &str) -> Result<Answer, String> {
        self.send(self.http.get(self.url(merchant_id, Some(token_id))))
            .await
    }

    /// Every token the merchant holds.
    pub async fn list(&self, merchant_id: &str) -> Result<Answer, String> {
        self.send(self.http.get(self.url(merchant_id, None))).await
    }

    /// Deletes the merchant's token `token_id`.
    pub async fn delete(&self, merchant_id: &str, token_id: &str) -> Result<Answer, String> {
        self.send(self.http.delete(self.url(merchant_id, Some(token_id))))
            .await
    }
}
