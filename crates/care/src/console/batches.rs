//! The fraud team's batch opt-outs: make one from a list, its dry run, the run (also after a
//! crash), discard, the list of batches and the report. Role `fraud` for all that acts.

use futures_util::StreamExt;
use serde::Serialize;
use tokio::sync::watch;

use super::Console;
use crate::audit_log::AuditEvent;
use crate::batch::preview::{NOTHING_TO_DO, consumer_of_card};
use crate::batch::run::Run;
use crate::batch::{MAX_CONCURRENCY, ParsedList, Preview, Progress, RunControl};
use crate::journal::batches::NOT_FOUND;
use crate::journal::{Batch, BatchAction, BatchState, Item, TargetKind};
use crate::policy::Permission;
use crate::{Error, Result, wire_name};

/// How often a batch running unclaimed in emergency mode looks whether the team store is back.
const STORE_LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// A batch and how far it is.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BatchSummary {
    /// The batch.
    pub batch: Batch,
    /// Its items by status.
    pub progress: Progress,
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
        let permit = self.authorise(Permission::BatchOptOut, None)?;
        let code = wire_name(if user_decision {
            d1::wire::ReasonCode::UserDecision
        } else {
            d1::wire::ReasonCode::IssuerDecision
        });
        self.new_batch(&permit, list, (BatchAction::OptOut, None), code, reason)
    }

    /// Makes batch of `list` doing `action` (to the tokens of `filter`'s merchant or requestor
    /// only, for a token batch) with `reason_code` and `reason`, under `permit`: nothing is sent.
    pub(super) fn new_batch(
        &self,
        permit: &crate::policy::Permit,
        list: &ParsedList,
        (action, filter): (BatchAction, Option<&str>),
        reason_code: String,
        reason: Option<&str>,
    ) -> Result<Batch> {
        if list.targets.is_empty() {
            return Err(Error::InvalidInput(
                "the list holds no valid cardId or consumerId: nothing to do".into(),
            ));
        }
        if let Some(reason) = reason {
            crate::privacy::refuse_personal_data_in_reason(reason)?;
        }
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| d1::Reason::new(r).map(|r| r.as_str().to_owned()))
            .transpose()?;
        let now = chrono::Utc::now();
        // Its time, and random bits: two workstations' batches made in the same millisecond
        // are two batches in the team store.
        let mut random = [0u8; 4];
        aws_lc_rs::rand::fill(&mut random)
            .map_err(|_| Error::Internal("no randomness for the batch's id".into()))?;
        let batch = Batch {
            id: format!(
                "b-{}-{}",
                now.format("%Y%m%dT%H%M%S%3fZ"),
                hex::encode(random)
            ),
            environment: permit.environment().to_owned(),
            operator: permit.operator().to_owned(),
            reason_code,
            reason,
            action,
            token_filter: filter.map(str::to_owned),
            state: BatchState::Ready,
            created_at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            updated_at: String::new(),
            previewed_at: None,
        };
        self.journal.create_batch(&batch, &list.targets, false)?;
        let result = match action {
            BatchAction::OptOut => "ok".to_owned(),
            other => format!(
                "ok; {}; reason code {}; only {}",
                wire_name(other),
                batch.reason_code,
                batch.token_filter.as_deref().unwrap_or("every merchant")
            ),
        };
        self.recorder(permit)
            .record(AuditEvent::BatchOptOutCreated, Some(&batch.id), &result)?;
        Ok(batch)
    }

    /// The dry run of batch `id` (role `fraud`): reads every unsent item's profiles,
    /// `concurrency` at a time, and marks those in no directory as nothing to do.
    /// `on_item` hears of each item as it is read.
    pub async fn batch_preview(
        &self,
        id: &str,
        concurrency: usize,
        on_item: &(dyn Fn(&Preview) + Send + Sync),
    ) -> Result<Vec<Preview>> {
        let permit = self.authorise(Permission::BatchOptOut, Some(id))?;
        let batch = self.existing_batch(id)?;
        self.refuse_another_environment(&batch)?;
        if batch.action != BatchAction::OptOut {
            return self.token_batch_preview(&batch, concurrency, on_item).await;
        }
        let session = self.session().await?;
        let items: Vec<Item> = self
            .journal
            .batch_items(id)?
            .into_iter()
            .filter(|i| i.intent.is_none())
            .collect();
        let mut previews: Vec<Preview> = futures_util::stream::iter(items)
            .map(|item| async move {
                let preview = Preview::of(&item, self.removals_of(&item).await);
                on_item(&preview);
                preview
            })
            .buffer_unordered(concurrency.clamp(1, MAX_CONCURRENCY))
            .collect()
            .await;
        previews.sort_by_key(|p| p.seq);
        // Read from another environment if it changed while reading (even and back: the
        // clients were built again): nothing is marked.
        self.refuse_another_environment(&batch)?;
        if !std::sync::Arc::ptr_eq(&session, &self.session().await?) {
            return Err(Error::InvalidInput(format!(
                "the environment in use changed while batch {id}'s dry run was read: read it again"
            )));
        }
        self.journal.set_previewed(id)?;
        for preview in &previews {
            if preview.nothing_to_do {
                self.journal.skip_item(id, preview.seq, NOTHING_TO_DO)?;
            } else if preview.not_found {
                let why = preview.error.as_deref().unwrap_or_default();
                self.journal
                    .skip_item(id, preview.seq, &format!("{NOT_FOUND}{why}"))?;
            }
        }
        self.recorder(&permit)
            .record(AuditEvent::BatchOptOutDryRun, Some(id), "ok")?;
        Ok(previews)
    }

    /// What opting out `item` would remove, read now as an agent would (a search for a card's
    /// consumer, then the consumer's view, each role checked and audited), and a card's name
    /// (network and last 4); [`Error::NotFound`] when the bank's records do not know it as what
    /// the list says it is (a consumerId that the bank's search finds, read as a cardId, names
    /// no card of it).
    async fn removals_of(
        &self,
        item: &Item,
    ) -> Result<(Vec<crate::writes::Removal>, Option<String>)> {
        let (consumer, card) = match item.kind {
            TargetKind::Consumer => (item.target.clone(), None),
            // A token batch's dry run lists tokens instead (see `token_batch_preview`).
            TargetKind::Token => return Ok((Vec::new(), None)),
            TargetKind::Card => (
                consumer_of_card(&item.target, self.search(&item.target, 1).await?)?,
                Some(item.target.as_str()),
            ),
        };
        let view = self.consumer_view(&consumer).await?;
        let known = match (card, view.bank_record()) {
            (Some(card), Some(record)) => record.cards.iter().any(|c| c.card_id == card),
            (_, record) => {
                record.is_some() || !matches!(view.bank, crate::profile::BankSide::Unknown)
            }
        };
        if !known {
            return Err(Error::NotFound(match card {
                Some(card) => {
                    format!("the bank's records know no card {card}: is it a consumer id?")
                }
                None => format!(
                    "the bank's records know no consumer {}: is it a card id?",
                    item.target
                ),
            }));
        }
        let name = card.and_then(|card| {
            let record = view.bank_record()?;
            let card = record.cards.iter().find(|c| c.card_id == card)?;
            Some(format!("{} •••• {}", card.scheme, card.last4))
        });
        Ok((crate::writes::removals(&view, card), name))
    }

    /// Sends every item of batch `id` not sent yet, `concurrency` at a time, then follows
    /// every sent item until it is final; `control` pauses or cancels it. Role `fraud`, on the
    /// batch's environment. Run again after a crash, it sends only what surely was not sent.
    /// Returns the final counts.
    pub async fn batch_run(
        &self,
        id: &str,
        concurrency: usize,
        control: watch::Receiver<RunControl>,
        on_progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<Progress> {
        let permit = self.authorise(Permission::BatchOptOut, Some(id))?;
        crate::batch::control::check_concurrency(concurrency)?;
        let batch = self.existing_batch(id)?;
        if batch.state == BatchState::Discarded {
            return Err(Error::InvalidInput(format!(
                "batch {id} was discarded: make a new one from the list to send the rest"
            )));
        }
        self.refuse_another_environment(&batch)?;
        if batch.action != BatchAction::OptOut {
            self.authorise(Permission::TokenFraud, Some(id))?;
            let unlisted = self
                .journal
                .batch_items(id)?
                .iter()
                .filter(|i| i.kind == TargetKind::Card && i.skip.is_none() && i.intent.is_none())
                .count();
            if batch.previewed_at.is_none() || unlisted > 0 {
                return Err(Error::InvalidInput(format!(
                    "batch {id}'s dry run has not listed the tokens of {unlisted} of its cards (never read, or they could not be read): read its dry run again"
                )));
            }
        }
        let audit = self.recorder(&permit);
        self.journal.set_batch_state(id, BatchState::Running)?;
        audit.record(AuditEvent::BatchOptOutRun, Some(id), "started")?;
        let session = self.session().await?;
        if session.environment.name != batch.environment {
            return Err(Error::InvalidInput(format!(
                "batch {id} was made for the environment {}, and the environment in use changed: switch to {} first",
                batch.environment, batch.environment
            )));
        }
        let mut control = control;
        loop {
            // Team mode: every item claimed in the team store and the batch held there; while
            // the store cannot be reached the batch waits, and goes on once it is back (run
            // again like after a crash: what was sent is followed, never sent twice).
            // In a fraud analyst's emergency mode a batch made here and never put in the store
            // (no other workstation can take it over) goes on unclaimed, each write flagged,
            // until the store is back; then it goes on here, each item claimed on its own.
            let (claims, emergency) = match self.team_claims(&session).await {
                // Without team mode a batch the store holds would run unclaimed while the store
                // lists its items as not sent, for another workstation to take over and send.
                Ok(None) if self.journal.batch_in_team_store(id)? => {
                    return Err(Error::InvalidInput(format!(
                        "batch {id} is held in the team store, so it runs only in team mode: turn team mode back on, or make a new batch from the rest of the list"
                    )));
                }
                Ok(claims) => (Ok(claims), None),
                Err(error @ Error::ClaimUnavailable(_)) => match self.emergency_for(&permit)? {
                    Some(emergency) if self.journal.set_batch_runs_unclaimed(id)? => {
                        (Ok(None), Some(emergency))
                    }
                    Some(_) => (
                        Err(Error::ClaimUnavailable(format!(
                            "emergency mode does not cover batch {id}: the team store holds it, and another workstation could take it over and send what this one sent unclaimed. {error}"
                        ))),
                        None,
                    ),
                    None => (Err(error), None),
                },
                Err(error) => (Err(error), None),
            };
            let run = match claims {
                Ok(claims) => {
                    self.run_held(
                        &batch,
                        &session,
                        &permit,
                        (claims, emergency.as_ref()),
                        concurrency,
                        control.clone(),
                        on_progress,
                    )
                    .await
                }
                Err(error) => Err(error),
            };
            match run {
                // An unclaimed run stops when the store is back: go on claimed at once.
                Err(Error::ClaimUnavailable(_))
                    if emergency.is_some() && self.team_claims(&session).await.is_ok() => {}
                Err(error @ Error::ClaimUnavailable(_)) => {
                    let back = self
                        .wait_for_team_store(id, &session, &error, &mut control, on_progress)
                        .await?;
                    if !back {
                        self.journal.set_batch_state(id, BatchState::Cancelled)?;
                        audit.record(
                            AuditEvent::BatchOptOutRun,
                            Some(id),
                            &wire_name(BatchState::Cancelled),
                        )?;
                        return self.batch_progress(id);
                    }
                }
                other => return other,
            }
        }
    }

    /// One run of `batch` (see [`Console::batch_run`]); in team mode (`claims`), held in the
    /// team store for its length (or, for a batch that ran unclaimed, each item claimed on its
    /// own), or, in emergency mode, unclaimed until the store is back.
    #[allow(clippy::too_many_arguments)]
    async fn run_held(
        &self,
        batch: &Batch,
        session: &crate::environments::Session,
        permit: &crate::policy::Permit,
        (claims, emergency): (
            Option<crate::writes::claim::TeamClaims>,
            Option<&crate::journal::Emergency>,
        ),
        concurrency: usize,
        control: watch::Receiver<RunControl>,
        on_progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<Progress> {
        let (claims, holding, control) = match claims {
            Some(mut claims) => {
                // Held in the store, or, for a batch that stays here, each item claimed on its own.
                let (holding, merged) = match self.publish_batch(&claims, batch).await? {
                    false => (None, control),
                    true => {
                        let (holding, merged) =
                            self.hold_batch(&mut claims, batch, control).await?;
                        (Some(holding), merged)
                    }
                };
                // What the store missed while it was out of reach, and the writes sent
                // unclaimed meanwhile, before anything new.
                let unreachable = |e| match e {
                    Error::TeamStore(why) => crate::writes::claim::unreachable(&why),
                    other => other,
                };
                claims
                    .tell_untold(&self.in_flight)
                    .await
                    .map_err(unreachable)?;
                claims
                    .claim_emergency_writes(&session.environment.name, &self.recorder(permit))
                    .await
                    .map_err(unreachable)?;
                (Some(claims), holding, merged)
            }
            None => (None, None, control),
        };
        let store_back = std::sync::atomic::AtomicBool::new(false);
        let run = Run {
            batch,
            journal: &self.journal,
            tracker: self.tracker(session, self.recorder(permit), claims.as_ref()),
            audit_log: &self.audit,
            workstation: &self.identity.workstation,
            gate: self,
            emergency,
            store_back: &store_back,
        };
        let running = run.run(concurrency, &control, on_progress);
        let progress = match emergency {
            None => running.await,
            Some(_) => {
                // Unclaimed only while the store cannot be reached: looked at every few seconds.
                let look = async {
                    loop {
                        tokio::time::sleep(STORE_LOOK_EVERY).await;
                        if self.team_claims(session).await.is_ok() {
                            store_back.store(true, std::sync::atomic::Ordering::SeqCst);
                            return;
                        }
                    }
                };
                tokio::pin!(running);
                tokio::select! {
                    progress = &mut running => progress,
                    () = look => running.await,
                }
            }
        };
        // Every item's outcome in the store before the batch is let go.
        self.team_outcomes_told().await;
        let progress = progress?;
        drop(holding);
        let items = self.journal.batch_items(&batch.id)?;
        let state = if *control.borrow() == RunControl::Cancel {
            BatchState::Cancelled
        } else if items.iter().all(Item::is_settled) {
            BatchState::Done
        } else {
            BatchState::Running
        };
        self.journal.set_batch_state(&batch.id, state)?;
        if let Some(claims) = &claims {
            self.release_batch(claims, &batch.id, state).await;
        }
        self.recorder(permit).record(
            AuditEvent::BatchOptOutRun,
            Some(&batch.id),
            &wire_name(state),
        )?;
        Ok(progress)
    }

    /// Closes batch `id` without sending what it has not sent (an abandoned dry run, or a
    /// cancelled batch the operator will not resume); role `fraud`, audited. Items already sent
    /// are still followed by the tracker. The caller makes sure the batch is not running.
    pub fn batch_discard(&self, id: &str) -> Result<()> {
        let permit = self.authorise(Permission::BatchOptOut, Some(id))?;
        let batch = self.existing_batch(id)?;
        if !self.journal.discard_batch(id)? {
            return Err(Error::InvalidInput(format!(
                "batch {id} is {}: there is nothing left to discard",
                wire_name(batch.state).to_lowercase()
            )));
        }
        self.recorder(&permit)
            .record(AuditEvent::BatchOptOutDiscarded, Some(id), "ok")
    }

    /// This workstation's newest `limit` batches, each with its counts.
    pub fn batches(&self, limit: i64) -> Result<Vec<BatchSummary>> {
        self.journal
            .batches(limit)?
            .into_iter()
            .map(|batch| {
                Ok(BatchSummary {
                    progress: self.batch_progress(&batch.id)?,
                    batch,
                })
            })
            .collect()
    }

    /// The newest batch that can still be run (not done, not discarded): what "resume" picks
    /// when no batch is named.
    pub fn resumable_batch(&self) -> Result<Option<Batch>> {
        Ok(self
            .journal
            .batches(100)?
            .into_iter()
            .find(|b| !matches!(b.state, BatchState::Done | BatchState::Discarded)))
    }

    /// One batch.
    pub fn batch(&self, id: &str) -> Result<Option<Batch>> {
        self.journal.batch(id)
    }

    /// Every item of batch `id`, in order, with its latest intent.
    pub fn batch_items(&self, id: &str) -> Result<Vec<Item>> {
        self.journal.batch_items(id)
    }

    /// Batch `id`'s items counted by status (one aggregate query, whatever the batch's size).
    pub fn batch_progress(&self, id: &str) -> Result<Progress> {
        Ok(Progress::counted(self.journal.batch_statuses(id)?))
    }

    /// Writes batch `id`'s report (every item as CSV, see [`crate::batch::report`]) to `path`,
    /// whole or not at all; role `fraud`, audited. Returns how many entries.
    pub fn batch_report(&self, id: &str, path: &std::path::Path) -> Result<usize> {
        let permit = self.authorise(Permission::BatchOptOut, Some(id))?;
        let items = self.journal.batch_items(&self.existing_batch(id)?.id)?;
        let written = crate::storage::files::write_whole_with(path, |out| {
            crate::batch::report::csv(&items, out)
        });
        let outcome = match &written {
            Ok(count) => format!("{count} entries"),
            Err(error) => format!("{:?}", error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::BatchReportExport, Some(id), &outcome)?;
        written
    }

    /// Reads a list file the operator chose, for a batch opt-out (`BatchOptOut`) or a profile
    /// audit (`AuditProfiles`): only with that role, UTF-8, at most 8 MiB.
    pub fn read_list_file(&self, path: &std::path::Path, purpose: Permission) -> Result<String> {
        if !matches!(purpose, Permission::BatchOptOut | Permission::AuditProfiles) {
            return Err(Error::InvalidInput(
                "a list is read for a batch opt-out or a profile audit only".into(),
            ));
        }
        self.authorise(purpose, None)?;
        crate::batch::input::read_list(path)
    }

    /// Writes batch `id`'s report to `<data>/exports/<id>-report.csv`; returns where, and how
    /// many entries.
    pub fn batch_report_file(&self, id: &str) -> Result<(std::path::PathBuf, usize)> {
        let batch = self.existing_batch(id)?;
        let stem = crate::storage::files::file_stem(&batch.id)?;
        let path = self.dirs.exports().join(format!("{stem}-report.csv"));
        let count = self.batch_report(&batch.id, &path)?;
        Ok((path, count))
    }

    /// Refuses to read or send `batch` while another environment than its own is in use.
    fn refuse_another_environment(&self, batch: &Batch) -> Result<()> {
        let active = self.active_name()?;
        if batch.environment == active {
            return Ok(());
        }
        Err(Error::InvalidInput(format!(
            "batch {} was made for the environment {}, and {active} is in use: switch to {} first",
            batch.id, batch.environment, batch.environment
        )))
    }

    fn existing_batch(&self, id: &str) -> Result<Batch> {
        crate::storage::files::file_stem(id)?;
        self.journal
            .batch(id)?
            .ok_or_else(|| Error::NotFound(format!("no batch {id}")))
    }
}
