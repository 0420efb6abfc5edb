//! D1 eCom Enablement, the merchant gateways' side: tokenize a card for a merchant, read and
//! delete the merchant's tokens. A gateway authenticates with its own certificate and ES256 key
//! (`iss` = its merchantGatewayId), sends a JSON token request, and names every call with an
//! `x-correlation-id`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::state::Shared;
use crate::tokens::DigitalCard;
use crate::world::World;

/// The use cases a gateway may tokenize for.
const USE_CASES: [&str; 3] = ["CARD_ON_FILE", "ONE_OFF", "RECURRING"];

/// The request's `x-correlation-id`: required, `^[A-Za-z0-9_-]{1,64}$`.
pub fn correlation_id(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get("x-correlation-id")
        .ok_or_else(|| ApiError::missing_field("x-correlation-id"))?
        .to_str()
        .map_err(|_| ApiError::invalid_field("x-correlation-id"))?;
    let valid = (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    valid
        .then_some(value)
        .ok_or_else(|| ApiError::invalid_field("x-correlation-id"))
}

/// Middleware: a correlation id, and an access token of the gateway the path names.
pub async fn require_gateway(
    State(shared): State<Arc<Shared>>,
    Path(path): Path<HashMap<String, String>>,
    request: Request,
    next: Next,
) -> Response {
    if let Err(error) = correlation_id(request.headers()) {
        return error.into_response();
    }
    let holder = crate::auth::bearer_token(request.headers())
        .and_then(|token| shared.authority.holder(token));
    match holder {
        Some(Principal::Gateway(id)) if path.get("merchant_gateway_id") == Some(&id) => {
            next.run(request).await
        }
        Some(_) => ApiError::unauthorized("the access token is not this merchant gateway's")
            .into_response(),
        None => ApiError::unauthorized("the access token is missing, invalid or expired")
            .into_response(),
    }
}

/// A token as its gateway sees it.
fn token_view(world: &World, token: &DigitalCard) -> Value {
    let card_last4 = world
        .bank_holder_of_card(&token.card_id)
        .and_then(|c| c.cards.iter().find(|k| k.card_id == token.card_id))
        .map(|c| c.last4.clone());
    json!({
        "tokenId": token.digital_card_id,
        "status": token.state,
        "tokenLast4": token.last4,
        "tokenExpiryDate": token.expiry_date,
        "cardLast4": card_last4,
        "merchantId": token.merchant_id,
    })
}

/// A required string field of `object`; `path` names it in errors.
fn required<'a>(
    object: &'a Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<&'a str, ApiError> {
    match object.get(name) {
        None | Some(Value::Null) => Err(ApiError::missing_field(path)),
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(ApiError::invalid_field(path)),
    }
}

/// `POST …/merchant-gateways/{id}/merchants/{merchantId}/tokens`: tokenize a test PAN.
pub async fn tokenize(
    State(shared): State<Arc<Shared>>,
    Path((gateway_id, merchant_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&body) else {
        return Err(ApiError::invalid_field("body"));
    };
    let card = match body.get("card") {
        None | Some(Value::Null) => return Err(ApiError::missing_field("card")),
        Some(Value::Object(card)) => card,
        Some(_) => return Err(ApiError::invalid_field("card")),
    };
    let pan = required(card, "pan", "card.pan")?;
    if !(13..=19).contains(&pan.len()) || !pan.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_field("card.pan"));
    }
    let expiry = required(card, "expiryDate", "card.expiryDate")?;
    if expiry.len() != 4 || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_field("card.expiryDate"));
    }
    if !USE_CASES.contains(&required(&body, "useCase", "useCase")?) {
        return Err(ApiError::invalid_field("useCase"));
    }
    match body.get("consumerConsent") {
        None | Some(Value::Null) => return Err(ApiError::missing_field("consumerConsent")),
        Some(Value::Bool(true)) => {}
        Some(_) => return Err(ApiError::invalid_field("consumerConsent")),
    }
    let mut world = shared.world();
    let token = world.tokenize(&gateway_id, &merchant_id, pan, expiry)?;
    let view = token_view(&world, &token);
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// `GET …/merchants/{merchantId}/tokens/{tokenId}`.
pub async fn token(
    State(shared): State<Arc<Shared>>,
    Path((gateway_id, merchant_id, token_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let world = shared.world();
    let token = world.gateway_token(&gateway_id, &merchant_id, &token_id)?;
    Ok(Json(token_view(&world, &token)))
}

/// `GET …/merchants/{merchantId}/tokens`: the merchant's tokens (the simulator's own call, for
/// `d1-sandbox gateway list`).
pub async fn tokens(
    State(shared): State<Arc<Shared>>,
    Path((gateway_id, merchant_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let world = shared.world();
    let tokens: Vec<Value> = world
        .gateway_tokens(&gateway_id, &merchant_id)?
        .iter()
        .map(|token| token_view(&world, token))
        .collect();
    Ok(Json(json!({ "tokens": tokens })))
}

/// `DELETE …/merchants/{merchantId}/tokens/{tokenId}`: the merchant deletes its token, and the
/// issuer is notified of it.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path((gateway_id, merchant_id, token_id)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let operation = shared
        .world()
        .gateway_delete(&gateway_id, &merchant_id, &token_id)?;
    shared.notify(&operation);
    Ok(StatusCode::NO_CONTENT)
}

/// `gateway.json` in a gateway's folder of the state directory: who it is and where to call.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GatewayFile {
    /// Its merchantGatewayId.
    pub merchant_gateway_id: String,
    /// The key id of its signing key.
    pub kid: String,
    /// The eCom Enablement API base.
    pub ecom_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The merchants behind it.
    pub merchants: Vec<Merchant>,
}

impl GatewayFile {
    /// Its file name in the gateway's folder.
    pub const NAME: &str = "gateway.json";
}

/// A merchant behind a gateway.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Merchant {
    /// Its merchantId.
    pub merchant_id: String,
    /// Its name, as the issuer sees it on its tokens.
    pub name: String,
}

/// How to play merchant gateway `gateway_id` with curl, for `gateways/README.txt` of state
/// directory `dir`.
pub fn curl_help(
    dir: &std::path::Path,
    gateway_id: &str,
    token_url: &str,
    ecom_url: &str,
) -> String {
    let dir = dir.display();
    let merchant = crate::tokens::MERCHANTS
        .iter()
        .find(|(_, _, gateway, _)| *gateway == gateway_id)
        .map_or("MERCHANT_ID", |(id, ..)| *id);
    format!(
        r#"Playing a merchant gateway (D1 eCom Enablement). Each gateway has its own certificate and
ES256 key in gateways/<merchantGatewayId>/; its merchants are in gateway.json there.

The easy way:
  d1-sandbox gateway tokenize --state-dir {dir} --gateway {gateway_id} --merchant {merchant} --card CARD_ID
  d1-sandbox gateway list     --state-dir {dir} --gateway {gateway_id} --merchant {merchant}
  d1-sandbox gateway delete   --state-dir {dir} --gateway {gateway_id} --merchant {merchant} --token TOKEN_ID
(--card takes a seeded card's id and tokenizes its test PAN; --pan PAN --expiry MMYY also works.)

With curl (every call needs an x-correlation-id; the token request is JSON only):
  GW={dir}/gateways/{gateway_id}
  TLS="--cacert {dir}/server-ca.pem --cert $GW/client.pem --key $GW/client.key"
  ASSERTION=$(d1-sandbox assertion --state-dir {dir} --gateway {gateway_id})
  TOKEN=$(curl -s $TLS -H 'content-type: application/json' -H 'x-correlation-id: try-1' \
    -d '{{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","assertion":"'$ASSERTION'"}}' \
    {token_url} | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
  curl -s $TLS -H "authorization: Bearer $TOKEN" -H 'x-correlation-id: try-2' \
    -H 'content-type: application/json' \
    -d '{{"card":{{"pan":"PAN","expiryDate":"MMYY"}},"useCase":"CARD_ON_FILE","consumerConsent":true}}' \
    {ecom_url}/merchant-gateways/{gateway_id}/merchants/{merchant}/tokens
  curl -s $TLS -X DELETE -H "authorization: Bearer $TOKEN" -H 'x-correlation-id: try-3' \
    {ecom_url}/merchant-gateways/{gateway_id}/merchants/{merchant}/tokens/TOKEN_ID
"#
    )
}
