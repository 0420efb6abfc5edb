//! The operator's preferences and the configured environments' public parts (URLs, issuerId,
//! key id, certificate chain), kept as JSON in the configuration directory. Never holds a
//! secret: private keys and API keys live only in the OS keychain.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::environments::Environment;
use crate::{Error, Result};

const FILE_NAME: &str = "settings.json";

/// A language the console speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English.
    En,
    /// Japanese (日本語).
    Ja,
}

/// A colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// The saved preferences. Unknown fields from a newer version are dropped on the next save.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// The language chosen by the operator; `None` follows the system's language.
    pub language: Option<Language>,
    /// The theme chosen by the operator; `None` follows the system.
    pub theme: Option<Theme>,
    /// The environment the console works on; `None` is the built-in sandbox.
    pub active_environment: Option<String>,
    /// The configured environments (staging, production, …); the sandbox is not stored.
    pub environments: Vec<Environment>,
}

/// Reads and writes `settings.json` in one directory. Clones share one lock, so that two
/// changes in this process (a theme saved while an import writes a certificate) never read the
/// same old file and lose one another.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    path: PathBuf,
    lock: Arc<Mutex<()>>,
}

impl SettingsStore {
    /// The store for `settings.json` in `config_dir`.
    pub fn new(config_dir: &Path) -> Self {
        Self {
            path: config_dir.join(FILE_NAME),
            lock: Arc::default(),
        }
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved settings, or the defaults when there are none. A file that cannot be parsed is
    /// kept beside as `settings.json.corrupt` (so nothing is lost) and the defaults are used.
    pub fn load(&self) -> Result<Settings> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(Error::storage("read", &self.path, e)),
        };
        match serde_json::from_str(&text) {
            Ok(settings) => Ok(settings),
            Err(parse_error) => {
                let aside = self.path.with_extension("json.corrupt");
                fs::rename(&self.path, &aside)
                    .map_err(|e| Error::storage("move aside", &self.path, e))?;
                tracing::warn!(%parse_error, aside = %aside.display(), "settings unreadable; using defaults");
                Ok(Settings::default())
            }
        }
    }

    /// Saves `settings` atomically: a crash leaves either the old file or the new one. Only
    /// [`SettingsStore::update`] calls it, under the lock.
    fn save(&self, settings: &Settings) -> Result<()> {
        let dir = self.path.parent().expect("settings path has a directory");
        fs::create_dir_all(dir).map_err(|e| Error::storage("create", dir, e))?;
        let temp = self.path.with_extension("json.tmp");
        let json =
            serde_json::to_vec_pretty(settings).map_err(|e| Error::Internal(e.to_string()))?;
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&temp)?;
            file.write_all(&json)?;
            file.sync_all()?;
            fs::rename(&temp, &self.path)?;
            File::open(dir)?.sync_all()
        };
        write().map_err(|e| Error::storage("write", &self.path, e))
    }

    /// Loads the settings, applies `change` and saves the result, which it returns; the whole
    /// read-modify-write holds the store's lock.
    pub fn update(&self, change: impl FnOnce(&mut Settings)) -> Result<Settings> {
        let _held = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut settings = self.load()?;
        change(&mut settings);
        self.save(&settings)?;
        Ok(settings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_gives_defaults_and_a_saved_language_survives_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::new(&dir.path().join("nested"));
        assert_eq!(store.load().unwrap(), Settings::default());
        store.update(|s| s.language = Some(Language::Ja)).unwrap();
        let reopened = SettingsStore::new(&dir.path().join("nested"));
        assert_eq!(reopened.load().unwrap().language, Some(Language::Ja));
        let text = fs::read_to_string(reopened.path()).unwrap();
        assert!(text.contains(r#""language": "ja""#), "{text}");
    }

    #[test]
    fn corrupt_file_is_kept_aside_and_defaults_are_used() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::new(dir.path());
        fs::write(store.path(), "{ not json").unwrap();
        assert_eq!(store.load().unwrap(), Settings::default());
        let aside = dir.path().join("settings.json.corrupt");
        assert_eq!(fs::read_to_string(aside).unwrap(), "{ not json");
        assert!(!store.path().exists());
    }

    #[test]
    fn unwritable_directory_is_a_storage_error() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, "").unwrap();
        let store = SettingsStore::new(&blocker.join("sub"));
        let error = store.save(&Settings::default()).unwrap_err();
        assert_eq!(error.code(), crate::ErrorCode::Storage);
        assert!(error.to_string().contains("could not create"), "{error}");
    }

    /// A theme saved while an import writes the certificate chain: the theme's change is held
    /// open until the import's change has run or provably could not (it waits for the lock),
    /// then both must be in the file. Without the lock the import reads the old file, and the
    /// theme's save overwrites its chain.
    #[test]
    fn a_theme_saved_during_an_import_keeps_the_certificate_chain() {
        use std::sync::Barrier;
        use std::sync::mpsc;
        use std::time::Duration;
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::new(dir.path());
        store
            .update(|s| {
                s.environments.push(Environment {
                    name: "staging".into(),
                    base_url: "https://d1.example/banking/v1".into(),
                    token_url: "https://d1.example/token".into(),
                    issuer_records_url: "https://bank.example/v1".into(),
                    issuer_id: "ISSUER0001".into(),
                    kid: "kid".into(),
                    trusted_ca_pem: None,
                    client_chain_pem: None,
                    certificate_not_after: None,
                    simulated: false,
                    country: None,
                })
            })
            .unwrap();
        let barrier = Barrier::new(2);
        let both_started = &barrier;
        let store = &store;
        let (imported, import_ran) = mpsc::channel();
        std::thread::scope(|scope| {
            let theme = scope.spawn(move || {
                store.clone().update(|s| {
                    both_started.wait();
                    // The import runs its change now unless the lock holds it back.
                    let _ = import_ran.recv_timeout(Duration::from_millis(500));
                    s.theme = Some(Theme::Dark);
                })
            });
            let import = scope.spawn(move || {
                both_started.wait();
                store.clone().update(|s| {
                    s.environments[0].client_chain_pem = Some("CHAIN".into());
                    let _ = imported.send(());
                })
            });
            theme.join().unwrap().unwrap();
            import.join().unwrap().unwrap();
        });
        let saved = store.load().unwrap();
        assert_eq!(saved.theme, Some(Theme::Dark));
        assert_eq!(
            saved.environments[0].client_chain_pem.as_deref(),
            Some("CHAIN")
        );
    }

    #[test]
    fn unknown_language_in_the_file_is_treated_as_corrupt_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettingsStore::new(dir.path());
        fs::write(store.path(), r#"{"language":"fr"}"#).unwrap();
        assert_eq!(store.load().unwrap().language, None);
    }
}
