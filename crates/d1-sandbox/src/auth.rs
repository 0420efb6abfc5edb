//! The token endpoint's checks of an RFC 7523 JWT-bearer assertion, and the access tokens it
//! hands out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use serde::Deserialize;

/// How far ahead an assertion's `exp` may be (D1: at most now + 15 min).
const MAX_ASSERTION_LIFETIME_S: i64 = 15 * 60;
/// Clock skew tolerated on `exp`.
const CLOCK_SKEW_S: i64 = 30;

/// Why an assertion was refused; the text goes into the 401 answer.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AssertionError {
    /// Not three base64url parts with JSON header and claims.
    #[error("the assertion is not a compact JWS with a JSON header and claims")]
    Malformed,
    /// `alg` other than ES256 (including `none`, HS256, RS256).
    #[error("the assertion's alg must be ES256, found {0}")]
    Algorithm(String),
    /// `kid` missing or not registered.
    #[error("the assertion's kid is not registered for this issuer")]
    UnknownKid,
    /// The signature does not verify with the registered key.
    #[error("the assertion's signature does not verify")]
    Signature,
    /// `iss` or `sub` is not the id the `kid` is registered to (the issuerId, or a merchant
    /// gateway's id).
    #[error("the assertion's iss and sub must both be the id its kid is registered to")]
    Issuer,
    /// `exp` missing, in the past, or too far ahead.
    #[error("the assertion's exp must be in the future and at most 15 minutes ahead")]
    Expiry,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    exp: Option<i64>,
}

/// Who a signing key, and the access tokens it got, belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The bank: the banking API.
    Issuer,
    /// A merchant gateway (its `merchantGatewayId`): the eCom Enablement API only.
    Gateway(String),
}

/// Registered signing keys and issued access tokens.
pub struct Authority {
    issuer_id: String,
    keys: HashMap<String, (Principal, Vec<u8>)>,
    token_ttl: Duration,
    tokens: Mutex<HashMap<String, (Instant, Principal)>>,
}

impl Authority {
    /// An authority for `issuer_id` knowing one public key under `kid`.
    pub fn new(issuer_id: &str, kid: &str, public_key: Vec<u8>, token_ttl: Duration) -> Self {
        Self {
            issuer_id: issuer_id.to_owned(),
            keys: HashMap::from([(kid.to_owned(), (Principal::Issuer, public_key))]),
            token_ttl,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Registers merchant gateway `gateway_id`'s public key under `kid`.
    pub fn register_gateway(&mut self, gateway_id: &str, kid: &str, public_key: Vec<u8>) {
        self.keys.insert(
            kid.to_owned(),
            (Principal::Gateway(gateway_id.to_owned()), public_key),
        );
    }

    /// How long an access token lives.
    pub fn token_ttl(&self) -> Duration {
        self.token_ttl
    }

    /// Checks `assertion` at time `now` (seconds since the epoch): whose it is.
    pub fn verify(&self, assertion: &str, now: i64) -> Result<Principal, AssertionError> {
        let mut parts = assertion.split('.');
        let (Some(header64), Some(claims64), Some(signature64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(AssertionError::Malformed);
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| AssertionError::Malformed)
        };
        let header: Header =
            serde_json::from_slice(&decode(header64)?).map_err(|_| AssertionError::Malformed)?;
        if header.alg != "ES256" {
            return Err(AssertionError::Algorithm(header.alg));
        }
        let (principal, key) = header
            .kid
            .and_then(|kid| self.keys.get(&kid))
            .ok_or(AssertionError::UnknownKid)?;
        let signed = &assertion[..header64.len() + 1 + claims64.len()];
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key)
            .verify(signed.as_bytes(), &decode(signature64)?)
            .map_err(|_| AssertionError::Signature)?;
        let claims: Claims =
            serde_json::from_slice(&decode(claims64)?).map_err(|_| AssertionError::Malformed)?;
        let id = match principal {
            Principal::Issuer => &self.issuer_id,
            Principal::Gateway(gateway_id) => gateway_id,
        };
        if claims.iss.as_deref() != Some(id) || claims.sub.as_deref() != Some(id) {
            return Err(AssertionError::Issuer);
        }
        match claims.exp {
            Some(exp)
                if exp > now - CLOCK_SKEW_S
                    && exp <= now + MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S =>
            {
                Ok(principal.clone())
            }
            _ => Err(AssertionError::Expiry),
        }
    }

    /// Issues a new opaque access token to `principal`.
    pub fn issue(&self, principal: Principal) -> String {
        let bytes: [u8; 32] = rand::rng().random();
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let mut tokens = self.tokens.lock().expect("token table");
        let now = Instant::now();
        tokens.retain(|_, (expiry, _)| *expiry > now);
        tokens.insert(token.clone(), (now + self.token_ttl, principal));
        token
    }

    /// Whose `token` is, if it was issued here and has not expired or been revoked.
    pub fn holder(&self, token: &str) -> Option<Principal> {
        let tokens = self.tokens.lock().expect("token table");
        tokens
            .get(token)
            .filter(|(expiry, _)| *expiry > Instant::now())
            .map(|(_, principal)| principal.clone())
    }

    /// Forgets every issued token (a fault switch: clients must fetch a new one).
    pub fn revoke_all(&self) {
        self.tokens.lock().expect("token table").clear();
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}
