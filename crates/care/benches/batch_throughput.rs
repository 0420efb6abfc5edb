//! Batch opt-out throughput: 1,000 cards, 50 ms added to every opt-out by the sandbox,
//! concurrency 16. At best 16 writes are answered every 50 ms, 320 per second; prints the
//! measured rate as a fraction of that (goal ≥ 0.90) and the cards written more than once
//! (goal 0). Every intent and outcome is journaled and audited on disk (SQLite, WAL, FULL).

#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use care::batch::RunControl;
use care::batch::input::parse;
use care::console::{Console, Options};
use care::credentials::Vault;
use care::policy::PolicyPaths;
use care::storage::AppDirs;
use d1_sandbox::SandboxConfig;
use d1_sandbox::faults::{Endpoint, Fault};

const CARDS: usize = 1000;
const CONCURRENCY: usize = 16;
const LATENCY_MS: u64 = 50;
const GOAL: f64 = 0.90;

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let dirs = AppDirs {
        config: dir.path().join("config"),
        data: dir.path().join("data"),
        logs: dir.path().join("logs"),
    };
    std::fs::create_dir_all(&dirs.config).unwrap();
    std::fs::write(
        dirs.config.join("policy.json"),
        r#"{"operator":"bench","role":"fraud"}"#,
    )
    .unwrap();
    let console = Console::open(Options {
        policy: PolicyPaths {
            system_owner: 0,
            system: dir.path().join("none.json"),
            user: dirs.config.join("policy.json"),
        },
        dirs,
        vault: Vault::probed(keyring_core::mock::Store::new().unwrap()),
        identity: care::policy::Identity::of_this_process().unwrap(),
    })
    .unwrap();
    let consumers = 700;
    console
        .start_sandbox(SandboxConfig {
            consumers,
            op_delay: Duration::ZERO,
            ..SandboxConfig::default()
        })
        .await
        .unwrap();
    let population = d1_sandbox::seed::generate(1, consumers);
    let cards: Vec<String> = population
        .directories
        .into_values()
        .flat_map(|profiles| profiles.into_values())
        .flat_map(|profile| profile.cards.into_iter().map(|card| card.card_id))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .take(CARDS)
        .collect();
    assert_eq!(cards.len(), CARDS);
    console.search("cons-0001", 1).await.unwrap(); // token and connections warm
    console
        .with_sandbox(|s| {
            s.set_faults(vec![Fault {
                endpoints: vec![Endpoint::OptOutCard],
                latency_ms: LATENCY_MS,
                ..Fault::default()
            }])
        })
        .unwrap();
    let list: String = cards.iter().map(|c| format!("card:{c}\n")).collect();
    let batch = console
        .batch_create(&parse(&list, None), false, None)
        .unwrap();
    let (_control, receiver) = tokio::sync::watch::channel(RunControl::Run);
    let started = Instant::now();
    let last = console
        .batch_run(&batch.id, CONCURRENCY, receiver, &|_| {})
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(last.successful as usize, CARDS, "{last:?}");
    let writes = console.with_sandbox(|s| s.stats().writes).unwrap();
    let duplicates = cards
        .iter()
        .filter(|c| writes.get(*c).copied().unwrap_or(0) > 1)
        .count();
    let rate = CARDS as f64 / elapsed.as_secs_f64();
    let best = CONCURRENCY as f64 * 1000.0 / LATENCY_MS as f64;
    let fraction = rate / best;
    println!(
        "batch opt-out of {CARDS} cards at {LATENCY_MS} ms, concurrency {CONCURRENCY}: {rate:.0}/s of {best:.0}/s = {fraction:.3} (goal ≥ {GOAL}: {}), {duplicates} cards written twice (goal 0)",
        if fraction >= GOAL && duplicates == 0 {
            "met"
        } else {
            "NOT met"
        }
    );
}
