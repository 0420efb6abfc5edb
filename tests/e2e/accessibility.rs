//! Accessibility: axe-core (the npm package, from `ui/node_modules`) injected into the real app
//! through WebDriver, on every screen and dialog, in English and Japanese, light and dark. Each
//! check waits for an element of its screen and requires that axe counted passes, so that an
//! empty or half-drawn page cannot pass; no serious or critical violation may remain. Screens
//! that later issues add join [`SCREENS`].

use thirtyfour::prelude::*;

use crate::harness::{Harness, press_enter, type_into, wait_for, wait_for_containing};

/// axe-core's browser build, as npm installed it for the front end.
const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/ui/node_modules/axe-core/axe.min.js"
);

/// Runs axe on the whole document and hands back the count of passes and the serious and
/// critical violations, each with the elements it found.
const RUN: &str = r#"
const done = arguments[arguments.length - 1];
window.axe
  .run(document, { resultTypes: ['violations'] })
  .then((r) => done({
    passes: r.passes.length,
    violations: r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ` +
        v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')),
  }))
  .catch((e) => done({ error: String(e) }));
"#;

/// One step towards a screen.
enum Step {
    /// Enter on this element (a navigation button, a result, an action that opens a dialog).
    Press(&'static str),
    /// Back to the search box, and type the id of the first seeded consumer of this category.
    Find(&'static str),
    /// Type this into the field (`{closed}`: the first seeded consumer with a closed card).
    Type(&'static str, &'static str),
}

use Step::{Find, Press, Type};

/// A screen or dialog: its name, how to reach it from the one before, the element that says
/// it has loaded, and how to leave it.
struct Screen {
    name: &'static str,
    open: &'static [Step],
    ready: &'static str,
    /// Escape closes it (a dialog) before the next screen.
    dialog: bool,
}

/// Every screen and dialog of a fraud analyst who is also an administrator (the auditors'
/// screen is checked in a second session, as an auditor).
const SCREENS: &[Screen] = &[
    Screen {
        name: "search",
        open: &[Find("closed")],
        ready: "[data-testid=result]",
        dialog: false,
    },
    Screen {
        name: "consumer",
        open: &[Press("[data-testid=result]")],
        ready: "[data-testid=finding]",
        dialog: false,
    },
    Screen {
        name: "opt-out dialog",
        open: &[Press("[data-testid=act][data-action=OPT_OUT_CARD]")],
        ready: "[data-testid=removals]",
        dialog: true,
    },
    Screen {
        name: "update dialog",
        open: &[
            Find("email"),
            Press("[data-testid=result]"),
            Press("[data-testid=act][data-action=UPDATE_CONSUMER]"),
        ],
        ready: "[data-testid=update-changes]",
        dialog: true,
    },
    Screen {
        name: "operations",
        open: &[Press("[data-testid=nav-operations]")],
        ready: "[data-testid=operations]",
        dialog: false,
    },
    Screen {
        name: "batch",
        open: &[Press("[data-testid=nav-batch]")],
        ready: "[data-testid=batch]",
        dialog: false,
    },
    Screen {
        name: "audit log",
        open: &[Press("[data-testid=nav-audit]")],
        ready: "[data-testid=audit-record]",
        dialog: false,
    },
    Screen {
        name: "settings",
        open: &[Press("[data-testid=nav-settings]")],
        ready: "[data-testid=settings-operator]",
        dialog: false,
    },
    Screen {
        name: "environment wizard",
        open: &[Press("[data-testid=add-environment]")],
        ready: "[data-testid=wizard]",
        dialog: false,
    },
];

/// The auditors' screens (checked as an auditor).
const AUDITOR_SCREENS: &[Screen] = &[
    Screen {
        name: "profile audit",
        open: &[Press("[data-testid=nav-profiles]")],
        ready: "[data-testid=profiles-list]",
        dialog: false,
    },
    Screen {
        name: "profile audit results",
        open: &[
            Type("[data-testid=profiles-list]", "{closed}\ncons-9999-nobody"),
            Press("[data-testid=profiles-start]"),
        ],
        ready: "[data-testid=profiles-summary]",
        dialog: false,
    },
];

/// The first seeded consumer of `category` (`closed`: a closed card still enrolled, for the
/// opt-out dialog; `email`: a changed e-mail, for the update dialog).
fn seeded(category: &str) -> String {
    d1_sandbox::seed::generate(1, 500)
        .bank
        .into_keys()
        .filter(|id| id.ends_with(&format!("-{category}")))
        .min()
        .unwrap()
}

/// Back to the search box from wherever the window is, and `consumer_id` typed into it.
async fn find(driver: &WebDriver, consumer_id: &str) {
    press_enter(driver, "[data-testid=nav-search]").await;
    // A consumer left open is closed with Esc, back to the search box.
    if !driver
        .find_all(By::Css("[data-testid=consumer]"))
        .await
        .unwrap()
        .is_empty()
    {
        wait_for(driver, "body")
            .await
            .send_keys(Key::Escape)
            .await
            .unwrap();
    }
    let search = wait_for(driver, "[data-testid=search]").await;
    search.clear().await.unwrap();
    search.send_keys(consumer_id).await.unwrap();
    wait_for_containing(driver, "[data-testid=result]", consumer_id).await;
}

/// Visits `screens` in order and returns axe's violations on each.
async fn check(driver: &WebDriver, source: &str, screens: &[Screen], when: &str) -> Vec<String> {
    let mut violations = Vec::new();
    for screen in screens {
        for step in screen.open {
            match step {
                Press(css) => {
                    wait_for(driver, css).await;
                    press_enter(driver, css).await;
                }
                Find(category) => find(driver, &seeded(category)).await,
                Type(css, text) => {
                    // One line at a time: Enter between them, as typed.
                    let text = text.replace("{closed}", &seeded("closed"));
                    let mut lines = text.lines();
                    type_into(driver, css, lines.next().unwrap_or_default()).await;
                    let field = wait_for(driver, css).await;
                    for line in lines {
                        field.send_keys(Key::Enter + line).await.unwrap();
                    }
                }
            }
        }
        wait_for(driver, screen.ready).await;
        let what = format!("{} ({when})", screen.name);
        violations.extend(axe(driver, source, &what).await);
        if screen.dialog {
            wait_for(driver, "dialog[open]")
                .await
                .send_keys(Key::Escape)
                .await
                .unwrap();
        }
    }
    violations
}

/// axe's verdict on what the window shows now, as lines of violations (none when clean).
async fn axe(driver: &WebDriver, source: &str, what: &str) -> Vec<String> {
    let loaded = driver
        .execute("return typeof window.axe === 'object'", Vec::new())
        .await
        .unwrap();
    if loaded.json() != &serde_json::Value::Bool(true) {
        driver
            .execute(&format!("{source}\n;return true;"), Vec::new())
            .await
            .unwrap();
    }
    let result = driver.execute_async(RUN, Vec::new()).await.unwrap();
    let result = result.json();
    assert!(result["error"].is_null(), "{what}: axe failed: {result}");
    let passes = result["passes"].as_u64().unwrap_or(0);
    assert!(
        passes > 10,
        "{what}: axe counted {passes} passes: nothing drawn?"
    );
    result["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| format!("{what}: {}", v.as_str().unwrap_or_default()))
        .collect()
}

async fn set_theme(driver: &WebDriver, theme: &str) {
    press_enter(driver, "[data-testid=nav-settings]").await;
    wait_for(driver, "[data-testid=theme]")
        .await
        .send_keys(theme)
        .await
        .unwrap();
    let expected = theme.to_lowercase();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while driver
        .execute("return document.documentElement.dataset.theme", Vec::new())
        .await
        .unwrap()
        .json()
        != &serde_json::Value::String(expected.clone())
    {
        assert!(std::time::Instant::now() < deadline, "theme {theme}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_screen_and_dialog_passes_axe_in_both_languages_light_and_dark() {
    let source = std::fs::read_to_string(AXE)
        .unwrap_or_else(|e| panic!("{AXE}: {e}: run `make setup` (npm ci in ui/)"));
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("accessibility", home.path());
    let account = care::policy::Identity::of_this_process().unwrap().account;
    harness.write_system_policy(
        &serde_json::json!({
            "operators": { &account: { "id": "F-0007", "role": "fraud", "admin": true } }
        })
        .to_string(),
    );
    let driver = harness.open().await;
    let mut violations = Vec::new();
    for (language, theme) in [
        ("en", "Light"),
        ("ja", "Dark"),
        ("en", "Dark"),
        ("ja", "Light"),
    ] {
        set_theme(&driver, theme).await;
        press_enter(&driver, &format!("[data-testid=language-{language}]")).await;
        violations.extend(check(&driver, &source, SCREENS, &format!("{language}, {theme}")).await);
        harness
            .screenshot(&driver, &format!("axe-{language}-{}", theme.to_lowercase()))
            .await;
    }
    driver.quit().await.unwrap();

    // The auditors' screens, as an auditor.
    harness.write_system_policy(
        &serde_json::json!({ "operators": { &account: { "id": "A-0042", "role": "auditor" } } })
            .to_string(),
    );
    let driver = harness.open().await;
    for (language, theme) in [
        ("en", "Light"),
        ("ja", "Dark"),
        ("en", "Dark"),
        ("ja", "Light"),
    ] {
        set_theme(&driver, theme).await;
        press_enter(&driver, &format!("[data-testid=language-{language}]")).await;
        let when = format!("auditor, {language}, {theme}");
        violations.extend(check(&driver, &source, AUDITOR_SCREENS, &when).await);
    }
    harness.screenshot(&driver, "axe-auditor").await;
    driver.quit().await.unwrap();
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
