//! `c2p-soak` (cargo feature `test-hooks`, which no shipped build enables): a console process
//! for the team-mode crash tests. It writes audit records until its log holds `RECORDS`, while
//! sending them to the team store as the desktop console does, then waits until the store holds
//! every one and exits. Killed at any point and started again, it goes on where it stopped.
//!
//! `c2p-soak ROOT RECORDS LOGIN PASSWORD_FILE`: the console's files under ROOT (`config`,
//! `data`, the administrators' policy in `etc/policy.json`), its team store login's password
//! in PASSWORD_FILE (kept in a keychain of this process only).

use std::path::PathBuf;
use std::time::Duration;

use care::audit_log::{AuditFilter, AuditLog};
use care::console::{Console, Options};
use care::credentials::Vault;
use care::policy::{Identity, PolicyPaths};
use care::storage::AppDirs;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [root, records, login, password_file] = &args[..] else {
        return Err("usage: c2p-soak ROOT RECORDS LOGIN PASSWORD_FILE".into());
    };
    let root = PathBuf::from(root);
    let records: i64 = records.parse().map_err(|e| format!("RECORDS: {e}"))?;
    let password = std::fs::read_to_string(password_file).map_err(|e| e.to_string())?;
    let dirs = AppDirs {
        config: root.join("config"),
        data: root.join("data"),
        logs: root.join("data/logs"),
    };
    let log_file = dirs.data.join("audit.sqlite");
    let console = std::sync::Arc::new(
        Console::open(Options {
            policy: PolicyPaths {
                system_owner: rustix::process::geteuid().as_raw(),
                system: root.join("etc/policy.json"),
                user: dirs.config.join("policy.json"),
            },
            dirs,
            vault: Vault::probed(keyring_core::mock::Store::new().map_err(|e| e.to_string())?),
            identity: Identity::of_this_process().map_err(|e| e.to_string())?,
        })
        .map_err(|e| e.to_string())?,
    );
    console
        .import_team_credentials(login, password.trim())
        .await
        .map_err(|e| e.to_string())?;
    let forwarding = console.clone();
    tokio::spawn(async move { forwarding.forward_continuously().await });
    let log = AuditLog::open(&log_file).map_err(|e| e.to_string())?;
    // Each page read is one record.
    while log.last_seq().map_err(|e| e.to_string())? < records {
        console
            .audit_page(&AuditFilter::default(), 0, 1)
            .map_err(|e| e.to_string())?;
    }
    while console
        .team_status()
        .map_err(|e| e.to_string())?
        .unforwarded
        > 0
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
