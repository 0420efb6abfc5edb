//! A simulator of Thales D1's Click to Pay API and of the bank's consumer records, over real
//! mutual TLS with real ES256 JWT-bearer tokens, on 127.0.0.1. Tests and the console start it
//! in-process with [`Sandbox::start`]; the `d1-sandbox` binary serves it on its own.
//!
//! It implements `shared/d1-api-contract.md`: fresh certificates and keys at every start, the
//! token endpoint, every Click to Pay endpoint with the contract's validation, asynchronous
//! operations, and a deterministic seeded population (see [`seed`]).

mod admin;
pub mod assertion;
mod auth;
mod banking;
pub mod error;
pub mod faults;
pub mod gateway;
pub mod gateway_client;
mod issuer;
pub mod model;
mod notify;
pub mod pki;
pub mod seed;
mod server;
mod state;
pub mod stats;
pub mod tokens;
mod validate;
pub mod wire;
pub mod world;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;

use crate::auth::Authority;
use crate::pki::Pki;
use crate::state::Shared;
use crate::world::World;

/// `sandbox.json` in a state directory: how a command-line client reaches a running sandbox
/// (the console reads the same fields in `care::environments::Environment::from_sandbox_state`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateFile {
    /// The banking API base.
    pub base_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The issuer-records API base.
    pub issuer_records_url: String,
    /// The sandbox's issuerId.
    pub issuer_id: String,
    /// The signing key's key id.
    pub kid: String,
    /// The admin endpoint (faults, stats).
    pub admin_url: String,
    /// The admin endpoint's bearer token.
    pub admin_token: String,
    /// The merchant gateways' eCom Enablement API base; each gateway's keys are in
    /// `gateways/<merchantGatewayId>/`.
    #[serde(default)]
    pub ecom_url: String,
    /// The seed of the population (what `d1-sandbox gateway tokenize --card` makes PANs from).
    #[serde(default)]
    pub seed: u64,
    /// How many bank consumers were generated.
    #[serde(default)]
    pub consumers: usize,
}

impl StateFile {
    /// Its file name in the state directory.
    pub const NAME: &str = "sandbox.json";

    /// Reads the state file of `dir`.
    pub fn read(dir: &Path) -> Result<Self, String> {
        let path = dir.join(Self::NAME);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// The sandbox's issuerId (D1: exactly 10 characters).
pub const ISSUER_ID: &str = "C2PSANDBOX";

/// How a sandbox starts.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free one. Only loopback addresses make sense.
    pub listen: SocketAddr,
    /// Seed of the generated population.
    pub seed: u64,
    /// How many bank consumers to generate.
    pub consumers: usize,
    /// How long a write stays PENDING before it ends; zero ends it at once.
    pub op_delay: Duration,
    /// How long an access token lives.
    pub token_ttl: Duration,
    /// The issuer's notification host (e.g. `http://127.0.0.1:PORT`); no notifications if `None`.
    pub notify_url: Option<String>,
    /// The merchant gateways' host, where notify-update is POSTed; none if `None`.
    pub gateway_notify_url: Option<String>,
    /// Fault rules in force from the start (see [`faults::Fault`]).
    pub faults: Vec<faults::Fault>,
    /// The server certificate to present (a bad one for clients' TLS tests).
    pub server_cert: pki::ServerCert,
    /// List operations under D1 v1's names (`CLICK_TO_PAY_OPTOUT`), as an older D1 does.
    pub v1_operation_names: bool,
    /// How far the sandbox's clock is from the real time (its operations' times and the `Date`
    /// of its answers): a D1, or a workstation, whose clock is off.
    pub clock_offset: chrono::TimeDelta,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            seed: 1,
            consumers: 500,
            op_delay: Duration::from_millis(1500),
            token_ttl: Duration::from_secs(900),
            notify_url: None,
            gateway_notify_url: None,
            faults: Vec::new(),
            server_cert: pki::ServerCert::Valid,
            v1_operation_names: false,
            clock_offset: chrono::TimeDelta::zero(),
        }
    }
}

/// What a client needs to talk to the sandbox. The private keys are secrets: the console stores
/// them in the OS keychain like any other environment's.
#[derive(Clone)]
pub struct Credentials {
    /// The issuerId.
    pub issuer_id: String,
    /// Key id of the signing key.
    pub kid: String,
    /// The CA to trust for the server certificate, PEM.
    pub server_ca_pem: String,
    /// The client certificate chain, PEM.
    pub client_chain_pem: String,
    /// The client private key, PKCS#8 PEM.
    pub client_key_pem: String,
    /// The ES256 signing key, PKCS#8 PEM.
    pub signing_key_pem: String,
    /// The issuer-records API key.
    pub issuer_api_key: String,
    /// The admin endpoint's token (fault switches).
    pub admin_token: String,
    /// Each merchant gateway's credentials (eCom Enablement).
    pub gateways: Vec<pki::GatewayKeys>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("issuer_id", &self.issuer_id)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A running sandbox. Dropping it without [`Sandbox::stop`] stops it too.
pub struct Sandbox {
    addr: SocketAddr,
    shared: Arc<Shared>,
    credentials: Credentials,
    /// The seed and size of its population.
    population: (u64, usize),
    handle: axum_server::Handle<SocketAddr>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    /// The TLS configuration was refused.
    #[error("TLS configuration: {0}")]
    Tls(Box<dyn std::error::Error + Send + Sync>),
}

impl Sandbox {
    /// Generates keys and data and starts serving. Must run inside a tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, StartError> {
        let pki = Pki::generate_with(config.server_cert, &tokens::gateway_ids());
        let mut authority = Authority::new(
            ISSUER_ID,
            &pki.kid,
            pki.signing_public_key.clone(),
            config.token_ttl,
        );
        for gateway in &pki.gateways {
            authority.register_gateway(
                &gateway.gateway_id,
                &gateway.kid,
                gateway.signing_public_key.clone(),
            );
        }
        let issuer_api_key = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 24]>());
        let mut world = World::new(config.seed, seed::generate(config.seed, config.consumers));
        world.v1_operation_names = config.v1_operation_names;
        world.clock_offset = config.clock_offset;
        world.operation_prefix = format!("op{:06x}", rand::rng().random_range(0..0x100_0000u32));
        let mut shared = Shared::new(
            world,
            authority,
            ISSUER_ID.into(),
            issuer_api_key.clone(),
            config.op_delay,
        );
        shared.notifier = config
            .notify_url
            .as_deref()
            .map(|url| notify::Notifier::new(url, ISSUER_ID));
        shared.gateway_notifier = config
            .gateway_notify_url
            .as_deref()
            .map(notify::GatewayNotifier::new);
        shared.faults.set(config.faults);
        shared.clock_offset = config.clock_offset;
        shared.admin_token = URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 24]>());
        let admin_token = shared.admin_token.clone();
        let shared = Arc::new(shared);
        let tls = server::tls_config(&pki).map_err(StartError::Tls)?;
        let listener = std::net::TcpListener::bind(config.listen)
            .map_err(|e| StartError::Listen(config.listen, e))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| StartError::Listen(config.listen, e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::Listen(config.listen, e))?;
        let handle = axum_server::Handle::new();
        let server = tokio::spawn(server::serve(
            listener,
            tls,
            server::router(shared.clone()),
            handle.clone(),
            shared.stats.clone(),
        ));
        let credentials = Credentials {
            issuer_id: ISSUER_ID.into(),
            kid: pki.kid,
            server_ca_pem: pki.server_ca_pem,
            client_chain_pem: pki.client_chain_pem,
            client_key_pem: pki.client_key_pem,
            signing_key_pem: pki.signing_key_pem,
            issuer_api_key,
            admin_token,
            gateways: pki.gateways,
        };
        tracing::info!(%addr, "d1-sandbox listening");
        Ok(Sandbox {
            addr,
            shared,
            credentials,
            population: (config.seed, config.consumers),
            handle,
            server,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The banking base URL, `…/banking/v1`.
    pub fn base_url(&self) -> String {
        format!("{}/banking/v1", self.origin())
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/authz/v1/oauth2/token", self.origin())
    }

    /// The issuer-records base URL, `…/issuer/v1`.
    pub fn issuer_records_url(&self) -> String {
        format!("{}/issuer/v1", self.origin())
    }

    /// The merchant gateways' eCom Enablement base URL.
    pub fn ecom_url(&self) -> String {
        format!("{}{}", self.origin(), wire::ECOM_BASE)
    }

    /// The admin endpoint, `…/admin/v1`.
    pub fn admin_url(&self) -> String {
        format!("{}/admin/v1", self.origin())
    }

    /// What has reached the sandbox so far.
    pub fn stats(&self) -> stats::Snapshot {
        self.shared.stats.snapshot()
    }

    /// Replaces the fault rules (what the admin endpoint does, for in-process callers).
    pub fn set_faults(&self, rules: Vec<faults::Fault>) {
        self.shared.faults.set(rules);
    }

    /// The credentials a client needs.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// Writes the credentials and URLs to `dir` for command-line clients: `server-ca.pem`,
    /// `client.pem`, `client.key`, `signing.key`, `issuer-api-key` and `sandbox.json`; and, for
    /// each merchant gateway, `gateways/<merchantGatewayId>/` with its `client.pem`,
    /// `client.key`, `signing.key` and `gateway.json`, and `gateways/README.txt` saying how to
    /// call the eCom Enablement API with curl. Secret files (keys, API key, and sandbox.json
    /// with the admin token) are readable by the owner only.
    pub fn write_state_dir(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let c = &self.credentials;
        let summary = StateFile {
            base_url: self.base_url(),
            token_url: self.token_url(),
            issuer_records_url: self.issuer_records_url(),
            issuer_id: c.issuer_id.clone(),
            kid: c.kid.clone(),
            admin_url: self.admin_url(),
            admin_token: c.admin_token.clone(),
            ecom_url: self.ecom_url(),
            seed: self.population.0,
            consumers: self.population.1,
        };
        let files: [(&str, String, bool); 6] = [
            ("server-ca.pem", c.server_ca_pem.clone(), false),
            ("client.pem", c.client_chain_pem.clone(), false),
            ("client.key", c.client_key_pem.clone(), true),
            ("signing.key", c.signing_key_pem.clone(), true),
            ("issuer-api-key", c.issuer_api_key.clone(), true),
            (
                StateFile::NAME,
                serde_json::to_string_pretty(&summary).expect("JSON"),
                true,
            ),
        ];
        for (name, content, secret) in files {
            write_file(&dir.join(name), &content, secret)?;
        }
        for gateway in &c.gateways {
            let home = dir.join("gateways").join(&gateway.gateway_id);
            std::fs::create_dir_all(&home)?;
            #[cfg(unix)]
            std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
            let about = gateway::GatewayFile {
                merchant_gateway_id: gateway.gateway_id.clone(),
                kid: gateway.kid.clone(),
                ecom_url: self.ecom_url(),
                token_url: self.token_url(),
                merchants: tokens::MERCHANTS
                    .iter()
                    .filter(|(_, _, id, _)| *id == gateway.gateway_id)
                    .map(|(id, name, _, _)| gateway::Merchant {
                        merchant_id: (*id).to_owned(),
                        name: (*name).to_owned(),
                    })
                    .collect(),
            };
            let about = serde_json::to_string_pretty(&about).expect("JSON");
            write_file(&home.join(gateway::GatewayFile::NAME), &about, false)?;
            write_file(&home.join("client.pem"), &gateway.identity.chain_pem, false)?;
            write_file(&home.join("client.key"), &gateway.identity.key_pem, true)?;
            write_file(&home.join("signing.key"), &gateway.signing_key_pem, true)?;
        }
        if let Some(first) = c.gateways.first() {
            let readme =
                gateway::curl_help(dir, &first.gateway_id, &self.token_url(), &self.ecom_url());
            write_file(&dir.join("gateways").join("README.txt"), &readme, false)?;
        }
        Ok(())
    }

    /// Stops serving and waits until the server has stopped.
    pub async fn stop(mut self) {
        self.handle.graceful_shutdown(Some(Duration::from_secs(2)));
        if let Ok(Err(error)) = (&mut self.server).await {
            tracing::warn!(%error, "d1-sandbox stopped with an error");
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.handle.shutdown();
    }
}

/// Writes `content` to `path`, readable by the owner only when `secret`.
fn write_file(path: &Path, content: &str, secret: bool) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mode = if secret { 0o600 } else { 0o644 };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(mode);
    let mut file = options.open(path)?;
    // A file that was there already keeps its old mode unless it is set again.
    #[cfg(unix)]
    file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
    file.write_all(content.as_bytes())
}
