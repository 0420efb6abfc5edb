//! What parties other than the bank do to a card's tokens: a merchant gateway tokenizing a card
//! and deleting its own token (D1 eCom Enablement), and a card deleted, which deletes its tokens
//! and takes it out of Click to Pay. Each ends at once and is listed under its requestor.

use super::{Action, Operation, World};
use crate::error::ApiError;
use crate::model::AccountStatus;
use crate::tokens::{DigitalCard, MERCHANTS, Party, TokenState, TokenType, TokenWrite};

impl World {
    /// Merchant `merchant_id`, behind gateway `gateway_id`, tokenizes the card of test PAN `pan`
    /// expiring `expiry` (MMYY): a new active card-on-file token, in the issuer's list of that
    /// card's digital cards at once.
    pub fn tokenize(
        &mut self,
        gateway_id: &str,
        merchant_id: &str,
        pan: &str,
        expiry: &str,
    ) -> Result<DigitalCard, ApiError> {
        let (_, merchant, _, requestor_id) = merchant_of(gateway_id, merchant_id)?;
        let card_id = self
            .test_pans
            .get(pan)
            .ok_or_else(|| ApiError::invalid_field("card.pan"))?;
        let card = self
            .bank_holder_of_card(card_id)
            .and_then(|consumer| consumer.cards.iter().find(|c| &c.card_id == card_id))
            .expect("a test PAN is of a card the bank holds")
            .clone();
        if card.expiry != expiry {
            return Err(ApiError::invalid_field("card.expiryDate"));
        }
        if card.status != AccountStatus::Open {
            return Err(ApiError::forbidden(format!(
                "the card ending {} is not an open account",
                card.last4
            )));
        }
        let base = format!("dc-{}-g", card.card_id.trim_start_matches("crd-"));
        let id = (1..)
            .map(|n| format!("{base}{n}"))
            .find(|id| !self.tokens.contains_key(id))
            .expect("a free id");
        let now = self.now();
        let mut token = crate::tokens::click_to_pay_token(&card, &id, &now);
        token.token_type = TokenType::CardOnFile;
        token.token_requestor_id = requestor_id.to_owned();
        token.token_requestor_name = merchant.to_owned();
        token.merchant_gateway_id = Some(gateway_id.to_owned());
        token.merchant_id = Some(merchant_id.to_owned());
        self.card_tokens
            .entry(card.card_id.clone())
            .or_default()
            .push(id.clone());
        self.tokens.insert(id, token.clone());
        Ok(token)
    }

    /// Token `token_id` of merchant `merchant_id` behind gateway `gateway_id`; another
    /// merchant's token is unknown to it.
    pub fn gateway_token(
        &self,
        gateway_id: &str,
        merchant_id: &str,
        token_id: &str,
    ) -> Result<DigitalCard, ApiError> {
        merchant_of(gateway_id, merchant_id)?;
        self.tokens
            .get(token_id)
            .filter(|t| held_by(t, gateway_id, merchant_id))
            .cloned()
            .ok_or_else(|| ApiError::not_found("token", token_id))
    }

    /// Every token merchant `merchant_id` behind gateway `gateway_id` holds, the deleted ones too.
    pub fn gateway_tokens(
        &self,
        gateway_id: &str,
        merchant_id: &str,
    ) -> Result<Vec<DigitalCard>, ApiError> {
        merchant_of(gateway_id, merchant_id)?;
        Ok(self
            .tokens
            .values()
            .filter(|t| held_by(t, gateway_id, merchant_id))
            .cloned()
            .collect())
    }

    /// The merchant deletes its own token: a `DELETE` operation by `TSP`, the merchant's token
    /// requestor id as its `requestorId`.
    pub fn gateway_delete(
        &mut self,
        gateway_id: &str,
        merchant_id: &str,
        token_id: &str,
    ) -> Result<Operation, ApiError> {
        let token = self.gateway_token(gateway_id, merchant_id, token_id)?;
        if token.state == TokenState::Deleted {
            return Err(ApiError::forbidden(format!("token {token_id} is deleted")));
        }
        let action = Action::Token {
            digital_card_id: token_id.to_owned(),
            write: TokenWrite::Delete,
            by: Party::TokenRequestor,
        };
        Ok(self.done(action, "TSP", Some(token.token_requestor_id)))
    }

    /// Card `card_id` is deleted (in D1's portal): each of its live tokens is deleted, then the
    /// card leaves Click to Pay, each an operation by `D1`. Returns them, the card's last.
    pub fn delete_card(&mut self, card_id: &str) -> Result<Vec<Operation>, ApiError> {
        let live: Vec<String> = self
            .digital_cards(card_id)?
            .into_iter()
            .filter(|t| t.state != TokenState::Deleted)
            .map(|t| t.digital_card_id)
            .collect();
        let mut done: Vec<Operation> = live
            .into_iter()
            .map(|digital_card_id| {
                let action = Action::Token {
                    digital_card_id,
                    write: TokenWrite::Delete,
                    by: Party::Issuer,
                };
                self.done(action, "D1", None)
            })
            .collect();
        let card = Action::DeleteCard {
            card_id: card_id.to_owned(),
        };
        done.push(self.done(card, "D1", None));
        Ok(done)
    }

    /// Applies `action` by `requestor_type` at once and records it, ended.
    fn done(
        &mut self,
        action: Action,
        requestor_type: &'static str,
        requestor_id: Option<String>,
    ) -> Operation {
        let outcome = self.apply(&action);
        let mut operation = self.new_operation(action, requestor_type, requestor_id);
        operation.settle(outcome, operation.start_time.clone());
        self.record(operation.clone());
        operation
    }
}

/// Merchant `merchant_id` of gateway `gateway_id`: (id, name, gateway, token requestor id).
fn merchant_of(
    gateway_id: &str,
    merchant_id: &str,
) -> Result<(&'static str, &'static str, &'static str, &'static str), ApiError> {
    MERCHANTS
        .iter()
        .find(|(id, _, gateway, _)| *id == merchant_id && *gateway == gateway_id)
        .copied()
        .ok_or_else(|| ApiError::not_found("merchant", merchant_id))
}

/// Whether `token` is held by merchant `merchant_id` behind gateway `gateway_id`.
fn held_by(token: &DigitalCard, gateway_id: &str, merchant_id: &str) -> bool {
    token.merchant_gateway_id.as_deref() == Some(gateway_id)
        && token.merchant_id.as_deref() == Some(merchant_id)
}
