//! Team mode's audit trail against a real PostgreSQL cluster over TLS: the local chain's
//! records reach the centre in order, once each, from wherever the last forward stopped.

mod common;

use std::time::Duration;

use team::testing::Cluster;

const CONSUMERS: usize = 60;

#[tokio::test]
async fn every_local_record_reaches_the_centre_once_in_order_from_where_it_stopped() {
    let cluster = Cluster::start();
    let database = cluster.database("trail").await;
    let mut owner = cluster.owner(&database).await;
    team::schema::init(&mut owner).await.unwrap();

    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let consumer = common::first(CONSUMERS, "ok");
    h.console.consumer_view(&consumer).await.unwrap();
    let operator = h.trail().last().unwrap().event.operator.clone();
    team::schema::add_login(&mut owner, "ws17", "ws17-pw", &operator, false)
        .await
        .unwrap();
    let mut login = team::connect(&cluster.address(&database), "ws17", "ws17-pw")
        .await
        .unwrap();

    // The chain's id is in its first record; the whole chain goes, then nothing more.
    let chain = h.console.audit_chain().unwrap();
    assert_eq!(
        h.trail()[0].event.resource.as_deref(),
        Some(chain.chain.as_str())
    );
    let sent = h.console.forward_audit(&mut login).await.unwrap();
    let local = h.trail();
    assert_eq!(sent, local.len() as u64);
    assert_eq!(h.console.forward_audit(&mut login).await.unwrap(), 0);

    // More records, and a forward that stopped half-way (the cursor set back, as after a crash
    // between the central commit and the local note): the repeats are taken as done.
    for _ in 0..3 {
        h.console.consumer_view(&consumer).await.unwrap();
    }
    let file = h.console.dirs().data.join("audit.sqlite");
    let log = care::audit_log::AuditLog::open(&file).unwrap();
    assert_eq!(log.forwarded().unwrap(), local.len() as i64);
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute("UPDATE forwarded SET last_seq = 2", [])
        .unwrap();
    let sent = h.console.forward_audit(&mut login).await.unwrap();
    assert_eq!(
        sent as usize,
        h.trail().len() - 2,
        "sent again from record 3"
    );

    let central = owner
        .query(
            "SELECT seq, hash FROM c2p.records WHERE chain_id = $1 ORDER BY seq",
            &[&chain.chain],
        )
        .await
        .unwrap();
    let local = h.trail();
    assert_eq!(central.len(), local.len(), "every record, none twice");
    for (row, record) in central.iter().zip(&local) {
        assert_eq!(
            (row.get::<_, i64>(0), row.get::<_, String>(1)),
            (record.seq, record.hash.clone())
        );
    }
    let account: String = owner
        .query_one(
            "SELECT account FROM c2p.chains WHERE chain_id = $1",
            &[&chain.chain],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(account, chain.account);
}

#[tokio::test]
async fn a_login_cannot_send_another_operator_s_records_and_nothing_moves_past_the_refusal() {
    let cluster = Cluster::start();
    let database = cluster.database("someone_else").await;
    let mut owner = cluster.owner(&database).await;
    team::schema::init(&mut owner).await.unwrap();
    team::schema::add_login(&mut owner, "mallory", "mallory-pw", "M-0666", false)
        .await
        .unwrap();
    let mut mallory = team::connect(&cluster.address(&database), "mallory", "mallory-pw")
        .await
        .unwrap();
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    // The chain's first record names the bare OS account (before any policy): the centre takes
    // it. Then the policy names the operator `tester`, whose records mallory's login may not send.
    h.role("agent");
    h.console
        .consumer_view(&common::first(CONSUMERS, "ok"))
        .await
        .unwrap();
    let refused = h.console.forward_audit(&mut mallory).await.unwrap_err();
    assert!(refused.to_string().contains("Operator"), "{refused}");
    let log = care::audit_log::AuditLog::open(&h.console.dirs().data.join("audit.sqlite")).unwrap();
    let first_other = h
        .trail()
        .iter()
        .find(|r| r.event.operator != "tester-os")
        .unwrap()
        .seq;
    assert_eq!(
        log.forwarded().unwrap(),
        first_other - 1,
        "the cursor stopped before the refused record"
    );
    let alerts: Vec<String> = owner
        .query("SELECT kind FROM c2p.alerts", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(alerts, ["operator"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_team_mode_each_record_reaches_the_centre_as_it_is_written() {
    let cluster = Cluster::start();
    let database = cluster.database("live").await;
    let mut owner = cluster.owner(&database).await;
    team::schema::init(&mut owner).await.unwrap();
    let h = std::sync::Arc::new(common::harness(CONSUMERS, Duration::ZERO).await);
    let ca = h.dir.path().join("team-ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).unwrap();
    // The policy names this account A-0042 (an administrator too, to add the environment); the
    // chain's first record, from before, names the bare OS account, which the centre takes.
    common::write_system_policy(
        h.dir.path(),
        &serde_json::json!({
            "operators": { "tester-os": { "id": "A-0042", "role": "agent", "admin": true } },
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database, "caFile": ca }
        })
        .to_string(),
    );
    h.use_local_environment_as_admin().await;
    team::schema::add_login(&mut owner, "ws17", "ws17-pw", "A-0042", false)
        .await
        .unwrap();
    h.console
        .import_team_credentials("ws17", "ws17-pw")
        .await
        .unwrap();
    let forwarding = h.clone();
    let forwarder = tokio::spawn(async move { forwarding.console.forward_continuously().await });

    let consumer = common::first(CONSUMERS, "ok");
    for _ in 0..5 {
        h.console.consumer_view(&consumer).await.unwrap();
    }
    let central = || async {
        owner
            .query_one("SELECT count(*) FROM c2p.records", &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while central().await < h.trail().len() as i64 {
        assert!(
            std::time::Instant::now() < deadline,
            "the centre fell behind: {:?}",
            h.trail()
                .iter()
                .map(|r| (r.event.operator.clone(), r.event.event.clone()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(central().await, h.trail().len() as i64);
    forwarder.abort();
}
