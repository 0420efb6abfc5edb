//! For tests only (cargo feature `testing`, which no shipped build enables): a throwaway
//! PostgreSQL cluster: `initdb` in a temporary directory (as the
//! `postgres` user through `runuser` when the test runs as root), TLS on with a CA and a server
//! certificate made now, on a free port of 127.0.0.1. Stopped (`pg_ctl stop -m fast`) when
//! dropped, also when the test fails. And a throwaway rsyslog with a TLS listener.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The owner's account name in every test cluster.
pub const OWNER: &str = "c2p_owner";
/// The owner's password in every test cluster.
pub const OWNER_PASSWORD: &str = "owner-secret-for-tests";

/// A certificate authority made for one test.
pub struct Ca {
    /// Its certificate (PEM).
    pub pem: String,
    params: rcgen::CertificateParams,
    key: rcgen::KeyPair,
}

impl Ca {
    /// A new CA named `name`.
    pub fn new(name: &str) -> Ca {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let pem = params.self_signed(&key).unwrap().pem();
        Ca { pem, params, key }
    }

    /// A certificate for `name` (and `localhost`) and its key, both PEM.
    pub fn issue(&self, name: &str) -> (String, String) {
        let issuer = rcgen::Issuer::from_params(&self.params, &self.key);
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params =
            rcgen::CertificateParams::new(vec![name.into(), "localhost".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let certificate = params.signed_by(&key, &issuer).unwrap();
        (certificate.pem(), key.serialize_pem())
    }
}

/// rsyslog in the foreground with its own configuration (never the system's): a TLS listener
/// on a free port of 127.0.0.1 that asks for a client certificate signed by the test's CA and
/// writes each message it receives, as RFC 5424, to [`Rsyslog::received`]. Ended (by its
/// handle) when dropped.
pub struct Rsyslog {
    dir: tempfile::TempDir,
    child: std::process::Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl Rsyslog {
    /// Starts rsyslog with a server certificate from `ca`, and waits until it listens.
    pub fn start(ca: &Ca) -> Rsyslog {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = ca.issue("127.0.0.1");
        let d = dir.path();
        std::fs::write(d.join("ca.pem"), &ca.pem).unwrap();
        std::fs::write(d.join("server.pem"), cert).unwrap();
        std::fs::write(d.join("server.key"), key).unwrap();
        let port = free_port();
        let conf = format!(
            r#"global(workDirectory="{d}" maxMessageSize="64k"
       DefaultNetstreamDriver="ossl"
       DefaultNetstreamDriverCAFile="{d}/ca.pem"
       DefaultNetstreamDriverCertFile="{d}/server.pem"
       DefaultNetstreamDriverKeyFile="{d}/server.key")
module(load="imtcp" StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/certvalid")
input(type="imtcp" port="{port}" address="127.0.0.1")
action(type="omfile" file="{d}/received.log" template="RSYSLOG_SyslogProtocol23Format" asyncWriting="off" flushOnTXEnd="on")
"#,
            d = d.display()
        );
        std::fs::write(d.join("rsyslog.conf"), conf).unwrap();
        let child = Command::new("rsyslogd")
            .arg("-n")
            .arg("-f")
            .arg(d.join("rsyslog.conf"))
            .arg("-i")
            .arg(d.join("rsyslog.pid"))
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(d.join("rsyslog.err")).unwrap())
            .spawn()
            .expect("rsyslogd is not installed: run `make setup`");
        let rsyslog = Rsyslog { dir, child, port };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "rsyslog did not listen: {}",
                std::fs::read_to_string(rsyslog.dir.path().join("rsyslog.err")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        rsyslog
    }

    /// Every message received so far, one per line.
    pub fn received(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("received.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
        let ca = Ca::new("team store test CA");
        let (server, server_key) = ca.issue("127.0.0.1");
        for (name, text, mode) in [
            ("server.crt", server, 0o644),
            ("server.key", server_key, 0o600),
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
            ca_pem: ca.pem.clone(),
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

/// The chain id a test names `name`: itself when it is one a workstation could make
/// (`chain-` and 32 hex digits), else one made from it.
pub fn chain_id(name: &str) -> String {
    let valid = name.len() == 38
        && name.starts_with("chain-")
        && name[6..]
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if valid {
        return name.to_owned();
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, name.as_bytes());
    format!("chain-{}", &hex::encode(digest.as_ref())[..32])
}

/// A chain of `n` records of `operator`, each hashed as the workstation hashes it (by the
/// store's own `c2p.record_hash`, which the console's forwarding tests hold to the Rust one).
pub async fn chain(
    owner: &tokio_postgres::Client,
    id: &str,
    operator: &str,
    account: &str,
    n: i64,
) -> Vec<crate::CentralRecord> {
    let time = now();
    let mut previous = "0".repeat(64);
    let mut records = Vec::new();
    for seq in 1..=n {
        let mut record = crate::CentralRecord {
            chain: chain_id(id),
            seq,
            time: time.clone(),
            operator: operator.into(),
            role: Some("agent".into()),
            workstation: "WS-17".into(),
            account: account.into(),
            event: "profile_view".into(),
            resource: Some(format!("cons-{seq:04}")),
            result: "ok".into(),
            operation_id: None,
            correlation_id: None,
            prev_hash: previous.clone(),
            hash: String::new(),
            version: 2,
            redacted: false,
            sent_at: time.clone(),
        };
        record.hash = rehash(owner, &record).await;
        previous = record.hash.clone();
        records.push(record);
    }
    records
}

/// `record`'s hash over its fields, as the store computes it.
pub async fn rehash(owner: &tokio_postgres::Client, r: &crate::CentralRecord) -> String {
    owner
        .query_one(
            "SELECT c2p.record_hash($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &[
                &r.version,
                &r.prev_hash,
                &r.seq,
                &r.time,
                &r.operator,
                &r.workstation,
                &r.event,
                &r.resource,
                &r.result,
                &r.operation_id,
                &r.correlation_id,
                &r.role,
            ],
        )
        .await
        .unwrap()
        .get(0)
}

/// Now, as RFC 3339 (the workstation's clock in these tests is the centre's).
fn now() -> String {
    let output = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}
