//! `c2p audit-profiles`: the auditors' read-only audit of a list of consumers, or of every
//! consumer a search matches, written as a findings CSV and a self-contained HTML report.

use std::path::PathBuf;

use care::batch::RunControl;
use care::console::Console;
use care::environments::Language;
use care::profile_audit::{AuditProgress, DEFAULT_CONCURRENCY, Scope};
use clap::{Args, ValueEnum};
use tokio::sync::watch;

use crate::{Outcome, usage};

#[derive(Args)]
pub struct AuditProfilesArgs {
    /// One consumerId per line (or a CSV with a consumerId column).
    #[arg(required_unless_present = "query", conflicts_with = "query")]
    file: Option<PathBuf>,
    /// Audit every consumer the bank's search finds for this text instead.
    #[arg(long)]
    query: Option<String>,
    /// Where to write `<id>-findings.csv` and `<id>.html`.
    #[arg(long)]
    out: PathBuf,
    /// Consumers read at a time (1 to 32).
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// The HTML report's language.
    #[arg(long, value_enum, default_value_t = ReportLanguage::En)]
    language: ReportLanguage,
}

/// A language the HTML report is written in.
#[derive(Clone, Copy, ValueEnum)]
enum ReportLanguage {
    /// English.
    En,
    /// Japanese.
    Ja,
}

impl From<ReportLanguage> for Language {
    fn from(language: ReportLanguage) -> Self {
        match language {
            ReportLanguage::En => Language::En,
            ReportLanguage::Ja => Language::Ja,
        }
    }
}

/// Runs the audit with a progress bar; Ctrl+C stops reading and reports what was read.
pub async fn run(console: &Console, args: AuditProfilesArgs) -> Outcome {
    let scope = match (&args.file, args.query) {
        (Some(file), _) => Scope::List(care::batch::input::read_list(file)?),
        (None, Some(query)) => Scope::Matching(query),
        (None, None) => return Err(usage("give a FILE of consumerIds or --query TEXT")),
    };
    let (control, receiver) = watch::channel(RunControl::Run);
    let bar = crate::batch::bar(0, "auditing");
    let on_progress = |p: &AuditProgress| {
        bar.set_length(u64::from(p.total));
        bar.set_position(u64::from(p.done));
        bar.set_message(format!(
            "{} with findings, {} not read completely · {:.0}/s",
            p.with_findings, p.unread, p.per_second
        ));
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
        eprintln!("\nstopping: the report covers the consumers read so far");
        let _ = control.send(RunControl::Cancel);
        std::future::pending::<()>().await;
    };
    let audit = tokio::select! {
        audit = console.audit_profiles(&scope, args.concurrency, receiver, &on_progress) => audit?,
        () = stop => unreachable!("stop never ends"),
    };
    bar.finish_and_clear();
    for line in &audit.invalid {
        eprintln!("line {}: {} — skipped: {}", line.line, line.text, line.why);
    }
    let files = console.export_profile_audit(&audit, &args.out, args.language.into())?;
    let unread = audit
        .consumers
        .iter()
        .filter(|c| !c.unread.is_empty())
        .count();
    say!(
        "{}: {} consumers read{}, {} with findings, {} findings, {} not read completely",
        audit.id,
        audit.consumers.len(),
        if audit.cancelled { " (cancelled)" } else { "" },
        audit
            .consumers
            .iter()
            .filter(|c| !c.findings.is_empty())
            .count(),
        audit.findings(),
        unread
    );
    say!("findings: {}", files.csv);
    say!("report:   {}", files.html);
    if unread > 0 {
        return Err(crate::Failure {
            code: 1,
            message: format!("{unread} consumers were not read completely: see the report"),
        });
    }
    Ok(())
}
