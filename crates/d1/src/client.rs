//! [`Client`]: every Click to Pay operation of the contract, over one reused HTTP/2 mTLS
//! connection pool per identity.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::assertion::Signer;
use crate::config::{Config, Identity, Trust};
use crate::error::Error;
use crate::ids::{CardId, ConsumerId, CorrelationId, DigitalCardId, OperationId, Reason};
use crate::secret::Secret;
use crate::token::TokenCache;
use crate::wire::{
    self, Accepted, BillingAddress, ConsumerInfo, ErrorBody, OperationPage, Profiles, ReasonCode,
    TokenBody,
};

/// A successful answer and the correlation id it was sent with.
#[derive(Debug, Clone)]
pub struct Response<T> {
    /// What D1 answered.
    pub value: T,
    /// The `x-correlation-id` of the call.
    pub correlation_id: CorrelationId,
    /// D1's clock when it answered (its `Date` header), to compare D1's times with ours.
    pub server_time: Option<std::time::SystemTime>,
}

/// Options of one call.
#[derive(Debug, Clone, Default)]
pub struct Call {
    /// Ties this call to a use case; a fresh random id is used when `None`.
    pub correlation_id: Option<CorrelationId>,
}

/// The optional fields of a write.
#[derive(Debug, Clone, Default)]
pub struct Write {
    /// Free-text reason.
    pub reason: Option<Reason>,
    /// Reason code (D1's default: issuer decision).
    pub reason_code: ReasonCode,
    /// Ties this call to a use case.
    pub correlation_id: Option<CorrelationId>,
}

/// A write on a digital card: its reason, its code, and its correlation id.
#[derive(Debug, Clone, Default)]
pub struct TokenWrite {
    /// Free-text reason.
    pub reason: Option<Reason>,
    /// Reason code (D1's default: issuer decision).
    pub reason_code: wire::TokenReasonCode,
    /// Ties this call to a use case.
    pub correlation_id: Option<CorrelationId>,
}

/// Which page of an operations list.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Operations to skip.
    pub offset: u32,
    /// Operations to return (1 to 100).
    pub count: u32,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            offset: 0,
            count: 10,
        }
    }
}

struct Request {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Value>,
    write: bool,
    correlation_id: CorrelationId,
}

/// A D1 client for one environment and identity. Cheap to share behind an `Arc`; it keeps one
/// connection pool and one token for all calls.
pub struct Client {
    http: reqwest::Client,
    config: Config,
    signer: Signer,
    tokens: TokenCache,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `config` presenting `identity`. TLS 1.2+ only; verification cannot be off.
    pub fn new(config: Config, identity: &Identity) -> Result<Self, Error> {
        let signer = Signer::new(&identity.signing_key_pem)?;
        let key = std::str::from_utf8(identity.client_key_pem.expose())
            .map_err(|_| Error::InvalidRequest("the client private key is not PEM text".into()))?;
        // Sized once: building it by steps would leave copies of the key in freed memory.
        let chain = identity.client_chain_pem.trim_end();
        let mut pem = Zeroizing::new(String::with_capacity(chain.len() + 1 + key.len()));
        pem.push_str(chain);
        pem.push('\n');
        pem.push_str(key);
        let tls_identity = reqwest::Identity::from_pem(pem.as_bytes()).map_err(|e| {
            Error::InvalidRequest(format!("the client certificate or key cannot be used: {e}"))
        })?;
        let mut builder = reqwest::Client::builder()
            .identity(tls_identity)
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .https_only(true)
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(90));
        if let Trust::OnlyCa(cas) = &config.trust {
            let mut certificates = Vec::new();
            for ca in cas {
                certificates.push(reqwest::Certificate::from_pem(ca.as_bytes()).map_err(|e| {
                    Error::InvalidRequest(format!("a trusted CA is not a PEM certificate: {e}"))
                })?);
            }
            builder = builder.tls_certs_only(certificates);
        }
        let http = builder
            .build()
            .map_err(|e| Error::InvalidRequest(format!("cannot set up TLS: {e}")))?;
        Ok(Self {
            http,
            config,
            signer,
            tokens: TokenCache::default(),
        })
    }

    fn issuer_path(&self, rest: &str) -> String {
        format!("/issuers/{}{rest}", self.config.issuer_id)
    }

    /// Connection test, step one: a mutual TLS handshake with the token host, without
    /// authenticating. Any HTTP answer counts as success.
    pub async fn check_handshake(&self) -> Result<CorrelationId, Error> {
        let cid = CorrelationId::random();
        self.http
            .get(&self.config.token_url)
            .header("x-correlation-id", cid.as_str())
            .send()
            .await
            .map_err(|e| crate::error::transport(&e, false, &cid))?;
        Ok(cid)
    }

    /// Connection test, step two: obtain an access token (a fresh one unless one is cached).
    pub async fn check_token(&self) -> Result<CorrelationId, Error> {
        let cid = CorrelationId::random();
        self.token(&cid).await?;
        Ok(cid)
    }

    /// Each directory's profile of a consumer, and an error per directory that failed.
    pub async fn profiles(
        &self,
        consumer: &ConsumerId,
        call: Call,
    ) -> Result<Response<Profiles>, Error> {
        let path = self.issuer_path(&format!("/consumers/{consumer}/{}", wire::PROFILES));
        self.read(path, Vec::new(), call).await
    }

    /// Enrols a card (and, the first time, its consumer) in its network's directory.
    pub async fn enrol_card(
        &self,
        card: &CardId,
        write: Write,
        cardholder_name: Option<String>,
    ) -> Result<Response<Accepted>, Error> {
        if cardholder_name
            .as_ref()
            .is_some_and(|n| n.chars().count() > 26)
        {
            return Err(Error::InvalidRequest(
                "the Visa cardholder name must be at most 26 characters".into(),
            ));
        }
        let mut body = write_body(write.reason.as_ref(), write.reason_code);
        if let Some(name) = cardholder_name {
            body["cardholderName"] = Value::String(name);
        }
        self.write(
            self.issuer_path(&format!("/cards/{card}/{}", wire::ENROL)),
            body,
            write.correlation_id,
        )
        .await
    }

    /// Replaces a card's billing address and (Visa) cardholder name in its directory.
    pub async fn update_card(
        &self,
        card: &CardId,
        write: Write,
        billing_address: Option<BillingAddress>,
        card_holder_name: Option<String>,
    ) -> Result<Response<Accepted>, Error> {
        let mut body = write_body(write.reason.as_ref(), write.reason_code);
        if let Some(address) = billing_address {
            body["billingAddress"] = to_value(&address);
        }
        if let Some(name) = card_holder_name {
            body["cardHolderName"] = Value::String(name);
        }
        self.write(
            self.issuer_path(&format!("/cards/{card}/{}", wire::UPDATE)),
            body,
            write.correlation_id,
        )
        .await
    }

    /// Replaces a consumer's details (all fields) in every directory.
    pub async fn update_consumer(
        &self,
        consumer: &ConsumerId,
        write: Write,
        info: &ConsumerInfo,
    ) -> Result<Response<Accepted>, Error> {
        let mut body = write_body(write.reason.as_ref(), write.reason_code);
        body["consumerInfo"] = to_value(info);
        self.write(
            self.issuer_path(&format!("/consumers/{consumer}/{}", wire::UPDATE)),
            body,
            write.correlation_id,
        )
        .await
    }

    /// Opts a card out of Click to Pay (the last card of a directory takes the consumer with it).
    pub async fn opt_out_card(
        &self,
        card: &CardId,
        write: Write,
    ) -> Result<Response<Accepted>, Error> {
        let body = write_body(write.reason.as_ref(), write.reason_code);
        self.write(
            self.issuer_path(&format!("/cards/{card}/{}", wire::OPT_OUT)),
            body,
            write.correlation_id,
        )
        .await
    }

    /// Opts a consumer and all their cards out of every directory.
    pub async fn opt_out_consumer(
        &self,
        consumer: &ConsumerId,
        write: Write,
    ) -> Result<Response<Accepted>, Error> {
        let body = write_body(write.reason.as_ref(), write.reason_code);
        self.write(
            self.issuer_path(&format!("/consumers/{consumer}/{}", wire::OPT_OUT)),
            body,
            write.correlation_id,
        )
        .await
    }

    /// A card's operations, newest first.
    pub async fn card_operations(
        &self,
        card: &CardId,
        page: Page,
        call: Call,
    ) -> Result<Response<OperationPage>, Error> {
        let path = self.issuer_path(&format!("/cards/{card}/{}", wire::OPERATIONS));
        self.read(path, page_query(page)?, call).await
    }

    /// A consumer's operations, newest first.
    pub async fn consumer_operations(
        &self,
        consumer: &ConsumerId,
        page: Page,
        call: Call,
    ) -> Result<Response<OperationPage>, Error> {
        let path = self.issuer_path(&format!("/consumers/{consumer}/{}", wire::OPERATIONS));
        self.read(path, page_query(page)?, call).await
    }

    /// One of a consumer's operations.
    pub async fn consumer_operation(
        &self,
        consumer: &ConsumerId,
        operation: &OperationId,
        call: Call,
    ) -> Result<Response<wire::Operation>, Error> {
        let path = self.issuer_path(&format!(
            "/consumers/{consumer}/{}/{operation}",
            wire::OPERATIONS
        ));
        self.read(path, Vec::new(), call).await
    }

    /// A card's digital cards (its tokens: Click to Pay, wallets, merchants), the deleted ones
    /// too.
    pub async fn digital_cards(
        &self,
        card: &CardId,
        call: Call,
    ) -> Result<Response<wire::DigitalCardList>, Error> {
        let path = self.issuer_path(&format!("/cards/{card}/{}", wire::DIGITAL_CARDS));
        self.read(path, Vec::new(), call).await
    }

    /// One digital card.
    pub async fn digital_card(
        &self,
        digital_card: &DigitalCardId,
        call: Call,
    ) -> Result<Response<wire::DigitalCard>, Error> {
        let path = self.issuer_path(&format!("/{}/{digital_card}", wire::DIGITAL_CARDS));
        self.read(path, Vec::new(), call).await
    }

    /// Suspends, resumes (the bank's own suspension) or deletes a digital card.
    pub async fn digital_card_write(
        &self,
        digital_card: &DigitalCardId,
        action: wire::TokenAction,
        write: TokenWrite,
    ) -> Result<Response<Accepted>, Error> {
        let body = write_body(write.reason.as_ref(), write.reason_code);
        self.write(
            self.issuer_path(&format!(
                "/{}/{digital_card}/{}",
                wire::DIGITAL_CARDS,
                action.path()
            )),
            body,
            write.correlation_id,
        )
        .await
    }

    /// A digital card's operations, newest first, whoever made them.
    pub async fn digital_card_operations(
        &self,
        digital_card: &DigitalCardId,
        page: Page,
        call: Call,
    ) -> Result<Response<OperationPage>, Error> {
        let path = self.issuer_path(&format!(
            "/{}/{digital_card}/{}",
            wire::DIGITAL_CARDS,
            wire::OPERATIONS
        ));
        self.read(path, page_query(page)?, call).await
    }

    async fn read<T: DeserializeOwned>(
        &self,
        path: String,
        query: Vec<(&'static str, String)>,
        call: Call,
    ) -> Result<Response<T>, Error> {
        let correlation_id = call.correlation_id.unwrap_or_else(CorrelationId::random);
        self.execute(Request {
            method: Method::GET,
            path,
            query,
            body: None,
            write: false,
            correlation_id,
        })
        .await
    }

    async fn write<T: DeserializeOwned>(
        &self,
        path: String,
        body: Value,
        correlation_id: Option<CorrelationId>,
    ) -> Result<Response<T>, Error> {
        let correlation_id = correlation_id.unwrap_or_else(CorrelationId::random);
        self.execute(Request {
            method: Method::POST,
            path,
            query: Vec::new(),
            body: Some(body),
            write: true,
            correlation_id,
        })
        .await
    }

    /// Sends `request`. Reads: up to `read_attempts` tries on NotSent, MaybeSent, 5xx and 429
    /// (honouring Retry-After), and one token refresh and replay on 401. Writes: sent once.
    async fn execute<T: DeserializeOwned>(&self, request: Request) -> Result<Response<T>, Error> {
        let cid = request.correlation_id.clone();
        let mut refreshed = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            // A failed token fetch is judged like a failed call: a read retries it.
            let (outcome, token) = match self.token(&cid).await {
                Ok(token) => (self.send_once(&request, &token).await, Some(token)),
                Err(error) => (Err(error), None),
            };
            let retry_after = match &outcome {
                Err(Error::Unauthorized { .. }) if !request.write && !refreshed => {
                    refreshed = true;
                    if let Some(token) = &token {
                        self.tokens.invalidate(token).await;
                    }
                    attempt -= 1;
                    continue;
                }
                Err(Error::RateLimited { retry_after, .. }) => {
                    Some(retry_after.unwrap_or_default())
                }
                Err(Error::NotSent { .. } | Error::MaybeSent { .. }) => Some(Duration::ZERO),
                Err(Error::Rejected { status, .. }) if *status >= 500 => Some(Duration::ZERO),
                _ => None,
            };
            match retry_after {
                Some(asked) if !request.write && attempt < self.config.read_attempts => {
                    let wait = self.backoff(attempt).max(asked).min(self.config.retry_cap);
                    tracing::debug!(correlation_id = %cid, attempt, ?wait, "retrying a read");
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    return outcome.map(|(value, server_time)| Response {
                        value,
                        correlation_id: cid,
                        server_time,
                    });
                }
            }
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self
            .config
            .retry_base
            .saturating_mul(1 << attempt.saturating_sub(1).min(10));
        base.mul_f64(rand::random_range(0.5..1.0))
            .min(self.config.retry_cap)
    }

    /// One try of `request`: what D1 answered, and its clock then.
    async fn send_once<T: DeserializeOwned>(
        &self,
        request: &Request,
        token: &Secret,
    ) -> Result<(T, Option<std::time::SystemTime>), Error> {
        let cid = &request.correlation_id;
        let query: Vec<String> = request
            .query
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let url = match query.is_empty() {
            true => format!("{}{}", self.config.base_url, request.path),
            false => format!(
                "{}{}?{}",
                self.config.base_url,
                request.path,
                query.join("&")
            ),
        };
        let token_text = std::str::from_utf8(token.expose()).unwrap_or_default();
        let mut builder = self
            .http
            .request(request.method.clone(), &url)
            .bearer_auth(token_text)
            .header("x-correlation-id", cid.as_str());
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let response = builder
            .send()
            .await
            .map_err(|e| crate::error::transport(&e, request.write, cid))?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let server_time = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| httpdate::parse_http_date(value).ok());
        let body = self.read_body(response, request.write, cid).await?;
        if status.is_success() {
            return serde_json::from_slice(&body)
                .map(|value| (value, server_time))
                .map_err(|e| Error::Decode {
                    correlation_id: cid.clone(),
                    detail: crate::shape::decode_error(&e),
                });
        }
        Err(rejection(status, &body, retry_after, cid))
    }

    /// The body, at most `max_body_bytes` of it: more is a Decode error, never an allocation.
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        write: bool,
        cid: &CorrelationId,
    ) -> Result<Vec<u8>, Error> {
        let limit = self.config.max_body_bytes;
        let too_large = || Error::Decode {
            correlation_id: cid.clone(),
            detail: format!("the answer is larger than {limit} bytes"),
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| crate::error::transport(&e, write, cid))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Makes sure an access token is at hand (fetched now unless a cached one is still good),
    /// so that a write asked for next leaves at once: a caller that notes when a write left
    /// calls this first.
    pub async fn ready(&self, call: Call) -> Result<(), Error> {
        let cid = call.correlation_id.unwrap_or_else(CorrelationId::random);
        self.token(&cid).await.map(|_| ())
    }

    async fn token(&self, cid: &CorrelationId) -> Result<Secret, Error> {
        self.tokens
            .get(|| async {
                let assertion = self
                    .signer
                    .assertion(self.config.issuer_id.as_str(), &self.config.kid)?;
                let form = [
                    ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                    ("assertion", assertion.as_str()),
                ];
                let response = self
                    .http
                    .post(&self.config.token_url)
                    .header("x-correlation-id", cid.as_str())
                    .form(&form)
                    .send()
                    .await
                    .map_err(|e| crate::error::transport(&e, false, cid))?;
                let status = response.status();
                let retry_after = retry_after(&response);
                let body = self.read_body(response, false, cid).await?;
                if !status.is_success() {
                    return Err(rejection(status, &body, retry_after, cid));
                }
                let token: TokenBody =
                    serde_json::from_slice(&body).map_err(|e| Error::Decode {
                        correlation_id: cid.clone(),
                        detail: format!("token answer: {}", crate::shape::decode_error(&e)),
                    })?;
                Ok((
                    Secret::from(token.access_token),
                    Duration::from_secs(token.expires_in).min(MAX_TOKEN_LIFETIME),
                ))
            })
            .await
    }
}

/// A write's body: its reason code (a Click to Pay or a token code) and its reason.
fn write_body(reason: Option<&Reason>, reason_code: impl Serialize) -> Value {
    let mut body = json!({ "reasonCode": reason_code });
    if let Some(reason) = reason {
        body["reason"] = Value::String(reason.as_str().to_owned());
    }
    body
}

fn to_value(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("wire types serialize")
}

fn page_query(page: Page) -> Result<Vec<(&'static str, String)>, Error> {
    if !(1..=100).contains(&page.count) {
        return Err(Error::InvalidRequest(format!(
            "a page holds 1 to 100 operations, not {}",
            page.count
        )));
    }
    Ok(vec![
        (wire::OFFSET, page.offset.to_string()),
        (wire::COUNT, page.count.to_string()),
    ])
}

/// The longest wait a `Retry-After` from D1 is taken at: a larger (or hostile) value is clamped.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
/// The longest an access token is trusted to live, whatever its `expires_in` says.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    seconds_at_most(value, MAX_RETRY_AFTER)
}

/// A header's whole seconds, clamped to `most`; `None` when it is not a number.
fn seconds_at_most(value: &str, most: Duration) -> Option<Duration> {
    let seconds: u64 = value.trim().parse().ok()?;
    Some(Duration::from_secs(seconds).min(most))
}

fn rejection(
    status: StatusCode,
    body: &[u8],
    retry_after: Option<Duration>,
    cid: &CorrelationId,
) -> Error {
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let correlation_id = cid.clone();
    let message = parsed
        .error
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    match status {
        StatusCode::UNAUTHORIZED => Error::Unauthorized {
            correlation_id,
            message,
        },
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
            correlation_id,
            retry_after,
        },
        _ => Error::Rejected {
            correlation_id,
            status: status.as_u16(),
            error_code: parsed.error_code,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_retry_after_is_clamped_and_a_bad_one_ignored() {
        assert_eq!(
            seconds_at_most("3", MAX_RETRY_AFTER),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            seconds_at_most(&u64::MAX.to_string(), MAX_RETRY_AFTER),
            Some(MAX_RETRY_AFTER)
        );
        for bad in ["-1", "soon", "1.5", "", "99999999999999999999999"] {
            assert_eq!(seconds_at_most(bad, MAX_RETRY_AFTER), None, "{bad}");
        }
        // A clamped wait can always be added to now.
        let _ = std::time::Instant::now() + MAX_RETRY_AFTER + MAX_TOKEN_LIFETIME;
    }
}
