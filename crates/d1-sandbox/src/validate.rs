//! The contract's formats for ids and body fields. A value out of format is a 400
//! `FIELD_INVALID_FORMAT` naming the field; an unknown enum value a 400 `FIELD_INVALID_VALUE`.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::model::{BillingAddress, ConsumerInfo};

fn chars_in(value: &str, max: usize, allowed: impl Fn(char) -> bool) -> bool {
    let count = value.chars().count();
    (1..=max).contains(&count) && value.chars().all(allowed)
}

fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `issuerId`: exactly 10 characters.
pub fn issuer_id(value: &str) -> Result<(), ApiError> {
    if value.chars().count() == 10 && value.chars().all(id_char) {
        Ok(())
    } else {
        Err(ApiError::invalid_format("issuerId"))
    }
}

/// `cardId`: `^[A-Za-z0-9_-]{1,48}$`.
pub fn card_id(value: &str) -> Result<(), ApiError> {
    chars_in(value, 48, id_char)
        .then_some(())
        .ok_or_else(|| ApiError::invalid_format("cardId"))
}

/// `consumerId` or `operationId`: `^[A-Za-z0-9_-]{1,64}$`.
pub fn long_id(field: &str, value: &str) -> Result<(), ApiError> {
    chars_in(value, 64, id_char)
        .then_some(())
        .ok_or_else(|| ApiError::invalid_format(field))
}

/// The optional fields every write body may carry.
#[derive(Debug, Default)]
pub struct WriteFields {
    /// Free text, `^[a-zA-Z0-9 ]{1,64}$`.
    pub reason: Option<String>,
    /// One of the write's codes; `ISSUER_DECISION` when absent.
    pub reason_code: String,
}

/// Parses a write body into its JSON object; an empty body is an empty object.
pub fn body_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiError::invalid_format("body")),
    }
}

/// A string field of `object`, `None` when absent or null; `path` names it in errors.
pub fn string(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
) -> Result<Option<String>, ApiError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::invalid_format(path)),
    }
}

fn required(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    max: usize,
) -> Result<String, ApiError> {
    let value = string(object, name, path)?.ok_or_else(|| ApiError::invalid_format(path))?;
    chars_in(&value, max, |c| !c.is_control())
        .then_some(value)
        .ok_or_else(|| ApiError::invalid_format(path))
}

fn optional(
    object: &Map<String, Value>,
    name: &str,
    path: &str,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match string(object, name, path)? {
        Some(value) if !chars_in(&value, max, |c| !c.is_control()) => {
            Err(ApiError::invalid_format(path))
        }
        other => Ok(other),
    }
}

/// The reason codes of a Click to Pay write.
pub const CLICK_TO_PAY_REASON_CODES: &[&str] = &["ISSUER_DECISION", "USER_DECISION"];
/// The reason codes of a write on a digital card.
pub const TOKEN_REASON_CODES: &[&str] = &[
    "ISSUER_DECISION",
    "USER_DECISION",
    "DEVICE_LOST",
    "DEVICE_STOLEN",
    "DEVICE_FOUND",
    "CARD_LOST",
    "CARD_STOLEN",
    "FRAUD_DETECTED",
];

/// `reason` and `reasonCode` (one of `codes`) of a write body.
pub fn write_fields(object: &Map<String, Value>, codes: &[&str]) -> Result<WriteFields, ApiError> {
    let reason = string(object, "reason", "reason")?;
    if let Some(reason) = &reason
        && !chars_in(reason, 64, |c| c.is_ascii_alphanumeric() || c == ' ')
    {
        return Err(ApiError::invalid_format("reason"));
    }
    let reason_code =
        string(object, "reasonCode", "reasonCode")?.unwrap_or_else(|| "ISSUER_DECISION".into());
    if !codes.contains(&reason_code.as_str()) {
        return Err(ApiError::invalid_value("reasonCode"));
    }
    Ok(WriteFields {
        reason,
        reason_code,
    })
}

/// The Visa cardholder name of an enrolment or card update (≤ 26 characters).
pub fn cardholder_name(
    object: &Map<String, Value>,
    name: &str,
) -> Result<Option<String>, ApiError> {
    optional(object, name, name, 26)
}

/// `consumerInfo` of an update-consumer body: every field but `middleName` is required.
pub fn consumer_info(object: &Map<String, Value>) -> Result<ConsumerInfo, ApiError> {
    let Some(Value::Object(info)) = object.get("consumerInfo") else {
        return Err(ApiError::invalid_format("consumerInfo"));
    };
    let field = |name: &str| format!("consumerInfo.{name}");
    let email = required(info, "email", &field("email"), 254)?;
    let (local, domain) = email.split_once('@').unwrap_or_default();
    if local.is_empty() || !domain.contains('.') || email.contains(char::is_whitespace) {
        return Err(ApiError::invalid_format(&field("email")));
    }
    let language = required(info, "language", &field("language"), 5)?;
    let language_ok = language.len() == 5
        && language[..2].chars().all(|c| c.is_ascii_lowercase())
        && &language[2..3] == "-"
        && language[3..].chars().all(|c| c.is_ascii_uppercase());
    let country = required(
        info,
        "phoneNumberCountryCode",
        &field("phoneNumberCountryCode"),
        4,
    )?;
    let country_ok = country.starts_with('+') && chars_in(&country[1..], 3, |c| c.is_ascii_digit());
    let phone = required(info, "phoneNumber", &field("phoneNumber"), 15)?;
    let phone_ok =
        phone.len() >= 4 && !phone.starts_with('0') && phone.chars().all(|c| c.is_ascii_digit());
    for (ok, name) in [
        (language_ok, "language"),
        (country_ok, "phoneNumberCountryCode"),
        (phone_ok, "phoneNumber"),
    ] {
        if !ok {
            return Err(ApiError::invalid_format(&field(name)));
        }
    }
    Ok(ConsumerInfo {
        first_name: required(info, "firstName", &field("firstName"), 35)?,
        middle_name: optional(info, "middleName", &field("middleName"), 35)?,
        last_name: required(info, "lastName", &field("lastName"), 35)?,
        email,
        language,
        phone_number_country_code: country,
        phone_number: phone,
    })
}

/// An optional `billingAddress` of a card update.
pub fn billing_address(object: &Map<String, Value>) -> Result<Option<BillingAddress>, ApiError> {
    let address = match object.get("billingAddress") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(address)) => address,
        Some(_) => return Err(ApiError::invalid_format("billingAddress")),
    };
    let field = |name: &str| format!("billingAddress.{name}");
    let country = required(address, "countryCode", &field("countryCode"), 2)?;
    if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(ApiError::invalid_format(&field("countryCode")));
    }
    Ok(Some(BillingAddress {
        line1: required(address, "line1", &field("line1"), 64)?,
        line2: optional(address, "line2", &field("line2"), 64)?,
        line3: optional(address, "line3", &field("line3"), 64)?,
        city: required(address, "city", &field("city"), 32)?,
        state: required(address, "state", &field("state"), 3)?,
        zip_code: required(address, "zipCode", &field("zipCode"), 10)?,
        country_code: country,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn ids_follow_the_contract_patterns() {
        assert!(card_id("crd-abc_123").is_ok());
        assert!(card_id(&"a".repeat(48)).is_ok());
        assert!(card_id(&"a".repeat(49)).is_err());
        assert!(card_id("crd 1").is_err());
        assert!(card_id("").is_err());
        assert!(long_id("consumerId", &"c".repeat(64)).is_ok());
        assert!(long_id("consumerId", &"c".repeat(65)).is_err());
        assert!(issuer_id("C2PSANDBOX").is_ok());
        assert!(issuer_id("SHORT").is_err());
    }

    #[test]
    fn reason_and_reason_code() {
        let c2p = CLICK_TO_PAY_REASON_CODES;
        let ok = write_fields(
            &object(json!({"reason": "Lost card 2", "reasonCode": "USER_DECISION"})),
            c2p,
        )
        .unwrap();
        assert_eq!(
            (ok.reason.as_deref(), ok.reason_code.as_str()),
            (Some("Lost card 2"), "USER_DECISION")
        );
        assert_eq!(
            write_fields(&Map::new(), c2p).unwrap().reason_code,
            "ISSUER_DECISION"
        );
        let bad = write_fields(&object(json!({"reason": "fraud!"})), c2p).unwrap_err();
        assert_eq!(
            (bad.code, bad.message.as_str()),
            (
                Some("FIELD_INVALID_FORMAT"),
                "reason is not in the expected format"
            )
        );
        assert!(write_fields(&object(json!({"reason": "x".repeat(65)})), c2p).is_err());
        assert_eq!(
            write_fields(&object(json!({"reasonCode": "WHIM"})), c2p)
                .unwrap_err()
                .code,
            Some("FIELD_INVALID_VALUE")
        );
        // A token's codes are a Click to Pay write's and more.
        let fraud = object(json!({"reasonCode": "FRAUD_DETECTED"}));
        assert!(write_fields(&fraud, c2p).is_err());
        assert_eq!(
            write_fields(&fraud, TOKEN_REASON_CODES)
                .unwrap()
                .reason_code,
            "FRAUD_DETECTED"
        );
    }

    #[test]
    fn consumer_info_names_the_first_bad_field() {
        let good = json!({"consumerInfo": {"firstName": "Hanako", "lastName": "Sato", "email": "h@example.jp",
            "language": "ja-JP", "phoneNumberCountryCode": "+81", "phoneNumber": "9012345678"}});
        assert_eq!(
            consumer_info(&object(good.clone())).unwrap().last_name,
            "Sato"
        );
        for (field, value) in [
            ("email", json!("not-an-email")),
            ("language", json!("japanese")),
            ("phoneNumberCountryCode", json!("81")),
            ("phoneNumber", json!("09012345678")),
            ("firstName", json!("x".repeat(36))),
            ("lastName", Value::Null),
        ] {
            let mut body = good.clone();
            body["consumerInfo"][field] = value;
            let error = consumer_info(&object(body)).unwrap_err();
            assert_eq!(
                error.message,
                format!("consumerInfo.{field} is not in the expected format")
            );
        }
    }

    #[test]
    fn billing_address_lengths() {
        let body = json!({"billingAddress": {"line1": "1-2-3 Chiyoda", "city": "Chiyoda-ku", "state": "13",
            "zipCode": "1000001", "countryCode": "JP"}});
        assert!(billing_address(&object(body.clone())).unwrap().is_some());
        for (field, value) in [
            ("state", json!("TOKYO")),
            ("line1", json!("x".repeat(65))),
            ("line2", json!("x".repeat(65))),
            ("city", json!("x".repeat(33))),
            ("zipCode", json!("12345678901")),
            ("countryCode", json!("jp")),
            ("countryCode", json!("JPN")),
        ] {
            let mut bad = body.clone();
            bad["billingAddress"][field] = value;
            let message = billing_address(&object(bad)).unwrap_err().message;
            assert_eq!(
                message,
                format!("billingAddress.{field} is not in the expected format")
            );
        }
        assert!(billing_address(&object(json!({"billingAddress": "Tokyo"}))).is_err());
    }

    #[test]
    fn cardholder_name_is_at_most_26_characters() {
        let ok = object(json!({"cardholderName": "HANAKO SATO"}));
        assert_eq!(
            cardholder_name(&ok, "cardholderName").unwrap().as_deref(),
            Some("HANAKO SATO")
        );
        let long = object(json!({"cardholderName": "X".repeat(27)}));
        assert_eq!(
            cardholder_name(&long, "cardholderName")
                .unwrap_err()
                .message,
            "cardholderName is not in the expected format"
        );
        assert!(cardholder_name(&object(json!({"cardholderName": 7})), "cardholderName").is_err());
    }

    #[test]
    fn middle_name_is_optional_but_bounded() {
        let mut body = json!({"consumerInfo": {"firstName": "Hanako", "lastName": "Sato", "email": "h@example.jp",
            "language": "ja-JP", "phoneNumberCountryCode": "+81", "phoneNumber": "9012345678"}});
        assert_eq!(
            consumer_info(&object(body.clone())).unwrap().middle_name,
            None
        );
        body["consumerInfo"]["middleName"] = json!("m".repeat(36));
        assert_eq!(
            consumer_info(&object(body)).unwrap_err().message,
            "consumerInfo.middleName is not in the expected format"
        );
        assert!(
            consumer_info(&Map::new()).is_err(),
            "consumerInfo is required"
        );
    }

    #[test]
    fn malformed_bodies() {
        assert!(body_object(b"").unwrap().is_empty());
        assert_eq!(
            body_object(b"{not json").unwrap_err().message,
            "body is not in the expected format"
        );
        assert!(body_object(b"[1]").is_err());
    }
}
