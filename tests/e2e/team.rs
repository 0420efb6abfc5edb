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

use crate::harness::{Harness, press_enter, type_into, wait_for, wait_for_containing};

/// The administrators' policy naming this OS account `operator` (fraud, and an administrator to
/// add the environment) in team mode on `database`.
fn team_policy(port: u16, database: &str, ca: &Path, operator: &str) -> String {
    let account = Identity::of_this_process().unwrap().account;
    team_policy_for(&account, port, database, ca, operator)
}

/// [`team_policy`] for OS account `account`.
fn team_policy_for(account: &str, port: u16, database: &str, ca: &Path, operator: &str) -> String {
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

/// A team store with fraud logins `wsa` and `wsb` for two operators, and D1 as `d1-sandbox
/// serve` would be (its state in a folder, beside the store's CA), its writes pending for a
/// minute.
struct Team {
    cluster: team::testing::Cluster,
    database: String,
    owner: tokio_postgres::Client,
    sandbox: d1_sandbox::Sandbox,
    state: tempfile::TempDir,
    ca: std::path::PathBuf,
}

impl Team {
    async fn start(operators: [&str; 2]) -> Team {
        let cluster = team::testing::Cluster::start();
        let database = cluster.database("c2p").await;
        let mut owner = cluster.owner(&database).await;
        team::schema::init(&mut owner).await.unwrap();
        for (login, operator) in ["wsa", "wsb"].into_iter().zip(operators) {
            team::schema::add_login(&mut owner, login, "pw", operator, false)
                .await
                .unwrap();
            team::schema::grant_fraud(&mut owner, login).await.unwrap();
        }
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
        Team {
            cluster,
            database,
            owner,
            sandbox,
            state,
            ca,
        }
    }
}

/// Opts `card` out in the open consumer's window: refused, naming `holder` as the operator
/// opting it out, and nothing sent to D1.
async fn opt_out_refused_naming(
    harness: &Harness,
    driver: &WebDriver,
    sandbox: &d1_sandbox::Sandbox,
    card: &str,
    holder: &str,
) {
    let before = sandbox.stats().writes.get(card).copied();
    crate::consumer::fill_card_opt_out(driver).await;
    press_enter(driver, "[data-testid=confirm]").await;
    wait_for_containing(
        driver,
        "[data-testid=notice]",
        &format!("Already in progress: Card opt-out by {holder}"),
    )
    .await;
    harness.screenshot(driver, "already-in-progress").await;
    assert_eq!(
        sandbox.stats().writes.get(card).copied(),
        before,
        "nothing sent"
    );
}

/// This account's workstation for `operator`, as IT leaves it (its window not opened yet): the
/// administrators' policy in team mode (changed by `policy`), the sandbox whose state is in the
/// folder as environment `environment`, and team login `wsa` in the keychain.
async fn workstation(
    (name, home): (&str, &Path),
    (cluster, database, ca, state): (&team::testing::Cluster, &str, &Path, &Path),
    (operator, environment): (&str, &str),
    policy: impl FnOnce(&mut serde_json::Value),
) -> Harness {
    let harness = Harness::start(name, home);
    let mut text: serde_json::Value =
        serde_json::from_str(&team_policy(cluster.port, database, ca, operator)).unwrap();
    policy(&mut text);
    harness.write_system_policy(&text.to_string());
    let console = console_at(home, &harness.system_policy);
    connect(&console, state, environment, "wsa").await;
    harness
}

/// The seeded consumer with a card closed at the bank and still enrolled, and that card.
fn closed_card() -> (d1_sandbox::model::IssuerConsumer, String) {
    let closed = crate::consumer::seeded("closed");
    let card = closed
        .cards
        .iter()
        .find(|c| c.status == d1_sandbox::model::AccountStatus::Closed)
        .unwrap()
        .card_id
        .clone();
    (closed, card)
}

/// Waits (up to 30 s) until D1 has had one write to `card`.
async fn sent_once(sandbox: &d1_sandbox::Sandbox, card: &str) {
    let started = std::time::Instant::now();
    while sandbox.stats().writes.get(card).copied() != Some(1) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the write never left"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_operator_s_opt_out_shows_in_history_and_keeps_this_one_from_sending() {
    let Team {
        cluster,
        database,
        owner,
        sandbox,
        state,
        ca,
    } = Team::start(["A-0042", "B-0007"]).await;

    // Another workstation: B-0007 opts out a card of a consumer; it stays pending.
    let other = tempfile::tempdir().unwrap();
    let other_policy = other.path().join("etc/policy.json");
    write_policy(
        &other_policy,
        &team_policy(cluster.port, &database, &ca, "B-0007"),
    );
    let b = console_at(other.path(), &other_policy);
    connect(&b, state.path(), "local-b", "wsb").await;
    let (closed, card) = closed_card();
    let written = b
        .write(care::writes::WriteRequest {
            kind: care::writes::WriteKind::OptOutCard,
            target: card.clone(),
            reason: Some("Card closed at bank".into()),
            user_decision: false,
            token_reason: None,
        })
        .await
        .unwrap();
    assert_eq!(written.state, care::journal::State::Pending);

    // This workstation: A-0042, set up by IT, opens the console.
    let home = tempfile::tempdir().unwrap();
    let harness = workstation(
        ("team", home.path()),
        (&cluster, &database, &ca, state.path()),
        ("A-0042", "local"),
        |_| {},
    )
    .await;
    let driver = harness.open().await;
    crate::consumer::open_consumer(&driver, &closed.consumer_id).await;
    wait_for(&driver, "[data-testid=grid]").await;
    wait_for_containing(
        &driver,
        "[data-testid=history] [data-testid=history-operator]",
        "B-0007",
    )
    .await;
    let row = driver
        .find(By::Css("[data-testid=history] [data-testid=history-entry]"))
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
    opt_out_refused_naming(&harness, &driver, &sandbox, &card, "B-0007").await;
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

/// A throwaway OS account (CI runs the suite as root), removed with every process it ran when
/// dropped.
struct Account {
    name: String,
    uid: u32,
}

impl Account {
    /// Makes an account whose home is `home` (which it is given).
    fn create(home: &Path) -> Account {
        let name = format!("c2pe2e{:08x}", rand_suffix());
        let status = std::process::Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--user-group",
                "--shell",
                "/bin/sh",
            ])
            .arg("--home-dir")
            .arg(home)
            .arg(&name)
            .status()
            .expect("useradd (the suite runs as root, as CI does)");
        assert!(status.success(), "useradd {name}: {status}");
        let uid = uid_of(&name);
        let account = Account { name, uid };
        account.give(home);
        account
    }

    /// Makes `path` (and what is under it) this account's.
    fn give(&self, path: &Path) {
        let status = std::process::Command::new("chown")
            .args(["-R", &format!("{0}:{0}", self.name)])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "chown {}", path.display());
    }
}

impl Account {
    /// The processes running as this account.
    fn pids(&self) -> Vec<i32> {
        let uid = self.uid.to_string();
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let pid = entry.file_name().to_string_lossy().parse::<i32>().ok()?;
                let status = std::fs::read_to_string(entry.path().join("status")).ok()?;
                let real = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
                (real.split_whitespace().next() == Some(uid.as_str())).then_some(pid)
            })
            .collect()
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        // Every process the account still runs (its keyring daemon left its session), by pid.
        for pid in self.pids() {
            if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
        // What its session left in /tmp (its keyring's scratch folder, killed before its trap
        // ran, and its bus's socket).
        for entry in std::fs::read_dir("/tmp").into_iter().flatten().flatten() {
            let Ok(metadata) = entry.path().symlink_metadata() else {
                continue;
            };
            if std::os::unix::fs::MetadataExt::uid(&metadata) == self.uid {
                let _ = match metadata.is_dir() {
                    true => std::fs::remove_dir_all(entry.path()),
                    false => std::fs::remove_file(entry.path()),
                };
            }
        }
        let _ = std::process::Command::new("userdel")
            .arg(&self.name)
            .status();
    }
}

fn rand_suffix() -> u32 {
    let mut bytes = [0u8; 4];
    std::io::Read::read_exact(
        &mut std::fs::File::open("/dev/urandom").unwrap(),
        &mut bytes,
    )
    .unwrap();
    u32::from_le_bytes(bytes)
}

/// The uid of account `name`.
fn uid_of(name: &str) -> u32 {
    let out = std::process::Command::new("id")
        .args(["-u", name])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Two workstations as two OS accounts, each running the app: the first (this account) opts a
/// card out; the second (a throwaway account, with its own keyring, set up with `c2p` as IT
/// would) sees that operation in its History panel and its own opt-out of the card refused,
/// naming the first operator, with nothing sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_os_account_s_app_sees_the_first_operator_s_opt_out_in_progress() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: it makes a throwaway OS account, which needs root (CI runs as root)");
        return;
    }
    let c2p_care = Path::new(env!("CARGO_BIN_EXE_c2p-care"));
    let c2p = c2p_care.with_file_name("c2p");
    assert!(c2p.exists(), "{} is built by `make test`", c2p.display());
    let Team {
        cluster,
        database,
        sandbox,
        state,
        ca,
        ..
    } = Team::start(["A-0051", "B-0052"]).await;

    // The first workstation (this account, A-0051) opts a card out in its window; D1 keeps it
    // pending.
    let home_a = tempfile::tempdir().unwrap();
    // Its own names: the keychain is shared with the tests running beside it.
    let first = workstation(
        ("team-two-accounts-a", home_a.path()),
        (&cluster, &database, &ca, state.path()),
        ("A-0051", "local-two"),
        |_| {},
    )
    .await;
    let (closed, card) = closed_card();
    let driver_a = first.open().await;
    crate::consumer::open_consumer(&driver_a, &closed.consumer_id).await;
    crate::consumer::fill_card_opt_out(&driver_a).await;
    press_enter(&driver_a, "[data-testid=confirm]").await;
    sent_once(&sandbox, &card).await;

    // The second workstation: another OS account, its home and keyring its own, set up by IT
    // with `c2p` (the policy naming it B-0052, the environment, the team login).
    let root = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        root.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let home_b = root.path().join("b");
    std::fs::create_dir(&home_b).unwrap();
    let files = home_b.join("d1");
    std::fs::create_dir(&files).unwrap();
    // The issuer's files (the merchant gateways' folders are not the bank's).
    for file in std::fs::read_dir(state.path()).unwrap().flatten() {
        if file.path().is_file() {
            std::fs::copy(file.path(), files.join(file.file_name())).unwrap();
        }
    }
    std::fs::write(home_b.join("team-pw"), "pw\n").unwrap();
    let account = Account::create(&home_b);
    // Where the test build reads the administrators' policy (the harness names it).
    let policy_b = home_b.join("etc/c2p-care/policy.json");
    write_policy(
        &policy_b,
        &team_policy_for(
            &account.name,
            cluster.port,
            &database,
            &files.join("team-ca.pem"),
            "B-0052",
        ),
    );
    account.give(&home_b);
    for private in [
        "team-pw",
        "d1/client.key",
        "d1/signing.key",
        "d1/issuer-api-key",
    ] {
        std::fs::set_permissions(
            home_b.join(private),
            std::os::unix::fs::PermissionsExt::from_mode(0o600),
        )
        .unwrap();
    }
    let setup = [
        "\"$C2P\" env add local-two --from-sandbox \"$D1\"",
        "\"$C2P\" env import-credentials local-two --cert \"$D1/client.pem\" --key \"$D1/client.key\" --signing-key \"$D1/signing.key\" --api-key-file \"$D1/issuer-api-key\"",
        "\"$C2P\" env use local-two",
        "\"$C2P\" team import-credentials --login wsb --password-file \"$HOME/team-pw\"",
    ]
    .join(" && ");
    let second = Harness::start_as(
        "team-two-accounts-b",
        &home_b,
        &[
            ("C2P", c2p.to_str().unwrap()),
            ("D1", files.to_str().unwrap()),
        ],
        &account.name,
        first.display(),
        &setup,
    );
    let driver_b = second.open().await;
    assert!(
        account.pids().iter().any(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .is_ok_and(|exe| exe.file_name() == c2p_care.file_name())
        }),
        "the second window is the console run by the other account"
    );
    crate::consumer::open_consumer(&driver_b, &closed.consumer_id).await;
    wait_for_containing(
        &driver_b,
        "[data-testid=history] [data-testid=history-operator]",
        "A-0051",
    )
    .await;
    second.screenshot(&driver_b, "history").await;
    opt_out_refused_naming(&second, &driver_b, &sandbox, &card, "A-0051").await;
    driver_b.quit().await.unwrap();
    driver_a.quit().await.unwrap();
    drop(second);
    drop(account);
}

/// A fraud analyst, the team store out of reach and the policy allowing it, declares emergency
/// mode from the status bar: the bar says so in red until when, and an opt-out goes out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_store_out_of_reach_a_fraud_analyst_declares_emergency_mode_and_writes_go_out() {
    let Team {
        cluster,
        database,
        sandbox,
        state,
        ca,
        ..
    } = Team::start(["A-0061", "B-0062"]).await;
    let home = tempfile::tempdir().unwrap();
    let harness = workstation(
        ("team-emergency", home.path()),
        (&cluster, &database, &ca, state.path()),
        ("A-0061", "local-emergency"),
        |policy| policy["team"]["emergencyMinutes"] = 30.into(),
    )
    .await;
    cluster.stop();
    let driver = harness.open().await;
    // Offered once the console finds the store out of reach.
    wait_for(&driver, "[data-testid=emergency-start]").await;
    press_enter(&driver, "[data-testid=emergency-start]").await;
    type_into(
        &driver,
        "[data-testid=emergency-reason]",
        "Fraud wave store down",
    )
    .await;
    harness.screenshot(&driver, "emergency-dialog").await;
    press_enter(&driver, "[data-testid=emergency-confirm]").await;
    wait_for_containing(&driver, "[data-testid=emergency]", "EMERGENCY MODE until").await;
    let (closed, card) = closed_card();
    crate::consumer::open_consumer(&driver, &closed.consumer_id).await;
    crate::consumer::fill_card_opt_out(&driver).await;
    press_enter(&driver, "[data-testid=confirm]").await;
    sent_once(&sandbox, &card).await;
    harness.screenshot(&driver, "emergency").await;
    driver.quit().await.unwrap();
}
