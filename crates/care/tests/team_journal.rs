//! Team mode's journal of writes against a real PostgreSQL cluster over TLS and the sandbox
//! over mTLS: two consoles (two operators, two data folders, one D1) never both send a write
//! on the same card, a store out of reach refuses writes at once, and the team's operations
//! name who made each one and where.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use care::console::Console;
use care::credentials::{SecretKind, Vault};
use care::writes::{WriteKind, WriteRequest};
use team::testing::Cluster;

const CONSUMERS: usize = 900;

/// The administrators' policy of a console in team mode: this account is `operator`, an
/// administrator too (to add the environment).
fn team_policy(cluster: &Cluster, database: &str, ca: &std::path::Path, operator: &str) -> String {
    serde_json::json!({
        "operators": { "tester-os": { "id": operator, "role": "fraud", "admin": true } },
        "team": { "host": "127.0.0.1", "port": cluster.port, "database": database,
                  "caFile": ca, "backlogLimitSeconds": 3600, "claimLeaseSeconds": 30 }
    })
    .to_string()
}

/// Two consoles in team mode on one D1 (the first one's sandbox, configured as `local` on
/// both): A-0042 on the first, B-0007 on the second, each with its own data folder, keychain
/// and store login.
struct Team {
    a: common::Harness,
    b: Console,
    b_dir: tempfile::TempDir,
    owner: tokio_postgres::Client,
}

async fn two_consoles(cluster: &Cluster, database: &str) -> Team {
    let mut owner = cluster.owner(database).await;
    team::schema::init(&mut owner).await.unwrap();
    let a = common::harness(CONSUMERS, Duration::ZERO).await;
    let ca = a.dir.path().join("team-ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).unwrap();
    common::write_system_policy(a.dir.path(), &team_policy(cluster, database, &ca, "A-0042"));
    a.use_local_environment_as_admin().await;

    let b_dir = tempfile::tempdir().unwrap();
    let b_vault = Vault::probed(keyring_core::mock::Store::new().unwrap());
    common::write_system_policy(b_dir.path(), &team_policy(cluster, database, &ca, "B-0007"));
    let b = common::open(b_dir.path(), b_vault.clone());
    b.add_environment(a.console.environment("local").unwrap())
        .unwrap();
    for kind in SecretKind::ALL {
        let secret = a.vault.get("local", kind).unwrap();
        b_vault.put("local", kind, secret.expose()).unwrap();
    }
    b.use_environment("local").await.unwrap();

    for (login, operator, console) in [("ws_a", "A-0042", &a.console), ("ws_b", "B-0007", &b)] {
        team::schema::add_login(&mut owner, login, "pw", operator, false)
            .await
            .unwrap();
        console.import_team_credentials(login, "pw").await.unwrap();
    }
    Team { a, b, b_dir, owner }
}

fn opt_out_card(card: &str) -> WriteRequest {
    WriteRequest {
        kind: WriteKind::OptOutCard,
        target: card.to_owned(),
        reason: None,
        user_decision: true,
        token_reason: None,
    }
}

/// Every card enrolled in some directory of the seeded population, with its consumer.
fn enrolled_cards() -> Vec<(String, String)> {
    d1_sandbox::seed::generate(1, CONSUMERS)
        .directories
        .into_values()
        .flat_map(|profiles| profiles.into_iter())
        .flat_map(|(consumer, profile)| {
            profile
                .cards
                .into_iter()
                .map(move |card| (card.card_id, consumer.clone()))
        })
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_racing_to_opt_out_the_same_card_send_it_once() {
    let cluster = Cluster::start();
    let database = cluster.database("race").await;
    let team = two_consoles(&cluster, &database).await;
    let cards = enrolled_cards();
    assert!(cards.len() >= 1000, "{} enrolled cards", cards.len());
    let mut refused = 0;
    for (card, _) in &cards[..1000] {
        let (a, b) = tokio::join!(
            team.a.console.write(opt_out_card(card)),
            team.b.write(opt_out_card(card))
        );
        assert_eq!(team.a.writes_to(card), 1, "{card}: {a:?} {b:?}");
        for result in [&a, &b] {
            if let Err(error) = result {
                assert_eq!(error.code(), care::ErrorCode::AlreadyInProgress, "{error}");
                assert!(
                    error.to_string().contains(" by A-0042 on ws-test ")
                        || error.to_string().contains(" by B-0007 on ws-test "),
                    "{error}"
                );
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 1000, "one of each pair was refused");

    // The store holds one successful write per card, each naming its operator, and the
    // refused one of each pair was never claimed (once each console has told the store its
    // outcomes, which it does in the background).
    team.a.console.team_outcomes_told().await;
    team.b.team_outcomes_told().await;
    let rows = team
        .owner
        .query(
            "SELECT target, state, operator FROM c2p.claims ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let successful: BTreeSet<String> = rows
        .iter()
        .filter(|r| r.get::<_, String>(1) == "SUCCESSFUL")
        .map(|r| r.get(0))
        .collect();
    assert_eq!(successful.len(), 1000);
    assert_eq!(rows.len(), 1000, "nothing but the winners claimed");
    let by_b = rows
        .iter()
        .filter(|r| r.get::<_, String>(2) == "B-0007")
        .count();
    assert!(by_b > 0 && by_b < 1000, "both won some: {by_b}");

    // Either console reads the team's operations, newest first, with who, where and D1's
    // operationId; a consumer's history holds their cards' operations only.
    let recent = team.a.console.team_operations(None, 5).await.unwrap();
    assert_eq!(recent.len(), 5);
    assert!(
        recent
            .windows(2)
            .all(|w| w[0].claimed_at >= w[1].claimed_at)
    );
    for write in &recent {
        assert_eq!(write.state, "SUCCESSFUL");
        assert!(write.operation_id.is_some(), "{write:?}");
        assert!(["A-0042", "B-0007"].contains(&write.operator.as_str()));
        assert_eq!(write.workstation, "ws-test");
    }
    let (card, consumer) = &cards[0];
    let history = team.b.team_operations(Some(consumer), 50).await.unwrap();
    assert!(history.iter().any(|w| &w.target == card), "{history:?}");
    assert!(history.iter().all(|w| &w.consumer == consumer));
    let read = care::audit_log::AuditLog::open(&team.b_dir.path().join("data/audit.sqlite"))
        .unwrap()
        .after(0, 100_000)
        .unwrap()
        .into_iter()
        .rev()
        .find(|r| r.event.event == "team_operations_read")
        .expect("the read is recorded");
    assert_eq!(read.event.resource.as_deref(), Some(consumer.as_str()));
    let refused = team
        .b
        .team_operations(Some("4111111111111111"), 50)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), care::ErrorCode::InvalidInput, "{refused}");
}
