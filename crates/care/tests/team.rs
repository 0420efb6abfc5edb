//! Team mode's audit trail against a real PostgreSQL cluster over TLS: the local chain's
//! records reach the centre in order, once each, from wherever the last forward stopped.

mod common;

use std::time::Duration;

use care::audit_log::ExportFormat;
use care::audit_log::centre::CentreFinding;
use care::console::{TeamFilter, TeamLink};
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
    assert!(
        refused
            .to_string()
            .contains("it names another operator than this login's"),
        "{refused}"
    );
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

/// A console in team mode against `database`: the policy names this account A-0042 (an
/// administrator too, to add the environment), who holds login `ws_<database>` (logins are the
/// cluster's); writes are held past
/// `limit_seconds` of backlog.
async fn team_mode(
    cluster: &Cluster,
    database: &str,
    limit_seconds: u32,
) -> (std::sync::Arc<common::Harness>, tokio_postgres::Client) {
    let mut owner = cluster.owner(database).await;
    team::schema::init(&mut owner).await.unwrap();
    let h = std::sync::Arc::new(common::harness(CONSUMERS, Duration::ZERO).await);
    let ca = h.dir.path().join("team-ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).unwrap();
    // The chain's first record, from before the policy, names the bare OS account, which the
    // centre takes.
    common::write_system_policy(
        h.dir.path(),
        &serde_json::json!({
            "operators": { "tester-os": { "id": "A-0042", "role": "agent", "admin": true } },
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database,
                      "caFile": ca, "backlogLimitSeconds": limit_seconds }
        })
        .to_string(),
    );
    h.use_local_environment_as_admin().await;
    let login = format!("ws_{database}");
    team::schema::add_login(&mut owner, &login, "ws-pw", "A-0042", false)
        .await
        .unwrap();
    h.console
        .import_team_credentials(&login, "ws-pw")
        .await
        .unwrap();
    (h, owner)
}

/// Waits (up to 20 s) until `done` holds.
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "{what}: not in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_team_mode_each_record_reaches_the_centre_as_it_is_written() {
    let cluster = Cluster::start();
    let database = cluster.database("live").await;
    let (h, owner) = team_mode(&cluster, &database, 300).await;
    let forwarding = h.clone();
    let forwarder = tokio::spawn(async move { forwarding.console.forward_continuously().await });

    let consumer = common::first(CONSUMERS, "ok");
    for _ in 0..5 {
        h.console.consumer_view(&consumer).await.unwrap();
    }
    let central = async || {
        owner
            .query_one("SELECT count(*) FROM c2p.records", &[])
            .await
            .unwrap()
            .get::<_, i64>(0)
    };
    until("every record in the centre", async || {
        central().await == h.trail().len() as i64
    })
    .await;
    assert_eq!(h.console.team_status().unwrap().unforwarded, 0);
    forwarder.abort();
}

fn opt_out_card(card: &str) -> care::writes::WriteRequest {
    care::writes::WriteRequest {
        kind: care::writes::WriteKind::OptOutCard,
        target: card.to_owned(),
        reason: None,
        user_decision: true,
        token_reason: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_team_store_down_writes_are_refused_at_once_then_held_past_the_limit_and_go_again_once_it_is_back()
 {
    let cluster = Cluster::start();
    let database = cluster.database("down").await;
    let (h, owner) = team_mode(&cluster, &database, 2).await;
    let forwarding = h.clone();
    let forwarder = tokio::spawn(async move { forwarding.console.forward_continuously().await });
    // An enrolled card of each of two consumers.
    let mut cards = Vec::new();
    for consumer in [
        common::first(CONSUMERS, "ok"),
        common::first(CONSUMERS, "closed"),
    ] {
        let view = h.console.consumer_view(&consumer).await.unwrap();
        cards.extend(view.directories.iter().find_map(|d| match &d.state {
            care::profile::DirectoryState::Enrolled { profile } => {
                profile.cards.first().map(|c| c.card_id.clone())
            }
            _ => None,
        }));
    }
    let consumer = common::first(CONSUMERS, "ok");
    assert!(cards.len() >= 2, "{cards:?}");
    h.console.write(opt_out_card(&cards[0])).await.unwrap();
    until("the store reached", async || {
        h.console.team_status().unwrap().link == Some(TeamLink::Delivered)
    })
    .await;
    drop(owner);

    cluster.stop();
    // A write cannot be claimed: refused at once, well within the trail's limit, nothing sent,
    // and the refusal recorded. Reads go on.
    let sent_before = h.writes_to(&cards[1]);
    let refused = h.console.write(opt_out_card(&cards[1])).await.unwrap_err();
    assert_eq!(
        refused.code(),
        care::ErrorCode::ClaimUnavailable,
        "{refused}"
    );
    assert!(
        refused.to_string().contains("team store cannot be reached"),
        "{refused}"
    );
    assert_eq!(h.writes_to(&cards[1]), sent_before, "nothing sent");
    h.console.consumer_view(&consumer).await.unwrap();
    let refusal = h
        .trail()
        .into_iter()
        .rev()
        .find(|r| r.event.event == "write_held")
        .expect("the refusal is recorded");
    assert_eq!(refusal.event.resource.as_deref(), Some(cards[1].as_str()));
    assert!(refusal.event.result.starts_with("refused: "), "{refusal:?}");

    // The operator moves the local note of what the store holds far ahead: the console does
    // not go by it. Past the limit, writes are held for the trail and say why.
    rusqlite::Connection::open(h.console.dirs().data.join("audit.sqlite"))
        .unwrap()
        .execute("UPDATE forwarded SET last_seq = 1000000000000", [])
        .unwrap();
    until("the store seen down", async || {
        h.console.team_status().unwrap().link == Some(TeamLink::Unreachable)
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(h.console.team_status().unwrap().on);
    let held = h.console.write(opt_out_card(&cards[1])).await.unwrap_err();
    assert_eq!(held.code(), care::ErrorCode::TrailUndelivered, "{held}");
    assert!(held.to_string().contains("team store"), "{held}");
    assert_eq!(h.writes_to(&cards[1]), sent_before, "nothing sent");

    // Back: the backlog drains on its own, in order, from the last record the store holds, and
    // writes go again.
    cluster.start_server();
    let owner = cluster.owner(&database).await;
    until("the backlog drained", async || {
        let held: i64 = owner
            .query_one("SELECT count(*) FROM c2p.records", &[])
            .await
            .unwrap()
            .get(0);
        held == h.trail().len() as i64 && h.console.team_status().unwrap().unforwarded == 0
    })
    .await;
    h.console.write(opt_out_card(&cards[1])).await.unwrap();
    until("the last write's records in the centre", async || {
        let held: i64 = owner
            .query_one("SELECT count(*) FROM c2p.records", &[])
            .await
            .unwrap()
            .get(0);
        held == h.trail().len() as i64
    })
    .await;
    let alerts: i64 = owner
        .query_one("SELECT count(*) FROM c2p.alerts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(alerts, 0, "nothing refused, no gap");
    forwarder.abort();
}

/// What someone who owns the file can do: edit record `seq`'s result and compute the chain
/// again from there, with the published hash (version 2), so that the file verifies on its own.
fn edit_and_chain_again(file: &std::path::Path, seq: i64) {
    let db = rusqlite::Connection::open(file).unwrap();
    db.execute_batch("DROP TRIGGER audit_no_update;").unwrap();
    db.execute(
        "UPDATE audit SET result = 'nothing to see' WHERE seq = ?1",
        [seq],
    )
    .unwrap();
    chain_again(&db, seq);
}

/// Computes the hashes of records `seq` on again (version 2), as the console would have.
fn chain_again(db: &rusqlite::Connection, seq: i64) {
    let rows: Vec<(i64, String, care::audit_log::Event)> = db
        .prepare(
            "SELECT seq, time, operator, workstation, event, resource, result, operation_id,
                    correlation_id, role FROM audit WHERE seq >= ?1 ORDER BY seq",
        )
        .unwrap()
        .query_map([seq], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                care::audit_log::Event {
                    operator: r.get(2)?,
                    workstation: r.get(3)?,
                    event: r.get(4)?,
                    resource: r.get(5)?,
                    result: r.get(6)?,
                    operation_id: r.get(7)?,
                    correlation_id: r.get(8)?,
                    role: r.get(9)?,
                },
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev: String = db
        .query_row("SELECT prev_hash FROM audit WHERE seq = ?1", [seq], |r| {
            r.get(0)
        })
        .unwrap();
    for (seq, time, event) in rows {
        let hash = care::audit_log::chain::record_hash(2, &prev, seq, &time, &event).unwrap();
        db.execute(
            "UPDATE audit SET prev_hash = ?1, hash = ?2, version = 2 WHERE seq = ?3",
            rusqlite::params![prev, hash, seq],
        )
        .unwrap();
        prev = hash;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_what_was_done_to_the_local_log_against_the_centre_s_copy() {
    let cluster = Cluster::start();
    let consumer = common::first(CONSUMERS, "ok");

    // Last rows deleted.
    let database = cluster.database("truncated").await;
    let (h, _owner) = team_mode(&cluster, &database, 300).await;
    for _ in 0..3 {
        h.console.consumer_view(&consumer).await.unwrap();
    }
    let verified = h.console.audit_verify().await.unwrap();
    let centre = verified.centre.unwrap();
    assert!(centre.checked, "{centre:?}");
    assert!(
        matches!(centre.findings[..], [CentreFinding::Behind { records }] if records > 0),
        "{centre:?}"
    );
    h.console.forward_audit_now().await.unwrap();
    let centre = h.console.audit_verify().await.unwrap().centre.unwrap();
    assert_eq!(centre.findings, [], "the same chain");
    h.console.forward_audit_now().await.unwrap();
    let held = h.trail().len() as u32;
    let file = h.console.dirs().data.join("audit.sqlite");
    let db = rusqlite::Connection::open(&file).unwrap();
    db.execute_batch("DROP TRIGGER audit_no_delete;").unwrap();
    db.execute("DELETE FROM audit WHERE seq > ?1", [held - 2])
        .unwrap();
    drop(db);
    let verified = h.console.audit_verify().await.unwrap();
    assert_eq!(verified.first_broken, None, "the file alone verifies");
    let centre = verified.centre.unwrap();
    assert_eq!(
        centre.findings,
        [CentreFinding::Truncated {
            local: held - 2,
            central: held
        }]
    );
    assert!(centre.findings[0].to_string().starts_with("TRUNCATED: "));
    // What is written after it does not follow the store's copy: refused, and the status says
    // so (not "unreachable").
    for _ in 0..3 {
        h.console.consumer_view(&consumer).await.unwrap();
    }
    let refused = h.console.forward_if_team_mode().await.unwrap_err();
    assert_eq!(refused.code(), care::ErrorCode::TrailRefused, "{refused}");
    assert!(
        matches!(h.console.team_status().unwrap().link, Some(TeamLink::Refused { why }) if why.contains("FORK")),
        "{:?}",
        h.console.team_status().unwrap()
    );

    // A record edited and the chain computed again.
    let database = cluster.database("forked").await;
    let (h, _owner) = team_mode(&cluster, &database, 300).await;
    for _ in 0..3 {
        h.console.consumer_view(&consumer).await.unwrap();
    }
    h.console.forward_audit_now().await.unwrap();
    let edited = h.trail().len() as i64 - 3;
    edit_and_chain_again(&h.console.dirs().data.join("audit.sqlite"), edited);
    let verified = h.console.audit_verify().await.unwrap();
    assert_eq!(verified.first_broken, None, "the file alone verifies");
    assert_eq!(
        verified.centre.unwrap().findings,
        [CentreFinding::Forked { at: edited as u32 }]
    );
    let last = h.trail().pop().unwrap();
    assert_eq!(last.event.event, "audit_verify");
    assert!(last.event.result.contains("FORKED at record"), "{last:?}");

    // The file deleted: a new chain where the centre holds an older one.
    let database = cluster.database("replaced").await;
    let (h, _owner) = team_mode(&cluster, &database, 300).await;
    h.console.consumer_view(&consumer).await.unwrap();
    h.console.forward_audit_now().await.unwrap();
    let old_chain = h.console.audit_chain().unwrap().chain;
    let old_records = h.trail().len() as u32;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(h.console.dirs().data.join(format!("audit.sqlite{suffix}")));
    }
    let console = h.reopen();
    console.consumer_view(&consumer).await.unwrap();
    let centre = console.audit_verify().await.unwrap().centre.unwrap();
    assert!(
        matches!(
            &centre.findings[..],
            [CentreFinding::Replaced { chain, records }, CentreFinding::Behind { .. }]
                if *chain == old_chain && *records == old_records
        ),
        "{centre:?}"
    );
    assert!(centre.findings[0].is_tampering() && !centre.findings[1].is_tampering());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_holding_a_card_number_leaves_redacted_with_its_hashes_and_is_listed_for_the_auditors()
 {
    let cluster = Cluster::start();
    let database = cluster.database("redacted").await;
    let (h, owner) = team_mode(&cluster, &database, 300).await;
    h.console
        .consumer_view(&common::first(CONSUMERS, "ok"))
        .await
        .unwrap();
    // A chain older than chain ids (its first record is no `audit_chain_start`), and a record
    // an older version wrote in it before ids were checked: a card number as its resource.
    let file = h.console.dirs().data.join("audit.sqlite");
    let db = rusqlite::Connection::open(&file).unwrap();
    db.execute_batch(
        "DROP TRIGGER audit_no_update;
         UPDATE audit SET event = 'profile_view', resource = NULL WHERE seq = 1;",
    )
    .unwrap();
    chain_again(&db, 1);
    let seq: i64 = db
        .query_row("SELECT max(seq) + 1 FROM audit", [], |r| r.get(0))
        .unwrap();
    db.execute(
        "INSERT INTO audit (seq, time, operator, workstation, event, resource, result, prev_hash,
                            hash, version, role)
         SELECT ?1, time, operator, workstation, 'view_denied', '4111 1111 1111 1111',
                'denied', hash, '', 2, role FROM audit WHERE seq = ?1 - 1",
        [seq],
    )
    .unwrap();
    chain_again(&db, seq);
    drop(db);
    assert_eq!(h.console.audit_verify().await.unwrap().first_broken, None);

    h.console.forward_audit_now().await.unwrap();
    let row = owner
        .query_one(
            "SELECT resource, redacted, hash FROM c2p.records WHERE seq = $1",
            &[&seq],
        )
        .await
        .unwrap();
    let local = h.trail();
    let original = local.iter().find(|r| r.seq == seq).unwrap();
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("[pan]"));
    assert!(row.get::<_, bool>(1));
    assert_eq!(
        row.get::<_, String>(2),
        original.hash,
        "the hash as written"
    );
    let alerts: Vec<(String, i64)> = owner
        .query("SELECT kind, seq FROM c2p.alerts", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(alerts, [("redacted".to_owned(), seq)]);
    // The centre's chain still holds together, and the records after it follow on.
    h.console
        .consumer_view(&common::first(CONSUMERS, "ok"))
        .await
        .unwrap();
    h.console.forward_audit_now().await.unwrap();
    let chains = team::trail::check_all(&owner).await.unwrap();
    assert!(chains[0].intact(), "{chains:?}");
    assert_eq!(chains[0].records, h.trail().len() as i64);
    let centre = h.console.audit_verify().await.unwrap().centre.unwrap();
    assert_eq!(
        centre.findings,
        [],
        "the same chain, the redacted record's hash included"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_pages_filters_and_exports_the_team_s_trail_and_each_read_is_recorded() {
    let cluster = Cluster::start();
    let database = cluster.database("auditor").await;
    let (h, mut owner) = team_mode(&cluster, &database, 300).await;
    h.console
        .consumer_view(&common::first(CONSUMERS, "ok"))
        .await
        .unwrap();
    h.console.forward_audit_now().await.unwrap();
    // Another operator's workstation.
    team::schema::add_login(&mut owner, "bob", "pw", "B-0002", false)
        .await
        .unwrap();
    let bob = team::connect(&cluster.address(&database), "bob", "pw")
        .await
        .unwrap();
    for record in team::testing::chain(&owner, "chain-bob", "B-0002", "bob", 5).await {
        team::ingest(&bob, &record).await.unwrap();
    }
    let ours = owner
        .query_one(
            "SELECT count(*) FROM c2p.records WHERE operator <> 'B-0002'",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0) as u64;

    // An agent may not read the team's trail.
    let refused = h
        .console
        .team_audit_page(TeamFilter::default(), 0, 100)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), care::ErrorCode::Forbidden);

    // Another operator's login is not taken into this account's keychain.
    let theirs = h
        .console
        .import_team_credentials("bob", "pw")
        .await
        .unwrap_err();
    assert!(theirs.to_string().contains("is B-0002's"), "{theirs}");

    // The same person as an auditor: with an operator's login the store would show only their
    // own records, so the console asks for an auditor's.
    let ca = h.dir.path().join("team-ca.pem");
    common::write_system_policy(
        h.dir.path(),
        &serde_json::json!({
            "operators": { "tester-os": { "id": "A-0042", "role": "auditor", "admin": true } },
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database, "caFile": ca }
        })
        .to_string(),
    );
    let not_auditor = h
        .console
        .team_audit_page(TeamFilter::default(), 0, 100)
        .await
        .unwrap_err();
    assert!(
        not_auditor.to_string().contains("not an auditor's"),
        "{not_auditor}"
    );
    team::schema::add_login(&mut owner, "aud", "aud-pw", "A-0042", true)
        .await
        .unwrap();
    h.console
        .import_team_credentials("aud", "aud-pw")
        .await
        .unwrap();
    let all = h
        .console
        .team_audit_page(TeamFilter::default(), 0, 100)
        .await
        .unwrap();
    assert_eq!(all.total, ours + 5);
    assert!(
        all.records
            .windows(2)
            .all(|w| w[0].received_at >= w[1].received_at),
        "newest first"
    );
    let bobs = TeamFilter {
        operator: Some(" B-0002 ".into()),
        ..TeamFilter::default()
    };
    let page = h.console.team_audit_page(bobs.clone(), 0, 2).await.unwrap();
    assert_eq!((page.total, page.records.len()), (5, 2));
    assert!(page.records.iter().all(|r| r.operator == "B-0002"));
    for wrong in [
        TeamFilter {
            resource: Some("4111 1111 1111 1111".into()),
            ..TeamFilter::default()
        },
        TeamFilter {
            from: Some("yesterday".into()),
            ..TeamFilter::default()
        },
    ] {
        let refused = h.console.team_audit_page(wrong, 0, 10).await.unwrap_err();
        assert_eq!(refused.code(), care::ErrorCode::InvalidInput, "{refused}");
    }

    let (path, count) = h
        .console
        .team_audit_export_new_file(ExportFormat::Csv, bobs, &mut |_, _| {})
        .await
        .unwrap();
    assert_eq!(count, 5);
    let csv = std::fs::read_to_string(&path).unwrap();
    assert_eq!(csv.lines().count(), 6, "{csv}");
    assert!(csv.starts_with("chain,seq,time,received_at"), "{csv}");

    let reads: Vec<String> = h
        .trail()
        .iter()
        .filter(|r| r.event.resource.as_deref() == Some("team-store"))
        .map(|r| format!("{} {}", r.event.event, r.event.result))
        .collect();
    assert!(
        reads.iter().any(|r| r.starts_with("auditread_denied")),
        "{reads:?}"
    );
    assert!(
        reads
            .iter()
            .any(|r| r.starts_with("audit_read team records") && r.contains(r#"operator "B-0002""#)),
        "{reads:?}"
    );
    assert!(
        reads
            .iter()
            .any(|r| r == r#"audit_export 5 team records, operator "B-0002""#),
        "{reads:?}"
    );
}

/// Rewrites `h`'s administrators' policy: operator A-0042 with `role`, in team mode on
/// `database`, emergency mode allowed for `emergency_minutes`.
fn team_policy_with(
    h: &common::Harness,
    cluster: &Cluster,
    database: &str,
    role: &str,
    emergency_minutes: u32,
) {
    common::write_system_policy(
        h.dir.path(),
        &serde_json::json!({
            "operators": { "tester-os": { "id": "A-0042", "role": role, "admin": true } },
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database,
                      "caFile": h.dir.path().join("team-ca.pem"), "backlogLimitSeconds": 2,
                      "emergencyMinutes": emergency_minutes }
        })
        .to_string(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_emergency_mode_a_fraud_analyst_s_writes_go_out_unclaimed_flagged_then_claimed_once_the_store_is_back()
 {
    let cluster = Cluster::start();
    let database = cluster.database("emergency").await;
    let (h, owner) = team_mode(&cluster, &database, 2).await;
    let forwarding = h.clone();
    let forwarder = tokio::spawn(async move { forwarding.console.forward_continuously().await });
    let mut cards = Vec::new();
    for slug in ["ok", "closed"] {
        let view = h
            .console
            .consumer_view(&common::first(CONSUMERS, slug))
            .await
            .unwrap();
        for directory in &view.directories {
            if let care::profile::DirectoryState::Enrolled { profile } = &directory.state {
                cards.extend(profile.cards.iter().map(|c| c.card_id.clone()));
            }
        }
    }
    cards.sort();
    cards.dedup();
    assert!(cards.len() >= 3, "{cards:?}");
    drop(owner);

    // Not allowed by the policy, or not a fraud analyst's: no emergency mode.
    team_policy_with(&h, &cluster, &database, "fraud", 0);
    let refused = h.console.emergency_start("team store down").unwrap_err();
    assert_eq!(refused.code(), care::ErrorCode::Forbidden, "{refused}");
    team_policy_with(&h, &cluster, &database, "agent", 30);
    let refused = h.console.emergency_start("team store down").unwrap_err();
    assert_eq!(refused.code(), care::ErrorCode::Forbidden, "{refused}");

    // Not while the store can be reached.
    team_policy_with(&h, &cluster, &database, "fraud", 30);
    let refused = h.console.emergency_start("team store down").unwrap_err();
    assert!(refused.to_string().contains("can be reached"), "{refused}");

    // The store goes away: a fraud analyst declares it (no card number in the reason, however
    // written), and the write goes out unclaimed, flagged before it leaves, and past the
    // trail's limit it still goes.
    cluster.stop();
    until("the store seen down", async || {
        h.console.team_status().unwrap().link == Some(TeamLink::Unreachable)
    })
    .await;
    for hidden in ["4111 1111 1111 1111 stolen", "card 4111.1111.1111.1111"] {
        assert!(
            h.console.emergency_start(hidden).is_err(),
            "no card number in the reason: {hidden}"
        );
    }
    let declared = h
        .console
        .emergency_start("Fraud wave, team store down")
        .unwrap();
    assert_eq!(h.console.emergency().unwrap(), Some(declared.clone()));
    assert!(
        h.console.emergency_start("again").is_err(),
        "not declared again while it runs"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let written = h.console.write(opt_out_card(&cards[0])).await.unwrap();
    assert_eq!(h.writes_to(&cards[0]), 1, "sent");
    let flagged = h
        .trail()
        .into_iter()
        .find(|r| r.event.event == "emergency_write")
        .expect("the unclaimed write is flagged");
    assert_eq!(flagged.event.resource.as_deref(), Some(cards[0].as_str()));
    assert!(
        flagged.event.result.contains("declared by A-0042"),
        "{flagged:?}"
    );

    h.console.write(opt_out_card(&cards[1])).await.unwrap();

    // Ended: writes wait for the store again. A row the operator adds to their own journal (a
    // declaration "in the future", or longer than the policy allows) is no emergency mode.
    assert!(h.console.emergency_end().unwrap());
    let journal =
        rusqlite::Connection::open(h.console.dirs().data.join("operations.sqlite")).unwrap();
    for (started, until) in [
        ("2999-01-01T00:00:00.000Z", "2999-01-01T00:10:00.000Z"),
        (declared.started_at.as_str(), "2999-01-01T00:00:00.000Z"),
    ] {
        journal
            .execute(
                "INSERT INTO emergencies (operator, reason, started_at, until) VALUES ('A-0042', 'x', ?1, ?2)",
                [started, until],
            )
            .unwrap();
        assert_eq!(h.console.emergency().unwrap(), None, "{started} – {until}");
        journal
            .execute("DELETE FROM emergencies WHERE reason = 'x'", [])
            .unwrap();
    }
    let held = h.console.write(opt_out_card(&cards[2])).await.unwrap_err();
    assert!(
        matches!(
            held.code(),
            care::ErrorCode::TrailUndelivered | care::ErrorCode::ClaimUnavailable
        ),
        "{held}"
    );
    assert_eq!(h.writes_to(&cards[2]), 0, "nothing sent");

    // Back: another workstation's write on the second card came first (its operator could
    // write once the store was back). The first unclaimed write is claimed and told its
    // outcome, the second is recorded as in that write's way; the trail reaches the store,
    // where the emergency is an alert for the auditors and the SIEM feed.
    cluster.start_server();
    let mut owner = cluster.owner(&database).await;
    team::schema::add_login(&mut owner, "ws_other", "pw", "B-0007", false)
        .await
        .unwrap();
    let other = team::connect(&cluster.address(&database), "ws_other", "pw")
        .await
        .unwrap();
    let consumer_of_second = h.console.search(&cards[1], 1).await.unwrap().consumers[0]
        .consumer_id
        .clone();
    // The environment as the team names it: its base URL and issuerId.
    let local = h.console.environment("local").unwrap();
    let theirs = team::claims::claim(
        &other,
        &team::claims::Target {
            environment: format!(
                "{} {}",
                local.base_url.trim_end_matches('/'),
                local.issuer_id
            ),
            kind: "OPT_OUT_CARD".into(),
            target_kind: team::claims::TargetKind::Card,
            target: cards[1].clone(),
            consumer: consumer_of_second,
            card: None,
        },
        "WS-20",
        team::claims::Terms {
            correlation_id: "cid-other",
            lease: Duration::from_secs(60),
            done_within: Duration::ZERO,
            batch: None,
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(theirs, team::claims::Claimed::Ours(_)),
        "{theirs:?}"
    );
    until("the emergency write claimed and told", async || {
        let _ = h.console.track_once().await;
        let told: Option<(String, String)> = owner
            .query_opt(
                "SELECT state, correlation_id FROM c2p.claims WHERE target = $1",
                &[&cards[0]],
            )
            .await
            .unwrap()
            .map(|r| (r.get(0), r.get(1)));
        told.is_some_and(|(state, correlation)| {
            state == "SUCCESSFUL" && correlation == written.intent.correlation_id
        })
    })
    .await;
    let claimed_afterwards: Vec<(String, String)> = h
        .trail()
        .into_iter()
        .filter(|r| r.event.event == "emergency_claim")
        .map(|r| (r.event.resource.unwrap_or_default(), r.event.result))
        .collect();
    assert_eq!(claimed_afterwards.len(), 2, "{claimed_afterwards:?}");
    assert_eq!(claimed_afterwards[0].0, cards[0]);
    assert!(
        claimed_afterwards[0].1.starts_with("claimed"),
        "{claimed_afterwards:?}"
    );
    assert_eq!(claimed_afterwards[1].0, cards[1]);
    assert!(
        claimed_afterwards[1]
            .1
            .starts_with("in the way of another write")
            && claimed_afterwards[1].1.contains("B-0007"),
        "{claimed_afterwards:?}"
    );
    until("the emergency raised as alerts", async || {
        let kinds: Vec<String> = owner
            .query("SELECT kind FROM c2p.alerts ORDER BY id", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        kinds
            == [
                "emergency_start",
                "emergency_write",
                "emergency_write",
                "emergency_claim",
            ]
    })
    .await;
    forwarder.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_begun_in_emergency_mode_goes_on_claimed_item_by_item_once_the_store_is_back_and_never_enters_it()
 {
    let cluster = Cluster::start();
    let database = cluster.database("emergency_batch").await;
    let (h, owner) = team_mode(&cluster, &database, 2).await;
    drop(owner);
    team_policy_with(&h, &cluster, &database, "fraud", 30);
    let forwarding = h.clone();
    let forwarder = tokio::spawn(async move { forwarding.console.forward_continuously().await });
    let cards = enrolled_cards(12);
    let mut slow = common::fault(&[d1_sandbox::faults::Endpoint::OptOutCard]);
    slow.latency_ms = 500;
    h.faults(vec![slow]);

    cluster.stop();
    until("the store seen down", async || {
        h.console.team_status().unwrap().link == Some(TeamLink::Unreachable)
    })
    .await;
    h.console.emergency_start("Fraud wave, store down").unwrap();
    let batch = batch_of(&h, &cards);
    let (_control, running) = run_in_background(&h, &batch.id);
    until("two items sent unclaimed", async || {
        cards.iter().filter(|c| h.writes_to(c) > 0).count() >= 2
    })
    .await;
    cluster.start_server();
    let last = tokio::time::timeout(Duration::from_secs(60), running)
        .await
        .expect("the batch ends")
        .unwrap()
        .unwrap();
    assert_eq!(last.successful, 12, "{last:?}");
    for card in &cards {
        assert_eq!(h.writes_to(card), 1, "{card} written once");
    }

    // Unclaimed only until the store was back: the rest were claimed one by one, and the
    // batch itself never entered the store (where its sent items would read "not sent").
    let unclaimed = h
        .trail()
        .into_iter()
        .filter(|r| r.event.event == "emergency_write")
        .count();
    let owner = cluster.owner(&database).await;
    let claimed: i64 = owner
        .query_one(
            "SELECT count(DISTINCT target) FROM c2p.claims WHERE target = ANY($1)",
            &[&cards],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        (2..12).contains(&unclaimed) && claimed as usize >= 12 - unclaimed,
        "{unclaimed} sent unclaimed, {claimed} claimed"
    );
    assert!(!in_store(&owner, &batch.id).await);
    forwarder.abort();
}

/// `n` seeded cards enrolled in a directory and held by the bank.
fn enrolled_cards(n: usize) -> Vec<String> {
    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let held: std::collections::HashSet<String> = population
        .bank
        .values()
        .flat_map(|c| c.cards.iter().map(|card| card.card_id.clone()))
        .collect();
    let mut cards: Vec<String> = population
        .directories
        .values()
        .flat_map(|profiles| profiles.values())
        .flat_map(|profile| profile.cards.iter().map(|card| card.card_id.clone()))
        .filter(|card| held.contains(card))
        .collect();
    cards.sort();
    cards.dedup();
    cards.truncate(n);
    assert_eq!(cards.len(), n);
    cards
}

/// Runs batch `id` on `h` one item at a time in the background: its control, and its end.
fn run_in_background(
    h: &std::sync::Arc<common::Harness>,
    id: &str,
) -> (
    tokio::sync::watch::Sender<care::batch::RunControl>,
    tokio::task::JoinHandle<care::Result<care::batch::Progress>>,
) {
    let (control, receiver) = tokio::sync::watch::channel(care::batch::RunControl::Run);
    let (h, id) = (h.clone(), id.to_owned());
    let running = tokio::spawn(async move { h.console.batch_run(&id, 1, receiver, &|_| {}).await });
    (control, running)
}

/// Whether the team store holds batch `id`.
async fn in_store(owner: &tokio_postgres::Client, id: &str) -> bool {
    owner
        .query_one("SELECT count(*) FROM c2p.batches WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get::<_, i64>(0)
        == 1
}

/// Rewrites `h`'s administrators' policy: operator A-0042, a fraud analyst, without team mode.
fn fraud_without_team_mode(h: &common::Harness) {
    common::write_system_policy(
        h.dir.path(),
        &serde_json::json!({
            "operators": { "tester-os": { "id": "A-0042", "role": "fraud", "admin": true } }
        })
        .to_string(),
    );
}

/// A batch opt-out of `cards`, made on `h`.
fn batch_of(h: &common::Harness, cards: &[String]) -> care::journal::Batch {
    let list: String = cards.iter().map(|c| format!("card:{c}\n")).collect();
    h.console
        .batch_create(
            &care::batch::input::parse(&list, None),
            false,
            Some("Fraud wave"),
        )
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_that_sent_items_before_team_mode_stays_on_its_workstation_each_item_claimed() {
    let cluster = Cluster::start();
    let database = cluster.database("before_team").await;
    let (h, mut owner) = team_mode(&cluster, &database, 300).await;
    team::schema::grant_fraud(&mut owner, &format!("ws_{database}"))
        .await
        .unwrap();
    let mut cards = enrolled_cards(10);
    let more = cards.split_off(6);
    let mut slow = common::fault(&[d1_sandbox::faults::Endpoint::OptOutCard]);
    slow.latency_ms = 300;
    h.faults(vec![slow]);

    // Without team mode, cancelled after two items were sent.
    fraud_without_team_mode(&h);
    let batch = batch_of(&h, &cards);
    let (control, running) = run_in_background(&h, &batch.id);
    until("two items sent", async || {
        cards.iter().filter(|c| h.writes_to(c) > 0).count() >= 2
    })
    .await;
    control.send_replace(care::batch::RunControl::Cancel);
    running.await.unwrap().unwrap();
    let sent_before: Vec<&String> = cards.iter().filter(|c| h.writes_to(c) > 0).collect();
    assert!(sent_before.len() < cards.len(), "{sent_before:?}");

    // Team mode on: run again, it ends with every card written once. The store would list the
    // items sent before as not sent (for a takeover to send again), so the batch is not put
    // there: the rest are claimed one by one.
    team_policy_with(&h, &cluster, &database, "fraud", 0);
    let (_control, receiver) = tokio::sync::watch::channel(care::batch::RunControl::Run);
    let last = h
        .console
        .batch_run(&batch.id, 1, receiver, &|_| {})
        .await
        .unwrap();
    assert_eq!(last.successful as usize, cards.len(), "{last:?}");
    for card in &cards {
        assert_eq!(h.writes_to(card), 1, "{card} written once");
    }
    assert!(!in_store(&owner, &batch.id).await);
    let claimed: Vec<String> = owner
        .query(
            "SELECT target FROM c2p.claims WHERE target = ANY($1) AND state = 'SUCCESSFUL'",
            &[&cards],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    for card in cards.iter().filter(|c| !sent_before.contains(c)) {
        assert!(claimed.contains(card), "{card} claimed: {claimed:?}");
    }

    // A batch the store holds does not run with team mode turned off: it would go unclaimed
    // while the store lists its items as not sent.
    let held = batch_of(&h, &more);
    let (control, running) = run_in_background(&h, &held.id);
    until("the batch in the store", async || {
        in_store(&owner, &held.id).await
    })
    .await;
    control.send_replace(care::batch::RunControl::Cancel);
    running.await.unwrap().unwrap();
    let sent = more.iter().map(|c| h.writes_to(c)).sum::<u64>();
    fraud_without_team_mode(&h);
    let (_control, receiver) = tokio::sync::watch::channel(care::batch::RunControl::Run);
    let refused = h
        .console
        .batch_run(&held.id, 1, receiver, &|_| {})
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("runs only in team mode"),
        "{refused}"
    );
    assert_eq!(more.iter().map(|c| h.writes_to(c)).sum::<u64>(), sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_team_mode_a_token_s_write_is_claimed_under_its_card_and_waits_for_another_s_write_on_that_card()
 {
    use d1_sandbox::tokens::{TokenState, TokenType};
    let cluster = Cluster::start();
    let database = cluster.database("tokens").await;
    let (h, mut owner) = team_mode(&cluster, &database, 300).await;
    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let open = |card: &str| {
        population
            .bank
            .values()
            .flat_map(|c| &c.cards)
            .any(|c| c.card_id == card && c.status == d1_sandbox::model::AccountStatus::Open)
    };
    let merchants: Vec<_> = d1_sandbox::tokens::generate(1, &population)
        .into_values()
        .filter(|t| {
            t.token_type == TokenType::CardOnFile
                && t.state == TokenState::Active
                && open(&t.card_id)
        })
        .collect();
    let held = &merchants[0];
    let free = merchants
        .iter()
        .find(|t| t.card_id != held.card_id)
        .unwrap();
    let suspend = |token: &str| care::writes::WriteRequest {
        kind: care::writes::WriteKind::SuspendToken,
        target: token.to_owned(),
        reason: None,
        user_decision: false,
        token_reason: Some(care::tokens::TokenReason::DeviceLost),
    };

    // Another workstation is opting the first token's card out.
    team::schema::add_login(&mut owner, "ws_other", "pw", "B-0007", false)
        .await
        .unwrap();
    let other = team::connect(&cluster.address(&database), "ws_other", "pw")
        .await
        .unwrap();
    let local = h.console.environment("local").unwrap();
    let environment = format!(
        "{} {}",
        local.base_url.trim_end_matches('/'),
        local.issuer_id
    );
    let consumer = h.console.search(&held.card_id, 1).await.unwrap().consumers[0]
        .consumer_id
        .clone();
    let theirs = team::claims::claim(
        &other,
        &team::claims::Target {
            environment,
            kind: "OPT_OUT_CARD".into(),
            target_kind: team::claims::TargetKind::Card,
            target: held.card_id.clone(),
            consumer,
            card: None,
        },
        "WS-20",
        team::claims::Terms {
            correlation_id: "cid-other",
            lease: Duration::from_secs(60),
            done_within: Duration::ZERO,
            batch: None,
        },
    )
    .await
    .unwrap();
    assert!(
        matches!(theirs, team::claims::Claimed::Ours(_)),
        "{theirs:?}"
    );

    let refused = h
        .console
        .write(suspend(&held.digital_card_id))
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        care::ErrorCode::AlreadyInProgress,
        "{refused}"
    );
    assert!(refused.to_string().contains("B-0007"), "{refused}");
    assert_eq!(h.writes_to(&held.digital_card_id), 0, "nothing sent");

    let written = h
        .console
        .write(suspend(&free.digital_card_id))
        .await
        .unwrap();
    assert_eq!(
        written.state,
        care::journal::State::Successful,
        "{written:?}"
    );
    let row = owner
        .query_one(
            "SELECT target_kind, card, kind FROM c2p.claims WHERE target = $1",
            &[&free.digital_card_id],
        )
        .await
        .unwrap();
    assert_eq!(
        (
            row.get::<_, String>(0),
            row.get::<_, Option<String>>(1),
            row.get::<_, String>(2)
        ),
        (
            "token".into(),
            Some(free.card_id.clone()),
            "SUSPEND_TOKEN".into()
        )
    );
}
