//! The one window, and what its webview may load: the console's own pages only. Any other
//! navigation (a link, a script setting `location`) and any new window (`window.open`, a link
//! with a target) are refused and logged, so no page from elsewhere ever runs next to the IPC.

use tauri::webview::NewWindowResponse;
use tauri::{Url, WebviewWindowBuilder};

/// Whether `url` is one of the console's own pages: the embedded front end at its exact origin
/// for this platform (`tauri://localhost` on Linux and macOS, `http://tauri.localhost` on
/// Windows, no port), or in development the dev server `dev_url`.
pub fn is_own_page(url: &Url, dev_url: Option<&Url>) -> bool {
    let (scheme, host) = if cfg!(windows) {
        ("http", "tauri.localhost")
    } else {
        ("tauri", "localhost")
    };
    let embedded = url.scheme() == scheme && url.host_str() == Some(host) && url.port().is_none();
    embedded
        || (cfg!(not(feature = "custom-protocol"))
            && dev_url.is_some_and(|dev| dev.origin() == url.origin()))
}

/// Builds the main window from `tauri.conf.json` (where it is not created by itself) with the
/// navigation and new-window guards.
pub fn open_main_window(app: &tauri::App) -> tauri::Result<()> {
    let config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
        .expect("tauri.conf.json describes the main window");
    let dev_url = app.config().build.dev_url.clone();
    WebviewWindowBuilder::from_config(app.handle(), &config)?
        .on_navigation(move |url| {
            let own = is_own_page(url, dev_url.as_ref());
            if !own {
                tracing::warn!(scheme = url.scheme(), host = ?url.host_str(), "refused a navigation away from the console");
            }
            own
        })
        .on_new_window(|url, _| {
            tracing::warn!(scheme = url.scheme(), host = ?url.host_str(), "refused a new window");
            NewWindowResponse::Deny
        })
        .build()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The origin here is Linux's (and macOS's); Windows has its own.
    #[cfg(not(windows))]
    #[test]
    fn only_the_console_s_own_pages_load() {
        let url = |s: &str| Url::parse(s).unwrap();
        for own in [
            "tauri://localhost/",
            "tauri://localhost/index.html#/settings",
        ] {
            assert!(is_own_page(&url(own), None), "{own}");
        }
        for other in [
            "http://tauri.localhost/",
            "http://tauri.localhost:8080/",
            "tauri://localhost:8080/",
            "http://127.0.0.1:9/",
            "https://tauri.localhost.example.invalid/",
            "tauri://elsewhere/",
            "file:///etc/passwd",
            "data:text/html,<script>1</script>",
            "javascript:alert(1)",
            "about:blank",
        ] {
            assert!(!is_own_page(&url(other), None), "{other}");
        }
    }
}
