//! Team mode across a crash: two console processes (two operators) write 10,000 audit records
//! between them while sending them to a real PostgreSQL; one is killed (SIGKILL) half-way and
//! started again. The centre holds every record of both chains, in order, none missing, none
//! twice, each as the workstation hashed it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use care::audit_log::AuditLog;
use team::testing::Cluster;

const RECORDS: i64 = 5_000;

/// A console's folder: its administrators' policy (this account as `operator`, team mode on)
/// and its login's password.
fn console_root(root: &Path, cluster: &Cluster, database: &str, operator: &str) {
    let account = care::policy::Identity::of_this_process().unwrap().account;
    let etc = root.join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::set_permissions(&etc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ca = root.join("team-ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).unwrap();
    let policy = etc.join("policy.json");
    std::fs::write(
        &policy,
        serde_json::json!({
            "operators": { account: { "id": operator, "role": "auditor" } },
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database, "caFile": ca }
        })
        .to_string(),
    )
    .unwrap();
    std::fs::set_permissions(&policy, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::write(root.join("pw"), "pw\n").unwrap();
}

fn soak(root: &Path, login: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_c2p-soak"))
        .arg(root)
        .arg(RECORDS.to_string())
        .arg(login)
        .arg(root.join("pw"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn local_records(root: &Path) -> Vec<(i64, String)> {
    AuditLog::open(&root.join("data/audit.sqlite"))
        .unwrap()
        .after(0, i64::MAX)
        .unwrap()
        .into_iter()
        .map(|r| (r.seq, r.hash))
        .collect()
}

fn wait_for(child: &mut Child, seconds: u64) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the console did not finish in time"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_killed_mid_trail_loses_and_doubles_nothing_in_the_centre() {
    let cluster = Cluster::start();
    let database = cluster.database("crash").await;
    let mut owner = cluster.owner(&database).await;
    team::schema::init(&mut owner).await.unwrap();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (root, login, operator) in [(a.path(), "ws_a", "A-0001"), (b.path(), "ws_b", "B-0002")] {
        team::schema::add_login(&mut owner, login, "pw", operator, false)
            .await
            .unwrap();
        console_root(root, &cluster, &database, operator);
    }

    let mut first_a = soak(a.path(), "ws_a");
    let mut console_b = soak(b.path(), "ws_b");
    // Killed once its log holds a third of its records, some of them sent.
    let deadline = Instant::now() + Duration::from_secs(120);
    while local_records(a.path()).len() < (RECORDS / 3) as usize {
        assert!(Instant::now() < deadline, "console A wrote too slowly");
        std::thread::sleep(Duration::from_millis(50));
    }
    first_a.kill().unwrap();
    first_a.wait().unwrap();
    let mut again_a = soak(a.path(), "ws_a");
    wait_for(&mut again_a, 300);
    wait_for(&mut console_b, 300);

    let mut total = 0;
    for (root, operator) in [(a.path(), "A-0001"), (b.path(), "B-0002")] {
        let local = local_records(root);
        let central: Vec<(i64, String)> = owner
            .query(
                "SELECT seq, hash FROM c2p.records WHERE operator = $1 OR chain_id IN
                   (SELECT chain_id FROM c2p.chains WHERE operator = $1)
                 ORDER BY seq",
                &[&operator],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert!(local.len() as i64 >= RECORDS);
        assert_eq!(
            central.len(),
            local.len(),
            "{operator}: every record, none twice"
        );
        assert_eq!(
            central, local,
            "{operator}: in order, as hashed on the workstation"
        );
        total += central.len();
    }
    assert!(total >= 10_000, "{total}");
    let chains = team::trail::check_all(&owner).await.unwrap();
    assert_eq!(chains.len(), 2);
    assert!(chains.iter().all(|c| c.intact()), "{chains:?}");
    let alerts: Vec<String> = owner
        .query("SELECT kind FROM c2p.alerts WHERE kind <> 'restart'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(alerts, Vec::<String>::new(), "no fork, gap or refusal");
}
