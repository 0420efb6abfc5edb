//! The RFC 7523 assertion the token endpoint wants: a JWS signed with ES256, `kid` in the
//! header, `iss` = `sub` = issuerId, `iat`, and `exp` at most 15 minutes ahead.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::secret::Secret;

/// How long an assertion is valid: well inside D1's 15-minute limit.
const LIFETIME_S: u64 = 5 * 60;

/// An ES256 signing key, parsed once.
pub struct Signer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(..)")
    }
}

impl Signer {
    /// Parses a P-256 PKCS#8 PEM key.
    pub fn new(pem: &Secret) -> Result<Self, Error> {
        let text = std::str::from_utf8(pem.expose()).map_err(|_| bad_key())?;
        let body = Zeroizing::new(
            text.lines()
                .filter(|l| !l.starts_with("-----"))
                .collect::<String>(),
        );
        let der = Zeroizing::new(STANDARD.decode(body.trim()).map_err(|_| bad_key())?);
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .map_err(|_| bad_key())?;
        Ok(Self {
            key,
            rng: SystemRandom::new(),
        })
    }

    /// A fresh assertion for `issuer_id` under `kid`.
    pub fn assertion(&self, issuer_id: &str, kid: &str) -> Result<String, Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": kid});
        let claims =
            json!({"iss": issuer_id, "sub": issuer_id, "iat": now, "exp": now + LIFETIME_S});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&self.rng, input.as_bytes())
            .map_err(|_| bad_key())?;
        Ok(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

fn bad_key() -> Error {
    Error::InvalidRequest("the ES256 signing key is not a P-256 PKCS#8 PEM key".into())
}
