//! The command line's shape: every command, argument and option `c2p` takes.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    version,
    about = "C2P Care on the command line: search consumers, compare their Click to Pay profiles with the bank's record, opt cards out",
    after_help = "First time, against a running `d1-sandbox serve --state-dir DIR`:\n  c2p env add local --from-sandbox DIR\n  c2p env import-credentials local --cert DIR/client.pem --key DIR/client.key --signing-key DIR/signing.key --api-key-file DIR/issuer-api-key\n  c2p env use local && c2p env test\n\nExit codes: 0 done, 1 failed, 2 usage or invalid input, 3 refused (by D1 or the role policy), 4 outcome unknown, 5 still pending when the wait ended, 130 cancelled at a prompt."
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Environments: list, add, import credentials, test, switch, remove.
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
    /// Show a card's tokens: its Click to Pay token, wallet tokens (a device each) and
    /// merchants' cards on file, the deleted ones too.
    Tokens {
        /// The cardId.
        card_id: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Who did what to a consumer or a card and its tokens: D1's operations, whoever made them
    /// (the bank with its operator, a wallet, a merchant, the network, D1), newest first.
    History {
        /// Whose history.
        what: HistoryTarget,
        /// The consumerId or cardId.
        id: String,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Suspend, resume or delete one of a card's tokens (`c2p tokens CARD_ID` lists them).
    #[command(subcommand)]
    Token(TokenCommand),
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
    /// Operations started from this workstation; follows unfinished ones first. With `--team`,
    /// the whole team's (team mode), with who made each one and where.
    Ops {
        /// Only the unfinished ones.
        #[arg(long)]
        pending: bool,
        /// The team's operations in the environment in use, from the team store.
        #[arg(long, conflicts_with = "watch")]
        team: bool,
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
    /// Team mode: the team store on PostgreSQL (set up by IT, logins, this operator's login,
    /// forwarding the audit trail).
    #[command(subcommand)]
    Team(TeamCommand),
    /// Batch opt-outs of a list of cards and consumers (role fraud): run, resume, list, report.
    #[command(subcommand)]
    Batch(BatchCommand),
    /// Audit the profiles of a list of consumers, or of every consumer a search finds (role
    /// auditor, read-only): a findings CSV and an HTML report.
    AuditProfiles(AuditProfilesArgs),
    /// After a damaged journal or audit log was kept aside at start: begin new ones whose first
    /// record names the file kept aside and its SHA-256 (role admin).
    Recover,
    /// Team mode: a write's claim in the team store.
    #[command(subcommand)]
    Claim(ClaimCommand),
}

#[derive(Subcommand)]
pub(crate) enum ClaimCommand {
    /// Release a claim stuck in UNKNOWN after reconciliation failed, so that its card or consumer
    /// can be written again (role admin, with the database owner's account; recorded).
    Release {
        /// The claim's id.
        id: i64,
        /// Why (kept beside the claim and in the trail; no card numbers).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        owner: OwnerArgs,
    },
}

#[derive(Subcommand)]
pub(crate) enum EnvCommand {
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
        /// The bank's country (ISO 3166-1 alpha-2, e.g. JP): its phone numbers are shown in
        /// national format, others in international format.
        #[arg(long, value_name = "CC")]
        country: Option<String>,
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
    /// Remove an environment and its secrets (not the one in use).
    Remove {
        /// The environment.
        name: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum OptOutCommand {
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
pub(crate) enum TokenCommand {
    /// Suspend a token: its wallet or merchant cannot pay with it until the bank resumes it.
    Suspend {
        /// The token's digitalCardId.
        digital_card_id: String,
        #[command(flatten)]
        write: TokenWriteArgs,
    },
    /// Lift the bank's suspension of a token (one the bank made for fraud: role fraud only).
    Resume {
        /// The token's digitalCardId.
        digital_card_id: String,
        #[command(flatten)]
        write: TokenWriteArgs,
    },
    /// Delete a token for good (a Click to Pay token leaves with `c2p opt-out card` instead).
    Delete {
        /// The token's digitalCardId.
        digital_card_id: String,
        #[command(flatten)]
        write: TokenWriteArgs,
    },
}

#[derive(Args)]
pub(crate) struct TokenWriteArgs {
    /// Why, as D1's reason code: USER_DECISION, DEVICE_LOST, DEVICE_STOLEN, DEVICE_FOUND (any
    /// role that writes); FRAUD_DETECTED, CARD_LOST, CARD_STOLEN, ISSUER_DECISION (role fraud).
    #[arg(long, value_name = "CODE", value_parser = parse_token_reason)]
    pub(crate) reason_code: care::tokens::TokenReason,
    /// Why, in words (1 to 64 letters, digits or spaces; D1 logs it).
    #[arg(long)]
    pub(crate) reason: Option<String>,
    #[command(flatten)]
    pub(crate) follow: FollowArgs,
}

/// A token reason code, as D1 spells it (case and `-` for `_` do not matter).
fn parse_token_reason(text: &str) -> Result<care::tokens::TokenReason, String> {
    let code = text.trim().to_uppercase().replace('-', "_");
    care::tokens::TokenReason::parse(&code).ok_or_else(|| {
        let known: Vec<String> = care::tokens::TokenReason::ALL
            .iter()
            .map(|r| care::wire_name(*r))
            .collect();
        format!("not a token reason code; one of {}", known.join(", "))
    })
}

#[derive(Subcommand)]
pub(crate) enum TeamCommand {
    /// Create or upgrade the team store's schema and roles (IT, once; role admin, with the
    /// database owner's account). Safe to run again.
    Init {
        #[command(flatten)]
        owner: OwnerArgs,
    },
    /// Make a database login for one operator, or for the SIEM feed (role admin).
    AddLogin {
        /// The login (lower-case letters, digits and _).
        login: String,
        /// The operator id it is bound to, as the policy names them.
        #[arg(long, required_unless_present = "siem", conflicts_with = "siem")]
        operator: Option<String>,
        /// An auditor's login: it reads the whole team's trail.
        #[arg(long, conflicts_with_all = ["siem", "fraud"])]
        auditor: bool,
        /// A fraud analyst's login: it makes, runs and takes over the team's batches.
        #[arg(long, conflicts_with = "siem")]
        fraud: bool,
        /// The SIEM feed's login (`c2p team siem`): it reads every record, sends none.
        #[arg(long)]
        siem: bool,
        /// A file holding the new login's password (never on the command line).
        #[arg(long, value_name = "FILE")]
        password_file: PathBuf,
        #[command(flatten)]
        owner: OwnerArgs,
    },
    /// End a login's access: a lost laptop, a leaver (role admin).
    Revoke {
        /// The login.
        login: String,
        #[command(flatten)]
        owner: OwnerArgs,
    },
    /// Keep this operator's team store login (from IT) in the keychain, after checking it.
    ImportCredentials {
        /// The login.
        #[arg(long)]
        login: String,
        /// A file holding its password (never on the command line).
        #[arg(long, value_name = "FILE")]
        password_file: PathBuf,
    },
    /// Send this workstation's audit records that the team store does not hold yet.
    Forward,
    /// Emergency mode (fraud, when the administrators' policy allows it): while the team store
    /// cannot be reached, writes from this workstation go out unclaimed for at most the policy's
    /// time, each flagged in the trail and raised as an alert, and are claimed once the store is
    /// back. Without a subcommand: whether it runs, and until when.
    Emergency {
        #[command(subcommand)]
        command: Option<EmergencyCommand>,
    },
    /// Run the SIEM feed (IT, as a service next to the database): every record and alert of the
    /// team store to the bank's syslog collector as RFC 5424 over TLS, at least once, from a
    /// cursor kept in the database. Its secrets come from files only its account may read
    /// (systemd credentials), never from the command line or the environment.
    Siem(SiemArgs),
    /// Take old months of the trail offline (IT, from a timer, with the database owner's
    /// account): detach the months past the online period, export each to a CSV file with its
    /// SHA-256, and drop a detached month past the retention once its export is sound.
    Retention(RetentionArgs),
}

/// `c2p team retention`'s settings.
#[derive(clap::Args)]
pub(crate) struct RetentionArgs {
    /// Where the exports go (kept by the bank's archive).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Months before the current one that stay online.
    #[arg(long, default_value_t = 3)]
    pub online_months: u32,
    /// Months after which an exported month is dropped from the database.
    #[arg(long, default_value_t = 12)]
    pub retention_months: u32,
    #[command(flatten)]
    pub owner: OwnerArgs,
}

/// `c2p team emergency`'s subcommands.
#[derive(Subcommand)]
pub(crate) enum EmergencyCommand {
    /// Declare it, saying why (no personal data: it goes to the team's trail and its SIEM).
    Start {
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// End it before its time.
    End,
}

/// `c2p team siem`'s settings.
#[derive(clap::Args)]
pub(crate) struct SiemArgs {
    /// The collector: tls://HOST:PORT.
    #[arg(long, value_name = "URL")]
    pub syslog: String,
    /// The CA that signs the collector's certificate (PEM).
    #[arg(long, value_name = "FILE")]
    pub syslog_ca: PathBuf,
    /// The feed's client certificate chain (PEM).
    #[arg(long, value_name = "FILE")]
    pub client_cert: PathBuf,
    /// The feed's client key (PEM; readable by the service's account alone).
    #[arg(long, value_name = "FILE")]
    pub client_key: PathBuf,
    /// The feed's team store login (made with `c2p team add-login NAME --siem`).
    #[arg(long)]
    pub login: String,
    /// A file holding the login's password (readable by the service's account alone).
    #[arg(long, value_name = "FILE")]
    pub password_file: PathBuf,
    /// The cursor's name: one per collector.
    #[arg(long, default_value = "siem")]
    pub feed: String,
}

/// The database owner's account, for the team store's administration.
#[derive(clap::Args)]
pub(crate) struct OwnerArgs {
    /// The database owner's login.
    #[arg(long)]
    pub owner: String,
    /// A file holding the owner's password (never on the command line or in the environment).
    #[arg(long, value_name = "FILE")]
    pub owner_password_file: PathBuf,
}

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk the hash chain and report the first broken record; in team mode, also compare it
    /// with the team store's copy.
    Verify {
        /// Instead, check every workstation's chain in the team store and list its alerts (role
        /// auditor, with an auditor's login).
        #[arg(long)]
        team: bool,
    },
    /// Export the log (role auditor).
    Export {
        /// The format.
        #[arg(long, value_enum, default_value_t = Format::Csv)]
        format: Format,
        /// Where to write it.
        #[arg(long)]
        out: PathBuf,
        /// Only the records holding this text (in the event, id, result, operator, role or
        /// operationId), as the Audit screen's filter.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum Format {
    Csv,
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum TokenBatchAction {
    Suspend,
    Delete,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum HistoryTarget {
    Consumer,
    Card,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum UpdateTarget {
    Consumer,
    Card,
}

#[derive(Args)]
pub(crate) struct WriteArgs {
    /// Why (1 to 64 letters, digits or spaces; D1 logs it).
    #[arg(long)]
    pub(crate) reason: Option<String>,
    /// The consumer asked for it (reason code USER_DECISION instead of ISSUER_DECISION).
    #[arg(long)]
    pub(crate) user_decision: bool,
    #[command(flatten)]
    pub(crate) follow: FollowArgs,
}

/// Whether to ask first, and how long to follow a write.
#[derive(Args)]
pub(crate) struct FollowArgs {
    /// Do not ask for confirmation (required when not on a terminal).
    #[arg(long)]
    pub(crate) yes: bool,
    /// How long to follow the operation until it ends (exit code 5 if it has not ended by then).
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub(crate) wait: u64,
    /// Return as soon as D1 has accepted the write (exit code 0 while it is still pending).
    #[arg(long, conflicts_with = "wait")]
    pub(crate) no_wait: bool,
}

#[derive(Subcommand)]
pub(crate) enum BatchCommand {
    /// Opt out every card and consumer of a list (role `fraud`): dry run, confirmation, run.
    OptOut {
        /// A CSV with a cardId and/or consumerId column, or one `card:ID` / `consumer:ID` per line.
        file: PathBuf,
        /// The free-text reason every opt-out carries (D1: letters, digits and spaces).
        #[arg(long)]
        reason: Option<String>,
        /// The consumers asked for it (USER_DECISION) rather than the bank (ISSUER_DECISION).
        #[arg(long)]
        user_decision: bool,
        /// What a bare id (without `card:` or `consumer:`) is.
        #[arg(long, value_name = "KIND")]
        ids: Option<IdKind>,
        /// Only show what would leave which directory; nothing is sent.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        run: RunArgs,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Suspend or delete the tokens of every card of a list (role `fraud`), optionally only those
    /// of one merchant or token requestor (a breached merchant): the dry run lists the tokens,
    /// one item each; confirmation; run, each token written once.
    Tokens {
        /// One `card:ID` per line, or a CSV with a cardId column.
        file: PathBuf,
        /// What to do to each token.
        #[arg(long, value_enum)]
        action: TokenBatchAction,
        /// Only the tokens of this merchant (merchantId) or token requestor (tokenRequestorId).
        #[arg(long, value_name = "ID")]
        merchant: Option<String>,
        /// D1's reason code (see `c2p token --help`).
        #[arg(long, value_name = "CODE", value_parser = parse_token_reason)]
        reason_code: care::tokens::TokenReason,
        /// The free-text reason every write carries (D1: letters, digits and spaces).
        #[arg(long)]
        reason: Option<String>,
        /// Only list the tokens; nothing is sent.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        run: RunArgs,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
    /// Run a batch again: after a crash, a cancel or a pause, or one made with --dry-run.
    Resume {
        /// The batch (default: the newest that is not done).
        batch: Option<String>,
        #[command(flatten)]
        run: RunArgs,
        /// Do not ask to confirm when the dry run had to be read again.
        #[arg(long)]
        yes: bool,
    },
    /// List the batches of this workstation, or with `--team` the whole fraud team's (team mode),
    /// with their runner and whether it stopped.
    List {
        /// The team's batches, from the team store.
        #[arg(long)]
        team: bool,
    },
    /// Take over a team batch whose runner stopped (its hold ran out) and run it from here
    /// (role `fraud`, team mode): the writes it had on their way are reconciled first.
    Takeover {
        /// The batch.
        batch: String,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Close a batch without sending what it has not sent (what it sent is still followed).
    Discard {
        /// The batch.
        batch: String,
    },
    /// Write a batch's report (CSV): each item with its D1 operationId and final status.
    Report {
        /// The batch.
        batch: String,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
pub(crate) struct RunArgs {
    /// Writes at a time (1 to 32).
    #[arg(long, default_value_t = care::batch::DEFAULT_CONCURRENCY)]
    pub(crate) concurrency: usize,
    /// Also write the final report here (CSV).
    #[arg(long)]
    pub(crate) report: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum IdKind {
    /// Bare ids are cardIds.
    Card,
    /// Bare ids are consumerIds.
    Consumer,
}

#[derive(Args)]
pub(crate) struct AuditProfilesArgs {
    /// One consumerId per line (or a CSV with a consumerId column).
    #[arg(required_unless_present = "query", conflicts_with = "query")]
    pub(crate) file: Option<PathBuf>,
    /// Audit every consumer the bank's search finds for this text instead.
    #[arg(long)]
    pub(crate) query: Option<String>,
    /// Where to write `<id>-findings.csv` and `<id>.html`.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// Consumers read at a time (1 to 32).
    #[arg(long, default_value_t = care::profile_audit::DEFAULT_CONCURRENCY)]
    pub(crate) concurrency: usize,
    /// The HTML report's language.
    #[arg(long, value_enum, default_value_t = ReportLanguage::En)]
    pub(crate) language: ReportLanguage,
}

/// A language the HTML report is written in.
#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ReportLanguage {
    /// English.
    En,
    /// Japanese.
    Ja,
}

impl From<ReportLanguage> for care::environments::Language {
    fn from(language: ReportLanguage) -> Self {
        match language {
            ReportLanguage::En => Self::En,
            ReportLanguage::Ja => Self::Ja,
        }
    }
}
