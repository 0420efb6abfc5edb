//! D1's notifications, consumed beside polling: when an operation ends, D1 POSTs Notify Card
//! Operations or Notify Consumer Operations to the issuer's host. Where the bank relays them to
//! a workstation (or the sandbox sends them), this receiver on loopback applies each one to the
//! journal entry holding its operationId, so the operation ends without waiting for a poll.
//! Operations this workstation did not start are ignored. Bodies are bounded and parsed strictly.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::routing::post;

use crate::console::Console;
use crate::journal::Entry;
use crate::{Error, Result};

/// The largest notification body accepted.
const MAX_BODY_BYTES: usize = 256 * 1024;

/// A running receiver; stops when dropped.
pub struct Receiver {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Where it listens, to give D1 (or the sandbox) as the issuer's notification host.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the receiver on `listen`, which must be a loopback address.
pub async fn receive(console: Arc<Console>, listen: SocketAddr) -> Result<Receiver> {
    if !listen.ip().is_loopback() {
        return Err(Error::InvalidInput(format!(
            "the notification receiver listens on loopback only, not {listen}: let the bank's notification host relay to it"
        )));
    }
    let router = axum::Router::new()
        .route(d1::wire::NOTIFY_CARDS, post(notified))
        .route(d1::wire::NOTIFY_CONSUMERS, post(notified))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(console);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Internal(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::Internal(e.to_string()))?;
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::warn!(%error, "the notification receiver stopped");
        }
    });
    Ok(Receiver { addr, task })
}

async fn notified(
    State(console): State<Arc<Console>>,
    Json(notification): Json<d1::wire::Notification>,
) -> StatusCode {
    for operation in &notification.operations {
        match console.apply_notification(operation) {
            Ok(Some(entry)) => {
                tracing::info!(entry = entry.id, state = ?entry.state, "operation ended (notified)")
            }
            Ok(None) => {}
            Err(error) => {
                // D1 retries a failed delivery; the tracker's polling catches up anyway.
                tracing::warn!(code = ?error.code(), %error, "a notification could not be applied");
                return StatusCode::SERVICE_UNAVAILABLE;
            }
        }
    }
    StatusCode::NO_CONTENT
}

impl Console {
    /// Applies one notified operation to the journal entry holding its operationId; returns the
    /// entry when it changed. Unknown operations and ones already final are left alone.
    pub fn apply_notification(&self, operation: &d1::wire::Operation) -> Result<Option<Entry>> {
        let Some(entry) = self.journal.by_operation_id(&operation.operation_id)? else {
            return Ok(None);
        };
        let state = crate::writes::state_of(&operation.status);
        if entry.state.is_final() || entry.state == state {
            return Ok(None);
        }
        let detail = operation
            .error_code
            .as_deref()
            .or(operation.error.as_deref());
        let Some(updated) = self.journal.record(entry.id, state, None, detail)? else {
            return Ok(None);
        };
        self.record_outcome(&updated)?;
        Ok(Some(updated))
    }
}
