//! What the page needs before its first frame: the operator's saved language and theme, handed
//! over in an initialization script, so that the first frame is already drawn in them (the app
//! info that also carries them arrives a frame or two later).

use care::environments::{Language, Settings, Theme};
use serde::Serialize;

/// The saved choices the first frame is drawn in, as `window.__C2P_START__`; `None` follows the
/// system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StartHints {
    /// The operator's language.
    pub language: Option<Language>,
    /// The operator's theme.
    pub theme: Option<Theme>,
}

impl StartHints {
    /// The hints in `settings`.
    pub fn of(settings: &Settings) -> Self {
        Self {
            language: settings.language,
            theme: settings.theme,
        }
    }

    /// The script that hands them to the page. It is built from enum values only, so nothing
    /// written in the settings file can reach the page as code.
    pub fn script(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_else(|_| "{}".into());
        format!("window.__C2P_START__ = {json};")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_sets_the_saved_choices_and_nothing_else() {
        let chosen = StartHints {
            language: Some(Language::Ja),
            theme: Some(Theme::Dark),
        };
        assert_eq!(
            chosen.script(),
            r#"window.__C2P_START__ = {"language":"ja","theme":"dark"};"#
        );
        let system = StartHints::of(&Settings::default());
        assert_eq!(
            system.script(),
            r#"window.__C2P_START__ = {"language":null,"theme":null};"#
        );
    }
}
