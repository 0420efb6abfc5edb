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
fn central(owner: &ChainOwner, record: &Record) -> team::CentralRecord {
    let e = &record.event;
    let mut redacted = false;
    let mut clean = |field: &str| {
        let kept = crate::privacy::redact_card_numbers(field);
        redacted |= matches!(kept, std::borrow::Cow::Owned(_));
        kept.into_owned()
    };
    let resource = e.resource.as_deref().map(&mut clean);
    let result = clean(&e.result);
    let operation_id = e.operation_id.as_deref().map(&mut clean);
    let correlation_id = e.correlation_id.as_deref().map(&mut clean);
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
        operation_id,
        correlation_id,
        prev_hash: record.prev_hash.clone(),
        hash: record.hash.clone(),
        version: i32::try_from(record.version).unwrap_or(i32::MAX),
        redacted,
    }
}

/// Sends every record the team store does not hold yet, `BATCH` at a time; returns how many
/// went. Stops at a record the centre refuses (a fork, a gap, another operator's), naming it.
pub async fn forward(log: &AuditLog, owner: &ChainOwner, client: &mut Client) -> Result<u64> {
    let mut sent = 0;
    loop {
        let from = log.forwarded()?;
        let records = log.after(from, BATCH)?;
        let Some(last) = records.last().map(|r| r.seq) else {
            return Ok(sent);
        };
        let transaction = client
            .transaction()
            .await
            .map_err(|e| Error::from(team::Error::from(e)))?;
        let mut held = from;
        for record in &records {
            let verdict = team::ingest(&transaction, &central(owner, record))
                .await
                .map_err(Error::from)?;
            if !verdict.held() {
                // The records before it, and the refusal's alert, are kept.
                transaction
                    .commit()
                    .await
                    .map_err(|e| Error::from(team::Error::from(e)))?;
                if held > from {
                    log.set_forwarded(held)?;
                }
                return Err(Error::TeamStore(format!(
                    "it refused record {} of this workstation's audit chain ({verdict}): tell your security team",
                    record.seq
                )));
            }
            held = record.seq;
        }
        transaction
            .commit()
            .await
            .map_err(|e| Error::from(team::Error::from(e)))?;
        log.set_forwarded(last)?;
        sent += records.len() as u64;
    }
}
