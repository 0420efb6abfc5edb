//! The auditors' profile audit (role `auditor`): every consumer of a list or a search read
//! like a view on screen (each one role checked and audited), then the report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use futures_util::StreamExt as _;
use tokio::sync::watch;

use super::Console;
use crate::audit_log::AuditEvent;
use crate::batch::control::{RunControl, check_concurrency, wait_while_paused};
use crate::environments::Language;
use crate::policy::Permission;
use crate::profile_audit::report::{self, ReportFiles};
use crate::profile_audit::{
    AuditProgress, AuditedConsumer, ProfileAudit, Scope, audit_of, listed, matching,
};
use crate::storage::files::write_whole;
use crate::{Error, Result};

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
        let permit = self.authorise(Permission::AuditProfiles, None)?;
        check_concurrency(concurrency)?;
        let started = chrono::Utc::now();
        let id = format!("pa-{}", started.format("%Y%m%dT%H%M%S%3fZ"));
        let (ids, invalid, described) = match scope {
            Scope::List(text) => listed(text),
            Scope::Matching(text) => matching(&*self.session().await?, text).await?,
        };
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
                        let (view, tokens) = tokio::join!(
                            self.consumer_view(&consumer_id),
                            self.consumer_tokens(&consumer_id)
                        );
                        let audited = audit_of(consumer_id, view, tokens);
                        let snapshot = {
                            let mut p = progress.lock().unwrap_or_else(|e| e.into_inner());
                            p.done += 1;
                            p.with_findings += u32::from(
                                !audited.findings.is_empty() || !audited.token_findings.is_empty(),
                            );
                            p.unread += u32::from(!audited.unread.is_empty());
                            p.not_found += u32::from(audited.not_found);
                            p.findings += u32::try_from(
                                audited.findings.len() + audited.token_findings.len(),
                            )
                            .unwrap_or(0);
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
            operator: permit.operator().to_owned(),
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
        self.recorder(&permit)
            .record(AuditEvent::ProfileAudit, Some(&audit.id), &outcome)?;
        Ok(audit)
    }

    /// Writes `audit`'s CSV and HTML report (in `language`) into `dir` (`<id>-findings.csv`,
    /// `<id>.html`), each whole or not at all; an audited export (role `auditor`).
    pub fn export_profile_audit(
        &self,
        audit: &ProfileAudit,
        dir: &Path,
        language: Language,
    ) -> Result<ReportFiles> {
        let permit = self.authorise(Permission::AuditProfiles, Some(&audit.id))?;
        let stem = crate::storage::files::file_stem(&audit.id)?;
        let csv_path = dir.join(format!("{stem}-findings.csv"));
        let html_path = dir.join(format!("{stem}.html"));
        let result = report::csv(audit)
            .and_then(|csv| write_whole(&csv_path, &csv))
            .and_then(|()| write_whole(&html_path, report::html(audit, language).as_bytes()));
        let outcome = match &result {
            Ok(()) => format!(
                "{} findings of {} consumers to {}",
                audit.findings(),
                audit.consumers.len(),
                dir.display()
            ),
            Err(error) => format!("{:?}", error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::ProfileAuditExport, Some(&audit.id), &outcome)?;
        result?;
        Ok(ReportFiles {
            csv: csv_path.display().to_string(),
            html: html_path.display().to_string(),
        })
    }

    /// Exports to `<data>/exports`, for the desktop console.
    pub fn export_profile_audit_to_exports(
        &self,
        audit: &ProfileAudit,
        language: Language,
    ) -> Result<ReportFiles> {
        self.export_profile_audit(audit, &self.dirs.exports(), language)
    }

    /// Where profile audit `audit_id`'s HTML report is, in the exports folder, for the
    /// system's opener: only a report the console wrote there, named by its audit id (never a
    /// path from the window), and only for a role that audits profiles.
    /// The opening is recorded.
    pub fn profile_audit_report(&self, audit_id: &str) -> Result<PathBuf> {
        let stem = crate::storage::files::file_stem(audit_id)?;
        let permit = self.authorise(Permission::AuditProfiles, Some(stem))?;
        let path = self.dirs.exports().join(format!("{stem}.html"));
        let found = std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.is_file());
        self.recorder(&permit).record(
            AuditEvent::ProfileAuditReportOpen,
            Some(stem),
            if found { "ok" } else { "not found" },
        )?;
        match found {
            true => Ok(path),
            false => Err(Error::NotFound(format!(
                "no report of profile audit {audit_id} in {}: run the audit again to write one",
                self.dirs.exports().display()
            ))),
        }
    }
}
