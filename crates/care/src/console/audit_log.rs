//! The audit trail: read a page, verify the chain, export it (auditors).

use std::path::{Path, PathBuf};

use super::Console;
use crate::audit_log::centre::CentreCheck;
use crate::audit_log::query::Query;
use crate::audit_log::{
    AuditEvent, AuditFilter, ExportFormat, Record, Recorder, Verification, export::export,
};
use crate::policy::Permission;
use crate::storage::files::write_whole_with;
use crate::{Error, Result};

/// A page of the audit trail, and how many records the filter finds in all.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// The records, newest first.
    pub records: Vec<Record>,
    /// How many records the filter finds (the pages to both ends).
    #[specta(type = u32)] // far below 2^32
    pub total: u64,
}

impl Console {
    /// Records `offset..offset+limit` of this workstation's trail that `filter` lets through,
    /// newest first, with their total: every operator's for a role that may read them all
    /// (auditor), else the reader's own. Each read is itself recorded.
    pub fn audit_page(&self, filter: &AuditFilter, offset: i64, limit: i64) -> Result<AuditPage> {
        self.refuse_while_damaged(Permission::AuditRead)?;
        let (policy, environment) = self.policy_in_force()?;
        self.note_policy(&policy)?;
        let (deciding, _) = self.policy_for(Permission::AuditRead)?;
        let everyone = deciding.permit(Permission::AuditRead, &environment).is_ok();
        let operator = (!everyone).then_some(policy.operator.as_str());
        let query = Query {
            operator,
            filter,
            newest_first: true,
        };
        let total = self.audit.count_of(&query)?;
        let records = self.audit.select(&query, offset, limit, total)?;
        let whose = if everyone { "all" } else { "own" };
        let first = offset.saturating_add(1);
        let mut result = format!(
            "{whose} records, newest first, from {first}: {} of {total} read",
            records.len()
        );
        if !filter.is_empty() {
            result = format!("{result}, {}", filter.described());
        }
        // Recorded under the policy in force: who read (what they saw, the administrators' file
        // decided).
        Recorder::new(
            &self.audit,
            &policy.operator,
            Some(policy.role),
            &self.identity.workstation,
        )
        .record(AuditEvent::AuditRead, None, &result)?;
        Ok(AuditPage { records, total })
    }

    /// Checks the audit log's file in full (SQLite's integrity check) and walks its chain; in
    /// team mode, also compares it with the team store's copy. The verification itself is
    /// audited.
    pub async fn audit_verify(&self) -> Result<Verification> {
        self.refuse_while_damaged(Permission::AuditRead)?;
        let mut verification = self.audit.verify()?;
        if self.team_on()? {
            verification.centre = Some(match self.compare_with_centre().await {
                Ok(check) => check,
                Err(error) => CentreCheck::unchecked(&error),
            });
        }
        let mut result = match verification.first_broken {
            None => format!("intact ({} records)", verification.records),
            Some(seq) => format!("broken at record {seq}"),
        };
        match &verification.centre {
            Some(centre) if !centre.checked => {
                result.push_str("; not compared with the team store")
            }
            Some(centre) if centre.findings.is_empty() => {
                result.push_str("; the team store holds the same chain")
            }
            Some(centre) => {
                for finding in &centre.findings {
                    result.push_str("; ");
                    result.push_str(&finding.to_string());
                }
            }
            None => {}
        }
        self.record(AuditEvent::AuditVerify, None, &result)?;
        Ok(verification)
    }

    /// Exports the audit log to a new file in `<data>/exports` named after the time, e.g.
    /// `audit-20261125T093000Z.csv`; returns where, and how many records.
    pub fn audit_export_new_file(
        &self,
        format: ExportFormat,
        filter: &AuditFilter,
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
        let count = self.audit_export(format, filter, &path, progress)?;
        Ok((path, count))
    }

    /// Exports the records of the audit log that `filter` lets through to `path` (written
    /// whole or not at all); needs the auditor role. `progress` hears (written, total) as the
    /// export goes.
    pub fn audit_export(
        &self,
        format: ExportFormat,
        filter: &AuditFilter,
        path: &Path,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<u64> {
        self.authorise(Permission::AuditExport, None)?;
        let result = write_whole_with(path, |out| {
            export(&self.audit, format, filter, out, progress)
        });
        let outcome = match (&result, filter.is_empty()) {
            (Ok(count), true) => format!("{count} records"),
            (Ok(count), false) => format!("{count} records, {}", filter.described()),
            (Err(error), _) => format!("{:?}", error.code()),
        };
        self.record(AuditEvent::AuditExport, None, &outcome)?;
        result
    }
}
