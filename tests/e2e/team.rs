//! Team mode in the window: a real team store (PostgreSQL over TLS) and a configured D1 (the
//! sandbox over mTLS, as `d1-sandbox serve` would be), another workstation's operator opting a
//! card out. The console's History panel names that operator's operation, its own opt-out of the
//! same card is refused naming who is making it, and the Operations screen's team scope lists
//! the team's operations.

use std::path::Path;
use std::time::Duration;

use care::console::{Console, Options};
use care::policy::{Identity, PolicyPaths};
use care::storage::AppDirs;
use thirtyfour::prelude::*;

use crate::harness::{Harness, press_enter, wait_for, wait_for_containing};

/// The administrators' policy naming this OS account `operator` (fraud, and an administrator to
/// add the environment) in team mode on `database`.
fn team_policy(port: u16, database: &str, ca: &Path, operator: &str) -> String {
    let account = Identity::of_this_process().unwrap().account;
    serde_json::json!({
        "operators": { account: { "id": operator, "role": "fraud", "admin": true } },
        "team": { "host": "127.0.0.1", "port": port, "database": database, "caFile": ca }
    })
    .to_string()
}

/// Writes `text` as the administrators' policy at `path`, as IT would.
fn write_policy(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let folder = path.parent().unwrap();
    std::fs::create_dir_all(folder).unwrap();
    std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// A console on the files under `home` (as the app lays them out) with the administrators'
/// policy at `policy`, using the OS keychain: what IT's setup leaves on a workstation.
fn console_at(home: &Path, policy: &Path) -> Console {
    let data = home.join("data").join(care::storage::paths::APP_IDENTIFIER);
    Console::open(Options {
        dirs: AppDirs {
            config: home
                .join("config")
                .join(care::storage::paths::APP_IDENTIFIER),
            logs: data.join("logs"),
            data,
        },
        vault: care::credentials::Vault::platform(),
        policy: PolicyPaths {
            system: policy.to_owned(),
            user: home.join("config/policy.json"),
            system_owner: rustix::process::geteuid().as_raw(),
        },
        identity: Identity::of_this_process().unwrap(),
    })
    .unwrap()
}

/// Connects the console to the sandbox that wrote `state` as environment `name`, and to the
/// team store with `login`.
async fn connect(console: &Console, state: &Path, name: &str, login: &str) {
    console
        .add_environment(care::environments::Environment::from_sandbox_state(name, state).unwrap())
        .unwrap();
    let file = |f: &str| state.join(f);
    console
        .import_credentials(
            name,
            care::credentials::ImportRequest {
                mtls: care::credentials::MtlsSource::Pem {
                    chain: file("client.pem"),
                    key: file("client.key"),
                },
                signing_key: file("signing.key"),
                issuer_api_key: care::credentials::read_api_key(&file("issuer-api-key")).unwrap(),
            },
        )
        .await
        .unwrap();
    console.use_environment(name).await.unwrap();
    console.import_team_credentials(login, "pw").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_operator_s_opt_out_shows_in_history_and_keeps_this_one_from_sending() {
    let cluster = team::testing::Cluster::start();
    let database = cluster.database("c2p").await;
    let mut owner = cluster.owner(&database).await;
    team::schema::init(&mut owner).await.unwrap();
    for (login, operator) in [("wsa", "A-0042"), ("wsb", "B-0007")] {
        team::schema::add_login(&mut owner, login, "pw", operator, false)
            .await
            .unwrap();
        team::schema::grant_fraud(&mut owner, login).await.unwrap();
    }
    // D1 as `d1-sandbox serve` would be, its writes pending for a minute.
    let state = tempfile::tempdir().unwrap();
    let sandbox = d1_sandbox::Sandbox::start(d1_sandbox::SandboxConfig {
        consumers: 500,
        op_delay: Duration::from_secs(60),
        ..d1_sandbox::SandboxConfig::default()
    })
    .await
    .unwrap();
    sandbox.write_state_dir(state.path()).unwrap();
    let ca = state.path().join("team-ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).unwrap();

    // Another workstation: B-0007 opts out a card of a consumer; it stays pending.
    let other = tempfile::tempdir().unwrap();
    let other_policy = other.path().join("etc/policy.json");
    write_policy(
        &other_policy,
        &team_policy(cluster.port, &database, &ca, "B-0007"),
    );
    let b = console_at(other.path(), &other_policy);
    connect(&b, state.path(), "local-b", "wsb").await;
    let closed = crate::consumer::seeded("closed");
    let card = closed
        .cards
        .iter()
        .find(|c| c.status == d1_sandbox::model::AccountStatus::Closed)
        .unwrap()
        .card_id
        .clone();
    let written = b
        .write(care::writes::WriteRequest {
            kind: care::writes::WriteKind::OptOutCard,
            target: card.clone(),
            reason: Some("Card closed at bank".into()),
            user_decision: false,
        })
        .await
        .unwrap();
    assert_eq!(written.state, care::journal::State::Pending);

    // This workstation: A-0042, set up by IT, opens the console.
    let home = tempfile::tempdir().unwrap();
    let harness = Harness::start("team", home.path());
    harness.write_system_policy(&team_policy(cluster.port, &database, &ca, "A-0042"));
    let a = console_at(home.path(), &harness.system_policy);
    connect(&a, state.path(), "local", "wsa").await;
    drop(a);
    let driver = harness.open().await;
    crate::consumer::open_consumer(&driver, &closed.consumer_id).await;
    wait_for(&driver, "[data-testid=grid]").await;
    wait_for_containing(
        &driver,
        "[data-testid=history] [data-testid=team-write-operator]",
        "B-0007",
    )
    .await;
    let row = driver
        .find(By::Css("[data-testid=history] [data-testid=team-write]"))
        .await
        .unwrap();
    assert_eq!(
        row.attr("data-state").await.unwrap().as_deref(),
        Some("PENDING")
    );
    driver
        .execute(
            "document.querySelector('[data-testid=history]').scrollIntoView()",
            Vec::new(),
        )
        .await
        .unwrap();
    harness.screenshot(&driver, "history").await;

    // Its own opt-out of the same card: refused, naming B-0007, and nothing sent.
    let before = sandbox.stats().writes.get(&card).copied();
    crate::consumer::fill_card_opt_out(&driver).await;
    press_enter(&driver, "[data-testid=confirm]").await;
    wait_for_containing(
        &driver,
        "[data-testid=notice]",
        "Already in progress: Card opt-out by B-0007",
    )
    .await;
    harness.screenshot(&driver, "already-in-progress").await;
    assert_eq!(
        sandbox.stats().writes.get(&card).copied(),
        before,
        "nothing sent"
    );
    driver
        .action_chain()
        .send_keys(Key::Escape)
        .perform()
        .await
        .unwrap();

    // The team's operations on the Operations screen.
    press_enter(&driver, "[data-testid=nav-operations]").await;
    let scope = driver
        .find(By::Css("[data-testid=operations-scope]"))
        .await
        .unwrap();
    scope.send_keys("Team").await.unwrap();
    wait_for_containing(&driver, "[data-testid=team-write-operator]", "B-0007").await;
    harness.screenshot(&driver, "team-operations").await;

    // A batch whose runner on the other workstation stopped: the batch screen offers to take
    // it over.
    let wsb = team::connect(&cluster.address(&database), "wsb", "pw")
        .await
        .unwrap();
    let environment: String = owner
        .query_one("SELECT environment FROM c2p.claims LIMIT 1", &[])
        .await
        .unwrap()
        .get(0);
    let batch = team::batches::NewBatch {
        id: "b-20261206T074500000Z",
        environment: &environment,
        reason_code: "ISSUER_DECISION",
        reason: Some("Fraud ring"),
        workstation: "WS-20",
    };
    let items: Vec<team::batches::NewItem> = (0..3)
        .map(|seq| team::batches::NewItem {
            seq,
            kind: "CARD".into(),
            target: format!("crd-none{seq}"),
            line: seq + 1,
            skipped: false,
        })
        .collect();
    team::batches::create(&wsb, batch, &items).await.unwrap();
    let lease = Duration::from_secs(1);
    let mode = team::batches::HoldMode::Start;
    team::batches::hold(&wsb, batch.id, lease, "WS-20", mode)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    press_enter(&driver, "[data-testid=nav-batch]").await;
    wait_for_containing(&driver, "[data-testid=team-batch]", batch.id).await;
    wait_for(&driver, "[data-testid=team-batch-takeover]").await;
    harness.screenshot(&driver, "team-batches").await;
    driver.quit().await.unwrap();
}
