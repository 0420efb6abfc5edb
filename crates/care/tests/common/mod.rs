//! A console on its own temporary directories, with the mock keychain and the sandbox started
//! in-process on 127.0.0.1 (real mTLS, real tokens).

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use care::console::{Console, Options};
use care::credentials::Vault;
use care::policy::PolicyPaths;
use care::storage::AppDirs;
use d1_sandbox::SandboxConfig;
use d1_sandbox::faults::{Endpoint, Fault};

/// The console and where its files are.
pub struct Harness {
    pub console: Console,
    pub dir: tempfile::TempDir,
    /// The keychain, shared by every console of this harness like the OS keychain would be.
    pub vault: Vault,
}

pub fn dirs(root: &std::path::Path) -> AppDirs {
    AppDirs {
        config: root.join("config"),
        data: root.join("data"),
        logs: root.join("data/logs"),
    }
}

pub fn open(root: &std::path::Path, vault: Vault) -> Console {
    let dirs = dirs(root);
    let policy = PolicyPaths {
        system_owner: rustix::process::geteuid().as_raw(),
        system: root.join("etc/policy.json"),
        user: dirs.config.join("policy.json"),
    };
    Console::open(Options {
        dirs,
        vault,
        policy,
        identity: care::policy::Identity {
            account: "tester-os".into(),
            workstation: "ws-test".into(),
        },
    })
    .unwrap()
}

/// A console on a fresh sandbox of `consumers`, whose writes stay PENDING for `op_delay`.
pub async fn harness(consumers: usize, op_delay: Duration) -> Harness {
    settling_harness(consumers, op_delay, care::writes::SETTLE).await
}

/// [`harness`] whose tracker calls a write with no trace in D1 "not applied" after `settle`.
pub async fn settling_harness(consumers: usize, op_delay: Duration, settle: Duration) -> Harness {
    let config = SandboxConfig {
        consumers,
        op_delay,
        ..SandboxConfig::default()
    };
    harness_with(config, settle).await
}

/// A console on a fresh sandbox started with `config`, whose tracker calls a write with no trace
/// in D1 "not applied" after `settle`.
pub async fn harness_with(config: SandboxConfig, settle: Duration) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::probed(keyring_core::mock::Store::new().unwrap());
    let console = open(dir.path(), vault.clone()).with_settle(settle);
    console.start_sandbox(config).await.unwrap();
    Harness {
        console,
        dir,
        vault,
    }
}

impl Harness {
    /// Configures the running sandbox as an ordinary environment named `local` (as an operator
    /// would for `d1-sandbox serve`) and switches to it, so another console on the same files
    /// and keychain reaches it too.
    pub async fn use_local_environment(&self) {
        let admin = grant_admin(self.dir.path());
        self.add_local_environment();
        drop(admin);
        self.switch_to_local().await;
    }

    /// [`Harness::use_local_environment`] when the administrators' file already makes the
    /// harness's account an administrator.
    pub async fn use_local_environment_as_admin(&self) {
        self.add_local_environment();
        self.switch_to_local().await;
    }

    fn add_local_environment(&self) {
        let sandbox = self.console.environment(care::SANDBOX_ENVIRONMENT).unwrap();
        let local = care::environments::Environment {
            name: "local".into(),
            simulated: false,
            ..sandbox
        };
        self.console.add_environment(local).unwrap();
    }

    async fn switch_to_local(&self) {
        for kind in care::credentials::SecretKind::ALL {
            let name = self.console.keychain_name(care::SANDBOX_ENVIRONMENT);
            let secret = self.vault.get(&name, kind).unwrap();
            self.vault.put("local", kind, secret.expose()).unwrap();
        }
        self.console.use_environment("local").await.unwrap();
    }

    /// A second console on the same files and keychain: what a restarted process sees.
    pub fn reopen(&self) -> Console {
        open(self.dir.path(), self.vault.clone())
    }

    /// Every record of the audit trail, read from its file (not through the console, whose
    /// reads are audited and show a reader only their own records).
    pub fn trail(&self) -> Vec<care::audit_log::Record> {
        care::audit_log::AuditLog::open(&self.console.dirs().data.join("audit.sqlite"))
            .unwrap()
            .after(0, 100_000)
            .unwrap()
    }

    /// The operations journal, opened as another process on the same file would.
    pub fn journal(&self) -> care::journal::Journal {
        care::journal::Journal::open(&self.console.dirs().data.join("operations.sqlite")).unwrap()
    }

    /// The settings file, as another process (or the operator's editor) would change it.
    pub fn settings(&self) -> care::environments::SettingsStore {
        care::environments::SettingsStore::new(&self.console.dirs().config)
    }

    /// The clients of environment `name`, built from the same keychain as the console's.
    pub async fn session(&self, name: &str) -> care::environments::Session {
        let environment = self.console.environment(name).unwrap();
        let keychain_name = self.console.keychain_name(name);
        care::environments::Session::connect(environment, &self.vault, keychain_name)
            .await
            .unwrap()
    }

    /// Sets the sandbox's fault rules.
    pub fn faults(&self, rules: Vec<Fault>) {
        self.console.with_sandbox(|s| s.set_faults(rules)).unwrap();
    }

    /// Writes the sandbox's requests per card or consumer.
    pub fn writes_to(&self, target: &str) -> u64 {
        self.console
            .with_sandbox(|s| s.stats().writes.get(target).copied().unwrap_or(0))
            .unwrap()
    }

    /// Gives the operator `role` through the user-level policy (honoured on the sandbox).
    pub fn role(&self, role: &str) {
        let path: PathBuf = self.console.dirs().config.join("policy.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, format!(r#"{{"operator":"tester","role":"{role}"}}"#)).unwrap();
    }
}

/// Writes the administrators' policy file of the console under `root` as an administrator
/// would: writable by its owner only, whatever this process's umask.
pub fn write_system_policy(root: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    let folder = root.join("etc");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = folder.join("policy.json");
    std::fs::write(&file, text).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// Makes the harness's account an administrator in the administrators' file until dropped,
/// then puts the file back as it was, as IT would for a credentials import.
pub struct AdminGrant {
    root: PathBuf,
    before: Option<String>,
}

/// Grants `admin` to the console under `root` (see [`AdminGrant`]).
pub fn grant_admin(root: &std::path::Path) -> AdminGrant {
    let before = std::fs::read_to_string(root.join("etc/policy.json")).ok();
    write_system_policy(
        root,
        r#"{"operators":{"tester-os":{"id":"IT-1","role":"admin"}}}"#,
    );
    AdminGrant {
        root: root.to_owned(),
        before,
    }
}

impl Drop for AdminGrant {
    fn drop(&mut self) {
        match &self.before {
            Some(text) => write_system_policy(&self.root, text),
            None => std::fs::remove_file(self.root.join("etc/policy.json")).unwrap(),
        }
    }
}

/// An environment `name` for the sandbox that wrote its state to `state` (`d1-sandbox serve`),
/// read as `c2p env add --from-sandbox` reads it.
pub fn environment_of(state: &std::path::Path, name: &str) -> care::environments::Environment {
    care::environments::Environment::from_sandbox_state(name, state).unwrap()
}

/// The import of the credential files a sandbox wrote to `state`.
pub fn import_request(state: &std::path::Path) -> care::credentials::ImportRequest {
    care::credentials::ImportRequest {
        mtls: care::credentials::MtlsSource::Pem {
            chain: state.join("client.pem"),
            key: state.join("client.key"),
        },
        signing_key: state.join("signing.key"),
        issuer_api_key: care::credentials::read_api_key(&state.join("issuer-api-key")).unwrap(),
    }
}

/// A fault on `endpoints` only.
pub fn fault(endpoints: &[Endpoint]) -> Fault {
    Fault {
        endpoints: endpoints.to_vec(),
        ..Fault::default()
    }
}

/// The first seeded consumer of a category (`ok`, `closed`, `email`, …) among `consumers`.
pub fn first(consumers: usize, slug: &str) -> String {
    d1_sandbox::seed::generate(1, consumers)
        .bank
        .keys()
        .find(|id| id.ends_with(&format!("-{slug}")))
        .unwrap()
        .clone()
}
