//! A card's tokens, read from D1 for an operator.

use super::Console;
use crate::audit_log::AuditEvent;
use crate::batch::preview::consumer_of_card;
use crate::policy::Permission;
use crate::tokens::CardTokens;
use crate::{Error, Result};

impl Console {
    /// Card `card_id`'s tokens (Click to Pay, wallets, merchants), the deleted ones too. The card
    /// must be one the bank's records hold. Recorded (the card and how many tokens, never a
    /// device's name).
    pub async fn card_tokens(&self, card_id: &str) -> Result<CardTokens> {
        self.refuse_personal_data_as_id(Permission::View, card_id)?;
        let card = d1::CardId::new(card_id)?;
        let permit = self.authorise(Permission::View, Some(card_id))?;
        let session = self.session().await?;
        let found = session.records.search(card_id, 1).await?;
        let recorder = self.recorder(&permit);
        if let Err(error) = consumer_of_card(card_id, found) {
            recorder.record(AuditEvent::TokensView, Some(card_id), "not found")?;
            return Err(error);
        }
        let read = session.d1.digital_cards(&card, d1::Call::default()).await;
        let correlation_id = match &read {
            Ok(response) => Some(response.correlation_id.as_str().to_owned()),
            Err(error) => error.correlation_id().map(|c| c.as_str().to_owned()),
        };
        let read = read.map_err(Error::from);
        let result = match &read {
            Ok(response) => format!("ok; {} tokens", response.value.digital_cards.len()),
            Err(error) => format!("{:?}", error.code()),
        };
        recorder.record_call(
            AuditEvent::TokensView,
            Some(card_id),
            &result,
            None,
            correlation_id.as_deref(),
        )?;
        let tokens = read?.value.digital_cards;
        Ok(CardTokens::grouped(card_id, tokens))
    }
}
