//! The audit trail: read a page, verify the chain, export it (auditors).

use std::path::{Path, PathBuf};

use super::Console;
use crate::audit_log::{AuditEvent, ExportFormat, Record, Recorder, Verification, export::export};
use crate::policy::Permission;
use crate::storage::files::write_whole_with;
use crate::{Error, Result};

impl Console {
    /// Records `offset..offset+limit` of this workstation's trail, oldest first: every
    /// operator's for a role that may read them all (auditor), else the reader's own. Each read
    /// is itself recorded.
    pub fn audit_page(&self, offset: i64, limit: i64) -> Result<Vec<Record>> {
        self.refuse_while_damaged(Permission::AuditRead)?;
        let (policy, environment) = self.policy_in_force()?;
        self.note_policy(&policy)?;
        let (deciding, _) = self.policy_for(Permission::AuditRead)?;
        let everyone = deciding.permit(Permission::AuditRead, &environment).is_ok();
        let operator = (!everyone).then_some(policy.operator.as_str());
        let records = self.audit.page_of(operator, offset, limit)?;
        let whose = if everyone { "all" } else { "own" };
        let first = offset.saturating_add(1);
        let result = format!("{whose} records from {first}: {} read", records.len());
        // Recorded under the policy in force: who read (what they saw, the administrators' file
        // decided).
        Recorder::new(
            &self.audit,
            &policy.operator,
            Some(policy.role),
            &self.identity.workstation,
        )
        .record(AuditEvent::AuditRead, None, &result)?;
        Ok(records)
    }

    /// Checks the audit log's file in full (SQLite's integrity check) and walks its chain; the
    /// verification itself is audited.
    pub fn audit_verify(&self) -> Result<Verification> {
        self.refuse_while_damaged(Permission::AuditRead)?;
        let verification = self.audit.verify()?;
        let result = match verification.first_broken {
            None => format!("intact ({} records)", verification.records),
            Some(seq) => format!("broken at record {seq}"),
        };
        self.record(AuditEvent::AuditVerify, None, &result)?;
        Ok(verification)
    }

    /// Exports the audit log to a new file in `<data>/exports` named after the time, e.g.
    /// `audit-20261125T093000Z.csv`; returns where, and how many records.
    pub fn audit_export_new_file(
        &self,
        format: ExportFormat,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<(PathBuf, u64)> {
        let dir = self.dirs.exports();
        std::fs::create_dir_all(&dir).map_err(|e| Error::storage("create", &dir, e))?;
        let extension = match format {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
        };
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let path = dir.join(format!("audit-{stamp}.{extension}"));
        let count = self.audit_export(format, &path, progress)?;
        Ok((path, count))
    }

    /// Exports the audit log to `path` (written whole or not at all); needs the auditor role.
    /// `progress` hears (written, total) as the export goes.
    pub fn audit_export(
        &self,
        format: ExportFormat,
        path: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        self.authorise(Permission::AuditExport, None)?;
        let result = write_whole_with(path, |out| export(&self.audit, format, out, progress));
        let outcome = match &result {
            Ok(count) => format!("{count} records"),
            Err(error) => format!("{:?}", error.code()),
        };
        self.record(AuditEvent::AuditExport, None, &outcome)?;
        result
    }
}
