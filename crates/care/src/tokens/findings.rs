//! What is wrong with a consumer's tokens, from the bank's record, the directories' profiles and
//! each card's tokens: a token still usable on a card the bank closed or blocked, a Click to Pay
//! token missing or deleted while a directory still lists its card, and a token another party
//! suspended (which the bank cannot lift).

use d1::wire::Profiles;
use serde::Serialize;

use super::{CardTokens, Token};
use crate::bank::{AccountStatus, IssuerConsumer};
use crate::profile::Severity;
use crate::writes::WriteKind;

/// What kind of token problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenFindingKind {
    /// A wallet's or merchant's token still active on a card the bank closed or blocked.
    ActiveTokenOnClosedCard,
    /// A directory lists the card under a Click to Pay token D1 does not have.
    ClickToPayTokenMissing,
    /// A directory lists the card while its Click to Pay token is deleted.
    ClickToPayTokenDeleted,
    /// Another party (the wallet, the merchant, the cardholder) suspended the token: only it
    /// may lift that suspension.
    SuspendedByAnotherParty,
}

/// One token problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TokenFinding {
    /// What kind.
    pub kind: TokenFindingKind,
    /// How much it matters.
    pub severity: Severity,
    /// The card.
    pub card_id: String,
    /// The token, when there is one.
    pub digital_card_id: Option<String>,
    /// The directory listing the card, for a Click to Pay finding.
    pub directory: Option<String>,
    /// What the console suggests, if anything is the bank's to do.
    pub action: Option<WriteKind>,
}

/// The findings on `cards`' tokens (those read; a card whose tokens could not be read has
/// none), given the bank's `record` and the directories' `profiles`, most serious first.
pub fn findings(
    record: Option<&IssuerConsumer>,
    profiles: Option<&Profiles>,
    cards: &[CardTokens],
) -> Vec<TokenFinding> {
    let mut found = Vec::new();
    let finding = |kind, severity, card: &str, token: Option<&Token>| TokenFinding {
        kind,
        severity,
        card_id: card.to_owned(),
        digital_card_id: token.map(|t| t.digital_card_id.clone()),
        directory: None,
        action: None,
    };
    for card in cards.iter().filter(|c| c.problem.is_none()) {
        let closed = record
            .and_then(|r| r.cards.iter().find(|c| c.card_id == card.card_id))
            .is_some_and(|c| c.status != AccountStatus::Open);
        let held = card
            .wallets
            .iter()
            .chain(&card.merchants)
            .chain(&card.other);
        for token in held {
            if closed && token.state == "ACTIVE" {
                found.push(TokenFinding {
                    action: Some(WriteKind::DeleteToken),
                    ..finding(
                        TokenFindingKind::ActiveTokenOnClosedCard,
                        Severity::Critical,
                        &card.card_id,
                        Some(token),
                    )
                });
            }
        }
        for token in card.all() {
            if token.state == "SUSPENDED" && token.suspended_by.iter().any(|p| p != "ISSUER") {
                found.push(finding(
                    TokenFindingKind::SuspendedByAnotherParty,
                    Severity::Info,
                    &card.card_id,
                    Some(token),
                ));
            }
        }
        let listings = profiles
            .into_iter()
            .flat_map(|p| &p.profiles)
            .flat_map(|profile| {
                profile
                    .cards
                    .iter()
                    .filter(|c| c.card_id == card.card_id)
                    .map(move |c| (String::from(profile.scheme.clone()), c))
            });
        for (directory, listed) in listings {
            let Some(id) = listed.digital_card_id.as_deref() else {
                continue;
            };
            let token = card.click_to_pay.iter().find(|t| t.digital_card_id == id);
            let (kind, severity, action) = match token {
                None => (
                    TokenFindingKind::ClickToPayTokenMissing,
                    Severity::Warning,
                    None,
                ),
                Some(token) if token.state == "DELETED" => (
                    TokenFindingKind::ClickToPayTokenDeleted,
                    Severity::Critical,
                    Some(WriteKind::OptOutCard),
                ),
                Some(_) => continue,
            };
            found.push(TokenFinding {
                digital_card_id: Some(id.to_owned()),
                directory: Some(directory),
                action,
                ..finding(kind, severity, &card.card_id, None)
            });
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.severity));
    found
}
