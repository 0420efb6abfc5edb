//! `c2p team siem` against a real PostgreSQL and a real rsyslog over TLS: every record and
//! alert of the team store arrives as RFC 5424, none lost across a SIGKILL of the feed, and a
//! message sent again carries the same id.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use team::testing::{Ca, Cluster, Rsyslog, chain, rehash};
use team::{Verdict, ingest, schema};

const PER_CHAIN: i64 = 1500;

fn private(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// The feed as IT runs it, with the test's administrators' policy (cargo feature `test-hooks`);
/// what it says goes to `log` (in `dir`).
fn feed(dir: &Path, rsyslog: &Rsyslog, log: &str) -> Child {
    let path = |name: &str| dir.join(name).display().to_string();
    Command::new(env!("CARGO_BIN_EXE_c2p"))
        .args(["team", "siem", "--syslog"])
        .arg(format!("tls://127.0.0.1:{}", rsyslog.port))
        .args(["--syslog-ca", &path("syslog-ca.pem")])
        .args([
            "--client-cert",
            &path("feed.pem"),
            "--client-key",
            &path("feed.key"),
        ])
        .args(["--login", "feed1", "--password-file", &path("feed-pw")])
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("C2P_TEST_SYSTEM_POLICY", dir.join("etc/policy.json"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(log)).unwrap())
        .spawn()
        .unwrap()
}

/// The message id and the whole line of each message received.
fn by_id(lines: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines {
        // <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG
        let msgid = line.split(' ').nth(5).unwrap().to_owned();
        found.entry(msgid).or_default().push(line.clone());
    }
    found
}

/// Waits up to `seconds` for `done`; when it does not come, fails with what `state` says then.
fn until(what: &str, seconds: u64, mut done: impl FnMut() -> bool, state: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what}: not in time; {}",
            state()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_and_alert_reaches_rsyslog_across_a_sigkill_of_the_feed_none_lost() {
    let cluster = Cluster::start();
    let database = cluster.database("c2p").await;
    let mut owner = cluster.owner(&database).await;
    schema::init(&mut owner).await.unwrap();
    schema::add_feed_login(&mut owner, "feed1", "feed-secret")
        .await
        .unwrap();
    let mut expected = Vec::new();
    let mut prepared = Vec::new();
    for (login, operator, id) in [
        ("alice", "A-0001", "chain-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        ("bob", "B-0002", "chain-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
    ] {
        schema::add_login(&mut owner, login, "pw", operator, false)
            .await
            .unwrap();
        let mut records = chain(&owner, id, operator, login, PER_CHAIN).await;
        records[9].event = "policy_change".into();
        records[9].hash = rehash(&owner, &records[9]).await;
        let records = {
            // Chained again from the changed record on.
            let mut previous = records[8].hash.clone();
            let mut chained = records[..9].to_vec();
            for mut record in records[9..].iter().cloned() {
                record.prev_hash = previous;
                record.hash = rehash(&owner, &record).await;
                previous = record.hash.clone();
                chained.push(record);
            }
            chained
        };
        expected.extend(
            records
                .iter()
                .map(|r| team::siem::record_msgid(&r.chain, r.seq)),
        );
        prepared.push((login, records));
    }
    let send = async |(login, records): &(&str, Vec<team::CentralRecord>)| {
        let mut sender = team::connect(&cluster.address(&database), login, "pw")
            .await
            .unwrap();
        let transaction = sender.transaction().await.unwrap();
        for batch in records.chunks(500) {
            let verdicts = team::ingest_batch(&transaction, batch).await.unwrap();
            assert!(verdicts.iter().all(|v| *v == Verdict::Stored));
        }
        transaction.commit().await.unwrap();
    };
    // Alice's chain is in the store when the feed starts; bob's comes while it is down.
    send(&prepared[0]).await;

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = Ca::new("syslog test CA");
    let rsyslog = Rsyslog::start(&ca);
    let (cert, key) = ca.issue("feed1");
    private(d, "syslog-ca.pem", &ca.pem);
    private(d, "feed.pem", &cert);
    private(d, "feed.key", &key);
    private(d, "feed-pw", "feed-secret\n");
    let team_ca = private(d, "team-ca.pem", &cluster.ca_pem);
    std::fs::create_dir_all(d.join("etc")).unwrap();
    std::fs::set_permissions(d.join("etc"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let policy = d.join("etc/policy.json");
    std::fs::write(
        &policy,
        serde_json::json!({
            "operators": {},
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database, "caFile": team_ca }
        })
        .to_string(),
    )
    .unwrap();
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o644)).unwrap();

    // Killed part-way, then started again.
    let logs = || {
        ["feed-1.log", "feed-2.log"]
            .map(|log| {
                let said = std::fs::read_to_string(d.join(log)).unwrap_or_default();
                format!(
                    "{log}: {}",
                    said.lines().rev().take(20).collect::<Vec<_>>().join(" | ")
                )
            })
            .join("\n")
    };
    let mut first = feed(d, &rsyslog, "feed-1.log");
    until(
        "the first messages",
        60,
        || rsyslog.received().len() >= 600,
        || format!("{} received\n{}", rsyslog.received().len(), logs()),
    );
    first.kill().unwrap();
    first.wait().unwrap();
    send(&prepared[1]).await;
    // An alert: bob sends another record 3 of his chain.
    let bob = team::connect(&cluster.address(&database), "bob", "pw")
        .await
        .unwrap();
    let mut forged = chain(
        &owner,
        "chain-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "B-0002",
        "bob",
        3,
    )
    .await
    .pop()
    .unwrap();
    forged.result = "forged".into();
    forged.hash = rehash(&owner, &forged).await;
    assert_eq!(ingest(&bob, &forged).await.unwrap(), Verdict::Fork);
    let alert: i64 = owner
        .query_one("SELECT id FROM c2p.alerts", &[])
        .await
        .unwrap()
        .get(0);
    expected.push(format!("alert.{alert}"));
    let before = rsyslog.received().len();
    assert!(before < expected.len(), "killed before the end: {before}");
    let mut second = feed(d, &rsyslog, "feed-2.log");
    until(
        "every message",
        120,
        || by_id(&rsyslog.received()).len() >= expected.len(),
        || {
            format!(
                "{} of {} received\n{}",
                by_id(&rsyslog.received()).len(),
                expected.len(),
                logs()
            )
        },
    );
    second.kill().unwrap();
    second.wait().unwrap();

    let received = by_id(&rsyslog.received());
    let mut want = expected.clone();
    want.sort();
    assert_eq!(
        received.keys().cloned().collect::<Vec<_>>(),
        want,
        "each once at least, nothing else"
    );
    for (id, lines) in &received {
        assert!(
            lines.iter().all(|l| l == &lines[0]),
            "a repeat of {id} is the same message: {lines:?}"
        );
    }
    let first_a =
        &received[&team::siem::record_msgid("chain-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1)][0];
    assert!(
        first_a.starts_with("<109>1 "),
        "a record is a notice of log audit: {first_a}"
    );
    for field in [
        r#"chain="chain-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa""#,
        r#"seq="1""#,
        r#"operator="A-0001""#,
        r#"workstation="WS-17""#,
        r#"event="profile_view""#,
        r#"resource="cons-0001""#,
        r#"result="ok""#,
    ] {
        assert!(first_a.contains(field), "{field} in {first_a}");
    }
    let role_change =
        &received[&team::siem::record_msgid("chain-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 10)][0];
    assert!(
        role_change.starts_with("<108>1 "),
        "a role change is a warning: {role_change}"
    );
    let fork = &received[&format!("alert.{alert}")][0];
    assert!(fork.starts_with("<106>1 "), "a fork is critical: {fork}");
    assert!(fork.contains(r#"alert="fork""#), "{fork}");
}
