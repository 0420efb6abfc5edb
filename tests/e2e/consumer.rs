//! The consumer screen on the embedded sandbox: search by consumerId and by last 4, open with the
//! keyboard, see the seeded mismatch labelled in the grid beside the bank's record.

use thirtyfour::prelude::*;

use crate::harness::{Harness, press_enter, wait_for, wait_for_containing, wait_until_gone};

/// The first seeded consumer of a category in the app's sandbox (seed 1, 500 consumers).
pub(crate) fn seeded(slug: &str) -> d1_sandbox::model::IssuerConsumer {
    d1_sandbox::seed::generate(1, 500)
        .bank
        .into_values()
        .filter(|c| c.consumer_id.ends_with(&format!("-{slug}")))
        .min_by(|a, b| a.consumer_id.cmp(&b.consumer_id))
        .unwrap()
}

/// Types `consumer_id` into the search box and opens its result with Enter.
pub(crate) async fn open_consumer(driver: &WebDriver, consumer_id: &str) {
    let search = driver.find(By::Css("[data-testid=search]")).await.unwrap();
    search.send_keys(consumer_id).await.unwrap();
    wait_for_containing(driver, "[data-testid=result]", consumer_id).await;
    search.send_keys(Key::Enter).await.unwrap();
}

/// Opens the card opt-out dialog from the open consumer's finding and types a reason; the
/// caller confirms.
pub(crate) async fn fill_card_opt_out(driver: &WebDriver) {
    press_enter(driver, "[data-testid=act][data-action=OPT_OUT_CARD]").await;
    wait_for_containing(driver, "[data-testid=removals]", "VISA").await;
    let reason = driver.find(By::Css("[data-testid=reason]")).await.unwrap();
    reason.send_keys("Card closed at bank").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_open_with_the_keyboard_and_see_the_mismatch_highlighted() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("consumer", home.path());
    let driver = harness.open().await;
    let search = driver.find(By::Css("[data-testid=search]")).await.unwrap();

    // By last 4: the consumer is among the results.
    let closed = seeded("closed");
    search
        .send_keys(closed.cards[0].last4.as_str())
        .await
        .unwrap();
    wait_for_containing(&driver, "[data-testid=result]", &closed.consumer_id).await;
    for _ in 0..4 {
        search.send_keys(Key::Backspace).await.unwrap();
    }

    // By consumerId, then Enter opens the highlighted result.
    let differs = seeded("email");
    search
        .send_keys(differs.consumer_id.as_str())
        .await
        .unwrap();
    wait_for_containing(&driver, "[data-testid=result]", &differs.consumer_id).await;
    search.send_keys(Key::Enter).await.unwrap();
    // The header names the consumer in both scripts, with the id and the contact details.
    wait_for_containing(
        &driver,
        "[data-testid=consumer-contact]",
        &differs.consumer_id,
    )
    .await;
    let heading = wait_for_containing(
        &driver,
        "[data-testid=consumer-name]",
        &differs.name_latin.last,
    )
    .await;
    if let Some(kanji) = &differs.name_kanji {
        let name = format!("{} {}", kanji.last, kanji.first);
        assert!(heading.text().await.unwrap().contains(&name));
    }
    let cell = wait_for_containing(
        &driver,
        "[data-testid=cell][data-match=DIFFERENT]",
        // The label is styled in capitals, and WebDriver reads the rendered text.
        "DIFFERS",
    )
    .await;
    assert!(
        cell.class_name()
            .await
            .unwrap()
            .unwrap_or_default()
            .contains("differs")
    );
    wait_for_containing(&driver, "[data-testid=finding]", "Contact details differ").await;
    let shot = harness.screenshot(&driver, "consumer-en").await;
    eprintln!("screenshot: {}", shot.display());
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opt_out_the_closed_card_and_watch_it_finish() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("opt-out", home.path());
    let driver = harness.open().await;
    let closed = seeded("closed");
    open_consumer(&driver, &closed.consumer_id).await;

    wait_for_containing(
        &driver,
        "[data-testid=act][data-action=OPT_OUT_CARD]",
        "opt the card out",
    )
    .await;
    fill_card_opt_out(&driver).await;
    let shot = harness.screenshot(&driver, "opt-out-en").await;
    eprintln!("screenshot: {}", shot.display());
    press_enter(&driver, "[data-testid=confirm]").await;

    // Pending, then successful (the sandbox ends it after 1.5 s), in the status bar.
    wait_for_containing(&driver, "[data-testid=status-operation]", "successful").await;
    // The screen refreshed: the closed card is no longer enrolled anywhere.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let findings = driver
            .find_all(By::Css("[data-testid=finding]"))
            .await
            .unwrap();
        let mut kinds = Vec::new();
        for finding in findings {
            kinds.push(finding.attr("data-kind").await.unwrap().unwrap_or_default());
        }
        if !kinds.iter().any(|k| k == "CARD_CLOSED_BUT_ENROLLED") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {kinds:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    harness.screenshot(&driver, "opted-out-en").await;

    // The audit log has the view, the intent and both outcomes, and its chain verifies.
    press_enter(&driver, "[data-testid=nav-audit]").await;
    for event in [
        "profile_view",
        "opt_out_card_intent",
        "opt_out_card_outcome",
    ] {
        wait_for_containing(&driver, "[data-testid=audit-record]", event).await;
    }
    wait_for_containing(&driver, "[data-testid=audit-record]", "SUCCESSFUL").await;
    press_enter(&driver, "[data-testid=verify]").await;
    wait_for_containing(&driver, "[data-testid=verdict]", "Chain intact").await;
    let shot = harness.screenshot(&driver, "audit-en").await;
    eprintln!("screenshot: {}", shot.display());
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_directory_shows_in_its_column_while_the_other_still_shows() {
    let home = tempfile::tempdir().unwrap();
    let faults = r#"[{"endpoints":["profiles"],"failingDirectory":"VISA"}]"#;
    let harness = Harness::start_with(
        "failing-directory",
        home.path(),
        &[("C2P_SANDBOX_FAULTS", faults)],
    );
    let driver = harness.open().await;
    let consumer = seeded("ok");
    open_consumer(&driver, &consumer.consumer_id).await;
    wait_for_containing(&driver, "[data-testid=column-VISA]", "could not be read").await;
    let mastercard = driver
        .find(By::Css("[data-testid=column-MASTERCARD]"))
        .await
        .unwrap();
    assert!(
        !mastercard
            .text()
            .await
            .unwrap()
            .contains("could not be read")
    );
    wait_for_containing(&driver, "[data-testid=findings]", "may be incomplete").await;
    harness.screenshot(&driver, "failing-directory-en").await;
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_japanese_an_opt_out_whose_answer_was_lost_says_how_its_outcome_was_found() {
    let home = tempfile::tempdir().unwrap();
    // D1 applies the opt-out but its answer never arrives: the outcome is UNKNOWN until the
    // tracker finds the operation in D1's list.
    let faults = r#"[{"endpoints":["optOutCard"],"dropAfterApply":true}]"#;
    let harness = Harness::start_with("unknown-ja", home.path(), &[("C2P_SANDBOX_FAULTS", faults)]);
    let driver = harness.open().await;
    press_enter(&driver, "[data-testid=language-ja]").await;
    let closed = seeded("closed");
    open_consumer(&driver, &closed.consumer_id).await;
    fill_card_opt_out(&driver).await;
    press_enter(&driver, "[data-testid=confirm]").await;
    // The dialog stays (and the screen behind it is inert) until the core has the answer, or
    // knows it lost it.
    wait_until_gone(&driver, "[data-testid=opt-out-dialog][open]").await;

    press_enter(&driver, "[data-testid=nav-operations]").await;
    let row = wait_for_containing(
        &driver,
        "[data-testid=operation][data-state=SUCCESSFUL]",
        "完了",
    )
    .await;
    let detail = row
        .find(By::Css("[data-testid=operation-detail]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        detail,
        "結果が不明だったため、D1 の操作一覧で確認しました。"
    );
    harness.screenshot(&driver, "operations-ja").await;
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_opt_out_needs_the_typed_confirmation_then_empties_every_directory() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("consumer-opt-out", home.path());
    let driver = harness.open().await;
    let consumer = seeded("ok");
    open_consumer(&driver, &consumer.consumer_id).await;
    wait_for_containing(&driver, "[data-testid=grid]", "Enrolled").await;
    press_enter(&driver, "[data-testid=opt-out-consumer]").await;
    wait_for_containing(&driver, "[data-testid=removals]", "consumer").await;
    let confirm = driver.find(By::Css("[data-testid=confirm]")).await.unwrap();
    assert!(
        !confirm.is_enabled().await.unwrap(),
        "disabled until confirmed"
    );
    let typed = driver
        .find(By::Css("[data-testid=confirmation]"))
        .await
        .unwrap();
    typed
        .send_keys(consumer.name_latin.last.as_str())
        .await
        .unwrap();
    assert!(confirm.is_enabled().await.unwrap());
    harness.screenshot(&driver, "consumer-opt-out-en").await;
    confirm.send_keys(Key::Enter).await.unwrap();
    wait_for_containing(&driver, "[data-testid=status-operation]", "successful").await;
    // Both directories now hold nothing of this consumer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let visa = driver
            .find(By::Css("[data-testid=column-VISA]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mastercard = driver
            .find(By::Css("[data-testid=column-MASTERCARD]"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if visa.contains("not enrolled") && mastercard.contains("not enrolled") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{visa} / {mastercard}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    driver.quit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_japanese_a_hostile_directory_name_and_a_5000_character_line_show_as_inert_text() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("hostile-ja", home.path());
    let driver = harness.open().await;
    press_enter(&driver, "[data-testid=language-ja]").await;
    // Anything the page would run from the data would set this flag.
    driver
        .execute("window.alert = () => { window.__ran = true; };", Vec::new())
        .await
        .unwrap();
    let hostile = seeded("hostile");
    open_consumer(&driver, &hostile.consumer_id).await;
    wait_for_containing(
        &driver,
        "[data-testid=finding]",
        "連絡先が銀行の記録と異なる",
    )
    .await;
    wait_for_containing(
        &driver,
        "[data-testid=finding]",
        "請求先住所が銀行の記録と異なる",
    )
    .await;
    wait_for_containing(
        &driver,
        "[data-testid=cell]",
        d1_sandbox::seed::HOSTILE_NAME,
    )
    .await;
    wait_for_containing(&driver, "[data-testid=consumer]", "に取得").await;

    let page = driver
        .execute(
            "const content = document.querySelector('[data-testid=consumer]');
             const cells = [...document.querySelectorAll('[data-testid=cell]')];
             const long = cells.find(c => c.textContent.includes('長長長長長長長長'));
             return {
               images: content.querySelectorAll('img').length,
               ran: window.__ran === true,
               lang: document.documentElement.lang,
               pageWidth: document.documentElement.scrollWidth,
               viewWidth: window.innerWidth,
               longHeight: long ? long.getBoundingClientRect().height : -1,
               viewHeight: window.innerHeight,
             };",
            Vec::new(),
        )
        .await
        .unwrap();
    let page = page.json();
    assert_eq!(page["images"], 0, "the markup stayed text: {page}");
    assert_eq!(page["ran"], false, "nothing from the data ran: {page}");
    assert_eq!(page["lang"], "ja", "{page}");
    assert!(
        page["pageWidth"].as_f64() <= page["viewWidth"].as_f64(),
        "the long line does not widen the page: {page}"
    );
    let long_height = page["longHeight"].as_f64().unwrap();
    assert!(
        long_height > 0.0 && long_height < page["viewHeight"].as_f64().unwrap() / 2.0,
        "the long line is shown, bounded: {page}"
    );
    let shot = harness.screenshot(&driver, "hostile-ja").await;
    eprintln!("screenshot: {}", shot.display());
    driver.quit().await.unwrap();
}

/// Updating a directory from the bank's record shows what changes where, old and new, and sends
/// only once confirmed; the outcome shows on the screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_shows_each_directory_s_old_and_new_values_before_it_is_confirmed() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("update", home.path());
    let driver = harness.open().await;
    let consumer = seeded("email");
    open_consumer(&driver, &consumer.consumer_id).await;
    press_enter(&driver, "[data-testid=act][data-action=UPDATE_CONSUMER]").await;
    let changes = wait_for_containing(&driver, "[data-testid=update-changes]", "Email").await;
    let text = changes.text().await.unwrap();
    assert!(
        text.contains(&consumer.email),
        "the bank's e-mail is the new value: {text}"
    );
    harness.screenshot(&driver, "update-en").await;
    press_enter(&driver, "[data-testid=update-confirm]").await;
    wait_until_gone(&driver, "[data-testid=update-dialog]").await;
    wait_for_containing(&driver, "[data-testid=write-result]", "Consumer update").await;
    driver.quit().await.unwrap();
}

/// A full card number typed in the search is neither searched nor left on screen: the box
/// shows its last 4 masked, and the screen offers to search by them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_number_typed_in_the_search_is_masked_and_offered_as_its_last_4() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("search-pan", home.path());
    let driver = harness.open().await;
    let pan = "4111 1111 1111 1111";
    let search = driver.find(By::Css("[data-testid=search]")).await.unwrap();
    search.send_keys(pan).await.unwrap();
    wait_for_containing(
        &driver,
        "[data-testid=card-number]",
        "Search by last 4 (1111)",
    )
    .await;
    let page = driver.source().await.unwrap();
    assert!(
        !page.contains("4111 1111 1111 1111"),
        "the number is not on screen"
    );
    assert_eq!(
        search.prop("value").await.unwrap().as_deref(),
        Some("•••• 1111")
    );
    harness.screenshot(&driver, "search-pan-en").await;
    // The offer searches by the last 4 it shows.
    press_enter(&driver, "[data-testid=search-last4]").await;
    assert_eq!(search.prop("value").await.unwrap().as_deref(), Some("1111"));
    driver.quit().await.unwrap();
}

/// Keyboard only, from start-up: find 佐藤 さくら by typing さとう さくら (hiragana, as an input
/// method types it first), open cons-0010-closed and opt out its closed card. Every key besides
/// the name is counted: 12 or fewer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_only_a_closed_card_is_opted_out_in_twelve_keys_or_fewer() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("keyboard", home.path());
    let driver = harness.open().await;
    let target = "cons-0010-closed";
    let mut keys = 0;
    // The search box has the focus at start-up.
    wait_for(&driver, "[data-testid=search]").await;
    let typed = driver.active_element().await.unwrap();
    assert_eq!(
        typed.attr("data-testid").await.unwrap().as_deref(),
        Some("search")
    );
    typed.send_keys("さとう さくら").await.unwrap();
    wait_for_containing(&driver, "[data-testid=result]", target).await;
    harness.screenshot(&driver, "search-results").await;
    let results = driver
        .find_all(By::Css("[data-testid=result]"))
        .await
        .unwrap();
    let mut position = None;
    for (index, result) in results.iter().enumerate() {
        if result.text().await.unwrap().contains(target) {
            position = Some(index);
        }
    }
    for _ in 0..position.expect("among the results") {
        driver
            .active_element()
            .await
            .unwrap()
            .send_keys(Key::Down)
            .await
            .unwrap();
        keys += 1;
    }
    driver
        .active_element()
        .await
        .unwrap()
        .send_keys(Key::Enter)
        .await
        .unwrap();
    keys += 1;
    // The consumer opens with the keyboard on the most serious finding's action.
    wait_for_containing(&driver, "[data-testid=consumer-contact]", target).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let focused = driver.active_element().await.unwrap();
        if focused.attr("data-action").await.unwrap().as_deref() == Some("OPT_OUT_CARD") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the focus is not on the opt-out"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    driver
        .active_element()
        .await
        .unwrap()
        .send_keys(Key::Enter)
        .await
        .unwrap();
    keys += 1;
    // The dialog opens on the reason; Enter there confirms.
    wait_for_containing(&driver, "[data-testid=removals]", "VISA").await;
    let reason = driver.active_element().await.unwrap();
    assert_eq!(
        reason.attr("data-testid").await.unwrap().as_deref(),
        Some("reason")
    );
    reason.send_keys(Key::Enter).await.unwrap();
    keys += 1;
    wait_for_containing(&driver, "[data-testid=write-result]", "successful").await;
    let focused = driver.active_element().await.unwrap();
    assert_eq!(
        focused.attr("data-testid").await.unwrap().as_deref(),
        Some("write-result"),
        "after the write the keyboard is on its result"
    );
    eprintln!("keys besides the name: {keys}");
    harness.screenshot(&driver, "keyboard").await;
    driver.quit().await.unwrap();
    assert!(keys <= 12, "{keys} keys");
}
