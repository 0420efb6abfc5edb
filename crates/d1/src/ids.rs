//! Identifiers and free-text fields, validated against the contract's patterns when they are
//! made, so that an invalid value is refused before anything is sent.

use std::fmt;

/// An identifier or free-text field that does not follow the contract's pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidId {
    kind: &'static str,
}

impl InvalidId {
    /// Which field it was (`cardId`, `consumerId`, `reason`, …).
    pub fn kind(&self) -> &'static str {
        self.kind
    }
}

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The value is not repeated: what was typed where an id belongs may be personal data.
        write!(f, "this {} is not valid: {}", self.kind, rule(self.kind))
    }
}

impl std::error::Error for InvalidId {}

fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn check(
    kind: &'static str,
    value: &str,
    min: usize,
    max: usize,
    allowed: fn(char) -> bool,
) -> Result<(), InvalidId> {
    let count = value.chars().count();
    if (min..=max).contains(&count) && value.chars().all(allowed) {
        Ok(())
    } else {
        Err(InvalidId { kind })
    }
}

fn rule(kind: &str) -> &'static str {
    match kind {
        "issuerId" => "it must be exactly 10 letters, digits, '_' or '-'",
        "cardId" => "it must be 1 to 48 letters, digits, '_' or '-'",
        "reason" => "it must be 1 to 64 letters, digits or spaces",
        _ => "it must be 1 to 64 letters, digits, '_' or '-'",
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $min:literal, $max:literal, $allowed:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates `value` against the contract's pattern.
            pub fn new(value: impl Into<String>) -> Result<Self, InvalidId> {
                let value = value.into();
                check($kind, &value, $min, $max, $allowed)?;
                Ok(Self(value))
            }

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidId;
            fn try_from(value: &str) -> Result<Self, InvalidId> {
                Self::new(value)
            }
        }
    };
}

id_type!(
    /// The issuer's id at D1: exactly 10 characters.
    IssuerId, "issuerId", 10, 10, id_char
);
id_type!(
    /// D1's id of a card, `^[A-Za-z0-9_-]{1,48}$`; never the PAN nor derived from it.
    CardId, "cardId", 1, 48, id_char
);
id_type!(
    /// D1's id of a consumer, `^[A-Za-z0-9_-]{1,64}$`.
    ConsumerId, "consumerId", 1, 64, id_char
);
id_type!(
    /// D1's id of an operation, `^[A-Za-z0-9_-]{1,64}$`.
    OperationId, "operationId", 1, 64, id_char
);
id_type!(
    /// D1's id of a digital card (a token), `^[A-Za-z0-9_-]{1,64}$`.
    DigitalCardId, "digitalCardId", 1, 64, id_char
);
id_type!(
    /// The `x-correlation-id` header, `^[A-Za-z0-9_-]{1,64}$`. D1 logs it in clear: it must be
    /// random ([`CorrelationId::random`]), never derived from personal data.
    CorrelationId, "correlationId", 1, 64, id_char
);
id_type!(
    /// The free-text reason of a write, `^[a-zA-Z0-9 ]{1,64}$`.
    Reason, "reason", 1, 64, |c: char| c.is_ascii_alphanumeric() || c == ' '
);

impl CorrelationId {
    /// A fresh random id, UUID-like (version 4 layout). Made for every call, so written out in
    /// one allocation.
    pub fn random() -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut bytes: [u8; 16] = rand::random();
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        let mut id = String::with_capacity(36);
        for (index, byte) in bytes.into_iter().enumerate() {
            if matches!(index, 4 | 6 | 8 | 10) {
                id.push('-');
            }
            id.push(char::from(HEX[usize::from(byte >> 4)]));
            id.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        Self(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_the_contract() {
        assert!(IssuerId::new("C2PSANDBOX").is_ok());
        assert!(IssuerId::new("SHORT").is_err());
        assert!(CardId::new("crd-abc_123").is_ok());
        assert!(CardId::new("c".repeat(48)).is_ok());
        assert!(CardId::new("c".repeat(49)).is_err());
        assert!(CardId::new("4111 1111").is_err());
        assert!(ConsumerId::new("").is_err());
        assert!(ConsumerId::new("c".repeat(64)).is_ok());
        assert!(Reason::new("Lost card").is_ok());
        assert!(Reason::new("fraud!").is_err());
        let error = CardId::new("bad/id").unwrap_err();
        assert_eq!(error.kind(), "cardId");
        assert!(error.to_string().contains("cardId"), "{error}");
    }

    #[test]
    fn correlation_ids_are_random_and_valid() {
        let a = CorrelationId::random();
        let b = CorrelationId::random();
        assert_ne!(a, b);
        assert!(CorrelationId::new(a.as_str()).is_ok());
        // xxxxxxxx-xxxx-4xxx-xxxx-xxxxxxxxxxxx, lower-case hex.
        let groups: Vec<&str> = a.as_str().split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(groups[2].starts_with('4'), "{a}");
        assert!(
            groups
                .concat()
                .bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c)),
            "{a}"
        );
    }
}
