//! What a write does: the one word the journal, the findings, the role check, D1's operation
//! kinds and the audit trail share.

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
}

/// What the UI needs to know of a write kind without asking the core: which permission it
/// takes and whether it targets a card. Exported to TypeScript as the constant `WRITES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteRule {
    /// What the operator's role must allow.
    pub permission: Permission,
    /// Whether it targets a card (else a consumer).
    pub card: bool,
}

impl WriteKind {
    /// Every write kind.
    pub const ALL: [WriteKind; 5] = [
        Self::OptOutCard,
        Self::OptOutConsumer,
        Self::EnrolCard,
        Self::UpdateCard,
        Self::UpdateConsumer,
    ];

    /// Each kind's rule, for the UI.
    pub fn rules() -> std::collections::BTreeMap<String, WriteRule> {
        Self::ALL
            .into_iter()
            .map(|kind| {
                let rule = WriteRule {
                    permission: kind.permission(),
                    card: kind.is_card(),
                };
                (crate::wire_name(kind), rule)
            })
            .collect()
    }

    /// Whether it targets a card (else a consumer).
    pub fn is_card(self) -> bool {
        matches!(self, Self::OptOutCard | Self::EnrolCard | Self::UpdateCard)
    }

    /// What the operator's role must allow.
    pub fn permission(self) -> Permission {
        match self {
            Self::OptOutCard => Permission::OptOutCard,
            Self::OptOutConsumer => Permission::OptOutConsumer,
            Self::EnrolCard => Permission::Enrol,
            Self::UpdateCard | Self::UpdateConsumer => Permission::Update,
        }
    }

    /// The kind of operation D1 lists for it.
    pub fn operation_kind(self) -> OperationKind {
        match self {
            Self::OptOutCard | Self::OptOutConsumer => OperationKind::OptOut,
            Self::EnrolCard => OperationKind::Enrolment,
            Self::UpdateCard | Self::UpdateConsumer => OperationKind::Update,
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
        }
    }
}
