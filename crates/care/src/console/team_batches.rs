//! Team mode's batches, the console's side: a batch is put in the team store when it first
//! runs, its runner holds it with a lease renewed by a heartbeat (which also brings the team's
//! pause, run and cancel to the run), a store out of reach makes the run wait and go on when it
//! is back, and a batch whose runner stopped is taken over: what the store knows of its items
//! is taken into this journal, UNKNOWN writes reconciled before anything else is sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use team::batches::{self, HoldMode, NewBatch, NewItem, TeamBatch};
use tokio::sync::watch;

use super::Console;
use crate::audit_log::AuditEvent;
use crate::batch::{Progress, RunControl};
use crate::environments::Session;
use crate::journal::claims::{AdoptedWrite, ClaimNote};
use crate::journal::{Batch, BatchState, NewIntent, State, TargetKind};
use crate::policy::Permission;
use crate::writes::WriteKind;
use crate::writes::claim::{TeamClaims, boot_millis, claim_error};
use crate::{Error, Result};

/// Why an item taken over is not sent: its claim was released by an administrator.
const RELEASED: &str = "its write was released by an administrator after it could not be reconciled: check D1 before sending it again";

/// The longest wait between two tries to reach the team store while a batch waits for it.
const MOST_WAIT: Duration = Duration::from_secs(10);

/// A batch's hold in the team store, renewed in the background while it runs.
pub(super) struct Holding {
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Drop for Holding {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

impl Console {
    /// How long a batch's runner holds it, from the administrators' policy.
    fn batch_lease(&self) -> Result<Duration> {
        let seconds = crate::policy::team_config(&self.policy_paths)?
            .map_or(30, |config| config.batch_lease_seconds.max(1));
        Ok(Duration::from_secs(u64::from(seconds)))
    }

    /// Puts `batch` (with its items) in the team store unless it is there; whether the store
    /// holds it. A batch that ran unclaimed (emergency mode), or sent items before the store
    /// knew of it (team mode turned on since), stays on this workstation: the store would list
    /// the items it sent as not sent, for a takeover to send again.
    pub(super) async fn publish_batch(&self, claims: &TeamClaims, batch: &Batch) -> Result<bool> {
        // A token batch stays here, each item claimed on its own: the store's batches are
        // opt-outs, and a takeover elsewhere would not know what to do to the tokens.
        if batch.action != crate::journal::BatchAction::OptOut {
            return Ok(false);
        }
        let held = batches::get(claims.client(), &batch.id)
            .await
            .map_err(|e| claim_error(&e))?
            .is_some();
        let items = self.journal.batch_items(&batch.id)?;
        if !held && items.iter().any(|item| item.intent.is_some()) {
            return Ok(false);
        }
        // Noted before it is put there: a batch that may be in the store never runs unclaimed.
        if !self.journal.set_batch_in_team_store(&batch.id)? {
            return Ok(false);
        }
        if held {
            return Ok(true);
        }
        let items: Vec<NewItem> = items
            .into_iter()
            .map(|item| NewItem {
                seq: i32::try_from(item.seq).unwrap_or(i32::MAX),
                kind: match item.kind {
                    TargetKind::Card => "CARD",
                    TargetKind::Consumer => "CONSUMER",
                    TargetKind::Token => "TOKEN",
                }
                .to_owned(),
                target: item.target,
                line: i32::try_from(item.line).unwrap_or(i32::MAX),
                skipped: item.skip.is_some(),
            })
            .collect();
        let new = NewBatch {
            id: &batch.id,
            environment: &claims.environment,
            reason_code: &batch.reason_code,
            reason: batch.reason.as_deref(),
            workstation: &self.identity.workstation,
        };
        batches::create(claims.client(), new, &items)
            .await
            .map_err(|e| claim_error(&e))?;
        Ok(true)
    }

    /// Holds `batch` (in the store: [`Console::publish_batch`]) as its runner (refused while
    /// another runs it) and keeps holding it: the returned run control follows `control` (told
    /// to the team) and the team's wishes; the claims learn until when the batch is held.
    pub(super) async fn hold_batch(
        &self,
        claims: &mut TeamClaims,
        batch: &Batch,
        control: watch::Receiver<RunControl>,
    ) -> Result<(Holding, watch::Receiver<RunControl>)> {
        let lease = self.batch_lease()?;
        let workstation = self.identity.workstation.clone();
        // The hold counts from before it was asked for: the store's lease began no earlier.
        let asked = boot_millis();
        let hold = batches::hold(
            claims.client(),
            &batch.id,
            lease,
            &workstation,
            HoldMode::Start,
        )
        .await
        .map_err(|e| claim_error(&e))?;
        if !hold.held {
            return Err(Error::BatchTaken(format!(
                "batch {} is run by {} on {} (held until {}): if that workstation stopped, take the batch over once its hold runs out",
                batch.id,
                hold.runner_operator.unwrap_or_default(),
                hold.runner_workstation.unwrap_or_default(),
                hold.lease_until.unwrap_or_default()
            )));
        }
        let held_until = Arc::new(AtomicU64::new(held_until(asked, lease)));
        claims.batch = Some(batch.id.clone());
        claims.batch_held_until = Some(held_until.clone());
        let (merged, run_control) = watch::channel(team_control(&hold.control));
        batches::set_state(claims.client(), &batch.id, "RUNNING", None, false)
            .await
            .map_err(|e| claim_error(&e))?;
        let heartbeat = tokio::spawn(heartbeat(Heartbeat {
            client: claims.connections.shared(),
            id: batch.id.clone(),
            workstation,
            lease,
            held_until,
            local: Some(control),
            merged,
        }));
        Ok((Holding { heartbeat }, run_control))
    }

    /// Tells the team store where `batch` ended and lets it go (best effort: a store out of
    /// reach sees the hold run out instead).
    pub(super) async fn release_batch(&self, claims: &TeamClaims, batch: &str, state: BatchState) {
        let word = match state {
            BatchState::Done => "DONE",
            BatchState::Cancelled => "CANCELLED",
            BatchState::Paused => "PAUSED",
            _ => "RUNNING",
        };
        if let Err(error) = batches::set_state(claims.client(), batch, word, None, true).await {
            tracing::warn!(%batch, %error, "the team store was not told where the batch ended");
        }
    }

    /// Waits until the team store can be reached again (or `control` cancels), telling
    /// `on_progress` why the batch waits. `Ok(false)` when cancelled.
    pub(super) async fn wait_for_team_store(
        &self,
        id: &str,
        session: &Session,
        why: &Error,
        control: &mut watch::Receiver<RunControl>,
        on_progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<bool> {
        let mut pause = Duration::from_secs(1);
        loop {
            let mut progress = self.batch_progress(id)?;
            progress.waiting = Some(format!(
                "waiting for the team store: {why}. The batch goes on by itself once it is back; nothing is sent meanwhile"
            ));
            progress.paused = true;
            on_progress(&progress);
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = control.changed() => {}
            }
            if *control.borrow() == RunControl::Cancel {
                return Ok(false);
            }
            if self.team_claims(session).await.is_ok() {
                return Ok(true);
            }
            pause = (pause * 2).min(MOST_WAIT);
        }
    }

    /// Asks the runner of team batch `id`, wherever it runs, to pause, run again or cancel.
    /// Role `fraud`; recorded.
    pub async fn team_batch_control(&self, id: &str, control: RunControl) -> Result<()> {
        crate::storage::files::file_stem(id)?;
        let permit = self.authorise(Permission::BatchOptOut, Some(id))?;
        let session = self.session().await?;
        let claims = self.team_journal(&session).await?;
        let word = control_word(control);
        let asked = batches::control(claims.client(), id, word)
            .await
            .map_err(Error::from)
            .and_then(|found| match found {
                true => Ok(()),
                false => Err(Error::NotFound(format!("the team store has no batch {id}"))),
            });
        let outcome = match &asked {
            Ok(()) => format!("{} asked of its runner", word.to_lowercase()),
            Err(error) => format!("{} refused: {:?}", word.to_lowercase(), error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::BatchControl, Some(id), &outcome)?;
        asked
    }

    /// For as long as the console runs: tells `on_change` the id of each team batch that
    /// changed (made, sent an item, paused, taken over, ended), as the team store notifies it,
    /// over one connection made again with backoff. Quiet without team mode.
    pub async fn watch_team_batches(&self, on_change: impl Fn(String)) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let journal = self.team_status().is_ok_and(|status| status.journal);
            if journal {
                match self.team_login_listening(Some(batches::CHANNEL)).await {
                    Ok((_client, Some(mut notes))) => {
                        backoff = Duration::from_secs(1);
                        while let Some(batch) = notes.recv().await {
                            // Only a batch id reaches the window, whatever a login notifies.
                            if crate::storage::files::file_stem(&batch).is_ok()
                                && batch.starts_with("b-")
                                && batch.len() <= 62
                            {
                                on_change(batch);
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::debug!(code = ?error.code(), %error, "the team's batches cannot be followed now");
                    }
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MOST_WAIT);
        }
    }

    /// The team's newest `limit` batches in the environment in use (team mode), with their
    /// counts and runner. Role `fraud`.
    pub async fn team_batches(&self, limit: i64) -> Result<Vec<TeamBatch>> {
        self.authorise(Permission::BatchOptOut, None)?;
        let session = self.session().await?;
        let claims = self.team_journal(&session).await?;
        Ok(batches::list(claims.client(), &claims.environment, limit).await?)
    }

    /// Takes over batch `id`, whose runner stopped (its hold ran out), and runs it from here:
    /// what the store knows of its items is taken into this journal, the writes that were on
    /// their way are reconciled from D1 before anything else is sent, and this workstation's
    /// operator is recorded for what it sends. Role `fraud`; audited.
    pub async fn batch_takeover(
        &self,
        id: &str,
        concurrency: usize,
        control: watch::Receiver<RunControl>,
        on_progress: &(dyn Fn(&Progress) + Send + Sync),
    ) -> Result<Progress> {
        crate::storage::files::file_stem(id)?;
        let permit = self.authorise(Permission::BatchOptOut, Some(id))?;
        let session = self.session().await?;
        let claims = self.team_journal(&session).await?;
        let found = batches::get(claims.client(), id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("the team store has no batch {id}")))?;
        if found.environment != claims.environment {
            return Err(Error::InvalidInput(format!(
                "batch {id} was made for another D1 environment ({}): switch to it to take it over",
                found.environment
            )));
        }
        if matches!(found.state.as_str(), "DONE" | "CANCELLED") {
            return Err(Error::InvalidInput(format!(
                "batch {id} is {}: there is nothing to take over",
                found.state.to_lowercase()
            )));
        }
        let lease = self.batch_lease()?;
        let hold = batches::hold(
            claims.client(),
            id,
            lease,
            &self.identity.workstation,
            HoldMode::TakeOver,
        )
        .await?;
        if !hold.held {
            return Err(Error::BatchTaken(format!(
                "batch {id} is still run by {} on {} (held until {}): it has not stopped, so it cannot be taken over",
                hold.runner_operator.unwrap_or_default(),
                hold.runner_workstation.unwrap_or_default(),
                hold.lease_until.unwrap_or_default()
            )));
        }
        self.recorder(&permit).record(
            AuditEvent::BatchTakeover,
            Some(id),
            &match &hold.taken_from {
                Some(from) => format!("taken over from {from}"),
                None => "no workstation was running it".to_owned(),
            },
        )?;
        // What the old runner had on its way may still leave from there until then.
        let grace = crate::policy::team_config(&self.policy_paths)?.map_or(600, |config| {
            config
                .claim_lease_seconds
                .max(config.takeover_grace_seconds)
        });
        let grace = Duration::from_secs(u64::from(grace));
        self.adopt(&claims, &session, &found, grace).await?;
        self.batch_run(id, concurrency, control, on_progress).await
    }

    /// Takes team batch `found` and what the store knows of its items into this journal, checked
    /// like an operator's input (no card number, e-mail or phone as an id or in the reason). A
    /// write that was on its way is not called "not applied" before `grace` has passed from now:
    /// its old sender, stopped mid-request (a laptop closed), may still send it until then.
    async fn adopt(
        &self,
        claims: &TeamClaims,
        session: &Session,
        found: &TeamBatch,
        grace: Duration,
    ) -> Result<()> {
        if let Some(reason) = &found.reason {
            crate::privacy::refuse_personal_data_in_reason(reason)?;
            d1::Reason::new(reason)?;
        }
        let settle_from = (chrono::Utc::now()
            + chrono::Duration::from_std(grace).unwrap_or(chrono::TimeDelta::MAX))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let items = batches::items(claims.client(), &found.id).await?;
        let batch = Batch {
            id: found.id.clone(),
            environment: session.environment.name.clone(),
            operator: found.operator.clone(),
            reason_code: found.reason_code.clone(),
            reason: found.reason.clone(),
            state: BatchState::Running,
            created_at: found.created_at.clone(),
            updated_at: crate::journal::now(),
            // Taken over: its dry run is this workstation's to read again.
            previewed_at: None,
            action: crate::journal::BatchAction::OptOut,
            token_filter: None,
        };
        let mut targets = Vec::new();
        let mut skipped = Vec::new();
        let mut writes = Vec::new();
        for item in items {
            let (kind, write) = match item.kind.as_str() {
                "CONSUMER" => (TargetKind::Consumer, WriteKind::OptOutConsumer),
                "CARD" => (TargetKind::Card, WriteKind::OptOutCard),
                // Token batches stay on the workstation that made them; the store holds none.
                other => {
                    return Err(Error::InvalidInput(format!(
                        "batch {} holds an item of kind {other}, which this console does not take over",
                        found.id
                    )));
                }
            };
            crate::privacy::refuse_personal_data_as_id(&item.target)?;
            match write {
                WriteKind::OptOutCard => d1::CardId::new(&item.target).map(|_| ())?,
                _ => d1::ConsumerId::new(&item.target).map(|_| ())?,
            }
            let seq = i64::from(item.seq);
            targets.push(crate::journal::Target {
                kind,
                id: item.target.clone(),
                line: usize::try_from(item.line).unwrap_or(0),
            });
            if item.status == "SKIPPED" {
                skipped.push((seq, crate::batch::preview::NOTHING_TO_DO.to_owned()));
            }
            let Some(claim) = item.claim else { continue };
            let state = match claim.state.as_str() {
                "SUCCESSFUL" => State::Successful,
                "FAILED" => State::Failed,
                "PENDING" => State::Pending,
                "UNKNOWN" => State::Unknown,
                // An administrator gave up reconciling it: never sent again from here blindly.
                "RELEASED" => {
                    skipped.push((seq, RELEASED.to_owned()));
                    continue;
                }
                // Never sent (it lapsed, or its answer was lost before it left): sent again.
                _ => continue,
            };
            let Some(correlation_id) = claim.correlation_id else {
                continue;
            };
            writes.push(AdoptedWrite {
                seq,
                intent: NewIntent {
                    kind: write,
                    target: item.target,
                    reason: found.reason.clone(),
                    reason_code: found.reason_code.clone(),
                    correlation_id,
                    environment: session.environment.name.clone(),
                    operator: claim.operator,
                },
                state,
                operation_id: claim.operation_id,
                claimed_at: claim.claimed_at,
                settle_from: settle_from.clone(),
                claim: ClaimNote {
                    id: claim.id,
                    told: Some(claim.state),
                },
            });
        }
        let journal = &self.journal;
        journal.adopt_batch(&batch, &targets, &skipped, &writes)
    }

    /// The team store's claims for the environment in use; an error without team mode.
    async fn team_journal(&self, session: &Session) -> Result<TeamClaims> {
        self.team_claims(session).await?.ok_or_else(|| {
            Error::InvalidInput(
                "team mode is off for the environment in use: batches are this workstation's only"
                    .into(),
            )
        })
    }
}

/// Until when (on the boot clock, in milliseconds) a hold of `lease` asked for at `asked` is
/// safe to act on: a quarter of it kept in hand.
fn held_until(asked: u64, lease: Duration) -> u64 {
    let keep = u64::try_from((lease * 3 / 4).as_millis()).unwrap_or(u64::MAX);
    asked.saturating_add(keep)
}

/// The run control for the team's word for it.
fn team_control(word: &str) -> RunControl {
    match word {
        "PAUSE" => RunControl::Pause,
        "CANCEL" => RunControl::Cancel,
        _ => RunControl::Run,
    }
}

fn control_word(control: RunControl) -> &'static str {
    match control {
        RunControl::Run => "RUN",
        RunControl::Pause => "PAUSE",
        RunControl::Cancel => "CANCEL",
    }
}

/// The operator's next control, or `None` once their controller is gone; never ends without one.
async fn local_change(local: &mut Option<watch::Receiver<RunControl>>) -> Option<RunControl> {
    match local {
        Some(receiver) => match receiver.changed().await {
            Ok(()) => Some(*receiver.borrow_and_update()),
            Err(_) => None,
        },
        None => std::future::pending().await,
    }
}

/// What the heartbeat of a held batch needs.
struct Heartbeat {
    client: Arc<tokio_postgres::Client>,
    id: String,
    workstation: String,
    lease: Duration,
    held_until: Arc<AtomicU64>,
    /// The operator's own control, while its controller is there.
    local: Option<watch::Receiver<RunControl>>,
    merged: watch::Sender<RunControl>,
}

/// Renews the hold every third of its lease and brings the team's wish to the run; tells the
/// team this runner's own pause, run or cancel. A hold lost (taken over) lets nothing more leave.
async fn heartbeat(mut beat: Heartbeat) {
    let every = beat.lease / 3;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {
                let asked = boot_millis();
                let renewed = batches::hold(&beat.client, &beat.id, beat.lease, &beat.workstation, HoldMode::Renew);
                match renewed.await {
                    Ok(hold) if hold.held => {
                        beat.held_until.store(held_until(asked, beat.lease), Ordering::SeqCst);
                        beat.merged.send_if_modified(|now| {
                            let wished = team_control(&hold.control);
                            (*now != wished).then(|| *now = wished).is_some()
                        });
                    }
                    Ok(_) => {
                        tracing::warn!(batch = %beat.id, "another workstation took the batch over");
                        beat.held_until.store(0, Ordering::SeqCst);
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(batch = %beat.id, %error, "the batch's hold could not be renewed");
                    }
                }
            }
            changed = local_change(&mut beat.local) => {
                let Some(wished) = changed else {
                    // The operator's controller is gone: the team's wishes still reach the run.
                    beat.local = None;
                    continue;
                };
                beat.merged.send_replace(wished);
                if let Err(error) = batches::control(&beat.client, &beat.id, control_word(wished)).await {
                    tracing::warn!(batch = %beat.id, %error, "the team was not told of the batch's pause, run or cancel");
                }
            }
        }
    }
}
