//! The admin endpoint, `/admin/v1`, reachable only with the sandbox's own admin token: read,
//! replace or clear the fault rules, revoke every access token, and delete a card as D1's
//! portal would (the contract names no issuer call for it).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::faults::Fault;
use crate::state::Shared;

/// Middleware: the admin token as a bearer token.
pub async fn require_admin_token(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let token = crate::auth::bearer_token(request.headers());
    if token == Some(shared.admin_token.as_str()) {
        next.run(request).await
    } else {
        ApiError::unauthorized("the admin token is missing or wrong").into_response()
    }
}

/// `GET /admin/v1/faults`.
pub async fn get_faults(State(shared): State<Arc<Shared>>) -> Json<Vec<Fault>> {
    Json(shared.faults.get())
}

/// `PUT /admin/v1/faults` with a list of rules, replacing the ones in force.
pub async fn put_faults(
    State(shared): State<Arc<Shared>>,
    body: axum::body::Bytes,
) -> Result<Json<Vec<Fault>>, ApiError> {
    let rules: Vec<Fault> =
        serde_json::from_slice(&body).map_err(|_| ApiError::invalid_format("body"))?;
    tracing::info!(rules = rules.len(), "fault rules replaced");
    shared.faults.set(rules);
    Ok(Json(shared.faults.get()))
}

/// `DELETE /admin/v1/faults`: back to normal.
pub async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.set(Vec::new());
    StatusCode::NO_CONTENT
}

/// `POST /admin/v1/tokens:revoke`: every access token stops working.
pub async fn revoke_tokens(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.authority.revoke_all();
    StatusCode::NO_CONTENT
}

/// `DELETE /admin/v1/cards/{cardId}`: the card is deleted in D1. Its tokens are deleted (their
/// gateways told), it leaves Click to Pay, and the issuer is notified of each operation.
pub async fn delete_card(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(card_id): axum::extract::Path<String>,
) -> Result<Json<Vec<crate::world::Operation>>, ApiError> {
    crate::validate::card_id(&card_id)?;
    let operations = shared.world().delete_card(&card_id)?;
    for operation in &operations {
        shared.notify(operation);
    }
    Ok(Json(operations))
}
