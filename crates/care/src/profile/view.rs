//! One consumer on one screen: the bank's record and each directory's profile, fetched at the
//! same time, and the findings between them. A failing directory is reported in its own column
//! and never hides the others; a failing issuer-records call still shows the directories.

use d1::wire::{Profile, Profiles, Scheme};
use serde::Serialize;

use super::findings::{Finding, findings};
use super::grid::{Row, rows};
use super::model::{BankSide, Directory, DirectoryState, Problem};
use crate::bank::{IssuerConsumer, IssuerRecords};
use crate::{Error, ErrorCode};

/// The directories every view shows a column for, enrolled or not.
const KNOWN_DIRECTORIES: [&str; 2] = ["VISA", "MASTERCARD"];

/// Everything the consumer screen and `c2p show` display.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerView {
    /// The consumer.
    pub consumer_id: String,
    /// The bank's record.
    pub bank: BankSide,
    /// One column per directory: Visa and Mastercard always, then any other D1 returned.
    pub directories: Vec<Directory>,
    /// What is wrong, most serious first; empty when either side could not be read.
    pub findings: Vec<Finding>,
    /// The side-by-side grid, compared field by field.
    pub rows: Vec<Row>,
    /// Whether the findings cover every directory (false when one failed).
    pub complete: bool,
    /// When this was read (UTC, RFC 3339).
    pub refreshed_at: String,
    /// The correlation id of the D1 call, for support.
    pub correlation_id: Option<String>,
}

impl ConsumerView {
    /// Removes what `role` may not see (the BIN, for agents) before the view leaves the core.
    pub fn mask_for(&mut self, role: crate::policy::Role) {
        if let BankSide::Found { record } = &mut self.bank
            && !role.sees_bin()
        {
            record.cards.iter_mut().for_each(|card| card.bin = None);
        }
    }

    /// Whether neither the bank nor any directory knows the consumer (every side was read).
    pub fn not_found(&self) -> bool {
        self.complete
            && matches!(self.bank, BankSide::Unknown)
            && self
                .directories
                .iter()
                .all(|d| matches!(d.state, DirectoryState::NotEnrolled))
    }

    /// The bank's record, when it was read.
    pub fn bank_record(&self) -> Option<&IssuerConsumer> {
        match &self.bank {
            BankSide::Found { record } => Some(record.as_ref()),
            _ => None,
        }
    }

    /// The profile in `scheme`'s directory, when enrolled.
    pub fn profile(&self, scheme: &str) -> Option<&Profile> {
        self.directories.iter().find_map(|d| match &d.state {
            DirectoryState::Enrolled { profile } if d.scheme == scheme => Some(profile.as_ref()),
            _ => None,
        })
    }
}

/// Reads both sides concurrently and compares them; `home` is the bank's country, whose phone
/// numbers the grid shows in national format.
pub async fn consumer_view(
    d1: &d1::Client,
    records: &IssuerRecords,
    consumer: &d1::ConsumerId,
    home: Option<&str>,
) -> ConsumerView {
    let (bank, profiles) = tokio::join!(
        records.consumer(consumer),
        d1.profiles(consumer, d1::Call::default())
    );
    let correlation_id = match &profiles {
        Ok(response) => Some(response.correlation_id.as_str().to_owned()),
        Err(error) => error.correlation_id().map(|c| c.as_str().to_owned()),
    };
    let bank = match bank {
        Ok(Some(record)) => BankSide::Found {
            record: Box::new(record),
        },
        Ok(None) => BankSide::Unknown,
        Err(error) => BankSide::Unavailable {
            problem: Problem::from(&error),
        },
    };
    // A consumerId the bank's records do not know and D1 answers 404 for is in no directory
    // (not found). A 404 for a consumer the bank knows stays a failure: it may be a wrong base
    // URL, and reading it as "in no directory" would let an opt-out leave cards enrolled.
    let profiles = match (profiles, &bank) {
        (Err(d1::Error::Rejected { status: 404, .. }), BankSide::Unknown) => {
            Ok(Profiles::default())
        }
        (other, _) => other.map(|r| r.value).map_err(Error::from),
    };
    let directories = columns(&bank, &profiles);
    let (findings, complete) = match (&bank, &profiles) {
        (BankSide::Unavailable { .. }, _) | (_, Err(_)) => (Vec::new(), false),
        (bank, Ok(profiles)) => {
            let record = match bank {
                BankSide::Found { record } => Some(record.as_ref()),
                _ => None,
            };
            let mut found = findings(record, profiles);
            found.sort_by_key(|f| std::cmp::Reverse(f.severity));
            (found, profiles.errors.is_empty())
        }
    };
    let record = match &bank {
        BankSide::Found { record } => Some(record.as_ref()),
        _ => None,
    };
    let rows = rows(record, &directories, home);
    ConsumerView {
        consumer_id: consumer.as_str().to_owned(),
        bank,
        directories,
        findings,
        rows,
        complete,
        refreshed_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        correlation_id,
    }
}

fn columns(bank: &BankSide, profiles: &Result<Profiles, Error>) -> Vec<Directory> {
    let mut schemes: Vec<String> = KNOWN_DIRECTORIES.iter().map(|s| (*s).to_owned()).collect();
    let mut add = |scheme: String| {
        if !schemes.contains(&scheme) {
            schemes.push(scheme);
        }
    };
    if let Ok(profiles) = profiles {
        profiles
            .profiles
            .iter()
            .for_each(|p| add(p.scheme.clone().into()));
        profiles
            .errors
            .iter()
            .for_each(|e| add(e.scheme.clone().into()));
    }
    if let BankSide::Found { record } = bank {
        record.cards.iter().for_each(|c| add(c.scheme.clone()));
    }
    schemes
        .into_iter()
        .map(|scheme| {
            let state = match profiles {
                Err(error) => DirectoryState::Unavailable {
                    problem: Problem::from(error),
                },
                Ok(profiles) => directory_state(profiles, &scheme),
            };
            Directory { scheme, state }
        })
        .collect()
}

fn directory_state(profiles: &Profiles, scheme: &str) -> DirectoryState {
    let scheme_is = |s: &Scheme| String::from(s.clone()) == scheme;
    if let Some(profile) = profiles.profiles.iter().find(|p| scheme_is(&p.scheme)) {
        return DirectoryState::Enrolled {
            profile: Box::new(profile.clone()),
        };
    }
    match profiles.errors.iter().find(|e| scheme_is(&e.scheme)) {
        Some(failed) => DirectoryState::Unavailable {
            problem: Problem {
                code: ErrorCode::Unreachable,
                message: format!(
                    "the {scheme} directory did not answer ({}{}); the other directories are shown: retry in a moment",
                    failed.error_code.as_deref().unwrap_or("no error code"),
                    failed
                        .error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            },
        },
        None => DirectoryState::NotEnrolled,
    }
}
