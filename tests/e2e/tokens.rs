//! The Tokens panel on the consumer screen: a merchant's card-on-file token suspended with a
//! reason, shown SUSPENDED, resumed; the same panel in Japanese.

use thirtyfour::prelude::*;

use crate::consumer::open_consumer;
use crate::harness::{Harness, press_enter, wait_for, wait_for_containing};

/// A consumer of the app's sandbox (seed 1, 500 consumers) holding an open card with an active
/// merchant token, and a closed card (whose active wallet token is a finding): the consumer and
/// the token's id.
fn consumer_with_a_merchant_token() -> (String, String) {
    use d1_sandbox::tokens::{TokenState, TokenType};
    let population = d1_sandbox::seed::generate(1, 500);
    let tokens = d1_sandbox::tokens::generate(1, &population);
    population
        .bank
        .values()
        .filter(|c| c.consumer_id.ends_with("-closed"))
        .find_map(|consumer| {
            let token = tokens.values().find(|t| {
                t.token_type == TokenType::CardOnFile
                    && t.state == TokenState::Active
                    && consumer.cards.iter().any(|c| {
                        c.card_id == t.card_id && c.status == d1_sandbox::model::AccountStatus::Open
                    })
            })?;
            Some((consumer.consumer_id.clone(), token.digital_card_id.clone()))
        })
        .unwrap()
}

/// Opens the dialog of `action` on token `id`, gives `reason`, confirms, and waits until the
/// token shows `state`.
async fn write_token(driver: &WebDriver, id: &str, action: &str, reason: &str, state: &str) {
    let row = format!("[data-testid=token][data-token={id}]");
    press_enter(
        driver,
        &format!("{row} [data-testid=token-action][data-action={action}]"),
    )
    .await;
    wait_for(driver, "[data-testid=token-dialog]").await;
    let field = driver
        .find(By::Css("[data-testid=token-reason]"))
        .await
        .unwrap();
    field.send_keys(reason).await.unwrap();
    press_enter(driver, "[data-testid=token-confirm]").await;
    wait_for(driver, &format!("{row}[data-state={state}]")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_suspends_a_merchant_token_with_a_reason_sees_it_suspended_and_resumes_it() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("tokens", home.path());
    let driver = harness.open().await;
    let (consumer, token) = consumer_with_a_merchant_token();
    open_consumer(&driver, &consumer).await;
    let row = format!("[data-testid=token][data-token={token}]");
    let shown = wait_for(&driver, &format!("{row}[data-state=ACTIVE]")).await;
    assert_eq!(
        shown.attr("data-group").await.unwrap().as_deref(),
        Some("merchants")
    );
    wait_for_containing(&driver, "[data-testid=tokens]", "Merchants").await;
    // Each card is named as people know it (its network and last 4), once the view is in.
    wait_for(&driver, "[data-testid=grid]").await;
    for heading in driver
        .find_all(By::Css("[data-testid=token-card] h4"))
        .await
        .unwrap()
    {
        let text = heading.text().await.unwrap();
        assert!(text.contains("••••"), "{text}");
    }
    wait_for(
        &driver,
        "[data-testid=token-finding][data-kind=ACTIVE_TOKEN_ON_CLOSED_CARD]",
    )
    .await;
    driver
        .execute(
            "document.querySelector('[data-testid=tokens]').scrollIntoView()",
            Vec::new(),
        )
        .await
        .unwrap();
    harness.screenshot(&driver, "tokens-en").await;

    // The agent's reason codes are the customer's: no fraud code is offered.
    press_enter(
        &driver,
        &format!("{row} [data-testid=token-action][data-action=SUSPEND_TOKEN]"),
    )
    .await;
    let codes = wait_for(&driver, "[data-testid=token-reason-code]").await;
    let offered = codes.text().await.unwrap();
    assert!(
        offered.contains("DEVICE_LOST") && !offered.contains("FRAUD_DETECTED"),
        "{offered}"
    );
    harness.screenshot(&driver, "token-dialog").await;
    driver
        .find(By::Css("[data-testid=token-dialog] button[type=button]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    write_token(
        &driver,
        &token,
        "SUSPEND_TOKEN",
        "Customer disputes charges",
        "SUSPENDED",
    )
    .await;
    let state = driver
        .find(By::Css(format!("{row} [data-testid=token-state]")))
        .await
        .unwrap();
    assert_eq!(state.text().await.unwrap(), "Suspended");
    write_token(
        &driver,
        &token,
        "RESUME_TOKEN",
        "Charges explained",
        "ACTIVE",
    )
    .await;

    // The History panel shows both, made by the bank.
    for operation in ["SUSPEND", "RESUME"] {
        wait_for(
            &driver,
            &format!(
                "[data-testid=history-entry][data-operation={operation}][data-requestor=ISSUER][data-state=SUCCESSFUL]"
            ),
        )
        .await;
    }
    driver
        .execute(
            "document.querySelector('[data-testid=history]').scrollIntoView()",
            Vec::new(),
        )
        .await
        .unwrap();
    harness.screenshot(&driver, "history-en").await;

    // In Japanese: the panel and the token's state in words.
    press_enter(&driver, "[data-testid=language-ja]").await;
    wait_for_containing(&driver, "[data-testid=tokens]", "トークン").await;
    wait_for_containing(&driver, &format!("{row} [data-testid=token-state]"), "有効").await;
    write_token(
        &driver,
        &token,
        "SUSPEND_TOKEN",
        "Customer request",
        "SUSPENDED",
    )
    .await;
    wait_for_containing(
        &driver,
        &format!("{row} [data-testid=token-state]"),
        "一時停止",
    )
    .await;
    wait_for_containing(&driver, "[data-testid=history-who]", "銀行").await;
    driver
        .execute(
            "document.querySelector('[data-testid=tokens]').scrollIntoView()",
            Vec::new(),
        )
        .await
        .unwrap();
    harness.screenshot(&driver, "tokens-ja").await;
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fraud_analyst_suspends_every_token_of_a_card_at_once() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("tokens-fraud", home.path());
    std::fs::create_dir_all(&harness.config_dir).unwrap();
    std::fs::write(
        harness.config_dir.join("policy.json"),
        r#"{"operator":"F-0011","role":"fraud"}"#,
    )
    .unwrap();
    let driver = harness.open().await;
    wait_for_containing(&driver, "[data-testid=operator]", "F-0011").await;
    let (consumer, token) = consumer_with_a_merchant_token();
    open_consumer(&driver, &consumer).await;
    wait_for(&driver, &format!("[data-testid=token][data-token={token}]")).await;
    let card = d1_sandbox::tokens::generate(1, &d1_sandbox::seed::generate(1, 500))[&token]
        .card_id
        .clone();
    press_enter(
        &driver,
        &format!("[data-testid=token-card][data-card={card}] [data-testid=tokens-all-suspend]"),
    )
    .await;
    let codes = wait_for(&driver, "[data-testid=token-reason-code]").await;
    assert!(codes.text().await.unwrap().contains("FRAUD_DETECTED"));
    codes.send_keys("Fraud").await.unwrap();
    harness.screenshot(&driver, "tokens-all-dialog").await;
    press_enter(&driver, "[data-testid=token-confirm]").await;
    wait_for_containing(&driver, "[data-testid=tokens-all-done]", "0 refused").await;
    let rows = format!("[data-testid=token-card][data-card={card}] [data-testid=token]");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let mut states = Vec::new();
        for row in driver.find_all(By::Css(&rows)).await.unwrap() {
            states.push(row.attr("data-state").await.unwrap().unwrap_or_default());
        }
        if states.iter().all(|s| s == "SUSPENDED" || s == "DELETED") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{states:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    harness.screenshot(&driver, "tokens-all-suspended").await;
    driver.quit().await.unwrap();
}
