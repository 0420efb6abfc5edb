//! `d1-sandbox serve`: the D1 simulator as a standalone HTTPS server on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;
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
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Command::Serve {
        listen,
        state_dir,
        seed,
        consumers,
        op_delay_ms,
        token_ttl_s,
    } = Cli::parse().command;
    let config = SandboxConfig {
        listen,
        seed,
        consumers,
        op_delay: Duration::from_millis(op_delay_ms),
        token_ttl: Duration::from_secs(token_ttl_s),
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("d1-sandbox: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Err(error) = sandbox.write_state_dir(&state_dir) {
        eprintln!("d1-sandbox: cannot write {}: {error}", state_dir.display());
        return std::process::ExitCode::FAILURE;
    }
    #[allow(clippy::print_stdout)]
    {
        println!("listening {}", sandbox.origin());
    }
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    sandbox.stop().await;
    std::process::ExitCode::SUCCESS
}
