//! Wire names the contract marks [inferred], in one place so that a bank holding D1's real
//! OpenAPI file can correct them in minutes. The `d1` client has its own copy of this list.

/// Body field of an enrolment carrying the Visa cardholder name.
pub const ENROL_CARDHOLDER_NAME: &str = "cardholderName";

/// Last path segment of "get consumer profiles".
pub const PROFILES: &str = "clickToPayProfiles";

/// Path segment of the card and consumer opt-out operations.
pub const OPT_OUT: &str = "operations:clickToPayOptOut";

/// Path segment of the operations lists (`?offset=&count=`).
pub const OPERATIONS: &str = "operations";

/// Notify Card Operations, on the issuer's host (the wrapper object is [inferred]).
pub const NOTIFY_CARDS: &str = "/notifications/d1/v2/issuers/{issuerId}/cards";

/// Notify Consumer Operations, on the issuer's host ([inferred]).
pub const NOTIFY_CONSUMERS: &str = "/notifications/d1/v1/issuers/{issuerId}/consumers";

/// A card's digital cards (`GET …/cards/{cardId}/digitalCards`), the list's field in the
/// answer, and one digital card (`GET …/digitalCards/{digitalCardId}`).
pub const DIGITAL_CARDS: &str = "digitalCards";

/// Path segments of the digital-card writes ([inferred] but for suspend).
pub const SUSPEND: &str = "operations:suspend";
/// See [`SUSPEND`].
pub const RESUME: &str = "operations:resume";
/// See [`SUSPEND`].
pub const DELETE: &str = "operations:delete";

/// Notify Digital Card Operation, on the issuer's host.
pub const NOTIFY_DIGITAL_CARD: &str =
    "/notifications/d1/v1/issuers/{issuerId}/digitalCards/{digitalCardId}/notifications";

/// The per-directory error list of a partial profiles answer.
pub const PROFILE_ERRORS: &str = "errors";

/// The eCom Enablement API's base path, for merchant gateways ([inferred]).
pub const ECOM_BASE: &str = "/ecom/v1";

/// A gateway's merchant's tokens, under [`ECOM_BASE`] (tokenize; the list is the simulator's own).
pub const GATEWAY_TOKENS: &str =
    "/merchant-gateways/{merchant_gateway_id}/merchants/{merchant_id}/tokens";

/// Notify token update, on the gateway's host ([doc] path, [inferred] body).
pub const GATEWAY_NOTIFY_UPDATE: &str =
    "/merchant-gateways/{merchantGatewayId}/merchants/{merchantId}/tokens/{tokenId}/notify-update";
