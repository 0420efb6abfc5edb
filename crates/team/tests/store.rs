//! The team store against a real PostgreSQL cluster over TLS: the schema and its roles, what an
//! operator's login may and may not do, and the ingest's answers.

use team::testing::{self as common, Cluster, chain, rehash};
use team::{Verdict, ingest, schema};

/// How many records `client` may read.
async fn count(client: &tokio_postgres::Client) -> i64 {
    client
        .query_one("SELECT count(*) FROM c2p.records", &[])
        .await
        .unwrap()
        .get(0)
}

async fn prepared(cluster: &Cluster, database: &str) {
    cluster.database(database).await;
    let mut owner = cluster.owner(database).await;
    assert_eq!(schema::init(&mut owner).await.unwrap(), [1, 2, 3, 4, 5]);
    assert_eq!(
        schema::init(&mut owner).await.unwrap(),
        Vec::<i32>::new(),
        "init again changes nothing"
    );
    schema::add_login(&mut owner, "alice", "alice-pw", "A-0001", false)
        .await
        .unwrap();
    schema::add_login(&mut owner, "bob", "bob-pw", "A-0002", false)
        .await
        .unwrap();
    schema::add_login(&mut owner, "audra", "audra-pw", "AU-01", true)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_operator_login_can_only_ingest_and_nobody_changes_the_trail() {
    let cluster = Cluster::start();
    prepared(&cluster, "immutable").await;
    let alice = team::connect(&cluster.address("immutable"), "alice", "alice-pw")
        .await
        .unwrap();
    let owner = cluster.owner("immutable").await;
    for record in chain(&owner, "chain-a", "A-0001", "alice", 3).await {
        assert_eq!(ingest(&alice, &record).await.unwrap(), Verdict::Stored);
    }
    let partition: String = cluster
        .owner("immutable")
        .await
        .query_one(
            "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             JOIN c2p.records r ON true
             WHERE i.inhparent = 'c2p.records'::regclass
               AND r.tableoid = c.oid LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    for target in ["c2p.records".to_owned(), format!("c2p.{partition}")] {
        for statement in [
            format!("UPDATE {target} SET result = 'forged'"),
            format!("DELETE FROM {target}"),
            format!("TRUNCATE {target}"),
            format!(
                "INSERT INTO {target} (chain_id, seq, time, clock_off, login, operator, workstation, event, result, prev_hash, hash, version)
                 VALUES ('x', 9, 'now', false, 'alice', 'A-0001', 'WS', 'e', 'r', 'p', 'h', 2)"
            ),
        ] {
            let refused = alice.batch_execute(&statement).await.unwrap_err();
            let code = refused.as_db_error().map(|e| e.code().code().to_owned());
            assert_eq!(code.as_deref(), Some("42501"), "{statement}: {refused}");
        }
    }
    // The owner too is stopped by the triggers (retention detaches whole partitions instead).
    for statement in [
        "UPDATE c2p.records SET result = 'forged'",
        "DELETE FROM c2p.records",
        "TRUNCATE c2p.records",
    ] {
        let refused = owner.batch_execute(statement).await.unwrap_err();
        assert!(
            refused.to_string().contains("append-only")
                || format!("{refused:?}").contains("append-only"),
            "{statement}: {refused:?}"
        );
    }
    let count: i64 = owner
        .query_one("SELECT count(*) FROM c2p.records", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(count, 3);
}

#[tokio::test]
async fn ingest_keeps_each_chain_whole_and_names_forks_gaps_restarts_and_other_operators() {
    let cluster = Cluster::start();
    prepared(&cluster, "ingest").await;
    let address = cluster.address("ingest");
    let alice = team::connect(&address, "alice", "alice-pw").await.unwrap();
    let owner = cluster.owner("ingest").await;
    let records = chain(&owner, "chain-a", "A-0001", "alice", 4).await;

    assert_eq!(ingest(&alice, &records[0]).await.unwrap(), Verdict::Stored);
    assert_eq!(
        ingest(&alice, &records[2]).await.unwrap(),
        Verdict::Gap,
        "record 2 is missing"
    );
    assert_eq!(ingest(&alice, &records[1]).await.unwrap(), Verdict::Stored);
    assert_eq!(
        ingest(&alice, &records[1]).await.unwrap(),
        Verdict::Duplicate,
        "a repeat is taken as done"
    );
    // Another record 2, consistently hashed: a fork.
    let mut forged = records[1].clone();
    forged.result = "forged".into();
    forged.hash = rehash(&owner, &forged).await;
    assert_eq!(ingest(&alice, &forged).await.unwrap(), Verdict::Fork);
    // Record 3's true hash on other content: refused, whatever comes after.
    let mut copied = records[2].clone();
    copied.result = "forged".into();
    assert_eq!(ingest(&alice, &copied).await.unwrap(), Verdict::BadHash);
    let mut wrong_link = records[2].clone();
    wrong_link.prev_hash = "0".repeat(64);
    wrong_link.hash = rehash(&owner, &wrong_link).await;
    assert_eq!(
        ingest(&alice, &wrong_link).await.unwrap(),
        Verdict::Fork,
        "the next record, linked to another record 2 than the centre's"
    );
    // A correctly chained record naming another operator than the login's.
    let mut someone_else = records[2].clone();
    someone_else.operator = "A-0002".into();
    someone_else.hash = rehash(&owner, &someone_else).await;
    assert_eq!(
        ingest(&alice, &someone_else).await.unwrap(),
        Verdict::Operator
    );
    // Nor by claiming the other operator's id as the chain's OS account.
    let mut as_account = someone_else.clone();
    as_account.account = "A-0002".into();
    assert_eq!(
        ingest(&alice, &as_account).await.unwrap(),
        Verdict::Operator
    );
    assert_eq!(ingest(&alice, &records[2]).await.unwrap(), Verdict::Stored);
    // The same workstation account begins a new chain: a restart the auditors see.
    let again = chain(&owner, "chain-a2", "A-0001", "alice", 1).await;
    assert_eq!(ingest(&alice, &again[0]).await.unwrap(), Verdict::Stored);

    // Bob reads his own records only (none); alice hers; the auditor everything and the alerts.
    let bob = team::connect(&address, "bob", "bob-pw").await.unwrap();
    for record in chain(&owner, "chain-b", "A-0002", "bob", 2).await {
        assert_eq!(ingest(&bob, &record).await.unwrap(), Verdict::Stored);
    }
    // Bob cannot write into alice's chain, even with records that name himself.
    let mut into_alice = chain(&owner, "chain-a", "A-0002", "bob", 5)
        .await
        .pop()
        .unwrap();
    into_alice.prev_hash = records[2].hash.clone();
    into_alice.hash = rehash(&owner, &into_alice).await;
    assert_eq!(ingest(&bob, &into_alice).await.unwrap(), Verdict::NotYours);
    assert_eq!(count(&alice).await, 4);
    assert_eq!(count(&bob).await, 2);
    let audra = team::connect(&address, "audra", "audra-pw").await.unwrap();
    assert_eq!(count(&audra).await, 6);
    let alerts: Vec<String> = audra
        .query("SELECT kind FROM c2p.alerts ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    // One alert for the two refusals of record 3 for another operator (the same record).
    assert_eq!(
        alerts,
        [
            "gap",
            "fork",
            "bad_hash",
            "fork",
            "operator",
            "restart",
            "not_yours"
        ]
    );
    assert!(
        alice.query("SELECT * FROM c2p.alerts", &[]).await.is_err(),
        "an operator does not read the alerts"
    );
}

#[tokio::test]
async fn a_revoked_login_is_cut_off_and_what_its_open_session_sends_is_refused() {
    let cluster = Cluster::start();
    prepared(&cluster, "revoke").await;
    let address = cluster.address("revoke");
    let bob = team::connect(&address, "bob", "bob-pw").await.unwrap();
    let owner = cluster.owner("revoke").await;
    let records = chain(&owner, "chain-b", "A-0002", "bob", 2).await;
    assert_eq!(ingest(&bob, &records[0]).await.unwrap(), Verdict::Stored);
    let mut owner = cluster.owner("revoke").await;
    schema::revoke(&mut owner, "bob").await.unwrap();
    assert!(
        ingest(&bob, &records[1]).await.is_err(),
        "its session was ended"
    );
    let refused = team::connect(&address, "bob", "bob-pw").await.unwrap_err();
    assert!(matches!(refused, team::Error::Refused(_)), "{refused}");
    assert!(
        schema::revoke(&mut owner, "bob").await.is_err(),
        "already revoked"
    );
    assert!(
        schema::add_login(
            &mut owner,
            "Robert'); DROP TABLE c2p.records; --",
            "pw",
            "X",
            false
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn the_store_speaks_only_tls_verified_against_the_bank_s_ca() {
    let cluster = Cluster::start();
    let mut address = cluster.address("postgres");
    // Another CA: the server's certificate is not trusted, and nothing is sent.
    let other = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
        .unwrap()
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap()
        .pem();
    address.ca_pem = other;
    let refused = team::connect(&address, common::OWNER, common::OWNER_PASSWORD)
        .await
        .unwrap_err();
    assert!(matches!(refused, team::Error::Unreachable(_)), "{refused}");
    address.ca_pem = "not a certificate".into();
    assert!(matches!(
        team::connect(&address, common::OWNER, "x")
            .await
            .unwrap_err(),
        team::Error::InvalidInput(_)
    ));
}

#[tokio::test]
async fn a_clock_off_when_sending_is_flagged_once_an_hour_and_a_record_sent_late_is_not() {
    let cluster = Cluster::start();
    prepared(&cluster, "clock").await;
    let alice = team::connect(&cluster.address("clock"), "alice", "alice-pw")
        .await
        .unwrap();
    let owner = cluster.owner("clock").await;
    let mut records = chain(&owner, "chain-c", "A-0001", "alice", 3).await;
    // Written two hours ago (the store was out of reach), sent now: the clock is right.
    records[0].time = "2026-01-01T00:00:00.000Z".into();
    records[0].hash = rehash(&owner, &records[0]).await;
    records[1].prev_hash = records[0].hash.clone();
    records[1].hash = rehash(&owner, &records[1]).await;
    records[2].prev_hash = records[1].hash.clone();
    records[2].hash = rehash(&owner, &records[2]).await;
    assert_eq!(ingest(&alice, &records[0]).await.unwrap(), Verdict::Stored);
    // Then sent by a workstation whose clock is an hour behind: flagged, one alert for both.
    for record in &mut records[1..] {
        record.sent_at = "2020-01-01T00:00:00.000Z".into();
    }
    assert_eq!(
        team::ingest_batch(&alice, &records[1..]).await.unwrap(),
        [Verdict::Stored, Verdict::Stored]
    );
    let flags: Vec<bool> = owner
        .query("SELECT clock_off FROM c2p.records ORDER BY seq", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(flags, [false, true, true]);
    let alerts: Vec<String> = owner
        .query("SELECT detail FROM c2p.alerts WHERE kind = 'clock'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0].contains("said 2020-01-01T00:00:00.000Z when it sent record 2"),
        "{alerts:?}"
    );
}

#[tokio::test]
async fn a_record_refused_again_and_again_raises_one_alert() {
    let cluster = Cluster::start();
    prepared(&cluster, "again").await;
    let alice = team::connect(&cluster.address("again"), "alice", "alice-pw")
        .await
        .unwrap();
    let owner = cluster.owner("again").await;
    let records = chain(&owner, "chain-g", "A-0001", "alice", 3).await;
    assert_eq!(ingest(&alice, &records[0]).await.unwrap(), Verdict::Stored);
    // A forwarder retrying the record after a missing one, as it would after each backoff.
    for _ in 0..5 {
        assert_eq!(ingest(&alice, &records[2]).await.unwrap(), Verdict::Gap);
    }
    let alerts: i64 = owner
        .query_one("SELECT count(*) FROM c2p.alerts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(alerts, 1);
}

/// Computes the hashes of `records` again from `from` on, each linked to the one before.
async fn relink(owner: &tokio_postgres::Client, records: &mut [team::CentralRecord], from: usize) {
    for i in from..records.len() {
        if i > 0 {
            records[i].prev_hash = records[i - 1].hash.clone();
        }
        records[i].hash = rehash(owner, &records[i]).await;
    }
}

#[tokio::test]
async fn a_login_cannot_slip_in_another_operator_a_card_number_an_unchecked_record_or_a_flood() {
    let cluster = Cluster::start();
    prepared(&cluster, "slip").await;
    let alice = team::connect(&cluster.address("slip"), "alice", "alice-pw")
        .await
        .unwrap();
    let owner = cluster.owner("slip").await;

    // The chain's first record names the bare OS account (written before any policy): taken.
    // Once a record names the login's operator, the account's name no longer passes.
    let mut records = chain(&owner, "chain-s", "A-0001", "alice", 4).await;
    records[0].operator = "alice".into();
    records[2].operator = "alice".into();
    relink(&owner, &mut records, 0).await;
    assert_eq!(ingest(&alice, &records[0]).await.unwrap(), Verdict::Stored);
    assert_eq!(ingest(&alice, &records[1]).await.unwrap(), Verdict::Stored);
    assert_eq!(
        ingest(&alice, &records[2]).await.unwrap(),
        Verdict::Operator
    );

    // A card number in what was typed or answered: refused, and not repeated in the alert.
    let mut pan = records[2].clone();
    pan.operator = "A-0001".into();
    pan.result = "said 4111-1111-1111-1111 was wrong".into();
    pan.hash = rehash(&owner, &pan).await;
    assert_eq!(ingest(&alice, &pan).await.unwrap(), Verdict::CardNumber);
    let details: Vec<String> = owner
        .query(
            "SELECT detail FROM c2p.alerts WHERE kind = 'card_number'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(details.len(), 1);
    assert!(!details[0].contains("4111"), "{details:?}");

    // A chain that began with its id never holds a record written before ids were checked:
    // a record of it marked redacted is refused.
    let mut fresh = chain(&owner, "chain-n", "A-0001", "alice", 2).await;
    fresh[0].event = "audit_chain_start".into();
    fresh[1].resource = Some("[pan]".into());
    relink(&owner, &mut fresh, 0).await;
    fresh[1].redacted = true;
    fresh[1].resource = Some("anything at all".into());
    assert_eq!(ingest(&alice, &fresh[0]).await.unwrap(), Verdict::Stored);
    assert_eq!(ingest(&alice, &fresh[1]).await.unwrap(), Verdict::BadHash);

    // A chain id no workstation makes.
    let mut odd = records[0].clone();
    odd.chain = "chain-../../etc".into();
    assert_eq!(ingest(&alice, &odd).await.unwrap(), Verdict::Malformed);
    // More than 1,000 records in one call.
    let many = vec![records[0].clone(); 1001];
    assert!(team::ingest_batch(&alice, &many).await.is_err());

    // A login raising alert after alert: 100 an hour, the last saying so.
    for seq in 0..150 {
        let mut stray = records[3].clone();
        stray.seq = 1000 + seq;
        stray.hash = rehash(&owner, &stray).await;
        assert_eq!(ingest(&alice, &stray).await.unwrap(), Verdict::Gap);
    }
    let (count, floods): (i64, i64) = {
        let row = owner
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE kind = 'flood') FROM c2p.alerts",
                &[],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!((count, floods), (100, 1));
    // Nor tie up the store: a few sessions, no statement or lock wait for ever.
    let row = owner
        .query_one(
            "SELECT rolconnlimit, array_to_string(rolconfig, ',') FROM pg_roles WHERE rolname = 'alice'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 8);
    assert_eq!(
        row.get::<_, String>(1),
        "statement_timeout=60s,lock_timeout=10s"
    );
}
