//! A report the console wrote, handed to the system's opener (the default browser for HTML).
//! Only Rust opens anything: the window names a report by its id, never a path, and has no
//! opener permission of its own.

use std::path::Path;

use tauri_plugin_opener::OpenerExt;

/// Opens `path` with the system's default application for it.
pub fn open(app: &tauri::AppHandle, path: &Path) -> care::Result<()> {
    #[cfg(feature = "test-hooks")]
    if let Some(log) = std::env::var_os("C2P_TEST_OPENED") {
        return test_open(Path::new(&log), path);
    }
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            care::Error::Internal(format!(
                "the system could not open {}: {e}; open the file from its folder",
                path.display()
            ))
        })
}

/// Test builds only (cargo feature `test-hooks`, in no shipped build): the end-to-end tests
/// cannot see another application open, so the "opener" appends the path to the file
/// `C2P_TEST_OPENED` names.
#[cfg(feature = "test-hooks")]
fn test_open(log: &Path, path: &Path) -> care::Result<()> {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .and_then(|mut file| writeln!(file, "{}", path.display()))
        .map_err(|e| care::Error::Internal(format!("the test opener failed: {e}")))
}
