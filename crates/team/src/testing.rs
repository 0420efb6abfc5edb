//! For tests only (cargo feature `testing`, which no shipped build enables): a throwaway
//! PostgreSQL cluster: `initdb` in a temporary directory (as the
//! `postgres` user through `runuser` when the test runs as root), TLS on with a CA and a server
//! certificate made now, on a free port of 127.0.0.1. Stopped (`pg_ctl stop -m fast`) when
//! dropped, also when the test fails.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The owner's account name in every test cluster.
pub const OWNER: &str = "c2p_owner";
/// The owner's password in every test cluster.
pub const OWNER_PASSWORD: &str = "owner-secret-for-tests";

/// A running cluster.
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The CA that signed its certificate (PEM).
    pub ca_pem: String,
}

fn postgres_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is not installed: run `make setup`")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no initdb under /usr/lib/postgresql: run `make setup`")
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// `program args…` as the `postgres` user when root, else as ourselves.
fn as_postgres(program: &Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(mut command: Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Gives `path` to the `postgres` user (when root), private to it.
fn hand_over(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    if is_root() {
        run(
            {
                let mut c = Command::new("chown");
                c.arg("postgres").arg(path);
                c
            },
            "chown",
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// Starts a cluster (about a second).
    pub fn start() -> Cluster {
        let bin = postgres_bin();
        let dir = tempfile::tempdir().unwrap();
        hand_over(dir.path(), 0o700);
        let pw = dir.path().join("pw");
        std::fs::write(&pw, format!("{OWNER_PASSWORD}\n")).unwrap();
        hand_over(&pw, 0o600);
        let data = dir.path().join("data");
        let mut initdb = as_postgres(&bin.join("initdb"));
        initdb
            .arg("-D")
            .arg(&data)
            .args(["-A", "scram-sha-256", "-U", OWNER, "--no-sync"])
            .arg(format!("--pwfile={}", pw.display()));
        run(initdb, "initdb");
        std::fs::remove_file(&pw).unwrap();

        // TLS: a CA made now signs the server's certificate for 127.0.0.1.
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "team store test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
        let server_key = rcgen::KeyPair::generate().unwrap();
        let server = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap()
            .signed_by(&server_key, &issuer)
            .unwrap();
        for (name, text, mode) in [
            ("server.crt", server.pem(), 0o644),
            ("server.key", server_key.serialize_pem(), 0o600),
        ] {
            let path = data.join(name);
            std::fs::write(&path, text).unwrap();
            hand_over(&path, mode);
        }
        // Only TLS connections from 127.0.0.1, with a password.
        let hba = data.join("pg_hba.conf");
        std::fs::write(
            &hba,
            "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n",
        )
        .unwrap();
        hand_over(&hba, 0o600);

        let cluster = Cluster {
            dir,
            bin,
            port: free_port(),
            ca_pem: ca.pem(),
        };
        cluster.start_server();
        cluster
    }

    /// Starts the server (again, after [`Cluster::stop`]) on the same port.
    pub fn start_server(&self) {
        let mut start = as_postgres(&self.bin.join("pg_ctl"));
        start
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .arg("-w")
            .arg("-o")
            .arg(format!(
                "-k {} -p {} -c listen_addresses=127.0.0.1 -c ssl=on -c fsync=off",
                self.dir.path().display(),
                self.port
            ))
            .arg("start");
        run(start, "pg_ctl start");
    }

    /// Stops the server at once (as a crash or a lost network would look to a client).
    pub fn stop(&self) {
        let mut stop = as_postgres(&self.bin.join("pg_ctl"));
        stop.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["stop", "-m", "immediate", "-w"]);
        run(stop, "pg_ctl stop");
    }

    /// The address of database `database`.
    pub fn address(&self, database: &str) -> crate::Address {
        crate::Address {
            host: "127.0.0.1".into(),
            port: self.port,
            database: database.into(),
            ca_pem: self.ca_pem.clone(),
        }
    }

    /// The owner's connection to `database`.
    pub async fn owner(&self, database: &str) -> tokio_postgres::Client {
        crate::connect(&self.address(database), OWNER, OWNER_PASSWORD)
            .await
            .unwrap()
    }

    /// A new empty database, `name`.
    pub async fn database(&self, name: &str) -> String {
        self.owner("postgres")
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        name.to_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut stop = as_postgres(&self.bin.join("pg_ctl"));
        stop.arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["stop", "-m", "immediate", "-w"]);
        // Already stopped is fine.
        let _ = stop.output();
    }
}
