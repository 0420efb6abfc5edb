//! Secret material (private keys, access tokens): never printed, zeroized when dropped.

use std::fmt;

use zeroize::Zeroizing;

/// Secret bytes. `Debug` prints `Secret(..)`; there is no `Display`.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps `bytes`; they are wiped from memory when the last copy is dropped.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(bytes.into()))
    }

    /// The secret itself. Keep what you make of it short-lived.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_nothing_of_the_secret() {
        let secret = Secret::from("-----BEGIN PRIVATE KEY-----abc".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret(..)");
        assert_eq!(secret.expose(), b"-----BEGIN PRIVATE KEY-----abc");
    }
}
