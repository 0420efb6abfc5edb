//! The bank's own record of a consumer, as the issuer-records API returns it
//! (`crates/d1-sandbox/issuer-records.openapi.yaml`). Card data is BIN and last four only.

use serde::{Deserialize, Serialize};

/// A name in one script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub struct Name {
    /// Given name.
    pub first: String,
    /// Family name.
    pub last: String,
}

/// A card account's state at the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountStatus {
    /// In use.
    Open,
    /// Closed for good.
    Closed,
    /// Blocked.
    Blocked,
    /// A state this console does not know; treated as not open.
    #[serde(other)]
    Other,
}

/// A billing address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    /// Line 1.
    pub line1: String,
    /// Line 2.
    pub line2: Option<String>,
    /// Line 3.
    pub line3: Option<String>,
    /// City.
    pub city: String,
    /// State or prefecture code.
    pub state: String,
    /// Postal code.
    pub zip_code: String,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
}

/// A card as the bank records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct IssuerCard {
    /// D1's card id.
    #[serde(deserialize_with = "d1::shape::card_id")]
    #[specta(type = String)]
    pub card_id: String,
    /// The network, as D1 names it (`VISA`, `MASTERCARD`, …).
    pub scheme: String,
    /// First six to eight digits; `None` in a view for a role that sees the last four only.
    #[serde(default, deserialize_with = "d1::shape::optional_bin")]
    #[specta(type = Option<String>)]
    pub bin: Option<String>,
    /// Last four digits.
    #[serde(deserialize_with = "d1::shape::last_four")]
    #[specta(type = String)]
    pub last4: String,
    /// Expiry, MMYY.
    pub expiry: String,
    /// Name on the card.
    pub cardholder_name: String,
    /// Billing address.
    pub billing_address: Address,
    /// Account state.
    pub status: AccountStatus,
}

/// A consumer as the bank records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct IssuerConsumer {
    /// The consumer's id, shared with D1.
    pub consumer_id: String,
    /// Name in latin letters.
    pub name_latin: Name,
    /// Name in kanji.
    pub name_kanji: Option<Name>,
    /// Name in katakana.
    pub name_kana: Option<Name>,
    /// E-mail address.
    pub email: String,
    /// Country calling code with `+`.
    pub phone_country_code: String,
    /// National number.
    pub phone_number: String,
    /// Language tag.
    pub language: String,
    /// The consumer's cards.
    pub cards: Vec<IssuerCard>,
}

impl Address {
    /// The address as D1's update-card body carries it.
    pub fn to_wire(&self) -> d1::wire::BillingAddress {
        d1::wire::BillingAddress {
            line1: Some(self.line1.clone()),
            line2: self.line2.clone(),
            line3: self.line3.clone(),
            city: Some(self.city.clone()),
            state: Some(self.state.clone()),
            zip_code: Some(self.zip_code.clone()),
            country_code: Some(self.country_code.clone()),
        }
    }
}

impl IssuerConsumer {
    /// The consumer's details as D1's update-consumer body carries them (all fields: D1
    /// replaces the profile's details with these). Directories take latin names.
    pub fn to_wire(&self) -> d1::wire::ConsumerInfo {
        d1::wire::ConsumerInfo {
            first_name: Some(self.name_latin.first.clone()),
            middle_name: None,
            last_name: Some(self.name_latin.last.clone()),
            email: Some(self.email.clone()),
            language: Some(self.language.clone()),
            phone_number_country_code: Some(self.phone_country_code.clone()),
            phone_number: Some(self.phone_number.clone()),
        }
    }
}
