//! The rules a token's write follows before anything is journaled: a reason code given, a
//! token that is not deleted, a Click to Pay token removed only by its card's opt-out, a
//! suspension that is not the bank's already, and a resume of the bank's own suspension only.
//! D1 refuses most of these too; here the operator learns why, and nothing is sent. Which ones
//! need the fraud team's permission is said, for the caller to ask for it.

use d1::wire::{OperationKind, OperationStatus, RequestorType, Suspender, TokenState, TokenType};

use super::TokenReason;
use crate::environments::Session;
use crate::writes::{WriteKind, WriteRequest};
use crate::{Error, Result};

/// What the rules say of a token's write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// It may leave; `fraud` when it needs the fraud team's permission (a fraud reason code,
    /// or lifting a suspension the bank made for fraud).
    Go {
        /// Whether [`crate::policy::Permission::TokenFraud`] is needed.
        fraud: bool,
    },
    /// Refused by the token's state, in words; nothing is sent.
    Refused(String),
}

/// Checks `request`, a token's write, against the token as D1 shows it now.
pub async fn check(session: &Session, request: &WriteRequest) -> Result<Check> {
    let Some(reason) = request.token_reason else {
        return Err(Error::InvalidInput(
            "a token's write needs a reason code: nothing was sent".into(),
        ));
    };
    let fraud = !reason.customer_reported();
    let id = d1::DigitalCardId::new(&request.target)?;
    let token = session
        .d1
        .digital_card(&id, d1::Call::default())
        .await?
        .value;
    let refused = |why: &str| Ok(Check::Refused(why.to_owned()));
    if token.state == TokenState::Deleted {
        return refused("this token is deleted: nothing more can be done to it");
    }
    let by_bank = token.suspended_by.contains(&Suspender::Issuer);
    match request.kind {
        WriteKind::DeleteToken if token.token_type == TokenType::ClickToPay => refused(
            "a Click to Pay token is removed by opting its card out of Click to Pay, which takes the card out of the directory with it",
        ),
        // The fraud team's suspension goes over the bank's own (an agent's, for a lost phone):
        // from then on only the fraud team lifts it. Once it is the fraud team's, nothing more.
        WriteKind::SuspendToken if by_bank && !fraud => {
            refused("the bank has suspended this token already")
        }
        WriteKind::SuspendToken if by_bank && bank_suspended_for_fraud(session, &id).await? => {
            refused("the bank has suspended this token already, for fraud")
        }
        WriteKind::ResumeToken if !by_bank && token.suspended_by.is_empty() => {
            refused("this token is not suspended")
        }
        WriteKind::ResumeToken if !by_bank => refused(
            "only who suspended this token may lift their suspension, and the bank did not suspend it (the wallet, the merchant or the cardholder did)",
        ),
        WriteKind::ResumeToken => Ok(Check::Go {
            fraud: fraud || bank_suspended_for_fraud(session, &id).await?,
        }),
        _ => Ok(Check::Go { fraud }),
    }
}

/// Whether the bank's latest suspension of token `id` that D1 lists (the newest 50 operations;
/// one still pending or unknown counts) was made with a reason code of the fraud team's, or
/// none D1 names: then only the fraud team lifts it. In doubt (no trace of it there, one whose
/// time or requestor D1 does not give), it is the fraud team's.
async fn bank_suspended_for_fraud(session: &Session, id: &d1::DigitalCardId) -> Result<bool> {
    let page = d1::Page {
        offset: 0,
        count: 50,
    };
    let operations = session
        .d1
        .digital_card_operations(id, page, d1::Call::default())
        .await?
        .value
        .operations;
    let mut suspensions = Vec::new();
    for operation in operations.iter().filter(|o| {
        o.operation == OperationKind::Suspend
            && o.status != OperationStatus::Failed
            && !matches!(
                o.requestor_type,
                Some(
                    RequestorType::Tsp
                        | RequestorType::User
                        | RequestorType::Cci
                        | RequestorType::D1
                )
            )
    }) {
        let started = operation
            .start_time
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        match (started, &operation.requestor_type) {
            (Some(started), Some(RequestorType::Issuer)) => suspensions.push((started, operation)),
            _ => return Ok(true),
        }
    }
    Ok(
        match suspensions.into_iter().max_by_key(|(started, _)| *started) {
            Some((_, operation)) => !operation
                .reason_code
                .as_deref()
                .and_then(TokenReason::parse)
                .is_some_and(TokenReason::customer_reported),
            None => true,
        },
    )
}
