//! What a write does, and on what: the one word the journal, the findings, the role check,
//! D1's operation kinds and the audit trail share.

use d1::wire::OperationKind;
use serde::{Deserialize, Serialize};

use crate::audit_log::AuditEvent;
use crate::policy::Permission;

/// What a write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WriteKind {
    /// Opt a card out.
    OptOutCard,
    /// Opt a consumer out of every directory.
    OptOutConsumer,
    /// Enrol a card.
    EnrolCard,
    /// Push the bank's card data to the directory.
    UpdateCard,
    /// Push the bank's consumer data to the directories.
    UpdateConsumer,
    /// Suspend a card's token (a D1 digital card).
    SuspendToken,
    /// Lift the bank's suspension of a token.
    ResumeToken,
    /// Delete a token (final).
    DeleteToken,
}

/// What a write is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum WriteTarget {
    /// A card (its cardId).
    Card,
    /// A consumer (their consumerId).
    Consumer,
    /// A card's token (its digitalCardId).
    Token,
}

/// What the UI needs to know of a write kind without asking the core: which permission it
/// takes and whether it targets a card. Exported to TypeScript as the constant `WRITES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteRule {
    /// What the operator's role must allow.
    pub permission: Permission,
    /// What it is on.
    pub target: WriteTarget,
}

impl WriteKind {
    /// Every write kind.
    pub const ALL: [WriteKind; 8] = [
        Self::OptOutCard,
        Self::OptOutConsumer,
        Self::EnrolCard,
        Self::UpdateCard,
        Self::UpdateConsumer,
        Self::SuspendToken,
        Self::ResumeToken,
        Self::DeleteToken,
    ];

    /// Each kind's rule, for the UI.
    pub fn rules() -> std::collections::BTreeMap<String, WriteRule> {
        Self::ALL
            .into_iter()
            .map(|kind| {
                let rule = WriteRule {
                    permission: kind.permission(),
                    target: kind.target(),
                };
                (crate::wire_name(kind), rule)
            })
            .collect()
    }

    /// What it is on.
    pub fn target(self) -> WriteTarget {
        match self {
            Self::OptOutCard | Self::EnrolCard | Self::UpdateCard => WriteTarget::Card,
            Self::OptOutConsumer | Self::UpdateConsumer => WriteTarget::Consumer,
            Self::SuspendToken | Self::ResumeToken | Self::DeleteToken => WriteTarget::Token,
        }
    }

    /// The token action it is, for a token's write.
    pub fn token_action(self) -> Option<d1::wire::TokenAction> {
        match self {
            Self::SuspendToken => Some(d1::wire::TokenAction::Suspend),
            Self::ResumeToken => Some(d1::wire::TokenAction::Resume),
            Self::DeleteToken => Some(d1::wire::TokenAction::Delete),
            _ => None,
        }
    }

    /// What the operator's role must allow.
    pub fn permission(self) -> Permission {
        match self {
            Self::OptOutCard => Permission::OptOutCard,
            Self::OptOutConsumer => Permission::OptOutConsumer,
            Self::EnrolCard => Permission::Enrol,
            Self::UpdateCard | Self::UpdateConsumer => Permission::Update,
            Self::SuspendToken | Self::ResumeToken | Self::DeleteToken => Permission::TokenWrite,
        }
    }

    /// The kind of operation D1 lists for it.
    pub fn operation_kind(self) -> OperationKind {
        match self {
            Self::OptOutCard | Self::OptOutConsumer => OperationKind::OptOut,
            Self::EnrolCard => OperationKind::Enrolment,
            Self::UpdateCard | Self::UpdateConsumer => OperationKind::Update,
            Self::SuspendToken => OperationKind::Suspend,
            Self::ResumeToken => OperationKind::Resume,
            Self::DeleteToken => OperationKind::Delete,
        }
    }

    /// Whether the write carries the bank's record (read before it is sent).
    pub(crate) fn needs_record(self) -> bool {
        matches!(
            self,
            Self::EnrolCard | Self::UpdateCard | Self::UpdateConsumer
        )
    }

    /// The audit event of its intent, journaled before it is sent.
    pub fn intent_event(self) -> AuditEvent {
        match self {
            Self::OptOutCard => AuditEvent::OptOutCardIntent,
            Self::OptOutConsumer => AuditEvent::OptOutConsumerIntent,
            Self::EnrolCard => AuditEvent::EnrolCardIntent,
            Self::UpdateCard => AuditEvent::UpdateCardIntent,
            Self::UpdateConsumer => AuditEvent::UpdateConsumerIntent,
            Self::SuspendToken => AuditEvent::SuspendTokenIntent,
            Self::ResumeToken => AuditEvent::ResumeTokenIntent,
            Self::DeleteToken => AuditEvent::DeleteTokenIntent,
        }
    }

    /// The audit event of what became of it.
    pub fn outcome_event(self) -> AuditEvent {
        match self {
            Self::OptOutCard => AuditEvent::OptOutCardOutcome,
            Self::OptOutConsumer => AuditEvent::OptOutConsumerOutcome,
            Self::EnrolCard => AuditEvent::EnrolCardOutcome,
            Self::UpdateCard => AuditEvent::UpdateCardOutcome,
            Self::UpdateConsumer => AuditEvent::UpdateConsumerOutcome,
            Self::SuspendToken => AuditEvent::SuspendTokenOutcome,
            Self::ResumeToken => AuditEvent::ResumeTokenOutcome,
            Self::DeleteToken => AuditEvent::DeleteTokenOutcome,
        }
    }
}
