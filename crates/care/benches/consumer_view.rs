//! The consumer view's time against its slower upstream: the sandbox adds 40 ms to every
//! issuer-records call and 80 ms to every D1 profiles call, so a view that fetched them one
//! after the other would take ≥ 120 ms and one that fetches them together ≈ 80 ms. Prints the
//! median view time divided by 80 ms (goal ≤ 1.05).
//!
//! Then the screen as it opens: the view and the Tokens panel read at once, the digital-card
//! lists taking 60 ms each. The view must not slow down (goal ≤ 1.05 of the slower upstream),
//! and the Tokens panel, which needs the bank's record and then every card's tokens (read
//! concurrently), should fill in within 1.10 of 40 + 60 ms.

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use care::console::{Console, Options};
use care::credentials::Vault;
use care::policy::PolicyPaths;
use care::storage::AppDirs;
use d1_sandbox::SandboxConfig;
use d1_sandbox::faults::{Endpoint, Fault};

const SAMPLES: usize = 40;
const RECORDS_LATENCY_MS: u64 = 40;
const D1_LATENCY_MS: u64 = 80;
const TOKENS_LATENCY_MS: u64 = 60;

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let dirs = AppDirs {
        config: dir.path().join("config"),
        data: dir.path().join("data"),
        logs: dir.path().join("logs"),
    };
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
    console
        .start_sandbox(SandboxConfig::default())
        .await
        .unwrap();
    let consumer = "cons-0001-ok";
    console.consumer_view(consumer).await.unwrap(); // token and connections warm
    slow(
        &console,
        &[
            (Endpoint::IssuerRecords, RECORDS_LATENCY_MS),
            (Endpoint::Profiles, D1_LATENCY_MS),
        ],
    );
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let view = console.consumer_view(consumer).await.unwrap();
        samples.push(started.elapsed());
        assert!(view.complete, "both upstreams answered");
    }
    let slower = Duration::from_millis(D1_LATENCY_MS.max(RECORDS_LATENCY_MS));
    let median_view = median(&mut samples);
    println!(
        "consumer view: median {:.1} ms over {SAMPLES} views, upstreams {RECORDS_LATENCY_MS} ms (issuer records) and {D1_LATENCY_MS} ms (D1)",
        median_view.as_secs_f64() * 1000.0
    );
    println!(
        "consumer view / slower upstream = {:.3} (goal <= 1.05; one after the other would be >= {:.2})",
        median_view.as_secs_f64() / slower.as_secs_f64(),
        (RECORDS_LATENCY_MS + D1_LATENCY_MS) as f64 / D1_LATENCY_MS as f64
    );

    // The screen as it opens: the view and the Tokens panel at once.
    slow(
        &console,
        &[
            (Endpoint::IssuerRecords, RECORDS_LATENCY_MS),
            (Endpoint::Profiles, D1_LATENCY_MS),
            (Endpoint::DigitalCards, TOKENS_LATENCY_MS),
        ],
    );
    // A consumer with three cards or more, whose tokens are read at once.
    let consumer = d1_sandbox::seed::generate(1, SandboxConfig::default().consumers)
        .bank
        .into_values()
        .find(|c| c.consumer_id.ends_with("-ok") && c.cards.len() >= 3)
        .expect("a seeded consumer with three cards")
        .consumer_id;
    let consumer = consumer.as_str();
    let cards = console.consumer_tokens(consumer).await.unwrap().cards.len();
    let (mut views, mut panels) = (Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let view = async {
            let view = console.consumer_view(consumer).await.unwrap();
            assert!(view.complete);
            started.elapsed()
        };
        let panel = async {
            let tokens = console.consumer_tokens(consumer).await.unwrap();
            assert!(tokens.complete);
            started.elapsed()
        };
        let (view, panel) = tokio::join!(view, panel);
        views.push(view);
        panels.push(panel);
    }
    let (view, panel) = (median(&mut views), median(&mut panels));
    println!(
        "consumer view with the Tokens panel read at once: view / slower upstream = {:.3} (goal <= 1.05)",
        view.as_secs_f64() / slower.as_secs_f64()
    );
    println!(
        "Tokens panel ({cards} cards' tokens, {TOKENS_LATENCY_MS} ms each): median {:.1} ms; / (bank {RECORDS_LATENCY_MS} ms + tokens {TOKENS_LATENCY_MS} ms) = {:.3} (goal <= 1.10; card after card would be >= {:.2})",
        panel.as_secs_f64() * 1000.0,
        panel.as_secs_f64() / ((RECORDS_LATENCY_MS + TOKENS_LATENCY_MS) as f64 / 1000.0),
        (RECORDS_LATENCY_MS + TOKENS_LATENCY_MS * cards as u64) as f64
            / (RECORDS_LATENCY_MS + TOKENS_LATENCY_MS) as f64
    );
}

/// Adds each latency (in milliseconds) to its endpoint of the console's sandbox.
fn slow(console: &Console, latencies: &[(Endpoint, u64)]) {
    let rules = latencies
        .iter()
        .map(|&(endpoint, latency_ms)| Fault {
            endpoints: vec![endpoint],
            latency_ms,
            ..Fault::default()
        })
        .collect();
    console.with_sandbox(|s| s.set_faults(rules)).unwrap();
}

/// The median of `samples`.
fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
