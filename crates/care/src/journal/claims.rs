//! Team mode: each intent's claim in the team store, and what the store was last told of it,
//! so that an outcome the store missed (it was out of reach) is told later and none twice.

use rusqlite::params;

use super::intents::{COLUMNS, entry};
use super::{Journal, failed};
use crate::journal::Entry;
use crate::{Error, Result};

/// What the journal notes of a claim asked for whose answer was lost.
pub(super) const UNSURE: &str = "UNSURE";

/// An intent's claim in the team store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNote {
    /// The claim's id in the store.
    pub id: i64,
    /// The state the store was last told (`SENDING` until the first outcome).
    pub told: Option<String>,
}

impl Journal {
    /// Marks intent `id` as sent, like [`Journal::mark_sent`], under claim `claim` of the team
    /// store (SENDING), in one write. The claim is noted even when the intent was not marked
    /// (another console sharing the journal closed it first), so that the store is told it
    /// never left. Whether it was marked.
    pub fn mark_sent_claimed(&self, id: i64, claim: i64) -> Result<bool> {
        let mut connection = self.db.lock();
        let transaction = connection.transaction().map_err(failed)?;
        transaction
            .execute(
                "UPDATE intents SET claim_id = ?2, claim_told = 'SENDING' WHERE id = ?1",
                params![id, claim],
            )
            .map_err(failed)?;
        let marked = transaction
            .execute(super::intents::MARK_SENT, params![id, super::now()])
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        Ok(marked == 1)
    }

    /// Notes that intent `id` holds claim `claim` (SENDING) in the team store, without marking
    /// it sent (a write withdrawn before it left: its claim is then told it never did).
    pub fn note_claim(&self, id: i64, claim: i64) -> Result<()> {
        self.db
            .lock()
            .execute(
                "UPDATE intents SET claim_id = ?2, claim_told = 'SENDING' WHERE id = ?1",
                params![id, claim],
            )
            .map_err(failed)?;
        Ok(())
    }

    /// Notes that the team store was told `told` of intent `id`'s claim.
    pub fn set_claim_told(&self, id: i64, told: &str) -> Result<()> {
        self.set_claims_told(&[(id, told)])
    }

    /// Notes what the team store was told of each `(intent id, state)`, in one write.
    pub fn set_claims_told(&self, told: &[(i64, &str)]) -> Result<()> {
        let mut connection = self.db.lock();
        let transaction = connection.transaction().map_err(failed)?;
        for (id, state) in told {
            transaction
                .execute(
                    "UPDATE intents SET claim_told = ?2 WHERE id = ?1",
                    params![id, state],
                )
                .map_err(failed)?;
        }
        transaction.commit().map_err(failed)
    }

    /// The intents whose claim's answer was lost and that ended without leaving: their claim, if
    /// the store made one, is to be abandoned. `(id, correlation id)`, oldest first.
    pub fn claims_unsure(&self) -> Result<Vec<(i64, String)>> {
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(
                "SELECT id, correlation_id FROM intents
                 WHERE claim_id IS NULL AND claim_told = ?1 AND state IN ('FAILED', 'SUCCESSFUL')
                 ORDER BY id",
            )
            .map_err(failed)?;
        let rows = statement
            .query_map([UNSURE], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// The intents whose claim the store has not been told a final state of, oldest first.
    pub fn claims_not_final(&self) -> Result<Vec<Entry>> {
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {COLUMNS} FROM intents
                 WHERE claim_id IS NOT NULL
                   AND (claim_told IS NULL OR claim_told NOT IN ('SUCCESSFUL', 'FAILED', 'NOT_SENT'))
                 ORDER BY id"
            ))
            .map_err(failed)?;
        let rows = statement.query_map([], entry).map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| Error::Internal(format!("the operations journal failed: {e}")))
    }
}

/// A write another workstation made for a batch item, as the team store knows it: taken into
/// this journal when this workstation takes the batch over, so that it is followed (or known
/// final) and never sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdoptedWrite {
    /// The item's position.
    pub seq: i64,
    /// The intent as it was made (its operator is who sent it).
    pub intent: crate::journal::NewIntent,
    /// Where it stands: PENDING, UNKNOWN (to reconcile), SUCCESSFUL or FAILED.
    pub state: crate::journal::State,
    /// D1's operationId, once known.
    pub operation_id: Option<String>,
    /// When its claim was made (RFC 3339): its request left no earlier.
    pub claimed_at: String,
    /// Not called "not applied" before this time (RFC 3339): see [`crate::journal::Entry::settle_from`].
    pub settle_from: String,
    /// Its claim, and the state the store holds.
    pub claim: ClaimNote,
}

impl Journal {
    /// Takes `batch` (made elsewhere) and its `items` into this journal unless it holds it, then
    /// each of `writes` it does not know yet (by correlation id), linked to its item; all in one
    /// transaction.
    pub fn adopt_batch(
        &self,
        batch: &crate::journal::Batch,
        items: &[crate::journal::batches::Target],
        skipped: &[(i64, String)],
        writes: &[AdoptedWrite],
    ) -> Result<()> {
        let mut connection = self.db.lock();
        let transaction = connection.transaction().map_err(failed)?;
        let held: bool = transaction
            .query_row(
                "SELECT count(*) > 0 FROM batches WHERE id = ?1",
                [&batch.id],
                |r| r.get(0),
            )
            .map_err(failed)?;
        if !held {
            super::batches::insert_batch(&transaction, batch, items, true)?;
        }
        for (seq, why) in skipped {
            super::batches::skip_item(&transaction, &batch.id, *seq, why)?;
        }
        for write in writes {
            let known: i64 = transaction
                .query_row(
                    "SELECT count(*) FROM intents WHERE correlation_id = ?1",
                    [&write.intent.correlation_id],
                    |r| r.get(0),
                )
                .map_err(failed)?;
            if known > 0 {
                continue;
            }
            let i = &write.intent;
            transaction
                .execute(
                    "INSERT INTO intents (kind, target, reason, reason_code, correlation_id, environment, operator,
                                          state, operation_id, detail, created_at, updated_at, sent_at, claim_id, claim_told,
                                          settle_from)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11, ?13, ?14, ?15)",
                    params![
                        crate::wire_name(i.kind),
                        i.target,
                        i.reason,
                        i.reason_code,
                        i.correlation_id,
                        i.environment,
                        i.operator,
                        crate::wire_name(write.state),
                        write.operation_id,
                        "taken over from another workstation",
                        write.claimed_at,
                        super::now(),
                        write.claim.id,
                        write.claim.told,
                        write.settle_from,
                    ],
                )
                .map_err(failed)?;
            let id = transaction.last_insert_rowid();
            transaction
                .execute(
                    "UPDATE batch_items SET intent_id = ?3, attempts = attempts + 1
                     WHERE batch_id = ?1 AND seq = ?2",
                    params![batch.id, write.seq, id],
                )
                .map_err(failed)?;
        }
        transaction.commit().map_err(failed)
    }
}
