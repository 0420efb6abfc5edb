//! The team's journal of writes: before a write leaves a workstation it claims its target in the
//! store, so that one write per card or consumer is under way across every workstation, and a
//! consumer's write and its cards' writes exclude each other. A claim is made immediately
//! before its request leaves, as sending with a lease; the sender stops when the lease may have
//! run out, and a lease that runs out makes the claim UNKNOWN, to be reconciled from D1, never
//! sent again blindly.

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
    /// A card's token (a D1 digital card), its card given beside it.
    Token,
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
    /// The consumer: the card's (or the token's card's), or the consumer itself.
    pub consumer: String,
    /// A token's card (`None` for any other target).
    pub card: Option<String>,
}

/// The write in the way of a claim: unfinished, or the same one just applied.
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
    /// SENDING, PENDING or UNKNOWN; SUCCESSFUL for the same write just applied;
    /// RUNNER when a batch item's batch is run by another (the holder is its runner).
    pub state: String,
}

/// What a claim came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// The target is ours to write: the claim's id.
    Ours(i64),
    /// Another write is under way on it (or on its consumer, or one of its cards), or the same
    /// write was just applied.
    InProgress(Holder),
}

/// How a claimed write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// D1 applied it.
    Successful,
    /// D1 refused it.
    Failed,
    /// D1 accepted it and its operation has not ended: held, with no lease to run out.
    Pending,
    /// It never left.
    NotSent,
    /// It may or may not have been applied: to reconcile.
    Unknown,
}

impl Outcome {
    /// The state the store keeps for it (and the status of a batch item with this outcome).
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Successful => "SUCCESSFUL",
            Outcome::Failed => "FAILED",
            Outcome::Pending => "PENDING",
            Outcome::NotSent => "NOT_SENT",
            Outcome::Unknown => "UNKNOWN",
        }
    }
}

/// How a claim is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms<'a> {
    /// The correlation id the write's request carries.
    pub correlation_id: &'a str,
    /// The claim's lease: the request leaves within it, or the claim becomes UNKNOWN.
    pub lease: Duration,
    /// The same write on the same target that D1 applied less than this long ago is in the
    /// way too: two agents on one customer's call.
    pub done_within: Duration,
    /// For an item of a batch: the batch's id and the item's position. Only the batch's runner
    /// may claim it (else the holder named is the runner, in state `RUNNER`).
    pub batch: Option<(&'a str, i32)>,
}

/// Claims `target` for this login's operator on `workstation`, immediately before its request
/// leaves: the claim is SENDING, its lease running (see [`Terms::lease`]).
pub async fn claim(
    client: &Client,
    target: &Target,
    workstation: &str,
    terms: Terms<'_>,
) -> Result<Claimed> {
    let kind = match target.target_kind {
        TargetKind::Card => "card",
        TargetKind::Consumer => "consumer",
        TargetKind::Token => "token",
    };
    let row = client
        .query_one(
            &format!(
                "SELECT claim_id, held_kind, held_operator, held_workstation, {}, held_state
                 FROM c2p.claim($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                crate::trail::utc("held_since")
            ),
            &[
                &target.environment,
                &target.kind,
                &kind,
                &target.target,
                &target.consumer,
                &workstation,
                &terms.correlation_id,
                &seconds(terms.lease),
                &i32::try_from(terms.done_within.as_secs()).unwrap_or(i32::MAX),
                &terms.batch.map(|(id, _)| id),
                &terms.batch.map(|(_, seq)| seq),
                &target.card,
            ],
        )
        .await?;
    Ok(match row.get::<_, Option<i64>>(0) {
        Some(id) => Claimed::Ours(id),
        // A batch's runner may be gone (no operator, no lease): named as empty, never a panic.
        None => {
            let text = |column: usize| row.get::<_, Option<String>>(column).unwrap_or_default();
            Claimed::InProgress(Holder {
                kind: text(1),
                operator: text(2),
                workstation: text(3),
                since: text(4),
                state: text(5),
            })
        }
    })
}

/// A lease in whole seconds, at least one (the store caps it at ten minutes).
fn seconds(lease: Duration) -> i32 {
    i32::try_from(lease.as_secs().max(1)).unwrap_or(600)
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

/// Ends this login's claim for the write carrying `correlation_id` as NOT_SENT, when the claim's
/// answer was lost and the write never left (no D1 operation known for it, even past its
/// lease); `true` when no such claim is open any more (ended now, or never made), `false` when
/// one is open that may not be ended so.
pub async fn abandon(client: &Client, correlation_id: &str) -> Result<bool> {
    Ok(client
        .query_one("SELECT c2p.claim_abandon($1)", &[&correlation_id])
        .await?
        .get(0))
}

/// Releases claim `id`, stuck in UNKNOWN (or PENDING, its holder gone) after reconciliation
/// failed, with `reason` (the database owner's account); `false` when it is in neither state.
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

/// A write the team made, as the Operations screen's team scope, the History panel and
/// `c2p ops --team` show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeamWrite {
    /// The claim's id.
    #[specta(type = f64)] // far below 2^53
    pub id: i64,
    /// The write's kind (`OPT_OUT_CARD`, …).
    pub kind: String,
    /// The cardId or consumerId.
    pub target: String,
    /// The consumer it is on (the card's, or itself).
    pub consumer: String,
    /// SENDING, PENDING, UNKNOWN, SUCCESSFUL, FAILED, NOT_SENT or RELEASED.
    pub state: String,
    /// Who made it.
    pub operator: String,
    /// From which workstation.
    pub workstation: String,
    /// When it was claimed (RFC 3339, UTC).
    pub claimed_at: String,
    /// When it ended (RFC 3339, UTC).
    pub finished_at: Option<String>,
    /// D1's operationId, once known.
    pub operation_id: Option<String>,
}

fn team_write(row: &tokio_postgres::Row) -> TeamWrite {
    TeamWrite {
        id: row.get(0),
        kind: row.get(1),
        target: row.get(2),
        consumer: row.get(3),
        state: row.get(4),
        operator: row.get(5),
        workstation: row.get(6),
        claimed_at: row.get(7),
        finished_at: row.get(8),
        operation_id: row.get(9),
    }
}

fn team_writes_select() -> String {
    format!(
        // A claim whose lease ran out is UNKNOWN, whether or not a later claim has said so.
        "SELECT id, kind, target, consumer,
                CASE WHEN state = 'SENDING' AND lease_until < now() THEN 'UNKNOWN' ELSE state END,
                operator, workstation, {}, {}, operation_id
         FROM c2p.claims",
        crate::trail::utc("claimed_at"),
        crate::trail::utc("finished_at"),
    )
}

/// The team's writes in `environment`, newest first, at most `limit` (1 to 1,000): all of them,
/// or those on `consumer` and their cards.
pub async fn team_writes(
    client: &Client,
    environment: &str,
    consumer: Option<&str>,
    limit: i64,
) -> Result<Vec<TeamWrite>> {
    let rows = client
        .query(
            &format!(
                "{} WHERE environment = $1 AND ($2::text IS NULL OR consumer = $2)
                 ORDER BY claimed_at DESC, id DESC LIMIT $3",
                team_writes_select()
            ),
            &[&environment, &consumer, &limit.clamp(1, 1000)],
        )
        .await?;
    Ok(rows.iter().map(team_write).collect())
}
