//! D1's error answers: `{"errorCode", "error"}` with the contract's status codes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer of the sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// D1's `errorCode`, absent where D1 sends only `error` (404, 403, 500).
    pub code: Option<&'static str>,
    /// Human-readable detail.
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    /// 400 `FIELD_INVALID_FORMAT` naming `field`.
    pub fn invalid_format(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Some("FIELD_INVALID_FORMAT"),
            format!("{field} is not in the expected format"),
        )
    }

    /// 400 `FIELD_INVALID_VALUE` naming `field`.
    pub fn invalid_value(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Some("FIELD_INVALID_VALUE"),
            format!("{field} has a value that is not allowed"),
        )
    }

    /// 400 `MISSING_FIELD` naming `field` (eCom Enablement's spelling).
    pub fn missing_field(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Some("MISSING_FIELD"),
            format!("{field} is required"),
        )
    }

    /// 400 `INVALID_FIELD` naming `field` (eCom Enablement's spelling).
    pub fn invalid_field(field: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            Some("INVALID_FIELD"),
            format!("{field} is not valid"),
        )
    }

    /// 401 `AUTHORIZER_UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            Some("AUTHORIZER_UNAUTHORIZED"),
            message,
        )
    }

    /// 403: not allowed in the current state.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, None, message)
    }

    /// 404: unknown issuer, consumer or card.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, format!("unknown {what} {id}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = match self.code {
            Some(code) => json!({ "errorCode": code, "error": self.message }),
            None => json!({ "error": self.message }),
        };
        (self.status, Json(body)).into_response()
    }
}
