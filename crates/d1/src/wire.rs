//! D1's JSON and paths. Every name the contract marks [inferred] is here, so that a bank holding
//! D1's real OpenAPI file can correct them in one place. Decoding follows D1's compatibility
//! rules: unknown fields are ignored, unknown enum values kept in `Unknown`, missing optional
//! fields tolerated.

use serde::{Deserialize, Serialize};

/// Path segment: enrol a card [doc].
pub const ENROL: &str = "operations:clickToPayEnrolment";
/// Path segment: update a card or a consumer [doc].
pub const UPDATE: &str = "operations:clickToPayUpdate";
/// Path segment: opt out a card or a consumer [inferred].
pub const OPT_OUT: &str = "operations:clickToPayOptOut";
/// Last segment of get consumer profiles [inferred].
pub const PROFILES: &str = "clickToPayProfiles";
/// Operations list of a card or consumer [inferred].
pub const OPERATIONS: &str = "operations";
/// Notify Card Operations, POSTed by D1 to the issuer's host [doc].
pub const NOTIFY_CARDS: &str = "/notifications/d1/v2/issuers/{issuerId}/cards";
/// Notify Consumer Operations, POSTed by D1 to the issuer's host [inferred].
pub const NOTIFY_CONSUMERS: &str = "/notifications/d1/v1/issuers/{issuerId}/consumers";
/// Query parameters of the operations lists [inferred].
pub const OFFSET: &str = "offset";
/// See [`OFFSET`].
pub const COUNT: &str = "count";

macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal $(| $alias:literal)*),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        #[cfg_attr(feature = "specta", derive(specta::Type), specta(type = String))]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A value this client does not know yet, kept as sent.
            Unknown(String),
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $($wire $(| $alias)* => $name::$variant,)*
                    _ => $name::Unknown(value),
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                match value {
                    $($name::$variant => $wire.to_owned(),)*
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}

open_enum!(
    /// A payment network's directory.
    Scheme { /// Visa.
    Visa = "VISA", /// Mastercard.
    Mastercard = "MASTERCARD" }
);
open_enum!(
    /// Where an operation stands.
    OperationStatus { /// Accepted, not ended.
    Pending = "PENDING", /// Applied.
    Successful = "SUCCESSFUL", /// Refused; see `error_code`.
    Failed = "FAILED" }
);
open_enum!(
    /// What an operation does (`CLICK_TO_PAY_ENROLMENT` is [doc], the others [inferred]; the
    /// opt-out's v1 spelling `CLICK_TO_PAY_OPTOUT` [doc v1] reads as the same operation).
    OperationKind { /// Enrolment.
    Enrolment = "CLICK_TO_PAY_ENROLMENT", /// Update.
    Update = "CLICK_TO_PAY_UPDATE", /// Opt-out.
    OptOut = "CLICK_TO_PAY_OPT_OUT" | "CLICK_TO_PAY_OPTOUT" }
);

/// Why a write is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    /// The bank decided (D1's default).
    #[default]
    IssuerDecision,
    /// The consumer asked.
    UserDecision,
}

/// The consumer's details in a directory.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerInfo {
    /// Given name.
    pub first_name: Option<String>,
    /// Middle name (not held by Mastercard).
    pub middle_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Language tag, e.g. `ja-JP`.
    pub language: Option<String>,
    /// Country calling code with `+`.
    pub phone_number_country_code: Option<String>,
    /// National number without the leading 0.
    pub phone_number: Option<String>,
}

/// A billing address.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BillingAddress {
    /// Line 1.
    pub line1: Option<String>,
    /// Line 2.
    pub line2: Option<String>,
    /// Line 3.
    pub line3: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or prefecture code.
    pub state: Option<String>,
    /// Postal code.
    pub zip_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
}

/// A card in a directory profile.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Card {
    /// D1's card id.
    #[serde(deserialize_with = "crate::shape::card_id")]
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub card_id: String,
    /// Last four digits.
    #[serde(default, deserialize_with = "crate::shape::optional_last_four")]
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub last4: Option<String>,
    /// The network's digital card id.
    pub digital_card_id: Option<String>,
    /// Expiry, MMYY.
    pub expiry_date: Option<String>,
    /// Cardholder name (Visa only).
    pub card_holder_name: Option<String>,
    /// Billing address.
    pub billing_address: Option<BillingAddress>,
}

/// A consumer's profile in one directory.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The directory.
    pub scheme: Scheme,
    /// The consumer.
    #[serde(default)]
    pub consumer_id: String,
    /// Their details.
    #[serde(default)]
    pub consumer_info: ConsumerInfo,
    /// Their cards; may be empty after a failed enrolment.
    #[serde(default)]
    pub cards: Vec<Card>,
}

/// A directory that did not answer, in a partial profiles result ([inferred] shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryError {
    /// The directory.
    pub scheme: Scheme,
    /// D1's error code.
    #[serde(default)]
    pub error_code: Option<String>,
    /// D1's message.
    #[serde(default)]
    pub error: Option<String>,
}

/// The answer of get consumer profiles: one profile per directory that holds the consumer, and
/// an error per directory that failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profiles {
    /// The profiles (`[]`: not enrolled anywhere).
    #[serde(rename = "clickToPayProfiles", default)]
    pub profiles: Vec<Profile>,
    /// Directories that failed ([inferred] field name).
    #[serde(rename = "errors", default)]
    pub errors: Vec<DirectoryError>,
}

/// An operation, as listed.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Its id.
    #[serde(deserialize_with = "crate::shape::operation_id")]
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub operation_id: String,
    /// What it does.
    #[serde(default = "unknown_kind")]
    pub operation: OperationKind,
    /// Where it stands.
    pub status: OperationStatus,
    /// When it was accepted (ISO 8601).
    #[serde(default)]
    pub start_time: Option<String>,
    /// When it ended.
    #[serde(default)]
    pub end_time: Option<String>,
    /// The free-text reason given.
    #[serde(default)]
    pub reason: Option<String>,
    /// The reason code given.
    #[serde(default)]
    pub reason_code: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Why it failed, in words.
    #[serde(default)]
    pub error: Option<String>,
}

fn unknown_kind() -> OperationKind {
    OperationKind::Unknown(String::new())
}

/// A page of operations, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OperationPage {
    /// The operations on this page.
    pub operations: Vec<Operation>,
    /// How many more there are after this page.
    pub remaining_operations: u64,
}

/// The body of both notifications: operations that ended (`cardId` or `consumerId` beside
/// each is ignored here) [inferred wrapper].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Notification {
    /// The operations.
    pub operations: Vec<Operation>,
}

/// The answer to a write: D1 accepted it as an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    /// The operation's id, to follow it.
    #[serde(deserialize_with = "crate::shape::operation_id")]
    pub operation_id: String,
    /// PENDING, or already SUCCESSFUL.
    pub status: OperationStatus,
}

/// D1's error body; a 401 or 500 may carry only `error`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ErrorBody {
    pub error_code: Option<String>,
    pub error: Option<String>,
}

/// The token endpoint's answer.
#[derive(Deserialize)]
pub(crate) struct TokenBody {
    pub access_token: String,
    #[serde(default = "default_expires_in")]
    pub expires_in: u64,
}

fn default_expires_in() -> u64 {
    900
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_enum_values_are_kept_not_refused() {
        let body = r#"{"clickToPayProfiles": [
            {"scheme": "AMEX", "consumerId": "c1", "newField": {"x": 1},
             "consumerInfo": {"firstName": "Hanako", "shoeSize": 23}, "cards": []},
            {"scheme": "VISA", "consumerId": "c1", "cards": [{"cardId": "crd-1", "last4": "4242", "wallet": true}]}
        ], "errors": [{"scheme": "MASTERCARD", "errorCode": "DIRECTORY_UNAVAILABLE"}], "extra": 1}"#;
        let profiles: Profiles = serde_json::from_str(body).unwrap();
        assert_eq!(profiles.profiles[0].scheme, Scheme::Unknown("AMEX".into()));
        assert_eq!(
            profiles.profiles[0].consumer_info.first_name.as_deref(),
            Some("Hanako")
        );
        assert_eq!(profiles.profiles[1].cards[0].last4.as_deref(), Some("4242"));
        assert_eq!(profiles.errors[0].scheme, Scheme::Mastercard);
        let op: Operation = serde_json::from_str(
            r#"{"operationId": "o1", "status": "QUEUED", "operation": "CLICK_TO_PAY_FREEZE"}"#,
        )
        .unwrap();
        assert_eq!(op.status, OperationStatus::Unknown("QUEUED".into()));
        assert_eq!(
            op.operation,
            OperationKind::Unknown("CLICK_TO_PAY_FREEZE".into())
        );
        assert_eq!(
            OperationKind::from("CLICK_TO_PAY_OPTOUT".to_owned()),
            OperationKind::OptOut
        );
        assert_eq!(String::from(Scheme::Visa), "VISA");
    }

    #[test]
    fn not_enrolled_is_an_empty_list() {
        let profiles: Profiles = serde_json::from_str(r#"{"clickToPayProfiles": []}"#).unwrap();
        assert!(profiles.profiles.is_empty() && profiles.errors.is_empty());
    }
}
