//! The app's process life: the embedded sandbox's keys leave the keychain when the console
//! stops the orderly way (a closed window, or SIGTERM from a logout), and the next console
//! removes those of one that was killed outright.

use std::time::{Duration, Instant};

use crate::harness::Launched;

/// The keychain entry names the running console logged for its sandbox.
fn logged_keychain_name(data_dir: &std::path::Path) -> Option<String> {
    let logs = std::fs::read_dir(data_dir.join("logs")).ok()?;
    for file in logs.flatten() {
        let text = std::fs::read_to_string(file.path()).unwrap_or_default();
        for line in text.lines() {
            let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(name) = record["fields"]["keychain_entries"].as_str() {
                return Some(name.to_owned());
            }
        }
    }
    None
}

/// What the Secret Service holds for the console.
fn keychain_listing() -> String {
    let output = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", "app.c2pcare.console"])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The keychain's listing once `holds` says it shows what it should, asked again for up to
/// 15 s (a Secret Service busy with every other test's consoles may answer with less).
fn listing_where(holds: impl Fn(&str) -> bool, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let listing = keychain_listing();
        if holds(&listing) {
            return listing;
        }
        assert!(Instant::now() < deadline, "{what}: {listing}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The running console's sandbox keychain name, once its sandbox has started.
fn started_keychain_name(console: &Launched) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(name) = logged_keychain_name(&console.data_dir) {
            return name;
        }
        assert!(
            Instant::now() < deadline,
            "the sandbox did not start in 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sigterm_stops_the_console_and_takes_the_sandbox_keys_out_of_the_keychain() {
    let home = tempfile::tempdir().unwrap();
    let mut console = Launched::start(home.path());
    let name = started_keychain_name(&console);
    assert!(name.starts_with("sandbox-"), "{name}");
    let key = format!("{name}/mtls-key");
    listing_where(
        |l| l.contains(&key),
        "the running console's sandbox keys are in the keychain",
    );

    let status = console
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(20))
        .expect("the console exits within 20 s of SIGTERM");
    assert!(status.success(), "{status:?}");
    listing_where(|l| !l.contains(&name), "keys left behind");
}

#[test]
fn the_next_console_removes_the_sandbox_keys_of_one_killed_outright() {
    let home = tempfile::tempdir().unwrap();
    let mut killed = Launched::start(home.path());
    let name = started_keychain_name(&killed);
    let key = format!("{name}/mtls-key");
    listing_where(
        |l| l.contains(&key),
        "the running console's sandbox keys are in the keychain",
    );
    // A killed console cannot remove its keys; any console that starts afterwards does (the
    // other end-to-end tests start consoles on the same keychain at the same time, so the one
    // that removes them may be another test's).
    killed
        .signal_and_wait(libc::SIGKILL, Duration::from_secs(20))
        .expect("the console dies at once on SIGKILL");

    let other_home = tempfile::tempdir().unwrap();
    let next = Launched::start(other_home.path());
    let next_name = started_keychain_name(&next);
    let next_key = format!("{next_name}/mtls-key");
    listing_where(
        |l| !l.contains(&name) && l.contains(&next_key),
        "the killed console's keys gone, the next one's there",
    );
}
