//! The team's journal of writes: before a write leaves a workstation it claims its target in the
//! store, so that one write per card or consumer is under way across every workstation, and a
//! consumer's write and its cards' writes exclude each other. The holder marks its claim as
//! sending (with a lease) immediately before each send and stops when it no longer holds it; a
//! lease that runs out makes the claim UNKNOWN, to be reconciled from D1, never sent again
//! blindly.

use std::time::Duration;

use tokio_postgres::Client;

use crate::{Error, Result};

/// What a write is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A card (its consumer given beside it).
    Card,
    /// A consumer.
    Consumer,
}

/// The target of a write, as the team names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The D1 environment's identity (base URL and issuerId), never a local name.
    pub environment: String,
    /// The write's kind (`OPT_OUT_CARD`, …).
    pub kind: String,
    /// A card or a consumer.
    pub target_kind: TargetKind,
    /// The cardId or consumerId.
    pub target: String,
    /// The consumer: the card's, or the consumer itself.
    pub consumer: String,
}

/// The unfinished write in the way of a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Its kind.
    pub kind: String,
    /// Who is making it.
    pub operator: String,
    /// From which workstation.
    pub workstation: String,
    /// Since when (RFC 3339).
    pub since: String,
    /// CLAIMED, SENDING or UNKNOWN.
    pub state: String,
}

/// What a claim came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The target is ours to write: the claim's id.
    Ours(i64),
    /// Another write is under way on it (or on its consumer, or one of its cards).
    InProgress(Holder),
}

/// How a claimed write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// D1 applied it.
    Successful,
    /// D1 refused it.
    Failed,
    /// It never left.
    NotSent,
    /// It may or may not have been applied: to reconcile.
    Unknown,
}

impl Outcome {
    fn word(self) -> &'static str {
        match self {
            Outcome::Successful => "SUCCESSFUL",
            Outcome::Failed => "FAILED",
            Outcome::NotSent => "NOT_SENT",
            Outcome::Unknown => "UNKNOWN",
        }
    }
}

/// Claims `target` for this login's operator on `workstation`.
pub async fn claim(client: &Client, target: &Target, workstation: &str) -> Result<Claimed> {
    let kind = match target.target_kind {
        TargetKind::Card => "card",
        TargetKind::Consumer => "consumer",
    };
    let row = client
        .query_one(
            &format!(
                "SELECT claim_id, held_kind, held_operator, held_workstation, {}, held_state
                 FROM c2p.claim($1, $2, $3, $4, $5, $6)",
                crate::trail::utc("held_since")
            ),
            &[
                &target.environment,
                &target.kind,
                &kind,
                &target.target,
                &target.consumer,
                &workstation,
            ],
        )
        .await?;
    Ok(match row.get::<_, Option<i64>>(0) {
        Some(id) => Claimed::Ours(id),
        None => Claimed::InProgress(Holder {
            kind: row.get(1),
            operator: row.get(2),
            workstation: row.get(3),
            since: row.get(4),
            state: row.get(5),
        }),
    })
}

/// Immediately before a send: marks claim `id` as sending for `lease` (or renews it). `false`
/// when this login no longer holds it: then nothing may be sent.
pub async fn hold_for_send(client: &Client, id: i64, lease: Duration) -> Result<bool> {
    let seconds = i32::try_from(lease.as_secs().max(1)).unwrap_or(600);
    Ok(client
        .query_one("SELECT c2p.claim_send($1, $2)", &[&id, &seconds])
        .await?
        .get(0))
}

/// Records how claim `id`'s write ended (with D1's operationId); `false` when this login may
/// not (it no longer holds the claim, and it is not an UNKNOWN claim of its operator's).
pub async fn finish(
    client: &Client,
    id: i64,
    outcome: Outcome,
    operation_id: Option<&str>,
) -> Result<bool> {
    Ok(client
        .query_one(
            "SELECT c2p.claim_finish($1, $2, $3)",
            &[&id, &outcome.word(), &operation_id],
        )
        .await?
        .get(0))
}

/// Releases claim `id`, stuck in UNKNOWN after reconciliation failed, with `reason` (the
/// database owner's account); `false` when it is not UNKNOWN.
pub async fn release(owner: &Client, id: i64, reason: &str) -> Result<bool> {
    if reason.trim().is_empty() || reason.len() > 500 {
        return Err(Error::InvalidInput(
            "give a reason for the release (at most 500 characters)".into(),
        ));
    }
    Ok(owner
        .query_one("SELECT c2p.claim_release($1, $2)", &[&id, &reason])
        .await?
        .get::<_, Option<bool>>(0)
        .unwrap_or(false))
}
