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

mod audit_profiles;
mod batch;
mod passphrase;
mod render;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use care::audit_log::ExportFormat;
use care::console::{Console, Options};
use care::credentials::{ImportRequest, MtlsSource};
use care::environments::{Environment, EnvironmentForm};
use care::journal::{Entry, State};
use care::writes::{WriteKind, WriteRequest};
use care::{Error, ErrorCode};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    version,
    about = "C2P Care on the command line: search consumers, compare their Click to Pay profiles with the bank's record, opt cards out",
    after_help = "First time, against a running `d1-sandbox serve --state-dir DIR`:\n  c2p env add local --from-sandbox DIR\n  c2p env import-credentials local --cert DIR/client.pem --key DIR/client.key --signing-key DIR/signing.key --api-key-file DIR/issuer-api-key\n  c2p env use local && c2p env test\n\nExit codes: 0 done, 1 failed, 2 usage or invalid input, 3 refused (by D1 or the role policy), 4 outcome unknown, 5 still pending when the wait ended, 130 cancelled at a prompt."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Environments: list, add, import credentials, test, switch.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Search the bank's consumers by consumerId, cardId, name (any script), e-mail, phone or last 4.
    Search {
        /// What to look for.
        text: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Show a consumer: the bank's record beside each directory's profile, and the findings.
    Show {
        /// The consumerId.
        consumer_id: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Opt a card or a consumer out of Click to Pay.
    #[command(subcommand)]
    OptOut(OptOutCommand),
    /// Enrol a card again (with the bank's cardholder name for Visa).
    Enrol {
        /// The cardId.
        card_id: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Push the bank's record to the directories (the fix for a contact or address finding).
    Update {
        /// What to update.
        what: UpdateTarget,
        /// The consumerId or cardId.
        id: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Operations started from this workstation; follows unfinished ones first.
    Ops {
        /// Only the unfinished ones.
        #[arg(long)]
        pending: bool,
        /// Keep following unfinished operations until they end (at most this many seconds).
        #[arg(long, value_name = "SECONDS")]
        watch: Option<u64>,
        /// How many to list.
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// The audit log: verify the chain or export it.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Batch opt-outs of a list of cards and consumers (role fraud): run, resume, list, report.
    #[command(subcommand)]
    Batch(batch::BatchCommand),
    /// Audit the profiles of a list of consumers, or of every consumer a search finds (role
    /// auditor, read-only): a findings CSV and an HTML report.
    AuditProfiles(audit_profiles::AuditProfilesArgs),
}

#[derive(Subcommand)]
enum EnvCommand {
    /// List environments.
    List,
    /// Add (or replace) an environment.
    Add {
        /// Its name.
        name: String,
        /// Read every URL, the issuerId, the kid and the CA from a `d1-sandbox serve` state dir.
        #[arg(long, value_name = "DIR", conflicts_with_all = ["base_url", "token_url", "records_url", "issuer_id", "kid", "ca"])]
        from_sandbox: Option<PathBuf>,
        /// Banking API base URL (…/banking/v1).
        #[arg(long, required_unless_present = "from_sandbox")]
        base_url: Option<String>,
        /// Token endpoint URL.
        #[arg(long, required_unless_present = "from_sandbox")]
        token_url: Option<String>,
        /// The bank's issuer-records API base URL.
        #[arg(long, required_unless_present = "from_sandbox")]
        records_url: Option<String>,
        /// The issuerId (10 characters).
        #[arg(long, required_unless_present = "from_sandbox")]
        issuer_id: Option<String>,
        /// The signing key's key id.
        #[arg(long, required_unless_present = "from_sandbox")]
        kid: Option<String>,
        /// A CA certificate (PEM) to trust instead of the system's roots.
        #[arg(long)]
        ca: Option<PathBuf>,
    },
    /// Check credentials and store them: keys in the OS keychain, the certificate in settings.
    ImportCredentials {
        /// The environment.
        name: String,
        /// The client certificate chain (PEM, or one DER certificate).
        #[arg(long, requires = "key", conflicts_with = "p12")]
        cert: Option<PathBuf>,
        /// The client private key (PEM or DER).
        #[arg(long)]
        key: Option<PathBuf>,
        /// A PKCS#12 bundle with the client key and certificate (passphrase asked, or read from stdin).
        #[arg(long)]
        p12: Option<PathBuf>,
        /// The ES256 signing key (PEM or DER).
        #[arg(long)]
        signing_key: PathBuf,
        /// A file holding the issuer-records API key.
        #[arg(long)]
        api_key_file: PathBuf,
    },
    /// Test the connection: TLS handshake, token, one read.
    Test {
        /// The environment (default: the one in use).
        name: Option<String>,
    },
    /// Switch to an environment.
    Use {
        /// The environment.
        name: String,
    },
    /// Remove an environment's secrets from the keychain.
    RemoveCredentials {
        /// The environment.
        name: String,
    },
}

#[derive(Subcommand)]
enum OptOutCommand {
    /// Opt one card out (its consumer leaves a directory with their last card there).
    Card {
        /// The cardId.
        card_id: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Opt a consumer and all their cards out of every directory.
    Consumer {
        /// The consumerId.
        consumer_id: String,
        #[command(flatten)]
        write: WriteArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and report the first broken record.
    Verify,
    /// Export the log (role auditor).
    Export {
        /// The format.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
enum UpdateTarget {
    Consumer,
    Card,
}

#[derive(Args)]
struct WriteArgs {
    /// Why (1 to 64 letters, digits or spaces; D1 logs it).
    #[arg(long)]
    reason: Option<String>,
    /// The consumer asked for it (reason code USER_DECISION instead of ISSUER_DECISION).
    #[arg(long)]
    user_decision: bool,
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long)]
    yes: bool,
    /// How long to follow the operation until it ends (exit code 5 if it has not ended by then).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    wait: u64,
    /// Return as soon as D1 has accepted the write (exit code 0 while it is still pending).
    #[arg(long, conflicts_with = "wait")]
    no_wait: bool,
}

/// A failure with its exit code.
pub(crate) struct Failure {
    pub(crate) code: u8,
    pub(crate) message: String,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = match error.code() {
            ErrorCode::InvalidInput | ErrorCode::NotFound => 2,
            ErrorCode::Forbidden | ErrorCode::Rejected | ErrorCode::AlreadyInProgress => 3,
            ErrorCode::OutcomeUnknown => 4,
            _ => 1,
        };
        Failure {
            code,
            message: format!("error [{:?}]: {error}", error.code()),
        }
    }
}

pub(crate) fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

pub(crate) type Outcome = std::result::Result<(), Failure>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

async fn run(cli: Cli) -> Outcome {
    let dirs = care::storage::AppDirs::resolve()?;
    let _log = care::logging::init(&dirs.logs)?;
    let console = Console::open(Options {
        policy: care::policy::PolicyPaths::platform(&dirs.config),
        vault: care::credentials::Vault::platform(),
        dirs,
    })?;
    match cli.command {
        Command::Env(command) => env(&console, command).await,
        Command::Batch(command) => batch::run(&console, command).await,
        Command::AuditProfiles(args) => audit_profiles::run(&console, args).await,
        Command::Search { text, json } => {
            let found = console.search(&text, 50).await?;
            match json {
                true => print_json(&found),
                false => render::search(&found),
            }
            Ok(())
        }
        Command::Show { consumer_id, json } => {
            let view = console.consumer_view(&consumer_id).await?;
            match json {
                true => print_json(&view),
                false => render::consumer(&view),
            }
            Ok(())
        }
        Command::OptOut(OptOutCommand::Card { card_id, write }) => {
            let prompt = format!("Opt card {card_id} out of Click to Pay?");
            do_write(&console, WriteKind::OptOutCard, card_id, write, &prompt).await
        }
        Command::OptOut(OptOutCommand::Consumer { consumer_id, write }) => {
            let removals = console.opt_out_preview(&consumer_id, None).await?;
            render::removals(&removals);
            let prompt =
                format!("Opt consumer {consumer_id} and all their cards out of every directory?");
            do_write(
                &console,
                WriteKind::OptOutConsumer,
                consumer_id,
                write,
                &prompt,
            )
            .await
        }
        Command::Enrol { card_id, write } => {
            let prompt = format!("Enrol card {card_id} in Click to Pay?");
            do_write(&console, WriteKind::EnrolCard, card_id, write, &prompt).await
        }
        Command::Update { what, id, write } => {
            let (kind, prompt) = match what {
                UpdateTarget::Consumer => (
                    WriteKind::UpdateConsumer,
                    format!(
                        "Replace consumer {id}'s details in every directory with the bank's record?"
                    ),
                ),
                UpdateTarget::Card => (
                    WriteKind::UpdateCard,
                    format!(
                        "Replace card {id}'s billing address (and Visa cardholder name) with the bank's record?"
                    ),
                ),
            };
            do_write(&console, kind, id, write, &prompt).await
        }
        Command::Ops {
            pending,
            watch,
            limit,
        } => {
            let open = console
                .track_until_settled(Duration::from_secs(watch.unwrap_or(0)), render::change)
                .await?;
            let state = pending.then_some(());
            let entries: Vec<Entry> = console
                .operations(None, limit)?
                .into_iter()
                .filter(|e| state.is_none() || !e.state.is_final())
                .collect();
            render::operations(&entries);
            if open > 0 {
                say!(
                    "{open} operation(s) not finished yet: run `c2p ops --watch 60` to follow them"
                );
            }
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => {
            let verification = console.audit_verify()?;
            match verification.first_broken {
                None => {
                    say!(
                        "audit log intact: {} records, chain verified",
                        verification.records
                    );
                    Ok(())
                }
                Some(seq) => Err(Failure {
                    code: 1,
                    message: format!(
                        "audit log BROKEN at record {seq} (of {}): records from there on cannot be trusted; keep the file and tell your security team",
                        verification.records
                    ),
                }),
            }
        }
        Command::Audit(AuditCommand::Export { format, out }) => {
            let format = match format {
                Format::Csv => ExportFormat::Csv,
                Format::Jsonl => ExportFormat::JsonLines,
            };
            let count = console.audit_export(format, &out, &mut |written, total| {
                if std::io::stderr().is_terminal() {
                    eprint!("\rexported {written} of {total} records");
                }
            })?;
            if std::io::stderr().is_terminal() {
                eprintln!();
            }
            say!("exported {count} records to {}", out.display());
            Ok(())
        }
    }
}

async fn env(console: &Console, command: EnvCommand) -> Outcome {
    match command {
        EnvCommand::List => {
            render::environments(&console.environments().await?);
            if let Err(error) = console.keychain_status() {
                eprintln!("warning: {error}");
            }
            Ok(())
        }
        EnvCommand::Add {
            name,
            from_sandbox,
            base_url,
            token_url,
            records_url,
            issuer_id,
            kid,
            ca,
        } => {
            let environment = match from_sandbox {
                Some(dir) => from_sandbox_state(&name, &dir)?,
                None => EnvironmentForm {
                    name: name.clone(),
                    base_url: base_url.unwrap_or_default(),
                    token_url: token_url.unwrap_or_default(),
                    issuer_records_url: records_url.unwrap_or_default(),
                    issuer_id: issuer_id.unwrap_or_default(),
                    kid: kid.unwrap_or_default(),
                    ca_file: ca.map(|path| path.display().to_string()),
                }
                .into_environment()?,
            };
            console.add_environment(environment)?;
            say!("environment {name} added; next: c2p env import-credentials {name} …");
            Ok(())
        }
        EnvCommand::ImportCredentials {
            name,
            cert,
            key,
            p12,
            signing_key,
            api_key_file,
        } => {
            let mtls = match (cert, key, p12) {
                (Some(chain), Some(key), None) => MtlsSource::Pem { chain, key },
                (None, None, Some(bundle)) => MtlsSource::Pkcs12 {
                    bundle,
                    passphrase: passphrase::read_unless_interrupted("PKCS#12 passphrase: ")
                        .await
                        .map_err(|e| usage(format!("cannot read the passphrase: {e}")))?
                        .ok_or_else(|| Failure {
                            code: 130,
                            message: "cancelled: nothing was imported".into(),
                        })?,
                },
                _ => return Err(usage("give --cert and --key, or --p12")),
            };
            let request = ImportRequest {
                mtls,
                signing_key,
                issuer_api_key: care::credentials::read_api_key(&api_key_file)?,
            };
            let (subject, not_after) = console.import_credentials(&name, request).await?;
            say!(
                "credentials for {name} stored in the OS keychain ({subject}, certificate valid until {not_after})"
            );
            say!("the source files were not copied: keep or destroy them as your policy says");
            Ok(())
        }
        EnvCommand::Test { name } => {
            let name = match name {
                Some(name) => name,
                None => active(console).await?,
            };
            let steps = console.test_connection(&name).await?;
            render::steps(&steps);
            match steps.iter().all(|s| s.ok) {
                true => Ok(()),
                false => Err(Failure {
                    code: 1,
                    message: format!("environment {name}: the connection test failed"),
                }),
            }
        }
        EnvCommand::Use { name } => {
            console.use_environment(&name).await?;
            say!("now using {name}");
            Ok(())
        }
        EnvCommand::RemoveCredentials { name } => {
            console.remove_credentials(&name).await?;
            say!("credentials for {name} removed from the OS keychain");
            Ok(())
        }
    }
}

async fn active(console: &Console) -> Result<String, Failure> {
    console
        .environments()
        .await?
        .into_iter()
        .find(|e| e.active)
        .map(|e| e.environment.name)
        .ok_or_else(|| usage("no environment in use: run `c2p env use NAME`"))
}

/// An environment from the `sandbox.json` and `server-ca.pem` that `d1-sandbox serve` wrote.
fn from_sandbox_state(name: &str, dir: &std::path::Path) -> Result<Environment, Failure> {
    let summary: serde_json::Value = serde_json::from_str(&care::credentials::read_text(
        &dir.join("sandbox.json"),
        "sandbox summary",
    )?)
    .map_err(|e| usage(format!("{}/sandbox.json is not valid: {e}", dir.display())))?;
    let field = |key: &str| {
        summary[key]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| usage(format!("{}/sandbox.json has no {key}", dir.display())))
    };
    Ok(Environment {
        name: name.to_owned(),
        base_url: field("baseUrl")?,
        token_url: field("tokenUrl")?,
        issuer_records_url: field("issuerRecordsUrl")?,
        issuer_id: field("issuerId")?,
        kid: field("kid")?,
        trusted_ca_pem: Some(care::environments::read_ca(&dir.join("server-ca.pem"))?),
        client_chain_pem: None,
        certificate_not_after: None,
        simulated: true,
    })
}

pub(crate) fn confirm(prompt: &str, yes: bool) -> Outcome {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage("not on a terminal: add --yes to confirm this write"));
    }
    eprint!("{prompt} Type yes to continue: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| usage(format!("cannot read the answer: {e}")))?;
    match answer.trim() {
        "yes" => Ok(()),
        _ => Err(usage("not confirmed; nothing was sent")),
    }
}

async fn do_write(
    console: &Console,
    kind: WriteKind,
    target: String,
    args: WriteArgs,
    prompt: &str,
) -> Outcome {
    confirm(prompt, args.yes)?;
    let entry = console
        .write(WriteRequest {
            kind,
            target,
            reason: args.reason,
            user_decision: args.user_decision,
        })
        .await?;
    render::change(&entry);
    let last = if args.no_wait || entry.state.is_final() {
        entry
    } else {
        console
            .track_until_final(entry.id, Duration::from_secs(args.wait), |changed| {
                if changed.id == entry.id {
                    render::change(changed);
                }
            })
            .await?
    };
    match last.state {
        State::Successful => Ok(()),
        State::Pending | State::Intent if args.no_wait => Ok(()),
        State::Pending | State::Intent => Err(Failure {
            code: 5,
            message: format!(
                "still pending after {} s: D1 accepted the request and has not finished it; it will not be sent again. Run `c2p ops --watch 60` to follow it",
                args.wait
            ),
        }),
        State::Failed => Err(Failure {
            code: 3,
            message: format!(
                "refused: {}",
                last.detail.as_deref().unwrap_or("D1 reported the operation FAILED")
            ),
        }),
        State::Unknown => Err(Failure {
            code: 4,
            message: "outcome unknown: the request may have been applied; it will not be sent again. Run `c2p ops --watch 60` to resolve it".into(),
        }),
    }
}

fn print_json(value: &impl serde::Serialize) {
    say!(
        "{}",
        serde_json::to_string_pretty(value).expect("serializable")
    );
}
