//! The team's journal of writes against a real PostgreSQL: one unfinished write per card or
//! consumer across logins, a consumer's write and its cards' excluding each other, leases that
//! run out becoming UNKNOWN, and a release by an administrator.

use std::time::Duration;

use team::claims::{self, Claimed, Outcome, Target, TargetKind};
use team::schema;
use team::testing::Cluster;

const D1: &str = "https://d1.example/issuers/ISS-1";
const CID: &str = "cid-1";
const LEASE: Duration = Duration::from_secs(30);

fn terms(correlation_id: &str, lease: Duration) -> claims::Terms<'_> {
    claims::Terms {
        correlation_id,
        lease,
        done_within: Duration::ZERO,
        batch: None,
    }
}

fn card(card: &str, consumer: &str) -> Target {
    Target {
        environment: D1.into(),
        kind: "OPT_OUT_CARD".into(),
        target_kind: TargetKind::Card,
        target: card.into(),
        consumer: consumer.into(),
        card: None,
    }
}

fn consumer(consumer: &str) -> Target {
    Target {
        environment: D1.into(),
        kind: "OPT_OUT_CONSUMER".into(),
        target_kind: TargetKind::Consumer,
        target: consumer.into(),
        consumer: consumer.into(),
        card: None,
    }
}

fn token(token: &str, card: &str, consumer: &str) -> Target {
    Target {
        environment: D1.into(),
        kind: "SUSPEND_TOKEN".into(),
        target_kind: TargetKind::Token,
        target: token.into(),
        consumer: consumer.into(),
        card: Some(card.into()),
    }
}

async fn store(cluster: &Cluster, database: &str) -> tokio_postgres::Client {
    cluster.database(database).await;
    let mut owner = cluster.owner(database).await;
    schema::init(&mut owner).await.unwrap();
    for (login, operator) in [("alice", "A-0042"), ("bob", "B-0007"), ("alice2", "A-0042")] {
        schema::add_login(&mut owner, login, "pw", operator, false)
            .await
            .unwrap();
    }
    owner
}

fn ours(claimed: Claimed) -> i64 {
    match claimed {
        Claimed::Ours(id) => id,
        other => panic!("not ours: {other:?}"),
    }
}

#[tokio::test]
async fn one_write_per_target_across_logins_and_a_consumer_excludes_its_cards() {
    let cluster = Cluster::start();
    let owner = store(&cluster, "claims").await;
    let address = cluster.address("claims");
    let alice = team::connect(&address, "alice", "pw").await.unwrap();
    let bob = team::connect(&address, "bob", "pw").await.unwrap();

    let id = ours(
        claims::claim(&alice, &card("crd-1", "cons-1"), "WS-17", terms(CID, LEASE))
            .await
            .unwrap(),
    );
    for target in [card("crd-1", "cons-1"), consumer("cons-1")] {
        match claims::claim(&bob, &target, "WS-20", terms(CID, LEASE))
            .await
            .unwrap()
        {
            Claimed::InProgress(holder) => {
                assert_eq!(
                    (holder.operator.as_str(), holder.workstation.as_str()),
                    ("A-0042", "WS-17")
                );
                assert_eq!(holder.kind, "OPT_OUT_CARD");
                assert_eq!(holder.state, "SENDING");
            }
            other => panic!("{target:?}: {other:?}"),
        }
    }
    // Another card of the same consumer, or another environment, is free.
    ours(
        claims::claim(&bob, &card("crd-2", "cons-1"), "WS-20", terms(CID, LEASE))
            .await
            .unwrap(),
    );
    let mut elsewhere = card("crd-1", "cons-1");
    elsewhere.environment = "https://d1.example/issuers/ISS-2".into();
    ours(
        claims::claim(&bob, &elsewhere, "WS-20", terms(CID, LEASE))
            .await
            .unwrap(),
    );

    // Bob cannot finish alice's write; alice can.
    assert!(
        !claims::finish(&bob, id, Outcome::Successful, None)
            .await
            .unwrap()
    );
    assert!(
        claims::finish(&alice, id, Outcome::Successful, Some("op-1"))
            .await
            .unwrap()
    );
    // Just applied: the same write on the card is in the way for a while (two agents on one
    // call), another kind is not.
    let within = claims::Terms {
        correlation_id: CID,
        lease: LEASE,
        done_within: Duration::from_secs(60),
        batch: None,
    };
    match claims::claim(&bob, &card("crd-1", "cons-1"), "WS-20", within)
        .await
        .unwrap()
    {
        Claimed::InProgress(holder) => {
            assert_eq!(
                (holder.operator.as_str(), holder.state.as_str()),
                ("A-0042", "SUCCESSFUL")
            );
        }
        other => panic!("{other:?}"),
    }
    let mut enrol = card("crd-1", "cons-1");
    enrol.kind = "ENROL_CARD".into();
    let enrol_id = ours(claims::claim(&bob, &enrol, "WS-20", within).await.unwrap());
    assert!(
        claims::finish(&bob, enrol_id, Outcome::NotSent, None)
            .await
            .unwrap()
    );
    // Finished, the card is free again.
    ours(
        claims::claim(&bob, &card("crd-1", "cons-1"), "WS-20", terms(CID, LEASE))
            .await
            .unwrap(),
    );

    // An operator's login reads nothing it may change.
    let refused = alice
        .execute("UPDATE c2p.claims SET state = 'RELEASED'", &[])
        .await
        .unwrap_err();
    assert!(refused.as_db_error().is_some(), "{refused:?}");
    drop(owner);
}

#[tokio::test]
async fn a_lease_that_runs_out_is_unknown_its_sender_stops_and_only_an_administrator_releases_it() {
    let cluster = Cluster::start();
    let owner = store(&cluster, "leases").await;
    let address = cluster.address("leases");
    let alice = team::connect(&address, "alice", "pw").await.unwrap();
    let alice2 = team::connect(&address, "alice2", "pw").await.unwrap();
    let bob = team::connect(&address, "bob", "pw").await.unwrap();

    let id = ours(
        claims::claim(
            &alice,
            &consumer("cons-9"),
            "WS-17",
            terms(CID, Duration::from_secs(1)),
        )
        .await
        .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The lease ran out: the write is UNKNOWN until reconciled, and nobody may claim it.
    match claims::claim(&bob, &card("crd-9", "cons-9"), "WS-20", terms(CID, LEASE))
        .await
        .unwrap()
    {
        Claimed::InProgress(holder) => assert_eq!(holder.state, "UNKNOWN"),
        other => panic!("{other:?}"),
    }
    // Another login cannot abandon it (its own sender could, knowing it never left).
    assert!(!claims::abandon(&bob, CID).await.unwrap());
    // Another operator cannot settle it; the same operator's other workstation can, after
    // reconciling from D1 — here it could not, so it stays UNKNOWN for an administrator.
    assert!(
        !claims::finish(&bob, id, Outcome::NotSent, None)
            .await
            .unwrap()
    );
    assert!(
        claims::finish(&alice2, id, Outcome::Unknown, None)
            .await
            .unwrap()
    );
    assert!(
        claims::release(&owner, id, " ").await.is_err(),
        "a reason is needed"
    );
    assert!(
        claims::release(
            &owner,
            id,
            "D1 lists no operation; checked with the network"
        )
        .await
        .unwrap()
    );
    let (state, by, reason): (String, String, String) = {
        let row = owner
            .query_one(
                "SELECT state, released_by::text, release_reason FROM c2p.claims WHERE id = $1",
                &[&id],
            )
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    };
    assert_eq!(
        (state.as_str(), by.as_str()),
        ("RELEASED", team::testing::OWNER)
    );
    assert!(reason.contains("D1 lists no operation"));
    ours(
        claims::claim(&bob, &card("crd-9", "cons-9"), "WS-20", terms(CID, LEASE))
            .await
            .unwrap(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_logins_racing_for_the_same_card_get_one_claim() {
    let cluster = Cluster::start();
    let _owner = store(&cluster, "race").await;
    let address = cluster.address("race");
    let alice = team::connect(&address, "alice", "pw").await.unwrap();
    let bob = team::connect(&address, "bob", "pw").await.unwrap();
    for round in 0..200 {
        let target = card(&format!("crd-{round}"), &format!("cons-{round}"));
        let (a, b) = tokio::join!(
            claims::claim(&alice, &target, "WS-17", terms(CID, LEASE)),
            claims::claim(&bob, &target, "WS-20", terms(CID, LEASE))
        );
        let won = [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|c| matches!(c, Claimed::Ours(_)))
            .count();
        assert_eq!(won, 1, "round {round}");
    }
}

#[tokio::test]
async fn a_claim_abandoned_unsent_frees_its_target_and_a_pending_one_holds_until_it_ends() {
    let cluster = Cluster::start();
    let _owner = store(&cluster, "lapse").await;
    let address = cluster.address("lapse");
    let alice = team::connect(&address, "alice", "pw").await.unwrap();
    let alice2 = team::connect(&address, "alice2", "pw").await.unwrap();
    let bob = team::connect(&address, "bob", "pw").await.unwrap();

    // Claimed, then its answer lost and the write never sent: its sender abandons it by the
    // correlation id (only its own login can), and the card is free at once.
    let short = Duration::from_secs(1);
    ours(
        claims::claim(&alice, &card("crd-5", "cons-5"), "WS-17", terms(CID, LEASE))
            .await
            .unwrap(),
    );
    assert!(!claims::abandon(&bob, CID).await.unwrap());
    assert!(claims::abandon(&alice, CID).await.unwrap());
    let next = ours(
        claims::claim(
            &bob,
            &card("crd-5", "cons-5"),
            "WS-20",
            terms("cid-2", LEASE),
        )
        .await
        .unwrap(),
    );

    // Accepted by D1 and pending: no lease runs out; the operator's other login ends it.
    assert!(
        claims::finish(&bob, next, Outcome::Pending, Some("op-5"))
            .await
            .unwrap()
    );
    let pending = ours(
        claims::claim(&alice, &card("crd-6", "cons-6"), "WS-17", terms(CID, short))
            .await
            .unwrap(),
    );
    assert!(
        claims::finish(&alice, pending, Outcome::Pending, Some("op-6"))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    match claims::claim(&bob, &consumer("cons-6"), "WS-20", terms("cid-3", LEASE))
        .await
        .unwrap()
    {
        Claimed::InProgress(holder) => assert_eq!(holder.state, "PENDING"),
        other => panic!("{other:?}"),
    }
    assert!(
        claims::finish(&alice2, pending, Outcome::Successful, None)
            .await
            .unwrap()
    );

    // The team's writes on a consumer, newest first, with who, where, outcome and operationId.
    let history = claims::team_writes(&bob, D1, Some("cons-5"), 50)
        .await
        .unwrap();
    let seen: Vec<_> = history
        .iter()
        .map(|w| {
            (
                w.operator.as_str(),
                w.workstation.as_str(),
                w.state.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("B-0007", "WS-20", "PENDING"),
            ("A-0042", "WS-17", "NOT_SENT")
        ]
    );
    assert_eq!(history[0].operation_id.as_deref(), Some("op-5"));
    assert!(history[1].finished_at.is_some());
    let all = claims::team_writes(&bob, D1, None, 50).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].state, "SUCCESSFUL");
    assert_eq!(all[0].operation_id.as_deref(), Some("op-6"));
}

#[tokio::test]
async fn a_token_s_write_excludes_its_token_s_its_card_s_and_its_consumer_s_but_not_a_sibling_token_s()
 {
    let cluster = Cluster::start();
    let _owner = store(&cluster, "tokens").await;
    let address = cluster.address("tokens");
    let alice = team::connect(&address, "alice", "pw").await.unwrap();
    let bob = team::connect(&address, "bob", "pw").await.unwrap();
    let held = |claimed: Claimed| match claimed {
        Claimed::InProgress(holder) => holder,
        other => panic!("not held: {other:?}"),
    };

    ours(
        claims::claim(
            &alice,
            &token("dc-1", "crd-1", "cons-1"),
            "WS-17",
            terms("c1", LEASE),
        )
        .await
        .unwrap(),
    );
    let mut delete = token("dc-1", "crd-1", "cons-1");
    delete.kind = "DELETE_TOKEN".into();
    for target in [delete, card("crd-1", "cons-1"), consumer("cons-1")] {
        let holder = held(
            claims::claim(&bob, &target, "WS-20", terms("c2", LEASE))
                .await
                .unwrap(),
        );
        assert_eq!(
            (holder.kind.as_str(), holder.operator.as_str()),
            ("SUSPEND_TOKEN", "A-0042"),
            "{target:?}"
        );
    }
    // Another token of the same card, and another card of the consumer, go ahead.
    ours(
        claims::claim(
            &bob,
            &token("dc-2", "crd-1", "cons-1"),
            "WS-20",
            terms("c3", LEASE),
        )
        .await
        .unwrap(),
    );
    ours(
        claims::claim(&bob, &card("crd-2", "cons-1"), "WS-20", terms("c4", LEASE))
            .await
            .unwrap(),
    );
    // A card's write keeps its tokens' writes out.
    ours(
        claims::claim(
            &alice,
            &card("crd-3", "cons-3"),
            "WS-17",
            terms("c5", LEASE),
        )
        .await
        .unwrap(),
    );
    let holder = held(
        claims::claim(
            &bob,
            &token("dc-3", "crd-3", "cons-3"),
            "WS-20",
            terms("c6", LEASE),
        )
        .await
        .unwrap(),
    );
    assert_eq!(holder.kind, "OPT_OUT_CARD");
    // A token without its card, or a card naming one, is not a claimable target.
    let mut orphan = token("dc-4", "crd-4", "cons-4");
    orphan.card = None;
    let mut carded = card("crd-5", "cons-5");
    carded.card = Some("crd-5".into());
    let mut malformed = token("dc-6", "crd-6", "cons-6");
    malformed.card = Some("crd 6; --".into());
    for target in [orphan, carded, malformed] {
        let refused = claims::claim(&bob, &target, "WS-20", terms("c7", LEASE)).await;
        assert!(refused.is_err(), "{target:?}: {refused:?}");
    }
}
