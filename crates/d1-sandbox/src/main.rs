//! `d1-sandbox serve`: the D1 simulator as a standalone HTTPS server on loopback.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use d1_sandbox::{Sandbox, SandboxConfig};

#[derive(Parser)]
#[command(
    version,
    about = "A D1 Click to Pay simulator over mutual TLS, with the bank's consumer records"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate fresh keys and data and serve until SIGINT or SIGTERM.
    #[command(after_help = CONNECT_HELP)]
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// Where to write the client credentials and sandbox.json.
        #[arg(long)]
        state_dir: PathBuf,
        /// Seed of the generated population.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Number of bank consumers.
        #[arg(long, default_value_t = 500)]
        consumers: usize,
        /// How long a write stays PENDING, in milliseconds.
        #[arg(long, default_value_t = 1500)]
        op_delay_ms: u64,
        /// Lifetime of an access token, in seconds.
        #[arg(long, default_value_t = 900)]
        token_ttl_s: u64,
        /// The issuer's notification host; ended operations are POSTed there.
        #[arg(long)]
        notify_url: Option<String>,
        /// The merchant gateways' host; notify-update is POSTed there when the issuer or D1
        /// changes one of their tokens.
        #[arg(long)]
        gateway_notify_url: Option<String>,
        /// Fault rules in force from the start, as the JSON list the admin endpoint takes.
        #[arg(long, value_parser = parse_faults)]
        faults: Option<FaultRules>,
        /// List operations under D1 v1's names (`CLICK_TO_PAY_OPTOUT`), as an older D1 does.
        #[arg(long)]
        v1_operation_names: bool,
    },
    /// Print a fresh ES256 token assertion made with the keys of a running sandbox's state dir,
    /// for curl: `--data-urlencode assertion=$(d1-sandbox assertion --state-dir DIR)`.
    Assertion {
        /// The state directory `serve` wrote.
        #[arg(long)]
        state_dir: PathBuf,
        /// Make it for this merchant gateway (its own key, `iss` its merchantGatewayId).
        #[arg(long)]
        gateway: Option<String>,
    },
    /// Play a merchant gateway of a running sandbox (D1 eCom Enablement): tokenize a card for
    /// one of its merchants, list or delete the merchant's tokens. See STATE_DIR/gateways/README.txt.
    Gateway {
        #[command(subcommand)]
        action: GatewayAction,
    },
}

/// Which gateway and merchant play, and where the sandbox's state directory is.
#[derive(clap::Args)]
struct GatewayArgs {
    /// The state directory `serve` wrote.
    #[arg(long)]
    state_dir: PathBuf,
    /// The merchantGatewayId.
    #[arg(long, default_value = "MGW_000001")]
    gateway: String,
    /// The merchantId (one of the gateway's, in its gateway.json).
    #[arg(long)]
    merchant: String,
}

#[derive(Subcommand)]
enum GatewayAction {
    /// Tokenize a seeded card's test PAN for the merchant, card on file.
    Tokenize {
        #[command(flatten)]
        on: GatewayArgs,
        /// The seeded card whose test PAN to tokenize.
        #[arg(long, conflicts_with = "pan", required_unless_present = "pan")]
        card: Option<String>,
        /// A test PAN, with --expiry.
        #[arg(long, requires = "expiry")]
        pan: Option<String>,
        /// The card's expiry, MMYY.
        #[arg(long)]
        expiry: Option<String>,
    },
    /// The merchant's tokens.
    List {
        #[command(flatten)]
        on: GatewayArgs,
    },
    /// Delete one of the merchant's tokens (the issuer is told, as a TSP operation).
    Delete {
        #[command(flatten)]
        on: GatewayArgs,
        /// The token's id.
        #[arg(long)]
        token: String,
    },
}

/// How to point the console's command line at a running sandbox.
const CONNECT_HELP: &str = "Connect the c2p command line (DIR is the --state-dir):
  c2p env add local --from-sandbox DIR
  c2p env import-credentials local --cert DIR/client.pem --key DIR/client.key --signing-key DIR/signing.key --api-key-file DIR/issuer-api-key
  c2p env use local
  c2p env test
Play a merchant gateway (eCom Enablement): see DIR/gateways/README.txt";

/// The `--faults` list, one value (a bare `Vec` would make the argument parser take each rule
/// as a value of its own, and panic when the list is read back).
#[derive(Clone)]
struct FaultRules(Vec<d1_sandbox::faults::Fault>);

fn parse_faults(json: &str) -> Result<FaultRules, String> {
    serde_json::from_str(json)
        .map(FaultRules)
        .map_err(|e| format!("not a list of fault rules: {e}"))
}

fn print_assertion(state_dir: &Path, gateway: Option<&str>) -> Result<String, String> {
    let read = |path: PathBuf| {
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let (id, kid, key) = match gateway {
        None => {
            let state = d1_sandbox::StateFile::read(state_dir)?;
            (state.issuer_id, state.kid, state_dir.join("signing.key"))
        }
        Some(gateway) => {
            let home = state_dir.join("gateways").join(gateway);
            let about = read(home.join(d1_sandbox::gateway::GatewayFile::NAME))?;
            let about: d1_sandbox::gateway::GatewayFile =
                serde_json::from_str(&about).map_err(|e| e.to_string())?;
            (gateway.to_owned(), about.kid, home.join("signing.key"))
        }
    };
    d1_sandbox::assertion::valid(&id, &kid, &read(key)?).map_err(|e| e.to_string())
}

/// The test PAN and expiry of seeded card `card_id` of the sandbox in `state_dir`.
fn test_card(state_dir: &Path, card_id: &str) -> Result<(String, String), String> {
    let state = d1_sandbox::StateFile::read(state_dir)?;
    let population = d1_sandbox::seed::generate(state.seed, state.consumers);
    population
        .bank
        .values()
        .flat_map(|consumer| &consumer.cards)
        .find(|card| card.card_id == card_id)
        .map(|card| (d1_sandbox::tokens::test_pan(card), card.expiry.clone()))
        .ok_or_else(|| format!("the bank holds no card {card_id}"))
}

async fn play_gateway(action: GatewayAction) -> Result<(), String> {
    let on = match &action {
        GatewayAction::Tokenize { on, .. }
        | GatewayAction::List { on }
        | GatewayAction::Delete { on, .. } => on,
    };
    let client =
        d1_sandbox::gateway_client::GatewayClient::connect(&on.state_dir, &on.gateway).await?;
    let merchant = &on.merchant;
    let (status, body) = match &action {
        GatewayAction::Tokenize {
            card, pan, expiry, ..
        } => {
            let (pan, expiry) = match (card, pan, expiry) {
                (Some(card), _, _) => test_card(&on.state_dir, card)?,
                (None, Some(pan), Some(expiry)) => (pan.clone(), expiry.clone()),
                _ => return Err("give --card, or --pan with --expiry".into()),
            };
            client.tokenize(merchant, &pan, &expiry).await?
        }
        GatewayAction::List { .. } => client.list(merchant).await?,
        GatewayAction::Delete { token, .. } => client.delete(merchant, token).await?,
    };
    if !(200..300).contains(&status) {
        return Err(format!("HTTP {status}: {body}"));
    }
    if !body.is_null() {
        print(&serde_json::to_string_pretty(&body).expect("JSON"));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Serve {
            listen,
            state_dir,
            seed,
            consumers,
            op_delay_ms,
            token_ttl_s,
            notify_url,
            gateway_notify_url,
            faults,
            v1_operation_names,
        } => {
            let config = SandboxConfig {
                listen,
                seed,
                consumers,
                op_delay: Duration::from_millis(op_delay_ms),
                token_ttl: Duration::from_secs(token_ttl_s),
                notify_url,
                gateway_notify_url,
                faults: faults.map(|rules| rules.0).unwrap_or_default(),
                server_cert: d1_sandbox::pki::ServerCert::Valid,
                v1_operation_names,
                clock_offset: chrono::TimeDelta::zero(),
            };
            serve(config, &state_dir).await
        }
        Command::Assertion { state_dir, gateway } => {
            print_assertion(&state_dir, gateway.as_deref()).map(|assertion| print(&assertion))
        }
        Command::Gateway { action } => play_gateway(action).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("d1-sandbox: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a line on stdout; a reader that went away (a closed pipe) is not an error.
fn print(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stdout(), "{line}");
}

async fn serve(config: SandboxConfig, state_dir: &Path) -> Result<(), String> {
    let sandbox = Sandbox::start(config).await.map_err(|e| e.to_string())?;
    sandbox
        .write_state_dir(state_dir)
        .map_err(|e| format!("cannot write {}: {e}", state_dir.display()))?;
    // Listening for SIGTERM before saying "listening": whoever reads that line may stop us.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| format!("cannot handle SIGINT: {e}"))?;
    print(&format!("listening {}", sandbox.origin()));
    print(&CONNECT_HELP.replace("DIR", &state_dir.display().to_string()));
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    sandbox.stop().await;
    Ok(())
}
