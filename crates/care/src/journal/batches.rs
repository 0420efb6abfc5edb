//! Batches in the operations journal: one row per batch, one per item, and each item's latest
//! intent (linked when the intent is recorded, see [`super::BatchLink`]).

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::intents::{COLUMNS as INTENT_COLUMNS, UNFINISHED_SQL, entry};
use super::{Entry, Journal, State, failed, now, parse};
use crate::wire_name;
use crate::{Error, Result};

/// Whether an id is a card's, a consumer's or a token's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum TargetKind {
    /// A cardId: the card is opted out (or, in a token batch, its tokens become items).
    Card,
    /// A consumerId: the consumer and every card of theirs are opted out.
    Consumer,
    /// A digitalCardId, in a token batch: the token is suspended or deleted.
    Token,
}

/// What a batch does to its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BatchAction {
    /// Opts each card or consumer out of Click to Pay.
    OptOut,
    /// Suspends the tokens of each card (the dry run lists them, one item each).
    SuspendTokens,
    /// Deletes the tokens of each card (never a Click to Pay token: that is the opt-out).
    DeleteTokens,
}

impl BatchAction {
    /// The write each item gets: `None` for an opt-out (it depends on the item's kind).
    pub fn token_write(self) -> Option<crate::writes::WriteKind> {
        match self {
            Self::OptOut => None,
            Self::SuspendTokens => Some(crate::writes::WriteKind::SuspendToken),
            Self::DeleteTokens => Some(crate::writes::WriteKind::DeleteToken),
        }
    }
}

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// Card or consumer.
    pub kind: TargetKind,
    /// The cardId or consumerId, checked against D1's pattern.
    pub id: String,
    /// The line it came from (1-based).
    #[specta(type = u32)]
    pub line: usize,
}

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
    /// `ISSUER_DECISION` or `USER_DECISION`; a token batch's token reason code.
    pub reason_code: String,
    /// The free-text reason every item carries.
    pub reason: Option<String>,
    /// What it does.
    pub action: BatchAction,
    /// A token batch: only the tokens of this merchant (merchantId) or token requestor.
    pub token_filter: Option<String>,
    /// Where it stands.
    pub state: BatchState,
    /// When it was made (UTC).
    pub created_at: String,
    /// When it last changed (UTC).
    pub updated_at: String,
    /// When its dry run was last read (UTC); `None` before one was.
    pub previewed_at: Option<String>,
}

/// Where one item of a batch stands, in reports, counts and the screen alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemStatus {
    /// The dry run found it in no directory: it is not sent.
    NothingToDo,
    /// The bank's records do not know it as what the list says it is (a consumerId read as a
    /// cardId, say): it is not sent.
    NotFound,
    /// Not sent (yet).
    NotSent,
    /// Its intent is journaled and its request may be on the way.
    Sending,
    /// D1 accepted it; the operation has not ended.
    Pending,
    /// Sent, but no answer came: being resolved from D1's operations.
    Unknown,
    /// D1 applied it.
    Successful,
    /// D1 refused it, or it was not applied.
    Failed,
}

impl ItemStatus {
    /// The status of an item sent with an intent in `state`.
    pub fn of_intent(state: State) -> Self {
        match state {
            State::Intent => Self::Sending,
            State::Pending => Self::Pending,
            State::Unknown => Self::Unknown,
            State::Successful => Self::Successful,
            State::Failed => Self::Failed,
        }
    }

    /// The SQL expression giving an item's status from `batch_items b LEFT JOIN intents i`,
    /// spelled from the same values as the code.
    fn sql() -> String {
        format!(
            "CASE WHEN substr(b.skip, 1, {}) = '{NOT_FOUND}' THEN '{}' WHEN b.skip IS NOT NULL THEN '{}' WHEN b.intent_id IS NULL THEN '{}' WHEN i.state = '{}' THEN '{}' ELSE i.state END",
            NOT_FOUND.len(),
            wire_name(Self::NotFound),
            wire_name(Self::NothingToDo),
            wire_name(Self::NotSent),
            wire_name(State::Intent),
            wire_name(Self::Sending),
        )
    }
}

/// How long a batch's dry run stays good: starting or resuming a batch whose dry run is older
/// (or was never read) reads it again and asks to confirm.
pub const DRY_RUN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(300);

impl Batch {
    /// Whether its dry run must be read again before anything more is sent: never read, or
    /// read longer than [`DRY_RUN_LIFETIME`] ago.
    pub fn dry_run_is_stale(&self) -> bool {
        let read = self
            .previewed_at
            .as_deref()
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok());
        match read {
            Some(read) => {
                chrono::Utc::now().signed_duration_since(read)
                    > chrono::Duration::from_std(DRY_RUN_LIFETIME).unwrap_or_default()
            }
            None => true,
        }
    }
}

/// How the reason of an item the dry run found unknown to the bank begins.
pub const NOT_FOUND: &str = "not found: ";

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
    /// Where it stands.
    pub fn status(&self) -> ItemStatus {
        match (&self.skip, &self.intent) {
            (Some(skip), _) if skip.starts_with(NOT_FOUND) => ItemStatus::NotFound,
            (Some(_), _) => ItemStatus::NothingToDo,
            (None, None) => ItemStatus::NotSent,
            (None, Some(entry)) => ItemStatus::of_intent(entry.state),
        }
    }

    /// Whether nothing more will happen to it in this batch.
    pub fn is_settled(&self) -> bool {
        self.skip.is_some() || self.intent.as_ref().is_some_and(|e| e.state.is_final())
    }
}

/// Why a token batch's card item is not sent: the dry run listed its tokens as items.
pub const TOKENS_LISTED: &str = "its tokens are items of their own";

const BATCH_COLUMNS: &str = "id, environment, operator, reason_code, reason, state, created_at, updated_at, previewed_at, action, token_filter";

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
        previewed_at: r.get(8)?,
        action: parse(r.get(9)?)?,
        token_filter: r.get(10)?,
    })
}

impl Journal {
    /// Notes that the team store holds batch `id` (published, or taken over from there), unless
    /// it ever ran unclaimed; whether it was noted.
    pub(crate) fn set_batch_in_team_store(&self, id: &str) -> Result<bool> {
        let changed = self
            .db
            .lock()
            .execute(
                "UPDATE batches SET in_team_store = 1 WHERE id = ?1 AND ran_unclaimed_at IS NULL",
                params![id],
            )
            .map_err(failed)?;
        Ok(changed == 1)
    }

    /// Whether the team store may hold batch `id` (published, or taken over from there).
    pub(crate) fn batch_in_team_store(&self, id: &str) -> Result<bool> {
        Ok(self
            .db
            .lock()
            .query_row(
                "SELECT in_team_store = 1 FROM batches WHERE id = ?1",
                params![id],
                |r| r.get::<_, Option<bool>>(0),
            )
            .optional()
            .map_err(failed)?
            .flatten()
            .unwrap_or(false))
    }

    /// Notes that batch `id` runs unclaimed (emergency mode), if it was made here and never put
    /// in the team store: only such a batch may (no other workstation can take it over), and
    /// it is never put there after (its items are claimed one by one once the store is back).
    /// Whether it may.
    pub(crate) fn set_batch_runs_unclaimed(&self, id: &str) -> Result<bool> {
        let changed = self
            .db
            .lock()
            .execute(
                "UPDATE batches SET ran_unclaimed_at = coalesce(ran_unclaimed_at, ?2)
                 WHERE id = ?1 AND in_team_store = 0",
                params![id, now()],
            )
            .map_err(failed)?;
        Ok(changed == 1)
    }

    /// Stores `batch` and its `targets` in one transaction, noted as held by the team store
    /// when it came from there (`in_team_store`).
    pub(crate) fn create_batch(
        &self,
        batch: &Batch,
        targets: &[Target],
        in_team_store: bool,
    ) -> Result<()> {
        let mut connection = self.db.lock();
        let transaction = connection.transaction().map_err(failed)?;
        insert_batch(&transaction, batch, targets, in_team_store)?;
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

    /// Replaces card item `seq` of token batch `id`, not sent, by one item per token of
    /// `tokens` (after every item there is, on the card's line): the card item is skipped,
    /// saying so. In one transaction; nothing when the item was sent or skipped already.
    pub(crate) fn expand_into_tokens(&self, id: &str, seq: i64, tokens: &[String]) -> Result<()> {
        let mut connection = self.db.lock();
        let transaction = connection.transaction().map_err(failed)?;
        let skipped = transaction
            .execute(
                "UPDATE batch_items SET skip = ?3
                 WHERE batch_id = ?1 AND seq = ?2 AND intent_id IS NULL AND skip IS NULL",
                params![id, seq, TOKENS_LISTED],
            )
            .map_err(failed)?;
        if skipped == 1 {
            let (next, line): (i64, i64) = transaction
                .query_row(
                    "SELECT (SELECT max(seq) + 1 FROM batch_items WHERE batch_id = ?1), line
                     FROM batch_items WHERE batch_id = ?1 AND seq = ?2",
                    params![id, seq],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(failed)?;
            let mut insert = transaction
                .prepare("INSERT INTO batch_items (batch_id, seq, kind, target, line) VALUES (?1, ?2, ?3, ?4, ?5)")
                .map_err(failed)?;
            for (n, token) in tokens.iter().enumerate() {
                insert
                    .execute(params![
                        id,
                        next + n as i64,
                        wire_name(TargetKind::Token),
                        token,
                        line
                    ])
                    .map_err(failed)?;
            }
        }
        transaction.commit().map_err(failed)
    }

    /// Every item of batch `id`, in order, with its latest intent (one query).
    pub fn batch_items(&self, id: &str) -> Result<Vec<Item>> {
        let columns = intent_columns();
        // The item's own columns follow the intent's.
        let n = INTENT_COLUMNS.split(", ").count();
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
                    seq: r.get(n)?,
                    kind: parse(r.get(n + 1)?)?,
                    target: r.get(n + 2)?,
                    line: r.get(n + 3)?,
                    skip: r.get(n + 4)?,
                    attempts: r.get(n + 5)?,
                    intent: linked.map(|_| entry(r)).transpose()?,
                })
            })
            .map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// How many items of batch `id` have each [`ItemStatus`] (one aggregate query).
    pub(crate) fn batch_statuses(&self, id: &str) -> Result<Vec<(ItemStatus, u32)>> {
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {}, count(*)
                 FROM batch_items b LEFT JOIN intents i ON i.id = b.intent_id
                 WHERE b.batch_id = ?1 GROUP BY 1",
                ItemStatus::sql()
            ))
            .map_err(failed)?;
        let rows = statement
            .query_map([id], |r| Ok((parse(r.get(0)?)?, r.get(1)?)))
            .map_err(failed)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(failed)
    }

    /// The unfinished intents of batch `id`'s items (what is left to follow), oldest first.
    /// Read from the journal's unfinished intents (few), not from the batch's items (up to
    /// every card of a long batch), so that following a batch costs the same at its end as at
    /// its start.
    pub(crate) fn batch_unfinished(&self, id: &str) -> Result<Vec<Entry>> {
        let columns = intent_columns();
        let connection = self.db.lock();
        let mut statement = connection
            .prepare(&format!(
                "SELECT {columns} FROM intents i CROSS JOIN batch_items b ON b.intent_id = i.id
                 WHERE i.{UNFINISHED_SQL} AND b.batch_id = ?1 ORDER BY i.id"
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
                params![id, wire_name(BatchState::Discarded), now()],
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
                params![id, wire_name(state), now()],
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

impl Journal {
    /// Marks item `seq` of batch `id` as not to be sent, and why; an item already sent keeps
    /// its intent.
    /// Notes that batch `id`'s dry run was read now.
    pub(crate) fn set_previewed(&self, id: &str) -> Result<()> {
        self.db
            .lock()
            .execute(
                "UPDATE batches SET previewed_at = ?2 WHERE id = ?1",
                params![id, super::now()],
            )
            .map_err(failed)?;
        Ok(())
    }

    pub(crate) fn skip_item(&self, id: &str, seq: i64, why: &str) -> Result<()> {
        skip_item(&self.db.lock(), id, seq, why)
    }
}

/// Marks item `seq` of batch `id` not to be sent (`why`) unless it was (see
/// [`Journal::skip_item`]).
pub(super) fn skip_item(db: &rusqlite::Connection, id: &str, seq: i64, why: &str) -> Result<()> {
    db.execute(
        "UPDATE batch_items SET skip = ?3 WHERE batch_id = ?1 AND seq = ?2 AND intent_id IS NULL",
        params![id, seq, why],
    )
    .map_err(failed)?;
    Ok(())
}

/// Inserts `batch` and its `targets` within `tx` (see [`Journal::create_batch`]).
pub(super) fn insert_batch(
    tx: &rusqlite::Transaction<'_>,
    batch: &Batch,
    targets: &[Target],
    in_team_store: bool,
) -> Result<()> {
    let columns = format!("{BATCH_COLUMNS}, in_team_store");
    tx.execute(
        &format!(
            "INSERT INTO batches ({columns}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, NULL, ?9, ?10, ?8)"
        ),
        params![
            batch.id,
            batch.environment,
            batch.operator,
            batch.reason_code,
            batch.reason,
            wire_name(batch.state),
            batch.created_at,
            in_team_store,
            wire_name(batch.action),
            batch.token_filter
        ],
    )
    .map_err(failed)?;
    {
        let mut insert = tx
            .prepare("INSERT INTO batch_items (batch_id, seq, kind, target, line) VALUES (?1, ?2, ?3, ?4, ?5)")
            .map_err(failed)?;
        for (seq, target) in targets.iter().enumerate() {
            insert
                .execute(params![
                    batch.id,
                    seq as i64,
                    wire_name(target.kind),
                    target.id,
                    target.line as i64
                ])
                .map_err(failed)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch `b-1` just made.
    fn ready() -> Batch {
        Batch {
            id: "b-1".into(),
            environment: "sandbox".into(),
            operator: "fraud1".into(),
            reason_code: "ISSUER_DECISION".into(),
            reason: None,
            action: BatchAction::OptOut,
            token_filter: None,
            state: BatchState::Ready,
            created_at: now(),
            updated_at: String::new(),
            previewed_at: None,
        }
    }

    #[test]
    fn a_token_batch_s_card_becomes_its_tokens_once_on_the_card_s_line() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("operations.sqlite")).unwrap();
        let batch = Batch {
            action: BatchAction::SuspendTokens,
            token_filter: Some("MER0000001".into()),
            ..ready()
        };
        let target = |id: &str, line| Target {
            kind: TargetKind::Card,
            id: id.into(),
            line,
        };
        journal
            .create_batch(&batch, &[target("crd-1", 1), target("crd-2", 2)], false)
            .unwrap();
        let tokens = ["dc-1a".to_owned(), "dc-1b".to_owned()];
        journal.expand_into_tokens("b-1", 0, &tokens).unwrap();
        // Again (a second dry run): nothing more.
        journal.expand_into_tokens("b-1", 0, &tokens).unwrap();
        let items = journal.batch_items("b-1").unwrap();
        let listed: Vec<(i64, TargetKind, &str, i64)> = items
            .iter()
            .map(|i| (i.seq, i.kind, i.target.as_str(), i.line))
            .collect();
        assert_eq!(
            listed,
            [
                (0, TargetKind::Card, "crd-1", 1),
                (1, TargetKind::Card, "crd-2", 2),
                (2, TargetKind::Token, "dc-1a", 1),
                (3, TargetKind::Token, "dc-1b", 1)
            ]
        );
        assert_eq!(items[0].skip.as_deref(), Some(TOKENS_LISTED));
        let stored = journal.batch("b-1").unwrap().unwrap();
        assert_eq!(
            (stored.action, stored.token_filter.as_deref()),
            (BatchAction::SuspendTokens, Some("MER0000001"))
        );
    }

    #[test]
    fn a_batch_that_ran_unclaimed_never_enters_the_team_store_and_one_there_never_runs_unclaimed() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("operations.sqlite")).unwrap();
        let target = Target {
            kind: TargetKind::Card,
            id: "crd-1".into(),
            line: 1,
        };
        let mut other = ready();
        other.id = "b-2".into();
        for batch in [ready(), other] {
            journal
                .create_batch(&batch, std::slice::from_ref(&target), false)
                .unwrap();
        }
        assert!(journal.set_batch_runs_unclaimed("b-1").unwrap());
        assert!(journal.set_batch_runs_unclaimed("b-1").unwrap(), "again");
        assert!(!journal.set_batch_in_team_store("b-1").unwrap());

        assert!(journal.set_batch_in_team_store("b-2").unwrap());
        assert!(!journal.set_batch_runs_unclaimed("b-2").unwrap());
        assert!(
            !journal.set_batch_runs_unclaimed("b-9").unwrap(),
            "no such batch"
        );
    }

    #[test]
    fn a_dry_run_never_read_or_older_than_five_minutes_is_stale() {
        let mut batch = ready();
        assert!(batch.dry_run_is_stale());
        batch.previewed_at = Some(now());
        assert!(!batch.dry_run_is_stale());
        let old = chrono::Utc::now() - chrono::TimeDelta::minutes(6);
        batch.previewed_at = Some(old.to_rfc3339());
        assert!(batch.dry_run_is_stale());
    }

    #[test]
    fn the_sql_and_the_code_give_an_item_the_same_status() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open(&dir.path().join("operations.sqlite")).unwrap();
        let batch = ready();
        let targets: Vec<Target> = (0..8)
            .map(|n| Target {
                kind: TargetKind::Card,
                id: format!("crd-{n}"),
                line: n + 1,
            })
            .collect();
        journal.create_batch(&batch, &targets, false).unwrap();
        journal.skip_item("b-1", 0, "nothing to do").unwrap();
        journal
            .skip_item(
                "b-1",
                7,
                &format!("{NOT_FOUND}the bank knows no card crd-7"),
            )
            .unwrap();
        let states = [
            State::Intent,
            State::Pending,
            State::Unknown,
            State::Successful,
            State::Failed,
        ];
        for (seq, state) in (2..).zip(states) {
            let entry = journal
                .record_linked_intent(
                    super::super::NewIntent {
                        kind: crate::writes::WriteKind::OptOutCard,
                        target: format!("crd-{seq}"),
                        reason: None,
                        reason_code: "ISSUER_DECISION".into(),
                        correlation_id: format!("cid-{seq}"),
                        environment: "sandbox".into(),
                        operator: "fraud1".into(),
                    },
                    Some(&super::super::BatchLink {
                        batch_id: "b-1".into(),
                        seq,
                    }),
                    false,
                )
                .unwrap();
            if state != State::Intent {
                journal.record(entry.id, state, None, None, None).unwrap();
            }
        }
        let mut from_code: Vec<ItemStatus> = journal
            .batch_items("b-1")
            .unwrap()
            .iter()
            .map(Item::status)
            .collect();
        let mut from_sql: Vec<ItemStatus> = journal
            .batch_statuses("b-1")
            .unwrap()
            .into_iter()
            .flat_map(|(status, n)| std::iter::repeat_n(status, n as usize))
            .collect();
        from_code.sort_by_key(|s| wire_name(s));
        from_sql.sort_by_key(|s| wire_name(s));
        assert_eq!(from_code, from_sql);
        assert_eq!(from_code.len(), 8, "every status once: {from_code:?}");
        let distinct: std::collections::HashSet<_> = from_code.iter().collect();
        assert_eq!(distinct.len(), 8);
    }
}
