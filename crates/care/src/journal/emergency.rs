//! Team mode's emergency mode, as this workstation's journal keeps it: when a fraud analyst
//! declared it, why and until when, and the writes sent unclaimed during it (with their
//! consumer), to be claimed in the team store once it is back.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::intents::{COLUMNS, entry};
use super::{Journal, failed, now};
use crate::journal::Entry;
use crate::{Error, Result};

/// What the journal notes of a write sent unclaimed in emergency mode, until it is claimed.
pub(crate) const EMERGENCY: &str = "EMERGENCY";

/// Emergency mode as it was declared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Emergency {
    /// Who declared it.
    pub operator: String,
    /// Why.
    pub reason: String,
    /// When (RFC 3339, UTC).
    pub started_at: String,
    /// Until when it lasts at most (RFC 3339, UTC).
    pub until: String,
}

impl Journal {
    /// Declares emergency mode for `operator`, for `reason`, until `until` (RFC 3339); one that
    /// runs already is ended first.
    pub fn start_emergency(&self, operator: &str, reason: &str, until: &str) -> Result<Emergency> {
        let started_at = now();
        let mut connection = self.db.lock();
        let transaction = connection.transaction().map_err(failed)?;
        transaction
            .execute(
                "UPDATE emergencies SET ended_at = ?1 WHERE ended_at IS NULL",
                params![started_at],
            )
            .map_err(failed)?;
        transaction
            .execute(
                "INSERT INTO emergencies (operator, reason, started_at, until) VALUES (?1, ?2, ?3, ?4)",
                params![operator, reason, started_at, until],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        Ok(Emergency {
            operator: operator.to_owned(),
            reason: reason.to_owned(),
            started_at,
            until: until.to_owned(),
        })
    }

    /// Emergency mode, while it runs (declared, not ended, before its end).
    pub fn emergency(&self) -> Result<Option<Emergency>> {
        self.db
            .lock()
            .query_row(
                "SELECT operator, reason, started_at, until FROM emergencies
                 WHERE ended_at IS NULL AND until > ?1 ORDER BY id DESC LIMIT 1",
                params![now()],
                |row| {
                    Ok(Emergency {
                        operator: row.get(0)?,
                        reason: row.get(1)?,
                        started_at: row.get(2)?,
                        until: row.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(failed)
    }

    /// Ends emergency mode; whether one was running.
    pub fn end_emergency(&self) -> Result<bool> {
        let ended = self
            .db
            .lock()
            .execute(
                "UPDATE emergencies SET ended_at = ?1 WHERE ended_at IS NULL AND until > ?1",
                params![now()],
            )
            .map_err(failed)?;
        Ok(ended > 0)
    }

    /// Marks intent `id` sent (see [`Journal::mark_sent`]) unclaimed in emergency mode, on
    /// `consumer`'s target, to be claimed once the store is back: both or neither. Whether it
    /// was marked (not when another console closed it first: then it must not leave).
    pub fn mark_sent_unclaimed(&self, id: i64, consumer: &str) -> Result<bool> {
        let mut connection = self.db.lock();
        let transaction = connection.transaction().map_err(failed)?;
        let marked = transaction
            .execute(super::intents::MARK_SENT, params![id, now()])
            .map_err(failed)?;
        if marked == 1 {
            transaction
                .execute(
                    "UPDATE intents SET claim_told = ?2, claim_consumer = ?3 WHERE id = ?1",
                    params![id, EMERGENCY, consumer],
                )
                .map_err(failed)?;
        }
        transaction.commit().map_err(failed)?;
        Ok(marked == 1)
    }

    /// The writes sent unclaimed in emergency mode and not claimed since, with their consumer,
    /// oldest first.
    pub fn emergency_writes(&self) -> Result<Vec<(Entry, String)>> {
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {COLUMNS}, claim_consumer FROM intents
                 WHERE claim_id IS NULL AND claim_told = ?1 ORDER BY id"
            ))
            .map_err(failed)?;
        let rows = statement
            .query_map(params![EMERGENCY], |row| {
                Ok((
                    entry(row)?,
                    row.get::<_, String>(COLUMNS.split(',').count())?,
                ))
            })
            .map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| Error::Internal(format!("the operations journal failed: {e}")))
    }

    /// Notes that emergency write `id` is claimed as `claim` in the team store (its outcome is
    /// then told like any claimed write's), or, with `None`, that another write was in the way
    /// (it stays as it is; the trail names the other).
    pub fn set_emergency_claimed(&self, id: i64, claim: Option<i64>) -> Result<()> {
        self.db
            .lock()
            .execute(
                "UPDATE intents SET claim_id = ?2, claim_told = ?3 WHERE id = ?1",
                params![
                    id,
                    claim,
                    match claim {
                        Some(_) => "SENDING",
                        None => "IN_THE_WAY",
                    }
                ],
            )
            .map_err(failed)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{NewIntent, State};
    use crate::writes::WriteKind;

    #[test]
    fn an_emergency_runs_until_its_end_or_until_ended_and_its_writes_wait_to_be_claimed() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("operations.sqlite")).unwrap();
        assert_eq!(journal.emergency().unwrap(), None);
        journal
            .start_emergency("F-0001", "store down", "2000-01-01T00:00:00.000Z")
            .unwrap();
        assert_eq!(journal.emergency().unwrap(), None, "past its end");
        let declared = journal
            .start_emergency("F-0001", "store down", "2999-01-01T00:00:00.000Z")
            .unwrap();
        assert_eq!(journal.emergency().unwrap(), Some(declared));
        let entry = journal
            .record_intent(NewIntent {
                kind: WriteKind::OptOutCard,
                target: "crd-1".into(),
                reason: None,
                reason_code: "ISSUER_DECISION".into(),
                correlation_id: "cid-1".into(),
                environment: "prod".into(),
                operator: "F-0001".into(),
            })
            .unwrap();
        assert!(journal.mark_sent_unclaimed(entry.id, "cons-1").unwrap());
        assert!(
            !journal.mark_sent_unclaimed(entry.id, "cons-1").unwrap(),
            "sent once"
        );
        journal
            .record(entry.id, State::Successful, Some("op-1"), None, None)
            .unwrap();
        let waiting = journal.emergency_writes().unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(
            (waiting[0].0.id, waiting[0].1.as_str()),
            (entry.id, "cons-1")
        );
        journal.set_emergency_claimed(entry.id, Some(7)).unwrap();
        assert!(journal.emergency_writes().unwrap().is_empty());
        assert_eq!(
            journal.claims_not_final().unwrap().len(),
            1,
            "its end told next"
        );
        assert!(journal.end_emergency().unwrap());
        assert_eq!(journal.emergency().unwrap(), None);
        assert!(!journal.end_emergency().unwrap());
    }
}
