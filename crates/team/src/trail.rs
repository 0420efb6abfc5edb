//! Reading the team's trail back: one chain as the centre holds it (for a workstation to
//! compare its own log with), and every chain checked whole (for the auditors). What a login
//! sees is what its role allows (row security): its own operator's chains, or every chain for
//! an auditor.

use tokio_postgres::{Client, GenericClient};

use crate::Result;

/// A chain as the centre holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChainSummary {
    /// Its id.
    pub chain: String,
    /// The workstation and OS account it came from.
    pub workstation: String,
    /// The OS account.
    pub account: String,
    /// The operator whose login sent it.
    pub operator: String,
    /// When its first record arrived (RFC 3339).
    pub first_received: String,
    /// The last record held.
    #[specta(type = f64)]
    pub last_seq: i64,
}

/// Timestamp column `column` as RFC 3339 text in UTC, in a SELECT.
pub(crate) fn utc(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
}

/// The chains, as [`summary`] reads them.
fn summaries() -> String {
    format!(
        "SELECT chain_id, workstation, account, operator, {}, last_seq FROM c2p.chains",
        utc("first_received")
    )
}

fn summary(row: &tokio_postgres::Row) -> ChainSummary {
    ChainSummary {
        chain: row.get(0),
        workstation: row.get(1),
        account: row.get(2),
        operator: row.get(3),
        first_received: row.get(4),
        last_seq: row.get(5),
    }
}

/// Chain `chain`, if the centre holds any of it.
pub async fn chain(client: &Client, chain: &str) -> Result<Option<ChainSummary>> {
    Ok(client
        .query_opt(&format!("{} WHERE chain_id = $1", summaries()), &[&chain])
        .await?
        .as_ref()
        .map(summary))
}

/// The chains of `account` on `workstation`, oldest first.
pub async fn chains_of(
    client: &Client,
    workstation: &str,
    account: &str,
) -> Result<Vec<ChainSummary>> {
    Ok(client
        .query(
            &format!(
                "{} WHERE workstation = $1 AND account = $2 ORDER BY first_received, chain_id",
                summaries()
            ),
            &[&workstation, &account],
        )
        .await?
        .iter()
        .map(summary)
        .collect())
}

/// The hash of record `seq` of `chain` as the centre holds it.
pub async fn hash_at(client: &Client, chain: &str, seq: i64) -> Result<Option<String>> {
    Ok(client
        .query_opt(
            "SELECT hash FROM c2p.records WHERE chain_id = $1 AND seq = $2",
            &[&chain, &seq],
        )
        .await?
        .map(|row| row.get(0)))
}

/// One chain checked whole: every record present from the first (or from the last record of a
/// month retention took offline), each linked to the one before and matching its hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ChainReport {
    /// The chain.
    pub summary: ChainSummary,
    /// Records online.
    #[specta(type = f64)]
    pub records: i64,
    /// The first record that does not follow the one before it (a record missing).
    #[specta(type = Option<f64>)]
    pub first_gap: Option<i64>,
    /// The first record whose link or hash does not match.
    #[specta(type = Option<f64>)]
    pub first_broken: Option<i64>,
    /// Records that came redacted: linked, but their hash cannot be checked here.
    #[specta(type = f64)]
    pub unverified: i64,
}

impl ChainReport {
    /// Whether every record is there, linked and matching its hash.
    pub fn intact(&self) -> bool {
        self.first_gap.is_none() && self.first_broken.is_none()
    }
}

/// Every chain the login may read, checked whole, oldest first.
pub async fn check_all(client: &Client) -> Result<Vec<ChainReport>> {
    let rows = client
        .query(
            &format!("WITH anchor AS (
               SELECT DISTINCT ON (chain_id) chain_id, seq, hash FROM c2p.anchors
               ORDER BY chain_id, seq DESC),
             linked AS (
               SELECT r.chain_id, r.seq, r.prev_hash, r.hash, r.redacted,
                      coalesce(lag(r.seq) OVER w, a.seq, 0) AS before_seq,
                      coalesce(lag(r.hash) OVER w, a.hash,
                               '0000000000000000000000000000000000000000000000000000000000000000') AS before_hash,
                      c2p.record_hash(r.version, r.prev_hash, r.seq, r.time, r.operator, r.workstation,
                                      r.event, r.resource, r.result, r.operation_id, r.correlation_id,
                                      r.role) AS recomputed
               FROM c2p.records r LEFT JOIN anchor a USING (chain_id)
               WINDOW w AS (PARTITION BY r.chain_id ORDER BY r.seq))
             SELECT c.chain_id, c.workstation, c.account, c.operator,
                    {},
                    c.last_seq, count(l.seq),
                    min(l.seq) FILTER (WHERE l.seq <> l.before_seq + 1),
                    min(l.seq) FILTER (WHERE l.seq = l.before_seq + 1
                                       AND (l.prev_hash <> l.before_hash
                                            OR (NOT l.redacted
                                                AND l.recomputed IS DISTINCT FROM l.hash))),
                    greatest(coalesce(max(l.seq), 0), coalesce(max(a.seq), 0)),
                    count(l.seq) FILTER (WHERE l.redacted)
             FROM c2p.chains c LEFT JOIN linked l USING (chain_id) LEFT JOIN anchor a USING (chain_id)
             GROUP BY c.chain_id
             ORDER BY c.first_received, c.chain_id", utc("c.first_received")),
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| {
            let summary = summary(row);
            let last_held: i64 = row.get(9);
            // Records missing at the end (the chain says it held more).
            let missing_end = (last_held < summary.last_seq).then_some(last_held + 1);
            ChainReport {
                records: row.get(6),
                first_gap: row.get::<_, Option<i64>>(7).or(missing_end),
                first_broken: row.get(8),
                unverified: row.get(10),
                summary,
            }
        })
        .collect())
}

/// Something the centre refused or flagged, for the auditors.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// When (RFC 3339).
    pub at: String,
    /// What: fork, restart, gap, operator, not_yours, bad_hash, redacted, clock, revoked,
    /// unknown_login.
    pub kind: String,
    /// The login that sent it.
    pub login: String,
    /// The chain and record concerned.
    pub chain: Option<String>,
    /// The record.
    #[specta(type = Option<f64>)]
    pub seq: Option<i64>,
    /// What happened, in words.
    pub detail: String,
}

impl Alert {
    /// Whether it shows the trail refused, changed, begun again or unverifiable (not a clock
    /// or a login's state).
    pub fn is_critical(&self) -> bool {
        crate::siem::alert_severity(&self.kind) <= 2
    }
}

/// Every alert, oldest first (auditors only).
pub async fn alerts(client: &Client) -> Result<Vec<Alert>> {
    Ok(client
        .query(
            &format!(
                "SELECT {}, kind, login::text, chain_id, seq, detail FROM c2p.alerts ORDER BY id",
                utc("at")
            ),
            &[],
        )
        .await?
        .iter()
        .map(|row| Alert {
            at: row.get(0),
            kind: row.get(1),
            login: row.get(2),
            chain: row.get(3),
            seq: row.get(4),
            detail: row.get(5),
        })
        .collect())
}

/// What the auditors' view of the team's trail shows: each filter narrows it, none widens it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeamFilter {
    /// Only this operator's records.
    pub operator: Option<String>,
    /// Only this workstation's.
    pub workstation: Option<String>,
    /// Only this event (its name, e.g. `opt_out_card_outcome`).
    pub event: Option<String>,
    /// Only records about this card or consumer (an id).
    pub resource: Option<String>,
    /// Received at or after (RFC 3339).
    pub from: Option<String>,
    /// Received before (RFC 3339).
    pub to: Option<String>,
}

impl TeamFilter {
    /// Whether it lets everything through.
    pub fn is_empty(&self) -> bool {
        self == &TeamFilter::default()
    }

    /// The filter in words, for the trail's own record of the read.
    pub fn described(&self) -> String {
        [
            ("operator", &self.operator),
            ("workstation", &self.workstation),
            ("event", &self.event),
            ("resource", &self.resource),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| format!("{name} {v:?}")))
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// A record of the team's trail as the centre holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeamRecord {
    /// The chain it belongs to.
    pub chain: String,
    /// Its place in the chain.
    #[specta(type = f64)]
    pub seq: i64,
    /// The workstation's time (RFC 3339).
    pub time: String,
    /// When the centre received it (RFC 3339).
    pub received_at: String,
    /// The workstation's clock was more than 5 minutes off the centre's.
    pub clock_off: bool,
    /// Who acted.
    pub operator: String,
    /// Their role.
    pub role: Option<String>,
    /// Where.
    pub workstation: String,
    /// The event's name.
    pub event: String,
    /// The card or consumer.
    pub resource: Option<String>,
    /// The outcome.
    pub result: String,
    /// D1's operationId.
    pub operation_id: Option<String>,
    /// The correlation id.
    pub correlation_id: Option<String>,
    /// A field held a card number and came redacted.
    pub redacted: bool,
    /// The record's hash.
    pub hash: String,
}

/// The filter's WHERE clause over `$1`…`$6`.
const WHERE: &str = "($1::text IS NULL OR operator = $1)
      AND ($2::text IS NULL OR workstation = $2)
      AND ($3::text IS NULL OR event = $3)
      AND ($4::text IS NULL OR resource = $4)
      AND ($5::text IS NULL OR received_at >= $5::timestamptz)
      AND ($6::text IS NULL OR received_at < $6::timestamptz)";

fn bound(filter: &TeamFilter) -> [&(dyn tokio_postgres::types::ToSql + Sync); 6] {
    [
        &filter.operator,
        &filter.workstation,
        &filter.event,
        &filter.resource,
        &filter.from,
        &filter.to,
    ]
}

/// How many records `filter` lets through (of those the login may read).
pub async fn count(client: &impl GenericClient, filter: &TeamFilter) -> Result<i64> {
    Ok(client
        .query_one(
            &format!("SELECT count(*) FROM c2p.records WHERE {WHERE}"),
            &bound(filter),
        )
        .await?
        .get(0))
}

/// Records `offset..offset+limit` of what `filter` lets through, by receive time (newest
/// first when `newest_first`).
pub async fn page(
    client: &impl GenericClient,
    filter: &TeamFilter,
    offset: i64,
    limit: i64,
    newest_first: bool,
) -> Result<Vec<TeamRecord>> {
    let order = if newest_first { "DESC" } else { "ASC" };
    let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = bound(filter).to_vec();
    params.push(&limit);
    params.push(&offset);
    let rows = client
        .query(
            &format!(
                "SELECT chain_id, seq, time, {}, clock_off, operator, role, workstation, event,
                        resource, result, operation_id, correlation_id, redacted, hash
                 FROM c2p.records WHERE {WHERE}
                 ORDER BY received_at {order}, chain_id {order}, seq {order}
                 LIMIT $7 OFFSET $8",
                utc("received_at")
            ),
            &params,
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| TeamRecord {
            chain: r.get(0),
            seq: r.get(1),
            time: r.get(2),
            received_at: r.get(3),
            clock_off: r.get(4),
            operator: r.get(5),
            role: r.get(6),
            workstation: r.get(7),
            event: r.get(8),
            resource: r.get(9),
            result: r.get(10),
            operation_id: r.get(11),
            correlation_id: r.get(12),
            redacted: r.get(13),
            hash: r.get(14),
        })
        .collect())
}

/// The operator the connected login is bound to (`None` when revoked or bound to none).
pub async fn login_operator(client: &Client) -> Result<Option<String>> {
    Ok(client
        .query_one("SELECT c2p.my_operator()", &[])
        .await?
        .get(0))
}

/// Whether the connected login is an auditor's (reads the whole team's trail).
pub async fn is_auditor(client: &Client) -> Result<bool> {
    Ok(client
        .query_one(
            "SELECT pg_has_role(session_user, 'c2p_auditor', 'MEMBER')",
            &[],
        )
        .await?
        .get(0))
}
