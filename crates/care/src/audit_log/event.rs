//! What the audit trail records: one closed list of event names. Each serialises to exactly the
//! text earlier versions stored (a refusal keeps its historical spelling, `optoutcard_denied`),
//! so old and new records read alike and every chain keeps verifying.

use serde::{Deserialize, Serialize};

use crate::policy::Permission;

/// An event of the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AuditEvent {
    /// A consumer search (its text is never recorded, the number found is).
    Search,
    /// A consumer's profiles opened.
    ProfileView,
    /// An environment added or replaced.
    EnvironmentAdd,
    /// The environment in use changed.
    EnvironmentChange,
    /// Credentials imported into the keychain (or refused, or failed half-way).
    CredentialsImport,
    /// Credentials removed from the keychain.
    CredentialsRemove,
    /// A connection test.
    ConnectionTest,
    /// The audit chain verified.
    AuditVerify,
    /// The audit log exported.
    AuditExport,
    /// A card opt-out journaled, before it is sent.
    OptOutCardIntent,
    /// What became of a card opt-out.
    OptOutCardOutcome,
    /// A consumer opt-out journaled, before it is sent.
    OptOutConsumerIntent,
    /// What became of a consumer opt-out.
    OptOutConsumerOutcome,
    /// A card enrolment journaled, before it is sent.
    EnrolCardIntent,
    /// What became of a card enrolment.
    EnrolCardOutcome,
    /// A card update journaled, before it is sent.
    UpdateCardIntent,
    /// What became of a card update.
    UpdateCardOutcome,
    /// A consumer update journaled, before it is sent.
    UpdateConsumerIntent,
    /// What became of a consumer update.
    UpdateConsumerOutcome,
    /// A search refused by the role.
    SearchDenied,
    /// A profile view refused by the role.
    ViewDenied,
    /// A card opt-out refused by the role.
    #[serde(rename = "optoutcard_denied")]
    OptOutCardDenied,
    /// A consumer opt-out refused by the role.
    #[serde(rename = "optoutconsumer_denied")]
    OptOutConsumerDenied,
    /// An enrolment refused by the role.
    EnrolDenied,
    /// An update refused by the role.
    UpdateDenied,
    /// A batch opt-out refused by the role.
    #[serde(rename = "batchoptout_denied")]
    BatchOptOutDenied,
    /// An audit export refused by the role.
    #[serde(rename = "auditexport_denied")]
    AuditExportDenied,
    /// A profile audit refused by the role.
    #[serde(rename = "auditprofiles_denied")]
    AuditProfilesDenied,
    /// A batch opt-out made from a list.
    BatchOptOutCreated,
    /// A batch's dry run.
    BatchOptOutDryRun,
    /// A batch run started or ended.
    BatchOptOutRun,
    /// A batch closed without sending the rest.
    BatchOptOutDiscarded,
    /// A batch's report exported.
    BatchReportExport,
    /// A profile audit run.
    ProfileAudit,
    /// A profile audit's report exported.
    ProfileAuditExport,
}

impl AuditEvent {
    /// Every event, for tests and the UI's catalogue check.
    pub const ALL: [AuditEvent; 35] = {
        use AuditEvent::*;
        [
            Search,
            ProfileView,
            EnvironmentAdd,
            EnvironmentChange,
            CredentialsImport,
            CredentialsRemove,
            ConnectionTest,
            AuditVerify,
            AuditExport,
            OptOutCardIntent,
            OptOutCardOutcome,
            OptOutConsumerIntent,
            OptOutConsumerOutcome,
            EnrolCardIntent,
            EnrolCardOutcome,
            UpdateCardIntent,
            UpdateCardOutcome,
            UpdateConsumerIntent,
            UpdateConsumerOutcome,
            SearchDenied,
            ViewDenied,
            OptOutCardDenied,
            OptOutConsumerDenied,
            EnrolDenied,
            UpdateDenied,
            BatchOptOutDenied,
            AuditExportDenied,
            AuditProfilesDenied,
            BatchOptOutCreated,
            BatchOptOutDryRun,
            BatchOptOutRun,
            BatchOptOutDiscarded,
            BatchReportExport,
            ProfileAudit,
            ProfileAuditExport,
        ]
    };

    /// The refusal of `permission`.
    pub fn denied(permission: Permission) -> Self {
        match permission {
            Permission::Search => Self::SearchDenied,
            Permission::View => Self::ViewDenied,
            Permission::OptOutCard => Self::OptOutCardDenied,
            Permission::OptOutConsumer => Self::OptOutConsumerDenied,
            Permission::Enrol => Self::EnrolDenied,
            Permission::Update => Self::UpdateDenied,
            Permission::BatchOptOut => Self::BatchOptOutDenied,
            Permission::AuditExport => Self::AuditExportDenied,
            Permission::AuditProfiles => Self::AuditProfilesDenied,
        }
    }

    /// The name as stored in the trail.
    pub fn as_str(self) -> &'static str {
        use AuditEvent::*;
        match self {
            Search => "search",
            ProfileView => "profile_view",
            EnvironmentAdd => "environment_add",
            EnvironmentChange => "environment_change",
            CredentialsImport => "credentials_import",
            CredentialsRemove => "credentials_remove",
            ConnectionTest => "connection_test",
            AuditVerify => "audit_verify",
            AuditExport => "audit_export",
            OptOutCardIntent => "opt_out_card_intent",
            OptOutCardOutcome => "opt_out_card_outcome",
            OptOutConsumerIntent => "opt_out_consumer_intent",
            OptOutConsumerOutcome => "opt_out_consumer_outcome",
            EnrolCardIntent => "enrol_card_intent",
            EnrolCardOutcome => "enrol_card_outcome",
            UpdateCardIntent => "update_card_intent",
            UpdateCardOutcome => "update_card_outcome",
            UpdateConsumerIntent => "update_consumer_intent",
            UpdateConsumerOutcome => "update_consumer_outcome",
            SearchDenied => "search_denied",
            ViewDenied => "view_denied",
            OptOutCardDenied => "optoutcard_denied",
            OptOutConsumerDenied => "optoutconsumer_denied",
            EnrolDenied => "enrol_denied",
            UpdateDenied => "update_denied",
            BatchOptOutDenied => "batchoptout_denied",
            AuditExportDenied => "auditexport_denied",
            AuditProfilesDenied => "auditprofiles_denied",
            BatchOptOutCreated => "batch_opt_out_created",
            BatchOptOutDryRun => "batch_opt_out_dry_run",
            BatchOptOutRun => "batch_opt_out_run",
            BatchOptOutDiscarded => "batch_opt_out_discarded",
            BatchReportExport => "batch_report_export",
            ProfileAudit => "profile_audit",
            ProfileAuditExport => "profile_audit_export",
        }
    }

    /// The event a stored name stands for; `None` for a name this version does not know.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|event| event.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_the_serialised_form_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for event in AuditEvent::ALL {
            let json = serde_json::to_value(event).unwrap();
            assert_eq!(json, event.as_str(), "{event:?}");
            assert_eq!(AuditEvent::parse(event.as_str()), Some(event));
            assert!(seen.insert(event.as_str()), "{event:?} twice");
        }
        assert_eq!(AuditEvent::parse("something_new"), None);
    }

    #[test]
    fn a_refusal_keeps_the_historical_spelling() {
        // Earlier versions wrote `format!("{permission:?}").to_lowercase() + "_denied"`.
        for permission in Permission::ALL {
            let historical = format!("{permission:?}").to_lowercase() + "_denied";
            assert_eq!(AuditEvent::denied(permission).as_str(), historical);
        }
    }
}
