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
    /// first record of its new chain. The files kept aside stay. Restart the console afterwards.
    pub fn recover(&self) -> Result<Vec<Quarantine>> {
        let (policy, environment) = self.policy_for(Permission::Recover)?;
        // While the audit log is aside, a refusal cannot be recorded; otherwise it is.
        let permit = match self.damaged.audit {
            Some(_) => policy.permit(Permission::Recover, &environment)?,
            None => self.authorise(Permission::Recover, None)?,
        };
        let new_log;
        let log = match &self.damaged.audit {
            Some(aside) => {
                new_log = AuditLog::open(&aside.original)?;
                if new_log.count()? != 0 {
                    return Err(Error::Damaged(format!(
                        "{} already holds records: move it away before recovering",
                        aside.original.display()
                    )));
                }
                &new_log
            }
            None => &self.audit,
        };
        let recorder = Recorder::new(
            log,
            permit.operator(),
            Some(permit.role()),
            &self.identity.workstation,
        );
        let described = |aside: &Quarantine| {
            format!(
                "after a damaged file, kept aside with SHA-256 {} ({})",
                aside.sha256, aside.check
            )
        };
        if let Some(aside) = &self.damaged.audit {
            let kept_as = aside.kept_as.display().to_string();
            recorder.record(
                AuditEvent::AuditChainStart,
                Some(&kept_as),
                &described(aside),
            )?;
        }
        if let Some(aside) = &self.damaged.journal {
            Journal::open(&aside.original)?;
            let kept_as = aside.kept_as.display().to_string();
            recorder.record(
                AuditEvent::JournalRecovered,
                Some(&kept_as),
                &described(aside),
            )?;
        }
        let recovered: Vec<Quarantine> = self.kept_aside().into_iter().cloned().collect();
        for aside in &recovered {
            quarantine::release(aside)?;
        }
        Ok(recovered)
    }
}
