//! The `d1-sandbox serve` binary: state files, the `listening` line, and a clean stop.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn serve_writes_its_state_prints_its_address_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_d1-sandbox"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--consumers",
            "20",
            "--state-dir",
        ])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    // Kept open until the end: the sandbox goes on printing its help.
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let origin = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    assert!(origin.starts_with("https://127.0.0.1:"), "{origin}");

    let summary = d1_sandbox::StateFile::read(dir.path()).unwrap();
    assert_eq!(summary.base_url, format!("{origin}/banking/v1"));
    assert_eq!(summary.token_url, format!("{origin}/authz/v1/oauth2/token"));
    assert_eq!(summary.issuer_records_url, format!("{origin}/issuer/v1"));
    assert_eq!(summary.issuer_id.len(), 10);
    assert_eq!(summary.admin_url, format!("{origin}/admin/v1"));
    assert!(summary.admin_token.len() >= 32);
    for (file, marker) in [
        ("server-ca.pem", "BEGIN CERTIFICATE"),
        ("client.pem", "BEGIN CERTIFICATE"),
        ("client.key", "BEGIN PRIVATE KEY"),
        ("signing.key", "BEGIN PRIVATE KEY"),
    ] {
        assert!(
            std::fs::read_to_string(dir.path().join(file))
                .unwrap()
                .contains(marker),
            "{file}"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    for secret in [
        "client.key",
        "signing.key",
        "issuer-api-key",
        "sandbox.json",
    ] {
        let mode = std::fs::metadata(dir.path().join(secret))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{secret} is readable by others");
    }

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}
