//! The OS keychain, the only place an environment's secrets live: the mTLS private key, the
//! ES256 signing key and the issuer-records API key, one keychain entry each, written with the
//! bytes API (Windows' Credential Manager holds at most 2,560 bytes per entry).
//!
//! The keychain is probed once, when the vault opens or (for the app, which must not wait for
//! D-Bus before its window shows) at its first use. If it is missing or locked the vault
//! remembers why and refuses every later call with that reason: there is no file fallback.
//! The keychain stores are blocking: call the vault through `spawn_blocking` from async code.

use std::sync::{Arc, OnceLock};

use keyring_core::{CredentialStore, Entry};

use crate::storage::paths::APP_IDENTIFIER;
use crate::{Error, Result};

/// One of an environment's secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// The mTLS client private key (PKCS#8 PEM).
    MtlsKey,
    /// The ES256 signing key for token assertions (PKCS#8 PEM).
    SigningKey,
    /// The bank's issuer-records API key.
    IssuerApiKey,
    /// This operator's team store login (team mode; under [`TEAM_STORE`]`:<operator id>`, not
    /// an environment).
    TeamLogin,
    /// That login's SCRAM password.
    TeamPassword,
}

/// The keychain name the team store's logins are kept under (each operator id's beside it).
pub const TEAM_STORE: &str = "team-store";

impl SecretKind {
    /// Every kind of an environment, in the order they are stored.
    pub const ALL: [SecretKind; 3] = [
        SecretKind::MtlsKey,
        SecretKind::SigningKey,
        SecretKind::IssuerApiKey,
    ];

    fn slug(self) -> &'static str {
        match self {
            SecretKind::MtlsKey => "mtls-key",
            SecretKind::SigningKey => "signing-key",
            SecretKind::IssuerApiKey => "issuer-api-key",
            SecretKind::TeamLogin => "team-login",
            SecretKind::TeamPassword => "team-password",
        }
    }

    /// What the secret is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            SecretKind::MtlsKey => "mTLS private key",
            SecretKind::SigningKey => "ES256 signing key",
            SecretKind::IssuerApiKey => "issuer-records API key",
            SecretKind::TeamLogin => "team store login",
            SecretKind::TeamPassword => "team store password",
        }
    }
}

/// The keychain, probed. Cheap to clone.
#[derive(Clone)]
pub struct Vault {
    /// The probe's outcome, once known; every clone shares it.
    store: Arc<OnceLock<Probed>>,
    /// How to open and probe the keychain when the first call needs it.
    open: fn() -> Probed,
}

type Probed = std::result::Result<Arc<CredentialStore>, Unusable>;

#[derive(Clone, Debug)]
enum Unusable {
    Unavailable(String),
    Locked(String),
}

impl Unusable {
    fn to_error(&self) -> Error {
        match self {
            Unusable::Unavailable(text) => Error::KeychainUnavailable(text.clone()),
            Unusable::Locked(text) => Error::KeychainLocked(text.clone()),
        }
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.store.get() {
            Some(Ok(store)) => write!(f, "Vault({})", store.vendor()),
            Some(Err(problem)) => write!(f, "Vault({problem:?})"),
            None => f.write_str("Vault(not opened yet)"),
        }
    }
}

impl Vault {
    /// The platform's keychain (Secret Service on Linux, Keychain on macOS, Credential Manager
    /// on Windows), probed.
    pub fn platform() -> Self {
        let vault = Self::platform_deferred();
        let _ = vault.store();
        vault
    }

    /// The platform's keychain, opened and probed by the first call that needs it (on that
    /// call's thread), so that starting the app does not wait for the keychain.
    pub fn platform_deferred() -> Self {
        Self {
            store: Arc::default(),
            open: open_platform,
        }
    }

    /// A vault over `store` (the mock store in tests), probed.
    pub fn probed(store: Arc<CredentialStore>) -> Self {
        Self::probed_with(store, &probe_name())
    }

    fn probed_with(store: Arc<CredentialStore>, probe_name: &str) -> Self {
        Self {
            store: Arc::new(OnceLock::from(probed(store, probe_name))),
            open: || unreachable!("the store was set when the vault was made"),
        }
    }

    /// `Ok` when the keychain can be used, else the error that says why not and what to do.
    pub fn status(&self) -> Result<()> {
        self.store().map(|_| ())
    }

    fn store(&self) -> Result<&Arc<CredentialStore>> {
        self.store
            .get_or_init(self.open)
            .as_ref()
            .map_err(Unusable::to_error)
    }

    fn entry(&self, environment: &str, kind: SecretKind) -> Result<Entry> {
        let store = self.store()?;
        let user = format!("{environment}/{}", kind.slug());
        Entry::new_in_store(store, APP_IDENTIFIER, &user).map_err(|e| keychain_error(&e))
    }

    /// Stores `secret` as the environment's `kind`, replacing any earlier one.
    pub fn put(&self, environment: &str, kind: SecretKind, secret: &[u8]) -> Result<()> {
        self.entry(environment, kind)?
            .set_secret(secret)
            .map_err(|e| keychain_error(&e))
    }

    /// The environment's `kind` secret.
    pub fn get(&self, environment: &str, kind: SecretKind) -> Result<d1::Secret> {
        match self.entry(environment, kind)?.get_secret() {
            Ok(bytes) => Ok(d1::Secret::new(bytes)),
            Err(keyring_core::Error::NoEntry) => Err(Error::CredentialsMissing {
                environment: environment.to_owned(),
                what: kind.describe(),
            }),
            Err(e) => Err(keychain_error(&e)),
        }
    }

    /// Stores every secret of `secrets` for the environment, then runs `then`; all or nothing.
    /// If a keychain call or `then` fails, the secrets already replaced get their earlier value
    /// back (or are removed when there was none) and the first error is returned, so a failed
    /// import never leaves an environment with one new key and one old.
    pub fn replace_all(
        &self,
        environment: &str,
        secrets: &[(SecretKind, &[u8])],
        then: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let mut replaced: Vec<(SecretKind, Option<d1::Secret>)> = Vec::new();
        let mut outcome = Ok(());
        for &(kind, secret) in secrets {
            let earlier = match self.get(environment, kind) {
                Ok(earlier) => Some(earlier),
                Err(Error::CredentialsMissing { .. }) => None,
                Err(error) => {
                    outcome = Err(error);
                    break;
                }
            };
            if let Err(error) = self.put(environment, kind, secret) {
                outcome = Err(error);
                break;
            }
            replaced.push((kind, earlier));
        }
        let outcome = outcome.and_then(|()| then());
        if outcome.is_err() {
            for (kind, earlier) in replaced.into_iter().rev() {
                let restored = match &earlier {
                    Some(secret) => self.put(environment, kind, secret.expose()),
                    None => self.delete(environment, kind),
                };
                if let Err(error) = restored {
                    tracing::error!(environment, what = kind.describe(), %error, "could not restore a secret after a failed replacement; import the credentials again");
                }
            }
        }
        outcome
    }

    /// Whether the environment has every secret it needs.
    pub fn has_all(&self, environment: &str) -> Result<bool> {
        for kind in SecretKind::ALL {
            match self.get(environment, kind) {
                Ok(_) => {}
                Err(Error::CredentialsMissing { .. }) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Removes every secret of the environment; missing ones are not an error.
    pub fn remove(&self, environment: &str) -> Result<()> {
        SecretKind::ALL
            .into_iter()
            .try_for_each(|kind| self.delete(environment, kind))
    }

    /// Removes the secrets of every environment named `<prefix><pid>-…` whose process
    /// `is_alive` says is gone (a console killed before it could remove its own); returns how
    /// many entries went. Entries it cannot read are left alone.
    pub fn remove_orphans(&self, prefix: &str, is_alive: impl Fn(u32) -> bool) -> Result<usize> {
        let store = self.store()?;
        let spec = std::collections::HashMap::from([("service", APP_IDENTIFIER)]);
        let entries = store.search(&spec).map_err(|e| keychain_error(&e))?;
        let mut removed = 0;
        for entry in entries {
            let user = match entry.get_specifiers() {
                Some((_, user)) => Some(user),
                None => entry
                    .get_attributes()
                    .ok()
                    .and_then(|mut attributes| attributes.remove("username")),
            };
            let owner = user.as_deref().and_then(|user| orphan_owner(user, prefix));
            if owner.is_some_and(|pid| !is_alive(pid)) && entry.delete_credential().is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes one secret; a missing one is not an error.
    fn delete(&self, environment: &str, kind: SecretKind) -> Result<()> {
        match self.entry(environment, kind)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain_error(&e)),
        }
    }
}

/// The process id in an entry's user name `<prefix><pid>-x<12 hex digits>/<kind>`, the exact
/// shape of an embedded sandbox's entries, if it is one of those.
fn orphan_owner(user: &str, prefix: &str) -> Option<u32> {
    let (environment, _kind) = user.split_once('/')?;
    let (pid, suffix) = environment.strip_prefix(prefix)?.split_once("-x")?;
    let sandbox_suffix = suffix.len() == 12 && suffix.bytes().all(|b| b.is_ascii_hexdigit());
    sandbox_suffix.then(|| pid.parse().ok()).flatten()
}

/// Opens the platform's keychain and probes it.
fn open_platform() -> Probed {
    match platform_store() {
        Ok(store) => probed(store, &probe_name()),
        Err(error) => Err(Unusable::Unavailable(format!(
            "{}: {error}",
            unavailable_advice()
        ))),
    }
}

/// Its own entry per probe: two consoles (or tests) starting at once must not race.
fn probe_name() -> String {
    format!("probe-{}", hex::encode(rand_marker()))
}

/// `store` if a probe named `probe_name` passes, else why not.
fn probed(store: Arc<CredentialStore>, probe_name: &str) -> Probed {
    probe(&store, probe_name)
        .map(|()| store)
        .inspect_err(|problem| {
            tracing::warn!(?problem, "keychain probe failed; credentials are disabled");
        })
}

/// Writes, reads back and deletes a throw-away entry: a missing or locked keychain shows only
/// at the first read or write.
fn probe(store: &Arc<CredentialStore>, name: &str) -> std::result::Result<(), Unusable> {
    let classify = |e: keyring_core::Error| match e {
        keyring_core::Error::NoStorageAccess(_) => {
            Unusable::Locked(format!("the keychain is locked ({e}): {}", locked_advice()))
        }
        other => Unusable::Unavailable(format!("{}: {other}", unavailable_advice())),
    };
    let entry = Entry::new_in_store(store, APP_IDENTIFIER, name).map_err(classify)?;
    let marker = rand_marker();
    entry.set_secret(&marker).map_err(classify)?;
    let read = entry.get_secret().map_err(classify)?;
    entry.delete_credential().map_err(classify)?;
    if read != marker {
        return Err(Unusable::Unavailable(format!(
            "{}: the keychain did not give back what was stored",
            unavailable_advice()
        )));
    }
    Ok(())
}

fn rand_marker() -> [u8; 16] {
    let mut marker = [0u8; 16];
    aws_lc_rs::rand::fill(&mut marker).expect("the system random source works");
    marker
}

fn keychain_error(error: &keyring_core::Error) -> Error {
    match error {
        keyring_core::Error::NoStorageAccess(_) => Error::KeychainLocked(format!(
            "the keychain is locked ({error}): {}",
            locked_advice()
        )),
        keyring_core::Error::TooLong(..) => Error::CredentialsInvalid(format!(
            "the secret is too large for this keychain ({error})"
        )),
        _ => Error::KeychainUnavailable(format!("the keychain failed: {error}")),
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

fn unavailable_advice() -> &'static str {
    if cfg!(target_os = "linux") {
        "no Secret Service: start GNOME Keyring or KWallet (in a desktop session they start at login), then restart the console"
    } else if cfg!(target_os = "macos") {
        "the macOS Keychain cannot be used: check Keychain Access, then restart the console"
    } else {
        "the Windows Credential Manager cannot be used: check that this user has a profile, then restart the console"
    }
}

fn locked_advice() -> &'static str {
    "unlock it (log in again or open your keyring manager), then restart the console"
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyring_core::mock;

    fn mock_vault() -> (Arc<mock::Store>, Vault) {
        let store = mock::Store::new().unwrap();
        let vault = Vault::probed(store.clone());
        (store, vault)
    }

    /// Arms the mock's probe entry to fail with `error` on its next call.
    fn failing_probe(error: keyring_core::Error) -> Vault {
        let store = mock::Store::new().unwrap();
        let dyn_store: Arc<CredentialStore> = store;
        let entry = Entry::new_in_store(&dyn_store, APP_IDENTIFIER, "probe").unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(error);
        Vault::probed_with(dyn_store, "probe")
    }

    #[test]
    fn secrets_round_trip_per_environment_and_kind_and_are_removed() {
        let (_store, vault) = mock_vault();
        vault.status().unwrap();
        vault.put("staging", SecretKind::MtlsKey, b"key-a").unwrap();
        vault
            .put("production", SecretKind::MtlsKey, b"key-b")
            .unwrap();
        assert_eq!(
            vault.get("staging", SecretKind::MtlsKey).unwrap().expose(),
            b"key-a"
        );
        assert_eq!(
            vault
                .get("production", SecretKind::MtlsKey)
                .unwrap()
                .expose(),
            b"key-b"
        );
        assert!(!vault.has_all("staging").unwrap());
        let missing = vault.get("staging", SecretKind::SigningKey).unwrap_err();
        assert_eq!(missing.code(), crate::ErrorCode::CredentialsMissing);
        assert!(
            missing.to_string().contains("ES256 signing key"),
            "{missing}"
        );
        vault.remove("staging").unwrap();
        assert_eq!(
            vault
                .get("staging", SecretKind::MtlsKey)
                .unwrap_err()
                .code(),
            crate::ErrorCode::CredentialsMissing
        );
        assert_eq!(
            vault
                .get("production", SecretKind::MtlsKey)
                .unwrap()
                .expose(),
            b"key-b"
        );
    }

    #[test]
    fn a_locked_keychain_is_reported_once_and_refuses_every_later_call() {
        let vault = failing_probe(keyring_core::Error::NoStorageAccess(
            "prompt dismissed".into(),
        ));
        let error = vault.status().unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::KeychainLocked);
        assert!(error.to_string().contains("unlock"), "{error}");
        // The mock would work again now; the vault still refuses: no half-working keychain.
        for result in [
            vault.put("sandbox", SecretKind::MtlsKey, b"x").map(|_| ()),
            vault.get("sandbox", SecretKind::MtlsKey).map(|_| ()),
            vault.remove("sandbox"),
        ] {
            assert_eq!(result.unwrap_err().code(), crate::ErrorCode::KeychainLocked);
        }
    }

    #[test]
    fn a_missing_keychain_says_what_to_start() {
        let vault = failing_probe(keyring_core::Error::PlatformFailure(
            "org.freedesktop.DBus.Error.ServiceUnknown".into(),
        ));
        let error = vault
            .put("sandbox", SecretKind::SigningKey, b"x")
            .unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::KeychainUnavailable);
        assert!(
            error.to_string().contains("start GNOME Keyring or KWallet"),
            "{error}"
        );
    }

    /// Arms the mock's entry of `environment`'s `kind` to fail on its next call.
    fn fail_next(store: &Arc<mock::Store>, environment: &str, kind: SecretKind) {
        let dyn_store: Arc<CredentialStore> = store.clone();
        let user = format!("{environment}/{}", kind.slug());
        let entry = Entry::new_in_store(&dyn_store, APP_IDENTIFIER, &user).unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(keyring_core::Error::NoStorageAccess("locked".into()));
    }

    fn stored(vault: &Vault, environment: &str) -> Vec<Option<Vec<u8>>> {
        SecretKind::ALL
            .iter()
            .map(|&kind| {
                vault
                    .get(environment, kind)
                    .ok()
                    .map(|s| s.expose().to_vec())
            })
            .collect()
    }

    const NEW: [(SecretKind, &[u8]); 3] = [
        (SecretKind::MtlsKey, b"new-mtls"),
        (SecretKind::SigningKey, b"new-signing"),
        (SecretKind::IssuerApiKey, b"new-api"),
    ];

    #[test]
    fn a_replacement_failing_half_way_gives_every_secret_its_earlier_value_back() {
        let (store, vault) = mock_vault();
        for kind in SecretKind::ALL {
            vault.put("staging", kind, kind.slug().as_bytes()).unwrap();
        }
        let before = stored(&vault, "staging");
        for failing in [SecretKind::SigningKey, SecretKind::IssuerApiKey] {
            fail_next(&store, "staging", failing);
            let error = vault.replace_all("staging", &NEW, || Ok(())).unwrap_err();
            assert_eq!(error.code(), crate::ErrorCode::KeychainLocked);
            assert_eq!(stored(&vault, "staging"), before, "{failing:?}");
        }
        // Nothing after the secrets may fail either: the settings are saved in `then`.
        let error = vault
            .replace_all("staging", &NEW, || Err(Error::Internal("disk full".into())))
            .unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::Internal);
        assert_eq!(stored(&vault, "staging"), before);
        vault.replace_all("staging", &NEW, || Ok(())).unwrap();
        let after: Vec<_> = NEW.iter().map(|(_, s)| Some(s.to_vec())).collect();
        assert_eq!(stored(&vault, "staging"), after);
    }

    #[test]
    fn the_keys_of_consoles_that_are_gone_are_removed_and_no_others() {
        let (_store, vault) = mock_vault();
        let (gone, alive) = ("sandbox-p41-x0a0b0c0d0e0f", "sandbox-p42-x0a0b0c0d0e0f");
        for environment in [gone, alive, "staging", "sandbox-p41-uat"] {
            for kind in SecretKind::ALL {
                vault.put(environment, kind, b"k").unwrap();
            }
        }
        let removed = vault.remove_orphans("sandbox-p", |pid| pid == 42).unwrap();
        assert_eq!(removed, 3);
        assert!(!vault.has_all(gone).unwrap());
        assert_eq!(stored(&vault, gone), [None, None, None]);
        for kept in [alive, "staging", "sandbox-p41-uat"] {
            assert!(vault.has_all(kept).unwrap(), "{kept}");
        }
        assert_eq!(
            orphan_owner("sandbox-p7-x00112233aabb/mtls-key", "sandbox-p"),
            Some(7)
        );
        assert_eq!(orphan_owner("sandbox-p7-xab/mtls-key", "sandbox-p"), None);
        assert_eq!(
            orphan_owner("sandbox-pxy-x00112233aabb/mtls-key", "sandbox-p"),
            None
        );
        assert_eq!(orphan_owner("probe-0a", "sandbox-p"), None);
    }

    #[test]
    fn a_first_import_failing_half_way_leaves_no_secret_behind() {
        let (store, vault) = mock_vault();
        fail_next(&store, "staging", SecretKind::IssuerApiKey);
        vault.replace_all("staging", &NEW, || Ok(())).unwrap_err();
        assert_eq!(stored(&vault, "staging"), [None, None, None]);
    }

    #[test]
    fn a_keychain_failing_after_the_probe_is_a_clear_error() {
        let (store, vault) = mock_vault();
        vault.put("sandbox", SecretKind::MtlsKey, b"k").unwrap();
        let dyn_store: Arc<CredentialStore> = store;
        let entry = Entry::new_in_store(&dyn_store, APP_IDENTIFIER, "sandbox/mtls-key").unwrap();
        let cred: &mock::Cred = entry.as_any().downcast_ref().unwrap();
        cred.set_error(keyring_core::Error::NoStorageAccess("locked".into()));
        let error = vault.get("sandbox", SecretKind::MtlsKey).unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::KeychainLocked);
        assert_eq!(
            vault.get("sandbox", SecretKind::MtlsKey).unwrap().expose(),
            b"k"
        );
    }
}
