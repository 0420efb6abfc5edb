//! The auditors' batch profile audit: for a list of consumers, or every consumer a search
//! matches, each consumer's view and findings, read with bounded concurrency. Read-only: it
//! writes nothing to D1, and every view is in the audit log like one opened on screen.

pub mod report;

use serde::{Deserialize, Serialize};

use crate::Result;
use crate::bank::MAX_RESULTS;
use crate::batch::input::{InvalidLine, InvalidReason, TargetKind, parse};
use crate::environments::Session;
use crate::profile::{BankSide, ConsumerView, DirectoryState, Finding};

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
    /// What is wrong with the consumer's cards' tokens, most serious first.
    pub token_findings: Vec<crate::tokens::TokenFinding>,
    /// What could not be read (`bank`, a directory, or the whole view), with why: the
    /// findings then do not cover it.
    pub unread: Vec<Unread>,
    /// Whether neither the bank's records nor any directory knows this consumerId (every side
    /// was read): a wrong id in the list, not a consumer with nothing wrong.
    pub not_found: bool,
}

/// A side of a consumer that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Unread {
    /// `BANK`, a directory (`VISA`, …), `TOKENS` (the cards' tokens), or `ALL` when the view
    /// failed as a whole.
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
    /// How many listed consumerIds nobody knows.
    pub fn not_found(&self) -> usize {
        self.consumers.iter().filter(|c| c.not_found).count()
    }

    /// How many findings in all.
    pub fn findings(&self) -> usize {
        self.consumers
            .iter()
            .map(|c| c.findings.len() + c.token_findings.len())
            .sum()
    }
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
    /// ConsumerIds that neither the bank nor any directory knows.
    pub not_found: u32,
    /// Findings so far.
    pub findings: u32,
    /// Consumers per second so far.
    pub per_second: f64,
    /// Seconds left at that rate.
    pub eta_seconds: Option<f64>,
    /// Whether the audit is paused.
    pub paused: bool,
}

/// What a profile audit reads: its consumerIds, the invalid lines of its list, and the scope as
/// the report states it.
pub(crate) type Read = (Vec<String>, Vec<InvalidLine>, AuditedScope);

/// The consumers of a list (`Scope::List`); a card in it is an invalid line.
pub(crate) fn listed(text: &str) -> Read {
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
    (
        consumers.into_iter().map(|t| t.id).collect(),
        list.invalid,
        described,
    )
}

/// Every consumer the bank's search finds for `text` (`Scope::Matching`), page by page, at most
/// [`MAX_CONSUMERS`].
pub(crate) async fn matching(session: &Session, text: &str) -> Result<Read> {
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
    // The scope goes into the report: a card number, e-mail or phone searched for is masked
    // there.
    let text = crate::privacy::scrub(text.trim()).into_owned();
    Ok((ids, Vec::new(), AuditedScope::Matching { text }))
}

/// The audit of `consumer_id` from reading its view: its findings and unread sides, or the
/// whole consumer unread when the view failed.
pub(crate) fn audit_of(
    consumer_id: String,
    view: Result<ConsumerView>,
    tokens: Result<crate::tokens::ConsumerTokens>,
) -> AuditedConsumer {
    let mut audited = match view {
        Ok(view) => audited(view),
        Err(error) => AuditedConsumer {
            consumer_id,
            findings: Vec::new(),
            token_findings: Vec::new(),
            unread: vec![Unread {
                side: "ALL".into(),
                why: error.to_string(),
            }],
            not_found: false,
        },
    };
    match tokens {
        Ok(tokens) => {
            // A directory that did not answer is reported by the view already.
            let unread: Vec<&str> = tokens
                .cards
                .iter()
                .filter(|c| c.problem.is_some())
                .map(|c| c.card_id.as_str())
                .collect();
            if !unread.is_empty() {
                audited.unread.push(Unread {
                    side: "TOKENS".into(),
                    why: format!("the tokens of {} could not be read", unread.join(", ")),
                });
            }
            audited.token_findings = tokens.findings;
        }
        // A consumer the bank does not hold has no tokens of the bank's to read.
        Err(error) if error.code() == crate::ErrorCode::NotFound => {}
        Err(error) => audited.unread.push(Unread {
            side: "TOKENS".into(),
            why: error.to_string(),
        }),
    }
    audited
}

/// The audit of one consumer's view: its findings, and the sides that could not be read.
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
        not_found: view.not_found(),
        consumer_id: view.consumer_id,
        findings: view.findings,
        token_findings: Vec::new(),
        unread,
    }
}
