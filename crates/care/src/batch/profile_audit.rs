//! The auditors' batch profile audit: for a list of consumers, or every consumer a search
//! matches, each consumer's view and findings, read with bounded concurrency. Read-only: it
//! writes nothing to D1, and every view is in the audit log like one opened on screen.

use std::collections::BTreeMap;
use std::time::Instant;

use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::batch::input::{InvalidLine, InvalidReason, TargetKind, parse};
use crate::batch::opt_out::{MAX_CONCURRENCY, RunControl, wait_while_paused};
use crate::console::Console;
use crate::findings::{Finding, FindingKind};
use crate::issuer_records::MAX_RESULTS;
use crate::policy::Action;
use crate::view::{BankSide, ConsumerView, DirectoryState};
use crate::{Error, Result};

/// How many consumers are read at a time unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most consumers one audit reads.
pub const MAX_CONSUMERS: usize = 100_000;

/// Which consumers to audit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind", content = "text")]
pub enum Scope {
    /// A list of consumerIds, one per line (or a CSV with a `consumerId` column).
    List(String),
    /// Every consumer the bank's search finds for this text.
    Matching(String),
}

/// One consumer's result.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuditedConsumer {
    /// The consumer.
    pub consumer_id: String,
    /// What is wrong, most serious first.
    pub findings: Vec<Finding>,
    /// What could not be read (`bank`, a directory, or the whole view), with why: the
    /// findings then do not cover it.
    pub unread: Vec<Unread>,
}

/// A side of a consumer that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Unread {
    /// `BANK`, a directory (`VISA`, …), or `ALL` when the view failed as a whole.
    pub side: String,
    /// Why, in English.
    pub why: String,
}

/// What a profile audit was asked to read, as its report states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum AuditedScope {
    /// The consumers of a list.
    Listed {
        /// How many consumers the list held.
        count: u32,
    },
    /// The consumers the bank's search found.
    Matching {
        /// The search text, a card number, e-mail or phone in it masked.
        text: String,
    },
}

/// A finished (or cancelled) audit.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProfileAudit {
    /// `pa-<UTC time>`, also in the audit log and the report's file names.
    pub id: String,
    /// The environment read.
    pub environment: String,
    /// Who ran it.
    pub operator: String,
    /// What was asked for.
    pub scope: AuditedScope,
    /// When it started and ended (UTC, RFC 3339).
    pub started_at: String,
    /// When it ended.
    pub finished_at: String,
    /// Whether it was cancelled before every consumer was read.
    pub cancelled: bool,
    /// Lines of the list that are not consumerIds.
    pub invalid: Vec<InvalidLine>,
    /// Each consumer read, in the list's order.
    pub consumers: Vec<AuditedConsumer>,
}

impl ProfileAudit {
    /// How many findings of each kind, and in which directory (`None`: not one directory).
    pub fn counts(&self) -> BTreeMap<(String, Option<String>), usize> {
        let mut counts = BTreeMap::new();
        for finding in self.consumers.iter().flat_map(|c| &c.findings) {
            *counts
                .entry((kind_name(finding.kind), finding.scheme.clone()))
                .or_default() += 1;
        }
        counts
    }

    /// How many findings in all.
    pub fn findings(&self) -> usize {
        self.consumers.iter().map(|c| c.findings.len()).sum()
    }
}

/// A finding kind as written in reports: `CARD_CLOSED_BUT_ENROLLED`, ….
pub fn kind_name(kind: FindingKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// How far an audit is.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuditProgress {
    /// Consumers to read.
    pub total: u32,
    /// Consumers read.
    pub done: u32,
    /// Consumers with at least one finding.
    pub with_findings: u32,
    /// Consumers not read completely.
    pub unread: u32,
    /// Findings so far.
    pub findings: u32,
    /// Consumers per second so far.
    pub per_second: f64,
    /// Seconds left at that rate.
    pub eta_seconds: Option<f64>,
    /// Whether the audit is paused.
    pub paused: bool,
}

impl Console {
    /// Audits the profiles in `scope` (role `auditor`), `concurrency` consumers at a time;
    /// `control` pauses or cancels it and `on_progress` hears each consumer read. The audit,
    /// and each view in it, is recorded in the audit log.
    pub async fn audit_profiles(
        &self,
        scope: &Scope,
        concurrency: usize,
        control: watch::Receiver<RunControl>,
        on_progress: &(dyn Fn(&AuditProgress) + Send + Sync),
    ) -> Result<ProfileAudit> {
        let policy = self.authorise(Action::AuditProfiles, None)?;
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(Error::InvalidInput(format!(
                "concurrency {concurrency}: use 1 to {MAX_CONCURRENCY}"
            )));
        }
        let started = chrono::Utc::now();
        let id = format!("pa-{}", started.format("%Y%m%dT%H%M%S%3fZ"));
        let (ids, invalid, described) = self.scope_ids(scope).await?;
        if ids.is_empty() {
            return Err(Error::InvalidInput(match scope {
                Scope::List(_) => "the list holds no valid consumerId: nothing to audit".into(),
                Scope::Matching(_) => "no consumer matches the search: nothing to audit".into(),
            }));
        }
        let clock = Instant::now();
        let progress = std::sync::Mutex::new(AuditProgress {
            total: u32::try_from(ids.len()).unwrap_or(u32::MAX),
            ..AuditProgress::default()
        });
        let mut consumers: Vec<(usize, AuditedConsumer)> =
            futures_util::stream::iter(ids.into_iter().enumerate())
                .map(|(index, consumer_id)| {
                    let mut control = control.clone();
                    let progress = &progress;
                    async move {
                        if *control.borrow() == RunControl::Pause {
                            let mut paused = *progress.lock().unwrap_or_else(|e| e.into_inner());
                            paused.paused = true;
                            on_progress(&paused);
                        }
                        if !wait_while_paused(&mut control).await {
                            return None;
                        }
                        let audited = self.audit_one(consumer_id).await;
                        let snapshot = {
                            let mut p = progress.lock().unwrap_or_else(|e| e.into_inner());
                            p.done += 1;
                            p.with_findings += u32::from(!audited.findings.is_empty());
                            p.unread += u32::from(!audited.unread.is_empty());
                            p.findings += u32::try_from(audited.findings.len()).unwrap_or(0);
                            let seconds = clock.elapsed().as_secs_f64().max(0.001);
                            p.per_second = f64::from(p.done) / seconds;
                            p.eta_seconds = Some(f64::from(p.total - p.done) / p.per_second);
                            *p
                        };
                        on_progress(&snapshot);
                        Some((index, audited))
                    }
                })
                .buffer_unordered(concurrency)
                .filter_map(std::future::ready)
                .collect()
                .await;
        consumers.sort_by_key(|(index, _)| *index);
        let audit = ProfileAudit {
            id,
            environment: self.active_name()?,
            operator: policy.operator,
            scope: described,
            started_at: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            finished_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            cancelled: *control.borrow() == RunControl::Cancel,
            invalid,
            consumers: consumers.into_iter().map(|(_, c)| c).collect(),
        };
        let outcome = format!(
            "{} consumers read{}, {} findings",
            audit.consumers.len(),
            if audit.cancelled { " (cancelled)" } else { "" },
            audit.findings()
        );
        self.record_event("profile_audit", Some(&audit.id), &outcome, None, None)?;
        Ok(audit)
    }

    /// The consumerIds to read, the list's invalid lines, and the scope as the report states it.
    async fn scope_ids(
        &self,
        scope: &Scope,
    ) -> Result<(Vec<String>, Vec<InvalidLine>, AuditedScope)> {
        match scope {
            Scope::List(text) => {
                let mut list = parse(text, Some(TargetKind::Consumer));
                let (consumers, cards): (Vec<_>, Vec<_>) = list
                    .targets
                    .into_iter()
                    .partition(|t| t.kind == TargetKind::Consumer);
                list.invalid
                    .extend(cards.into_iter().map(|card| InvalidLine {
                        line: card.line,
                        text: format!("card:{}", card.id),
                        reason: InvalidReason::CardInConsumerList,
                        why: "a card: the profile audit reads consumers".into(),
                    }));
                list.invalid.sort_by_key(|l| l.line);
                let described = AuditedScope::Listed {
                    count: u32::try_from(consumers.len()).unwrap_or(u32::MAX),
                };
                Ok((
                    consumers.into_iter().map(|t| t.id).collect(),
                    list.invalid,
                    described,
                ))
            }
            Scope::Matching(text) => {
                let session = self.session().await?;
                let mut ids = Vec::new();
                loop {
                    let page = session
                        .records
                        .search_after(text, MAX_RESULTS, ids.last().map(String::as_str))
                        .await?;
                    let found = page.consumers.len();
                    ids.extend(page.consumers.into_iter().map(|c| c.consumer_id));
                    if !page.more || found == 0 || ids.len() >= MAX_CONSUMERS {
                        break;
                    }
                }
                ids.truncate(MAX_CONSUMERS);
                // The scope goes into the report: a card number, e-mail or phone searched for
                // is masked there.
                let text = crate::logging::scrub(text.trim()).into_owned();
                Ok((ids, Vec::new(), AuditedScope::Matching { text }))
            }
        }
    }

    async fn audit_one(&self, consumer_id: String) -> AuditedConsumer {
        match self.consumer_view(&consumer_id).await {
            Ok(view) => audited(view),
            Err(error) => AuditedConsumer {
                consumer_id,
                findings: Vec::new(),
                unread: vec![Unread {
                    side: "ALL".into(),
                    why: error.to_string(),
                }],
            },
        }
    }
}

fn audited(view: ConsumerView) -> AuditedConsumer {
    let mut unread = Vec::new();
    if let BankSide::Unavailable { problem } = &view.bank {
        unread.push(Unread {
            side: "BANK".into(),
            why: problem.message.clone(),
        });
    }
    for directory in &view.directories {
        if let DirectoryState::Unavailable { problem } = &directory.state {
            unread.push(Unread {
                side: directory.scheme.clone(),
                why: problem.message.clone(),
            });
        }
    }
    AuditedConsumer {
        consumer_id: view.consumer_id,
        findings: view.findings,
        unread,
    }
}
