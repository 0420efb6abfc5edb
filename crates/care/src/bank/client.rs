//! The client of the bank's issuer-records API (`crates/d1-sandbox/issuer-records.openapi.yaml`):
//! search consumers and read one consumer's record. Same mutual TLS identity as D1, plus the
//! bank's API key as a bearer token. Answers are bounded in size and parsed strictly.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::record::{AccountStatus, IssuerConsumer, Name};
use crate::{Error, ErrorCode, Result};

/// Answers larger than this are refused.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// The most results one search returns.
pub const MAX_RESULTS: u32 = 100;

/// A card in a search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CardSummary {
    /// D1's card id.
    #[serde(deserialize_with = "d1::shape::card_id")]
    #[specta(type = String)]
    pub card_id: String,
    /// The network.
    pub scheme: String,
    /// Last four digits.
    #[serde(deserialize_with = "d1::shape::last_four")]
    #[specta(type = String)]
    pub last4: String,
    /// Account state.
    pub status: AccountStatus,
}

/// A consumer in a search result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerSummary {
    /// The consumer's id.
    pub consumer_id: String,
    /// Name in latin letters.
    pub name_latin: Name,
    /// Name in kanji.
    pub name_kanji: Option<Name>,
    /// Name in katakana.
    pub name_kana: Option<Name>,
    /// E-mail address.
    pub email: String,
    /// Country calling code.
    pub phone_country_code: String,
    /// National number.
    pub phone_number: String,
    /// Their cards.
    pub cards: Vec<CardSummary>,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    /// The consumers found, at most the limit asked for.
    pub consumers: Vec<ConsumerSummary>,
    /// Whether more consumers match.
    pub more: bool,
}

/// The issuer-records API of one environment.
pub struct IssuerRecords {
    http: reqwest::Client,
    base_url: String,
    api_key: d1::Secret,
}

impl std::fmt::Debug for IssuerRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerRecords")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl IssuerRecords {
    /// A client for `base_url` presenting the mTLS identity, trusting `trusted_ca_pem` only when
    /// given (else the platform's roots).
    pub fn new(
        base_url: &str,
        client_chain_pem: &str,
        client_key_pem: &d1::Secret,
        trusted_ca_pem: Option<&str>,
        api_key: d1::Secret,
    ) -> Result<Self> {
        let invalid = |what: &str, e: reqwest::Error| {
            Error::CredentialsInvalid(format!("the issuer-records {what} cannot be used: {e}"))
        };
        let key = std::str::from_utf8(client_key_pem.expose())
            .map_err(|_| Error::CredentialsInvalid("the mTLS key is not PEM text".into()))?;
        let pem = zeroize::Zeroizing::new(format!("{}\n{key}", client_chain_pem.trim_end()));
        let identity = reqwest::Identity::from_pem(pem.as_bytes())
            .map_err(|e| invalid("client certificate", e))?;
        let mut builder = reqwest::Client::builder()
            .identity(identity)
            .min_tls_version(reqwest::tls::Version::TLS_1_2)
            .https_only(true)
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15));
        if let Some(ca) = trusted_ca_pem {
            let ca = reqwest::Certificate::from_pem(ca.as_bytes())
                .map_err(|e| invalid("trusted CA", e))?;
            builder = builder.tls_certs_only([ca]);
        }
        Ok(Self {
            http: builder
                .build()
                .map_err(|e| Error::Internal(format!("cannot set up TLS: {e}")))?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key,
        })
    }

    /// The consumerId whose cards hold `card_id`, found by the bank's search, or
    /// [`crate::Error::NotFound`] ("is it a consumer id?").
    pub async fn consumer_of_card(&self, card_id: &str) -> Result<String> {
        crate::batch::preview::consumer_of_card(card_id, self.search(card_id, 2).await?)
    }

    /// Consumers matching `text` (consumerId, cardId, a name in any script, e-mail, phone, or
    /// last 4), at most `limit` (1 to 100). Kana is searched as full-width katakana, however
    /// typed (see [`super::kana`]).
    pub async fn search(&self, text: &str, limit: u32) -> Result<SearchResults> {
        self.search_after(text, limit, None).await
    }

    /// Like [`search`](Self::search), from the first consumerId after `after` (the last one
    /// of the previous page): results come in consumerId order.
    pub async fn search_after(
        &self,
        text: &str,
        limit: u32,
        after: Option<&str>,
    ) -> Result<SearchResults> {
        let folded = super::kana::fold_to_katakana(text);
        let text = folded.trim();
        if text.is_empty() || text.chars().count() > 200 {
            return Err(Error::InvalidInput(
                "type 1 to 200 characters to search".into(),
            ));
        }
        let limit = limit.clamp(1, MAX_RESULTS).to_string();
        let url = format!("{}/consumers", self.base_url);
        let mut query = vec![("q", text), ("limit", &limit)];
        if let Some(after) = after {
            query.push(("after", after));
        }
        let body = self.get(&url, &query).await?;
        parse(
            &body
                .ok_or_else(|| failure(ErrorCode::BadAnswer, "the search endpoint answered 404"))?,
        )
    }

    /// The bank's record of `consumer_id`, or `None` when the bank does not know them.
    pub async fn consumer(&self, consumer_id: &d1::ConsumerId) -> Result<Option<IssuerConsumer>> {
        let url = format!("{}/consumers/{consumer_id}", self.base_url);
        match self.get(&url, &[]).await? {
            None => Ok(None),
            Some(body) => parse(&body).map(Some),
        }
    }

    /// The body of a 2xx answer, `None` for a 404, an error otherwise.
    async fn get(&self, url: &str, query: &[(&str, &str)]) -> Result<Option<Vec<u8>>> {
        let key = std::str::from_utf8(self.api_key.expose()).unwrap_or_default();
        let url = match query.is_empty() {
            true => url.to_owned(),
            false => format!(
                "{url}?{}",
                serde_urlencoded::to_string(query).map_err(|e| Error::Internal(e.to_string()))?
            ),
        };
        let mut response = self
            .http
            .get(url)
            .bearer_auth(key)
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(failure(ErrorCode::BadAnswer, "the answer is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        match status.as_u16() {
            200..=299 => Ok(Some(body)),
            401 | 403 => Err(failure(
                ErrorCode::Unauthorized,
                "the API refused the key: check the environment's issuer-records API key",
            )),
            code => Err(failure(
                ErrorCode::Rejected,
                &format!("the API answered HTTP {code}: try again, then check the bank's service"),
            )),
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        failure(
            ErrorCode::BadAnswer,
            &format!("{}; nothing in it was used", d1::shape::decode_error(&e)),
        )
    })
}

fn failure(code: ErrorCode, detail: &str) -> Error {
    Error::IssuerRecords {
        code,
        detail: detail.to_owned(),
    }
}

/// A transport failure in words, without the URL: a search's query string carries what the
/// operator typed (a name, an e-mail address, a phone number).
fn transport(error: reqwest::Error) -> Error {
    let error = error.without_url();
    if let Some(tls) = d1::TlsFailure::of(&error) {
        return failure(ErrorCode::TlsFailed, tls.advice());
    }
    let code = if error.is_timeout() || error.is_connect() || error.is_request() {
        ErrorCode::Unreachable
    } else {
        ErrorCode::BadAnswer
    };
    failure(
        code,
        &format!(
            "{}: check the network and the environment's issuer-records URL",
            d1_chain(&error)
        ),
    )
}

fn d1_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(source) = next {
        text.push_str(": ");
        text.push_str(&source.to_string());
        next = source.source();
    }
    text
}
