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
