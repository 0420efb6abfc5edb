//! `c2p`: the console on the command line. Same core as the desktop app, the same keychain,
//! operations journal and audit log. Exit codes: 0 done, 1 failed (network, keychain, …),
//! 2 usage or invalid input, 3 refused (by D1 or by the role policy), 4 outcome unknown,
//! 5 still pending when the wait ended, 130 cancelled with Ctrl+C at a prompt.

/// Prints a line to standard output; a closed pipe (`c2p show … | head`) ends the program
/// quietly, as it does for other command-line tools.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

mod args;
mod commands;
mod exit;
mod prompt;
mod render;

use std::process::ExitCode;

use care::console::{Console, Options};
use clap::Parser;

use crate::args::{Cli, Command};
use crate::commands::{audit, audit_profiles, batch, consumer, env, ops, team, write};
use crate::exit::Outcome;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    ExitCode::from(match runtime.block_on(run(cli)) {
        Ok(()) => exit::DONE,
        Err(failure) => {
            // A failure may quote D1's or the bank's words.
            eprintln!("{}", render::inert(&failure.message));
            failure.code
        }
    })
}

/// Opens the console and runs the command.
async fn run(cli: Cli) -> Outcome {
    let dirs = care::storage::AppDirs::resolve()?;
    care::storage::private::harden(&dirs)?;
    let _log = care::logging::init(&dirs.logs)?;
    let policy = care::policy::PolicyPaths::platform(&dirs.config);
    // The SIEM feed and retention are services of their own: no console, no keychain.
    let command = match cli.command {
        Command::Team(args::TeamCommand::Siem(args)) => return team::siem(&policy, args).await,
        Command::Team(args::TeamCommand::Retention(args)) => {
            return team::retention(&policy, args).await;
        }
        command => command,
    };
    let console = Console::open(Options {
        policy,
        vault: care::credentials::Vault::platform(),
        dirs,
        identity: care::policy::Identity::of_this_process()?,
    })?;
    #[cfg(feature = "test-hooks")]
    let console = test_settle(console);
    // Team mode: the trail goes to the team store before the command (so that a write is not
    // held for a backlog another command left) and after it.
    let forwards = !matches!(command, Command::Team(_));
    if forwards {
        let _ = forward(&console).await;
    }
    let outcome = run_command(&console, command).await;
    // Team mode: the store told how this command's writes ended (one it misses is told by the
    // next command or the desktop console).
    let _ = tokio::time::timeout(FORWARD_WAIT, console.team_outcomes_told()).await;
    if forwards && let Err(why) = forward(&console).await {
        eprintln!(
            "warning: this command's audit records could not be sent to the team store ({why}); the next command or the desktop console sends them"
        );
    }
    outcome
}

/// Test builds only (cargo feature `test-hooks`, which no shipped build enables): the tracker's
/// settle time from `C2P_TEST_SETTLE_MS`, so that a test taking a batch over need not wait
/// minutes before a write D1 never saw is called not applied.
#[cfg(feature = "test-hooks")]
fn test_settle(console: Console) -> Console {
    match std::env::var("C2P_TEST_SETTLE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
    {
        Some(ms) => console.with_settle(std::time::Duration::from_millis(ms)),
        None => console,
    }
}

/// How long a command waits for the team store before it goes on without it.
const FORWARD_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// In team mode, sends the audit records the team store lacks; the reason when it could not.
async fn forward(console: &Console) -> Result<(), String> {
    match tokio::time::timeout(FORWARD_WAIT, console.forward_if_team_mode()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer in {} s", FORWARD_WAIT.as_secs())),
    }
}

/// Runs `command`.
async fn run_command(console: &Console, command: Command) -> Outcome {
    match command {
        Command::Env(command) => env::run(console, command).await,
        Command::Search { text, json } => consumer::search(console, &text, json).await,
        Command::Show { consumer_id, json } => consumer::show(console, &consumer_id, json).await,
        Command::Tokens { card_id, json } => consumer::tokens(console, &card_id, json).await,
        Command::OptOut(command) => write::opt_out(console, command).await,
        Command::Token(command) => write::token(console, command).await,
        Command::History { what, id, json } => consumer::history(console, what, &id, json).await,
        Command::Enrol { card_id, write } => write::enrol(console, card_id, write).await,
        Command::Update { what, id, write } => write::update(console, what, id, write).await,
        Command::Ops {
            team: true,
            pending,
            limit,
            ..
        } => ops::team(console, pending, limit).await,
        Command::Ops {
            pending,
            watch,
            limit,
            ..
        } => ops::run(console, pending, watch, limit).await,
        Command::Audit(command) => audit::run(console, command).await,
        Command::Team(command) => team::run(console, command).await,
        Command::Batch(command) => batch::run(console, command).await,
        Command::AuditProfiles(args) => audit_profiles::run(console, args).await,
        Command::Recover => audit::recover(console),
        Command::Claim(command) => team::claim(console, command).await,
    }
}
