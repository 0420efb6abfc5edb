//! The audit log: an append-only, hash-chained table in its own SQLite file. Each record holds
//! the SHA-256 of the previous record's hash and its own fields, so any change to a past record
//! (or its removal) breaks the chain, and [`AuditLog::verify`] names the first broken record.
//! Triggers refuse UPDATE and DELETE; the chain catches whoever removes the triggers first.
//! Each record carries its format version, and its hash covers what that version holds: a new
//! version adds fields under a new hash, and records of the older ones keep verifying.

use std::path::Path;

use aws_lc_rs::digest::{Context, SHA256};
use chrono::{SecondsFormat, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::AuditEvent;
use super::query::{AuditFilter, Query};
use crate::{Error, Result};

/// Why the audit log refused a record, in words an operator can act on.
fn refused(error: rusqlite::Error) -> Error {
    let words = match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DiskFull) => {
            "the disk is full: the audit log cannot take another record; free some space"
        }
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            "the audit log is locked by another program; close it and try again"
        }
        Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::PermissionDenied) => {
            "the audit log cannot be written (read-only or no permission)"
        }
        _ => return Error::Internal(format!("the audit log refused a record: {error}")),
    };
    Error::Storage {
        action: "append to",
        path: "the audit log".into(),
        source: std::io::Error::other(words),
    }
}

/// The hash before the first record.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit (
    seq            INTEGER PRIMARY KEY,
    time           TEXT NOT NULL,
    operator       TEXT NOT NULL,
    workstation    TEXT NOT NULL,
    event          TEXT NOT NULL,
    resource       TEXT,
    result         TEXT NOT NULL,
    operation_id   TEXT,
    correlation_id TEXT,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
";

/// Changes to the file, in order, never edited (see [`crate::storage::sqlite::Db::open`]).
const MIGRATIONS: &[&str] = &[
    // Records written before the format version existed are version 1.
    "ALTER TABLE audit ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
    // Format 2 records the role in force.
    "ALTER TABLE audit ADD COLUMN role TEXT",
    // How far the records went to the team store (team mode): its last seq, after the central
    // commit.
    "CREATE TABLE forwarded (id INTEGER PRIMARY KEY CHECK (id = 1), last_seq INTEGER NOT NULL)",
    // The last role and the chain's id are found by event without walking a long log.
    "CREATE INDEX audit_event ON audit (event, seq)",
];

/// The format version of the records this code writes.
pub const FORMAT_VERSION: i64 = 2;

/// What happened, to be recorded. `resource` must already be masked (ids, never a PAN).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// Who did it.
    pub operator: String,
    /// The role they held then (format 2 on; `None` in older records, or when no policy could
    /// be read).
    pub role: Option<String>,
    /// On which computer.
    pub workstation: String,
    /// What kind of event, as stored ([`AuditEvent::as_str`]: `profile_view`, …).
    pub event: String,
    /// The consumerId or cardId concerned.
    pub resource: Option<String>,
    /// How it ended (`ok`, `denied`, `SUCCESSFUL`, `UNKNOWN`, …).
    pub result: String,
    /// D1's operationId, for writes.
    pub operation_id: Option<String>,
    /// The D1 call's correlation id.
    pub correlation_id: Option<String>,
}

/// Records written and not yet held by the team store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// How many.
    pub records: u64,
    /// When the oldest was written (RFC 3339, the workstation's clock).
    pub oldest: String,
}

/// A stored record: the event, where it stands in the chain, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// Position in the log, from 1.
    #[specta(type = f64)] // far below 2^53
    pub seq: i64,
    /// When it was recorded (UTC, RFC 3339 with milliseconds).
    pub time: String,
    /// Its format version: which fields its hash covers.
    #[specta(type = f64)]
    pub version: i64,
    /// The event.
    #[serde(flatten)]
    pub event: Event,
    /// The event's name read as one this version knows (`None`: written by a newer version).
    pub kind: Option<AuditEvent>,
    /// The previous record's hash.
    pub prev_hash: String,
    /// SHA-256 over `prev_hash` and this record's fields.
    pub hash: String,
}

/// The verdict of [`AuditLog::verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// Records checked.
    #[specta(type = f64)]
    pub records: i64,
    /// The first record whose hash or link does not match, if any.
    #[specta(type = Option<f64>)]
    pub first_broken: Option<i64>,
    /// Team mode: the comparison with the team store's copy.
    pub centre: Option<super::centre::CentreCheck>,
}

/// The audit log of one data directory.
pub struct AuditLog {
    db: crate::storage::sqlite::Db,
    /// Set on the stand-in for a log kept aside: why every read and write is refused.
    refusal: Option<String>,
    /// Woken after each record is committed (team mode forwards it at once).
    written: tokio::sync::Notify,
    /// Since when (this process's clock, which no file edit or clock change moves) a record
    /// written is not known to be in the team store; `None` when every one is.
    unconfirmed_since: std::sync::Mutex<Option<std::time::Instant>>,
}

/// The hash of a record of format `version` (the published algorithm, which the team store
/// computes too), or `None` for a version this code does not know.
pub fn record_hash(
    version: i64,
    prev_hash: &str,
    seq: i64,
    time: &str,
    event: &Event,
) -> Option<String> {
    match version {
        // Version 1 has no role: one written beside it is covered by no hash.
        1 if event.role.is_none() => Some(hash_v1(prev_hash, seq, time, event)),
        2 => Some(hash_v2(prev_hash, seq, time, event)),
        _ => None,
    }
}

/// Version 1: the previous hash, the position, the time and the seven fields of [`Event`].
fn hash_v1(prev_hash: &str, seq: i64, time: &str, event: &Event) -> String {
    let seq = seq.to_string();
    chained(&v1_fields(prev_hash, &seq, time, event))
}

/// Version 2: what version 1 covers, then the version number and the role.
fn hash_v2(prev_hash: &str, seq: i64, time: &str, event: &Event) -> String {
    let seq = seq.to_string();
    let mut fields = v1_fields(prev_hash, &seq, time, event).to_vec();
    fields.extend([Some("2"), event.role.as_deref()]);
    chained(&fields)
}

/// The fields version 1 hashes, in order.
fn v1_fields<'a>(
    prev_hash: &'a str,
    seq: &'a str,
    time: &'a str,
    event: &'a Event,
) -> [Option<&'a str>; 10] {
    [
        Some(prev_hash),
        Some(seq),
        Some(time),
        Some(&event.operator),
        Some(&event.workstation),
        Some(&event.event),
        event.resource.as_deref(),
        Some(&event.result),
        event.operation_id.as_deref(),
        event.correlation_id.as_deref(),
    ]
}

/// SHA-256 over `fields`, each length-prefixed (an absent one marked apart from an empty one).
fn chained(fields: &[Option<&str>]) -> String {
    let mut context = Context::new(&SHA256);
    for &field in fields {
        // Length-prefixed, so that moving text between fields changes the hash.
        let bytes = field.map(str::as_bytes);
        context.update(&bytes.map_or(u64::MAX, |b| b.len() as u64).to_be_bytes());
        context.update(bytes.unwrap_or_default());
    }
    hex::encode(context.finish().as_ref())
}

impl AuditLog {
    /// Opens (or creates) the log at `path`: WAL, `synchronous=FULL`, append-only triggers.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self {
            db: crate::storage::sqlite::Db::open(path, "open the audit log", SCHEMA, MIGRATIONS)?,
            refusal: None,
            written: tokio::sync::Notify::new(),
            // Until the store confirms what it holds, nothing is known to be there.
            unconfirmed_since: std::sync::Mutex::new(Some(std::time::Instant::now())),
        })
    }

    /// The stand-in for a log kept aside: it refuses every read and write with `why`, so an
    /// outcome waits in the journal's outbox instead of going nowhere.
    pub(crate) fn refusing(why: String) -> Result<Self> {
        Ok(Self {
            refusal: Some(why),
            ..Self::open(Path::new(":memory:"))?
        })
    }

    /// `Err` with why when this is the stand-in for a log kept aside.
    fn usable(&self) -> Result<()> {
        match &self.refusal {
            Some(why) => Err(Error::Damaged(why.clone())),
            None => Ok(()),
        }
    }

    /// Appends `event` and returns the stored record; committed before this returns. Callers
    /// go through [`super::Recorder`], which names the event from [`AuditEvent`].
    pub(crate) fn append(&self, event: Event) -> Result<Record> {
        self.usable()?;
        let mut connection = self.db.lock();
        let failed = refused;
        let transaction = connection
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(failed)?;
        let last: Option<(i64, String)> = transaction
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(failed)?;
        let (seq, prev_hash) = last.map_or((1, GENESIS.to_owned()), |(seq, hash)| (seq + 1, hash));
        let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        let hash = record_hash(FORMAT_VERSION, &prev_hash, seq, &time, &event)
            .ok_or_else(|| Error::Internal("no hash for this format version".into()))?;
        transaction
            .execute(
                "INSERT INTO audit (seq, time, operator, workstation, event, resource, result, operation_id, correlation_id, prev_hash, hash, version, role)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                params![seq, time, event.operator, event.workstation, event.event, event.resource, event.result,
                        event.operation_id, event.correlation_id, prev_hash, hash, FORMAT_VERSION, event.role],
            )
            .map_err(failed)?;
        transaction.commit().map_err(failed)?;
        self.unconfirmed_since
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get_or_insert_with(std::time::Instant::now);
        self.written.notify_one();
        Ok(Record {
            seq,
            time,
            version: FORMAT_VERSION,
            kind: AuditEvent::parse(&event.event),
            event,
            prev_hash,
            hash,
        })
    }

    /// Makes the log's file as full as a full disk would (tests of what happens then), or gives
    /// it room again.
    #[cfg(test)]
    pub(crate) fn set_full(&self, full: bool) {
        let connection = self.db.lock();
        let pages: i64 = connection
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        let most = if full { pages } else { 1 << 30 };
        connection
            .query_row(&format!("PRAGMA max_page_count = {most}"), [], |_| Ok(()))
            .unwrap();
    }

    /// The operator and role in force that the trail last stated (a chain's start or a change
    /// of them), if any; the records of a permit for administration name `admin` and are not it.
    pub(crate) fn last_role(&self) -> Result<Option<(String, String)>> {
        self.usable()?;
        self.db
            .lock()
            .query_row(
                "SELECT operator, role FROM audit
                 WHERE role IS NOT NULL AND event IN ('policy_change', 'audit_chain_start')
                 ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| Error::Internal(format!("cannot read the audit log: {e}")))
    }

    /// Waits until a record is written (or one was since the last wait).
    pub async fn written(&self) {
        self.written.notified().await;
    }

    /// The chain's id: made when it began, kept in its first record (or, for a chain older
    /// than ids, in the `audit_chain_id` record that gave it one); `None` before either.
    pub fn chain_id(&self) -> Result<Option<String>> {
        self.usable()?;
        self.db
            .lock()
            .query_row(
                "SELECT resource FROM audit
                 WHERE resource IS NOT NULL AND event IN ('audit_chain_start', 'audit_chain_id')
                 ORDER BY seq LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| Error::Internal(format!("cannot read the audit log: {e}")))
    }

    /// The last seq the team store holds (0 before any).
    pub fn forwarded(&self) -> Result<i64> {
        self.usable()?;
        self.db
            .lock()
            .query_row("SELECT last_seq FROM forwarded WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| Error::Internal(format!("cannot read the audit log: {e}")))
    }

    /// Notes that the team store holds every record up to `seq` (as it said).
    pub fn set_forwarded(&self, seq: i64) -> Result<()> {
        self.usable()?;
        // Under the log's lock, so that no record is written between the look and the note.
        let connection = self.db.lock();
        connection
            .execute(
                "INSERT INTO forwarded (id, last_seq) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET last_seq = excluded.last_seq",
                [seq],
            )
            .map_err(refused)?;
        let last: i64 = connection
            .query_row("SELECT coalesce(max(seq), 0) FROM audit", [], |r| r.get(0))
            .map_err(refused)?;
        if seq >= last {
            *self
                .unconfirmed_since
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = None;
        }
        Ok(())
    }

    /// How long a record written has not been known to be in the team store, by this process's
    /// own clock (a record written before it started counts from its start); `None` when the
    /// store confirmed every one.
    pub fn unconfirmed_for(&self) -> Option<std::time::Duration> {
        self.unconfirmed_since
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .map(|since| since.elapsed())
    }

    /// The records the team store does not hold yet: how many, and when the oldest was
    /// written; `None` when it holds every one.
    pub fn backlog(&self) -> Result<Option<Backlog>> {
        self.usable()?;
        self.db
            .lock()
            .query_row(
                "WITH sent AS (SELECT min(coalesce((SELECT max(last_seq) FROM forwarded), 0),
                                       coalesce((SELECT max(seq) FROM audit), 0)) AS seq)
                 SELECT (SELECT max(seq) FROM audit) - sent.seq,
                        (SELECT time FROM audit WHERE seq > sent.seq ORDER BY seq LIMIT 1)
                 FROM sent",
                [],
                |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<String>>(1)?)),
            )
            .map(|(count, oldest)| match (count, oldest) {
                (Some(count), Some(oldest)) if count > 0 => Some(Backlog {
                    records: count.unsigned_abs(),
                    oldest,
                }),
                _ => None,
            })
            .map_err(|e| Error::Internal(format!("cannot read the audit log: {e}")))
    }

    /// The last record's seq (0 when empty).
    pub fn last_seq(&self) -> Result<i64> {
        self.usable()?;
        self.db
            .lock()
            .query_row("SELECT coalesce(max(seq), 0) FROM audit", [], |r| r.get(0))
            .map_err(|e| Error::Internal(format!("cannot read the audit log: {e}")))
    }

    /// The hash of record `seq`, if the log holds it.
    pub fn hash_at(&self, seq: i64) -> Result<Option<String>> {
        self.usable()?;
        self.db
            .lock()
            .query_row("SELECT hash FROM audit WHERE seq = ?1", [seq], |r| r.get(0))
            .optional()
            .map_err(|e| Error::Internal(format!("cannot read the audit log: {e}")))
    }

    /// How many records the log holds.
    pub fn count(&self) -> Result<u64> {
        self.usable()?;
        self.db
            .lock()
            .query_row("SELECT COUNT(*) FROM audit", [], |r| r.get::<_, i64>(0))
            .map(|n| n.unsigned_abs())
            .map_err(|e| Error::Internal(format!("cannot read the audit log: {e}")))
    }

    /// The `limit` records after record `seq`, oldest first (by the key: as fast at the end of
    /// a long log as at its start).
    pub fn after(&self, seq: i64, limit: i64) -> Result<Vec<Record>> {
        let every = AuditFilter::default();
        let query = Query {
            operator: None,
            filter: &every,
            newest_first: false,
        };
        self.select_after(&query, seq, 0, limit)
    }

    /// How many records `query` finds.
    pub(crate) fn count_of(&self, query: &Query<'_>) -> Result<u64> {
        if query.operator.is_none() && query.filter.is_empty() {
            // Every record: seq counts them (from 1, none ever removed), without a scan.
            return self.last_seq().map(i64::unsigned_abs);
        }
        self.usable()?;
        let (operator, text, events) = query.params();
        self.db
            .lock()
            .query_row(
                &format!("SELECT COUNT(*) FROM audit WHERE {}", super::query::WHERE),
                params![operator, text, events],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.unsigned_abs())
            .map_err(|e| Error::Internal(format!("cannot read the audit log: {e}")))
    }

    /// Records `offset..offset+limit` of the `total` that `query` finds, in its order. A page
    /// nearer the far end is read from that end, so that the last page of a long log costs what
    /// the first does.
    pub(crate) fn select(
        &self,
        query: &Query<'_>,
        offset: i64,
        limit: i64,
        total: u64,
    ) -> Result<Vec<Record>> {
        let total = i64::try_from(total).unwrap_or(i64::MAX);
        if offset.saturating_add(limit / 2) <= total / 2 {
            return self.select_after(query, 0, offset, limit);
        }
        let reversed = Query {
            newest_first: !query.newest_first,
            ..*query
        };
        let end = offset.saturating_add(limit).min(total);
        let mut records = self.select_after(&reversed, 0, total - end, (end - offset).max(0))?;
        records.reverse();
        Ok(records)
    }

    /// Records `offset..offset+limit` of what `query` finds after record `after`, in its order.
    pub(crate) fn select_after(
        &self,
        query: &Query<'_>,
        after: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<Record>> {
        self.usable()?;
        let connection = self.db.lock();
        let failed =
            |e: rusqlite::Error| Error::Internal(format!("cannot read the audit log: {e}"));
        let order = if query.newest_first { "DESC" } else { "ASC" };
        let mut statement = connection
            .prepare(&format!(
                "SELECT seq, time, operator, workstation, event, resource, result, operation_id, correlation_id, prev_hash, hash, version, role
                 FROM audit WHERE seq > ?6 AND {} ORDER BY seq {order} LIMIT ?4 OFFSET ?5",
                super::query::WHERE
            ))
            .map_err(failed)?;
        let (operator, text, events) = query.params();
        let rows = statement
            .query_map(params![operator, text, events, limit, offset, after], |r| {
                let name: String = r.get(4)?;
                Ok(Record {
                    seq: r.get(0)?,
                    time: r.get(1)?,
                    // A version that is not a number is no version this code knows: the
                    // record shows as broken instead of making the log unreadable.
                    version: match r.get::<_, rusqlite::types::Value>(11)? {
                        rusqlite::types::Value::Integer(version) => version,
                        _ => 0,
                    },
                    kind: AuditEvent::parse(&name),
                    event: Event {
                        operator: r.get(2)?,
                        role: r.get(12)?,
                        workstation: r.get(3)?,
                        event: name,
                        resource: r.get(5)?,
                        result: r.get(6)?,
                        operation_id: r.get(7)?,
                        correlation_id: r.get(8)?,
                    },
                    prev_hash: r.get(9)?,
                    hash: r.get(10)?,
                })
            })
            .map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// Checks the file in full (SQLite's integrity check), then walks the whole chain and
    /// reports the first record that does not match.
    pub fn verify(&self) -> Result<Verification> {
        const PAGE: i64 = 1000;
        self.usable()?;
        // The full check of the file first (the start only runs the quick one).
        let integrity: String = self
            .db
            .lock()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| Error::Damaged(format!("the audit log cannot be checked: {e}")))?;
        if integrity != "ok" {
            return Err(Error::Damaged(format!(
                "the audit log's file is damaged ({integrity}): restart the console, which keeps it aside, and ask an administrator to run `c2p recover`"
            )));
        }
        let mut expected_prev = GENESIS.to_owned();
        let mut expected_seq = 1;
        loop {
            let records = self.after(expected_seq - 1, PAGE)?;
            for record in &records {
                let intact = record.seq == expected_seq
                    && record.prev_hash == expected_prev
                    && record_hash(
                        record.version,
                        &record.prev_hash,
                        record.seq,
                        &record.time,
                        &record.event,
                    )
                    .is_some_and(|h| h == record.hash);
                if !intact {
                    return Ok(Verification {
                        records: expected_seq - 1,
                        first_broken: Some(expected_seq),
                        centre: None,
                    });
                }
                expected_prev = record.hash.clone();
                expected_seq += 1;
            }
            if (records.len() as i64) < PAGE {
                return Ok(Verification {
                    records: expected_seq - 1,
                    first_broken: None,
                    centre: None,
                });
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use rusqlite::Connection;

    use super::*;

    pub(crate) fn event(n: usize) -> Event {
        Event {
            operator: "agent1".into(),
            role: Some("agent".into()),
            workstation: "ws-07".into(),
            event: "opt_out_card_intent".into(),
            resource: Some(format!("crd-{n:04}")),
            result: "PENDING".into(),
            operation_id: Some(format!("op-{n}")),
            correlation_id: Some(format!("cid-{n}")),
        }
    }

    pub(crate) fn log_with(records: usize) -> (tempfile::TempDir, std::path::PathBuf, AuditLog) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.sqlite");
        let log = AuditLog::open(&path).unwrap();
        for n in 0..records {
            log.append(event(n)).unwrap();
        }
        (dir, path, log)
    }

    #[test]
    fn a_page_read_from_the_far_end_is_the_page_read_from_the_near_one() {
        let (_dir, _path, log) = log_with(250);
        let every = AuditFilter::default();
        let filtered = AuditFilter {
            text: "crd-01".into(),
            events: Vec::new(),
        };
        for filter in [&every, &filtered] {
            for newest_first in [true, false] {
                let query = Query {
                    operator: None,
                    filter,
                    newest_first,
                };
                let total = log.count_of(&query).unwrap();
                for offset in [0, 10, 100, 120, 200, 240, 249, 250, 300] {
                    let near = log.select_after(&query, 0, offset, 10).unwrap();
                    let either = log.select(&query, offset, 10, total).unwrap();
                    assert_eq!(
                        either.iter().map(|r| r.seq).collect::<Vec<_>>(),
                        near.iter().map(|r| r.seq).collect::<Vec<_>>(),
                        "offset {offset}, newest first {newest_first}, {filter:?}"
                    );
                }
            }
        }
        assert_eq!(
            log.count_of(&Query {
                operator: None,
                filter: &every,
                newest_first: true
            })
            .unwrap(),
            250
        );
    }

    #[test]
    fn records_chain_and_survive_a_reopen() {
        let (_dir, path, log) = log_with(5);
        drop(log);
        let log = AuditLog::open(&path).unwrap();
        let sixth = log.append(event(5)).unwrap();
        assert_eq!(sixth.seq, 6);
        let all = log.after(0, 100).unwrap();
        assert_eq!(all.len(), 6);
        assert_eq!(all[0].prev_hash, GENESIS);
        assert!(all.windows(2).all(|w| w[1].prev_hash == w[0].hash));
        assert_eq!(
            log.verify().unwrap(),
            Verification {
                records: 6,
                first_broken: None,
                centre: None
            }
        );
    }

    #[test]
    fn records_appended_now_continue_a_version_1_chain() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.sqlite");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit-v1.sqlite");
        std::fs::copy(fixture, &path).unwrap();
        let log = AuditLog::open(&path).unwrap();
        let before = log.count().unwrap() as i64;
        let appended = log.append(event(1)).unwrap();
        assert_eq!(
            (appended.seq, appended.version),
            (before + 1, FORMAT_VERSION)
        );
        assert_eq!(
            log.verify().unwrap(),
            Verification {
                records: before + 1,
                first_broken: None,
                centre: None
            }
        );
    }

    #[test]
    fn a_record_of_an_unknown_version_breaks_the_chain() {
        let (_dir, path, log) = log_with(3);
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch("DROP TRIGGER audit_no_update;").unwrap();
        // A version this code does not know, or an older one (which would hash fewer fields).
        for version in ["3", "1", "'x'"] {
            raw.execute(
                &format!("UPDATE audit SET version = {version} WHERE seq = 2"),
                [],
            )
            .unwrap();
            assert_eq!(log.verify().unwrap().first_broken, Some(2), "{version}");
        }
    }

    #[test]
    fn updates_and_deletes_are_refused() {
        let (_dir, path, _log) = log_with(3);
        let raw = Connection::open(&path).unwrap();
        let update = raw.execute("UPDATE audit SET result = 'SUCCESSFUL' WHERE seq = 2", []);
        assert!(update.unwrap_err().to_string().contains("append-only"));
        assert!(raw.execute("DELETE FROM audit WHERE seq = 3", []).is_err());
    }

    #[test]
    fn tampering_is_found_at_the_first_changed_record() {
        let (_dir, path, log) = log_with(10);
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
            .unwrap();
        raw.execute("UPDATE audit SET resource = 'crd-9999' WHERE seq = 4", [])
            .unwrap();
        assert_eq!(
            log.verify().unwrap(),
            Verification {
                records: 3,
                first_broken: Some(4),
                centre: None
            }
        );

        let (_dir2, path2, log2) = log_with(10);
        let raw2 = Connection::open(&path2).unwrap();
        raw2.execute_batch("DROP TRIGGER audit_no_delete;").unwrap();
        raw2.execute("DELETE FROM audit WHERE seq = 7", []).unwrap();
        assert_eq!(
            log2.verify().unwrap().first_broken,
            Some(7),
            "a removed record breaks the chain"
        );

        // The role a record names is covered by its hash.
        let (_dir4, path4, log4) = log_with(3);
        let raw4 = Connection::open(&path4).unwrap();
        raw4.execute_batch("DROP TRIGGER audit_no_update;").unwrap();
        raw4.execute("UPDATE audit SET role = 'admin' WHERE seq = 3", [])
            .unwrap();
        assert_eq!(log4.verify().unwrap().first_broken, Some(3));
        // Relabelled as version 1, whose hash would not cover the role it still shows.
        raw4.execute("UPDATE audit SET version = 1 WHERE seq = 2", [])
            .unwrap();
        assert_eq!(log4.verify().unwrap().first_broken, Some(2));

        let (_dir3, path3, log3) = log_with(3);
        let raw3 = Connection::open(&path3).unwrap();
        raw3.execute_batch("DROP TRIGGER audit_no_update;").unwrap();
        // Moving text from one field to another keeps the concatenation but not the hash.
        raw3.execute(
            "UPDATE audit SET operator = 'agent1ws', workstation = '-07' WHERE seq = 2",
            [],
        )
        .unwrap();
        assert_eq!(log3.verify().unwrap().first_broken, Some(2));
    }

    #[test]
    fn an_unwritable_location_is_a_storage_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, "").unwrap();
        let error = AuditLog::open(&blocker.join("audit.sqlite")).err().unwrap();
        assert_eq!(error.code(), crate::ErrorCode::Storage);
    }
}
