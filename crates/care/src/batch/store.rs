//! Batches in the operations journal: one row per batch, one per item, and each item's latest
//! intent (linked when the intent is recorded, see [`crate::journal::BatchLink`]).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::input::{Target, TargetKind};
use crate::journal::{
    COLUMNS as INTENT_COLUMNS, Entry, Journal, State, entry, failed, parse, text,
};
use crate::{Error, Result};

/// Where a batch stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BatchState {
    /// Created, nothing sent yet.
    Ready,
    /// Being sent (or the process that sent it stopped: resume it).
    Running,
    /// Paused by the operator.
    Paused,
    /// Cancelled by the operator: the items not sent stay unsent.
    Cancelled,
    /// Every item sent is final.
    Done,
    /// Closed by the operator: what was not sent never will be from this batch; what was sent
    /// is still followed until it ends.
    Discarded,
}

/// A batch opt-out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    /// Its id (`b-` and the UTC time it was made).
    pub id: String,
    /// The environment it was made for; it runs only there.
    pub environment: String,
    /// Who made it.
    pub operator: String,
    /// `ISSUER_DECISION` or `USER_DECISION`.
    pub reason_code: String,
    /// The free-text reason every item carries.
    pub reason: Option<String>,
    /// Where it stands.
    pub state: BatchState,
    /// When it was made (UTC).
    pub created_at: String,
    /// When it last changed (UTC).
    pub updated_at: String,
}

/// One item of a batch, with its latest intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    /// Its position in the batch.
    #[specta(type = u32)]
    pub seq: i64,
    /// Card or consumer.
    pub kind: TargetKind,
    /// The cardId or consumerId.
    pub target: String,
    /// The line of the list it came from.
    #[specta(type = u32)]
    pub line: i64,
    /// Why it is not sent, when the dry run found nothing to do.
    pub skip: Option<String>,
    /// How many intents were recorded for it (more than one after 429s).
    #[specta(type = u32)]
    pub attempts: i64,
    /// Its latest intent, once one was recorded.
    pub intent: Option<Entry>,
}

impl Item {
    /// Whether nothing more will happen to it in this batch.
    pub fn is_settled(&self) -> bool {
        self.skip.is_some() || self.intent.as_ref().is_some_and(|e| e.state.is_final())
    }
}

const BATCH_COLUMNS: &str =
    "id, environment, operator, reason_code, reason, state, created_at, updated_at";

fn batch(r: &rusqlite::Row<'_>) -> rusqlite::Result<Batch> {
    Ok(Batch {
        id: r.get(0)?,
        environment: r.get(1)?,
        operator: r.get(2)?,
        reason_code: r.get(3)?,
        reason: r.get(4)?,
        state: parse(r.get(5)?)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

impl Journal {
    /// Stores `batch` and its `targets` in one transaction.
    pub(crate) fn create_batch(&self, batch: &Batch, targets: &[Target]) -> Result<()> {
        let mut connection = self.db.lock();
        let transaction = connection.transaction().map_err(failed)?;
        transaction
            .execute(
                &format!(
                    "INSERT INTO batches ({BATCH_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
                ),
                params![
                    batch.id,
                    batch.environment,
                    batch.operator,
                    batch.reason_code,
                    batch.reason,
                    text(batch.state),
                    batch.created_at
                ],
            )
            .map_err(failed)?;
        {
            let mut insert = transaction
                .prepare("INSERT INTO batch_items (batch_id, seq, kind, target, line) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(failed)?;
            for (seq, target) in targets.iter().enumerate() {
                insert
                    .execute(params![
                        batch.id,
                        seq as i64,
                        text(target.kind),
                        target.id,
                        target.line as i64
                    ])
                    .map_err(failed)?;
            }
        }
        transaction.commit().map_err(failed)
    }

    /// One batch.
    pub fn batch(&self, id: &str) -> Result<Option<Batch>> {
        self.db
            .lock()
            .query_row(
                &format!("SELECT {BATCH_COLUMNS} FROM batches WHERE id = ?1"),
                [id],
                batch,
            )
            .optional()
            .map_err(failed)
    }

    /// The newest `limit` batches.
    pub fn batches(&self, limit: i64) -> Result<Vec<Batch>> {
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {BATCH_COLUMNS} FROM batches ORDER BY created_at DESC, id DESC LIMIT ?1"
            ))
            .map_err(failed)?;
        let rows = statement.query_map([limit], batch).map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// Every item of batch `id`, in order, with its latest intent (one query).
    pub fn batch_items(&self, id: &str) -> Result<Vec<Item>> {
        let columns = intent_columns();
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {columns}, b.seq, b.kind, b.target, b.line, b.skip, b.attempts
                 FROM batch_items b LEFT JOIN intents i ON i.id = b.intent_id
                 WHERE b.batch_id = ?1 ORDER BY b.seq"
            ))
            .map_err(failed)?;
        let rows = statement
            .query_map([id], |r| {
                let linked: Option<i64> = r.get(0)?;
                Ok(Item {
                    seq: r.get(13)?,
                    kind: parse(r.get(14)?)?,
                    target: r.get(15)?,
                    line: r.get(16)?,
                    skip: r.get(17)?,
                    attempts: r.get(18)?,
                    intent: linked.map(|_| entry(r)).transpose()?,
                })
            })
            .map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// How many items of batch `id` have each [`status`] (one aggregate query).
    pub(crate) fn batch_statuses(&self, id: &str) -> Result<Vec<(String, u32)>> {
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(
                "SELECT CASE WHEN b.skip IS NOT NULL THEN 'NOTHING_TO_DO'
                             WHEN b.intent_id IS NULL THEN 'NOT_SENT'
                             WHEN i.state = 'INTENT' THEN 'SENDING'
                             ELSE i.state END, count(*)
                 FROM batch_items b LEFT JOIN intents i ON i.id = b.intent_id
                 WHERE b.batch_id = ?1 GROUP BY 1",
            )
            .map_err(failed)?;
        let rows = statement
            .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// The unfinished intents of batch `id`'s items (what is left to follow), oldest first.
    pub(crate) fn batch_unfinished(&self, id: &str) -> Result<Vec<Entry>> {
        let columns = intent_columns();
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {columns} FROM batch_items b JOIN intents i ON i.id = b.intent_id
                 WHERE b.batch_id = ?1 AND i.state NOT IN ('SUCCESSFUL', 'FAILED') ORDER BY i.id"
            ))
            .map_err(failed)?;
        let rows = statement.query_map([id], entry).map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// Marks batch `id` discarded unless it is done or discarded already; whether it was.
    pub(crate) fn discard_batch(&self, id: &str) -> Result<bool> {
        let changed = self
            .db
            .lock()
            .execute(
                "UPDATE batches SET state = ?2, updated_at = ?3
                 WHERE id = ?1 AND state NOT IN ('DONE', 'DISCARDED')",
                params![id, text(BatchState::Discarded), crate::journal::now()],
            )
            .map_err(failed)?;
        Ok(changed == 1)
    }

    /// Sets where batch `id` stands.
    pub(crate) fn set_batch_state(&self, id: &str, state: BatchState) -> Result<()> {
        let changed = self
            .db
            .lock()
            .execute(
                "UPDATE batches SET state = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, text(state), crate::journal::now()],
            )
            .map_err(failed)?;
        if changed == 0 {
            return Err(Error::NotFound(format!("no batch {id}")));
        }
        Ok(())
    }
}

/// The intent columns, as `i.<column>` for a query joining `intents i`.
fn intent_columns() -> String {
    INTENT_COLUMNS
        .split(", ")
        .map(|c| format!("i.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an item's status is called in reports and counts.
pub fn status(item: &Item) -> &'static str {
    match (&item.skip, &item.intent) {
        (Some(_), _) => "NOTHING_TO_DO",
        (None, None) => "NOT_SENT",
        (None, Some(entry)) => match entry.state {
            State::Intent => "SENDING",
            State::Pending => "PENDING",
            State::Unknown => "UNKNOWN",
            State::Successful => "SUCCESSFUL",
            State::Failed => "FAILED",
        },
    }
}

impl Journal {
    /// Marks item `seq` of batch `id` as not to be sent, and why; an item already sent keeps
    /// its intent.
    pub(crate) fn skip_item(&self, id: &str, seq: i64, why: &str) -> Result<()> {
        self.db
            .lock()
            .execute(
                "UPDATE batch_items SET skip = ?3 WHERE batch_id = ?1 AND seq = ?2 AND intent_id IS NULL",
                params![id, seq, why],
            )
            .map_err(failed)?;
        Ok(())
    }
}
