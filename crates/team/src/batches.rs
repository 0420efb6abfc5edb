//! The fraud team's batches in the team store: every fraud workstation sees them and their
//! progress (notified on channel [`CHANNEL`] with the batch's id at each change), one runner at a
//! time holds a batch with a lease it renews, a batch whose runner stopped is taken over, and any
//! fraud workstation asks the runner to pause, run or cancel.

use std::time::Duration;

use tokio_postgres::Client;

use crate::Result;
use crate::trail::utc;

/// The channel the store notifies a batch's id on whenever it changes.
pub const CHANNEL: &str = "c2p_batches";

/// An item of a new batch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NewItem {
    /// Its position in the batch.
    pub seq: i32,
    /// `CARD` or `CONSUMER`.
    pub kind: String,
    /// The cardId or consumerId.
    pub target: String,
    /// The line of the list it came from.
    pub line: i32,
    /// Whether the dry run found nothing to do for it (or did not find it): it is never sent.
    pub skipped: bool,
}

/// A new batch.
#[derive(Debug, Clone, Copy)]
pub struct NewBatch<'a> {
    /// Its id (`b-…`).
    pub id: &'a str,
    /// The D1 environment's identity (base URL and issuerId).
    pub environment: &'a str,
    /// `ISSUER_DECISION` or `USER_DECISION`.
    pub reason_code: &'a str,
    /// The reason every item carries.
    pub reason: Option<&'a str>,
    /// Where it was made.
    pub workstation: &'a str,
}

/// Stores `batch` and its `items` for this login's operator.
pub async fn create(client: &Client, batch: NewBatch<'_>, items: &[NewItem]) -> Result<()> {
    let items = serde_json::to_string(items)
        .map_err(|e| crate::Error::InvalidInput(format!("the batch's items: {e}")))?;
    client
        .execute(
            "SELECT c2p.batch_create($1, $2, $3, $4, $5, $6::text::jsonb)",
            &[
                &batch.id,
                &batch.environment,
                &batch.reason_code,
                &batch.reason,
                &batch.workstation,
                &items,
            ],
        )
        .await?;
    Ok(())
}

/// Whether this login holds a batch, and who does when it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// Whether this login runs it now.
    pub held: bool,
    /// When it was just taken over: whom from ("A-0042 on WS-17").
    pub taken_from: Option<String>,
    /// Its runner's operator.
    pub runner_operator: Option<String>,
    /// Its runner's workstation.
    pub runner_workstation: Option<String>,
    /// Until when the runner holds it (RFC 3339, UTC).
    pub lease_until: Option<String>,
    /// What the team asked of it: `RUN`, `PAUSE` or `CANCEL`.
    pub control: String,
}

/// How a runner holds a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldMode {
    /// Hold a batch nobody runs, or renew this login's hold.
    Start,
    /// Only renew this login's hold: a runner that was taken over never gets it back so.
    Renew,
    /// Also take it from a runner whose lease ran out.
    TakeOver,
}

/// Holds batch `id` as its runner for `lease`, as `mode` allows (see the store's
/// `c2p.batch_hold`).
pub async fn hold(
    client: &Client,
    id: &str,
    lease: Duration,
    workstation: &str,
    mode: HoldMode,
) -> Result<Hold> {
    let mode = match mode {
        HoldMode::Start => "START",
        HoldMode::Renew => "RENEW",
        HoldMode::TakeOver => "TAKE_OVER",
    };
    let seconds = i32::try_from(lease.as_secs().max(1)).unwrap_or(600);
    let row = client
        .query_one(
            &format!(
                "SELECT held, taken_from, runner_operator, runner_workstation, {}, control
                 FROM c2p.batch_hold($1, $2, $3, $4)",
                utc("lease_until")
            ),
            &[&id, &seconds, &workstation, &mode],
        )
        .await?;
    Ok(Hold {
        held: row.get(0),
        taken_from: row.get(1),
        runner_operator: row.get(2),
        runner_workstation: row.get(3),
        lease_until: row.get(4),
        control: row.get(5),
    })
}

/// The runner says where batch `id` stands (`RUNNING`, `PAUSED`, `WAITING` with `why`,
/// `CANCELLED`, `DONE`), letting it go with `release`. `false` when this login does not run it.
pub async fn set_state(
    client: &Client,
    id: &str,
    state: &str,
    why: Option<&str>,
    release: bool,
) -> Result<bool> {
    Ok(client
        .query_one(
            "SELECT c2p.batch_state($1, $2, $3, $4)",
            &[&id, &state, &why, &release],
        )
        .await?
        .get(0))
}

/// Asks batch `id`'s runner to `RUN`, `PAUSE` or `CANCEL`; `false` when there is no such batch.
pub async fn control(client: &Client, id: &str, control: &str) -> Result<bool> {
    Ok(client
        .query_one("SELECT c2p.batch_control($1, $2)", &[&id, &control])
        .await?
        .get(0))
}

/// A batch as every fraud workstation sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeamBatch {
    /// Its id.
    pub id: String,
    /// The D1 environment's identity (base URL and issuerId) it was made for.
    pub environment: String,
    /// Who made it.
    pub operator: String,
    /// Where.
    pub workstation: String,
    /// `ISSUER_DECISION` or `USER_DECISION`.
    pub reason_code: String,
    /// The reason every item carries.
    pub reason: Option<String>,
    /// CREATED, RUNNING, PAUSED, WAITING, CANCELLED or DONE.
    pub state: String,
    /// Why it waits or stopped, in words.
    pub why: Option<String>,
    /// What the team asked of it.
    pub control: String,
    /// Its runner's operator (its last one, once it ended).
    pub runner_operator: Option<String>,
    /// Its runner's workstation (its last one).
    pub runner_workstation: Option<String>,
    /// Until when the runner holds it (RFC 3339, UTC); past it, it may be taken over.
    pub lease_until: Option<String>,
    /// Whether its runner's hold has run out or its runner let it go unfinished (it may be
    /// taken over).
    pub stalled: bool,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// Its items by status: `[status, count]`.
    pub counts: Vec<(String, u32)>,
}

fn team_batch(row: &tokio_postgres::Row) -> TeamBatch {
    let counts: Option<serde_json::Value> = row
        .get::<_, Option<String>>(14)
        .and_then(|text| serde_json::from_str(&text).ok());
    TeamBatch {
        id: row.get(0),
        environment: row.get(1),
        operator: row.get(2),
        workstation: row.get(3),
        reason_code: row.get(4),
        reason: row.get(5),
        state: row.get(6),
        why: row.get(7),
        control: row.get(8),
        runner_operator: row.get(9),
        runner_workstation: row.get(10),
        lease_until: row.get(11),
        stalled: row.get(12),
        created_at: row.get(13),
        counts: counts
            .and_then(|c| c.as_object().cloned())
            .map(|c| {
                c.into_iter()
                    .map(|(status, n)| (status, n.as_u64().unwrap_or(0) as u32))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn batches_select() -> String {
    format!(
        "SELECT b.id, b.environment, b.operator, b.workstation, b.reason_code, b.reason, b.state, b.why,
                b.control, b.runner_operator, b.runner_workstation, {}, 
                coalesce(b.runner_login IS NOT NULL AND b.state NOT IN ('DONE', 'CANCELLED')
                         AND (b.lease_until IS NULL OR b.lease_until < now()), false), {},
                (SELECT jsonb_object_agg(status, n)
                 FROM (SELECT status, count(*) AS n FROM c2p.batch_items
                       WHERE batch_id = b.id GROUP BY status) s)::text
         FROM c2p.batches b",
        utc("b.lease_until"),
        utc("b.created_at")
    )
}

/// The team's newest `limit` batches in `environment`, with their counts.
pub async fn list(client: &Client, environment: &str, limit: i64) -> Result<Vec<TeamBatch>> {
    let rows = client
        .query(
            &format!(
                "{} WHERE b.environment = $1 ORDER BY b.created_at DESC LIMIT $2",
                batches_select()
            ),
            &[&environment, &limit.clamp(1, 1000)],
        )
        .await?;
    Ok(rows.iter().map(team_batch).collect())
}

/// Batch `id`, with its counts.
pub async fn get(client: &Client, id: &str) -> Result<Option<TeamBatch>> {
    let row = client
        .query_opt(&format!("{} WHERE b.id = $1", batches_select()), &[&id])
        .await?;
    Ok(row.as_ref().map(team_batch))
}

/// An item of a batch in the store, with its claim when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamItem {
    /// Its position.
    pub seq: i32,
    /// `CARD` or `CONSUMER`.
    pub kind: String,
    /// The cardId or consumerId.
    pub target: String,
    /// The line of the list it came from.
    pub line: i32,
    /// NOT_SENT, SENDING, PENDING, UNKNOWN, SUCCESSFUL, FAILED or SKIPPED.
    pub status: String,
    /// Its write's claim: id, state, correlation id, when claimed (RFC 3339) and operationId.
    pub claim: Option<ItemClaim>,
}

/// The claim of a batch item's write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemClaim {
    /// The claim's id.
    pub id: i64,
    /// Its state.
    pub state: String,
    /// The correlation id the request carried.
    pub correlation_id: Option<String>,
    /// When it was claimed (RFC 3339, UTC): its request left no earlier.
    pub claimed_at: String,
    /// D1's operationId, once known.
    pub operation_id: Option<String>,
    /// Whose login holds it now.
    pub mine: bool,
    /// The operator who made the write.
    pub operator: String,
}

/// Every item of batch `id`, in order, with its claim.
pub async fn items(client: &Client, id: &str) -> Result<Vec<TeamItem>> {
    let rows = client
        .query(
            &format!(
                "SELECT i.seq, i.kind, i.target, i.line, i.status, c.id, c.state,
                        c.correlation_id, {}, coalesce(c.operation_id, i.operation_id),
                        c.login = session_user, c.operator
                 FROM c2p.batch_items i LEFT JOIN c2p.claims c ON c.id = i.claim_id
                 WHERE i.batch_id = $1 ORDER BY i.seq",
                utc("c.claimed_at")
            ),
            &[&id],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| TeamItem {
            seq: row.get(0),
            kind: row.get(1),
            target: row.get(2),
            line: row.get(3),
            status: row.get(4),
            claim: row.get::<_, Option<i64>>(5).map(|claim| ItemClaim {
                id: claim,
                state: row.get(6),
                correlation_id: row.get(7),
                claimed_at: row.get(8),
                operation_id: row.get(9),
                mine: row.get::<_, Option<bool>>(10).unwrap_or(false),
                operator: row.get(11),
            }),
        })
        .collect())
}
