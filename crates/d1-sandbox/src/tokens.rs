//! Digital cards (tokens) of the seeded cards, in the JSON of the contract's "Digital cards
//! (tokens), issuer side": each enrolled card's Click to Pay token (the profile card's
//! `digitalCardId`), wallet tokens on named devices, and merchants' card-on-file tokens behind
//! merchant gateways; and the rules a write on one follows.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

use crate::model::{AccountStatus, IssuerCard, IssuerConsumer, Scheme};
use crate::seed::Population;

/// Where a token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenState {
    /// Usable.
    Active,
    /// Suspended by one party or more (`suspendedBy`).
    Suspended,
    /// Gone for good.
    Deleted,
}

/// What holds a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenType {
    /// The network's Click to Pay directory.
    ClickToPay,
    /// A wallet on a device.
    Wallet,
    /// A merchant, card on file.
    CardOnFile,
}

/// A party that may suspend a token, and lift only its own suspension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Party {
    /// The bank.
    Issuer,
    /// The wallet or merchant that asked for the token.
    TokenRequestor,
    /// The cardholder, in their wallet.
    Cardholder,
}

/// A write on a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenWrite {
    /// Suspend it.
    Suspend,
    /// Lift the writer's own suspension.
    Resume,
    /// Delete it (final).
    Delete,
}

/// Why a write on a token is refused (403 in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The token is deleted: nothing more is done to it.
    Deleted,
    /// The writer did not suspend it, so it has no suspension of its own to lift.
    NotSuspendedBy(Party),
}

/// A digital card as the issuer's digital-card API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DigitalCard {
    /// Its id (`^[A-Za-z0-9_-]{1,64}$`).
    pub digital_card_id: String,
    /// The card it is a token of.
    pub card_id: String,
    /// Where it stands.
    pub state: TokenState,
    /// The card's network.
    pub scheme: Scheme,
    /// What holds it.
    pub token_type: TokenType,
    /// The token's own last four digits (never the card's).
    pub last4: String,
    /// The token's expiry, MMYY.
    pub expiry_date: String,
    /// The token requestor's id.
    pub token_requestor_id: String,
    /// The token requestor's name: the wallet, the merchant, or the network's Click to Pay.
    pub token_requestor_name: String,
    /// The device's name (personal data), for a wallet token.
    pub device_name: Option<String>,
    /// `PHONE` or `WATCH`, for a wallet token.
    pub device_type: Option<String>,
    /// The merchant gateway that asked for it, for a merchant's token.
    pub merchant_gateway_id: Option<String>,
    /// The merchant holding it, for a merchant's token.
    pub merchant_id: Option<String>,
    /// Who has it suspended.
    pub suspended_by: Vec<Party>,
    /// When it was made.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl DigitalCard {
    /// Applies `write` by `party` at `now`. Several parties may suspend one token, and it is
    /// active again only once each has lifted its own suspension; a party lifts only its own.
    /// A deleted token takes no write.
    pub fn apply(&mut self, write: TokenWrite, party: Party, now: &str) -> Result<(), Refusal> {
        if self.state == TokenState::Deleted {
            return Err(Refusal::Deleted);
        }
        match write {
            TokenWrite::Suspend => {
                if !self.suspended_by.contains(&party) {
                    self.suspended_by.push(party);
                    self.suspended_by.sort();
                }
                self.state = TokenState::Suspended;
            }
            TokenWrite::Resume => {
                if !self.suspended_by.contains(&party) {
                    return Err(Refusal::NotSuspendedBy(party));
                }
                self.suspended_by.retain(|p| *p != party);
                if self.suspended_by.is_empty() {
                    self.state = TokenState::Active;
                }
            }
            TokenWrite::Delete => {
                self.state = TokenState::Deleted;
                self.suspended_by.clear();
            }
        }
        self.updated_at = now.to_owned();
        Ok(())
    }
}

/// A merchant holding cards on file: (merchantId, name, merchantGatewayId, token requestor id).
pub const MERCHANTS: [(&str, &str, &str, &str); 4] = [
    ("MER0000001", "Sakura Books", "MGW_000001", "40010099001"),
    ("MER0000002", "Fuji Travel", "MGW_000001", "40010099002"),
    ("MER0000003", "Kumo Streaming", "MGW_000002", "40010099003"),
    ("MER0000004", "Hoshi Mobile", "MGW_000002", "40010099004"),
];
/// The merchant gateways of [`MERCHANTS`], each once.
pub fn gateway_ids() -> Vec<&'static str> {
    let mut ids: Vec<&str> = MERCHANTS
        .iter()
        .map(|(_, _, gateway, _)| *gateway)
        .collect();
    ids.dedup();
    ids
}

/// The wallets: (name, token requestor id, device name after the holder's, device type).
const WALLETS: [(&str, &str, &str, &str); 3] = [
    ("Apple Pay", "40010075001", "iPhone", "PHONE"),
    ("Google Pay", "40010075338", "Pixel", "PHONE"),
    ("Apple Pay", "40010075001", "Apple Watch", "WATCH"),
];
/// One enrolled card in this many has its Click to Pay token deleted while its directory
/// still lists it; one in [`C2P_MISSING_EVERY`] has none at all.
pub const C2P_DELETED_EVERY: u64 = 10;
/// See [`C2P_DELETED_EVERY`].
pub const C2P_MISSING_EVERY: u64 = 23;

/// Every token of every card of `population`, by digitalCardId, the same for the same `seed`.
pub fn generate(seed: u64, population: &Population) -> BTreeMap<String, DigitalCard> {
    let mut tokens = BTreeMap::new();
    for consumer in population.bank.values() {
        for card in &consumer.cards {
            for token in card_tokens(seed, population, consumer, card) {
                tokens.insert(token.digital_card_id.clone(), token);
            }
        }
    }
    tokens
}

/// The tokens of `consumer`'s `card`, from a generator of its own (the population's stays as
/// it was).
fn card_tokens(
    seed: u64,
    population: &Population,
    consumer: &IssuerConsumer,
    card: &IssuerCard,
) -> Vec<DigitalCard> {
    let mut rng = StdRng::seed_from_u64(seed ^ fnv1a(&card.card_id));
    let tail = card.card_id.trim_start_matches("crd-");
    let made = format!(
        "2026-{:02}-{:02}T09:{:02}:00.000Z",
        rng.random_range(1..=10),
        rng.random_range(1..=28),
        rng.random_range(0..60)
    );
    // A wallet's or a merchant's token, made like a Click to Pay token.
    let token = |rng: &mut StdRng, id: String, token_type, requestor: (&str, &str)| DigitalCard {
        token_type,
        last4: format!("{:04}", rng.random_range(0..10_000)),
        token_requestor_id: requestor.1.to_owned(),
        token_requestor_name: requestor.0.to_owned(),
        ..click_to_pay_token(card, &id, &made)
    };
    let mut tokens = Vec::new();
    let listed = population
        .directories
        .get(&card.scheme)
        .and_then(|profiles| profiles.get(&consumer.consumer_id))
        .and_then(|profile| profile.cards.iter().find(|c| c.card_id == card.card_id));
    let situation = rng.random_range(0..C2P_DELETED_EVERY * C2P_MISSING_EVERY);
    if let Some(listed) = listed
        && situation % C2P_MISSING_EVERY != 0
    {
        let mut c2p = click_to_pay_token(card, &listed.digital_card_id, &made);
        if situation % C2P_DELETED_EVERY == 0 {
            c2p.state = TokenState::Deleted;
        }
        tokens.push(c2p);
    }
    // A closed or blocked card keeps at least one wallet token: the finding "active token on
    // a card closed at the bank".
    let closed = card.status != AccountStatus::Open;
    let wallets = rng.random_range(usize::from(closed)..=2);
    for n in 0..wallets {
        let (wallet, requestor_id, device, kind) = WALLETS[rng.random_range(0..WALLETS.len())];
        let mut held = token(
            &mut rng,
            format!("dc-{tail}-w{n}"),
            TokenType::Wallet,
            (wallet, requestor_id),
        );
        held.device_name = Some(format!("{}'s {device}", consumer.name_latin.first));
        held.device_type = Some(kind.to_owned());
        if rng.random_range(0..8) == 0 && !closed {
            held.state = TokenState::Suspended;
            held.suspended_by = vec![Party::TokenRequestor];
        }
        tokens.push(held);
    }
    let merchants = rng.random_range(0..=2);
    for n in 0..merchants {
        let (merchant, name, gateway, requestor_id) =
            MERCHANTS[rng.random_range(0..MERCHANTS.len())];
        let mut held = token(
            &mut rng,
            format!("dc-{tail}-m{n}"),
            TokenType::CardOnFile,
            (name, requestor_id),
        );
        held.merchant_gateway_id = Some(gateway.to_owned());
        held.merchant_id = Some(merchant.to_owned());
        if rng.random_range(0..6) == 0 {
            held.state = TokenState::Deleted;
        }
        tokens.push(held);
    }
    tokens
}

/// The active Click to Pay token `id` of `card`, enrolled `now`.
pub fn click_to_pay_token(card: &IssuerCard, id: &str, now: &str) -> DigitalCard {
    let mut rng = StdRng::seed_from_u64(fnv1a(id));
    let (name, requestor) = match card.scheme {
        Scheme::Visa => ("Visa Click to Pay", "40010030273"),
        Scheme::Mastercard => ("Mastercard Click to Pay", "50120834693"),
    };
    DigitalCard {
        digital_card_id: id.to_owned(),
        card_id: card.card_id.clone(),
        state: TokenState::Active,
        scheme: card.scheme,
        token_type: TokenType::ClickToPay,
        last4: format!("{:04}", rng.random_range(0..10_000)),
        expiry_date: card.expiry.clone(),
        token_requestor_id: requestor.to_owned(),
        token_requestor_name: name.to_owned(),
        device_name: None,
        device_type: None,
        merchant_gateway_id: None,
        merchant_id: None,
        suspended_by: Vec::new(),
        created_at: now.to_owned(),
        updated_at: now.to_owned(),
    }
}

/// The test PAN of a seeded `card`: its BIN and last four around digits made from its id, with
/// a valid Luhn check. Only a merchant gateway's tokenize takes it; the issuer's API never
/// shows it.
pub fn test_pan(card: &IssuerCard) -> String {
    let middle = format!("{:05}", fnv1a(&card.card_id) % 100_000);
    (0..10)
        .map(|d| format!("{}{middle}{d}{}", card.bin, card.last4))
        .find(|pan| luhn_valid(pan))
        .expect("one check digit of ten makes a valid Luhn sum")
}

/// Whether `digits` pass the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    let sum: Option<u32> = digits
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10)?;
            let d = if i % 2 == 1 { d * 2 } else { d };
            Some(if d > 9 { d - 9 } else { d })
        })
        .sum();
    sum.is_some_and(|s| s % 10 == 0) && !digits.is_empty()
}

/// FNV-1a of `text`: a card's own generator seed, the same on every platform.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active() -> DigitalCard {
        DigitalCard {
            digital_card_id: "dc-1".into(),
            card_id: "crd-1".into(),
            state: TokenState::Active,
            scheme: Scheme::Visa,
            token_type: TokenType::CardOnFile,
            last4: "1234".into(),
            expiry_date: "1229".into(),
            token_requestor_id: "40010099001".into(),
            token_requestor_name: "Sakura Books".into(),
            device_name: None,
            device_type: None,
            merchant_gateway_id: Some("MGW_000001".into()),
            merchant_id: Some("MER0000001".into()),
            suspended_by: Vec::new(),
            created_at: "t0".into(),
            updated_at: "t0".into(),
        }
    }

    #[test]
    fn a_token_is_active_again_only_once_each_party_lifted_its_own_suspension() {
        let mut token = active();
        assert_eq!(
            token.apply(TokenWrite::Resume, Party::Issuer, "t1"),
            Err(Refusal::NotSuspendedBy(Party::Issuer)),
            "nothing of the issuer's to lift"
        );
        token
            .apply(TokenWrite::Suspend, Party::TokenRequestor, "t1")
            .unwrap();
        token
            .apply(TokenWrite::Suspend, Party::Issuer, "t2")
            .unwrap();
        token
            .apply(TokenWrite::Suspend, Party::Issuer, "t3")
            .unwrap();
        assert_eq!(token.suspended_by, [Party::Issuer, Party::TokenRequestor]);
        token
            .apply(TokenWrite::Resume, Party::Issuer, "t4")
            .unwrap();
        assert_eq!(token.state, TokenState::Suspended, "the requestor's stands");
        assert_eq!(
            token.apply(TokenWrite::Resume, Party::Issuer, "t5"),
            Err(Refusal::NotSuspendedBy(Party::Issuer))
        );
        token
            .apply(TokenWrite::Resume, Party::TokenRequestor, "t6")
            .unwrap();
        assert_eq!(token.state, TokenState::Active);
        assert_eq!(token.updated_at, "t6");
    }

    #[test]
    fn a_deleted_token_takes_no_write() {
        let mut token = active();
        token
            .apply(TokenWrite::Suspend, Party::Issuer, "t1")
            .unwrap();
        token
            .apply(TokenWrite::Delete, Party::Issuer, "t2")
            .unwrap();
        assert_eq!(
            (token.state, token.suspended_by.len()),
            (TokenState::Deleted, 0)
        );
        for write in [TokenWrite::Suspend, TokenWrite::Resume, TokenWrite::Delete] {
            assert_eq!(
                token.apply(write, Party::Issuer, "t3"),
                Err(Refusal::Deleted)
            );
        }
        assert_eq!(token.updated_at, "t2");
    }

    #[test]
    fn the_seeded_tokens_hold_each_situation_the_console_finds_and_the_same_for_the_same_seed() {
        let population = crate::seed::generate(1, 200);
        let tokens = generate(1, &population);
        assert_eq!(tokens, generate(1, &population));
        assert!(
            tokens
                .values()
                .all(|t| is_digital_card_id(&t.digital_card_id))
        );

        // Each enrolled card's Click to Pay token is its profile card's digitalCardId, but for
        // the few seeded missing or deleted while the directory still lists the card.
        let listed: Vec<(&str, &str)> = population
            .directories
            .values()
            .flat_map(|profiles| profiles.values())
            .flat_map(|p| p.cards.iter())
            .map(|c| (c.card_id.as_str(), c.digital_card_id.as_str()))
            .collect();
        let held: std::collections::HashSet<&str> = population
            .bank
            .values()
            .flat_map(|c| c.cards.iter().map(|card| card.card_id.as_str()))
            .collect();
        let (mut active, mut deleted, mut missing) = (0, 0, 0);
        for (card, digital) in listed.iter().filter(|(card, _)| held.contains(card)) {
            match tokens.get(*digital) {
                Some(t) if t.state == TokenState::Active => active += 1,
                Some(t) => {
                    assert_eq!((t.state, t.card_id.as_str()), (TokenState::Deleted, *card));
                    deleted += 1;
                }
                None => missing += 1,
            }
        }
        assert!(active > deleted + missing && deleted > 0 && missing > 0);

        let closed: std::collections::HashSet<&str> = population
            .bank
            .values()
            .flat_map(|c| c.cards.iter())
            .filter(|c| c.status != AccountStatus::Open)
            .map(|c| c.card_id.as_str())
            .collect();
        assert!(!closed.is_empty());
        for card in &closed {
            assert!(
                tokens.values().any(|t| t.card_id == *card
                    && t.token_type == TokenType::Wallet
                    && t.state == TokenState::Active),
                "{card} keeps an active wallet token"
            );
        }
        let of = |kind, state| {
            tokens
                .values()
                .filter(|t| t.token_type == kind && t.state == state)
                .count()
        };
        assert!(of(TokenType::Wallet, TokenState::Suspended) > 0);
        assert!(
            tokens
                .values()
                .filter(|t| t.state == TokenState::Suspended)
                .all(|t| t.suspended_by == [Party::TokenRequestor])
        );
        assert!(of(TokenType::CardOnFile, TokenState::Deleted) > 0);
        assert!(of(TokenType::CardOnFile, TokenState::Active) > 0);
        for merchant in tokens
            .values()
            .filter(|t| t.token_type == TokenType::CardOnFile)
        {
            let known = MERCHANTS.iter().any(|(id, name, gateway, _)| {
                merchant.merchant_id.as_deref() == Some(*id)
                    && merchant.token_requestor_name == *name
                    && merchant.merchant_gateway_id.as_deref() == Some(*gateway)
            });
            assert!(known, "{merchant:?}");
        }
        for wallet in tokens
            .values()
            .filter(|t| t.token_type == TokenType::Wallet)
        {
            assert!(wallet.device_name.is_some() && wallet.device_type.is_some());
        }
    }

    /// Whether `id` is a valid digitalCardId: 1 to 64 of `A-Za-z0-9_-`.
    #[test]
    fn luhn_checks_known_numbers_and_every_test_pan_passes_it() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("5555555555554444"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid("41111111x1111111"));
        assert!(!luhn_valid(""));
        let population = crate::seed::generate(3, 40);
        for card in population.bank.values().flat_map(|c| &c.cards) {
            let pan = test_pan(card);
            assert_eq!(pan.len(), 16);
            assert!(luhn_valid(&pan) && pan.starts_with(&card.bin) && pan.ends_with(&card.last4));
        }
    }

    fn is_digital_card_id(id: &str) -> bool {
        (1..=64).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }
}
