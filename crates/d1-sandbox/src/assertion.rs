//! ES256 assertions for the token endpoint, for the `d1-sandbox assertion` command (so that curl
//! alone can get a token) and for tests that need valid and deliberately wrong ones.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// Why an assertion could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The key is not a P-256 PKCS#8 PEM.
    #[error("the signing key is not a P-256 PKCS#8 PEM key")]
    Key,
}

/// The DER body of a single-block PEM.
pub fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body.trim()).ok()
}

/// A compact JWS of `header` and `claims`, signed with ES256 by `signing_key_pem`, whatever the
/// header says (tests use that to make assertions with a wrong `alg`).
pub fn sign(header: &Value, claims: &Value, signing_key_pem: &str) -> Result<String, SignError> {
    let der = pem_der(signing_key_pem).ok_or(SignError::Key)?;
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
        .map_err(|_| SignError::Key)?;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key
        .sign(&SystemRandom::new(), input.as_bytes())
        .map_err(|_| SignError::Key)?;
    Ok(format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(signature.as_ref())
    ))
}

/// A valid assertion: ES256 with `kid`, `iss` = `sub` = `issuer_id`, expiring in five minutes.
pub fn valid(issuer_id: &str, kid: &str, signing_key_pem: &str) -> Result<String, SignError> {
    let now = chrono::Utc::now().timestamp();
    sign(
        &json!({"alg": "ES256", "kid": kid, "typ": "JWT"}),
        &json!({"iss": issuer_id, "sub": issuer_id, "iat": now, "exp": now + 300}),
        signing_key_pem,
    )
}
