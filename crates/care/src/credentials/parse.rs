//! Reading credential files: PEM or binary DER certificates and keys, PKCS#12 bundles, and the
//! checks that a key matches its certificate and has the form its use needs.

use std::path::Path;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// Whether `bytes` hold PEM text (otherwise they are taken as binary DER).
pub(super) fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// A certificate chain file: PEM certificates, leaf first, or one certificate in binary DER
/// (`.cer`, `.der`).
pub(super) fn certificates(bytes: &[u8], path: &Path) -> Result<Vec<Vec<u8>>> {
    if is_pem(bytes) {
        return CertificateDer::pem_slice_iter(bytes)
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| {
                invalid(format!(
                    "{} is not a PEM certificate chain: {e}",
                    path.display()
                ))
            });
    }
    // A DER certificate is an ASN.1 SEQUENCE; anything else is neither form.
    if bytes.first() != Some(&0x30) {
        return Err(invalid(format!(
            "{} is neither a PEM certificate chain nor a DER certificate",
            path.display()
        )));
    }
    Ok(vec![bytes.to_vec()])
}

/// A private key file, PEM or binary DER, as read (PKCS#8, SEC1 or PKCS#1); which of these forms
/// each key may take is checked where it is used.
pub(super) fn private_key(bytes: &[u8], path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let parsed = if is_pem(bytes) {
        PrivateKeyDer::from_pem_slice(bytes).map_err(|e| e.to_string())
    } else {
        PrivateKeyDer::try_from(bytes)
            .map(|key| key.clone_key())
            .map_err(str::to_owned)
    };
    parsed
        .map(|key| Zeroizing::new(key.secret_der().to_vec()))
        .map_err(|e| {
            invalid(format!(
                "{} is not a private key in PEM or DER: {e}",
                path.display()
            ))
        })
}

pub(super) fn invalid(text: String) -> Error {
    Error::CredentialsInvalid(text)
}

/// A certificate chain (DER, leaf first) and its private key (DER).
pub(super) type ChainAndKey = (Vec<Vec<u8>>, Zeroizing<Vec<u8>>);

/// The chain and PKCS#8 key of the one key entry in a PKCS#12 bundle.
pub(super) fn pkcs12(path: &Path, data: &[u8], passphrase: &str) -> Result<ChainAndKey> {
    use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy};
    let store =
        KeyStore::from_pkcs12(data, passphrase, Pkcs12ImportPolicy::Strict).map_err(|e| {
            invalid(format!(
                "{} cannot be opened ({e}): check the passphrase and that it is a PKCS#12 bundle",
                path.display()
            ))
        })?;
    let mut keys = store.entries().filter_map(|(_, entry)| match entry {
        KeyStoreEntry::PrivateKeyChain(chain) => Some(chain),
        _ => None,
    });
    let chain = keys.next().ok_or_else(|| {
        invalid(format!(
            "{} holds no private key with its certificate",
            path.display()
        ))
    })?;
    if keys.next().is_some() {
        return Err(invalid(format!(
            "{} holds more than one private key; export only the D1 client key",
            path.display()
        )));
    }
    let certs = chain.certs().iter().map(|c| c.as_der().to_vec()).collect();
    Ok((certs, Zeroizing::new(chain.key().as_der().to_vec())))
}

/// What the checks need from the leaf certificate.
pub(super) struct Leaf {
    pub(super) subject: String,
    not_before: i64,
    not_after: i64,
    pub(super) not_after_text: String,
    public_key: Vec<u8>,
}

impl Leaf {
    pub(super) fn parse(der: &[u8]) -> Result<Self> {
        let (_, cert) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| invalid(format!("the client certificate cannot be read: {e}")))?;
        let validity = cert.validity();
        let not_after = validity.not_after.timestamp();
        Ok(Self {
            subject: cert.subject().to_string(),
            not_before: validity.not_before.timestamp(),
            not_after,
            not_after_text: chrono::DateTime::from_timestamp(not_after, 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default(),
            public_key: cert.public_key().subject_public_key.data.to_vec(),
        })
    }

    pub(super) fn check_dates(&self, now: i64) -> Result<()> {
        if now > self.not_after {
            return Err(invalid(format!(
                "the client certificate expired on {}; ask Thales for a new one",
                self.not_after_text
            )));
        }
        if now < self.not_before {
            return Err(invalid(
                "the client certificate is not valid yet: check this computer's clock".into(),
            ));
        }
        Ok(())
    }
}

/// The mTLS key as PKCS#8, after checking that it is the certificate's key (P-256 or RSA).
pub(super) fn mtls_key(der: &[u8], leaf: &Leaf) -> Result<Zeroizing<Vec<u8>>> {
    let mismatch = || {
        invalid("the private key does not belong to the client certificate: check that both files come from the same CSR".into())
    };
    if let Ok(ec) = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der) {
        if ec.public_key().as_ref() != leaf.public_key.as_slice() {
            return Err(mismatch());
        }
        let pkcs8 = ec
            .to_pkcs8v1()
            .map_err(|_| Error::Internal("cannot re-encode the mTLS key".into()))?;
        return Ok(Zeroizing::new(pkcs8.as_ref().to_vec()));
    }
    let rsa = RsaKeyPair::from_pkcs8(der)
        .map_err(|_| {
            invalid("the private key is neither P-256 nor RSA in PKCS#8 form (D1 issues client certificates for ECDSA P-256 or RSA 4096 keys)".into())
        })?;
    if rsa.public_key().as_ref() != leaf.public_key.as_slice() {
        return Err(mismatch());
    }
    Ok(Zeroizing::new(der.to_vec()))
}

pub(super) fn pem(label: &str, der: &[u8]) -> String {
    // The base64 body of a private key is key material too: it is wiped when dropped, and the
    // result is sized once so that no reallocation leaves a copy behind in freed memory.
    let body = Zeroizing::new(STANDARD.encode(der));
    let (begin, end) = (
        format!("-----BEGIN {label}-----\n"),
        format!("-----END {label}-----\n"),
    );
    let lines = body.len().div_ceil(64);
    let mut out = String::with_capacity(begin.len() + body.len() + lines + end.len());
    out.push_str(&begin);
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&end);
    out
}
