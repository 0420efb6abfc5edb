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
/// A card's digital cards (`…/cards/{cardId}/digitalCards`), the list's field, and one digital
/// card (`…/digitalCards/{digitalCardId}`) [inferred].
pub const DIGITAL_CARDS: &str = "digitalCards";
/// Notify Digital Card Operation, POSTed by D1 to the issuer's host [doc].
pub const NOTIFY_DIGITAL_CARD: &str =
    "/notifications/d1/v1/issuers/{issuerId}/digitalCards/{digitalCardId}/notifications";
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
    OptOut = "CLICK_TO_PAY_OPT_OUT" | "CLICK_TO_PAY_OPTOUT", /// A token suspended [doc v1].
    Suspend = "SUSPEND", /// A token resumed [doc v1].
    Resume = "RESUME", /// A token deleted [doc v1].
    Delete = "DELETE" }
);
open_enum!(
    /// Who asked for an operation [doc v1]: the bank, the cardholder (a wallet), the token
    /// service (a merchant, the network), a card-centric integrator, or D1's portal.
    RequestorType { /// The bank.
    Issuer = "ISSUER", /// The cardholder.
    User = "USER", /// The token service provider.
    Tsp = "TSP", /// A card-centric integrator.
    Cci = "CCI", /// D1 itself.
    D1 = "D1" }
);
open_enum!(
    /// Where a digital card stands [inferred].
    TokenState { /// Usable.
    Active = "ACTIVE", /// Suspended by one party or more.
    Suspended = "SUSPENDED", /// Gone for good.
    Deleted = "DELETED", /// Not active yet.
    PendingActivation = "PENDING_ACTIVATION" }
);
open_enum!(
    /// What holds a digital card [inferred].
    TokenType { /// The network's Click to Pay.
    ClickToPay = "CLICK_TO_PAY", /// A wallet on a device.
    Wallet = "WALLET", /// A merchant, card on file.
    CardOnFile = "CARD_ON_FILE" }
);
open_enum!(
    /// A party that suspended a digital card [inferred].
    Suspender { /// The bank.
    Issuer = "ISSUER", /// The wallet or merchant that holds the token.
    TokenRequestor = "TOKEN_REQUESTOR", /// The cardholder.
    Cardholder = "CARDHOLDER" }
);

/// A write on a digital card, and its path segment (suspend [doc], the others [inferred]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAction {
    /// Suspend it.
    Suspend,
    /// Lift the bank's own suspension.
    Resume,
    /// Delete it (final).
    Delete,
}

impl TokenAction {
    /// The path segment after `…/digitalCards/{digitalCardId}/`.
    pub fn path(self) -> &'static str {
        match self {
            TokenAction::Suspend => "operations:suspend",
            TokenAction::Resume => "operations:resume",
            TokenAction::Delete => "operations:delete",
        }
    }
}

/// Why a write on a digital card is made: the Click to Pay codes [doc], `DEVICE_LOST` [doc],
/// and the others [inferred] from the SDK's unbind reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenReasonCode {
    /// The bank decided (D1's default).
    #[default]
    IssuerDecision,
    /// The cardholder asked.
    UserDecision,
    /// The device was lost.
    DeviceLost,
    /// The device was stolen.
    DeviceStolen,
    /// The device was found again.
    DeviceFound,
    /// The card was lost.
    CardLost,
    /// The card was stolen.
    CardStolen,
    /// Fraud was found.
    FraudDetected,
}

/// A digital card (a token) of a card, as the issuer's digital-card API shows it [sdk names,
/// inferred JSON].
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigitalCard {
    /// Its id.
    #[serde(deserialize_with = "crate::shape::digital_card_id")]
    pub digital_card_id: String,
    /// The card it is a token of.
    #[serde(deserialize_with = "crate::shape::card_id")]
    pub card_id: String,
    /// Where it stands.
    pub state: TokenState,
    /// The card's network.
    #[serde(default)]
    pub scheme: Option<Scheme>,
    /// What holds it.
    #[serde(default = "unknown_token_type")]
    pub token_type: TokenType,
    /// The token's own last four digits (never the card's).
    #[serde(default, deserialize_with = "crate::shape::optional_last_four")]
    pub last4: Option<String>,
    /// The token's expiry, MMYY.
    #[serde(default)]
    pub expiry_date: Option<String>,
    /// The token requestor's id.
    #[serde(default)]
    pub token_requestor_id: Option<String>,
    /// The token requestor's name: the wallet, the merchant, or the network's Click to Pay.
    #[serde(default)]
    pub token_requestor_name: Option<String>,
    /// The device's name, for a wallet token: personal data, never logged.
    #[serde(default)]
    pub device_name: Option<String>,
    /// The kind of device, for a wallet token.
    #[serde(default)]
    pub device_type: Option<String>,
    /// The merchant gateway that asked for it, for a merchant's token.
    #[serde(default)]
    pub merchant_gateway_id: Option<String>,
    /// The merchant holding it.
    #[serde(default)]
    pub merchant_id: Option<String>,
    /// Who has it suspended.
    #[serde(default)]
    pub suspended_by: Vec<Suspender>,
    /// When it was made.
    #[serde(default)]
    pub created_at: Option<String>,
    /// When it last changed.
    #[serde(default)]
    pub updated_at: Option<String>,
}

fn unknown_token_type() -> TokenType {
    TokenType::Unknown(String::new())
}

/// A card's digital cards [inferred wrapper].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DigitalCardList {
    /// Every digital card of the card, the deleted ones too.
    pub digital_cards: Vec<DigitalCard>,
}

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
    /// Who asked for it [doc v1, optional].
    #[serde(default)]
    pub requestor_type: Option<RequestorType>,
    /// The requestor's id (a merchant's, a wallet's) [doc v1, optional].
    #[serde(default)]
    pub requestor_id: Option<String>,
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
    fn a_digital_card_decodes_leniently_but_never_holds_a_card_number() {
        let token: DigitalCard = serde_json::from_str(
            r#"{"digitalCardId": "dc-91aa", "cardId": "crd-7f3k2", "state": "INACTIVE",
                "tokenType": "WALLET", "last4": "7781", "suspendedBy": ["ISSUER", "BANK_OF_MARS"],
                "deviceName": "Hanako's iPhone", "newField": 1}"#,
        )
        .unwrap();
        assert_eq!(token.state, TokenState::Unknown("INACTIVE".into()));
        assert_eq!(
            token.suspended_by,
            [Suspender::Issuer, Suspender::Unknown("BANK_OF_MARS".into())]
        );
        assert_eq!(token.scheme, None);
        for hostile in [
            r#"{"digitalCardId": "4111111111111111", "cardId": "crd-1", "state": "ACTIVE"}"#,
            r#"{"digitalCardId": "dc-1", "cardId": "crd-1", "state": "ACTIVE", "last4": "4111111111111111"}"#,
            r#"{"digitalCardId": "dc 1", "cardId": "crd-1", "state": "ACTIVE"}"#,
        ] {
            let error = serde_json::from_str::<DigitalCard>(hostile).unwrap_err();
            assert!(!error.to_string().contains("4111111111111111"), "{error}");
        }
        let op: Operation = serde_json::from_str(
            r#"{"operationId": "o1", "status": "SUCCESSFUL", "operation": "DELETE",
                "requestorType": "TSP", "requestorId": "40010099001"}"#,
        )
        .unwrap();
        assert_eq!(
            (op.operation, op.requestor_type),
            (OperationKind::Delete, Some(RequestorType::Tsp))
        );
    }

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
