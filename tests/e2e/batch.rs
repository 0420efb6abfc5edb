//! The batch screens on the embedded sandbox, with the keyboard only: a fraud analyst pastes a
//! list, checks it, reads the dry run, runs it to the end and saves the report; an auditor
//! audits every consumer matching a search and gets the findings CSV and HTML report.

use std::path::Path;

use thirtyfour::prelude::*;

use crate::harness::{Harness, press_enter, wait_for, wait_for_containing};

/// Gives the operator `role` through the user-level policy (honoured on the sandbox).
fn policy(harness: &Harness, operator: &str, role: &str) {
    std::fs::create_dir_all(&harness.config_dir).unwrap();
    std::fs::write(
        harness.config_dir.join("policy.json"),
        format!(r#"{{"operator":"{operator}","role":"{role}"}}"#),
    )
    .unwrap();
}

/// The closed cards (still enrolled) of the first `n` seeded `-closed` consumers, and one card
/// in no directory.
fn seeded_cards(n: usize) -> (Vec<String>, String) {
    let population = d1_sandbox::seed::generate(1, 500);
    let closed = population
        .bank
        .values()
        .filter(|c| c.consumer_id.ends_with("-closed"))
        .take(n)
        .map(|c| {
            c.cards
                .iter()
                .find(|card| card.status != d1_sandbox::model::AccountStatus::Open)
                .expect("a closed card")
                .card_id
                .clone()
        })
        .collect();
    let nowhere = population
        .bank
        .values()
        .find(|c| c.consumer_id.ends_with("-none"))
        .unwrap()
        .cards[0]
        .card_id
        .clone();
    (closed, nowhere)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fraud_analyst_runs_a_batch_opt_out_from_a_pasted_list() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("batch", home.path());
    policy(&harness, "F-0007", "fraud");
    let driver = harness.open().await;
    wait_for_containing(&driver, "[data-testid=operator]", "F-0007").await;
    press_enter(&driver, "[data-testid=nav-batch]").await;

    let (closed, nowhere) = seeded_cards(5);
    let mut list: Vec<String> = closed.iter().map(|c| format!("card:{c}")).collect();
    list.push(format!("card:{nowhere}"));
    list.push(format!("card:{}", closed[0]));
    list.push("what is this?".into());
    let text = wait_for(&driver, "[data-testid=batch-list]").await;
    for line in &list {
        // Enter is a new line in the list box.
        text.send_keys(line.as_str()).await.unwrap();
        text.send_keys(Key::Enter).await.unwrap();
    }
    wait_for(&driver, "[data-testid=batch-reason]")
        .await
        .send_keys("Card compromised")
        .await
        .unwrap();
    press_enter(&driver, "[data-testid=batch-check]").await;
    let checked = wait_for_containing(&driver, "[data-testid=batch-checked]", "6 cards").await;
    let checked = checked.text().await.unwrap();
    assert!(
        checked.contains("1 invalid") && checked.contains("1 repeat merged"),
        "{checked}"
    );
    wait_for_containing(&driver, "[data-testid=batch-invalid]", "what is this?").await;
    wait_for_containing(&driver, "[data-testid=invalid-why]", "Not a valid id:").await;
    harness.screenshot(&driver, "batch-checked").await;

    press_enter(&driver, "[data-testid=batch-dry-run]").await;
    wait_for_containing(
        &driver,
        "[data-testid=batch-preview-summary]",
        "5 entries will be opted out; 1 is in no directory",
    )
    .await;
    wait_for_containing(&driver, "[data-testid=batch-preview]", "nothing to do").await;
    harness.screenshot(&driver, "batch-dry-run").await;

    press_enter(&driver, "[data-testid=batch-start]").await;
    let done = wait_for(&driver, "[data-testid=batch-run][data-phase=ended]").await;
    let counts = done.text().await.unwrap();
    assert!(
        counts.contains("6 of 6 final: 5 successful, 0 failed"),
        "{counts}"
    );
    assert!(counts.contains("1 nothing to do"), "{counts}");

    press_enter(&driver, "[data-testid=batch-report]").await;
    let saved = wait_for_containing(&driver, "[data-testid=batch-report-saved]", "6 entries").await;
    let saved = saved.text().await.unwrap();
    let exports = home.path().join("data/app.c2pcare.console/exports");
    let report = std::fs::read_dir(&exports)
        .unwrap()
        .map(|f| f.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-report.csv"))
        .expect("the report file");
    assert!(saved.contains(&report.display().to_string()), "{saved}");
    harness.screenshot(&driver, "batch-done").await;
    driver.quit().await.unwrap();

    let csv = std::fs::read_to_string(&report).unwrap();
    for card in &closed {
        let row = csv
            .lines()
            .find(|l| l.contains(card.as_str()))
            .unwrap_or_else(|| panic!("{card} missing from {csv}"));
        assert!(row.contains("\"SUCCESSFUL\""), "{row}");
    }
    assert!(csv.contains(&nowhere), "{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_dry_run_is_listed_as_unfinished_until_discarded() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("batch-discard", home.path());
    policy(&harness, "F-0008", "fraud");
    let driver = harness.open().await;
    wait_for_containing(&driver, "[data-testid=operator]", "F-0008").await;
    press_enter(&driver, "[data-testid=nav-batch]").await;
    let (closed, _) = seeded_cards(2);
    let text = wait_for(&driver, "[data-testid=batch-list]").await;
    text.send_keys(format!("card:{}", closed[0]).as_str())
        .await
        .unwrap();
    press_enter(&driver, "[data-testid=batch-check]").await;
    press_enter(&driver, "[data-testid=batch-dry-run]").await;
    wait_for_containing(
        &driver,
        "[data-testid=batch-preview-summary]",
        "1 entry will be opted out",
    )
    .await;

    // Left without running: back on the batch screen later, it waits among the unfinished.
    press_enter(&driver, "[data-testid=nav-search]").await;
    press_enter(&driver, "[data-testid=nav-batch]").await;
    wait_for_containing(&driver, "[data-testid=batch-earlier]", "1 not sent").await;
    harness.screenshot(&driver, "batch-unfinished").await;
    press_enter(&driver, "[data-testid=batch-discard]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while driver
        .find(By::Css("[data-testid=batch-earlier]"))
        .await
        .is_ok()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "still listed as unfinished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_audits_every_consumer_matching_a_search() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("profile-audit", home.path());
    policy(&harness, "A-0042", "auditor");
    let driver = harness.open().await;
    wait_for_containing(&driver, "[data-testid=operator]", "A-0042").await;
    assert!(
        driver
            .find(By::Css("[data-testid=nav-batch]"))
            .await
            .is_err(),
        "an auditor has no batch opt-out screen"
    );
    press_enter(&driver, "[data-testid=nav-profiles]").await;
    // Space selects a radio button, as a keyboard user would.
    wait_for(&driver, "[data-testid=profiles-scope-matching]")
        .await
        .send_keys(" ")
        .await
        .unwrap();
    wait_for(&driver, "[data-testid=profiles-query]")
        .await
        .send_keys("cons")
        .await
        .unwrap();
    press_enter(&driver, "[data-testid=profiles-start]").await;
    let summary = wait_for_containing(
        &driver,
        "[data-testid=profiles-summary]",
        "500 consumers read",
    )
    .await;
    let summary = summary.text().await.unwrap();
    assert!(summary.contains("0 not read completely"), "{summary}");
    let kinds = driver
        .find_all(By::Css("[data-testid=profiles-kinds] tr[data-kind]"))
        .await
        .unwrap();
    assert_eq!(
        kinds.len(),
        6,
        "every kind but 'unknown to the bank', which a bank search cannot list"
    );
    let html = wait_for(&driver, "[data-testid=profiles-html]").await;
    let html = html.text().await.unwrap();
    harness.screenshot(&driver, "profile-audit").await;
    // The report goes to the system's opener (the test build's notes it).
    press_enter(&driver, "[data-testid=profiles-open]").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while harness.opened().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(harness.opened(), [std::path::PathBuf::from(&html)]);
    // The results are still there after a visit to another screen.
    press_enter(&driver, "[data-testid=nav-operations]").await;
    press_enter(&driver, "[data-testid=nav-profiles]").await;
    wait_for_containing(
        &driver,
        "[data-testid=profiles-summary]",
        "500 consumers read",
    )
    .await;
    driver.quit().await.unwrap();

    let page = std::fs::read_to_string(Path::new(&html)).unwrap();
    assert!(page.contains("CARD_CLOSED_BUT_ENROLLED"), "{html}");
    assert!(page.contains("consumers matching &#34;cons&#34;"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fraud_analyst_suspends_one_merchant_s_tokens_on_a_list_of_cards() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("batch-tokens", home.path());
    policy(&harness, "F-0009", "fraud");
    let driver = harness.open().await;
    wait_for_containing(&driver, "[data-testid=operator]", "F-0009").await;
    press_enter(&driver, "[data-testid=nav-batch]").await;
    // Twenty cards, and the live tokens Kumo Streaming holds on them.
    let population = d1_sandbox::seed::generate(1, 500);
    let cards: Vec<String> = population
        .bank
        .values()
        .flat_map(|c| &c.cards)
        .map(|c| c.card_id.clone())
        .take(20)
        .collect();
    let breached = d1_sandbox::tokens::generate(1, &population)
        .into_values()
        .filter(|t| {
            cards.contains(&t.card_id)
                && t.merchant_id.as_deref() == Some("MER0000003")
                && t.state != d1_sandbox::tokens::TokenState::Deleted
        })
        .count();
    assert!(breached > 0);

    let text = wait_for(&driver, "[data-testid=batch-list]").await;
    for card in &cards {
        text.send_keys(format!("card:{card}").as_str())
            .await
            .unwrap();
        text.send_keys(Key::Enter).await.unwrap();
    }
    let action = wait_for(&driver, "[data-testid=batch-action]").await;
    action.send_keys("Suspend").await.unwrap();
    wait_for(&driver, "[data-testid=batch-token-filter]")
        .await
        .send_keys("MER0000003")
        .await
        .unwrap();
    wait_for(&driver, "[data-testid=batch-reason]")
        .await
        .send_keys("Merchant breach")
        .await
        .unwrap();
    press_enter(&driver, "[data-testid=batch-check]").await;
    wait_for_containing(&driver, "[data-testid=batch-checked]", "20 cards").await;
    press_enter(&driver, "[data-testid=batch-dry-run]").await;
    wait_for_containing(
        &driver,
        "[data-testid=batch-preview-summary]",
        &format!("{breached} token"),
    )
    .await;
    wait_for_containing(&driver, "[data-testid=batch-token]", "Kumo Streaming").await;
    harness.screenshot(&driver, "batch-tokens-dry-run").await;

    press_enter(&driver, "[data-testid=batch-start]").await;
    let done = wait_for(&driver, "[data-testid=batch-run][data-phase=ended]").await;
    let counts = done.text().await.unwrap();
    assert!(
        counts.contains(&format!("{breached} successful, 0 failed")),
        "{counts}"
    );
    harness.screenshot(&driver, "batch-tokens-done").await;
    driver.quit().await.unwrap();
}
