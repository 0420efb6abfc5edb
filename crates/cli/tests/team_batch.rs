//! The fraud team's batches across workstations, as `c2p` runs them: two operators' consoles
//! (separate homes) on one team store (a real PostgreSQL over TLS) and one sandbox (real mTLS).
//! A runner killed half-way, or stopped past its hold, is taken over by the other: every card
//! is written exactly once, every item ends final, a third login hears the progress, and the
//! stopped runner, continued, sends nothing more. The store stopped mid-batch: the batch waits
//! and goes on once it is back.

mod support {
    pub mod operator;
}

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use d1_sandbox::faults::{Endpoint, Fault};
use d1_sandbox::{Sandbox, SandboxConfig};
use rustix::process::{Pid, Signal, kill_process};
use support::operator::{Operator, import_args, text};
use team::testing::Cluster;

const CONSUMERS: usize = 700;

/// A fraud operator `id` (also an administrator, to add the environment) in team mode on
/// `database`, with the sandbox that wrote `state` as environment and login `login`.
async fn fraud_operator(
    cluster: &Cluster,
    owner: &mut tokio_postgres::Client,
    database: &str,
    state: &std::path::Path,
    (id, login): (&str, &str),
) -> Operator {
    let operator = Operator::new();
    let ca = operator.etc.path().join("team-ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).unwrap();
    let account = care::policy::Identity::of_this_process().unwrap().account;
    operator.write_system_policy(
        &serde_json::json!({
            "operators": { &account: { "id": id, "role": "fraud", "admin": true } },
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database,
                      "caFile": ca, "claimLeaseSeconds": 10, "batchLeaseSeconds": 3,
                      "takeoverGraceSeconds": 10 }
        })
        .to_string(),
    );
    let dir = state.to_str().unwrap();
    operator.ok(&["env", "add", &operator.env, "--from-sandbox", dir]);
    let args = import_args(state, &operator.env);
    operator.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    operator.ok(&["env", "use", &operator.env]);
    team::schema::add_login(owner, login, "pw", id, false)
        .await
        .unwrap();
    team::schema::grant_fraud(owner, login).await.unwrap();
    operator.import_team_login(login, "pw");
    operator
}

/// `c2p ARGS` of `operator` as a child process (a settle time of 2 s), its output in `log`.
fn spawn(operator: &Operator, args: &[&str], log: &std::path::Path) -> Child {
    let out = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_c2p"))
        .args(args)
        .env("XDG_CONFIG_HOME", operator.home.path().join("config"))
        .env("XDG_DATA_HOME", operator.home.path().join("data"))
        .env("C2P_TEST_SYSTEM_POLICY", operator.system_policy())
        .env("C2P_TEST_SETTLE_MS", "2000")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap()
}

/// Waits up to `seconds` for `done`, failing with `what` and `state()`.
async fn until(
    what: &str,
    seconds: u64,
    mut done: impl AsyncFnMut() -> bool,
    state: impl Fn() -> String,
) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done().await {
        assert!(
            Instant::now() < deadline,
            "{what}: not in time\n{}",
            state()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every enrolled card of the seeded population that the bank knows, in a stable order.
fn enrolled_cards() -> Vec<String> {
    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let banked: BTreeSet<String> = population
        .bank
        .values()
        .flat_map(|consumer| consumer.cards.iter().map(|card| card.card_id.clone()))
        .collect();
    population
        .directories
        .into_values()
        .flat_map(|profiles| profiles.into_values())
        .flat_map(|profile| profile.cards.into_iter().map(|card| card.card_id))
        .filter(|card| banked.contains(card))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// The items of the newest batch `made_by` made, by status: `(status, count)`.
async fn statuses(owner: &tokio_postgres::Client, made_by: &str) -> Vec<(String, i64)> {
    owner
        .query(
            "SELECT i.status, count(*) FROM c2p.batch_items i
             WHERE i.batch_id = (SELECT id FROM c2p.batches WHERE operator = $1
                                 ORDER BY created_at DESC LIMIT 1)
             GROUP BY i.status ORDER BY i.status",
            &[&made_by],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn successful(owner: &tokio_postgres::Client, made_by: &str) -> i64 {
    statuses(owner, made_by)
        .await
        .into_iter()
        .find(|(s, _)| s == "SUCCESSFUL")
        .map_or(0, |(_, n)| n)
}

async fn newest_batch(owner: &tokio_postgres::Client, made_by: &str) -> Option<String> {
    owner
        .query_opt(
            "SELECT id FROM c2p.batches WHERE operator = $1 ORDER BY created_at DESC LIMIT 1",
            &[&made_by],
        )
        .await
        .unwrap()
        .map(|row| row.get(0))
}

/// A team store with its schema: the cluster, the database and its owner's connection.
async fn store() -> (Cluster, String, tokio_postgres::Client) {
    let cluster = Cluster::start();
    let database = cluster.database("c2p").await;
    let mut owner = cluster.owner(&database).await;
    team::schema::init(&mut owner).await.unwrap();
    (cluster, database, owner)
}

/// D1 as `d1-sandbox serve` is: each opt-out answered after 40 ms, its state written to the
/// returned folder.
async fn d1() -> (Sandbox, tempfile::TempDir) {
    let state = tempfile::tempdir().unwrap();
    let sandbox = Sandbox::start(SandboxConfig {
        consumers: CONSUMERS,
        op_delay: Duration::ZERO,
        faults: vec![Fault {
            endpoints: vec![Endpoint::OptOutCard],
            latency_ms: 40,
            ..Fault::default()
        }],
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    sandbox.write_state_dir(state.path()).unwrap();
    (sandbox, state)
}

/// Writes `cards` as a batch list under `operator`'s home.
fn list(operator: &Operator, name: &str, cards: &[String]) -> String {
    let path = operator.home.path().join(name);
    let lines: Vec<String> = cards.iter().map(|c| format!("card:{c}")).collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    path.display().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runner_killed_or_stopped_is_taken_over_and_every_card_is_written_once() {
    let (cluster, database, mut owner) = store().await;
    let (sandbox, state) = d1().await;
    let first = fraud_operator(
        &cluster,
        &mut owner,
        &database,
        state.path(),
        ("F-0001", "f1"),
    )
    .await;
    let second = fraud_operator(
        &cluster,
        &mut owner,
        &database,
        state.path(),
        ("F-0002", "f2"),
    )
    .await;
    team::schema::add_login(&mut owner, "f3", "pw", "F-0003", false)
        .await
        .unwrap();
    let (_watcher, mut heard) = team::connect_listening(
        &cluster.address(&database),
        "f3",
        "pw",
        team::batches::CHANNEL,
    )
    .await
    .unwrap();
    let cards = enrolled_cards();
    assert!(cards.len() >= 400, "{} enrolled cards", cards.len());
    let logs = tempfile::tempdir().unwrap();
    let log = |name: &str| logs.path().join(name);
    let said = |name: &str| std::fs::read_to_string(logs.path().join(name)).unwrap_or_default();

    let started = Instant::now();
    let phase = |what: &str| eprintln!("{:>6.1} s  {what}", started.elapsed().as_secs_f64());
    // Killed half-way (SIGKILL), taken over by the other.
    let killed_list = list(&first, "killed.txt", &cards[..200]);
    let args = [
        "batch",
        "opt-out",
        &killed_list,
        "--yes",
        "--concurrency",
        "4",
    ];
    let mut runner = spawn(&first, &args, &log("killed.log"));
    until(
        "a third of the batch sent",
        120,
        async || successful(&owner, "F-0001").await >= 60,
        || said("killed.log"),
    )
    .await;
    runner.kill().unwrap();
    runner.wait().unwrap();
    phase("killed");
    let batch = newest_batch(&owner, "F-0001").await.unwrap();
    let busy = second.c2p(&["batch", "takeover", &batch]);
    assert_eq!(busy.status.code(), Some(3), "still held: {}", text(&busy));
    tokio::time::sleep(Duration::from_secs(4)).await;
    let listed = second.ok(&["batch", "list", "--team"]);
    assert!(
        listed.contains(&batch) && listed.contains("STOPPED"),
        "{listed}"
    );
    let args = ["batch", "takeover", &batch, "--concurrency", "4"];
    let taken = spawn(&second, &args, &log("takeover-1.log"))
        .wait()
        .unwrap();
    assert!(taken.success(), "{}", said("takeover-1.log"));
    phase("taken over and done");
    let written = sandbox.stats().writes;
    for card in &cards[..200] {
        assert_eq!(written.get(card).copied(), Some(1), "{card} written once");
    }
    assert_eq!(
        statuses(&owner, "F-0001").await,
        [("SUCCESSFUL".to_owned(), 200)],
        "every item final"
    );
    let takeover: String = owner
        .query_one(
            "SELECT runner_operator FROM c2p.batches WHERE id = $1",
            &[&batch],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(takeover, "F-0002");
    let mut notified = 0;
    while let Ok(note) = heard.try_recv() {
        assert!(note.starts_with("b-"), "{note}");
        notified += 1;
    }
    assert!(
        notified >= 200,
        "the third login heard the progress: {notified}"
    );

    // Stopped (SIGSTOP) past its hold, taken over, then continued: it sends nothing more.
    let stopped_list = list(&first, "stopped.txt", &cards[200..400]);
    let args = [
        "batch",
        "opt-out",
        &stopped_list,
        "--yes",
        "--concurrency",
        "4",
    ];
    let mut runner = spawn(&first, &args, &log("stopped.log"));
    let killed = batch;
    until(
        "a third of the second batch sent",
        120,
        async || {
            newest_batch(&owner, "F-0001").await.as_ref() != Some(&killed)
                && successful(&owner, "F-0001").await >= 60
        },
        || said("stopped.log"),
    )
    .await;
    let pid = Pid::from_child(&runner);
    kill_process(pid, Signal::STOP).unwrap();
    phase("stopped");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let batch = newest_batch(&owner, "F-0001").await.unwrap();
    // Taken over, then continued while the new runner reconciles what it had on its way: a
    // request it was about to write when stopped may still leave (a laptop closed
    // mid-request); the new runner finds it in D1 instead of sending it again.
    let args = ["batch", "takeover", &batch, "--concurrency", "4"];
    let mut taker = spawn(&second, &args, &log("takeover-2.log"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    kill_process(pid, Signal::CONT).unwrap();
    let status = runner.wait().unwrap();
    phase("the stopped runner ended");
    let taken = taker.wait().unwrap();
    assert!(taken.success(), "{}", said("takeover-2.log"));
    phase("taken over and done");
    assert_eq!(status.code(), Some(3), "{}", said("stopped.log"));
    assert!(
        said("stopped.log").contains("taken over"),
        "{}",
        said("stopped.log")
    );
    let written = sandbox.stats().writes;
    assert_eq!(written.values().sum::<u64>(), 400, "nothing more sent");
    for card in &cards[200..400] {
        assert_eq!(written.get(card).copied(), Some(1), "{card} written once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_store_stopped_mid_batch_the_batch_waits_and_goes_on_once_it_is_back() {
    let (cluster, database, mut owner) = store().await;
    let (sandbox, state) = d1().await;
    let operator = fraud_operator(
        &cluster,
        &mut owner,
        &database,
        state.path(),
        ("F-0001", "f1"),
    )
    .await;
    let cards = enrolled_cards();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("run.log");
    let said = || std::fs::read_to_string(&log).unwrap_or_default();
    let file = list(&operator, "list.txt", &cards[..150]);
    let mut runner = spawn(
        &operator,
        &["batch", "opt-out", &file, "--yes", "--concurrency", "4"],
        &log,
    );
    until(
        "a part of the batch sent",
        120,
        async || successful(&owner, "F-0001").await >= 30,
        &said,
    )
    .await;
    drop(owner);
    cluster.stop();
    // Waiting: alive, and nothing new leaves once the writes on their way are done.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = sandbox.stats().writes.values().sum::<u64>();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(runner.try_wait().unwrap().is_none(), "{}", said());
    assert_eq!(sandbox.stats().writes.values().sum::<u64>(), during);
    assert!(during < 150, "stopped part-way: {during}");

    cluster.start_server();
    let status = runner.wait().unwrap();
    assert!(status.success(), "{}", said());
    let written = sandbox.stats().writes;
    for card in &cards[..150] {
        assert_eq!(written.get(card).copied(), Some(1), "{card} written once");
    }
    let owner = cluster.owner(&database).await;
    assert_eq!(
        statuses(&owner, "F-0001").await,
        [("SUCCESSFUL".to_owned(), 150)],
        "the store told every outcome, also those that came while it was away"
    );
}
