//! The Click to Pay endpoints under `/banking/v1` and the token endpoint.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::faults::Endpoint;
use crate::state::Shared;
use crate::world::{Action, Operation};
use crate::{validate, wire};

/// Default and largest page of an operations list.
const DEFAULT_COUNT: usize = 10;
const MAX_COUNT: usize = 100;

#[derive(Deserialize)]
struct TokenRequest {
    grant_type: Option<String>,
    assertion: Option<String>,
}

/// `POST /authz/v1/oauth2/token`: the JWT-bearer grant, form or JSON body.
pub async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let request: TokenRequest = if json {
        serde_json::from_slice(&body).map_err(|_| ApiError::invalid_format("body"))?
    } else {
        serde_urlencoded::from_bytes(&body).map_err(|_| ApiError::invalid_format("body"))?
    };
    if request.grant_type.as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return Err(ApiError::invalid_value("grant_type"));
    }
    let assertion = request
        .assertion
        .ok_or_else(|| ApiError::invalid_format("assertion"))?;
    let principal = shared
        .authority
        .verify(&assertion, chrono::Utc::now().timestamp())
        .map_err(|e| ApiError::unauthorized(e.to_string()))?;
    if let Principal::Gateway(_) = principal {
        // eCom Enablement: a JSON body only, and a correlation id on every call.
        crate::gateway::correlation_id(&headers)?;
        if !json {
            return Err(ApiError::invalid_field("body"));
        }
    }
    let body = json!({
        "access_token": shared.authority.issue(principal),
        "expires_in": shared.authority.token_ttl().as_secs(),
        "scope": "clickToPay",
        "token_type": "Bearer",
    });
    Ok(Json(body).into_response())
}

/// Middleware: counts every request to the token endpoint, including those a fault answers.
pub async fn count_token_request(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    shared.stats.token_request();
    next.run(request).await
}

/// Middleware: every banking call needs a valid, unexpired access token.
pub async fn require_token(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let token = crate::auth::bearer_token(request.headers());
    match token {
        Some(token) => match shared.authority.holder(token) {
            Some(Principal::Issuer) => next.run(request).await,
            Some(Principal::Gateway(_)) => {
                ApiError::unauthorized("a merchant gateway's token is not the issuer's")
                    .into_response()
            }
            None => {
                ApiError::unauthorized("the access token is invalid or expired").into_response()
            }
        },
        None => ApiError::unauthorized("an access token is required").into_response(),
    }
}

fn check_issuer(shared: &Shared, issuer_id: &str) -> Result<(), ApiError> {
    validate::issuer_id(issuer_id)?;
    if issuer_id == shared.issuer_id {
        Ok(())
    } else {
        Err(ApiError::not_found("issuer", issuer_id))
    }
}

/// `GET …/consumers/{consumerId}/clickToPayProfiles`.
pub async fn profiles(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, consumer_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::long_id("consumerId", &consumer_id)?;
    let profiles = shared.world().profiles(&consumer_id)?;
    let failing = shared.faults.failing_directory();
    let items: Vec<Value> = profiles
        .into_iter()
        .filter(|(scheme, _)| Some(*scheme) != failing)
        .map(|(scheme, profile)| {
            json!({
                "scheme": scheme,
                "consumerId": consumer_id,
                "consumerInfo": profile.consumer_info,
                "cards": profile.cards,
            })
        })
        .collect();
    let mut answer = json!({ "clickToPayProfiles": items });
    if let Some(scheme) = failing {
        // D1 still answers with the other directories, plus an error for the failing one.
        answer[wire::PROFILE_ERRORS] = json!([{
            "scheme": scheme,
            "errorCode": "DIRECTORY_UNAVAILABLE",
            "error": "the directory did not answer",
        }]);
    }
    Ok(Json(answer))
}

/// Records a write and answers `202 {operationId, status}`; the operation ends after the
/// configured delay (at once, answering its final status, when the delay is zero), or never
/// while a stuck-pending fault is on.
fn accept(
    shared: &Arc<Shared>,
    endpoint: Endpoint,
    action: Action,
    body: &serde_json::Map<String, Value>,
) -> Result<Response, ApiError> {
    let target = action
        .card_id()
        .or(action.consumer_id())
        .or(action.digital_card_id())
        .unwrap_or_default();
    shared.stats.write(target);
    let codes = match action {
        Action::Token { .. } => validate::TOKEN_REASON_CODES,
        _ => validate::CLICK_TO_PAY_REASON_CODES,
    };
    let fields = validate::write_fields(body, codes)?;
    let operation = shared
        .world()
        .start(action, fields.reason, fields.reason_code)?;
    let operation = if shared.faults.stuck_pending(endpoint) {
        operation
    } else if shared.op_delay.is_zero() {
        shared.finish(&operation.operation_id).unwrap_or(operation)
    } else {
        let (later, id, delay) = (
            Arc::clone(shared),
            operation.operation_id.clone(),
            shared.op_delay,
        );
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            later.finish(&id);
        });
        operation
    };
    let answer = json!({ "operationId": operation.operation_id, "status": operation.status });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// `POST …/cards/{cardId}/operations:clickToPayEnrolment`.
pub async fn enrol(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, card_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::card_id(&card_id)?;
    let body = validate::body_object(&body)?;
    let cardholder_name = validate::cardholder_name(&body, wire::ENROL_CARDHOLDER_NAME)?;
    accept(
        &shared,
        Endpoint::Enrol,
        Action::Enrol {
            card_id,
            cardholder_name,
        },
        &body,
    )
}

/// `POST …/cards/{cardId}/operations:clickToPayUpdate`.
pub async fn update_card(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, card_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::card_id(&card_id)?;
    let body = validate::body_object(&body)?;
    let billing_address = validate::billing_address(&body)?;
    let card_holder_name = validate::cardholder_name(&body, "cardHolderName")?;
    accept(
        &shared,
        Endpoint::UpdateCard,
        Action::UpdateCard {
            card_id,
            billing_address,
            card_holder_name,
        },
        &body,
    )
}

/// `POST …/cards/{cardId}/operations:clickToPayOptOut`.
pub async fn opt_out_card(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, card_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::card_id(&card_id)?;
    let body = validate::body_object(&body)?;
    accept(
        &shared,
        Endpoint::OptOutCard,
        Action::OptOutCard { card_id },
        &body,
    )
}

/// `POST …/consumers/{consumerId}/operations:clickToPayUpdate`.
pub async fn update_consumer(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, consumer_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::long_id("consumerId", &consumer_id)?;
    let body = validate::body_object(&body)?;
    let info = validate::consumer_info(&body)?;
    accept(
        &shared,
        Endpoint::UpdateConsumer,
        Action::UpdateConsumer { consumer_id, info },
        &body,
    )
}

/// `POST …/consumers/{consumerId}/operations:clickToPayOptOut`.
pub async fn opt_out_consumer(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, consumer_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::long_id("consumerId", &consumer_id)?;
    let body = validate::body_object(&body)?;
    accept(
        &shared,
        Endpoint::OptOutConsumer,
        Action::OptOutConsumer { consumer_id },
        &body,
    )
}

/// Offset and count of an operations list.
#[derive(Deserialize)]
pub struct PageQuery {
    offset: Option<String>,
    count: Option<String>,
}

impl PageQuery {
    fn parse(&self) -> Result<(usize, usize), ApiError> {
        let number = |value: &Option<String>, name: &str, default: usize| match value {
            None => Ok(default),
            Some(v) => v
                .parse::<usize>()
                .map_err(|_| ApiError::invalid_format(name)),
        };
        let offset = number(&self.offset, "offset", 0)?;
        let count = number(&self.count, "count", DEFAULT_COUNT)?;
        if !(1..=MAX_COUNT).contains(&count) {
            return Err(ApiError::invalid_value("count"));
        }
        Ok((offset, count))
    }
}

fn list(result: (Vec<Operation>, usize)) -> Json<Value> {
    Json(json!({ "operations": result.0, "remainingOperations": result.1 }))
}

/// `GET …/cards/{cardId}/operations`.
pub async fn card_operations(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, card_id)): Path<(String, String)>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::card_id(&card_id)?;
    let (offset, count) = page.parse()?;
    Ok(list(
        shared.world().card_operations(&card_id, offset, count)?,
    ))
}

/// `GET …/consumers/{consumerId}/operations`.
pub async fn consumer_operations(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, consumer_id)): Path<(String, String)>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::long_id("consumerId", &consumer_id)?;
    let (offset, count) = page.parse()?;
    Ok(list(shared.world().consumer_operations(
        &consumer_id,
        offset,
        count,
    )?))
}

/// `GET …/consumers/{consumerId}/operations/{operationId}`.
pub async fn consumer_operation(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, consumer_id, operation_id)): Path<(String, String, String)>,
) -> Result<Json<Operation>, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::long_id("consumerId", &consumer_id)?;
    validate::long_id("operationId", &operation_id)?;
    Ok(Json(
        shared
            .world()
            .consumer_operation(&consumer_id, &operation_id)?,
    ))
}

/// `GET …/cards/{cardId}/digitalCards`: every token of the card, the deleted ones too.
pub async fn digital_cards(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, card_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::card_id(&card_id)?;
    let tokens = shared.world().digital_cards(&card_id)?;
    Ok(Json(json!({ wire::DIGITAL_CARDS: tokens })))
}

/// `GET …/digitalCards/{digitalCardId}`.
pub async fn digital_card(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, digital_card_id)): Path<(String, String)>,
) -> Result<Json<crate::tokens::DigitalCard>, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::long_id("digitalCardId", &digital_card_id)?;
    Ok(Json(shared.world().digital_card(&digital_card_id)?))
}

/// `POST …/digitalCards/{digitalCardId}/operations:{suspend|resume|delete}`, as the issuer.
async fn token_write(
    shared: &Arc<Shared>,
    issuer_id: &str,
    digital_card_id: String,
    write: crate::tokens::TokenWrite,
    body: &[u8],
) -> Result<Response, ApiError> {
    check_issuer(shared, issuer_id)?;
    validate::long_id("digitalCardId", &digital_card_id)?;
    let body = validate::body_object(body)?;
    accept(
        shared,
        Endpoint::DigitalCardWrites,
        Action::Token {
            digital_card_id,
            write,
            by: crate::tokens::Party::Issuer,
        },
        &body,
    )
}

/// `POST …/digitalCards/{digitalCardId}/operations:suspend`.
pub async fn suspend(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, digital_card_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let write = crate::tokens::TokenWrite::Suspend;
    token_write(&shared, &issuer_id, digital_card_id, write, &body).await
}

/// `POST …/digitalCards/{digitalCardId}/operations:resume`.
pub async fn resume(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, digital_card_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let write = crate::tokens::TokenWrite::Resume;
    token_write(&shared, &issuer_id, digital_card_id, write, &body).await
}

/// `POST …/digitalCards/{digitalCardId}/operations:delete`.
pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, digital_card_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let write = crate::tokens::TokenWrite::Delete;
    token_write(&shared, &issuer_id, digital_card_id, write, &body).await
}

/// `GET …/digitalCards/{digitalCardId}/operations`, whoever made them.
pub async fn digital_card_operations(
    State(shared): State<Arc<Shared>>,
    Path((issuer_id, digital_card_id)): Path<(String, String)>,
    Query(page): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    check_issuer(&shared, &issuer_id)?;
    validate::long_id("digitalCardId", &digital_card_id)?;
    let (offset, count) = page.parse()?;
    Ok(list(shared.world().digital_card_operations(
        &digital_card_id,
        offset,
        count,
    )?))
}
