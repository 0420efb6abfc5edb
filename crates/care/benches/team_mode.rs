//! Team mode's cost, against a real PostgreSQL on this machine (started here, TLS on). Prints,
//! measured in this one run:
//! - the central ingest rate from 8 workstations at once, each sending its chain in the
//!   forwarder's batches of 500, one call each (records/s; goal ≥ 5,000);
//! - the forwarding delay while connected, from a record's commit on the workstation to its
//!   commit in the centre, p50 and p99 (goal p99 < 1 s);
//! - an opt-out's time until D1 accepts it (50 ms added by the sandbox), in team mode divided
//!   by without (goal ≤ 1.05);
//! - a batch opt-out of 1,000 cards at 50 ms, concurrency 16, as a fraction of the theoretical
//!   320/s (goal ≥ 0.85, no card written twice), in team mode (every item claimed, the batch held
//!   in the store) and without;
//! - how the rate holds as a batch grows: a 20,000-card batch's rate over its last 1,000 cards
//!   divided by its rate over its first 1,000 (goal ≥ 0.9), in team mode and without.
//!
//! `cargo bench … --bench team_mode -- batches` prints only the two batch lines.

#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use care::audit_log::chain::record_hash;
use care::audit_log::{AuditFilter, AuditLog, Event, FORMAT_VERSION};
use care::console::{Console, Options};
use care::credentials::{SecretKind, Vault};
use care::policy::{Identity, PolicyPaths};
use care::storage::AppDirs;
use care::writes::{WriteKind, WriteRequest};
use d1_sandbox::SandboxConfig;
use d1_sandbox::faults::{Endpoint, Fault};
use team::testing::Cluster;

const WORKSTATIONS: usize = 8;
const PER_WORKSTATION: i64 = 4_000;
const BATCH: usize = 500;
const LATENCY_MS: u64 = 50;
const OPT_OUTS: usize = 80;
/// Consumers in the sandbox: enough enrolled cards for every batch below, each card once.
const CONSUMERS: usize = 32_000;
const CONCURRENCY: usize = 16;
const SMALL_BATCH: usize = 1_000;
const LARGE_BATCH: usize = 20_000;

/// A chain of `n` records of `operator`, hashed as a workstation hashes them.
fn chain(id: &str, operator: &str, n: i64) -> Vec<team::CentralRecord> {
    let time = chrono_like_now();
    let mut prev = "0".repeat(64);
    (1..=n)
        .map(|seq| {
            let event = Event {
                operator: operator.into(),
                role: Some("agent".into()),
                workstation: format!("WS-{operator}"),
                event: "profile_view".into(),
                resource: Some(format!("cons-{seq:06}")),
                result: "ok".into(),
                operation_id: None,
                correlation_id: Some(format!("cid-{seq}")),
            };
            let hash = record_hash(FORMAT_VERSION, &prev, seq, &time, &event).unwrap();
            let record = team::CentralRecord {
                chain: id.into(),
                seq,
                time: time.clone(),
                operator: event.operator,
                role: event.role,
                workstation: event.workstation,
                account: operator.to_lowercase(),
                event: event.event,
                resource: event.resource,
                result: event.result,
                operation_id: None,
                correlation_id: event.correlation_id,
                prev_hash: prev.clone(),
                hash: hash.clone(),
                version: 2,
                redacted: false,
                sent_at: time.clone(),
            };
            prev = hash;
            record
        })
        .collect()
}

fn chrono_like_now() -> String {
    let output = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%S.000Z"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// Records/s into the centre from `WORKSTATIONS` sending at once.
async fn ingest_rate(cluster: &Cluster) -> f64 {
    let database = cluster.database("ingest").await;
    let mut owner = cluster.owner(&database).await;
    team::schema::init(&mut owner).await.unwrap();
    let mut senders = Vec::new();
    for w in 0..WORKSTATIONS {
        let (login, operator) = (format!("ws{w}"), format!("OP{w}"));
        team::schema::add_login(&mut owner, &login, "pw", &operator, false)
            .await
            .unwrap();
        let client = team::connect(&cluster.address(&database), &login, "pw")
            .await
            .unwrap();
        senders.push((
            client,
            chain(&format!("chain-{w:032x}"), &operator, PER_WORKSTATION),
        ));
    }
    let started = Instant::now();
    let tasks: Vec<_> = senders
        .into_iter()
        .map(|(mut client, records)| {
            tokio::spawn(async move {
                for batch in records.chunks(BATCH) {
                    let transaction = client.transaction().await.unwrap();
                    let verdicts = team::ingest_batch(&transaction, batch).await.unwrap();
                    assert!(verdicts.len() == batch.len() && verdicts.iter().all(|v| v.held()));
                    transaction.commit().await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    (WORKSTATIONS as i64 * PER_WORKSTATION) as f64 / started.elapsed().as_secs_f64()
}

/// A console on the sandbox as a configured environment (`local`): team mode follows the
/// administrators' policy, which `policy` rewrites.
struct Setup {
    console: Arc<Console>,
    dir: tempfile::TempDir,
    account: String,
}

impl Setup {
    async fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let dirs = AppDirs {
            config: dir.path().join("config"),
            data: dir.path().join("data"),
            logs: dir.path().join("data/logs"),
        };
        let identity = Identity::of_this_process().unwrap();
        let account = identity.account.clone();
        let vault = Vault::probed(keyring_core::mock::Store::new().unwrap());
        let setup = Setup {
            console: Arc::new(
                Console::open(Options {
                    policy: PolicyPaths {
                        system_owner: rustix::process::geteuid().as_raw(),
                        system: dir.path().join("etc/policy.json"),
                        user: dirs.config.join("policy.json"),
                    },
                    dirs,
                    vault: vault.clone(),
                    identity,
                })
                .unwrap(),
            ),
            dir,
            account,
        };
        setup.policy(None);
        let console = &setup.console;
        console
            .start_sandbox(SandboxConfig {
                consumers: CONSUMERS,
                op_delay: Duration::ZERO,
                ..SandboxConfig::default()
            })
            .await
            .unwrap();
        let sandbox = console.environment(care::SANDBOX_ENVIRONMENT).unwrap();
        console
            .add_environment(care::environments::Environment {
                name: "local".into(),
                simulated: false,
                ..sandbox
            })
            .unwrap();
        for kind in SecretKind::ALL {
            let secret = vault
                .get(&console.keychain_name(care::SANDBOX_ENVIRONMENT), kind)
                .unwrap();
            vault.put("local", kind, secret.expose()).unwrap();
        }
        console.use_environment("local").await.unwrap();
        setup
    }

    /// The administrators' policy: this account is A-0042 (agent, admin), team mode when given.
    fn policy(&self, team: Option<(&Cluster, &str, &std::path::Path)>) {
        let etc = self.dir.path().join("etc");
        std::fs::create_dir_all(&etc).unwrap();
        let mut policy = serde_json::json!({
            "operators": { &self.account: { "id": "A-0042", "role": "fraud", "admin": true } }
        });
        if let Some((cluster, database, ca)) = team {
            policy["team"] = serde_json::json!({
                "host": "127.0.0.1", "port": cluster.port, "database": database, "caFile": ca
            });
        }
        std::fs::write(etc.join("policy.json"), policy.to_string()).unwrap();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let only_batches = std::env::args().any(|a| a == "batches");
    let cluster = Cluster::start();
    let rate = if only_batches {
        0.0
    } else {
        ingest_rate(&cluster).await
    };

    let database = cluster.database("console").await;
    let mut owner = cluster.owner(&database).await;
    team::schema::init(&mut owner).await.unwrap();
    team::schema::add_login(&mut owner, "ws17", "pw", "A-0042", false)
        .await
        .unwrap();
    team::schema::grant_fraud(&mut owner, "ws17").await.unwrap();
    let setup = Setup::new().await;
    let ca = setup.dir.path().join("team-ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).unwrap();
    setup.policy(Some((&cluster, &database, &ca)));
    let console = setup.console.clone();
    console.import_team_credentials("ws17", "pw").await.unwrap();
    let forwarding = console.clone();
    tokio::spawn(async move { forwarding.forward_continuously().await });

    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let mut cards = population
        .directories
        .into_values()
        .flat_map(|profiles| profiles.into_values())
        .flat_map(|profile| profile.cards.into_iter().map(|card| card.card_id))
        .collect::<BTreeSet<_>>()
        .into_iter();
    console
        .with_sandbox(|s| {
            s.set_faults(vec![Fault {
                endpoints: vec![Endpoint::OptOutCard],
                latency_ms: LATENCY_MS,
                ..Fault::default()
            }])
        })
        .unwrap();
    if !only_batches {
        store_lines(&setup, &cluster, &database, &ca, &mut cards, rate).await;
    }

    // Batches: each card once, in team mode and without, alternately.
    let best = CONCURRENCY as f64 * 1000.0 / LATENCY_MS as f64;
    let team = Some((&cluster, database.as_str(), ca.as_path()));
    for (size, what) in [(SMALL_BATCH, "rate"), (LARGE_BATCH, "growth")] {
        let mut line = Vec::new();
        for (mode, policy) in [("team mode", team), ("without", None)] {
            setup.policy(policy);
            let batch: Vec<String> = cards.by_ref().take(size).collect();
            assert_eq!(batch.len(), size, "not enough enrolled cards");
            let timeline = run_batch(&console, &batch).await;
            let writes = console.with_sandbox(|s| s.stats().writes).unwrap();
            let twice = batch
                .iter()
                .filter(|c| writes.get(*c).copied().unwrap_or(0) > 1)
                .count();
            line.push(match what {
                "rate" => {
                    let fraction = size as f64 / timeline.total.as_secs_f64() / best;
                    format!(
                        "{mode} {fraction:.3} of {best:.0}/s ({}, {twice} written twice)",
                        met(fraction >= 0.85 && twice == 0)
                    )
                }
                _ => {
                    let holds = timeline.last_rate(1000) / timeline.first_rate(1000);
                    format!(
                        "{mode} {holds:.3} ({}, {twice} written twice)",
                        met(holds >= 0.9 && twice == 0)
                    )
                }
            });
        }
        match what {
            "rate" => println!(
                "batch opt-out of {size} cards at {LATENCY_MS} ms, concurrency {CONCURRENCY}, rate as a fraction of the theoretical (goal ≥ 0.85): {}",
                line.join("; ")
            ),
            _ => println!(
                "batch of {size} cards, rate over its last 1,000 / over its first 1,000 (goal ≥ 0.9): {}",
                line.join("; ")
            ),
        }
    }
}

/// The store's lines: ingest `rate` (measured already), forwarding delay, and an opt-out's time
/// in team mode and without (cards taken from `cards`).
async fn store_lines(
    setup: &Setup,
    cluster: &Cluster,
    database: &str,
    ca: &std::path::Path,
    cards: &mut impl Iterator<Item = String>,
    rate: f64,
) {
    let console = &setup.console;
    let chain = console.audit_chain().unwrap().chain;
    // Forwarding delay: a record every 10 ms, its arrival watched in the centre (by a second
    // connection polling every 2 ms).
    let log = AuditLog::open(&setup.dir.path().join("data/audit.sqlite")).unwrap();
    while console.team_status().unwrap().unforwarded > 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    const WRITES: usize = 200;
    let from = log.last_seq().unwrap();
    let watcher = {
        let address = cluster.address(database);
        let chain = chain.clone();
        tokio::spawn(async move {
            let owner = team::connect(
                &address,
                team::testing::OWNER,
                team::testing::OWNER_PASSWORD,
            )
            .await
            .unwrap();
            let mut arrived = std::collections::BTreeMap::new();
            let mut held = from;
            // Each write is one record (an auditor's page read).
            while held < from + WRITES as i64 {
                let now: i64 = owner
                    .query_one(
                        "SELECT coalesce(max(seq), 0) FROM c2p.records WHERE chain_id = $1",
                        &[&chain],
                    )
                    .await
                    .unwrap()
                    .get(0);
                let at = Instant::now();
                for seq in held + 1..=now {
                    arrived.insert(seq, at);
                }
                held = held.max(now);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            arrived
        })
    };
    let mut written = Vec::new();
    for _ in 0..WRITES {
        console.audit_page(&AuditFilter::default(), 0, 1).unwrap();
        written.push((log.last_seq().unwrap(), Instant::now()));
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let arrived = tokio::time::timeout(Duration::from_secs(60), watcher)
        .await
        .expect("every record reached the centre")
        .unwrap();
    let mut delays: Vec<Duration> = written
        .iter()
        .filter_map(|(seq, at)| arrived.get(seq).map(|a| a.saturating_duration_since(*at)))
        .collect();
    delays.sort();
    let (p50, p99) = (percentile(&delays, 0.5), percentile(&delays, 0.99));

    // An opt-out's time until D1 accepts it, in team mode and without, in alternating rounds.
    let (mut team_mode, mut without) = (Vec::new(), Vec::new());
    for round in 0..8 {
        let on = round % 2 == 0;
        setup.policy(on.then_some((cluster, database, ca)));
        for _ in 0..OPT_OUTS / 8 {
            let card = cards.next().unwrap();
            let started = Instant::now();
            console
                .write(WriteRequest {
                    kind: WriteKind::OptOutCard,
                    target: card,
                    reason: None,
                    user_decision: true,
                    token_reason: None,
                })
                .await
                .unwrap();
            match on {
                true => team_mode.push(started.elapsed()),
                false => without.push(started.elapsed()),
            }
        }
    }
    let (team_median, plain_median) = (median(team_mode), median(without));
    let ratio = team_median.as_secs_f64() / plain_median.as_secs_f64();
    println!(
        "team store: ingest from {WORKSTATIONS} workstations {rate:.0} records/s (goal ≥ 5,000); forwarding delay p50 {p50:?}, p99 {p99:?} over {} records (goal p99 < 1 s); opt-out until D1 accepts it at {LATENCY_MS} ms, team mode / without: {ratio:.3} ({team_median:?} / {plain_median:?}; goal ≤ 1.05)",
        delays.len()
    );
}

fn met(goal: bool) -> &'static str {
    if goal { "met" } else { "NOT met" }
}

/// When a batch's items had been sent, from its progress reports.
struct Timeline {
    /// `(since the start, items sent)`, in order.
    points: Vec<(Duration, u32)>,
    total: Duration,
}

impl Timeline {
    /// When `sent` items had been sent.
    fn at(&self, sent: u32) -> Duration {
        self.points
            .iter()
            .find(|(_, n)| *n >= sent)
            .map_or(self.total, |(at, _)| *at)
    }

    fn first_rate(&self, n: u32) -> f64 {
        f64::from(n) / self.at(n).as_secs_f64()
    }

    fn last_rate(&self, n: u32) -> f64 {
        let all = self.points.last().map_or(0, |(_, sent)| *sent);
        f64::from(n) / (self.at(all) - self.at(all - n)).as_secs_f64()
    }
}

/// Runs a batch opt-out of `cards` to its end; the times its items were sent.
async fn run_batch(console: &Console, cards: &[String]) -> Timeline {
    let list: String = cards.iter().map(|c| format!("card:{c}\n")).collect();
    let batch = console
        .batch_create(&care::batch::input::parse(&list, None), false, None)
        .unwrap();
    let (_control, receiver) = tokio::sync::watch::channel(care::batch::RunControl::Run);
    let points = std::sync::Mutex::new(Vec::new());
    let started = Instant::now();
    let last = console
        .batch_run(&batch.id, CONCURRENCY, receiver, &|p| {
            let sent = p.total - p.not_sent;
            if p.total > 0 {
                points.lock().unwrap().push((started.elapsed(), sent));
            }
        })
        .await
        .unwrap();
    let total = started.elapsed();
    assert_eq!(last.successful as usize, cards.len(), "{last:?}");
    let mut points = points.into_inner().unwrap();
    points.push((total, last.total - last.not_sent));
    Timeline { points, total }
}
