//! The team's trail for the auditors: pages of every workstation's records in the team store,
//! filtered, exported, and every chain checked whole. Each read is itself recorded.

use std::path::PathBuf;

use team::trail::{TeamFilter, TeamRecord};

use super::Console;
use crate::audit_log::export::export_team;
use crate::audit_log::{AuditEvent, ExportFormat};
use crate::credentials::TEAM_STORE;
use crate::policy::Permission;
use crate::storage::files::WholeFile;
use crate::{Error, Result};

/// A page of the team's trail, and how many records the filter finds in all.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeamAuditPage {
    /// The records, newest first.
    pub records: Vec<TeamRecord>,
    /// How many the filter finds.
    #[specta(type = u32)] // far below 2^32
    pub total: u64,
}

/// What `c2p audit verify --team` (and the Audit screen's team scope) finds.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TeamVerification {
    /// Every chain the login may read, checked whole.
    pub chains: Vec<team::trail::ChainReport>,
    /// Every alert of the store.
    pub alerts: Vec<team::trail::Alert>,
}

/// `filter` with blanks dropped and its times checked (RFC 3339); an id that is a card
/// number, e-mail or phone is refused.
fn checked(filter: TeamFilter) -> Result<TeamFilter> {
    let clean =
        |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let time = |value: Option<String>, what: &str| {
        clean(value)
            .map(|v| match chrono::DateTime::parse_from_rfc3339(&v) {
                Ok(_) => Ok(v),
                Err(_) => Err(Error::InvalidInput(format!(
                    "{v:?} is not a time for \"{what}\": write it as 2026-12-06T09:00:00Z"
                ))),
            })
            .transpose()
    };
    let resource = clean(filter.resource);
    if let Some(resource) = &resource {
        crate::privacy::refuse_personal_data_as_id(resource)?;
    }
    let (operator, workstation, event) = (
        clean(filter.operator),
        clean(filter.workstation),
        clean(filter.event),
    );
    for text in [&operator, &workstation, &event].into_iter().flatten() {
        if crate::privacy::redact_card_numbers(text) != text.as_str() {
            return Err(Error::InvalidInput(
                "a filter holds a card number: the trail never holds one; filter by an id".into(),
            ));
        }
    }
    Ok(TeamFilter {
        operator,
        workstation,
        event,
        resource,
        from: time(filter.from, "from")?,
        to: time(filter.to, "to")?,
    })
}

impl Console {
    /// Records `offset..offset+limit` of the team's trail that `filter` lets through, newest
    /// first, with their total (role auditor, with an auditor's login: the store lets other
    /// logins read only their own). Each read is recorded.
    pub async fn team_audit_page(
        &self,
        filter: TeamFilter,
        offset: i64,
        limit: i64,
    ) -> Result<TeamAuditPage> {
        let permit = self.authorise(Permission::AuditRead, Some(TEAM_STORE))?;
        let filter = checked(filter)?;
        let client = self.team_login().await?;
        self.refuse_all_but_an_auditor_s_login(&client).await?;
        let records =
            team::trail::page(&client, &filter, offset.max(0), limit.clamp(1, 1000), true).await?;
        let total = team::trail::count(&client, &filter).await?.unsigned_abs();
        let mut result = format!(
            "team records, newest first, from {}: {} of {total} read",
            offset.max(0).saturating_add(1),
            records.len()
        );
        if !filter.is_empty() {
            result = format!("{result}, {}", filter.described());
        }
        self.recorder(&permit)
            .record(AuditEvent::AuditRead, Some(TEAM_STORE), &result)?;
        Ok(TeamAuditPage { records, total })
    }

    /// Exports what `filter` lets through of the team's trail to a new file in `<data>/exports`
    /// (`team-audit-<time>.csv`), written whole or not at all; role auditor; recorded. Returns
    /// where, and how many records; `progress` hears (written, total).
    pub async fn team_audit_export_new_file(
        &self,
        format: ExportFormat,
        filter: TeamFilter,
        progress: &mut (dyn FnMut(u64, u64) + Send),
    ) -> Result<(PathBuf, u64)> {
        let permit = self.authorise(Permission::AuditExport, Some(TEAM_STORE))?;
        let filter = checked(filter)?;
        let extension = match format {
            ExportFormat::Csv => "csv",
            ExportFormat::JsonLines => "jsonl",
        };
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
        let path = self
            .dirs
            .exports()
            .join(format!("team-audit-{stamp}.{extension}"));
        let result = async {
            let mut client = self.team_login().await?;
            self.refuse_all_but_an_auditor_s_login(&client).await?;
            let mut file = WholeFile::create(&path)?;
            let count = export_team(&mut client, format, &filter, file.out(), progress).await?;
            file.persist()?;
            Ok::<_, Error>(count)
        }
        .await;
        let outcome = match (&result, filter.is_empty()) {
            (Ok(count), true) => format!("{count} team records"),
            (Ok(count), false) => format!("{count} team records, {}", filter.described()),
            (Err(error), _) => format!("{:?}", error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::AuditExport, Some(TEAM_STORE), &outcome)?;
        result.map(|count| (path, count))
    }

    /// Every workstation's chain in the team store checked whole, and the store's alerts (role
    /// auditor, with an auditor's login); recorded.
    pub async fn audit_verify_team(&self) -> Result<TeamVerification> {
        let permit = self.authorise(Permission::AuditRead, Some(TEAM_STORE))?;
        let client = self.team_login().await?;
        self.refuse_all_but_an_auditor_s_login(&client).await?;
        let result = async {
            let chains = team::trail::check_all(&client).await?;
            let alerts = team::trail::alerts(&client).await?;
            Ok::<_, team::Error>(TeamVerification { chains, alerts })
        }
        .await
        .map_err(Error::from);
        let outcome = match &result {
            Ok(found) => format!(
                "{} chains, {} broken or with a gap, {} alerts",
                found.chains.len(),
                found.chains.iter().filter(|c| !c.intact()).count(),
                found.alerts.len()
            ),
            Err(error) => format!("{:?}", error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::AuditVerify, Some(TEAM_STORE), &outcome)?;
        result
    }
}
