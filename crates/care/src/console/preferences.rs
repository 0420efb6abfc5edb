//! The operator's preferences: language and theme, kept in the settings file.

use super::Console;
use crate::Result;
use crate::environments::{Language, Settings, Theme};

impl Console {
    /// The saved settings (language, theme, environments' public parts).
    pub fn preferences(&self) -> Result<Settings> {
        self.settings.load()
    }

    /// Saves the operator's language.
    pub fn set_language(&self, language: Language) -> Result<()> {
        self.settings
            .update(|s| s.language = Some(language))
            .map(|_| ())
    }

    /// Saves the operator's theme (`None` follows the system).
    pub fn set_theme(&self, theme: Option<Theme>) -> Result<()> {
        self.settings.update(|s| s.theme = theme).map(|_| ())
    }
}
