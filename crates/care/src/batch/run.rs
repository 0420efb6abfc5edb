//! Running a batch opt-out: bounded concurrency that slows down for everyone when D1 answers
//! 429 ([`super::brake`]), pause, resume and cancel ([`super::control`]), each item's intent
//! journaled (and linked to the item) before it is sent, then every accepted operation followed
//! until it is final. A batch stopped by a crash is run again the same way: items already sent
//! are only followed, never sent twice.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::watch;

use super::brake::Brake;
use super::control::{MAX_CONCURRENCY, RunControl, wait_while_paused};
use crate::audit_log::{AuditLog, Recorder};
use crate::journal::{Batch, BatchLink, Item, ItemStatus, Journal, TargetKind};
use crate::policy::{Gate, Permission};
use crate::tokens::TokenReason;
use crate::tokens::rules::Check;
use crate::writes::send::{Step, Writer, may_send_again};
use crate::writes::tracker::Tracker;
use crate::writes::{WriteKind, WriteRequest};
use crate::{Error, Result};

/// How many times one item is sent when D1 keeps answering 429.
const MAX_ATTEMPTS: i64 = 8;
/// How often progress is reported at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// How far a batch is, by item status.
#[derive(Debug, Clone, Default, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Items in the batch.
    pub total: u32,
    /// Applied by D1.
    pub successful: u32,
    /// Refused by D1, or not applied.
    pub failed: u32,
    /// Sent with no answer yet resolved.
    pub unknown: u32,
    /// Accepted by D1, or being sent.
    pub pending: u32,
    /// Not sent (yet).
    pub not_sent: u32,
    /// Marked "nothing to do" by the dry run.
    pub skipped: u32,
    /// Marked "not found" by the dry run: the bank does not know it as that kind of id.
    pub not_found: u32,
    /// Items sent per second so far in this run.
    pub per_second: f64,
    /// Seconds until every item is sent, at that rate.
    pub eta_seconds: Option<f64>,
    /// The concurrency in use now (lower after 429s).
    pub concurrency: u32,
    /// Whether the run is paused.
    pub paused: bool,
    /// Why the run waits on its own (team mode: the team store out of reach), in words.
    pub waiting: Option<String>,
}

impl Progress {
    /// Adds up `(status, how many)` pairs.
    pub(crate) fn counted(statuses: impl IntoIterator<Item = (ItemStatus, u32)>) -> Self {
        let mut progress = Progress::default();
        for (status, n) in statuses {
            progress.total += n;
            let count = match status {
                ItemStatus::Successful => &mut progress.successful,
                ItemStatus::Failed => &mut progress.failed,
                ItemStatus::Unknown => &mut progress.unknown,
                ItemStatus::Pending | ItemStatus::Sending => &mut progress.pending,
                ItemStatus::NothingToDo => &mut progress.skipped,
                ItemStatus::NotFound => &mut progress.not_found,
                ItemStatus::NotSent => &mut progress.not_sent,
            };
            *count += n;
        }
        progress
    }
}

/// Reports progress at most every [`PROGRESS_EVERY`], and never spends more than a twentieth
/// of the run counting (a long batch's count takes longer).
struct Reporter<'a> {
    started: Instant,
    sent_at_start: usize,
    /// When progress was last counted, and how long until it may be again.
    last: Mutex<Option<(Instant, Duration)>>,
    on_progress: &'a (dyn Fn(&Progress) + Send + Sync),
}

/// What a batch run needs: the batch, the journal, the tracker that follows its items (with the
/// environment's clients and the in-flight registry), the audit trail, and the gate that gives a
/// permit for each write.
pub(crate) struct Run<'a> {
    pub(crate) batch: &'a Batch,
    pub(crate) journal: &'a Journal,
    pub(crate) tracker: Tracker<'a>,
    pub(crate) audit_log: &'a AuditLog,
    pub(crate) workstation: &'a str,
    pub(crate) gate: &'a dyn Gate,
    /// Team mode with the store out of reach: the emergency mode its writes go out in.
    pub(crate) emergency: Option<&'a crate::journal::Emergency>,
    /// Set once the team store can be reached again: an unclaimed run sends nothing more.
    pub(crate) store_back: &'a std::sync::atomic::AtomicBool,
}

impl Run<'_> {
    /// Sends every item not sent yet, `concurrency` at a time, then follows every sent item until
    /// it is final; `control` pauses or cancels it. Returns the items as they are then.
    pub(crate) async fn run(
        &self,
        concurrency: usize,
        control: &watch::Receiver<RunControl>,
        on_progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<Progress> {
        let control = control.clone();
        let items = self.journal.batch_items(&self.batch.id)?;
        let reporter = Reporter {
            started: Instant::now(),
            sent_at_start: items.iter().filter(|i| i.intent.is_some()).count(),
            last: Mutex::new(None),
            on_progress,
        };
        let brake = Brake::new(concurrency);
        // Follow what is on the way (after a crash: intents that may or may not have left),
        // send what surely was not applied, and again until nothing is left to send. An item this
        // run could not send (another process holds the same write, say) is not tried again in
        // this run, so that it ends instead of spinning; a refusal by the role, writes held until
        // the audit trail reaches the team store, or a team store out of reach, stops the run. The
        // batch stays resumable either way.
        let passed_over: Mutex<std::collections::HashSet<i64>> = Mutex::default();
        let stopped: Mutex<Option<Error>> = Mutex::default();
        loop {
            self.follow_batch(&brake, &reporter, &control, watch::channel(false).1)
                .await?;
            let sendable: Vec<Item> = self
                .journal
                .batch_items(&self.batch.id)?
                .into_iter()
                .filter(|i| i.skip.is_none() && i.attempts < MAX_ATTEMPTS)
                .filter(|i| i.intent.as_ref().is_none_or(may_send_again))
                .filter(|i| !lock(&passed_over).contains(&i.seq))
                .collect();
            if sendable.is_empty() || *control.borrow() == RunControl::Cancel {
                break;
            }
            // Items sent are followed while the rest are sent, so that the run does not end
            // with a long tail of items to follow.
            let (sending, still_sending) = watch::channel(true);
            let send = async {
                futures_util::stream::iter(sendable)
                    .for_each_concurrent(MAX_CONCURRENCY, |item| {
                        let (brake, reporter, passed_over, stopped) =
                            (&brake, &reporter, &passed_over, &stopped);
                        let mut control = control.clone();
                        async move {
                            if lock(stopped).is_some() {
                                return;
                            }
                            if let Err(error) = self.send_item(&item, brake, &mut control).await {
                                tracing::warn!(batch = %self.batch.id, seq = item.seq, code = ?error.code(), %error, "a batch item was not sent");
                                lock(passed_over).insert(item.seq);
                                if matches!(
                                    error.code(),
                                    crate::ErrorCode::Forbidden
                                        | crate::ErrorCode::TrailUndelivered
                                        | crate::ErrorCode::ClaimUnavailable
                                        | crate::ErrorCode::BatchTaken
                                ) {
                                    lock(stopped).get_or_insert(error);
                                }
                            }
                            self.report(reporter, brake, &control, false);
                        }
                    })
                    .await;
                sending.send_replace(false);
            };
            let follow = self.follow_batch(&brake, &reporter, &control, still_sending);
            let ((), followed) = tokio::join!(send, follow);
            followed?;
            if let Some(error) = lock(&stopped).take() {
                return Err(error);
            }
        }
        Ok(self.report(&reporter, &brake, &control, true))
    }

    /// Sends one item, again after each 429 (up to [`MAX_ATTEMPTS`]), unless paused or cancelled.
    async fn send_item(
        &self,
        item: &Item,
        brake: &Brake,
        control: &mut watch::Receiver<RunControl>,
    ) -> Result<()> {
        let batch = self.batch;
        let link = BatchLink {
            batch_id: batch.id.clone(),
            seq: item.seq,
        };
        let request = match (item.kind, batch.action.token_write()) {
            (TargetKind::Token, Some(kind)) => WriteRequest {
                kind,
                target: item.target.clone(),
                reason: batch.reason.clone(),
                user_decision: false,
                token_reason: Some(TokenReason::parse(&batch.reason_code).ok_or_else(|| {
                    Error::Internal(format!(
                        "batch {} holds no token reason code ({})",
                        batch.id, batch.reason_code
                    ))
                })?),
            },
            (TargetKind::Card, None) | (TargetKind::Consumer, None) => WriteRequest {
                kind: match item.kind {
                    TargetKind::Card => WriteKind::OptOutCard,
                    _ => WriteKind::OptOutConsumer,
                },
                target: item.target.clone(),
                reason: batch.reason.clone(),
                user_decision: batch.reason_code == "USER_DECISION",
                token_reason: None,
            },
            // A token batch's card not listed into its tokens by the dry run, or a token in an
            // opt-out: nothing this batch sends.
            _ => {
                return Err(Error::InvalidInput(format!(
                    "item {} of batch {} is not what this batch acts on: read its dry run again",
                    item.seq, batch.id
                )));
            }
        };
        // A token as it is now: one whose state changed since the dry run (deleted, suspended
        // by the bank already) is skipped, saying why; the fraud team's permission is asked for
        // each, since the policy may change mid-batch.
        if item.kind == TargetKind::Token {
            match crate::tokens::rules::check(self.tracker.session, &request).await? {
                Check::Refused(why) => {
                    return self
                        .journal
                        .skip_item(&batch.id, item.seq, &format!("skipped: {why}"));
                }
                Check::Go { .. } => {
                    self.gate
                        .permit(Permission::TokenFraud, Some(&request.target))?;
                }
            }
        }
        let closed =
            |_: tokio::sync::AcquireError| Error::Internal("the batch's limiter closed".into());
        for _ in 0..MAX_ATTEMPTS {
            if !wait_while_paused(control).await {
                return Ok(());
            }
            // Made ready (the bank's lookup, the intent, the claim) while earlier items are on
            // the wire, at most as many ahead as may be sent at once.
            let ahead = brake.ahead.acquire().await.map_err(closed)?;
            if self.unclaimed_no_more() {
                return Err(back());
            }
            // The policy is read afresh for every write: a role taken away mid-batch (the batch
            // permission, or the write's own) stops it, and so does a change of environment (the
            // permit is for the environment in use, the writer checks it is the batch's).
            self.gate.permit(Permission::BatchOptOut, Some(&batch.id))?;
            let permit = self
                .gate
                .permit(request.kind.permission(), Some(&request.target))?;
            let writer = Writer {
                journal: self.journal,
                session: self.tracker.session,
                in_flight: self.tracker.in_flight,
                audit: Recorder::new(
                    self.audit_log,
                    permit.operator(),
                    Some(permit.role()),
                    self.workstation,
                ),
                claims: self.tracker.claims,
                emergency: self.emergency,
            };
            let written = match writer.ready(&permit, request.clone(), Some(&link)).await? {
                Step::Done(written) => *written,
                Step::Ready(ready) => {
                    brake.wait_turn(control).await;
                    let turn = brake.permits.acquire().await.map_err(closed)?;
                    drop(ahead);
                    brake.wait_turn(control).await;
                    // A pause or cancel that came while this item waited for its turn stops it
                    // here (its claim freed): only writes already on the wire finish.
                    if *control.borrow() != RunControl::Run {
                        drop(turn);
                        writer
                            .withdraw(*ready, "its batch was paused or cancelled before it left")
                            .await?;
                        continue;
                    }
                    // Made ready unclaimed, but the store is back: claimed when run again.
                    if self.unclaimed_no_more() {
                        drop(turn);
                        writer
                            .withdraw(*ready, "the team store was back before it left")
                            .await?;
                        return Err(back());
                    }
                    let written = writer.send_ready(*ready).await?;
                    drop(turn);
                    written
                }
            };
            match written.retry_after {
                Some(wait) => brake.slow_down(wait),
                None => {
                    brake.succeeded();
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    /// Whether this run sends unclaimed (emergency mode) and the team store is back: it sends
    /// nothing more.
    fn unclaimed_no_more(&self) -> bool {
        self.emergency.is_some() && self.store_back.load(Ordering::SeqCst)
    }

    /// Follows the batch's sent items until each is final, the operator cancels, or the settle
    /// time (plus a minute) has passed without an end; while `sending`, also the items sent in
    /// the meantime. Each item is polled as soon as its answer has come, then again after
    /// 0.1, 0.2, 0.4 … up to 2 s.
    async fn follow_batch(
        &self,
        brake: &Brake,
        reporter: &Reporter<'_>,
        control: &watch::Receiver<RunControl>,
        mut sending: watch::Receiver<bool>,
    ) -> Result<()> {
        const FIRST: Duration = Duration::from_millis(100);
        const MOST: Duration = Duration::from_secs(2);
        let id = self.batch.id.as_str();
        let settle = self.tracker.settle;
        let mut deadline = Instant::now() + settle + Duration::from_secs(60);
        // When each entry polled is due again, and its current backoff.
        let mut due: HashMap<i64, (Instant, Duration)> = HashMap::new();
        loop {
            let still_sending = *sending.borrow();
            if still_sending {
                deadline = Instant::now() + settle + Duration::from_secs(60);
            }
            // Writes still waiting for their answer are followed once it has come.
            let open: Vec<_> = crate::in_place(|| self.journal.batch_unfinished(id))?
                .into_iter()
                .filter(|e| !self.tracker.in_flight.contains(e))
                .collect();
            if (open.is_empty() && !still_sending)
                || Instant::now() >= deadline
                || *control.borrow() == RunControl::Cancel
            {
                return Ok(());
            }
            let now = Instant::now();
            let (ready, waiting): (Vec<_>, Vec<_>) = open
                .into_iter()
                .partition(|e| due.get(&e.id).is_none_or(|(at, _)| *at <= now));
            let limit = brake.limit.load(Ordering::SeqCst).max(1);
            futures_util::stream::iter(&ready)
                .for_each_concurrent(limit, |entry| async move {
                    if let Err(error) = self.tracker.step(entry).await {
                        tracing::debug!(entry = entry.id, code = ?error.code(), %error, "following a batch item failed; will retry");
                    }
                })
                .await;
            let polled = Instant::now();
            for entry in &ready {
                let backoff = due
                    .get(&entry.id)
                    .map_or(FIRST, |(_, b)| (*b * 2).min(MOST));
                due.insert(entry.id, (polled + backoff, backoff));
            }
            self.report(reporter, brake, control, false);
            let next = ready
                .iter()
                .chain(&waiting)
                .filter_map(|e| due.get(&e.id).map(|(at, _)| *at))
                .min()
                .map_or(FIRST, |at| at.saturating_duration_since(Instant::now()))
                .clamp(Duration::from_millis(20), MOST);
            // While sending, also a round at once when the last item has been sent.
            tokio::select! {
                () = tokio::time::sleep(next) => {}
                _ = sending.wait_for(|sending| !*sending), if still_sending => {}
            }
        }
    }

    /// Counts the batch and tells `reporter`'s listener, unless it heard less than
    /// [`PROGRESS_EVERY`] ago (`last` always tells).
    fn report(
        &self,
        reporter: &Reporter<'_>,
        brake: &Brake,
        control: &watch::Receiver<RunControl>,
        last: bool,
    ) -> Progress {
        {
            let previous = lock(&reporter.last);
            if !last && previous.is_some_and(|(at, every)| at.elapsed() < every) {
                return Progress::default();
            }
        }
        let counting = Instant::now();
        let counted = crate::in_place(|| self.journal.batch_statuses(&self.batch.id));
        *lock(&reporter.last) = Some((Instant::now(), PROGRESS_EVERY.max(counting.elapsed() * 20)));
        let mut progress = match counted.map(Progress::counted) {
            Ok(progress) => progress,
            Err(error) => {
                tracing::warn!(code = ?error.code(), %error, "could not count the batch");
                return Progress::default();
            }
        };
        let sent =
            (progress.total - progress.not_sent - progress.skipped - progress.not_found) as usize;
        let elapsed = reporter.started.elapsed().as_secs_f64();
        let sent_now = sent.saturating_sub(reporter.sent_at_start);
        if elapsed > 0.0 && sent_now > 0 {
            progress.per_second = sent_now as f64 / elapsed;
            progress.eta_seconds = Some(progress.not_sent as f64 / progress.per_second);
        }
        progress.concurrency = brake.limit.load(Ordering::SeqCst) as u32;
        progress.paused = *control.borrow() == RunControl::Pause;
        (reporter.on_progress)(&progress);
        progress
    }
}

/// What stops an unclaimed run once the team store is back (the batch then runs claimed).
fn back() -> Error {
    Error::ClaimUnavailable(
        "the team store is back: the batch goes on with each item claimed".into(),
    )
}

/// The value behind `mutex`, even after a panic elsewhere while it was held.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
