//! Fails when the webview's security baseline is loosened: the CSP in tauri.conf.json, the
//! global Tauri object, devtools, the asset protocol, and the permissions in capabilities/.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The only permissions the console's window may hold.
const ALLOWED_PERMISSIONS: &[&str] = &[
    "allow-app-info",
    "allow-set-language",
    "allow-environments",
    "allow-policy",
    "allow-search",
    "allow-consumer-view",
    "allow-consumer-tokens",
    "allow-history",
    "allow-write-card-tokens",
    "allow-reveal-contact",
    "allow-open-profile-audit-report",
    "allow-opt-out-preview",
    "allow-update-preview",
    "allow-write",
    "allow-operations",
    "allow-team-operations",
    "allow-audit-page",
    "allow-audit-verify",
    "allow-team-status",
    "allow-emergency-start",
    "allow-emergency-end",
    "allow-team-audit-page",
    "allow-audit-verify-team",
    "allow-team-audit-export",
    "allow-set-theme",
    "allow-use-environment",
    "allow-test-connection",
    "allow-audit-export",
    "allow-choose-file",
    "allow-add-environment",
    "allow-import-credentials",
    "allow-read-list-file",
    "allow-batch-check",
    "allow-batch-create",
    "allow-token-batch-create",
    "allow-batch-preview",
    "allow-batch-run",
    "allow-batch-control",
    "allow-batch-takeover",
    "allow-team-batches",
    "allow-team-batch-control",
    "allow-batches",
    "allow-batch-report",
    "allow-batch-discard",
    "allow-audit-profiles",
    "core:event:allow-listen",
    "core:event:allow-unlisten",
];

/// Sources other than `'self'` and `'none'` that a directive may name, and where.
const ALLOWED_EXTRA_SOURCES: &[(&str, &str)] = &[
    ("connect-src", "ipc:"),
    ("connect-src", "http://ipc.localhost"),
];

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn config() -> Value {
    read_json(&Path::new(ROOT).join("tauri.conf.json"))
}

/// The CSP's directives, from either of the two forms tauri.conf.json accepts.
fn csp_directives(csp: &Value) -> Vec<(String, Vec<String>)> {
    let split = |sources: &str| sources.split_whitespace().map(str::to_owned).collect();
    match csp {
        Value::String(policy) => policy
            .split(';')
            .filter_map(|d| {
                d.trim()
                    .split_once(' ')
                    .map(|(n, s)| (n.to_owned(), split(s)))
            })
            .collect(),
        Value::Object(map) => map
            .iter()
            .map(|(name, sources)| match sources {
                Value::String(s) => (name.clone(), split(s)),
                Value::Array(list) => (
                    name.clone(),
                    list.iter()
                        .map(|s| s.as_str().unwrap().to_owned())
                        .collect(),
                ),
                other => panic!("CSP directive {name} is {other}"),
            })
            .collect(),
        other => panic!("app.security.csp must be set, found {other}"),
    }
}

#[test]
fn csp_allows_only_the_app_itself() {
    let config = config();
    let security = &config["app"]["security"];
    let directives = csp_directives(&security["csp"]);
    let default_src = directives.iter().find(|(name, _)| name == "default-src");
    assert_eq!(
        default_src.map(|(_, s)| s.clone()),
        Some(vec!["'self'".to_owned()]),
        "default-src must be exactly 'self'"
    );
    for (name, sources) in &directives {
        for source in sources {
            let allowed = matches!(source.as_str(), "'self'" | "'none'")
                || ALLOWED_EXTRA_SOURCES.contains(&(name.as_str(), source.as_str()));
            assert!(allowed, "CSP {name} must not allow {source}");
        }
    }
    for name in [
        "script-src",
        "style-src",
        "object-src",
        "base-uri",
        "frame-ancestors",
    ] {
        assert!(
            directives.iter().any(|(n, _)| n == name),
            "CSP must set {name}"
        );
    }
    assert!(
        security["dangerousDisableAssetCspModification"].is_null()
            || security["dangerousDisableAssetCspModification"] == false,
        "Tauri must keep adding its nonces and hashes to the CSP"
    );
    assert!(
        security["devCsp"].is_null(),
        "no separate, looser CSP for development"
    );
}

#[test]
fn no_global_tauri_no_devtools_no_asset_protocol() {
    let config = config();
    assert_eq!(
        config["app"]["withGlobalTauri"], false,
        "withGlobalTauri must be explicitly false"
    );
    assert_eq!(config["app"]["security"]["freezePrototype"], true);
    let asset = &config["app"]["security"]["assetProtocol"]["enable"];
    assert!(
        asset.is_null() || *asset == false,
        "the asset protocol must stay off"
    );
    for window in config["app"]["windows"].as_array().expect("windows") {
        assert_ne!(window["devtools"], true, "devtools must not be forced on");
        assert!(
            window["url"].as_str().is_none_or(|u| !u.contains("://")),
            "no remote window URL"
        );
    }
    let manifest = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).unwrap();
    let tauri_line = manifest
        .lines()
        .find(|l| l.starts_with("tauri = "))
        .expect("tauri dependency");
    assert!(
        !tauri_line.contains("devtools"),
        "the tauri `devtools` feature would ship devtools in release"
    );
}

#[test]
fn capabilities_grant_only_what_the_console_uses() {
    let config = config();
    let listed: Vec<&str> = config["app"]["security"]["capabilities"]
        .as_array()
        .expect("tauri.conf.json must list its capabilities explicitly")
        .iter()
        .map(|c| c.as_str().expect("capability identifier"))
        .collect();
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(Path::new(ROOT).join("capabilities")).unwrap() {
        let path = entry.unwrap().path();
        let capability = read_json(&path);
        let id = capability["identifier"].as_str().expect("identifier");
        assert!(
            listed.contains(&id),
            "{} is not listed in tauri.conf.json",
            path.display()
        );
        assert!(
            capability["remote"].is_null(),
            "{}: no remote URL may reach IPC",
            path.display()
        );
        assert_eq!(
            capability["windows"],
            serde_json::json!(["main"]),
            "{}",
            path.display()
        );
        assert!(capability["webviews"].is_null(), "{}", path.display());
        for permission in capability["permissions"].as_array().expect("permissions") {
            let name = permission
                .as_str()
                .unwrap_or_else(|| panic!("{permission}: scoped permissions need review"));
            assert!(
                ALLOWED_PERMISSIONS.contains(&name),
                "{}: permission {name} is not allowed",
                path.display()
            );
        }
        seen.insert(id.to_owned());
    }
    assert_eq!(
        seen,
        listed.iter().map(|s| s.to_string()).collect(),
        "every listed capability has a file"
    );
}

#[test]
fn identifier_matches_the_core() {
    assert_eq!(config()["identifier"], care::storage::APP_IDENTIFIER);
}
