//! The fraud team's batches against a real PostgreSQL: one runner at a time, a stalled runner
//! taken over (its claims that were sending become UNKNOWN and pass to the new runner, and it
//! can claim nothing more), control from any login, and every change notified.

use std::time::Duration;

use team::batches::{self, HoldMode, NewBatch, NewItem};
use team::claims::{self, Claimed, Target, TargetKind, Terms};
use team::schema;
use team::testing::Cluster;

const D1: &str = "https://d1.example/issuers/ISS-1";

fn card(n: i32) -> Target {
    Target {
        environment: D1.into(),
        kind: "OPT_OUT_CARD".into(),
        target_kind: TargetKind::Card,
        target: format!("crd-{n}"),
        consumer: format!("cons-{n}"),
        card: None,
    }
}

fn item_terms(batch: &str, seq: i32) -> Terms<'_> {
    Terms {
        correlation_id: "cid-1",
        lease: Duration::from_secs(30),
        done_within: Duration::ZERO,
        batch: Some((batch, seq)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_runner_is_taken_over_and_can_send_nothing_more() {
    let cluster = Cluster::start();
    cluster.database("batches").await;
    let mut owner = cluster.owner("batches").await;
    schema::init(&mut owner).await.unwrap();
    for (login, operator) in [("f1", "F-0001"), ("f2", "F-0002"), ("f3", "F-0003")] {
        schema::add_login(&mut owner, login, "pw", operator, false)
            .await
            .unwrap();
        schema::grant_fraud(&mut owner, login).await.unwrap();
    }
    schema::add_login(&mut owner, "agent1", "pw", "G-0001", false)
        .await
        .unwrap();
    let address = cluster.address("batches");
    let f1 = team::connect(&address, "f1", "pw").await.unwrap();
    let f2 = team::connect(&address, "f2", "pw").await.unwrap();
    let (f3, mut notes) = team::connect_listening(&address, "f3", "pw", batches::CHANNEL)
        .await
        .unwrap();

    let id = "b-20261206T100000000Z";
    let items: Vec<NewItem> = (0..4)
        .map(|seq| NewItem {
            seq,
            kind: "CARD".into(),
            target: format!("crd-{seq}"),
            line: seq + 1,
            skipped: false,
        })
        .collect();
    let batch = NewBatch {
        id,
        environment: D1,
        reason_code: "ISSUER_DECISION",
        reason: Some("Fraud ring"),
        workstation: "WS-1",
    };
    // Only the fraud team's logins make, run and steer batches.
    let agent = team::connect(&address, "agent1", "pw").await.unwrap();
    assert!(batches::create(&agent, batch, &items).await.is_err());
    batches::create(&f1, batch, &items).await.unwrap();
    assert!(batches::control(&agent, id, "CANCEL").await.is_err());
    let lease = Duration::from_secs(1);
    let held = batches::hold(&f1, id, lease, "WS-1", HoldMode::Start)
        .await
        .unwrap();
    assert!(held.held && held.taken_from.is_none(), "{held:?}");
    // Held: another login may not run it, nor claim its items.
    let refused = batches::hold(&f2, id, lease, "WS-2", HoldMode::TakeOver)
        .await
        .unwrap();
    assert!(!refused.held);
    assert_eq!(refused.runner_operator.as_deref(), Some("F-0001"));
    match claims::claim(&f2, &card(0), "WS-2", item_terms(id, 0))
        .await
        .unwrap()
    {
        Claimed::InProgress(holder) => assert_eq!(holder.state, "RUNNER"),
        other => panic!("{other:?}"),
    }

    // The runner sends item 0 and is sending items 1 and 2; then it stalls.
    let mut claimed = Vec::new();
    for seq in 0..3 {
        match claims::claim(&f1, &card(seq), "WS-1", item_terms(id, seq))
            .await
            .unwrap()
        {
            Claimed::Ours(claim) => claimed.push(claim),
            other => panic!("{other:?}"),
        }
    }
    assert!(
        claims::finish(&f1, claimed[0], claims::Outcome::Successful, Some("op-0"))
            .await
            .unwrap()
    );

    // Any login asks it to pause; the runner reads the wish on its next hold.
    assert!(batches::control(&f3, id, "PAUSE").await.unwrap());
    assert_eq!(
        batches::hold(&f1, id, lease, "WS-1", HoldMode::Start)
            .await
            .unwrap()
            .control,
        "PAUSE"
    );
    assert!(batches::control(&f3, id, "RUN").await.unwrap());

    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Stalled: a plain hold leaves it be; a takeover takes it.
    let left = batches::hold(&f2, id, Duration::from_secs(30), "WS-2", HoldMode::Start)
        .await
        .unwrap();
    assert!(!left.held);
    let taken = batches::hold(&f2, id, Duration::from_secs(30), "WS-2", HoldMode::TakeOver)
        .await
        .unwrap();
    assert!(taken.held);
    assert_eq!(taken.taken_from.as_deref(), Some("F-0001 on WS-1"));
    let after = batches::items(&f2, id).await.unwrap();
    let states: Vec<(String, Option<String>, bool)> = after
        .iter()
        .map(|i| {
            (
                i.status.clone(),
                i.claim.as_ref().map(|c| c.state.clone()),
                i.claim.as_ref().is_some_and(|c| c.mine),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            ("SUCCESSFUL".into(), Some("SUCCESSFUL".into()), false),
            ("UNKNOWN".into(), Some("UNKNOWN".into()), true),
            ("UNKNOWN".into(), Some("UNKNOWN".into()), true),
            ("NOT_SENT".into(), None, false),
        ]
    );

    // The old runner, back: it may neither claim, nor abandon what it held, nor steer the batch.
    assert!(!claims::abandon(&f1, "cid-1").await.unwrap());
    match claims::claim(&f1, &card(3), "WS-1", item_terms(id, 3))
        .await
        .unwrap()
    {
        Claimed::InProgress(holder) => {
            assert_eq!(
                (holder.state.as_str(), holder.operator.as_str()),
                ("RUNNER", "F-0002")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !batches::set_state(&f1, id, "DONE", None, true)
            .await
            .unwrap()
    );
    for mode in [HoldMode::Renew, HoldMode::Start] {
        let again = batches::hold(&f1, id, lease, "WS-1", mode).await.unwrap();
        assert!(
            !again.held,
            "a runner taken over never gets it back: {mode:?}"
        );
    }
    // The new runner reconciles the UNKNOWN one (its claim is its own now) and goes on.
    assert!(
        claims::finish(&f2, claimed[1], claims::Outcome::Successful, Some("op-1"))
            .await
            .unwrap()
    );
    assert!(
        batches::set_state(&f2, id, "DONE", None, true)
            .await
            .unwrap()
    );
    let seen = batches::get(&f3, id).await.unwrap().unwrap();
    assert_eq!(
        (
            seen.state.as_str(),
            seen.runner_operator.as_deref(),
            seen.lease_until
        ),
        ("DONE", Some("F-0002"), None),
        "ended, naming its last runner"
    );
    for mode in [HoldMode::Renew, HoldMode::Start, HoldMode::TakeOver] {
        let after_end = batches::hold(&f1, id, lease, "WS-1", mode).await.unwrap();
        assert!(
            !after_end.held,
            "a batch done is nobody's to run again: {mode:?}"
        );
    }
    // Who asked what of it stays on record.
    let events: Vec<String> = owner
        .query(
            "SELECT what FROM c2p.batch_events WHERE batch_id = $1 ORDER BY id",
            &[&id],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        events,
        [
            "made",
            "asked to PAUSE",
            "asked to RUN",
            "taken over from F-0001 on WS-1"
        ]
    );

    // The listener heard of the batch at each change.
    let mut heard = 0;
    while let Ok(Some(note)) = tokio::time::timeout(Duration::from_millis(200), notes.recv()).await
    {
        assert_eq!(note, id);
        heard += 1;
    }
    assert!(heard >= 5, "{heard} notifications");
    drop(f3);
}
