//! `c2p` as an operator uses it, against the sandbox over real mTLS and a real Secret Service
//! (`make test` runs this under `scripts/with-secret-service.sh`): connect, search, show, opt a
//! card out and watch it finish, verify the audit log. Then a scan of every file the console
//! wrote for secrets and card numbers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod support {
    pub mod operator;
    #[cfg(target_os = "linux")]
    pub mod pty;
}

use d1_sandbox::faults::{Endpoint, Fault};

use support::operator::*;

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The base64 body of a PEM block, the part that would leak.
fn pem_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// Digit runs of 13 to 19 that pass the Luhn check and stand alone (not inside a hex hash or
/// an id, where digit runs happen by chance): what a PAN in a file looks like.
fn pan_like(bytes: &[u8]) -> Vec<String> {
    let luhn = |run: &[u8]| {
        let sum: u32 = run
            .iter()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                match i % 2 {
                    1 if d * 2 > 9 => d * 2 - 9,
                    1 => d * 2,
                    _ => d,
                }
            })
            .sum();
        sum.is_multiple_of(10)
    };
    let mut found = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_digit() {
            start += 1;
            continue;
        }
        let end = (start..bytes.len())
            .find(|&i| !bytes[i].is_ascii_digit())
            .unwrap_or(bytes.len());
        let alone = |i: Option<&u8>| !i.is_some_and(|b| b.is_ascii_alphanumeric());
        let run = &bytes[start..end];
        if (13..=19).contains(&run.len())
            && alone(start.checked_sub(1).and_then(|i| bytes.get(i)))
            && alone(bytes.get(end))
            && luhn(run)
        {
            found.push(String::from_utf8_lossy(run).into_owned());
        }
        start = end;
    }
    found
}

#[test]
fn the_pan_scan_finds_a_card_number_but_not_digits_inside_a_hash() {
    assert_eq!(pan_like(b"card 4111111111111111 end"), ["4111111111111111"]);
    assert_eq!(
        pan_like(b"\"pan\":\"5555555555554444\""),
        ["5555555555554444"]
    );
    assert!(pan_like(b"hash a4111111111111111f").is_empty());
    assert!(pan_like(b"4111111111111112").is_empty(), "fails Luhn");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operator_session_from_connect_to_a_verified_audit_log_leaves_no_secret_on_disk() {
    let state = tempfile::tempdir().unwrap();
    let sandbox = sandbox(state.path()).await;
    let operator = Operator::new();
    connect(&operator, state.path());

    let test = operator.ok(&["env", "test"]);
    for step in ["handshake", "token", "read", "issuer_records"] {
        assert!(
            test.lines()
                .any(|l| l.starts_with(step) && l.contains(" ok ")),
            "{test}"
        );
    }

    let consumer = d1_sandbox::seed::generate(1, 80)
        .bank
        .into_values()
        .find(|c| c.consumer_id.ends_with("-closed"))
        .unwrap();
    let found = operator.ok(&["search", &consumer.name_latin.last]);
    assert!(found.contains(&consumer.consumer_id), "{found}");
    let by_last4 = operator.ok(&["search", &consumer.cards[0].last4]);
    assert!(by_last4.contains(&consumer.consumer_id), "{by_last4}");

    let shown = operator.ok(&["show", &consumer.consumer_id]);
    assert!(shown.contains("CardClosedButEnrolled"), "{shown}");
    assert!(
        shown.contains("BANK") && shown.contains("VISA") && shown.contains("MASTERCARD"),
        "{shown}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&operator.ok(&["show", &consumer.consumer_id, "--json"])).unwrap();
    let card = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "CARD_CLOSED_BUT_ENROLLED")
        .and_then(|f| f["cardId"].as_str())
        .unwrap()
        .to_owned();

    // The closed card still has an active wallet token (the seed gives each one).
    let tokens = operator.ok(&["tokens", &card]);
    assert!(
        tokens.contains("wallets") && tokens.contains("ACTIVE") && tokens.contains(" on "),
        "{tokens}"
    );

    // Its wallet token suspended for a lost phone, then resumed: one write each, followed.
    let listed: serde_json::Value =
        serde_json::from_str(&operator.ok(&["tokens", &card, "--json"])).unwrap();
    let wallet = listed["wallets"][0]["digitalCardId"]
        .as_str()
        .unwrap()
        .to_owned();
    let bad = operator.c2p(&[
        "token",
        "suspend",
        &wallet,
        "--reason-code",
        "LOST_IT",
        "--yes",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("DEVICE_LOST"), "{}", text(&bad));
    let suspended = operator.ok(&[
        "token",
        "suspend",
        &wallet,
        "--reason-code",
        "device-lost",
        "--reason",
        "Phone lost",
        "--yes",
    ]);
    assert!(suspended.contains("Successful"), "{suspended}");
    let shown = operator.ok(&["tokens", &card]);
    assert!(shown.contains("SUSPENDED"), "{shown}");
    let resumed = operator.ok(&[
        "token",
        "resume",
        &wallet,
        "--reason-code",
        "DEVICE_FOUND",
        "--yes",
    ]);
    assert!(resumed.contains("Successful"), "{resumed}");
    assert_eq!(sandbox.stats().writes.get(&wallet), Some(&2));

    let unconfirmed = operator.c2p(&["opt-out", "card", &card, "--reason", "Card closed"]);
    assert_eq!(unconfirmed.status.code(), Some(2), "{}", text(&unconfirmed));
    assert!(text(&unconfirmed).contains("--yes"));
    assert_eq!(
        sandbox.stats().writes.get(&card),
        None,
        "nothing sent without confirmation"
    );

    let opted = operator.ok(&["opt-out", "card", &card, "--reason", "Card closed", "--yes"]);
    assert!(
        opted.contains("Pending") && opted.contains("Successful"),
        "{opted}"
    );
    assert_eq!(sandbox.stats().writes.get(&card), Some(&1));
    let after = operator.ok(&["show", &consumer.consumer_id, "--json"]);
    assert!(!after.contains("CARD_CLOSED_BUT_ENROLLED"), "{after}");

    // An update shows what changes in each directory, old and new, before it asks.
    let moved = d1_sandbox::seed::generate(1, 80)
        .bank
        .into_values()
        .find(|c| c.consumer_id.ends_with("-email"))
        .unwrap();
    let asked = operator.c2p(&["update", "consumer", &moved.consumer_id]);
    assert_eq!(asked.status.code(), Some(2), "{}", text(&asked));
    let preview = String::from_utf8(asked.stdout).unwrap();
    assert!(
        preview.contains("DIRECTORY") && preview.contains(&format!("old.{}", moved.email)),
        "{preview}"
    );
    assert!(preview.contains(&moved.email), "{preview}");
    assert_eq!(sandbox.stats().writes.get(&moved.consumer_id), None);

    let again = operator.c2p(&[
        "opt-out",
        "card",
        "no-such-card",
        "--reason",
        "Test",
        "--yes",
    ]);
    assert_eq!(
        again.status.code(),
        Some(3),
        "refused by D1: {}",
        text(&again)
    );

    let ops = operator.ok(&["ops"]);
    assert!(ops.contains(&card) && ops.contains("Successful"), "{ops}");
    let verified = operator.ok(&["audit", "verify"]);
    assert!(verified.contains("intact"), "{verified}");
    let export = operator.c2p(&["audit", "export", "--out", "/tmp/never-written.csv"]);
    assert_eq!(
        export.status.code(),
        Some(3),
        "an agent may not export: {}",
        text(&export)
    );

    // Nothing secret and no card number in anything the console wrote.
    let c = sandbox.credentials();
    let secrets = [
        ("mTLS key", pem_body(&c.client_key_pem)),
        ("signing key", pem_body(&c.signing_key_pem)),
        ("API key", c.issuer_api_key.clone()),
    ];
    let written = files(operator.home.path());
    assert!(written.iter().any(|p| p.ends_with("settings.json")));
    assert!(written.iter().any(|p| p.ends_with("audit.sqlite")));
    assert!(
        written
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "jsonl")),
        "{written:?}"
    );
    for path in written {
        let bytes = std::fs::read(&path).unwrap();
        let content = String::from_utf8_lossy(&bytes);
        for (what, secret) in &secrets {
            assert!(
                !content.contains(secret.as_str()),
                "{what} found in {}",
                path.display()
            );
            assert!(
                !content.contains(&secret[..secret.len().min(40)]),
                "part of the {what} in {}",
                path.display()
            );
        }
        assert_eq!(
            pan_like(&bytes),
            Vec::<String>::new(),
            "PAN-like number in {}",
            path.display()
        );
        // Everything the console wrote is the operator's alone.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} is {mode:o}", path.display());
            let dir = path.parent().unwrap();
            let mode = std::fs::metadata(dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{} is {mode:o}", dir.display());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_still_pending_when_the_wait_ends_exits_5_and_one_not_waited_for_exits_0() {
    let state = tempfile::tempdir().unwrap();
    let stuck = Fault {
        endpoints: vec![Endpoint::OptOutCard],
        stuck_pending: true,
        ..Fault::default()
    };
    let sandbox = sandbox_with(state.path(), vec![stuck]).await;
    let operator = Operator::new();
    connect(&operator, state.path());
    let cards: Vec<String> = d1_sandbox::seed::generate(1, 80)
        .bank
        .into_values()
        .filter(|c| c.consumer_id.ends_with("-ok"))
        .map(|c| c.cards[0].card_id.clone())
        .take(2)
        .collect();

    let waited = operator.c2p(&[
        "opt-out",
        "card",
        &cards[0],
        "--reason",
        "Lost card",
        "--yes",
        "--wait",
        "1",
    ]);
    assert_eq!(waited.status.code(), Some(5), "{}", text(&waited));
    assert!(
        text(&waited).contains("still pending after 1 s") && text(&waited).contains("c2p ops"),
        "{}",
        text(&waited)
    );
    let not_waited = operator.c2p(&["opt-out", "card", &cards[1], "--yes", "--no-wait"]);
    assert_eq!(not_waited.status.code(), Some(0), "{}", text(&not_waited));
    assert!(
        text(&not_waited).contains("Pending"),
        "{}",
        text(&not_waited)
    );
    for card in &cards {
        assert_eq!(sandbox.stats().writes.get(card), Some(&1), "sent once");
    }
}

/// Ctrl+C at the passphrase prompt, typed on a real pseudo-terminal: the console stops and the
/// terminal shows what is typed again.
#[cfg(target_os = "linux")]
#[test]
fn ctrl_c_at_the_passphrase_prompt_gives_the_terminal_its_echo_back() {
    use std::io::Read;

    use rustix::process::{Pid, Signal, kill_process};
    use rustix::termios::{LocalModes, tcgetattr};

    let (mut screen, terminal) = support::pty::open();
    let operator = Operator::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_c2p"))
        .args([
            "env",
            "import-credentials",
            &operator.env,
            "--p12",
            "/nonexistent/bundle.p12",
            "--signing-key",
            "/nonexistent/signing.key",
            "--api-key-file",
            "/nonexistent/api-key",
        ])
        .env("XDG_CONFIG_HOME", operator.home.path().join("config"))
        .env("XDG_DATA_HOME", operator.home.path().join("data"))
        .stdin(terminal.try_clone().unwrap())
        .stdout(terminal.try_clone().unwrap())
        .stderr(terminal.try_clone().unwrap())
        .spawn()
        .unwrap();

    // The prompt comes once the echo is off; a console that never prompts fails the test.
    // Held to the end: a terminal whose other side is closed answers nothing but errors.
    let _screen = screen.try_clone().unwrap();
    let (seen, prompted) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut shown = Vec::new();
        let mut byte = [0u8; 1];
        while !String::from_utf8_lossy(&shown).contains("PKCS#12 passphrase: ") {
            if screen.read_exact(&mut byte).is_err() {
                break;
            }
            shown.push(byte[0]);
        }
        let _ = seen.send(String::from_utf8_lossy(&shown).into_owned());
    });
    let shown = prompted
        .recv_timeout(Duration::from_secs(30))
        .expect("no passphrase prompt within 30 s");
    assert!(shown.contains("PKCS#12 passphrase: "), "{shown}");
    let modes = tcgetattr(&terminal).unwrap().local_modes;
    assert!(!modes.contains(LocalModes::ECHO), "echo off while asking");

    kill_process(Pid::from_child(&child), Signal::INT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
    let modes = tcgetattr(&terminal).unwrap().local_modes;
    assert!(modes.contains(LocalModes::ECHO), "echo back after Ctrl+C");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_secret_service_credentials_are_refused_with_what_to_do() {
    let state = tempfile::tempdir().unwrap();
    let _sandbox = sandbox(state.path()).await;
    let operator = Operator::new();
    let dir = state.path().to_str().unwrap();
    operator.write_system_policy(&administrators("agent", true));
    operator.ok(&["env", "add", &operator.env, "--from-sandbox", dir]);
    let no_bus = [("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")];
    let listed = operator.c2p_with(&["env", "list"], &no_bus);
    assert!(listed.status.success());
    assert!(
        text(&listed).contains("keychain unavailable"),
        "{}",
        text(&listed)
    );
    let args = import_args(state.path(), &operator.env);
    let imported = operator.c2p_with(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &no_bus,
    );
    assert_eq!(imported.status.code(), Some(1), "{}", text(&imported));
    assert!(
        text(&imported).contains("start GNOME Keyring or KWallet"),
        "{}",
        text(&imported)
    );
    let settings = std::fs::read_to_string(
        operator
            .home
            .path()
            .join("config/app.c2pcare.console/settings.json"),
    )
    .unwrap();
    assert!(!settings.contains("PRIVATE KEY"), "no fallback to a file");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_lists_its_invalid_lines_and_is_refused_to_an_agent() {
    let state = tempfile::tempdir().unwrap();
    let sandbox = sandbox(state.path()).await;
    let operator = Operator::new();
    connect(&operator, state.path());
    let card = d1_sandbox::seed::generate(1, 80)
        .bank
        .into_values()
        .next()
        .unwrap()
        .cards[0]
        .card_id
        .clone();
    let list = operator.home.path().join("list.txt");
    std::fs::write(
        &list,
        format!("card:{card}\nwhat is this\ncard:4111111111111111\n"),
    )
    .unwrap();
    let output = operator.c2p(&["batch", "opt-out", list.to_str().unwrap(), "--yes"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(3), "{shown}");
    assert!(
        shown.contains("line 2: what is this — skipped: say what this id is"),
        "{shown}"
    );
    assert!(shown.contains("line 3") && shown.contains("PAN"), "{shown}");
    assert!(!shown.contains("4111111111111111"), "{shown}");
    assert!(
        shown.contains("not allowed") || shown.contains("role"),
        "{shown}"
    );
    assert_eq!(sandbox.stats().writes.get(&card), None, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_audit_needs_a_list_or_a_query_and_is_refused_to_an_agent() {
    let state = tempfile::tempdir().unwrap();
    let _sandbox = sandbox(state.path()).await;
    let operator = Operator::new();
    connect(&operator, state.path());
    let out = operator.home.path().join("reports");
    let output = operator.c2p(&["audit-profiles", "--out", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));

    let output = operator.c2p(&[
        "audit-profiles",
        "--query",
        "cons",
        "--out",
        out.to_str().unwrap(),
    ]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(3), "{shown}");
    assert!(
        shown.contains("not allowed") || shown.contains("role"),
        "{shown}"
    );
    assert!(!out.exists(), "no report for a refused audit");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_names_the_real_account_and_host_whatever_the_environment_says() {
    let state = tempfile::tempdir().unwrap();
    let _sandbox = sandbox(state.path()).await;
    let operator = Operator::new();
    connect(&operator, state.path());
    let spoofed = [
        ("USER", "mallory"),
        ("LOGNAME", "mallory"),
        ("USERNAME", "mallory"),
        ("HOSTNAME", "evil-ws"),
    ];
    let output = operator.c2p_with(&["search", "cons"], &spoofed);
    assert!(output.status.success(), "{}", text(&output));
    let log = care::audit_log::AuditLog::open(
        &operator
            .home
            .path()
            .join("data/app.c2pcare.console/audit.sqlite"),
    )
    .unwrap();
    let records = log.after(0, 1000).unwrap();
    let real = care::policy::Identity::of_this_process().unwrap();
    assert!(records.iter().any(|r| r.event.event == "search"));
    for record in &records {
        assert_eq!(record.event.operator, real.account, "{record:?}");
        assert_eq!(record.event.workstation, real.workstation, "{record:?}");
    }
}

#[test]
fn a_damaged_audit_log_is_kept_aside_until_an_administrator_runs_recover() {
    let operator = Operator::new();
    let verified = operator.ok(&["audit", "verify"]);
    assert!(verified.contains("intact"), "{verified}");
    let audit = operator
        .home
        .path()
        .join("data/app.c2pcare.console/audit.sqlite");
    std::fs::write(&audit, b"scribbled over ".repeat(500)).unwrap();
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", audit.display()));
    }
    for _ in 0..2 {
        let refused = operator.c2p(&["audit", "verify"]);
        assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
        assert!(text(&refused).contains("c2p recover"), "{}", text(&refused));
    }
    let refused = operator.c2p(&["recover"]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    operator.write_system_policy(&administrators("admin", false));
    let recovered = operator.ok(&["recover"]);
    assert!(
        recovered.contains("SHA-256") && recovered.contains("damaged-"),
        "{recovered}"
    );
    let verified = operator.ok(&["audit", "verify"]);
    assert!(verified.contains("intact"), "{verified}");
}

/// Team mode from the command line, against a real PostgreSQL over TLS: IT sets the store up and
/// makes the operator's login, the operator keeps it in the keychain and the trail goes to the
/// centre, once; a revoked login sends nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn team_mode_from_init_to_a_forwarded_trail_and_a_revoked_login() {
    use std::os::unix::fs::PermissionsExt;
    let cluster = team::testing::Cluster::start();
    let database = cluster.database("c2p").await;
    let operator = Operator::new();
    let secret_file = |name: &str, text: &str| {
        let path = operator.etc.path().join(name);
        std::fs::write(&path, format!("{text}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path.display().to_string()
    };
    let ca = secret_file("team-ca.pem", &cluster.ca_pem);
    let account = care::policy::Identity::of_this_process().unwrap().account;
    operator.write_system_policy(
        &serde_json::json!({
            "operators": { &account: { "id": &account, "role": "agent", "admin": true } },
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database, "caFile": ca }
        })
        .to_string(),
    );
    let owner_pw = secret_file("owner-pw", team::testing::OWNER_PASSWORD);
    let owner = [
        "--owner",
        team::testing::OWNER,
        "--owner-password-file",
        &owner_pw,
    ];
    let init = operator.ok(&[&["team", "init"][..], &owner[..]].concat());
    assert!(
        init.contains("schema versions [1, 2, 3, 4, 5] applied"),
        "{init}"
    );
    let again = operator.ok(&[&["team", "init"][..], &owner[..]].concat());
    assert!(again.contains("already up to date"), "{again}");

    let login_pw = secret_file("ws1-pw", "ws1-secret");
    operator.ok(&[
        &[
            "team",
            "add-login",
            "ws1",
            "--operator",
            &account,
            "--password-file",
            &login_pw,
        ][..],
        &owner[..],
    ]
    .concat());
    operator.ok(&[
        "team",
        "import-credentials",
        "--login",
        "ws1",
        "--password-file",
        &login_pw,
    ]);
    let forwarded = || -> u64 {
        let sent = operator.ok(&["team", "forward"]);
        sent.split_whitespace().next().unwrap().parse().unwrap()
    };
    let count = forwarded();
    assert!(count > 0);
    // Only what was recorded since goes the second time.
    let count = count + forwarded();
    let central: i64 = cluster
        .owner(&database)
        .await
        .query_one("SELECT count(*) FROM c2p.records", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(central as u64, count, "each record once");
    let local = operator.ok(&["audit", "verify"]);
    assert!(local.contains("intact"), "{local}");
    assert!(
        local.contains("team store: holds the same chain"),
        "{local}"
    );

    // The last records deleted here: the file verifies, the team store's copy does not match.
    let file = operator
        .home
        .path()
        .join("data")
        .join(care::storage::paths::APP_IDENTIFIER)
        .join("audit.sqlite");
    let db = rusqlite::Connection::open(&file).unwrap();
    db.execute_batch(
        "DROP TRIGGER audit_no_delete;
         DELETE FROM audit WHERE seq > (SELECT max(seq) - 2 FROM audit);",
    )
    .unwrap();
    drop(db);
    let truncated = operator.c2p(&["audit", "verify"]);
    let words = text(&truncated);
    assert_eq!(truncated.status.code(), Some(1), "{words}");
    assert!(words.contains("audit log intact"), "{words}");
    assert!(
        words.contains("team store: TRUNCATED: the team store holds"),
        "{words}"
    );

    // A write's claim stuck in UNKNOWN (its lease ran out) is released by an administrator, with
    // a reason; a claim that is not stuck is not.
    let ws1 = team::connect(&cluster.address(&database), "ws1", "ws1-secret")
        .await
        .unwrap();
    let target = team::claims::Target {
        environment: "https://d1.example/issuers/ISS-1".into(),
        kind: "OPT_OUT_CARD".into(),
        target_kind: team::claims::TargetKind::Card,
        target: "crd-1".into(),
        consumer: "cons-1".into(),
        card: None,
    };
    let team::claims::Claimed::Ours(claim) = team::claims::claim(
        &ws1,
        &target,
        "WS-17",
        team::claims::Terms {
            correlation_id: "cid-1",
            lease: std::time::Duration::from_secs(1),
            done_within: std::time::Duration::ZERO,
            batch: None,
        },
    )
    .await
    .unwrap() else {
        panic!("not claimed")
    };
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let release = |reason: &str| {
        operator.c2p(
            &[
                &["claim", "release", &claim.to_string(), "--reason", reason][..],
                &owner[..],
            ]
            .concat(),
        )
    };
    let released = release("D1 lists no operation for it");
    assert!(released.status.success(), "{}", text(&released));
    let again = release("again");
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(
        text(&again).contains("is not stuck in UNKNOWN or PENDING"),
        "{}",
        text(&again)
    );
    let recorded: Vec<String> = care::audit_log::AuditLog::open(&file)
        .unwrap()
        .after(0, 1000)
        .unwrap()
        .into_iter()
        .filter(|r| r.event.event == "claim_release")
        .map(|r| {
            format!(
                "{} {}",
                r.event.resource.unwrap_or_default(),
                r.event.result
            )
        })
        .collect();
    assert_eq!(
        recorded,
        [
            format!("claim-{claim} released; reason: D1 lists no operation for it"),
            format!("claim-{claim} InvalidInput"),
        ]
    );

    operator.ok(&[&["team", "revoke", "ws1"][..], &owner[..]].concat());
    let refused = operator.c2p(&["team", "forward"]);
    assert!(!refused.status.success(), "{}", text(&refused));

    // An auditor's login checks every chain in the store and lists its alerts.
    let auditor_pw = secret_file("audit1-pw", "audit1-secret");
    operator.ok(&[
        &[
            "team",
            "add-login",
            "audit1",
            "--operator",
            &account,
            "--auditor",
            "--password-file",
            &auditor_pw,
        ][..],
        &owner[..],
    ]
    .concat());
    operator.ok(&[
        "team",
        "import-credentials",
        "--login",
        "audit1",
        "--password-file",
        &auditor_pw,
    ]);
    operator.write_system_policy(
        &serde_json::json!({
            "operators": { &account: { "id": &account, "role": "auditor", "admin": true } },
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database, "caFile": ca }
        })
        .to_string(),
    );
    let checked = operator.c2p(&["audit", "verify", "--team"]);
    let team = text(&checked);
    assert_eq!(checked.status.code(), Some(1), "a critical alert: {team}");
    assert!(
        team.contains("the team store raised critical alerts"),
        "{team}"
    );
    assert!(team.contains("records online of"), "{team}");
    assert!(team.contains(", intact"), "{team}");
    // The first record after the truncation does not link, as each login that sent it was told.
    assert!(team.contains("alerts: 2\n"), "{team}");
    assert!(team.contains(" fork (login ws1): record "), "{team}");
    assert!(team.contains(" fork (login audit1): record "), "{team}");
}

#[tokio::test(flavor = "multi_thread")]
async fn in_team_mode_a_write_is_claimed_ops_team_names_who_made_it_and_a_second_is_refused() {
    let cluster = team::testing::Cluster::start();
    let database = cluster.database("c2p").await;
    let state = tempfile::tempdir().unwrap();
    let _sandbox = sandbox(state.path()).await;
    let operator = Operator::new();
    // Added from the sandbox's state, the environment is marked simulated in the settings file
    // (the operator's to edit): its writes are claimed all the same.
    connect(&operator, state.path());
    let ca = operator.etc.path().join("team-ca.pem");
    std::fs::write(&ca, &cluster.ca_pem).unwrap();
    let account = care::policy::Identity::of_this_process().unwrap().account;
    operator.write_system_policy(
        &serde_json::json!({
            "operators": { &account: { "id": "A-0042", "role": "agent" } },
            "team": { "host": "127.0.0.1", "port": cluster.port, "database": database, "caFile": ca }
        })
        .to_string(),
    );
    let mut owner = cluster.owner(&database).await;
    team::schema::init(&mut owner).await.unwrap();
    team::schema::add_login(&mut owner, "ws1", "ws1-secret", "A-0042", false)
        .await
        .unwrap();
    operator.import_team_login("ws1", "ws1-secret");

    let card = d1_sandbox::seed::generate(1, 80)
        .directories
        .into_values()
        .flat_map(|profiles| profiles.into_values())
        .flat_map(|profile| profile.cards.into_iter().map(|c| c.card_id))
        .next()
        .unwrap();
    operator.ok(&["opt-out", "card", &card, "--yes"]);
    let listed = operator.ok(&["ops", "--team"]);
    let row = listed
        .lines()
        .find(|line| line.contains(&card))
        .unwrap_or_else(|| panic!("{listed}"));
    for word in ["A-0042", "OPT_OUT_CARD", "SUCCESSFUL"] {
        assert!(row.contains(word), "{word} in {row}");
    }
    // The same opt-out again soon after, from this or any workstation: refused, naming the
    // first.
    let again = operator.c2p(&["opt-out", "card", &card, "--yes", "--no-wait"]);
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));
    assert!(
        text(&again).contains("already done: opt out card by A-0042 on "),
        "{}",
        text(&again)
    );
    let claims: i64 = owner
        .query_one("SELECT count(*) FROM c2p.claims", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(claims, 1, "the second was never claimed");

    // The store stopped: writes are refused at once, reads go on.
    cluster.stop();
    let refused = operator.c2p(&["opt-out", "card", &card, "--yes", "--no-wait"]);
    assert_eq!(refused.status.code(), Some(3), "{}", text(&refused));
    assert!(
        text(&refused).contains("[ClaimUnavailable]: writes are refused"),
        "{}",
        text(&refused)
    );
}
