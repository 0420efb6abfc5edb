//! A card's tokens (D1 digital cards) as the console shows them: grouped as Click to Pay, wallets
//! (a device) and merchants (card on file, a merchant gateway). Device names are personal data:
//! they reach the operator's screen, never the logs or the audit trail.

use d1::wire::{DigitalCard, TokenType};
use serde::{Deserialize, Serialize};

use crate::profile::model::Problem;

pub mod findings;
pub mod rules;

pub use findings::{TokenFinding, TokenFindingKind};

/// Why a token is suspended, resumed or deleted: the contract's reason codes. An agent uses the
/// ones a customer reports; the fraud team also the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenReason {
    /// The customer asked.
    UserDecision,
    /// The customer lost the device.
    DeviceLost,
    /// The customer's device was stolen.
    DeviceStolen,
    /// The customer found the device again.
    DeviceFound,
    /// The bank found fraud.
    FraudDetected,
    /// The card was lost.
    CardLost,
    /// The card was stolen.
    CardStolen,
    /// The bank decided.
    IssuerDecision,
}

impl TokenReason {
    /// Every reason code, the customer's first.
    pub const ALL: [TokenReason; 8] = [
        Self::UserDecision,
        Self::DeviceLost,
        Self::DeviceStolen,
        Self::DeviceFound,
        Self::FraudDetected,
        Self::CardLost,
        Self::CardStolen,
        Self::IssuerDecision,
    ];

    /// Whether it is one a customer reports, which an agent may use (the others are the fraud
    /// team's, [`crate::policy::Permission::TokenFraud`]).
    pub fn customer_reported(self) -> bool {
        matches!(
            self,
            Self::UserDecision | Self::DeviceLost | Self::DeviceStolen | Self::DeviceFound
        )
    }

    /// The reason code D1 takes.
    pub fn to_wire(self) -> d1::wire::TokenReasonCode {
        use d1::wire::TokenReasonCode as Code;
        match self {
            Self::UserDecision => Code::UserDecision,
            Self::DeviceLost => Code::DeviceLost,
            Self::DeviceStolen => Code::DeviceStolen,
            Self::DeviceFound => Code::DeviceFound,
            Self::FraudDetected => Code::FraudDetected,
            Self::CardLost => Code::CardLost,
            Self::CardStolen => Code::CardStolen,
            Self::IssuerDecision => Code::IssuerDecision,
        }
    }

    /// Each reason code, and whether an agent may use it (else only the fraud team), for the
    /// UI: exported to TypeScript as the constant `TOKEN_REASONS`.
    pub fn rules() -> std::collections::BTreeMap<String, bool> {
        Self::ALL
            .into_iter()
            .map(|reason| (crate::wire_name(reason), reason.customer_reported()))
            .collect()
    }

    /// The reason code of `text` as D1 spells it, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| crate::wire_name(*r) == text)
    }
}

/// One token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// Its digitalCardId.
    pub digital_card_id: String,
    /// `ACTIVE`, `SUSPENDED`, `DELETED`, or what D1 said.
    pub state: String,
    /// The token's own last four digits (never the card's).
    pub last4: Option<String>,
    /// The token's expiry, MMYY.
    pub expiry_date: Option<String>,
    /// Who asked for it: the wallet, the merchant, or the network's Click to Pay.
    pub requestor_name: Option<String>,
    /// That requestor's id (what D1's operations name it by).
    pub requestor_id: Option<String>,
    /// The device's name, for a wallet token (personal data).
    pub device_name: Option<String>,
    /// The kind of device, for a wallet token.
    pub device_type: Option<String>,
    /// The merchant holding it, for a merchant's token.
    pub merchant_id: Option<String>,
    /// The merchant gateway that asked for it, for a merchant's token.
    pub merchant_gateway_id: Option<String>,
    /// Who has it suspended (`ISSUER`, `TOKEN_REQUESTOR`, `CARDHOLDER`).
    pub suspended_by: Vec<String>,
    /// When it last changed (D1's time).
    pub updated_at: Option<String>,
}

impl From<DigitalCard> for Token {
    fn from(token: DigitalCard) -> Self {
        Self {
            digital_card_id: token.digital_card_id,
            state: token.state.into(),
            last4: token.last4,
            expiry_date: token.expiry_date,
            requestor_name: token.token_requestor_name,
            requestor_id: token.token_requestor_id,
            device_name: token.device_name,
            device_type: token.device_type,
            merchant_id: token.merchant_id,
            merchant_gateway_id: token.merchant_gateway_id,
            suspended_by: token.suspended_by.into_iter().map(String::from).collect(),
            updated_at: token.updated_at,
        }
    }
}

/// A card's tokens, grouped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CardTokens {
    /// The card.
    pub card_id: String,
    /// Its Click to Pay tokens (one while enrolled; deleted ones stay listed).
    pub click_to_pay: Vec<Token>,
    /// Its wallet tokens, one per device.
    pub wallets: Vec<Token>,
    /// Its merchants' card-on-file tokens.
    pub merchants: Vec<Token>,
    /// Tokens of a kind this console does not know yet.
    pub other: Vec<Token>,
    /// Why the card's tokens could not be read (the groups are then empty).
    pub problem: Option<Problem>,
}

impl CardTokens {
    /// `tokens` of card `card_id`, grouped by what holds them, each group in D1's order.
    pub fn grouped(card_id: &str, tokens: Vec<DigitalCard>) -> Self {
        let mut grouped = Self {
            card_id: card_id.to_owned(),
            click_to_pay: Vec::new(),
            wallets: Vec::new(),
            merchants: Vec::new(),
            other: Vec::new(),
            problem: None,
        };
        for token in tokens {
            let group = match token.token_type {
                TokenType::ClickToPay => &mut grouped.click_to_pay,
                TokenType::Wallet => &mut grouped.wallets,
                TokenType::CardOnFile => &mut grouped.merchants,
                TokenType::Unknown(_) => &mut grouped.other,
            };
            group.push(Token::from(token));
        }
        grouped
    }

    /// Card `card_id`, whose tokens could not be read (`problem` says why).
    pub fn unread(card_id: &str, problem: Problem) -> Self {
        Self {
            problem: Some(problem),
            ..Self::grouped(card_id, Vec::new())
        }
    }

    /// How many tokens there are, in every group.
    pub fn count(&self) -> usize {
        self.click_to_pay.len() + self.wallets.len() + self.merchants.len() + self.other.len()
    }

    /// Every token, group after group.
    pub fn all(&self) -> impl Iterator<Item = &Token> {
        self.click_to_pay
            .iter()
            .chain(&self.wallets)
            .chain(&self.merchants)
            .chain(&self.other)
    }
}

/// The tokens of `card` that `action` for `reason` acts on: not deleted; for a suspension, not
/// suspended by the bank already, unless `reason` is the fraud team's (its suspension goes over
/// the bank's own, which only it then lifts); for a deletion, never a Click to Pay token (that
/// is the card's opt-out); of merchant or token requestor `filter` only, when given.
pub fn acted_on<'a>(
    card: &'a CardTokens,
    (action, reason): (crate::journal::BatchAction, TokenReason),
    filter: Option<&str>,
) -> Vec<&'a Token> {
    use crate::journal::BatchAction;
    if action == BatchAction::OptOut {
        return Vec::new();
    }
    let deleting = action == BatchAction::DeleteTokens;
    let of_filter = |token: &Token| match filter {
        None => true,
        Some(filter) => {
            token.merchant_id.as_deref() == Some(filter)
                || token.requestor_id.as_deref() == Some(filter)
        }
    };
    let click_to_pay = |token: &Token| {
        card.click_to_pay
            .iter()
            .any(|t| t.digital_card_id == token.digital_card_id)
    };
    card.all()
        .filter(|t| t.state != "DELETED")
        .filter(|t| !(deleting && click_to_pay(t)))
        .filter(|t| {
            deleting || !reason.customer_reported() || !t.suspended_by.iter().any(|p| p == "ISSUER")
        })
        .filter(|t| of_filter(t))
        .collect()
}

/// A consumer's cards' tokens, each card read on its own, and what is wrong with them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerTokens {
    /// The consumer.
    pub consumer_id: String,
    /// Each card the bank's record holds, in its order.
    pub cards: Vec<CardTokens>,
    /// What is wrong, most serious first.
    pub findings: Vec<TokenFinding>,
    /// Whether the findings cover everything: every card's tokens and every directory read.
    pub complete: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: &str, kind: &str) -> DigitalCard {
        serde_json::from_value(serde_json::json!({
            "digitalCardId": id, "cardId": "crd-1", "state": "ACTIVE", "tokenType": kind,
            "suspendedBy": ["TOKEN_REQUESTOR"]
        }))
        .unwrap()
    }

    #[test]
    fn tokens_are_grouped_by_what_holds_them_and_an_unknown_kind_is_kept() {
        let grouped = CardTokens::grouped(
            "crd-1",
            vec![
                token("dc-1", "WALLET"),
                token("dc-2", "CLICK_TO_PAY"),
                token("dc-3", "CARD_ON_FILE"),
                token("dc-4", "WALLET"),
                token("dc-5", "SMART_FRIDGE"),
            ],
        );
        let ids = |group: &[Token]| {
            group
                .iter()
                .map(|t| t.digital_card_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&grouped.click_to_pay), ["dc-2"]);
        assert_eq!(ids(&grouped.wallets), ["dc-1", "dc-4"]);
        assert_eq!(ids(&grouped.merchants), ["dc-3"]);
        assert_eq!(ids(&grouped.other), ["dc-5"]);
        assert_eq!(grouped.count(), 5);
        assert_eq!(grouped.wallets[0].suspended_by, ["TOKEN_REQUESTOR"]);
    }
}
