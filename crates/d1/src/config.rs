//! What a [`crate::Client`] needs: where the environment is ([`Config`]) and who we are
//! ([`Identity`], supplied by the caller from wherever it keeps secrets, e.g. the OS keychain).

use std::time::Duration;

use crate::ids::IssuerId;
use crate::secret::Secret;

/// Which server certificates to trust.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Only certificates chaining to these CAs (PEM), e.g. a sandbox's own CA.
    OnlyCa(Vec<String>),
    /// The platform's trusted roots (production D1 chains to a public CA).
    PlatformRoots,
}

/// An environment's public settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The banking base URL, ending in `/banking/v1`.
    pub base_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The issuer's id at D1.
    pub issuer_id: IssuerId,
    /// Key id of the ES256 signing key registered at D1.
    pub kid: String,
    /// Server certificates to trust. TLS verification itself cannot be turned off.
    pub trust: Trust,
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long to wait for a whole answer.
    pub request_timeout: Duration,
    /// Largest answer body read; more is a [`crate::Error::Decode`], not an allocation.
    pub max_body_bytes: usize,
    /// Attempts of a read (first try included).
    pub read_attempts: u32,
    /// First retry delay of a read; doubled each time, with jitter.
    pub retry_base: Duration,
    /// Longest wait between attempts, `Retry-After` included.
    pub retry_cap: Duration,
}

impl Config {
    /// Settings with the defaults for timeouts, body size and retries.
    pub fn new(
        base_url: impl Into<String>,
        token_url: impl Into<String>,
        issuer_id: IssuerId,
        kid: impl Into<String>,
        trust: Trust,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            token_url: token_url.into(),
            issuer_id,
            kid: kid.into(),
            trust,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
            max_body_bytes: 4 * 1024 * 1024,
            read_attempts: 3,
            retry_base: Duration::from_millis(200),
            retry_cap: Duration::from_secs(10),
        }
    }
}

/// The issuer's credentials. The private keys are [`Secret`]s: never printed, wiped on drop.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The mTLS client certificate chain, PEM (public).
    pub client_chain_pem: String,
    /// The mTLS client private key, PKCS#8 PEM.
    pub client_key_pem: Secret,
    /// The ES256 signing key for token assertions, PKCS#8 PEM.
    pub signing_key_pem: Secret,
}
