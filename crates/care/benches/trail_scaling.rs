//! How the audit trail's cost grows: a log of 1,000,000 records against one of 10,000. Prints
//! the Audit screen's first and last pages (an auditor's, with the total) and `audit verify`
//! per record, each at a million divided by the same at ten thousand (goal: pages ≤ 1.5,
//! verify per record ≤ 1.2), measured in this one run.

#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use care::audit_log::chain::record_hash;
use care::audit_log::{AuditFilter, AuditLog, Event, FORMAT_VERSION};
use care::console::{Console, Options};
use care::credentials::Vault;
use care::policy::{Identity, PolicyPaths};
use care::storage::AppDirs;

const PAGE: i64 = 100;

/// A console over a log of `records` records written in one go, read by an auditor.
fn console_with(dir: &std::path::Path, records: i64) -> Console {
    let dirs = AppDirs {
        config: dir.join("config"),
        data: dir.join("data"),
        logs: dir.join("data/logs"),
    };
    let file = dirs.data.join("audit.sqlite");
    drop(AuditLog::open(&file).unwrap()); // its schema
    let mut db = rusqlite::Connection::open(&file).unwrap();
    let transaction = db.transaction().unwrap();
    {
        let mut insert = transaction
            .prepare(
                "INSERT INTO audit (seq, time, operator, workstation, event, resource, result,
                                    operation_id, correlation_id, prev_hash, hash, version, role)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .unwrap();
        let mut prev = "0".repeat(64);
        for seq in 1..=records {
            let time = "2026-12-06T09:00:00.000Z";
            let event = Event {
                operator: "A-0042".into(),
                role: Some("agent".into()),
                workstation: "WS-17".into(),
                event: "profile_view".into(),
                resource: Some(format!("cons-{seq:07}")),
                result: "ok".into(),
                operation_id: None,
                correlation_id: Some(format!("cid-{seq}")),
            };
            let hash = record_hash(FORMAT_VERSION, &prev, seq, time, &event).unwrap();
            insert
                .execute(rusqlite::params![
                    seq,
                    time,
                    event.operator,
                    event.workstation,
                    event.event,
                    event.resource,
                    event.result,
                    event.operation_id,
                    event.correlation_id,
                    prev,
                    hash,
                    FORMAT_VERSION,
                    event.role
                ])
                .unwrap();
            prev = hash;
        }
    }
    transaction.commit().unwrap();
    // Everything on disk before the clock starts: the operating system's write-back of a
    // freshly written file would otherwise slow the first reads' own writes.
    db.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)").unwrap();
    drop(db);
    std::fs::File::open(&file).unwrap().sync_all().unwrap();
    rustix::fs::sync();
    let identity = Identity::of_this_process().unwrap();
    let etc = dir.join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("policy.json"),
        serde_json::json!({ "operators": { &identity.account: { "id": "A-0042", "role": "auditor" } } })
            .to_string(),
    )
    .unwrap();
    Console::open(Options {
        policy: PolicyPaths {
            system_owner: rustix::process::geteuid().as_raw(),
            system: etc.join("policy.json"),
            user: dirs.config.join("policy.json"),
        },
        dirs,
        vault: Vault::probed(keyring_core::mock::Store::new().unwrap()),
        identity,
    })
    .unwrap()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// (first page, last page, verify per record) of a log of `records`.
async fn measure(records: i64) -> (Duration, Duration, Duration) {
    let dir = tempfile::tempdir().unwrap();
    let console = console_with(dir.path(), records);
    let every = AuditFilter::default();
    let page = |offset: i64| {
        let started = Instant::now();
        let page = console.audit_page(&every, offset, PAGE).unwrap();
        assert_eq!(page.records.len() as i64, PAGE);
        (started.elapsed(), page.total as i64)
    };
    for _ in 0..3 {
        page(0); // the file's pages in the cache, as for an auditor who has just opened it
    }
    // First and last pages in turn, so that both see the same moments of the machine.
    let (mut first, mut last) = (Vec::new(), Vec::new());
    for _ in 0..15 {
        let (elapsed, total) = page(0);
        first.push(elapsed);
        last.push(page((total - 1) / PAGE * PAGE - PAGE).0);
    }
    let (first, last) = (median(first), median(last));
    let started = Instant::now();
    let verified = console.audit_verify().await.unwrap();
    assert_eq!(verified.first_broken, None);
    let per_record = started.elapsed() / u32::try_from(verified.records).unwrap();
    (first, last, per_record)
}

#[tokio::main]
async fn main() {
    let (small_first, small_last, small_verify) = measure(10_000).await;
    let (large_first, large_last, large_verify) = measure(1_000_000).await;
    let ratio = |large: Duration, small: Duration| large.as_secs_f64() / small.as_secs_f64();
    println!(
        "audit trail, 1,000,000 records / 10,000: first page {:.2} ({large_first:?} / {small_first:?}; goal ≤ 1.5), last page {:.2} ({large_last:?} / {small_last:?}; goal ≤ 1.5), verify per record {:.2} ({large_verify:?} / {small_verify:?}; goal ≤ 1.2)",
        ratio(large_first, small_first),
        ratio(large_last, small_last),
        ratio(large_verify, small_verify),
    );
}
