//! Team mode: this workstation's audit chain compared with the copy the team store holds, so
//! that what the person being audited can do to their own file shows: the last records
//! deleted (truncated), the file deleted or swapped for a new one (replaced), a record edited
//! and the chain computed again (forked). Records not sent yet only make it behind.

use serde::Serialize;
use tokio_postgres::Client;

use super::chain::AuditLog;
use super::forward::ChainOwner;
use crate::{Error, Result};

/// One way this workstation's chain differs from the team store's copy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum CentreFinding {
    /// The store holds an older chain of this account on this workstation: the local log began
    /// again (its file deleted or replaced).
    Replaced {
        /// The older chain.
        chain: String,
        /// How many of its records the store holds.
        records: u32,
    },
    /// The store holds more records of this chain than this workstation: the last ones were
    /// deleted here.
    Truncated {
        /// Records here.
        local: u32,
        /// Records in the store.
        central: u32,
    },
    /// From record `at` on, this workstation's records differ from the store's.
    Forked {
        /// The first record that differs.
        at: u32,
    },
    /// Records the store does not hold yet (they go as soon as it can be reached).
    Behind {
        /// How many.
        records: u32,
    },
}

impl CentreFinding {
    /// Whether it shows the local log was changed (not merely not sent yet).
    pub fn is_tampering(&self) -> bool {
        !matches!(self, CentreFinding::Behind { .. })
    }
}

impl std::fmt::Display for CentreFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CentreFinding::Replaced { chain, records } => write!(
                f,
                "REPLACED: the team store holds an older audit chain of this account on this workstation ({chain}, {records} records): the local log began again, its file deleted or replaced"
            ),
            CentreFinding::Truncated { local, central } => write!(
                f,
                "TRUNCATED: the team store holds {central} records of this chain, this workstation only {local}: the last records were deleted here"
            ),
            CentreFinding::Forked { at } => write!(
                f,
                "FORKED at record {at}: from there on this workstation's records differ from the team store's copy (edited and chained again)"
            ),
            CentreFinding::Behind { records } => write!(
                f,
                "behind: {records} records not yet in the team store (they go as soon as it can be reached)"
            ),
        }
    }
}

/// The comparison with the team store, or why it could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CentreCheck {
    /// Whether the store was reached and the chains compared.
    pub checked: bool,
    /// The records of this chain the store holds.
    pub central_records: u32,
    /// What differs; empty when the store holds this chain as it is here.
    pub findings: Vec<CentreFinding>,
    /// Why it could not be compared (the store out of reach).
    pub problem: Option<String>,
}

impl CentreCheck {
    /// A comparison that could not be made, and why.
    pub fn unchecked(error: &Error) -> Self {
        CentreCheck {
            checked: false,
            central_records: 0,
            findings: Vec::new(),
            problem: Some(error.to_string()),
        }
    }
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Compares `log` (chain `owner` of `workstation`) with the store's copy over `client`.
pub async fn compare(
    log: &AuditLog,
    owner: &ChainOwner,
    workstation: &str,
    client: &Client,
) -> Result<CentreCheck> {
    let mut findings = Vec::new();
    let held = team::trail::chain(client, &owner.chain)
        .await
        .map_err(Error::from)?;
    let older = team::trail::chains_of(client, workstation, &owner.account)
        .await
        .map_err(Error::from)?
        .into_iter()
        .rev()
        .filter(|other| other.chain != owner.chain)
        .find(|other| {
            held.as_ref()
                .is_none_or(|mine| other.first_received < mine.first_received)
        });
    if let Some(older) = older {
        findings.push(CentreFinding::Replaced {
            chain: older.chain,
            records: count(older.last_seq),
        });
    }
    let central = held.map_or(0, |c| c.last_seq);
    let local = log.last_seq()?;
    let common = local.min(central);
    // A chain's hash covers every record before it: the same hash at the last record both
    // hold means the same records up to there; otherwise the first that differs is found by
    // halving.
    let same = async |seq: i64| -> Result<bool> {
        let there = team::trail::hash_at(client, &owner.chain, seq)
            .await
            .map_err(Error::from)?;
        Ok(there.is_some() && there == log.hash_at(seq)?)
    };
    if common > 0 && !same(common).await? {
        let (mut low, mut high) = (1, common);
        while low < high {
            let middle = low + (high - low) / 2;
            if same(middle).await? {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        findings.push(CentreFinding::Forked { at: count(low) });
    }
    if central > local {
        findings.push(CentreFinding::Truncated {
            local: count(local),
            central: count(central),
        });
    }
    if local > central {
        findings.push(CentreFinding::Behind {
            records: count(local - central),
        });
    }
    Ok(CentreCheck {
        checked: true,
        central_records: count(central),
        findings,
        problem: None,
    })
}
