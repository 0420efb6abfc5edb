//! Importing an environment's credentials: the mTLS client certificate and key (PEM files or a
//! PKCS#12 bundle), the ES256 signing key and the issuer-records API key. Everything is checked
//! before anything is stored: the key matches the certificate, the certificate is valid today,
//! the signing key is P-256. The source files are read once and never copied; the bundle's
//! passphrase is used once and dropped. There is no export.

use std::io::Read;
use std::path::{Path, PathBuf};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use zeroize::Zeroizing;

use super::parse::{Leaf, certificates, invalid, mtls_key, pem, pkcs12, private_key};
use crate::{Error, Result};

/// Files larger than this are not credentials.
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// Where the mTLS certificate and key come from.
pub enum MtlsSource {
    /// A PEM certificate chain (leaf first) and a PEM private key.
    Pem {
        /// The certificate chain file.
        chain: PathBuf,
        /// The private key file.
        key: PathBuf,
    },
    /// A PKCS#12 bundle with one key and its chain, and the bundle's passphrase.
    Pkcs12 {
        /// The bundle file.
        bundle: PathBuf,
        /// Its passphrase: used once, then zeroed.
        passphrase: Zeroizing<String>,
    },
}

/// What an operator hands over to import an environment's credentials.
pub struct ImportRequest {
    /// The mTLS client certificate and key.
    pub mtls: MtlsSource,
    /// The ES256 signing key (PEM, PKCS#8 or SEC1).
    pub signing_key: PathBuf,
    /// The issuer-records API key.
    pub issuer_api_key: d1::Secret,
}

/// The credential files an operator picked (the desktop wizard): from the webview, each is the
/// token of a file chosen in the system's picker, which the app turns into its path before
/// the form goes further. Not `Debug`: it may hold a PKCS#12 passphrase.
#[derive(serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportForm {
    /// The mTLS client certificate and key.
    pub mtls: MtlsFiles,
    /// The ES256 signing key file (PEM).
    pub signing_key: String,
    /// A file holding the issuer-records API key.
    pub api_key_file: String,
}

/// The mTLS files of an [`ImportForm`].
#[derive(serde::Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum MtlsFiles {
    /// A PEM certificate chain and a PEM private key.
    Pem {
        /// The certificate chain file.
        chain: String,
        /// The private key file.
        key: String,
    },
    /// A PKCS#12 bundle and its passphrase (used once, never stored).
    Pkcs12 {
        /// The bundle file.
        bundle: String,
        /// The bundle's passphrase.
        passphrase: String,
    },
}

impl ImportForm {
    /// The import request: the API key is read from its file, the passphrase moves into
    /// memory that is zeroed when dropped.
    pub fn into_request(self) -> Result<ImportRequest> {
        let mtls = match self.mtls {
            MtlsFiles::Pem { chain, key } => MtlsSource::Pem {
                chain: chain.into(),
                key: key.into(),
            },
            MtlsFiles::Pkcs12 { bundle, passphrase } => MtlsSource::Pkcs12 {
                bundle: bundle.into(),
                passphrase: Zeroizing::new(passphrase),
            },
        };
        Ok(ImportRequest {
            mtls,
            signing_key: self.signing_key.into(),
            issuer_api_key: read_api_key(Path::new(&self.api_key_file))?,
        })
    }
}

/// The issuer-records API key held in `path`, without surrounding whitespace.
pub fn read_api_key(path: &Path) -> Result<d1::Secret> {
    let bytes = Zeroizing::new(read(path, "issuer-records API key file")?);
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| invalid(format!("{} is not a text file", path.display())))?;
    Ok(d1::Secret::from(text.trim().to_owned()))
}

/// A small text file the operator points at (a CA certificate): at most 256 KiB of UTF-8.
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    let bytes = read_limited(path, what).map_err(Error::InvalidInput)?;
    String::from_utf8(bytes)
        .map_err(|_| Error::InvalidInput(format!("{} is not a text file", path.display())))
}

/// Credentials that passed every check, ready for the keychain (secrets) and the settings file
/// (the public chain).
pub struct Checked {
    /// The client certificate chain, PEM (public).
    pub client_chain_pem: String,
    /// The mTLS private key, PKCS#8 PEM.
    pub client_key_pem: d1::Secret,
    /// The ES256 signing key, PKCS#8 PEM.
    pub signing_key_pem: d1::Secret,
    /// The issuer-records API key.
    pub issuer_api_key: d1::Secret,
    /// The client certificate's subject, for the operator to recognise.
    pub subject: String,
    /// When the client certificate expires (UTC, RFC 3339).
    pub not_after: String,
}

/// Reads and checks `request`. Nothing is stored here.
pub fn check(request: ImportRequest) -> Result<Checked> {
    let (chain, key) = match request.mtls {
        MtlsSource::Pem { chain, key } => {
            let certs = certificates(&read(&chain, "certificate chain")?, &chain)?;
            let key_bytes = Zeroizing::new(read(&key, "private key")?);
            (certs, private_key(&key_bytes, &key)?)
        }
        MtlsSource::Pkcs12 { bundle, passphrase } => {
            let data = Zeroizing::new(read(&bundle, "PKCS#12 bundle")?);
            pkcs12(&bundle, &data, &passphrase)?
        }
    };
    let leaf_der = chain
        .first()
        .ok_or_else(|| invalid("the certificate chain holds no certificate".into()))?;
    let leaf = Leaf::parse(leaf_der)?;
    leaf.check_dates(chrono::Utc::now().timestamp())?;
    let client_key = mtls_key(&key, &leaf)?;

    let signing_bytes = Zeroizing::new(read(&request.signing_key, "signing key")?);
    let signing_der = private_key(&signing_bytes, &request.signing_key)?;
    let signing =
        EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, &signing_der)
            .map_err(|_| {
                invalid("the signing key is not a P-256 EC key; ES256 needs P-256".into())
            })?;
    let signing_pkcs8 = signing
        .to_pkcs8v1()
        .map_err(|_| Error::Internal("cannot re-encode the signing key".into()))?;

    if request.issuer_api_key.expose().is_empty() {
        return Err(invalid("the issuer-records API key is empty".into()));
    }
    Ok(Checked {
        client_chain_pem: chain.iter().map(|der| pem("CERTIFICATE", der)).collect(),
        client_key_pem: d1::Secret::new(pem("PRIVATE KEY", &client_key)),
        signing_key_pem: d1::Secret::new(pem("PRIVATE KEY", signing_pkcs8.as_ref())),
        issuer_api_key: request.issuer_api_key,
        subject: leaf.subject,
        not_after: leaf.not_after_text,
    })
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>> {
    read_limited(path, what).map_err(invalid)
}

/// The file's bytes, if it holds at most [`MAX_FILE_BYTES`]; the size is counted while
/// reading, not taken from the file system (a device or a growing file can claim anything).
fn read_limited(path: &Path, what: &str) -> std::result::Result<Vec<u8>, String> {
    let cannot = |e: std::io::Error| format!("cannot read the {what} {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    // One allocation for what the file says it holds, so that no partial copy of a key is left
    // behind by a reallocation.
    let claimed = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes =
        Vec::with_capacity(usize::try_from(claimed.min(MAX_FILE_BYTES) + 1).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{} is larger than {} KiB: too large for a {what}",
            path.display(),
            MAX_FILE_BYTES / 1024
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P384_SHA384, date_time_ymd};

    struct Files {
        dir: tempfile::TempDir,
    }

    impl Files {
        fn new() -> Self {
            Self {
                dir: tempfile::tempdir().unwrap(),
            }
        }

        fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
            let path = self.dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        }
    }

    fn client_cert(key: &KeyPair, expired: bool) -> rcgen::Certificate {
        let mut params = CertificateParams::new(vec!["issuer-client".into()]).unwrap();
        if expired {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2021, 1, 1);
        }
        params.self_signed(key).unwrap()
    }

    fn request(files: &Files, chain: &str, key: &str, signing: &str) -> ImportRequest {
        ImportRequest {
            mtls: MtlsSource::Pem {
                chain: files.write("chain.pem", chain),
                key: files.write("client.key", key),
            },
            signing_key: files.write("signing.key", signing),
            issuer_api_key: d1::Secret::from("api-key".to_owned()),
        }
    }

    fn error_text(result: Result<Checked>) -> String {
        let error = result.err().expect("the import is refused");
        assert_eq!(
            error.code(),
            crate::ErrorCode::CredentialsInvalid,
            "{error}"
        );
        error.to_string()
    }

    #[test]
    fn matching_pem_files_pass_and_give_keys_the_d1_client_accepts() {
        let files = Files::new();
        let key = KeyPair::generate().unwrap();
        let cert = client_cert(&key, false);
        let signing = KeyPair::generate().unwrap();
        let checked = check(request(
            &files,
            &cert.pem(),
            &key.serialize_pem(),
            &signing.serialize_pem(),
        ))
        .unwrap();
        assert!(checked.subject.contains("rcgen"), "{}", checked.subject);
        assert!(
            checked.not_after.starts_with("4096"),
            "{}",
            checked.not_after
        );
        let identity = d1::Identity {
            client_chain_pem: checked.client_chain_pem,
            client_key_pem: checked.client_key_pem,
            signing_key_pem: checked.signing_key_pem,
        };
        let config = d1::Config::new(
            "https://127.0.0.1:1/banking/v1",
            "https://127.0.0.1:1/token",
            d1::IssuerId::new("C2PSANDBOX").unwrap(),
            "kid",
            d1::Trust::PlatformRoots,
        );
        d1::Client::new(config, &identity).unwrap();
    }

    #[test]
    fn der_files_pass_like_pem_and_anything_else_is_named() {
        let files = Files::new();
        let key = KeyPair::generate().unwrap();
        let cert = client_cert(&key, false);
        let signing = KeyPair::generate().unwrap();
        let der = ImportRequest {
            mtls: MtlsSource::Pem {
                chain: files.write("client.cer", cert.der()),
                key: files.write("client.der", key.serialize_der()),
            },
            signing_key: files.write("signing.der", signing.serialize_der()),
            issuer_api_key: d1::Secret::from("api-key".to_owned()),
        };
        let from_der = check(der).unwrap();
        let from_pem = check(request(
            &files,
            &cert.pem(),
            &key.serialize_pem(),
            &signing.serialize_pem(),
        ))
        .unwrap();
        assert_eq!(from_der.client_chain_pem, from_pem.client_chain_pem);
        assert_eq!(
            from_der.client_key_pem.expose(),
            from_pem.client_key_pem.expose()
        );
        assert_eq!(
            from_der.signing_key_pem.expose(),
            from_pem.signing_key_pem.expose()
        );

        let mut junk = request(&files, "x", &key.serialize_pem(), &signing.serialize_pem());
        junk.mtls = MtlsSource::Pem {
            chain: files.write("junk.cer", [0xffu8, 0, 1]),
            key: files.write("k3.pem", key.serialize_pem()),
        };
        let text = error_text(check(junk));
        assert!(text.contains("junk.cer") && text.contains("DER"), "{text}");
        let mut bad_key = request(&files, &cert.pem(), &key.serialize_pem(), "");
        bad_key.signing_key = files.write("junk.der", [0x30u8, 3, 1, 2, 3]);
        let text = error_text(check(bad_key));
        assert!(
            text.contains("junk.der") && text.contains("PEM or DER"),
            "{text}"
        );
    }

    #[test]
    fn a_key_from_another_csr_is_refused() {
        let files = Files::new();
        let cert = client_cert(&KeyPair::generate().unwrap(), false);
        let other = KeyPair::generate().unwrap();
        let text = error_text(check(request(
            &files,
            &cert.pem(),
            &other.serialize_pem(),
            &other.serialize_pem(),
        )));
        assert!(
            text.contains("does not belong to the client certificate"),
            "{text}"
        );
        assert!(text.ends_with("nothing was stored"), "{text}");
    }

    #[test]
    fn an_expired_certificate_is_refused_with_its_date() {
        let files = Files::new();
        let key = KeyPair::generate().unwrap();
        let cert = client_cert(&key, true);
        let text = error_text(check(request(
            &files,
            &cert.pem(),
            &key.serialize_pem(),
            &key.serialize_pem(),
        )));
        assert!(text.contains("expired on 2021-01-01"), "{text}");
    }

    #[test]
    fn a_signing_key_on_another_curve_is_refused() {
        let files = Files::new();
        let key = KeyPair::generate().unwrap();
        let cert = client_cert(&key, false);
        let p384 = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384).unwrap();
        let text = error_text(check(request(
            &files,
            &cert.pem(),
            &key.serialize_pem(),
            &p384.serialize_pem(),
        )));
        assert!(text.contains("not a P-256"), "{text}");
    }

    #[test]
    fn a_file_is_measured_while_read_not_by_what_it_claims() {
        // /dev/zero claims 0 bytes and never ends.
        let text = read_text(Path::new("/dev/zero"), "CA certificate")
            .unwrap_err()
            .to_string();
        assert!(text.contains("larger than 256 KiB"), "{text}");
        let files = Files::new();
        let big = files.write("big.pem", vec![b'a'; 256 * 1024 + 1]);
        let text = error_text(read_api_key(&big).map(|_| unreachable!()));
        assert!(text.contains("too large"), "{text}");
    }

    #[test]
    fn the_wizards_form_becomes_a_request_with_the_api_key_read_and_trimmed() {
        let files = Files::new();
        let api = files.write("api-key", "  secret-api-key\n");
        let form: ImportForm = serde_json::from_value(serde_json::json!({
            "mtls": { "kind": "pkcs12", "bundle": "/b.p12", "passphrase": "pass word" },
            "signingKey": "/s.pem",
            "apiKeyFile": api,
        }))
        .unwrap();
        let request = form.into_request().unwrap();
        assert_eq!(request.issuer_api_key.expose(), b"secret-api-key");
        assert_eq!(request.signing_key, PathBuf::from("/s.pem"));
        match request.mtls {
            MtlsSource::Pkcs12 { bundle, passphrase } => {
                assert_eq!(bundle, PathBuf::from("/b.p12"));
                assert_eq!(passphrase.as_str(), "pass word");
            }
            MtlsSource::Pem { .. } => panic!("a PKCS#12 form gave PEM files"),
        }
        let missing: ImportForm = serde_json::from_value(serde_json::json!({
            "mtls": { "kind": "pem", "chain": "/c.pem", "key": "/k.pem" },
            "signingKey": "/s.pem",
            "apiKeyFile": files.dir.path().join("absent"),
        }))
        .unwrap();
        let text = error_text(missing.into_request().map(|_| unreachable!()));
        assert!(
            text.contains("API key file") && text.contains("absent"),
            "{text}"
        );
    }

    #[test]
    fn files_that_are_not_pem_or_missing_are_named() {
        let files = Files::new();
        let key = KeyPair::generate().unwrap();
        let text = error_text(check(request(&files, "hello", &key.serialize_pem(), "")));
        assert!(
            text.contains("no certificate") || text.contains("chain.pem"),
            "{text}"
        );
        let mut missing = request(&files, "x", "y", "z");
        missing.signing_key = files.dir.path().join("absent.pem");
        let cert = client_cert(&key, false);
        missing.mtls = MtlsSource::Pem {
            chain: files.write("c2.pem", cert.pem()),
            key: files.write("k2.pem", key.serialize_pem()),
        };
        let text = error_text(check(missing));
        assert!(text.contains("absent.pem"), "{text}");
    }

    fn bundle(files: &Files, key: &KeyPair, cert: &rcgen::Certificate, pass: &str) -> PathBuf {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        let mut store = KeyStore::new();
        let chain = PrivateKeyChain::new(
            b"client".to_vec(),
            PrivateKey::from_der(&key.serialize_der()).unwrap(),
            [Certificate::from_der(cert.der()).unwrap()],
        );
        store.add_entry("client", KeyStoreEntry::PrivateKeyChain(chain));
        files.write("client.p12", store.writer(pass).write().unwrap())
    }

    #[test]
    fn a_pkcs12_bundle_opens_with_its_passphrase_only() {
        let files = Files::new();
        let key = KeyPair::generate().unwrap();
        let cert = client_cert(&key, false);
        let path = bundle(&files, &key, &cert, "correct horse");
        let signing = files.write("signing.pem", KeyPair::generate().unwrap().serialize_pem());
        let with = |passphrase: &str| ImportRequest {
            mtls: MtlsSource::Pkcs12 {
                bundle: path.clone(),
                passphrase: Zeroizing::new(passphrase.to_owned()),
            },
            signing_key: signing.clone(),
            issuer_api_key: d1::Secret::from("k".to_owned()),
        };
        let checked = check(with("correct horse")).unwrap();
        assert_eq!(checked.client_chain_pem.trim(), cert.pem().trim());
        let text = error_text(check(with("wrong")));
        assert!(text.contains("check the passphrase"), "{text}");
    }
}
