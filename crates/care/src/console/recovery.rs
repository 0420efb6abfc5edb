//! Recovery after a damaged journal or audit log was kept aside: an administrator starts new
//! ones, and the new audit chain's first records name each file kept aside and its SHA-256.

use super::Console;
use crate::audit_log::{AuditEvent, AuditLog, Recorder};
use crate::journal::Journal;
use crate::policy::Permission;
use crate::storage::quarantine::{self, Quarantine};
use crate::{Error, Result};

impl Console {
    /// The files kept aside at this start (journal, audit log), for the faces to show.
    pub fn kept_aside(&self) -> Vec<&Quarantine> {
        [&self.damaged.journal, &self.damaged.audit]
            .into_iter()
            .flatten()
            .collect()
    }

    /// Starts a new journal and audit log where damaged ones were kept aside (admin only): the
    /// records of it name each file kept aside, by path and SHA-256, the audit log's as the
    /// first record of its new chain; the damaged journal's unfinished writes are carried over
    /// to be resolved from D1. The files kept aside stay. Returns what was recorded for each.
    /// Restart the console afterwards.
    pub fn recover(&self) -> Result<Vec<Recovered>> {
        let (policy, environment) = self.policy_for(Permission::Recover)?;
        // While the audit log is aside, a refusal cannot be recorded; otherwise it is.
        let permit = match self.damaged.audit {
            Some(_) => policy.permit(Permission::Recover, &environment)?,
            None => self.authorise(Permission::Recover, None)?,
        };
        // The new files go where this console keeps them, whatever a marker says, and only
        // where nothing was begun yet (a recovery run twice adds nothing).
        let data = self.dirs.data.as_path();
        let (audit_path, journal_path) =
            (data.join("audit.sqlite"), data.join("operations.sqlite"));
        let already = |path: &std::path::Path| {
            Error::Damaged(format!(
                "{} already holds records: recovery was done, or something else began it; move it away before recovering",
                path.display()
            ))
        };
        let new_log;
        let log = match &self.damaged.audit {
            Some(_) => {
                new_log = AuditLog::open(&audit_path)?;
                if new_log.count()? != 0 {
                    return Err(already(&audit_path));
                }
                &new_log
            }
            None => &self.audit,
        };
        let journal = match &self.damaged.journal {
            Some(_) => {
                let journal = Journal::open(&journal_path)?;
                if !journal.recent(None, 1)?.is_empty() {
                    return Err(already(&journal_path));
                }
                Some(journal)
            }
            None => None,
        };
        let recorder = Recorder::new(
            log,
            permit.operator(),
            Some(permit.role()),
            &self.identity.workstation,
        );
        let mut recovered = Vec::new();
        if let Some(aside) = &self.damaged.audit {
            let recorded = format!(
                "{}; the old log is {}",
                describe(aside, data),
                aside.kept_as.display()
            );
            // The new chain's id is its first record's resource, as for any new chain.
            let chain = crate::audit_log::new_chain_id()?;
            recorder.record(AuditEvent::AuditChainStart, Some(&chain), &recorded)?;
            recovered.push(Recovered {
                aside: aside.clone(),
                recorded,
            });
        }
        if let (Some(aside), Some(journal)) = (&self.damaged.journal, &journal) {
            let salvaged = match aside.kept_as.parent() == Some(data) {
                true => journal.salvage_unfinished(&aside.kept_as),
                false => Err(Error::Damaged(
                    "the file kept aside is not in the console's folder".into(),
                )),
            };
            let carried = match salvaged {
                Ok((count, true)) => format!(
                    "; {count} unfinished writes carried over, to be resolved from D1 before any is sent again"
                ),
                Ok((count, false)) => format!(
                    "; WARNING: {count} unfinished writes carried over, but part of its list was unreadable: check D1's operations before writing on any card again"
                ),
                Err(error) => format!(
                    "; WARNING: its unfinished writes could not be read ({error}): check D1's operations before writing on any card again"
                ),
            };
            let recorded = describe(aside, data) + &carried;
            let kept_as = aside.kept_as.display().to_string();
            recorder.record(AuditEvent::JournalRecovered, Some(&kept_as), &recorded)?;
            recovered.push(Recovered {
                aside: aside.clone(),
                recorded,
            });
        }
        if self.damaged.audit.is_some() {
            quarantine::release(&audit_path)?;
        }
        if self.damaged.journal.is_some() {
            quarantine::release(&journal_path)?;
        }
        Ok(recovered)
    }
}

/// A file recovery began again: the one kept aside, and what the trail says of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// The file kept aside.
    pub aside: Quarantine,
    /// The record's words (its hash, and for the journal what was carried over).
    pub recorded: String,
}

/// What the trail says of a file kept aside: its SHA-256 read again now from the console's own
/// folder, beside the one noted when it was set aside, and what SQLite said then.
fn describe(aside: &Quarantine, data: &std::path::Path) -> String {
    let in_folder = aside.kept_as.parent() == Some(data);
    let now = in_folder
        .then(|| quarantine::sha256_of(&aside.kept_as).ok())
        .flatten();
    match now {
        Some(sha256) if sha256 == aside.sha256 => format!(
            "after a damaged file, kept aside with SHA-256 {sha256} ({})",
            aside.check
        ),
        Some(sha256) => format!(
            "after a damaged file, kept aside with SHA-256 {} then and {sha256} now: it changed ({})",
            aside.sha256, aside.check
        ),
        None => format!(
            "after a damaged file whose copy kept aside is missing (SHA-256 {} when set aside; {})",
            aside.sha256, aside.check
        ),
    }
}
