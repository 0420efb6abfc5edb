//! Team mode: each intent's claim in the team store, and what the store was last told of it,
//! so that an outcome the store missed (it was out of reach) is told later and none twice.

use rusqlite::params;

use super::intents::{COLUMNS, entry};
use super::{Journal, failed};
use crate::journal::Entry;
use crate::{Error, Result};

/// An intent's claim in the team store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimNote {
    /// The claim's id in the store.
    pub id: i64,
    /// The state the store was last told (`CLAIMED` until the first outcome).
    pub told: Option<String>,
}

impl Journal {
    /// Notes that intent `id` holds claim `claim` in the team store.
    pub fn set_claim(&self, id: i64, claim: i64) -> Result<()> {
        self.db
            .lock()
            .execute(
                "UPDATE intents SET claim_id = ?2, claim_told = 'CLAIMED' WHERE id = ?1",
                params![id, claim],
            )
            .map_err(failed)?;
        Ok(())
    }

    /// Notes that the team store was told `told` of intent `id`'s claim.
    pub fn set_claim_told(&self, id: i64, told: &str) -> Result<()> {
        self.db
            .lock()
            .execute(
                "UPDATE intents SET claim_told = ?2 WHERE id = ?1",
                params![id, told],
            )
            .map_err(failed)?;
        Ok(())
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
