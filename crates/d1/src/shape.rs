//! Strings with a shape, checked when an answer is parsed (serde `deserialize_with`), so that a
//! value that is not what the contract says (a full card number where the last four belong,
//! say) is refused instead of shown or stored. The errors never quote the value.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::ids::{CardId, OperationId};

/// Whether `text` is `count` ASCII digits.
fn digits(text: &str, count: std::ops::RangeInclusive<usize>) -> bool {
    count.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` is all digits of a card number's length (12 to 19).
fn card_number(text: &str) -> bool {
    digits(text, 12..=19)
}

/// The last four digits of a card: exactly four digits.
pub fn last_four<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    match digits(&value, 4..=4) {
        true => Ok(value),
        false => Err(D::Error::custom("last4 is not four digits")),
    }
}

/// [`last_four`], when present.
pub fn optional_last_four<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        Some(value) if !digits(&value, 4..=4) => Err(D::Error::custom("last4 is not four digits")),
        value => Ok(value),
    }
}

/// A card's BIN, when present: six to eight digits.
pub fn optional_bin<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        Some(value) if !digits(&value, 6..=8) => {
            Err(D::Error::custom("bin is not six to eight digits"))
        }
        value => Ok(value),
    }
}

/// An operationId: the contract's id pattern.
pub fn operation_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    OperationId::new(value.as_str())
        .map(|_| value)
        .map_err(|_| D::Error::custom("operationId does not follow the contract's pattern"))
}

/// A cardId: the contract's id pattern, and never a card number.
pub fn card_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    if card_number(&value) {
        return Err(D::Error::custom("cardId is a card number"));
    }
    CardId::new(value.as_str())
        .map(|_| value)
        .map_err(|_| D::Error::custom("cardId does not follow the contract's pattern"))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Card {
        #[serde(deserialize_with = "super::card_id")]
        card_id: String,
        #[serde(default, deserialize_with = "super::optional_last_four")]
        last4: Option<String>,
        #[serde(default, deserialize_with = "super::optional_bin")]
        bin: Option<String>,
    }

    fn parse(json: &str) -> Result<Card, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_card_number_where_a_short_field_belongs_is_refused_without_being_quoted() {
        parse(r#"{"card_id": "crd-1", "last4": "4242", "bin": "411111"}"#).unwrap();
        parse(r#"{"card_id": "crd-1"}"#).unwrap();
        for bad in [
            r#"{"card_id": "crd-1", "last4": "4111111111111111"}"#,
            r#"{"card_id": "crd-1", "last4": "42a2"}"#,
            r#"{"card_id": "crd-1", "bin": "4111111111111111"}"#,
            r#"{"card_id": "4111111111111111"}"#,
            r#"{"card_id": "crd 1"}"#,
        ] {
            let error = parse(bad).unwrap_err();
            assert!(!error.contains("4111111111111111"), "{error}");
            assert!(!error.contains("42a2"), "{error}");
        }
    }
}
