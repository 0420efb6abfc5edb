//! The intents of the journal: one row per write, recorded before it is sent and updated with
//! what became of it.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Journal, failed, now, parse};
use crate::wire_name;
use crate::writes::WriteKind;
use crate::{Error, Result};

/// A batch item an intent is sent for: recorded with the intent in one transaction, so that a
/// batch resumed after a crash knows which items were already sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLink {
    /// The batch.
    pub batch_id: String,
    /// The item's position in it.
    pub seq: i64,
}

/// Where a write stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    /// Recorded; the request may or may not have left (after a crash: must be resolved).
    Intent,
    /// D1 accepted it; the operation has not ended.
    Pending,
    /// D1 applied it.
    Successful,
    /// D1 refused it (when sent, or when the operation ended).
    Failed,
    /// Sent, but no answer came: resolve through D1's operations before anything else.
    Unknown,
}

/// SQL for "the intent is unfinished", as the `intents_state` index can answer it (a `NOT IN`
/// the final states would read every intent ever made).
pub(crate) const UNFINISHED_SQL: &str = "state IN ('INTENT', 'PENDING', 'UNKNOWN')";

impl State {
    /// The states something may still happen in (see [`UNFINISHED_SQL`]).
    pub(crate) const UNFINISHED: [State; 3] = [State::Intent, State::Pending, State::Unknown];

    /// Whether nothing more will happen to it.
    pub fn is_final(self) -> bool {
        !Self::UNFINISHED.contains(&self)
    }
}

/// A write about to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct NewIntent {
    /// What it does.
    pub kind: WriteKind,
    /// The card or consumer id.
    pub target: String,
    /// Free-text reason.
    pub reason: Option<String>,
    /// `ISSUER_DECISION` or `USER_DECISION`.
    pub reason_code: String,
    /// The correlation id the request will carry.
    pub correlation_id: String,
    /// The environment it goes to.
    pub environment: String,
    /// Who asked for it.
    pub operator: String,
}

/// A journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Local id of the intent.
    #[specta(type = f64)] // far below 2^53
    pub id: i64,
    /// What was asked for.
    #[serde(flatten)]
    pub intent: NewIntent,
    /// Where it stands.
    pub state: State,
    /// D1's operationId, once known.
    pub operation_id: Option<String>,
    /// Why it failed, or how it was resolved, as written (D1's words or the console's).
    pub detail: Option<String>,
    /// What the console concluded, when `detail` is one of its own conclusions: the UI puts it in
    /// the operator's language.
    pub note: Option<Note>,
    /// When the intent was recorded (UTC).
    pub created_at: String,
    /// When its request left (UTC); `None` while it has not (it may never have).
    pub sent_at: Option<String>,
    /// The console that recorded it (see [`super::owner`]); `None` before owners were kept.
    #[serde(skip)]
    pub owner: Option<String>,
    /// When it last changed (UTC).
    pub updated_at: String,
    /// Team mode: its claim in the team store, and the state the store was last told.
    #[serde(skip)]
    pub claim: Option<super::claims::ClaimNote>,
    /// A write taken over from another workstation: the tracker does not call it "not applied"
    /// before this time (RFC 3339), when its old sender can no longer send.
    #[serde(skip)]
    pub settle_from: Option<String>,
}

/// A conclusion the console itself reached about a write, kept in its own column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Note {
    /// D1 has no trace of the write once the settle time has passed: it was not applied, and
    /// it is safe to send it again.
    NotApplied,
    /// An outcome that was UNKNOWN was found in D1's operations list.
    ResolvedFromD1,
    /// D1 refused the write with a 429: it was not applied and may be sent again later.
    SlowDown,
    /// The embedded sandbox that held the write stopped (its simulated data is gone): the
    /// write is closed so that it holds nothing up.
    SandboxGone,
}

impl Note {
    /// The detail written in English beside [`Note::NotApplied`] (reports, the command line).
    pub(crate) const NOT_APPLIED: &str =
        "D1 has no record of this write: it was not applied, and it is safe to send it again";
    /// The detail written beside [`Note::ResolvedFromD1`].
    pub(crate) const RESOLVED_FROM_D1: &str = "resolved from D1's operations list";
}

/// Marks intent `?1` sent at `?2`, unless it was closed or marked already.
pub(super) const MARK_SENT: &str =
    "UPDATE intents SET sent_at = ?2 WHERE id = ?1 AND state = 'INTENT' AND sent_at IS NULL";

pub(crate) const COLUMNS: &str = "id, kind, target, reason, reason_code, correlation_id, environment, operator, state, operation_id, detail, created_at, updated_at, note, sent_at, owner, claim_id, claim_told, settle_from";

pub(crate) fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        intent: NewIntent {
            kind: parse(r.get(1)?)?,
            target: r.get(2)?,
            reason: r.get(3)?,
            reason_code: r.get(4)?,
            correlation_id: r.get(5)?,
            environment: r.get(6)?,
            operator: r.get(7)?,
        },
        state: parse(r.get(8)?)?,
        operation_id: r.get(9)?,
        detail: r.get(10)?,
        created_at: r.get(11)?,
        updated_at: r.get(12)?,
        note: r.get::<_, Option<String>>(13)?.map(parse).transpose()?,
        sent_at: r.get(14)?,
        owner: r.get(15)?,
        claim: r
            .get::<_, Option<i64>>(16)?
            .map(|id| super::claims::ClaimNote {
                id,
                told: r.get(17).ok().flatten(),
            }),
        settle_from: r.get(18)?,
    })
}

impl Journal {
    /// Records `intent` and returns its entry; on disk when this returns. Refused with
    /// [`Error::AlreadyInProgress`] while the same write on the same target is unfinished, in
    /// this process or another one on the same journal (checked and inserted in one transaction),
    /// whatever local name its environment has: two names may reach the same D1.
    pub fn record_intent(&self, intent: NewIntent) -> Result<Entry> {
        self.record_linked_intent(intent, None, false)
    }

    /// Like [`Journal::record_intent`], and marks the batch item `link` as sent by it in the same
    /// transaction: refused with [`Error::AlreadyInProgress`] unless the item was never sent or
    /// its last intent surely was not applied (FAILED with the console's "not applied" or "slow
    /// down" note), so no item is ever sent twice. With `claim_unsure` (team mode) it notes that
    /// the store may hold a claim for it until the claim's id is noted.
    pub fn record_linked_intent(
        &self,
        intent: NewIntent,
        link: Option<&BatchLink>,
        claim_unsure: bool,
    ) -> Result<Entry> {
        let mut connection = self.db.lock();
        let at = now();
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(failed)?;
        let open: Option<(i64, String)> = transaction
            .query_row(
                &format!(
                    "SELECT id, state FROM intents
                     WHERE {UNFINISHED_SQL} AND kind = ?1 AND target = ?2 LIMIT 1"
                ),
                params![wire_name(intent.kind), intent.target],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(failed)?;
        if let Some((id, state)) = open {
            return Err(Error::AlreadyInProgress(format!(
                "the same write on {} is already in progress (journal entry {id}, {state}); it was not sent again: wait for it to finish",
                intent.target
            )));
        }
        transaction
            .execute(
                "INSERT INTO intents (kind, target, reason, reason_code, correlation_id, environment, operator, state, created_at, updated_at, owner)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10)",
                params![wire_name(intent.kind), intent.target, intent.reason, intent.reason_code, intent.correlation_id,
                        intent.environment, intent.operator, wire_name(State::Intent), at, self.owner()],
            )
            .map_err(failed)?;
        let id = transaction.last_insert_rowid();
        if claim_unsure {
            // Team mode: until the claim's id is noted, the store may hold a claim for it.
            transaction
                .execute(
                    "UPDATE intents SET claim_told = ?2 WHERE id = ?1",
                    params![id, super::claims::UNSURE],
                )
                .map_err(failed)?;
        }
        if let Some(link) = link {
            let linked = transaction
                .execute(
                    "UPDATE batch_items SET intent_id = ?3, attempts = attempts + 1
                     WHERE batch_id = ?1 AND seq = ?2
                       AND (intent_id IS NULL OR EXISTS
                            (SELECT 1 FROM intents i WHERE i.id = batch_items.intent_id
                               AND i.state = 'FAILED' AND i.note IN ('NOT_APPLIED', 'SLOW_DOWN')))",
                    params![link.batch_id, link.seq, id],
                )
                .map_err(failed)?;
            if linked != 1 {
                // Dropping the transaction rolls the intent back: nothing is sent.
                return Err(Error::AlreadyInProgress(format!(
                    "item {} of batch {} was already sent; it was not sent again",
                    link.seq, link.batch_id
                )));
            }
        }
        transaction.commit().map_err(failed)?;
        drop(connection);
        self.get(id)?
            .ok_or_else(|| Error::Internal("a recorded intent vanished".into()))
    }

    /// Notes that intent `id`'s request leaves now (just before it is handed to the network):
    /// the tracker's settle time counts from here, and an intent never marked never left.
    /// `false` when the intent is no longer waiting to leave (another console judged it): then
    /// it must not be sent.
    pub fn mark_sent(&self, id: i64) -> Result<bool> {
        let marked = self
            .db
            .lock()
            .execute(MARK_SENT, params![id, now()])
            .map_err(failed)?;
        Ok(marked == 1)
    }

    /// Closes intent `id` as not applied (safe to send again) only if, when the journal
    /// changes, its request has still not left: the same statement checks and closes, so a
    /// console that marks it sent at that moment either wins (it is not closed) or sees it
    /// closed and does not send. `None` when it was not closed.
    pub fn close_never_sent(&self, id: i64) -> Result<Option<Entry>> {
        let closed = self
            .db
            .lock()
            .execute(
                "UPDATE intents SET state = 'FAILED', detail = ?2, note = ?3, updated_at = ?4
                 WHERE id = ?1 AND state = 'INTENT' AND sent_at IS NULL",
                params![id, Note::NOT_APPLIED, wire_name(Note::NotApplied), now()],
            )
            .map_err(failed)?;
        match closed {
            1 => self.get(id),
            _ => Ok(None),
        }
    }

    /// Records what became of intent `id` and returns the entry, or `None` when it was already
    /// final: a final entry never changes again, and the check and the change are one statement,
    /// so two processes finishing the same entry cannot both succeed.
    pub fn record(
        &self,
        id: i64,
        state: State,
        operation_id: Option<&str>,
        detail: Option<&str>,
        note: Option<Note>,
    ) -> Result<Option<Entry>> {
        let changed = self.db.lock()
            .execute(
                "UPDATE intents SET state = ?2, operation_id = COALESCE(?3, operation_id), detail = COALESCE(?4, detail),
                        note = COALESCE(?6, note), updated_at = ?5
                 WHERE id = ?1 AND state NOT IN ('SUCCESSFUL', 'FAILED')",
                params![id, wire_name(state), operation_id, detail, now(), note.map(wire_name)],
            )
            .map_err(failed)?;
        let entry = self
            .get(id)?
            .ok_or_else(|| Error::InvalidInput(format!("no journal entry {id}")))?;
        Ok((changed == 1).then_some(entry))
    }

    /// Closes every unfinished entry of `environment` recorded by `before` (RFC 3339) by a
    /// console that no longer runs, as FAILED with `note` and its `detail`; returns them as
    /// closed. For the embedded sandbox, whose data dies with the console that ran it.
    pub fn close_unfinished(
        &self,
        environment: &str,
        before: &str,
        note: Note,
        detail: &str,
    ) -> Result<Vec<Entry>> {
        let ids: Vec<(i64, Option<String>)> = {
            let connection = self.db.lock();
            let mut statement = connection
                .prepare(&format!(
                    "SELECT id, owner FROM intents
                     WHERE {UNFINISHED_SQL} AND environment = ?1 AND created_at <= ?2"
                ))
                .map_err(failed)?;
            let rows = statement
                .query_map(params![environment, before], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
                })
                .map_err(failed)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)?
        };
        let mut closed = Vec::new();
        for (id, owner) in ids {
            if owner.as_deref().is_some_and(super::owner::is_alive) {
                continue;
            }
            if let Some(entry) = self.record(id, State::Failed, None, Some(detail), Some(note))? {
                closed.push(entry);
            }
        }
        Ok(closed)
    }

    /// Copies the unfinished writes still readable in the damaged journal at `from` into this
    /// one as they stood (their console gone, their request taken as left when recorded), so
    /// that the tracker resolves each from D1 and the same write cannot be sent again before.
    /// Returns how many were copied, and whether the whole table could be read.
    pub fn salvage_unfinished(&self, from: &std::path::Path) -> Result<(usize, bool)> {
        use rusqlite::OpenFlags;
        let unreadable = |e: rusqlite::Error| {
            Error::Damaged(format!("the journal kept aside cannot be read ({e})"))
        };
        let old = rusqlite::Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(unreadable)?;
        let mut statement = old
            .prepare(
                "SELECT kind, target, reason, reason_code, correlation_id, environment, operator, state,
                        operation_id, detail, created_at
                 FROM intents WHERE state NOT IN ('SUCCESSFUL', 'FAILED')",
            )
            .map_err(unreadable)?;
        let mut rows = statement.query([]).map_err(unreadable)?;
        let mut connection = self.db.lock();
        let transaction = connection.transaction().map_err(failed)?;
        let (mut copied, mut whole) = (0, true);
        loop {
            let row = match rows.next() {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(_) => {
                    whole = false;
                    break;
                }
            };
            let values: rusqlite::Result<[Option<String>; 11]> = (|| {
                let mut values: [Option<String>; 11] = Default::default();
                for (index, value) in values.iter_mut().enumerate() {
                    *value = row.get(index)?;
                }
                Ok(values)
            })();
            // Only a row this console can read back is carried: one it could not parse would
            // stop the tracker for every write.
            let readable = |v: &[Option<String>; 11]| {
                let required = [1, 3, 4, 5, 6, 10].iter().all(|&i| v[i].is_some());
                let kind = v[0].clone().map(parse::<WriteKind>).and_then(|r| r.ok());
                let state = v[7].clone().map(parse::<State>).and_then(|r| r.ok());
                required && kind.is_some() && state.is_some_and(|s| !s.is_final())
            };
            let Some(v) = values.ok().filter(readable) else {
                whole = false;
                continue;
            };
            transaction
                .execute(
                    "INSERT INTO intents (kind, target, reason, reason_code, correlation_id, environment, operator, state,
                                          operation_id, detail, created_at, updated_at, sent_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?11)",
                    params![v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], now()],
                )
                .map_err(failed)?;
            copied += 1;
        }
        transaction.commit().map_err(failed)?;
        Ok((copied, whole))
    }

    /// Marks entry `id`'s latest outcome as not yet in the audit log (`true`) or written there.
    pub fn set_unaudited(&self, id: i64, unaudited: bool) -> Result<()> {
        self.db
            .lock()
            .execute(
                "UPDATE intents SET unaudited = ?2 WHERE id = ?1",
                params![id, unaudited],
            )
            .map_err(failed)?;
        Ok(())
    }

    /// The entries whose latest outcome the audit log could not take yet, oldest first.
    pub fn unaudited(&self) -> Result<Vec<Entry>> {
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {COLUMNS} FROM intents WHERE unaudited = 1 ORDER BY id"
            ))
            .map_err(failed)?;
        let rows = statement.query_map([], entry).map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// The entry holding D1's `operation_id`, if any (so an operation is never claimed twice
    /// when outcomes are reconciled).
    pub fn by_operation_id(&self, operation_id: &str) -> Result<Option<Entry>> {
        self.db
            .lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM intents WHERE operation_id = ?1"),
                [operation_id],
                entry,
            )
            .optional()
            .map_err(failed)
    }

    /// One entry.
    pub fn get(&self, id: i64) -> Result<Option<Entry>> {
        self.db
            .lock()
            .query_row(
                &format!("SELECT {COLUMNS} FROM intents WHERE id = ?1"),
                [id],
                entry,
            )
            .optional()
            .map_err(failed)
    }

    /// Entries not yet final (Intent, Pending, Unknown), oldest first: what a tracker follows,
    /// and what a new process resumes after a crash.
    pub fn unfinished(&self) -> Result<Vec<Entry>> {
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {COLUMNS} FROM intents WHERE {UNFINISHED_SQL} ORDER BY id"
            ))
            .map_err(failed)?;
        let rows = statement.query_map([], entry).map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// The newest `limit` entries, optionally only those in `state`.
    pub fn recent(&self, state: Option<State>, limit: i64) -> Result<Vec<Entry>> {
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {COLUMNS} FROM intents WHERE (?1 IS NULL OR state = ?1) ORDER BY id DESC LIMIT ?2"
            ))
            .map_err(failed)?;
        let rows = statement
            .query_map(params![state.map(wire_name), limit], entry)
            .map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unfinished_states_sql_names_every_unfinished_state_and_no_other() {
        let named = State::UNFINISHED
            .map(|state| format!("'{}'", wire_name(state)))
            .join(", ");
        assert_eq!(UNFINISHED_SQL, format!("state IN ({named})"));
    }

    #[test]
    fn an_intent_is_either_marked_sent_or_closed_as_never_sent_never_both() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let sender = Journal::open(&path).unwrap().owned();
        let tracker = Journal::open(&path).unwrap();
        let first = sender.record_intent(intent("crd-first")).unwrap();
        assert!(sender.mark_sent(first.id).unwrap());
        assert_eq!(tracker.close_never_sent(first.id).unwrap(), None, "it left");
        let second = sender.record_intent(intent("crd-second")).unwrap();
        let closed = tracker.close_never_sent(second.id).unwrap().unwrap();
        assert_eq!(
            (closed.state, closed.note),
            (State::Failed, Some(Note::NotApplied))
        );
        assert!(
            !sender.mark_sent(second.id).unwrap(),
            "closed: not to be sent"
        );
    }

    #[test]
    fn a_recovered_journal_carries_the_unfinished_writes_and_blocks_them_until_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let old_path = dir.path().join("old.sqlite");
        let old = Journal::open(&old_path).unwrap().owned();
        let unknown = old.record_intent(intent("crd-unknown")).unwrap();
        old.record(unknown.id, State::Unknown, None, Some("lost"), None)
            .unwrap();
        let done = old.record_intent(intent("crd-done")).unwrap();
        old.record(done.id, State::Successful, Some("op-1"), None, None)
            .unwrap();
        drop(old);
        let new = Journal::open(&dir.path().join("new.sqlite")).unwrap();
        assert_eq!(new.salvage_unfinished(&old_path).unwrap(), (1, true));
        // A row this console could not read back is left behind, and the copy says so.
        rusqlite::Connection::open(&old_path)
            .unwrap()
            .execute(
                "INSERT INTO intents (kind, target, reason_code, correlation_id, environment, operator, state, created_at, updated_at)
                 VALUES ('NONSENSE', 'crd-x', 'ISSUER_DECISION', 'c', 'sandbox', 'a', 'UNKNOWN', 't', 't')",
                [],
            )
            .unwrap();
        let again = Journal::open(&dir.path().join("again.sqlite")).unwrap();
        assert_eq!(again.salvage_unfinished(&old_path).unwrap(), (1, false));
        assert_eq!(again.unfinished().unwrap().len(), 1, "still readable");
        let carried = new.unfinished().unwrap();
        assert_eq!(carried.len(), 1);
        assert_eq!(carried[0].intent.target, "crd-unknown");
        assert_eq!(carried[0].state, State::Unknown);
        assert_eq!(carried[0].sent_at.as_ref(), Some(&carried[0].created_at));
        assert_eq!(carried[0].owner, None);
        let blocked = new.record_intent(intent("crd-unknown")).unwrap_err();
        assert_eq!(blocked.code(), crate::ErrorCode::AlreadyInProgress);
        // Garbage is an error, not an empty list.
        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(&garbage, b"not a database ".repeat(100)).unwrap();
        assert!(new.salvage_unfinished(&garbage).is_err());
    }

    #[test]
    fn rows_written_before_the_note_column_get_their_note_from_the_detail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("operations.sqlite");
        let old = rusqlite::Connection::open(&path).unwrap();
        old.execute_batch(super::super::SCHEMA).unwrap();
        let slow_down = d1::Error::RateLimited {
            correlation_id: d1::CorrelationId::random(),
            retry_after: Some(std::time::Duration::from_secs(3)),
        }
        .to_string();
        for (n, detail) in [
            Note::NOT_APPLIED,
            Note::RESOLVED_FROM_D1,
            slow_down.as_str(),
            "CARD_NOT_FOUND",
        ]
        .iter()
        .enumerate()
        {
            old.execute(
                "INSERT INTO intents (kind, target, reason_code, correlation_id, environment, operator, state, detail, created_at, updated_at)
                 VALUES ('OPT_OUT_CARD', ?1, 'ISSUER_DECISION', ?1, 'sandbox', 'agent1', 'FAILED', ?2, 't', 't')",
                params![format!("crd-{n}"), detail],
            )
            .unwrap();
        }
        drop(old);
        let journal = Journal::open(&path).unwrap();
        let notes: Vec<Option<Note>> = journal
            .recent(None, 10)
            .unwrap()
            .into_iter()
            .rev()
            .map(|e| e.note)
            .collect();
        assert_eq!(
            notes,
            [
                Some(Note::NotApplied),
                Some(Note::ResolvedFromD1),
                Some(Note::SlowDown),
                None
            ]
        );
        drop(journal);
        // Opening again applies nothing twice.
        assert_eq!(
            Journal::open(&path)
                .unwrap()
                .recent(None, 10)
                .unwrap()
                .len(),
            4
        );
    }

    fn intent(target: &str) -> NewIntent {
        NewIntent {
            kind: WriteKind::OptOutCard,
            target: target.into(),
            reason: Some("Lost card".into()),
            reason_code: "USER_DECISION".into(),
            correlation_id: format!("cid-{target}"),
            environment: "sandbox".into(),
            operator: "agent1".into(),
        }
    }

    #[test]
    fn an_intent_left_behind_by_a_crash_is_found_by_the_next_process() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let journal = Journal::open(&path).unwrap();
        let done = journal.record_intent(intent("crd-a")).unwrap();
        journal
            .record(done.id, State::Pending, Some("op-1"), None, None)
            .unwrap();
        journal
            .record(done.id, State::Successful, None, None, None)
            .unwrap();
        let stranded = journal.record_intent(intent("crd-b")).unwrap();
        let unknown = journal.record_intent(intent("crd-c")).unwrap();
        journal
            .record(
                unknown.id,
                State::Unknown,
                None,
                Some("connection lost"),
                None,
            )
            .unwrap();
        drop(journal); // the process dies here

        let journal = Journal::open(&path).unwrap();
        let unfinished = journal.unfinished().unwrap();
        assert_eq!(
            unfinished
                .iter()
                .map(|e| (e.intent.target.as_str(), e.state))
                .collect::<Vec<_>>(),
            [("crd-b", State::Intent), ("crd-c", State::Unknown)]
        );
        assert_eq!(unfinished[0].id, stranded.id);
        assert_eq!(unfinished[0].intent.correlation_id, "cid-crd-b");
        let finished = journal.get(done.id).unwrap().unwrap();
        assert_eq!(
            (finished.state, finished.operation_id.as_deref()),
            (State::Successful, Some("op-1")),
            "operationId kept"
        );
    }

    #[test]
    fn the_same_write_cannot_be_journaled_twice_while_unfinished_even_from_another_process() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("operations.sqlite");
        let (desktop, cli) = (Journal::open(&path).unwrap(), Journal::open(&path).unwrap());
        let first = desktop.record_intent(intent("crd-1")).unwrap();
        let error = cli.record_intent(intent("crd-1")).unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::AlreadyInProgress);
        assert!(
            error
                .to_string()
                .contains(&format!("journal entry {}", first.id)),
            "{error}"
        );
        cli.record_intent(intent("crd-2")).unwrap();
        // Another local name for the environment does not make it another card.
        let renamed = cli.record_intent(NewIntent {
            environment: "staging-2".into(),
            ..intent("crd-1")
        });
        assert_eq!(
            renamed.unwrap_err().code(),
            crate::ErrorCode::AlreadyInProgress
        );
        desktop
            .record(first.id, State::Failed, None, Some("refused"), None)
            .unwrap();
        cli.record_intent(intent("crd-1")).unwrap();
    }

    #[test]
    fn a_final_entry_never_changes() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let entry = journal.record_intent(intent("crd-a")).unwrap();
        journal
            .record(
                entry.id,
                State::Failed,
                None,
                Some("CARD_NOT_ENROLLED"),
                None,
            )
            .unwrap();
        let again = journal
            .record(entry.id, State::Successful, Some("op-9"), None, None)
            .unwrap();
        assert_eq!(again, None, "nothing changed");
        let kept = journal.get(entry.id).unwrap().unwrap();
        assert_eq!((kept.state, kept.operation_id), (State::Failed, None));
        assert!(
            journal
                .record(999, State::Pending, None, None, None)
                .is_err()
        );
    }

    #[test]
    fn recent_entries_newest_first_and_by_state() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        for n in 0..5 {
            let e = journal.record_intent(intent(&format!("crd-{n}"))).unwrap();
            if n % 2 == 0 {
                journal
                    .record(e.id, State::Pending, Some(&format!("op-{n}")), None, None)
                    .unwrap();
            }
        }
        let recent = journal.recent(None, 3).unwrap();
        assert_eq!(
            recent
                .iter()
                .map(|e| e.intent.target.as_str())
                .collect::<Vec<_>>(),
            ["crd-4", "crd-3", "crd-2"]
        );
        let pending = journal.recent(Some(State::Pending), 10).unwrap();
        assert_eq!(pending.len(), 3);
        assert!(pending.iter().all(|e| e.state == State::Pending));
    }
}
