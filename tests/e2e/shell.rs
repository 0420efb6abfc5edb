//! The application frame: search box focus, the language switch and its persistence.

use thirtyfour::prelude::*;

use crate::harness::{Harness, wait_for_containing, wait_for_text};

const SEARCH: &str = "[data-testid=search]";
const HEADING: &str = "[data-testid=content] h2";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_has_focus_and_the_chosen_language_survives_a_restart() {
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("shell", home.path());

    let driver = harness.open().await;
    let search = driver
        .query(By::Css(SEARCH))
        .first()
        .await
        .expect("search box");
    let focused = driver
        .execute(
            "return document.activeElement?.dataset.testid ?? null",
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(
        focused.json(),
        "search",
        "the search box has focus on start-up"
    );
    wait_for_text(
        &driver,
        "[data-testid=environment]",
        "SANDBOX — simulated data",
    )
    .await;
    wait_for_text(&driver, HEADING, "Find a consumer").await;
    assert_the_first_frame_keeps_the_search_box_in_place(&driver).await;

    search.send_keys("Sato").await.unwrap();
    assert_eq!(search.value().await.unwrap().as_deref(), Some("Sato"));
    // Results as you type, from the embedded sandbox's bank records.
    wait_for_containing(&driver, "[data-testid=result]", "Sato").await;
    let english = harness.screenshot(&driver, "console-en").await;
    for _ in 0.."Sato".len() {
        search.send_keys(Key::Backspace).await.unwrap();
    }

    // Keyboard, as an operator without a mouse would. (A WebDriver pointer click on WebKitGTK
    // leaves the next screenshot request hanging.)
    let japanese_button = driver
        .find(By::Css("[data-testid=language-ja]"))
        .await
        .unwrap();
    japanese_button.send_keys(Key::Enter).await.unwrap();
    wait_for_text(&driver, HEADING, "会員を探す").await;
    wait_for_text(
        &driver,
        "[data-testid=environment]",
        "サンドボックス — シミュレーションデータ",
    )
    .await;
    let lang = driver
        .execute("return document.documentElement.lang", Vec::new())
        .await
        .unwrap();
    assert_eq!(lang.json(), "ja");
    assert_the_first_frame_keeps_the_search_box_in_place(&driver).await;
    let japanese = harness.screenshot(&driver, "console-ja").await;
    eprintln!("screenshots: {} {}", english.display(), japanese.display());
    driver.quit().await.unwrap();

    let settings = std::fs::read_to_string(harness.config_dir.join("settings.json")).unwrap();
    assert!(settings.contains(r#""language": "ja""#), "{settings}");

    // After the restart the core hands the saved language to the page before its scripts run:
    // the first frame is already in Japanese.
    let driver = harness.open().await;
    let handed = driver
        .execute("return window.__C2P_START__", Vec::new())
        .await
        .unwrap();
    assert_eq!(handed.json()["language"], "ja", "{:?}", handed.json());
    let placeholder = driver
        .find(By::Css(SEARCH))
        .await
        .unwrap()
        .attr("placeholder")
        .await
        .unwrap();
    assert_eq!(
        placeholder.as_deref(),
        Some("会員ID、カードID、氏名、メール、電話番号、下4桁")
    );
    wait_for_text(&driver, HEADING, "会員を探す").await;
    driver.quit().await.unwrap();
}

/// The first frame draws the search box alone, with the places of the header, the navigation and
/// the footer kept free (App.svelte): each, once drawn, must be exactly as high as its place, or
/// the box would jump under the agent's eyes.
async fn assert_the_first_frame_keeps_the_search_box_in_place(driver: &WebDriver) {
    let heights = driver
        .execute(
            "const height = (element) => element.getBoundingClientRect().height;
             const place = document.createElement('div');
             place.style.boxSizing = 'border-box';
             place.style.height = 'var(--header-height)';
             document.body.append(place);
             const kept = height(place);
             place.remove();
             const nav = document.querySelector('main > nav');
             const footer = document.querySelector('footer');
             return [
               [height(document.querySelector('header')), kept],
               [height(nav), parseFloat(getComputedStyle(nav).minHeight)],
               [height(footer), parseFloat(getComputedStyle(footer).minHeight)],
             ];",
            Vec::new(),
        )
        .await
        .unwrap();
    let heights: Vec<(f64, f64)> = serde_json::from_value(heights.json().clone()).unwrap();
    for ((drawn, kept), part) in heights.into_iter().zip(["header", "navigation", "footer"]) {
        assert!(
            kept > 0.0 && (drawn - kept).abs() < 0.5,
            "the {part} is {drawn} px high, its place in the first frame {kept} px"
        );
    }
}

/// What a script in the window (an injected one, say) cannot do: take the window to another
/// page, open a new window, or have the core read a file it names.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_in_the_window_can_neither_leave_it_open_another_nor_read_a_file() {
    let home = tempfile::tempdir().unwrap();
    // A fraud analyst, who may read list files, through the user-level policy on the sandbox.
    let config = home.path().join("config/app.c2pcare.console");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("policy.json"),
        r#"{"operator":"F-1","role":"fraud"}"#,
    )
    .unwrap();
    let harness = Harness::start("shell-guards", home.path());
    let driver = harness.open().await;
    let before = driver.current_url().await.unwrap();
    let elsewhere = serve_a_page();
    driver
        .execute(
            &format!("window.open('{elsewhere}'); location.href = '{elsewhere}'; return null"),
            Vec::new(),
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(driver.current_url().await.unwrap(), before);
    assert_eq!(driver.windows().await.unwrap().len(), 1, "no second window");
    wait_for_containing(&driver, "[data-testid=operator]", "F-1").await;

    // The list reader takes a picker's token, never a path.
    let answer = driver
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__TAURI_INTERNALS__
               .invoke('read_list_file', { token: '/etc/passwd', purpose: 'batchOptOut' })
               .then((text) => done('read: ' + text.length), (error) => done(JSON.stringify(error)));",
            Vec::new(),
        )
        .await
        .unwrap();
    let answer = answer.json().as_str().unwrap().to_owned();
    assert!(
        answer.contains("INVALID_INPUT") && answer.contains("not chosen in this window"),
        "{answer}"
    );
    driver.quit().await.unwrap();
}

/// A page on 127.0.0.1 that any browser would load: its address. Served from a thread for the
/// rest of the test process.
fn serve_a_page() -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let body = "<!doctype html><title>elsewhere</title><p>elsewhere</p>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    address
}
