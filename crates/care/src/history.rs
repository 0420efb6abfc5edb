//! A consumer's history: every operation D1 lists on the consumer, their cards and their cards'
//! tokens, whoever made it (the bank, the cardholder's wallet, a merchant, the network, D1),
//! joined on operationId with the bank's own writes (this workstation's journal, and in team
//! mode the team's), and the bank's writes D1 does not list yet. It answers "who removed my
//! card?".

use chrono::{DateTime, Utc};
use d1::wire::{Operation, RequestorType};
use serde::Serialize;
use team::claims::TeamWrite;

use crate::journal::Entry;
use crate::tokens::Token;
use crate::writes::WriteKind;

/// What an operation of the history is on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Subject {
    /// The consumer.
    Consumer,
    /// One of their cards.
    Card {
        /// The card.
        card_id: String,
    },
    /// A token of one of their cards.
    Token {
        /// The card.
        card_id: String,
        /// The token.
        digital_card_id: String,
        /// Who holds it (the wallet, the merchant, the network's Click to Pay); never a device.
        holder: Option<String>,
    },
}

/// One operation of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// When it began (RFC 3339, UTC): D1's start time, or when the bank's write was recorded.
    pub at: String,
    /// D1's name of it (`CLICK_TO_PAY_OPT_OUT`, `SUSPEND`, `DELETE`, …), or the bank's write
    /// kind while D1 lists nothing of it.
    pub operation: String,
    /// The bank's own write, when the journal or the team store knows it.
    pub kind: Option<WriteKind>,
    /// Where it stands (D1's status, or the journal's or team store's state).
    pub status: String,
    /// What it is on.
    pub subject: Subject,
    /// Who made it as D1 says: `ISSUER` (the bank), `USER`, `TSP`, `CCI`, `D1`, or what D1 sent.
    pub requestor: String,
    /// The requestor's name, when D1's requestorId is the token's own requestor (a merchant, a
    /// wallet, the network's Click to Pay).
    pub requestor_name: Option<String>,
    /// The bank's operator who made it, when the bank did and it is known here.
    pub operator: Option<String>,
    /// From which workstation.
    pub workstation: Option<String>,
    /// D1's operationId.
    pub operation_id: Option<String>,
    /// The reason code given.
    pub reason_code: Option<String>,
}

/// What the history is made of, read by the console.
pub struct Sources<'a> {
    /// D1's operations, each with what it is on.
    pub operations: Vec<(Subject, Operation)>,
    /// The tokens of the consumer's cards, for their requestors' names.
    pub tokens: &'a [Token],
    /// This workstation's journal entries on the consumer, their cards and tokens.
    pub local: Vec<Entry>,
    /// This workstation's name.
    pub workstation: &'a str,
    /// The team's writes on the consumer (team mode), `None` otherwise.
    pub team: Option<Vec<TeamWrite>>,
    /// What each target id of the bank's writes is (a card, a token, the consumer).
    pub subject_of: &'a dyn Fn(&str) -> Subject,
}

/// The history, newest first.
pub fn merge(sources: Sources<'_>) -> Vec<HistoryEntry> {
    let Sources {
        operations,
        tokens,
        local,
        workstation,
        team,
        subject_of,
    } = sources;
    let listed: std::collections::HashSet<String> = operations
        .iter()
        .map(|(_, o)| o.operation_id.clone())
        .collect();
    let mut entries: Vec<HistoryEntry> = operations
        .into_iter()
        .map(|(subject, operation)| {
            // In team mode only the team store's rows (bound to the operator's own login) name
            // who made a write; this workstation's journal is a file its user can edit.
            let mine = match team {
                Some(_) => None,
                None => local
                    .iter()
                    .find(|e| e.operation_id.as_deref() == Some(&operation.operation_id)),
            };
            let theirs = team
                .iter()
                .flatten()
                .find(|w| w.operation_id.as_deref() == Some(&operation.operation_id));
            // The team store's row (bound to the operator's own login) over this workstation's
            // journal, a file its user can edit.
            let (kind, operator, station) = match (theirs, mine) {
                (Some(write), _) => (
                    write_kind(&write.kind),
                    Some(write.operator.clone()),
                    Some(write.workstation.clone()),
                ),
                (None, Some(entry)) => (
                    Some(entry.intent.kind),
                    Some(entry.intent.operator.clone()),
                    Some(workstation.to_owned()),
                ),
                (None, None) => (None, None, None),
            };
            let ours = kind.is_some();
            let requestor_name = requestor_name(&subject, &operation, tokens);
            HistoryEntry {
                at: operation.start_time.clone().unwrap_or_default(),
                operation: String::from(operation.operation),
                kind,
                status: String::from(operation.status),
                subject,
                // D1 may leave the requestor out: the bank's when the bank's records hold the
                // write, else unknown.
                requestor: match operation.requestor_type {
                    Some(requestor) => String::from(requestor),
                    None if ours => "ISSUER".to_owned(),
                    None => "UNKNOWN".to_owned(),
                },
                requestor_name,
                operator,
                workstation: station,
                operation_id: Some(operation.operation_id),
                reason_code: operation.reason_code,
            }
        })
        .collect();
    let unlisted = |id: &Option<String>| id.as_ref().is_none_or(|id| !listed.contains(id));
    match team {
        // The team's writes hold this workstation's too.
        Some(team) => entries.extend(team.into_iter().filter(|w| unlisted(&w.operation_id)).map(
            |w| HistoryEntry {
                at: w.claimed_at,
                operation: w.kind.clone(),
                kind: write_kind(&w.kind),
                status: w.state,
                subject: subject_of(&w.target),
                requestor: "ISSUER".into(),
                requestor_name: None,
                operator: Some(w.operator),
                workstation: Some(w.workstation),
                operation_id: w.operation_id,
                reason_code: None,
            },
        )),
        None => entries.extend(
            local
                .into_iter()
                .filter(|e| unlisted(&e.operation_id))
                .map(|e| HistoryEntry {
                    at: e.created_at,
                    operation: crate::wire_name(e.intent.kind),
                    kind: Some(e.intent.kind),
                    status: crate::wire_name(e.state),
                    subject: subject_of(&e.intent.target),
                    requestor: "ISSUER".into(),
                    requestor_name: None,
                    operator: Some(e.intent.operator),
                    workstation: Some(workstation.to_owned()),
                    operation_id: e.operation_id,
                    reason_code: Some(e.intent.reason_code),
                }),
        ),
    }
    entries.sort_by_key(|e| std::cmp::Reverse(parse(&e.at)));
    entries
}

/// The name of `operation`'s requestor when it is the token's own requestor.
fn requestor_name(subject: &Subject, operation: &Operation, tokens: &[Token]) -> Option<String> {
    let Subject::Token {
        digital_card_id, ..
    } = subject
    else {
        return None;
    };
    let token = tokens
        .iter()
        .find(|t| &t.digital_card_id == digital_card_id)?;
    let by_requestor = matches!(
        operation.requestor_type,
        Some(RequestorType::Tsp | RequestorType::User)
    );
    (by_requestor
        && operation.requestor_id.is_some()
        && operation.requestor_id == token.requestor_id)
        .then(|| token.requestor_name.clone())
        .flatten()
}

/// The write kind named `name`, if this console knows it.
fn write_kind(name: &str) -> Option<WriteKind> {
    WriteKind::ALL
        .into_iter()
        .find(|kind| crate::wire_name(*kind) == name)
}

/// `text` as a time, the earliest when it is not one (listed last).
fn parse(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
