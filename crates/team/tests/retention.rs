//! Retention against a real PostgreSQL: old months go offline with their chains' anchors, are
//! exported with checksums, and are dropped only past the retention; chains stay continuous.

use team::retention::{self, Periods};
use team::testing::{Cluster, chain};
use team::{Verdict, ingest, schema};

#[tokio::test]
async fn old_months_are_detached_exported_and_dropped_and_chains_stay_continuous() {
    let cluster = Cluster::start();
    let database = cluster.database("retention").await;
    let mut owner = cluster.owner(&database).await;
    schema::init(&mut owner).await.unwrap();
    schema::add_login(&mut owner, "alice", "pw", "A-0001", false)
        .await
        .unwrap();
    let alice = team::connect(&cluster.address(&database), "alice", "pw")
        .await
        .unwrap();
    let records = chain(&owner, "chain-r", "A-0001", "alice", 31).await;
    for record in &records[..30] {
        assert_eq!(ingest(&alice, record).await.unwrap(), Verdict::Stored);
    }
    // Records 1-10 arrived five months ago, 11-20 four months ago (backdated by the owner, the
    // one change the guards let through only with the triggers off, for this test).
    owner
        .batch_execute(
            "SELECT c2p.month_partition((date_trunc('month', now()) - interval '5 months')::date);
             SELECT c2p.month_partition((date_trunc('month', now()) - interval '4 months')::date);
             ALTER TABLE c2p.records DISABLE TRIGGER refuse_update_delete;
             UPDATE c2p.records SET received_at = now() - interval '5 months' WHERE seq <= 10;
             UPDATE c2p.records SET received_at = now() - interval '4 months' WHERE seq BETWEEN 11 AND 20;
             ALTER TABLE c2p.records ENABLE TRIGGER refuse_update_delete;",
        )
        .await
        .unwrap();
    let month = |ago: i32| {
        let owner = &owner;
        async move {
            let name: String = owner
                .query_one(
                    "SELECT to_char(now() - make_interval(months => $1), 'YYYY_MM')",
                    &[&ago],
                )
                .await
                .unwrap()
                .get(0);
            format!("records_{name}")
        }
    };
    let (five, four) = (month(5).await, month(4).await);

    let out = tempfile::tempdir().unwrap();
    // A SIEM feed that has sent only the first five records: the oldest month stays online.
    let chain_id = records[0].chain.clone();
    owner
        .execute(
            "INSERT INTO c2p.siem_cursors (feed, chain_id, last_seq) VALUES ('siem', $1, 5)",
            &[&chain_id],
        )
        .await
        .unwrap();
    let refused = retention::run(&mut owner, out.path(), Periods::default())
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("not yet sent in full by the SIEM feed"),
        "{refused}"
    );
    // Once it has caught up, the months go offline.
    owner
        .execute("UPDATE c2p.siem_cursors SET last_seq = 30", &[])
        .await
        .unwrap();
    let report = retention::run(&mut owner, out.path(), Periods::default())
        .await
        .unwrap();
    assert_eq!(report.detached, [five.clone(), four.clone()]);
    // Offline, a month is still append-only.
    let refused = owner
        .batch_execute(&format!("DELETE FROM c2p.{four}"))
        .await
        .unwrap_err();
    let message = refused.as_db_error().map(|e| e.message().to_owned());
    assert!(
        message
            .as_deref()
            .is_some_and(|m| m.contains("append-only")),
        "{refused:?}"
    );
    assert_eq!(report.exported.len(), 2);
    assert!(report.dropped.is_empty(), "within the retention");
    for (file, digest) in &report.exported {
        let text = std::fs::read_to_string(file).unwrap();
        assert_eq!(text.lines().count(), 11, "a header and ten records: {text}");
        let sum = std::fs::read_to_string(file.with_extension("csv.sha256")).unwrap();
        assert!(sum.starts_with(digest.as_str()), "{sum}");
    }
    let anchors: Vec<i64> = owner
        .query("SELECT seq FROM c2p.anchors ORDER BY month", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(anchors, [10, 20]);

    // Online, ten records are left; the chain holds together from its anchor, and goes on.
    assert_eq!(ingest(&alice, &records[30]).await.unwrap(), Verdict::Stored);
    let chains = team::trail::check_all(&owner).await.unwrap();
    assert_eq!(chains[0].records, 11);
    assert!(chains[0].intact(), "{chains:?}");
    // Again: nothing more to do.
    assert_eq!(
        retention::run(&mut owner, out.path(), Periods::default())
            .await
            .unwrap(),
        retention::Report::default()
    );

    // A shorter retention drops the five-month-old partition, once its export is sound: a
    // damaged export is written again from the database first.
    let short = Periods {
        online_months: 3,
        retention_months: 4,
    };
    let export = out.path().join(format!("{five}.csv"));
    std::fs::write(&export, "tampered").unwrap();
    let report = retention::run(&mut owner, out.path(), short).await.unwrap();
    assert_eq!(report.exported.len(), 1, "exported again first");
    assert_eq!(
        std::fs::read_to_string(&export).unwrap().lines().count(),
        11
    );
    assert_eq!(report.dropped, std::slice::from_ref(&five));
    let left: Vec<String> = owner
        .query(
            "SELECT relname::text FROM pg_class WHERE relname IN ($1, $2) ORDER BY relname",
            &[&five, &four],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, [four]);
    let chains = team::trail::check_all(&owner).await.unwrap();
    assert!(chains[0].intact(), "{chains:?}");
}
