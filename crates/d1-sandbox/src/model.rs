//! The sandbox's data, in the JSON shapes of the D1 contract (directory side) and of the
//! issuer-records API (bank side).

use serde::{Deserialize, Serialize};

/// A payment network's Click to Pay directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Scheme {
    /// Visa's directory.
    Visa,
    /// Mastercard's directory.
    Mastercard,
}

impl Scheme {
    /// Both directories, in a fixed order.
    pub const ALL: [Scheme; 2] = [Scheme::Visa, Scheme::Mastercard];
}

/// A consumer's details as a directory holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerInfo {
    /// Given name (≤ 35).
    pub first_name: String,
    /// Middle name; never held by Mastercard.
    pub middle_name: Option<String>,
    /// Family name (≤ 35).
    pub last_name: String,
    /// E-mail address.
    pub email: String,
    /// Language tag such as `ja-JP`.
    pub language: String,
    /// Country calling code with a leading `+`.
    pub phone_number_country_code: String,
    /// National number without the leading 0.
    pub phone_number: String,
}

/// A billing address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingAddress {
    /// First line (≤ 64).
    pub line1: String,
    /// Second line.
    pub line2: Option<String>,
    /// Third line.
    pub line3: Option<String>,
    /// City (≤ 32).
    pub city: String,
    /// State or prefecture code (≤ 3).
    pub state: String,
    /// Postal code (≤ 10).
    pub zip_code: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
}

/// A card in a directory profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryCard {
    /// D1's card id.
    pub card_id: String,
    /// Last four digits of the PAN.
    pub last4: String,
    /// The network's digital card id.
    pub digital_card_id: String,
    /// Expiry as MMYY.
    pub expiry_date: String,
    /// Cardholder name; Visa only.
    pub card_holder_name: Option<String>,
    /// Billing address; mandatory for Visa.
    pub billing_address: Option<BillingAddress>,
}

/// A consumer's profile in one directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The consumer's details.
    pub consumer_info: ConsumerInfo,
    /// The enrolled cards; may be empty after a failed enrolment.
    pub cards: Vec<DirectoryCard>,
}

/// A name in one script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    /// Given name.
    pub first: String,
    /// Family name.
    pub last: String,
}

/// The state of a card account at the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountStatus {
    /// In use.
    Open,
    /// Closed for good.
    Closed,
    /// Blocked, e.g. after fraud.
    Blocked,
}

/// A card as the bank records it. Never a full PAN: BIN and last four only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerCard {
    /// D1's card id for this card.
    pub card_id: String,
    /// The card's network.
    pub scheme: Scheme,
    /// First six digits.
    pub bin: String,
    /// Last four digits.
    pub last4: String,
    /// Expiry as MMYY.
    pub expiry: String,
    /// Name embossed on the card.
    pub cardholder_name: String,
    /// Billing address.
    pub billing_address: BillingAddress,
    /// Account state.
    pub status: AccountStatus,
}

/// A consumer as the bank records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerConsumer {
    /// The consumer's id, shared with D1.
    pub consumer_id: String,
    /// Name in latin letters.
    pub name_latin: Name,
    /// Name in kanji, for Japanese consumers.
    pub name_kanji: Option<Name>,
    /// Name in katakana, for Japanese consumers.
    pub name_kana: Option<Name>,
    /// E-mail address.
    pub email: String,
    /// Country calling code with a leading `+`.
    pub phone_country_code: String,
    /// National number without the leading 0.
    pub phone_number: String,
    /// Language tag such as `ja-JP`.
    pub language: String,
    /// The consumer's cards.
    pub cards: Vec<IssuerCard>,
}

impl IssuerConsumer {
    /// The consumer's details as a directory would hold them, from the bank's record.
    pub fn consumer_info(&self) -> ConsumerInfo {
        ConsumerInfo {
            first_name: self.name_latin.first.clone(),
            middle_name: None,
            last_name: self.name_latin.last.clone(),
            email: self.email.clone(),
            language: self.language.clone(),
            phone_number_country_code: self.phone_country_code.clone(),
            phone_number: self.phone_number.clone(),
        }
    }
}

impl IssuerCard {
    /// The card as its directory would hold it, from the bank's record.
    pub fn directory_card(&self) -> DirectoryCard {
        let visa = self.scheme == Scheme::Visa;
        DirectoryCard {
            card_id: self.card_id.clone(),
            last4: self.last4.clone(),
            digital_card_id: format!("dc-{}", self.card_id.trim_start_matches("crd-")),
            expiry_date: self.expiry.clone(),
            card_holder_name: visa.then(|| self.cardholder_name.clone()),
            billing_address: Some(self.billing_address.clone()),
        }
    }
}
