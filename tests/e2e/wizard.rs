//! The import-credentials wizard: a D1 environment (a second sandbox, on 127.0.0.1, that this
//! test starts) added from its addresses, its credential files imported into the real Secret
//! Service, the connection test passing, and the console switched to it.

use std::path::Path;

use thirtyfour::prelude::*;

use crate::harness::{Harness, press_enter, type_into, wait_for_containing};
use crate::settings::expect_connection_test_passed;

/// Chooses `path` for the wizard's `field` through the test build's picker, and waits for the
/// field to show the file's name (never its folder).
async fn choose(harness: &Harness, driver: &WebDriver, field: &str, path: &Path) {
    harness.pick(path);
    press_enter(driver, &format!("[data-testid=browse-{field}]")).await;
    let name = path.file_name().unwrap().to_str().unwrap();
    let shown = wait_for_containing(driver, &format!("[data-testid=file-{field}]"), name).await;
    let text = shown.text().await.unwrap();
    assert!(!text.contains('/'), "the folder is not shown: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_environment_is_added_its_files_imported_and_its_connection_tested() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let remote = d1_sandbox::Sandbox::start(d1_sandbox::SandboxConfig::default())
        .await
        .expect("a second sandbox starts on 127.0.0.1");
    let files = tempfile::tempdir().unwrap();
    remote.write_state_dir(files.path()).unwrap();
    let file = |name: &str| files.path().join(name);
    let credentials = remote.credentials();

    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("wizard", home.path());
    // IT makes this account an administrator, beside the agent role.
    let account = care::policy::Identity::of_this_process().unwrap().account;
    harness.write_system_policy(
        &serde_json::json!({
            "operators": { &account: { "id": &account, "role": "agent", "admin": true } }
        })
        .to_string(),
    );
    let driver = harness.open().await;
    press_enter(&driver, "[data-testid=nav-settings]").await;
    press_enter(&driver, "[data-testid=add-environment]").await;
    for (field, value) in [
        ("name", "staging".to_owned()),
        ("baseUrl", remote.base_url()),
        ("tokenUrl", remote.token_url()),
        ("issuerRecordsUrl", remote.issuer_records_url()),
        ("issuerId", credentials.issuer_id.clone()),
        ("kid", credentials.kid.clone()),
        ("country", "jp".to_owned()),
    ] {
        type_into(&driver, &format!("[data-testid=env-{field}]"), &value).await;
    }
    // A key where the CA belongs: refused, with the file named, and nothing saved.
    choose(&harness, &driver, "caFile", &file("client.key")).await;
    press_enter(&driver, "[data-testid=wizard-next]").await;
    let refusal = wait_for_containing(
        &driver,
        "[data-testid=notice-detail]",
        "holds no PEM certificate",
    )
    .await;
    assert!(refusal.text().await.unwrap().contains("client.key"));
    choose(&harness, &driver, "caFile", &file("server-ca.pem")).await;
    press_enter(&driver, "[data-testid=wizard-next]").await;

    wait_for_containing(&driver, "[data-testid=wizard]", "Certificate chain").await;
    for (field, name) in [
        ("chain", "client.pem"),
        ("key", "client.key"),
        ("signingKey", "signing.key"),
        ("apiKeyFile", "issuer-api-key"),
    ] {
        choose(&harness, &driver, field, &file(name)).await;
    }
    harness.screenshot(&driver, "wizard-credentials").await;
    press_enter(&driver, "[data-testid=wizard-import]").await;
    wait_for_containing(
        &driver,
        "[data-testid=wizard-imported]",
        "Stored in the keychain",
    )
    .await;
    expect_connection_test_passed(&driver).await;
    harness.screenshot(&driver, "wizard-tested").await;

    press_enter(&driver, "[data-testid=wizard-use]").await;
    wait_for_containing(&driver, "[data-testid=environment]", "staging").await;
    let row = wait_for_containing(
        &driver,
        "[data-testid=environment-staging]",
        "in the keychain",
    )
    .await;
    assert!(row.text().await.unwrap().contains("in use"));
    driver.quit().await.unwrap();

    // Only public parts reached the settings file; the keys are in the keychain.
    let settings = std::fs::read_to_string(harness.config_dir.join("settings.json")).unwrap();
    assert!(settings.contains("\"staging\""), "{settings}");
    assert!(settings.contains("\"country\": \"JP\""), "{settings}");
    assert!(settings.contains("BEGIN CERTIFICATE"), "{settings}");
    assert!(!settings.contains("PRIVATE KEY"), "{settings}");
    assert!(
        !settings.contains(&credentials.issuer_api_key),
        "{settings}"
    );
}
