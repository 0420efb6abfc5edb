//! The connection test: TLS handshake, token, one read, each timed, with the failure explained
//! in words (client certificate rejected, server certificate expired, clock skew suspected, …).

use std::future::Future;
use std::time::Instant;

use serde::Serialize;

use super::Session;
use crate::{ErrorCode, Result};

/// One step of the test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// `handshake`, `token`, `read` or `issuer_records`.
    pub name: String,
    /// Whether it worked.
    pub ok: bool,
    /// How long it took, in milliseconds.
    #[specta(type = f64)]
    pub millis: u64,
    /// The failure's code, when it failed.
    pub code: Option<ErrorCode>,
    /// What happened and what to check.
    pub detail: String,
}

async fn step<F: Future<Output = Result<String>>>(name: &str, work: F) -> Step {
    let started = Instant::now();
    let result = work.await;
    let millis = started.elapsed().as_millis() as u64;
    match result {
        Ok(detail) => Step {
            name: name.to_owned(),
            ok: true,
            millis,
            code: None,
            detail,
        },
        Err(error) => Step {
            name: name.to_owned(),
            ok: false,
            millis,
            code: Some(error.code()),
            detail: explain(&error),
        },
    }
}

/// The error in words, with the likely cause where the variant suggests one.
fn explain(error: &crate::Error) -> String {
    match error {
        crate::Error::D1(d1::Error::Unauthorized { .. }) => format!(
            "{error}. If the key id and issuerId are right, clock skew is likely: D1 refuses assertions from a clock that is off by minutes"
        ),
        _ => error.to_string(),
    }
}

/// Tests `session`: handshake, token, one read from D1, one read from the bank's records. Stops
/// at the first D1 step that fails (the next would fail for the same reason).
pub async fn run(session: &Session) -> Vec<Step> {
    let mut steps = Vec::new();
    let cid = |c: d1::CorrelationId| format!("correlation id {}", c.as_str());
    steps.push(
        step("handshake", async {
            Ok(cid(session.d1.check_handshake().await?))
        })
        .await,
    );
    if steps[0].ok {
        steps.push(step("token", async { Ok(cid(session.d1.check_token().await?)) }).await);
    }
    if steps.iter().all(|s| s.ok) {
        let probe = d1::ConsumerId::new("c2p-connection-test").expect("a valid id");
        steps.push(
            step("read", async {
                match session.d1.profiles(&probe, d1::Call::default()).await {
                    Ok(response) => Ok(cid(response.correlation_id)),
                    // D1 read the request, authorised it and looked: that is what is tested.
                    Err(d1::Error::Rejected {
                        status: 404,
                        correlation_id,
                        ..
                    }) => Ok(format!(
                        "D1 answered (no such consumer, as expected); {}",
                        cid(correlation_id)
                    )),
                    Err(error) => Err(error.into()),
                }
            })
            .await,
        );
    }
    steps.push(
        step("issuer_records", async {
            let probe = d1::ConsumerId::new("c2p-connection-test").expect("a valid id");
            session.records.consumer(&probe).await?;
            Ok("the bank's records answered".to_owned())
        })
        .await,
    );
    steps
}
