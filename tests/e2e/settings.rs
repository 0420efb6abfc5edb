//! The settings screen: the sandbox environment's connection test step by step, the theme and
//! the operator shown from the policy.

use thirtyfour::prelude::*;

use crate::harness::{Harness, press_enter, type_into, wait_for, wait_for_containing};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_test_passes_every_step_and_the_dark_theme_applies() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("settings", home.path());
    let driver = harness.open().await;
    press_enter(&driver, "[data-testid=nav-settings]").await;
    wait_for_containing(
        &driver,
        "[data-testid=environment-sandbox]",
        "in the keychain",
    )
    .await;
    press_enter(&driver, "[data-testid=test-sandbox]").await;
    expect_connection_test_passed(&driver).await;
    wait_for_containing(&driver, "[data-testid=settings-operator]", "agent").await;
    // Only an administrator adds environments; the administrators' file makes nobody one here.
    wait_for_containing(&driver, "[data-testid=admin-only]", "Only an administrator").await;
    let add = wait_for(&driver, "[data-testid=add-environment]").await;
    assert!(!add.is_enabled().await.unwrap(), "add is disabled");

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
    // The dark colours are in use, not only the attribute: the page has the dark background.
    let background = driver
        .execute(
            "return getComputedStyle(document.documentElement).backgroundColor",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(background.json(), "rgb(11, 17, 32)");
    harness.screenshot(&driver, "settings-dark").await;
    driver.quit().await.unwrap();
    let settings = std::fs::read_to_string(harness.config_dir.join("settings.json")).unwrap();
    assert!(settings.contains(r#""theme": "dark""#), "{settings}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_exports_the_audit_log_and_an_agent_cannot() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("audit-export", home.path());
    // The workstation's trail is an auditor's to export only by the administrators' file.
    harness.write_system_policy(r#"{"operator":"A-0042","role":"auditor"}"#);
    let driver = harness.open().await;
    wait_for_containing(&driver, "[data-testid=operator]", "A-0042").await;
    press_enter(&driver, "[data-testid=nav-audit]").await;
    // The log opens at its newest records, with the count to page to both ends.
    wait_for_containing(&driver, "[data-testid=audit-range]", "newest first").await;
    // The export follows the filter.
    type_into(&driver, "[data-testid=audit-filter]", "audit_read").await;
    wait_for_containing(&driver, "[data-testid=audit-range]", "1–1 of 1").await;
    press_enter(&driver, "[data-testid=export-csv]").await;
    let done = wait_for_containing(&driver, "[data-testid=exported]", "Exported").await;
    let text = done.text().await.unwrap();
    let exports = home.path().join("data/app.c2pcare.console/exports");
    let files: Vec<_> = std::fs::read_dir(&exports)
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(text.contains(&files[0].display().to_string()), "{text}");
    let csv = std::fs::read_to_string(&files[0]).unwrap();
    assert!(csv.starts_with("seq,time,operator"), "{csv}");
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(!rows.is_empty());
    assert!(
        rows.iter().all(|row| row.contains("\"audit_read\"")),
        "{csv}"
    );
    // The screen, read again after the export, shows the export's record (it names the
    // filter) above the reads, newest first.
    wait_for_containing(&driver, "[data-testid=audit-record]", "audit_export").await;
    let seqs = driver
        .execute(
            "return [...document.querySelectorAll('[data-testid=audit-record] td:first-child')].map(td => Number(td.textContent))",
            Vec::new(),
        )
        .await
        .unwrap();
    let seqs: Vec<i64> = serde_json::from_value(seqs.json().clone()).unwrap();
    assert!(
        seqs.len() >= 2 && seqs.windows(2).all(|w| w[0] > w[1]),
        "{seqs:?}"
    );
    harness.screenshot(&driver, "audit-export").await;
    driver.quit().await.unwrap();

    // Without the policy file the OS user is an agent: the buttons are disabled, with why.
    std::fs::remove_file(&harness.system_policy).unwrap();
    let driver = harness.open().await;
    press_enter(&driver, "[data-testid=nav-audit]").await;
    let button = wait_for(&driver, "[data-testid=export-csv]").await;
    let title = wait_for_title(&button).await;
    assert!(title.contains("does not allow"), "{title}");
    assert!(
        !button.is_enabled().await.unwrap(),
        "{}",
        button.outer_html().await.unwrap()
    );
    driver.quit().await.unwrap();
}

/// The hover text of `element`, once the operator's policy has arrived.
async fn wait_for_title(element: &WebElement) -> String {
    for _ in 0..100 {
        // Until the policy arrives the button has no title, or an empty one.
        if let Some(title) = element.attr("title").await.unwrap()
            && !title.is_empty()
        {
            return title;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no title on the button after 10 s");
}

/// Waits for the connection test's table and checks that all four steps are there and passed.
pub async fn expect_connection_test_passed(driver: &WebDriver) {
    let steps =
        wait_for_containing(driver, "[data-testid=connection-steps]", "Bank records API").await;
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
}
