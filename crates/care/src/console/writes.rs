//! Writes: opt out, enrol or update a card or consumer, and what an opt-out would remove or an
//! update would change.

use super::Console;
use crate::journal::{BatchLink, Entry};
use crate::writes::kind::WriteTarget;
use crate::writes::send::{Writer, Written};
use crate::writes::{Change, Removal, WriteKind, WriteRequest, removals, update_preview};
use crate::{Error, Result};

impl Console {
    /// Does `request`: role check, intent journaled, one D1 call, outcome journaled and audited.
    /// Returns the journal entry (PENDING, SUCCESSFUL, FAILED or UNKNOWN).
    pub async fn write(&self, request: WriteRequest) -> Result<Entry> {
        Ok(self.write_linked(request, None).await?.entry)
    }

    /// [`Console::write`] for a batch item (`link`), also telling when D1 asked to slow down.
    async fn write_linked(
        &self,
        request: WriteRequest,
        link: Option<&BatchLink>,
    ) -> Result<Written> {
        self.refuse_personal_data_as_id(request.kind.permission(), &request.target)?;
        if let Some(reason) = &request.reason {
            crate::privacy::refuse_personal_data_in_reason(reason)?;
        }
        let permit = self.authorise(request.kind.permission(), Some(&request.target))?;
        let session = self.session().await?;
        if request.kind.target() == WriteTarget::Token {
            self.check_token_write(&request, &session).await?;
        }
        let (claims, emergency) = match self.team_claims(&session).await {
            Ok(claims) => (claims, None),
            // Emergency mode (a fraud analyst's): the write goes out unclaimed, flagged.
            Err(error @ Error::ClaimUnavailable(_)) => match self.emergency_for(&permit)? {
                Some(emergency) => (None, Some(emergency)),
                None => return Err(self.held(&permit, &request.target, error)?),
            },
            Err(error) => return Err(self.held(&permit, &request.target, error)?),
        };
        let writer = Writer {
            journal: &self.journal,
            session: &session,
            in_flight: &self.in_flight,
            audit: self.recorder(&permit),
            claims: claims.as_ref(),
            emergency: emergency.as_ref(),
        };
        writer.write(&permit, request, link).await
    }

    /// Records that a write on `target` was refused before anything was journaled (`error`
    /// says why), and gives the error back.
    fn held(&self, permit: &crate::policy::Permit, target: &str, error: Error) -> Result<Error> {
        self.recorder(permit).record(
            crate::audit_log::AuditEvent::WriteHeld,
            Some(target),
            &format!("refused: {error}"),
        )?;
        Ok(error)
    }

    /// What opting out `card_id` (or, with `None`, the whole consumer `consumer_id`) would
    /// remove, per directory, read from D1 now.
    pub async fn opt_out_preview(
        &self,
        consumer_id: &str,
        card_id: Option<&str>,
    ) -> Result<Vec<Removal>> {
        if let Some(card_id) = card_id {
            self.refuse_personal_data_as_id(crate::policy::Permission::View, card_id)?;
        }
        let view = self.consumer_view(consumer_id).await?;
        Ok(removals(&view, card_id))
    }

    /// What updating the directories from the bank's record would change, per directory: the
    /// consumer's details (`UpdateConsumer` of a consumerId) or one card's (`UpdateCard` of a
    /// cardId, whose consumer the bank's records name).
    pub async fn update_preview(&self, kind: WriteKind, target: &str) -> Result<Vec<Change>> {
        self.refuse_personal_data_as_id(crate::policy::Permission::View, target)?;
        match kind {
            WriteKind::UpdateConsumer => {
                let view = self.consumer_view(target).await?;
                Ok(update_preview::changes(&view, None))
            }
            WriteKind::UpdateCard => {
                d1::CardId::new(target)?;
                let session = self.session().await?;
                let owner = session.records.consumer_of_card(target).await?;
                let view = self.consumer_view(&owner).await?;
                let known = view
                    .bank_record()
                    .is_some_and(|record| record.cards.iter().any(|c| c.card_id == target));
                if !known {
                    return Err(Error::NotFound(format!(
                        "the bank's records know no card {target}"
                    )));
                }
                Ok(update_preview::changes(&view, Some(target)))
            }
            other => Err(Error::InvalidInput(format!(
                "{other:?} is not an update: nothing to preview"
            ))),
        }
    }
}
