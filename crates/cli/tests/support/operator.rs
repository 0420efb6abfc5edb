//! An operator's `c2p` on a private home, against a sandbox the test starts: the parts the
//! command-line tests share.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use d1_sandbox::faults::Fault;
use d1_sandbox::{Sandbox, SandboxConfig};

pub struct Operator {
    pub home: tempfile::TempDir,
    /// Where the administrators' policy file is (IT's, outside the operator's home).
    pub etc: tempfile::TempDir,
    /// The environment's name, which also names its keychain entries: the tests share one
    /// Secret Service, so each test's process has its own.
    pub env: String,
}

impl Operator {
    pub fn new() -> Self {
        Self {
            home: tempfile::tempdir().unwrap(),
            etc: tempfile::tempdir().unwrap(),
            env: format!("local-{}", std::process::id()),
        }
    }

    pub fn c2p(&self, args: &[&str]) -> Output {
        self.c2p_with(args, &[])
    }

    pub fn c2p_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_c2p"));
        command
            .args(args)
            .env("XDG_CONFIG_HOME", self.home.path().join("config"))
            .env("XDG_DATA_HOME", self.home.path().join("data"))
            .env("C2P_TEST_SYSTEM_POLICY", self.system_policy())
            .stdin(std::process::Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().unwrap()
    }

    /// The administrators' policy file this test build reads (cargo feature `test-hooks`).
    pub fn system_policy(&self) -> PathBuf {
        self.etc.path().join("c2p-care/policy.json")
    }

    /// Writes the administrators' policy as IT would: theirs, writable by nobody else.
    pub fn write_system_policy(&self, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.system_policy();
        let folder = path.parent().unwrap();
        std::fs::create_dir_all(folder).unwrap();
        std::fs::set_permissions(folder, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    /// Puts team store login `login` (password `password`) in this operator's keychain, from a
    /// password file of theirs alone, as `c2p team import-credentials` asks.
    pub fn import_team_login(&self, login: &str, password: &str) {
        use std::os::unix::fs::PermissionsExt;
        let file = self.etc.path().join(format!("{login}-pw"));
        std::fs::write(&file, format!("{password}\n")).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        self.ok(&[
            "team",
            "import-credentials",
            "--login",
            login,
            "--password-file",
            file.to_str().unwrap(),
        ]);
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let output = self.c2p(args);
        assert!(output.status.success(), "c2p {args:?}: {}", text(&output));
        String::from_utf8(output.stdout).unwrap()
    }
}

pub fn text(output: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub async fn sandbox(state: &Path) -> Sandbox {
    sandbox_with(state, Vec::new()).await
}

/// [`sandbox`] with fault rules from the start.
pub async fn sandbox_with(state: &Path, faults: Vec<Fault>) -> Sandbox {
    let sandbox = Sandbox::start(SandboxConfig {
        consumers: 80,
        op_delay: Duration::from_millis(400),
        faults,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    sandbox.write_state_dir(state).unwrap();
    sandbox
}

/// The administrators' policy giving this test's OS account `role` under its own name, and
/// `admin` beside it when asked.
pub fn administrators(role: &str, admin: bool) -> String {
    let account = care::policy::Identity::of_this_process().unwrap().account;
    serde_json::json!({
        "operators": { &account: { "id": &account, "role": role, "admin": admin } }
    })
    .to_string()
}

/// Adds the sandbox that wrote `state` as the operator's environment, with its credentials:
/// refused until the administrators' policy makes the account an administrator (beside the
/// agent role the tests work in).
pub fn connect(operator: &Operator, state: &Path) {
    let dir = state.to_str().unwrap();
    let refused = operator.c2p(&["env", "add", &operator.env, "--from-sandbox", dir]);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("may not add, replace or remove an environment"),
        "{}",
        text(&refused)
    );
    operator.write_system_policy(&administrators("agent", true));
    operator.ok(&["env", "add", &operator.env, "--from-sandbox", dir]);
    let args = import_args(state, &operator.env);
    let imported = operator.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(imported.contains("stored in the OS keychain"), "{imported}");
    operator.ok(&["env", "use", &operator.env]);
}

/// `env import-credentials ENV` with the files a sandbox wrote to `state`.
pub fn import_args(state: &Path, env: &str) -> Vec<String> {
    let file = |name: &str| state.join(name).display().to_string();
    let mut args: Vec<String> = ["env", "import-credentials", env]
        .map(String::from)
        .to_vec();
    for (flag, name) in [
        ("--cert", "client.pem"),
        ("--key", "client.key"),
        ("--signing-key", "signing.key"),
        ("--api-key-file", "issuer-api-key"),
    ] {
        args.extend([flag.to_owned(), file(name)]);
    }
    args
}
