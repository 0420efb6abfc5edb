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
    },
}

/// How to point the console's command line at a running sandbox.
const CONNECT_HELP: &str = "Connect the c2p command line (DIR is the --state-dir):
  c2p env add local --from-sandbox DIR
  c2p env import-credentials local --cert DIR/client.pem --key DIR/client.key --signing-key DIR/signing.key --api-key-file DIR/issuer-api-key
  c2p env use local
  c2p env test";

/// The `--faults` list, one value (a bare `Vec` would make the argument parser take each rule
/// as a value of its own, and panic when the list is read back).
#[derive(Clone)]
struct FaultRules(Vec<d1_sandbox::faults::Fault>);

fn parse_faults(json: &str) -> Result<FaultRules, String> {
    serde_json::from_str(json)
        .map(FaultRules)
        .map_err(|e| format!("not a list of fault rules: {e}"))
}

fn print_assertion(state_dir: &Path) -> Result<String, String> {
    let read = |name: &str| {
        std::fs::read_to_string(state_dir.join(name))
            .map_err(|e| format!("cannot read {}: {e}", state_dir.join(name).display()))
    };
    let state = d1_sandbox::StateFile::read(state_dir)?;
    d1_sandbox::assertion::valid(&state.issuer_id, &state.kid, &read("signing.key")?)
        .map_err(|e| e.to_string())
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
                faults: faults.map(|rules| rules.0).unwrap_or_default(),
                server_cert: d1_sandbox::pki::ServerCert::Valid,
                v1_operation_names,
                clock_offset: chrono::TimeDelta::zero(),
            };
            serve(config, &state_dir).await
        }
        Command::Assertion { state_dir } => {
            print_assertion(&state_dir).map(|assertion| print(&assertion))
        }
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
