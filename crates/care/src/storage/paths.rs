//! Where the console keeps its files, the same for the desktop app and the command line.

use std::path::PathBuf;

use crate::{Error, Result};

/// The bundle identifier; also `identifier` in tauri.conf.json (a test keeps them equal).
pub const APP_IDENTIFIER: &str = "app.c2pcare.console";

/// The console's directories on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppDirs {
    /// Settings (`settings.json`) and, later, environments: `$XDG_CONFIG_HOME/<identifier>`.
    pub config: PathBuf,
    /// Operations journal and audit log: `$XDG_DATA_HOME/<identifier>`.
    pub data: PathBuf,
    /// Daily JSON log files: `<data>/logs` (macOS: `~/Library/Logs/<identifier>`).
    pub logs: PathBuf,
}

impl AppDirs {
    /// The platform's directories for the console, as Tauri's path resolver would name them.
    pub fn resolve() -> Result<Self> {
        let missing = |what: &str| {
            Error::Internal(format!(
                "this system has no {what} directory; set HOME (or XDG_CONFIG_HOME and XDG_DATA_HOME)"
            ))
        };
        let config = dirs::config_dir().ok_or_else(|| missing("configuration"))?;
        let data = dirs::data_local_dir().ok_or_else(|| missing("data"))?;
        let data = data.join(APP_IDENTIFIER);
        let logs = if cfg!(target_os = "macos") {
            dirs::home_dir()
                .ok_or_else(|| missing("home"))?
                .join("Library/Logs")
                .join(APP_IDENTIFIER)
        } else {
            data.join("logs")
        };
        Ok(Self {
            config: config.join(APP_IDENTIFIER),
            data,
            logs,
        })
    }

    /// `<data>/exports`, where the desktop console writes reports and exports.
    pub fn exports(&self) -> PathBuf {
        self.data.join("exports")
    }
}
