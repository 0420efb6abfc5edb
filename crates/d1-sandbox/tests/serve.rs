//! The `d1-sandbox serve` binary: state files, the `listening` line, and a clean stop.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A `d1-sandbox serve` of 20 consumers writing its state to `dir`, with `more` arguments: the
/// child, its stdout (kept open: the sandbox goes on printing its help) and its origin.
fn serve(
    dir: &std::path::Path,
    more: &[&str],
) -> (
    std::process::Child,
    BufReader<std::process::ChildStdout>,
    String,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_d1-sandbox"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--consumers",
            "20",
            "--state-dir",
        ])
        .arg(dir)
        .args(more)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let origin = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("{line:?}"))
        .to_owned();
    assert!(origin.starts_with("https://127.0.0.1:"), "{origin}");
    (child, stdout, origin)
}

#[test]
fn serve_writes_its_state_prints_its_address_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _stdout, origin) = serve(dir.path(), &[]);

    let summary = d1_sandbox::StateFile::read(dir.path()).unwrap();
    assert_eq!(summary.base_url, format!("{origin}/banking/v1"));
    assert_eq!(summary.token_url, format!("{origin}/authz/v1/oauth2/token"));
    assert_eq!(summary.issuer_records_url, format!("{origin}/issuer/v1"));
    assert_eq!(summary.issuer_id.len(), 10);
    assert_eq!(summary.admin_url, format!("{origin}/admin/v1"));
    assert!(summary.admin_token.len() >= 32);
    for (file, marker) in [
        ("server-ca.pem", "BEGIN CERTIFICATE"),
        ("client.pem", "BEGIN CERTIFICATE"),
        ("client.key", "BEGIN PRIVATE KEY"),
        ("signing.key", "BEGIN PRIVATE KEY"),
    ] {
        assert!(
            std::fs::read_to_string(dir.path().join(file))
                .unwrap()
                .contains(marker),
            "{file}"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    for secret in [
        "client.key",
        "signing.key",
        "issuer-api-key",
        "sandbox.json",
    ] {
        let mode = std::fs::metadata(dir.path().join(secret))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{secret} is readable by others");
    }

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status}");
}

#[tokio::test]
async fn serve_starts_with_the_fault_rules_it_is_given_and_refuses_a_bad_list_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let rules = r#"[{"endpoints": ["optOutCard"], "latencyMs": 250}]"#;
    let (mut child, _stdout, _origin) = serve(dir.path(), &["--faults", rules]);
    let state = d1_sandbox::StateFile::read(dir.path()).unwrap();
    let read = |file: &str| std::fs::read(dir.path().join(file)).unwrap();
    let identity =
        reqwest::Identity::from_pem(&[read("client.pem"), read("client.key")].concat()).unwrap();
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&read("server-ca.pem")).unwrap()])
        .identity(identity)
        .build()
        .unwrap();
    let in_force: serde_json::Value = http
        .get(format!("{}/faults", state.admin_url))
        .bearer_auth(&state.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(in_force.as_array().map(Vec::len), Some(1), "{in_force}");
    assert_eq!(in_force[0]["endpoints"], serde_json::json!(["optOutCard"]));
    assert_eq!(in_force[0]["latencyMs"], 250);

    let refused = Command::new(env!("CARGO_BIN_EXE_d1-sandbox"))
        .args(["serve", "--faults", "[{\"latency\": 1}]", "--state-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        said.contains("not a list of fault rules") && !said.contains("panicked"),
        "{said}"
    );
}

#[test]
fn the_gateway_command_plays_a_merchant_gateway_of_a_running_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _stdout, origin) = serve(dir.path(), &["--op-delay-ms", "0"]);
    let gateway = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_d1-sandbox"))
            .arg("gateway")
            .args(args)
            .arg("--state-dir")
            .arg(dir.path())
            .args(["--gateway", "MGW_000001", "--merchant", "MER0000002"])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&output.stdout).into_owned();
        let err = String::from_utf8_lossy(&output.stderr).into_owned();
        (output.status.success(), out, err)
    };
    let card = d1_sandbox::seed::generate(1, 20)
        .bank
        .values()
        .flat_map(|c| c.cards.clone())
        .find(|c| c.status == d1_sandbox::model::AccountStatus::Open)
        .unwrap();
    let (ok, out, err) = gateway(&["tokenize", "--card", &card.card_id]);
    assert!(ok, "{err}");
    let token: serde_json::Value = serde_json::from_str(&out).unwrap();
    let token_id = token["tokenId"].as_str().unwrap().to_owned();
    assert_eq!(token["cardLast4"], card.last4.as_str());
    assert!(!out.contains(&d1_sandbox::tokens::test_pan(&card)), "{out}");
    let (ok, out, _) = gateway(&["list"]);
    assert!(ok && out.contains(&token_id), "{out}");
    let (ok, _, err) = gateway(&["delete", "--token", &token_id]);
    assert!(ok, "{err}");
    let (ok, _, err) = gateway(&["delete", "--token", &token_id]);
    assert!(!ok && err.contains("HTTP 403"), "deleted is final: {err}");
    let (ok, _, err) = gateway(&["tokenize", "--card", "crd-nosuchcard"]);
    assert!(!ok && err.contains("no card crd-nosuchcard"), "{err}");

    let readme = std::fs::read_to_string(dir.path().join("gateways/README.txt")).unwrap();
    assert!(readme.contains(&format!("{origin}/ecom/v1/merchant-gateways/MGW_000001")));
    assert!(readme.contains("x-correlation-id"));
    let about = std::fs::read_to_string(dir.path().join("gateways/MGW_000001/gateway.json"));
    assert!(about.unwrap().contains("MER0000002"));
    let assertion = Command::new(env!("CARGO_BIN_EXE_d1-sandbox"))
        .args(["assertion", "--gateway", "MGW_000001", "--state-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(assertion.status.success());
    assert_eq!(
        String::from_utf8_lossy(&assertion.stdout)
            .matches('.')
            .count(),
        2
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
