//! Strings with a shape, checked when an answer is parsed (serde `deserialize_with`), so that a
//! value that is not what the contract says (a full card number where the last four belong,
//! say) is refused instead of shown or stored. The errors never quote the value.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::ids::{CardId, OperationId};

/// What went wrong decoding an answer, without the value that broke it (serde's own message
/// quotes it, and it may be a card number): the kind of error and where.
pub fn decode_error(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Io => "could not be read",
        serde_json::error::Category::Syntax => "is not valid JSON",
        serde_json::error::Category::Data => "does not have the expected shape",
        serde_json::error::Category::Eof => "ends too early",
    };
    format!(
        "the answer {kind} (line {}, column {})",
        error.line(),
        error.column()
    )
}

/// Whether `text` is `count` ASCII digits.
fn digits(text: &str, count: std::ops::RangeInclusive<usize>) -> bool {
    count.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` holds a card number: twelve digits or more in a row, whatever separates them
/// (spaces, `-`, `_`), anywhere in it (`crd-4111111111111111` included).
pub fn holds_card_number(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        match c {
            '0'..='9' => {
                run += 1;
                if run >= 12 {
                    return true;
                }
            }
            ' ' | '-' | '_' => {}
            _ => run = 0,
        }
    }
    false
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
    if holds_card_number(&value) {
        return Err(D::Error::custom("cardId is a card number"));
    }
    CardId::new(value.as_str())
        .map(|_| value)
        .map_err(|_| D::Error::custom("cardId does not follow the contract's pattern"))
}

/// A digitalCardId: the contract's id pattern, and never a card number.
pub fn digital_card_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let value = String::deserialize(deserializer)?;
    if holds_card_number(&value) {
        return Err(D::Error::custom("digitalCardId is a card number"));
    }
    crate::DigitalCardId::new(value.as_str())
        .map(|_| value)
        .map_err(|_| D::Error::custom("digitalCardId does not follow the contract's pattern"))
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
    fn a_card_number_is_found_however_it_is_written() {
        for held in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111_1111_1111_1111",
            "crd-4111111111111111",
            "x-5555-5555-5555-4444",
        ] {
            assert!(super::holds_card_number(held), "{held}");
        }
        for id in [
            "crd-7f3k2",
            "cons-0010-closed",
            "op-00000001",
            "12345678901",
            "2026-12-05",
        ] {
            assert!(!super::holds_card_number(id), "{id}");
        }
    }

    #[test]
    fn a_decode_error_says_where_not_what() {
        for json in [
            r#"{"card_id": 4111111111111111}"#,
            r#"{"card_id": "crd-1", "last4": 4111111111111111}"#,
            r#"{"card_id": ["4111111111111111"]}"#,
        ] {
            let error = serde_json::from_str::<Card>(json).unwrap_err();
            let described = super::decode_error(&error);
            assert!(!described.contains("4111"), "{described}");
            assert!(described.contains("line 1"), "{described}");
        }
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
