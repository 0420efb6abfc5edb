//! Team mode: the local chain's records sent to the team store, in order, from the last one it
//! committed. A batch goes in one central transaction and the local cursor moves only after the
//! commit, so a crash anywhere sends a record again at worst, which the centre takes as a
//! duplicate: nothing lost, nothing doubled. The local chain stays as it is.

use tokio_postgres::Client;

use super::chain::{AuditLog, Record};
use crate::{Error, Result};

/// Records sent in one central transaction while catching up.
pub const BATCH: i64 = 500;

/// Who the chain belongs to, as the centre records it beside each chain.
#[derive(Debug, Clone)]
pub struct ChainOwner {
    /// The chain's id (see [`AuditLog::chain_id`]).
    pub chain: String,
    /// The OS account whose chain it is.
    pub account: String,
}

/// `record` as the centre receives it. A field holding a card number (a record written before
/// ids were checked) goes redacted, its hashes as they are, and the record marked so: the
/// centre cannot check its hash, keeps its link, and lists it for the auditors.
fn central(owner: &ChainOwner, record: &Record, sent_at: &str) -> team::CentralRecord {
    let e = &record.event;
    let mut redacted = false;
    let mut clean = |field: &str| {
        let kept = crate::privacy::redact_card_numbers(field);
        redacted |= matches!(kept, std::borrow::Cow::Owned(_));
        kept.into_owned()
    };
    // The fields that carry what was typed or answered; the ids are D1's and the console's.
    let resource = e.resource.as_deref().map(&mut clean);
    let result = clean(&e.result);
    team::CentralRecord {
        chain: owner.chain.clone(),
        seq: record.seq,
        time: record.time.clone(),
        operator: e.operator.clone(),
        role: e.role.clone(),
        workstation: e.workstation.clone(),
        account: owner.account.clone(),
        event: e.event.clone(),
        resource,
        result,
        operation_id: e.operation_id.clone(),
        correlation_id: e.correlation_id.clone(),
        prev_hash: record.prev_hash.clone(),
        hash: record.hash.clone(),
        version: i32::try_from(record.version).unwrap_or(i32::MAX),
        redacted,
        sent_at: sent_at.to_owned(),
    }
}

/// Sends every record the team store does not hold yet, `BATCH` at a time (one call each);
/// returns how many went. Where to start is the store's word (the last record it holds of this
/// chain), not the local note, which the person being audited could change. Stops at a record
/// the centre refuses (a fork, a gap, another operator's), naming it; the records before it are
/// kept.
pub async fn forward(log: &AuditLog, owner: &ChainOwner, client: &mut Client) -> Result<u64> {
    let store = |e: tokio_postgres::Error| Error::from(team::Error::from(e));
    let held = team::trail::chain(client, &owner.chain)
        .await?
        .map_or(0, |chain| chain.last_seq);
    crate::in_place(|| log.set_forwarded(held))?;
    let mut sent = 0;
    loop {
        let records = crate::in_place(|| log.after(log.forwarded()?, BATCH))?;
        if records.is_empty() {
            return Ok(sent);
        }
        let sent_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let batch: Vec<team::CentralRecord> = records
            .iter()
            .map(|record| central(owner, record, &sent_at))
            .collect();
        let transaction = client.transaction().await.map_err(store)?;
        let verdicts = team::ingest_batch(&transaction, &batch).await?;
        // The records held, and a refusal's alert, are kept.
        transaction.commit().await.map_err(store)?;
        let held = verdicts.iter().take_while(|v| v.held()).count();
        if held > 0 {
            crate::in_place(|| log.set_forwarded(records[held - 1].seq))?;
            sent += held as u64;
        }
        if held < records.len() {
            let verdict = verdicts
                .get(held)
                .map_or("no answer".to_owned(), ToString::to_string);
            return Err(Error::TrailRefused(format!(
                "the team store refused record {} of this workstation's audit chain ({verdict}): tell your security team",
                records[held].seq
            )));
        }
    }
}
