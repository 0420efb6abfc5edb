//! Files the operator chose in the system's file picker. The webview never names a path: the
//! picker gives it a token and the file's name to show, and the commands that read a file take
//! the token back. A token is good for this window's session only and for what the file was
//! picked for, so a webview that ran hostile script still could not read any other file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use care::credentials::{ImportForm, MtlsFiles};
use serde::{Deserialize, Serialize};

/// What a picked file is for; it chooses the picker's file types, and a token picked for one
/// purpose is refused for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum FilePurpose {
    /// A list of cards or consumers (CSV or plain text).
    List,
    /// A PEM certificate: a CA, or the client certificate chain.
    Certificate,
    /// A PEM private key: the mTLS key or the ES256 signing key.
    PrivateKey,
    /// A PKCS#12 bundle.
    Pkcs12,
    /// Any file, e.g. the one holding the API key.
    Any,
}

impl FilePurpose {
    /// The file name extensions the picker offers.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FilePurpose::Certificate => &["pem", "crt", "cer", "der"],
            FilePurpose::PrivateKey => &["pem", "key", "der"],
            FilePurpose::Pkcs12 => &["p12", "pfx"],
            FilePurpose::List => &["csv", "txt"],
            FilePurpose::Any => &[],
        }
    }
}

/// A file the operator picked: the token to hand back, and its name (not its folder) to show.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct PickedFile {
    /// Names the file in later commands.
    pub token: String,
    /// The file's name, for the screen.
    pub name: String,
}

/// The files picked in this session, by token.
#[derive(Default)]
pub struct Picks(Mutex<HashMap<String, (PathBuf, FilePurpose)>>);

impl Picks {
    /// Remembers `path`, picked for `purpose`, and gives its token.
    pub fn remember(&self, path: PathBuf, purpose: FilePurpose) -> PickedFile {
        let token = format!("{:032x}", rand::random::<u128>());
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.picks().insert(token.clone(), (path, purpose));
        PickedFile { token, name }
    }

    /// The file `token` names, when it was picked in this session for `purpose`.
    pub fn path(&self, token: &str, purpose: FilePurpose) -> care::Result<PathBuf> {
        match self.picks().get(token) {
            Some((path, picked_for)) if *picked_for == purpose => Ok(path.clone()),
            _ => Err(care::Error::InvalidInput(
                "that file was not chosen in this window's file picker: choose it again".into(),
            )),
        }
    }

    /// [`Picks::path`] as the text the core's forms hold.
    fn path_text(&self, token: &str, purpose: FilePurpose) -> care::Result<String> {
        self.path(token, purpose)?
            .into_os_string()
            .into_string()
            .map_err(|_| {
                care::Error::InvalidInput(
                    "the chosen file's name is not valid text: rename it and choose it again"
                        .into(),
                )
            })
    }

    /// The import form with each file's token replaced by the file it names.
    pub fn import_form(&self, form: ImportForm) -> care::Result<ImportForm> {
        let mtls = match form.mtls {
            MtlsFiles::Pem { chain, key } => MtlsFiles::Pem {
                chain: self.path_text(&chain, FilePurpose::Certificate)?,
                key: self.path_text(&key, FilePurpose::PrivateKey)?,
            },
            MtlsFiles::Pkcs12 { bundle, passphrase } => MtlsFiles::Pkcs12 {
                bundle: self.path_text(&bundle, FilePurpose::Pkcs12)?,
                passphrase,
            },
        };
        Ok(ImportForm {
            mtls,
            signing_key: self.path_text(&form.signing_key, FilePurpose::PrivateKey)?,
            api_key_file: self.path_text(&form.api_key_file, FilePurpose::Any)?,
        })
    }

    /// The CA file a token names, for the environment form.
    pub fn ca_file(&self, token: Option<String>) -> care::Result<Option<String>> {
        token
            .filter(|t| !t.trim().is_empty())
            .map(|t| self.path_text(&t, FilePurpose::Certificate))
            .transpose()
    }

    fn picks(&self) -> std::sync::MutexGuard<'_, HashMap<String, (PathBuf, FilePurpose)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Opens the system's file picker over `window`, titled `title`; the chosen file, or `None`
/// when the operator cancels.
pub async fn pick(
    window: &tauri::Window,
    purpose: FilePurpose,
    title: &str,
) -> care::Result<Option<PathBuf>> {
    #[cfg(feature = "test-hooks")]
    if let Some(queue) = std::env::var_os("C2P_TEST_PICKS") {
        return Ok(test_pick(std::path::Path::new(&queue)));
    }
    use tauri_plugin_dialog::DialogExt;
    let mut dialog = window.dialog().file().set_parent(window).set_title(title);
    if !purpose.extensions().is_empty() {
        dialog = dialog.add_filter(title, purpose.extensions());
    }
    let picked = tauri::async_runtime::spawn_blocking(move || dialog.blocking_pick_file())
        .await
        .map_err(|e| care::Error::Internal(format!("the file picker stopped: {e}")))?;
    Ok(picked.and_then(|file| file.into_path().ok()))
}

/// Test builds only (cargo feature `test-hooks`, in no shipped build): the end-to-end tests
/// cannot click in a native dialog, so the "picker" takes the path written in the file
/// `C2P_TEST_PICKS` names, once; no such file is a cancel.
#[cfg(feature = "test-hooks")]
fn test_pick(queue: &std::path::Path) -> Option<PathBuf> {
    let path = std::fs::read_to_string(queue).ok()?;
    std::fs::remove_file(queue).ok()?;
    Some(PathBuf::from(path.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_only_its_file_for_its_purpose_and_no_path_is_accepted() {
        let picks = Picks::default();
        let picked = picks.remember(PathBuf::from("/lists/cards.csv"), FilePurpose::List);
        assert_eq!(picked.name, "cards.csv");
        assert_eq!(
            picks.path(&picked.token, FilePurpose::List).unwrap(),
            PathBuf::from("/lists/cards.csv")
        );
        for (token, purpose) in [
            (picked.token.as_str(), FilePurpose::PrivateKey),
            ("/lists/cards.csv", FilePurpose::List),
            ("/etc/shadow", FilePurpose::List),
            ("", FilePurpose::List),
        ] {
            let refused = picks.path(token, purpose).unwrap_err();
            assert_eq!(refused.code(), care::ErrorCode::InvalidInput, "{token}");
        }
        let other = picks.remember(PathBuf::from("/lists/cards.csv"), FilePurpose::List);
        assert_ne!(other.token, picked.token, "each pick has its own token");
    }
}
