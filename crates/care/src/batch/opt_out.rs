//! Running a batch opt-out: bounded concurrency that slows down for everyone when D1 answers
//! 429, pause, resume and cancel, each item's intent journaled (and linked to the item) before
//! it is sent, then every accepted operation followed until it is final. A batch stopped by a
//! crash is run again with [`Console::batch_run`]: items already sent are only followed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};

use super::input::{ParsedList, TargetKind};
use super::store::{Batch, BatchState, Item, status};
use crate::console::Console;
use crate::journal::{BatchLink, WriteKind};
use crate::policy::Action;
use crate::writes::{WriteRequest, may_send_again};
use crate::{Error, Result};

/// Concurrency when none is asked for.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most concurrent writes a batch may use.
pub const MAX_CONCURRENCY: usize = 32;
/// How many times one item is sent when D1 keeps answering 429.
const MAX_ATTEMPTS: i64 = 8;
/// How often progress is reported at most.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// What the operator wants the run to do; changed while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum RunControl {
    /// Send.
    Run,
    /// Send nothing more until told to run again (writes on the way finish).
    Pause,
    /// Send nothing more; the batch ends as cancelled (writes on the way finish).
    Cancel,
}

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
    /// Items sent per second so far in this run.
    pub per_second: f64,
    /// Seconds until every item is sent, at that rate.
    pub eta_seconds: Option<f64>,
    /// The concurrency in use now (lower after 429s).
    pub concurrency: u32,
    /// Whether the run is paused.
    pub paused: bool,
}

impl Progress {
    /// Adds up `(status, how many)` pairs.
    fn counted<'a>(statuses: impl IntoIterator<Item = (&'a str, u32)>) -> Self {
        let mut progress = Progress::default();
        for (status, n) in statuses {
            progress.total += n;
            let count = match status {
                "SUCCESSFUL" => &mut progress.successful,
                "FAILED" => &mut progress.failed,
                "UNKNOWN" => &mut progress.unknown,
                "PENDING" | "SENDING" => &mut progress.pending,
                "NOTHING_TO_DO" => &mut progress.skipped,
                _ => &mut progress.not_sent,
            };
            *count += n;
        }
        progress
    }
}

/// The shared brake: a concurrency limit that halves on every 429 and grows back by one per
/// round of successes, and a time before which nobody sends.
struct Brake {
    permits: Semaphore,
    limit: AtomicUsize,
    max: usize,
    successes: AtomicUsize,
    not_before: Mutex<Instant>,
}

impl Brake {
    fn new(max: usize) -> Self {
        Self {
            permits: Semaphore::new(max),
            limit: AtomicUsize::new(max),
            max,
            successes: AtomicUsize::new(0),
            not_before: Mutex::new(Instant::now()),
        }
    }

    async fn wait_turn(&self) {
        loop {
            let until = *self.not_before.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            if until <= now {
                return;
            }
            tokio::time::sleep(until - now).await;
        }
    }

    fn slow_down(&self, retry_after: Duration) {
        {
            let mut until = self.not_before.lock().unwrap_or_else(|e| e.into_inner());
            *until = (*until).max(Instant::now() + retry_after);
        }
        let limit = self.limit.load(Ordering::SeqCst);
        let cut = limit / 2;
        if cut > 0
            && self
                .limit
                .compare_exchange(limit, limit - cut, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
        {
            self.permits.forget_permits(cut);
        }
        self.successes.store(0, Ordering::SeqCst);
    }

    fn succeeded(&self) {
        let limit = self.limit.load(Ordering::SeqCst);
        if limit < self.max && self.successes.fetch_add(1, Ordering::SeqCst) + 1 >= limit {
            self.successes.store(0, Ordering::SeqCst);
            if self
                .limit
                .compare_exchange(limit, limit + 1, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                self.permits.add_permits(1);
            }
        }
    }
}

/// Reports progress at most every [`PROGRESS_EVERY`].
struct Reporter<'a> {
    started: Instant,
    sent_at_start: usize,
    last: Mutex<Option<Instant>>,
    on_progress: &'a (dyn Fn(&Progress) + Send + Sync),
}

impl Console {
    /// Makes a batch opt-out of `list` (role `fraud`): nothing is sent. `user_decision` gives
    /// `USER_DECISION` instead of `ISSUER_DECISION`; `reason` must match D1's pattern.
    pub fn batch_create(
        &self,
        list: &ParsedList,
        user_decision: bool,
        reason: Option<&str>,
    ) -> Result<Batch> {
        let policy = self.authorise(Action::BatchOptOut, None)?;
        if list.targets.is_empty() {
            return Err(Error::InvalidInput(
                "the list holds no valid cardId or consumerId: nothing to opt out".into(),
            ));
        }
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| d1::Reason::new(r).map(|r| r.as_str().to_owned()))
            .transpose()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let now = chrono::Utc::now();
        let batch = Batch {
            id: format!("b-{}", now.format("%Y%m%dT%H%M%S%3fZ")),
            environment: self.active_name()?,
            operator: policy.operator,
            reason_code: if user_decision {
                "USER_DECISION"
            } else {
                "ISSUER_DECISION"
            }
            .into(),
            reason,
            state: BatchState::Ready,
            created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            updated_at: String::new(),
        };
        self.journal.create_batch(&batch, &list.targets)?;
        self.record_event("batch_opt_out_created", Some(&batch.id), "ok", None, None)?;
        Ok(batch)
    }

    /// Closes batch `id` without sending what it has not sent (an abandoned dry run, or a
    /// cancelled batch the operator will not resume); role `fraud`, audited. Items already sent
    /// are still followed by the tracker. The caller makes sure the batch is not running.
    pub fn batch_discard(&self, id: &str) -> Result<()> {
        self.authorise(Action::BatchOptOut, Some(id))?;
        let batch = self
            .journal
            .batch(id)?
            .ok_or_else(|| Error::NotFound(format!("no batch {id}")))?;
        if !self.journal.discard_batch(id)? {
            return Err(Error::InvalidInput(format!(
                "batch {id} is {}: there is nothing left to discard",
                format!("{:?}", batch.state).to_lowercase()
            )));
        }
        self.record_event("batch_opt_out_discarded", Some(id), "ok", None, None)
    }

    /// Sends every item of batch `id` not sent yet, `concurrency` at a time, then follows
    /// every sent item until it is final; `control` pauses or cancels it. Role `fraud`, on the
    /// batch's environment. Returns the final counts.
    pub async fn batch_run(
        &self,
        id: &str,
        concurrency: usize,
        control: watch::Receiver<RunControl>,
        on_progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<Progress> {
        self.authorise(Action::BatchOptOut, Some(id))?;
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(Error::InvalidInput(format!(
                "concurrency {concurrency}: use 1 to {MAX_CONCURRENCY}"
            )));
        }
        let batch = self
            .journal
            .batch(id)?
            .ok_or_else(|| Error::NotFound(format!("no batch {id}")))?;
        if batch.state == BatchState::Discarded {
            return Err(Error::InvalidInput(format!(
                "batch {id} was discarded: make a new one from the list to send the rest"
            )));
        }
        let active = self.active_name()?;
        if batch.environment != active {
            return Err(Error::InvalidInput(format!(
                "batch {id} was made for the environment {}, and {active} is in use: switch to {} first",
                batch.environment, batch.environment
            )));
        }
        self.journal.set_batch_state(id, BatchState::Running)?;
        self.record_event("batch_opt_out_run", Some(id), "started", None, None)?;
        let items = self.journal.batch_items(id)?;
        let reporter = Reporter {
            started: Instant::now(),
            sent_at_start: items.iter().filter(|i| i.intent.is_some()).count(),
            last: Mutex::new(None),
            on_progress,
        };
        let brake = Brake::new(concurrency);
        // Follow what is on the way (after a crash: intents that may or may not have left),
        // send what surely was not applied, and again until nothing is left to send.
        loop {
            self.follow_batch(
                &batch.id,
                &brake,
                &reporter,
                &control,
                watch::channel(false).1,
            )
            .await?;
            let sendable: Vec<Item> = self
                .journal
                .batch_items(id)?
                .into_iter()
                .filter(|i| i.skip.is_none() && i.attempts < MAX_ATTEMPTS)
                .filter(|i| i.intent.as_ref().is_none_or(may_send_again))
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
                        let (brake, reporter, batch) = (&brake, &reporter, &batch);
                        let mut control = control.clone();
                        async move {
                            if let Err(error) = self.send_item(batch, &item, brake, &mut control).await {
                                tracing::warn!(batch = %batch.id, seq = item.seq, code = ?error.code(), %error, "a batch item was not sent");
                            }
                            self.report(&batch.id, reporter, brake, &control, false);
                        }
                    })
                    .await;
                sending.send_replace(false);
            };
            let follow = self.follow_batch(&batch.id, &brake, &reporter, &control, still_sending);
            let ((), followed) = tokio::join!(send, follow);
            followed?;
        }
        let items = self.journal.batch_items(id)?;
        let state = if *control.borrow() == RunControl::Cancel {
            BatchState::Cancelled
        } else if items.iter().all(Item::is_settled) {
            BatchState::Done
        } else {
            BatchState::Running
        };
        self.journal.set_batch_state(id, state)?;
        self.record_event(
            "batch_opt_out_run",
            Some(id),
            &format!("{state:?}").to_uppercase(),
            None,
            None,
        )?;
        let progress = self.report(id, &reporter, &brake, &control, true);
        Ok(progress)
    }

    /// Sends one item, again after each 429 (up to [`MAX_ATTEMPTS`]), unless paused or cancelled.
    async fn send_item(
        &self,
        batch: &Batch,
        item: &Item,
        brake: &Brake,
        control: &mut watch::Receiver<RunControl>,
    ) -> Result<()> {
        let link = BatchLink {
            batch_id: batch.id.clone(),
            seq: item.seq,
        };
        let request = WriteRequest {
            kind: match item.kind {
                TargetKind::Card => WriteKind::OptOutCard,
                TargetKind::Consumer => WriteKind::OptOutConsumer,
            },
            target: item.target.clone(),
            reason: batch.reason.clone(),
            user_decision: batch.reason_code == "USER_DECISION",
        };
        for _ in 0..MAX_ATTEMPTS {
            let _permit = loop {
                if !wait_while_paused(control).await {
                    return Ok(());
                }
                brake.wait_turn().await;
                let permit = brake
                    .permits
                    .acquire()
                    .await
                    .map_err(|_| Error::Internal("the batch's limiter closed".into()))?;
                brake.wait_turn().await;
                // A pause or cancel that came while this item waited for its turn stops it
                // here: only writes already on the wire finish.
                if *control.borrow() == RunControl::Run {
                    break permit;
                }
            };
            let written = self.write_linked(request.clone(), Some(&link)).await?;
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

    /// Follows the batch's sent items until each is final, the operator cancels, or the settle
    /// time (plus a minute) has passed without an end; while `sending`, also the items sent in
    /// the meantime. Each item is polled as soon as its answer has come, then again after
    /// 0.1, 0.2, 0.4 … up to 2 s.
    async fn follow_batch(
        &self,
        id: &str,
        brake: &Brake,
        reporter: &Reporter<'_>,
        control: &watch::Receiver<RunControl>,
        mut sending: watch::Receiver<bool>,
    ) -> Result<()> {
        const FIRST: Duration = Duration::from_millis(100);
        const MOST: Duration = Duration::from_secs(2);
        let session = self.session().await?;
        let mut deadline = Instant::now() + self.settle + Duration::from_secs(60);
        // When each entry polled is due again, and its current backoff.
        let mut due: HashMap<i64, (Instant, Duration)> = HashMap::new();
        loop {
            let still_sending = *sending.borrow();
            if still_sending {
                deadline = Instant::now() + self.settle + Duration::from_secs(60);
            }
            // Writes still waiting for their answer are followed once it has come.
            let open: Vec<_> = self
                .journal
                .batch_unfinished(id)?
                .into_iter()
                .filter(|e| !self.in_flight.contains(e))
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
                .for_each_concurrent(limit, |entry| {
                    let session = &session;
                    async move {
                        match self.follow(session, entry).await {
                            Ok(Some(updated)) => {
                                if let Err(error) = self.record_outcome(&updated) {
                                    tracing::warn!(code = ?error.code(), %error, "could not audit a batch outcome");
                                }
                            }
                            Ok(None) => {}
                            Err(error) => tracing::debug!(entry = entry.id, code = ?error.code(), %error, "following a batch item failed; will retry"),
                        }
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
            self.report(id, reporter, brake, control, false);
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
        id: &str,
        reporter: &Reporter<'_>,
        brake: &Brake,
        control: &watch::Receiver<RunControl>,
        last: bool,
    ) -> Progress {
        {
            let mut previous = reporter.last.lock().unwrap_or_else(|e| e.into_inner());
            if !last && previous.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
                return Progress::default();
            }
            *previous = Some(Instant::now());
        }
        let mut progress = match self.batch_progress(id) {
            Ok(progress) => progress,
            Err(error) => {
                tracing::warn!(code = ?error.code(), %error, "could not count the batch");
                return Progress::default();
            }
        };
        let sent = (progress.total - progress.not_sent - progress.skipped) as usize;
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

    /// Every item of batch `id` as CSV: line, kind, id, status, D1's operationId, the
    /// correlation id and the detail (why it failed or how it was resolved).
    pub fn batch_report(&self, id: &str, out: &mut dyn std::io::Write) -> Result<usize> {
        let items = self.journal.batch_items(id)?;
        let io = |e: std::io::Error| Error::Internal(format!("cannot write the report: {e}"));
        writeln!(out, "line,kind,id,status,operationId,correlationId,detail").map_err(io)?;
        for item in &items {
            let entry = item.intent.as_ref();
            let detail = item
                .skip
                .as_deref()
                .or_else(|| entry.and_then(|e| e.detail.as_deref()))
                .unwrap_or("");
            let line = item.line.to_string();
            let row = crate::csv::row(&[
                Some(line.as_str()),
                Some(match item.kind {
                    TargetKind::Card => "card",
                    TargetKind::Consumer => "consumer",
                }),
                Some(item.target.as_str()),
                Some(status(item)),
                entry.and_then(|e| e.operation_id.as_deref()),
                entry.map(|e| e.intent.correlation_id.as_str()),
                Some(detail),
            ]);
            writeln!(out, "{row}").map_err(io)?;
        }
        self.record_event("batch_report_export", Some(id), "ok", None, None)?;
        Ok(items.len())
    }

    /// Batch `id`'s items counted by status (one aggregate query, whatever the batch's size).
    pub fn batch_progress(&self, id: &str) -> Result<Progress> {
        let statuses = self.journal.batch_statuses(id)?;
        Ok(Progress::counted(
            statuses.iter().map(|(s, n)| (s.as_str(), *n)),
        ))
    }

    /// Writes batch `id`'s report to `<data>/exports/<id>-report.csv` (whole or not at all);
    /// returns where, and how many entries.
    pub fn batch_report_file(&self, id: &str) -> Result<(std::path::PathBuf, usize)> {
        let mut csv = Vec::new();
        let count = self.batch_report(id, &mut csv)?;
        let path = self.exports_dir().join(format!("{id}-report.csv"));
        crate::exports::write_whole(&path, &csv)?;
        Ok((path, count))
    }
}

/// Waits while the run is paused; false once it is cancelled.
pub(crate) async fn wait_while_paused(control: &mut watch::Receiver<RunControl>) -> bool {
    loop {
        match *control.borrow_and_update() {
            RunControl::Run => return true,
            RunControl::Cancel => return false,
            RunControl::Pause => {}
        }
        if control.changed().await.is_err() {
            // The controller is gone: nobody can resume it, so keep going.
            return true;
        }
    }
}
