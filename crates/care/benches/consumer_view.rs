//! The consumer view's time against its slower upstream: the sandbox adds 40 ms to every
//! issuer-records call and 80 ms to every D1 profiles call, so a view that fetched them one
//! after the other would take ≥ 120 ms and one that fetches them together ≈ 80 ms. Prints the
//! median view time divided by 80 ms (goal ≤ 1.05).

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
    console
        .with_sandbox(|s| {
            s.set_faults(vec![
                Fault {
                    endpoints: vec![Endpoint::IssuerRecords],
                    latency_ms: RECORDS_LATENCY_MS,
                    ..Fault::default()
                },
                Fault {
                    endpoints: vec![Endpoint::Profiles],
                    latency_ms: D1_LATENCY_MS,
                    ..Fault::default()
                },
            ])
        })
        .unwrap();
    let mut samples = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let view = console.consumer_view(consumer).await.unwrap();
        samples.push(started.elapsed());
        assert!(view.complete, "both upstreams answered");
    }
    samples.sort();
    let median = samples[SAMPLES / 2];
    let slower = Duration::from_millis(D1_LATENCY_MS.max(RECORDS_LATENCY_MS));
    println!(
        "consumer view: median {:.1} ms over {SAMPLES} views, upstreams {RECORDS_LATENCY_MS} ms (issuer records) and {D1_LATENCY_MS} ms (D1)",
        median.as_secs_f64() * 1000.0
    );
    println!(
        "consumer view / slower upstream = {:.3} (goal <= 1.05; one after the other would be >= {:.2})",
        median.as_secs_f64() / slower.as_secs_f64(),
        (RECORDS_LATENCY_MS + D1_LATENCY_MS) as f64 / D1_LATENCY_MS as f64
    );
}
