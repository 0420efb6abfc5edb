//! The settings screen: the sandbox environment's connection test step by step, the theme and
//! the operator shown from the policy.

use thirtyfour::prelude::*;

use crate::harness::{Harness, wait_for_containing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_test_passes_every_step_and_the_dark_theme_applies() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("settings", home.path());
    let driver = harness.open().await;
    driver
        .find(By::Css("[data-testid=nav-settings]"))
        .await
        .unwrap()
        .send_keys(Key::Enter)
        .await
        .unwrap();
    wait_for_containing(
        &driver,
        "[data-testid=environment-sandbox]",
        "in the keychain",
    )
    .await;
    driver
        .find(By::Css("[data-testid=test-sandbox]"))
        .await
        .unwrap()
        .send_keys(Key::Enter)
        .await
        .unwrap();
    let steps = wait_for_containing(
        &driver,
        "[data-testid=connection-steps]",
        "Bank records API",
    )
    .await;
    let text = steps.text().await.unwrap();
    for step in [
        "TLS handshake",
        "Access token",
        "Read from D1",
        "Bank records API",
    ] {
        assert!(text.contains(step), "{text}");
    }
    assert!(!text.contains("Failed"), "{text}");
    wait_for_containing(&driver, "[data-testid=settings-operator]", "agent").await;

    let theme = driver.find(By::Css("[data-testid=theme]")).await.unwrap();
    theme.send_keys("Dark").await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let applied = driver
            .execute("return document.documentElement.dataset.theme", Vec::new())
            .await
            .unwrap();
        if applied.json() == "dark" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "theme is {:?}",
            applied.json()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    harness.screenshot(&driver, "settings-dark").await;
    driver.quit().await.unwrap();
    let settings = std::fs::read_to_string(harness.config_dir.join("settings.json")).unwrap();
    assert!(settings.contains(r#""theme": "dark""#), "{settings}");
}
