//! Property tests: id validation agrees with the contract's patterns for any string, and no JSON
//! or byte string D1 could send makes decoding panic.

use d1::wire::{Accepted, Operation, OperationPage, Profiles};
use d1::{CardId, ConsumerId, IssuerId, OperationId, Reason};
use proptest::prelude::*;
use serde_json::Value;

fn id_pattern(value: &str, min: usize, max: usize) -> bool {
    let count = value.chars().count();
    (min..=max).contains(&count)
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[A-Za-z0-9_ -]{0,12}".prop_map(Value::String),
        "[0-9]{0,20}".prop_map(Value::String),
        prop_oneof![
            Just("VISA"),
            Just("MASTERCARD"),
            Just("PENDING"),
            Just("clickToPayProfiles"),
            Just("cards"),
            Just("operations")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    let keys = prop_oneof![
        Just("clickToPayProfiles".to_owned()),
        Just("errors".to_owned()),
        Just("scheme".to_owned()),
        Just("cards".to_owned()),
        Just("cardId".to_owned()),
        Just("last4".to_owned()),
        Just("consumerInfo".to_owned()),
        Just("operations".to_owned()),
        Just("operationId".to_owned()),
        Just("status".to_owned()),
        Just("remainingOperations".to_owned()),
        "[a-z]{1,8}",
    ];
    leaf.prop_recursive(4, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn ids_accept_exactly_the_contract_patterns(value in "\\PC{0,70}|[A-Za-z0-9_-]{0,70}") {
        prop_assert_eq!(CardId::new(value.as_str()).is_ok(), id_pattern(&value, 1, 48));
        prop_assert_eq!(ConsumerId::new(value.as_str()).is_ok(), id_pattern(&value, 1, 64));
        prop_assert_eq!(OperationId::new(value.as_str()).is_ok(), id_pattern(&value, 1, 64));
        prop_assert_eq!(IssuerId::new(value.as_str()).is_ok(), id_pattern(&value, 10, 10));
        let reason_ok = (1..=64).contains(&value.chars().count()) && value.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ');
        prop_assert_eq!(Reason::new(value.as_str()).is_ok(), reason_ok);
    }

    #[test]
    fn decoding_any_json_never_panics(value in json()) {
        let text = value.to_string();
        let _ = serde_json::from_str::<Profiles>(&text);
        let _ = serde_json::from_str::<OperationPage>(&text);
        let _ = serde_json::from_str::<Operation>(&text);
        let _ = serde_json::from_str::<Accepted>(&text);
    }

    #[test]
    fn a_card_number_never_decodes_as_a_card_s_last_four_or_id(digits in "[0-9]{5,19}") {
        let card = |field: &str| {
            serde_json::json!({"clickToPayProfiles": [{"scheme": "VISA", "cards": [
                {"cardId": if field == "cardId" { digits.clone() } else { "crd-1".to_owned() },
                 "last4": if field == "last4" { digits.clone() } else { "4242".to_owned() }}
            ]}]})
            .to_string()
        };
        prop_assert!(serde_json::from_str::<Profiles>(&card("last4")).is_err());
        let as_id = serde_json::from_str::<Profiles>(&card("cardId"));
        prop_assert_eq!(as_id.is_ok(), digits.len() < 12);
    }

    #[test]
    fn decoding_any_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = serde_json::from_slice::<Profiles>(&bytes);
        let _ = serde_json::from_slice::<OperationPage>(&bytes);
    }
}
