//! The operations journal: every write is recorded as an intent, committed to disk
//! (`synchronous=FULL`) **before** its request leaves, then updated with what became of it. After
//! a crash, [`Journal::unfinished`] lists what still has to be followed or resolved, so nothing
//! is lost and nothing is sent twice for one intent. One file holds the intents ([`intents`])
//! and the fraud team's batches ([`batches`]); this module opens it and owns its schema.

pub mod batches;
pub mod claims;
pub mod emergency;
pub mod intents;
pub mod owner;

use std::path::Path;

use chrono::{SecondsFormat, Utc};
use serde::Deserialize;

pub use batches::{Batch, BatchAction, BatchState, Item, ItemStatus, Target, TargetKind};
pub use emergency::Emergency;
pub use intents::{BatchLink, Entry, NewIntent, Note, State};

use crate::{Error, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS intents (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL,
    target         TEXT NOT NULL,
    reason         TEXT,
    reason_code    TEXT NOT NULL,
    correlation_id TEXT NOT NULL,
    environment    TEXT NOT NULL,
    operator       TEXT NOT NULL,
    state          TEXT NOT NULL,
    operation_id   TEXT,
    detail         TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS intents_state ON intents (state);
CREATE TABLE IF NOT EXISTS batches (
    id          TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    operator    TEXT NOT NULL,
    reason_code TEXT NOT NULL,
    reason      TEXT,
    state       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batch_items (
    batch_id  TEXT NOT NULL REFERENCES batches (id),
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    target    TEXT NOT NULL,
    line      INTEGER NOT NULL,
    skip      TEXT,
    attempts  INTEGER NOT NULL DEFAULT 0,
    intent_id INTEGER REFERENCES intents (id),
    PRIMARY KEY (batch_id, seq)
);
";

/// Changes to the file, in order, never edited (see [`crate::storage::sqlite::Db::open`]).
const MIGRATIONS: &[&str] = &[
    // The console's own conclusion about a write gets a column; rows written before it get
    // theirs from the detail text the console wrote then.
    "ALTER TABLE intents ADD COLUMN note TEXT;
     UPDATE intents SET note = 'NOT_APPLIED'
         WHERE state = 'FAILED' AND detail = 'D1 has no record of this write: it was not applied, and it is safe to send it again';
     UPDATE intents SET note = 'RESOLVED_FROM_D1' WHERE detail = 'resolved from D1''s operations list';
     UPDATE intents SET note = 'SLOW_DOWN'
         WHERE state = 'FAILED' AND operation_id IS NULL
           AND substr(detail, 1, 21) = 'D1 asked to slow down';",
    // An outcome the audit log could not take waits here (the outbox) for a later pass.
    "ALTER TABLE intents ADD COLUMN unaudited INTEGER NOT NULL DEFAULT 0",
    // Which console recorded the intent, and when its request left (rows from before: as
    // soon as recorded, the cautious reading).
    "ALTER TABLE intents ADD COLUMN owner TEXT;
     ALTER TABLE intents ADD COLUMN sent_at TEXT;
     UPDATE intents SET sent_at = created_at;",
    // When a batch's dry run was last read: an old one is read again before sending.
    "ALTER TABLE batches ADD COLUMN previewed_at TEXT",
    // Team mode: the write's claim in the team store, and the last state the store was told.
    "ALTER TABLE intents ADD COLUMN claim_id INTEGER;
     ALTER TABLE intents ADD COLUMN claim_told TEXT;",
    // A write taken over from another workstation: not called "not applied" before this time.
    "ALTER TABLE intents ADD COLUMN settle_from TEXT",
    // The writes whose claim the team store has not been told the end of, found at each
    // tracker pass without reading the whole journal.
    "CREATE INDEX IF NOT EXISTS intents_claims_open ON intents (id)
         WHERE claim_id IS NOT NULL
           AND (claim_told IS NULL OR claim_told NOT IN ('SUCCESSFUL', 'FAILED', 'NOT_SENT'));
     CREATE INDEX IF NOT EXISTS intents_claims_unsure ON intents (id)
         WHERE claim_id IS NULL AND claim_told = 'UNSURE';",
    // Team mode's emergency mode: when it was declared, by whom, why and until when; a write
    // sent unclaimed during it keeps its consumer, to be claimed once the store is back.
    "CREATE TABLE IF NOT EXISTS emergencies (
         id         INTEGER PRIMARY KEY,
         operator   TEXT NOT NULL,
         reason     TEXT NOT NULL,
         started_at TEXT NOT NULL,
         until      TEXT NOT NULL,
         ended_at   TEXT
     );
     ALTER TABLE intents ADD COLUMN claim_consumer TEXT;
     CREATE INDEX IF NOT EXISTS intents_claims_emergency ON intents (id)
         WHERE claim_id IS NULL AND claim_told = 'EMERGENCY';",
    // Whether the team store holds a batch (then another workstation may take it over, and it
    // never runs unclaimed): 1 once published or taken over, 0 for one made here and never
    // published, NULL for those from before (taken as held).
    "ALTER TABLE batches ADD COLUMN in_team_store INTEGER",
    // A batch's item found from its intent, so that following a long batch reads its few
    // unfinished intents rather than every item.
    "CREATE INDEX IF NOT EXISTS batch_items_intent ON batch_items (intent_id)",
    // When a batch first ran unclaimed (emergency mode): it never enters the team store after
    // (the store would list its sent items as not sent, for another workstation to send again).
    "ALTER TABLE batches ADD COLUMN ran_unclaimed_at TEXT",
    // A batch suspends or deletes tokens, not only opts out: what it does, and which tokens.
    "ALTER TABLE batches ADD COLUMN action TEXT NOT NULL DEFAULT 'OPT_OUT';
     ALTER TABLE batches ADD COLUMN token_filter TEXT;",
];

/// The journal of one data directory.
pub struct Journal {
    pub(crate) db: crate::storage::sqlite::Db,
    /// The console whose intents this handle records, if any.
    owner: Option<owner::Owner>,
}

impl Journal {
    /// Opens (or creates) the journal at `path`: WAL, `synchronous=FULL`. Its intents name no
    /// owner until [`Journal::owned`].
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self {
            db: crate::storage::sqlite::Db::open(
                path,
                "open the operations journal",
                SCHEMA,
                MIGRATIONS,
            )?,
            owner: None,
        })
    }

    /// This handle's intents name a new console of this process as their owner (see
    /// [`owner`]), alive while the handle is.
    pub fn owned(mut self) -> Self {
        self.owner = Some(owner::Owner::new());
        self
    }

    /// The owner this handle records, if any.
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_ref().map(owner::Owner::token)
    }
}

pub(crate) fn parse<T: for<'de> Deserialize<'de>>(value: String) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(value.clone())).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn failed(e: rusqlite::Error) -> Error {
    Error::Internal(format!("the operations journal failed: {e}"))
}
