//! What the audit trail records: one closed list of event names. Each serialises to exactly the
//! text earlier versions stored (a refusal keeps its historical spelling, `optoutcard_denied`),
//! so old and new records read alike and every chain keeps verifying.

use serde::{Deserialize, Serialize};

use crate::policy::Permission;

/// Defines [`AuditEvent`] from one list of variants and their stored names: the enum (serde
/// and the TypeScript bindings use the names), [`AuditEvent::ALL`] and [`AuditEvent::as_str`].
macro_rules! audit_events {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// An event of the audit trail.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
        pub enum AuditEvent {
            $($(#[doc = $doc])* #[serde(rename = $name)] $variant,)*
        }

        impl AuditEvent {
            /// Every event, in the order of the list.
            pub const ALL: &[AuditEvent] = &[$(AuditEvent::$variant,)*];

            /// The name as stored in the trail.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditEvent::$variant => $name,)*
                }
            }
        }
    };
}

audit_events! {
    /// A consumer search (its text is never recorded, the number found is).
    Search = "search",
    /// A consumer's profiles opened.
    ProfileView = "profile_view",
    /// A card's tokens read (how many, never a device's name).
    TokensView = "tokens_view",
    /// A consumer's history read: D1's operations on them, their cards and tokens, with the
    /// bank's own (how many).
    HistoryView = "history_view",
    /// A consumer's e-mail and phone shown in full from the search results.
    ContactReveal = "contact_reveal",
    /// An environment added or replaced.
    EnvironmentAdd = "environment_add",
    /// A configured environment removed, with its secrets.
    EnvironmentRemove = "environment_remove",
    /// The environment in use changed.
    EnvironmentChange = "environment_change",
    /// Credentials imported into the keychain (or refused, or failed half-way).
    CredentialsImport = "credentials_import",
    /// Credentials removed from the keychain.
    CredentialsRemove = "credentials_remove",
    /// A connection test.
    ConnectionTest = "connection_test",
    /// The audit chain verified.
    AuditVerify = "audit_verify",
    /// The audit log exported.
    AuditExport = "audit_export",
    /// A page of the audit log read (all operators' records, or the reader's own).
    AuditRead = "audit_read",
    /// A card opt-out journaled, before it is sent.
    OptOutCardIntent = "opt_out_card_intent",
    /// What became of a card opt-out.
    OptOutCardOutcome = "opt_out_card_outcome",
    /// A consumer opt-out journaled, before it is sent.
    OptOutConsumerIntent = "opt_out_consumer_intent",
    /// What became of a consumer opt-out.
    OptOutConsumerOutcome = "opt_out_consumer_outcome",
    /// A card enrolment journaled, before it is sent.
    EnrolCardIntent = "enrol_card_intent",
    /// What became of a card enrolment.
    EnrolCardOutcome = "enrol_card_outcome",
    /// A card update journaled, before it is sent.
    UpdateCardIntent = "update_card_intent",
    /// What became of a card update.
    UpdateCardOutcome = "update_card_outcome",
    /// A consumer update journaled, before it is sent.
    UpdateConsumerIntent = "update_consumer_intent",
    /// What became of a consumer update.
    UpdateConsumerOutcome = "update_consumer_outcome",
    /// A token suspension journaled, before it is sent.
    SuspendTokenIntent = "suspend_token_intent",
    /// What became of a token suspension.
    SuspendTokenOutcome = "suspend_token_outcome",
    /// A token resumption journaled, before it is sent.
    ResumeTokenIntent = "resume_token_intent",
    /// What became of a token resumption.
    ResumeTokenOutcome = "resume_token_outcome",
    /// Every token of a card written at once by the fraud team (each write has its own records
    /// too): the card, which write, the reason code, and how many were written or refused.
    CardTokensWrite = "card_tokens_write",
    /// A token deletion journaled, before it is sent.
    DeleteTokenIntent = "delete_token_intent",
    /// What became of a token deletion.
    DeleteTokenOutcome = "delete_token_outcome",
    /// A search refused by the role.
    SearchDenied = "search_denied",
    /// A profile view refused by the role.
    ViewDenied = "view_denied",
    /// A card opt-out refused by the role.
    OptOutCardDenied = "optoutcard_denied",
    /// A consumer opt-out refused by the role.
    OptOutConsumerDenied = "optoutconsumer_denied",
    /// An enrolment refused by the role.
    EnrolDenied = "enrol_denied",
    /// An update refused by the role.
    UpdateDenied = "update_denied",
    /// A batch opt-out refused by the role.
    BatchOptOutDenied = "batchoptout_denied",
    /// A token write refused by the role.
    TokenWriteDenied = "tokenwrite_denied",
    /// A fraud-team token action (a fraud reason code, every token of a card, lifting the
    /// bank's fraud suspension) refused by the role.
    TokenFraudDenied = "tokenfraud_denied",
    /// An audit export refused by the role.
    AuditExportDenied = "auditexport_denied",
    /// A profile audit refused by the role.
    AuditProfilesDenied = "auditprofiles_denied",
    /// Reading every operator's audit records refused by the role.
    AuditReadDenied = "auditread_denied",
    /// Adding, replacing or removing an environment or its credentials refused by the role.
    ManageEnvironmentsDenied = "manageenvironments_denied",
    /// Recovering after a damaged file refused by the role.
    RecoverDenied = "recover_denied",
    /// The operator id or role in force changed since the last record (a policy edited, a
    /// switch between the sandbox and a configured environment): from what to what, and why.
    PolicyChange = "policy_change",
    /// A new audit chain began: the first record of every chain, naming what came before (a
    /// damaged log kept aside, by file and SHA-256, or none).
    AuditChainStart = "audit_chain_start",
    /// A chain begun before chains had ids got one (team mode turned on); its id is the
    /// record's resource.
    AuditChainId = "audit_chain_id",
    /// The team store's schema created or upgraded (`c2p team init`).
    TeamInit = "team_init",
    /// A team store login made for an operator.
    TeamLoginAdd = "team_login_add",
    /// A team store login revoked.
    TeamLoginRevoke = "team_login_revoke",
    /// This operator's team store login put in the keychain.
    TeamCredentialsImport = "team_credentials_import",
    /// A write refused before it left, in team mode: the audit trail had not reached the team
    /// store in time, the store could not be reached to claim it, or another workstation's
    /// write on the same card or consumer was under way (the result says which).
    WriteHeld = "write_held",
    /// The team's operations read from the team store (the Operations screen's team scope, a
    /// consumer's History panel, `c2p ops --team`).
    TeamOperationsRead = "team_operations_read",
    /// An administrator released a write's claim stuck in UNKNOWN in the team store.
    ClaimRelease = "claim_release",
    /// A fraud analyst declared emergency mode (why and until when, in the result).
    EmergencyStart = "emergency_start",
    /// Emergency mode ended before its time.
    EmergencyEnd = "emergency_end",
    /// A write sent unclaimed in emergency mode, the team store out of reach.
    EmergencyWrite = "emergency_write",
    /// A write sent in emergency mode, claimed once the store was back: claimed, or in the way
    /// of another workstation's write on the same target (named in the result).
    EmergencyClaim = "emergency_claim",
    /// A new operations journal began after a damaged one was kept aside (named with its hash).
    JournalRecovered = "journal_recovered",
    /// A batch opt-out made from a list.
    BatchOptOutCreated = "batch_opt_out_created",
    /// A batch's dry run.
    BatchOptOutDryRun = "batch_opt_out_dry_run",
    /// A batch run started or ended.
    BatchOptOutRun = "batch_opt_out_run",
    /// A batch whose runner stopped taken over by this workstation (from whom, in the result).
    BatchTakeover = "batch_takeover",
    /// A team batch's runner, wherever it runs, asked to pause, run again or cancel.
    BatchControl = "batch_control",
    /// A batch closed without sending the rest.
    BatchOptOutDiscarded = "batch_opt_out_discarded",
    /// A batch's report exported.
    BatchReportExport = "batch_report_export",
    /// A profile audit run.
    ProfileAudit = "profile_audit",
    /// A profile audit's report exported.
    ProfileAuditExport = "profile_audit_export",
    /// A profile audit's HTML report handed to the system's opener.
    ProfileAuditReportOpen = "profile_audit_report_open",
}

impl AuditEvent {
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
            Permission::TokenWrite => Self::TokenWriteDenied,
            Permission::TokenFraud => Self::TokenFraudDenied,
            Permission::AuditExport => Self::AuditExportDenied,
            Permission::AuditProfiles => Self::AuditProfilesDenied,
            Permission::AuditRead => Self::AuditReadDenied,
            Permission::ManageEnvironments => Self::ManageEnvironmentsDenied,
            Permission::Recover => Self::RecoverDenied,
        }
    }

    /// The event a stored name stands for; `None` for a name this version does not know.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|event| event.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_the_serialised_form_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for &event in AuditEvent::ALL {
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
