//! `c2p audit-profiles`: the auditors' read-only audit of a list of consumers, or of every
//! consumer a search matches, written as a findings CSV and a self-contained HTML report.

use care::batch::RunControl;
use care::console::Console;
use care::profile_audit::{AuditProgress, Scope};
use tokio::sync::watch;

use super::{bar, skipped, until_done};
use crate::args::AuditProfilesArgs;
use crate::exit::{self, Failure, Outcome, usage};

/// Runs the audit with a progress bar; Ctrl+C stops reading and reports what was read.
pub async fn run(console: &Console, args: AuditProfilesArgs) -> Outcome {
    let scope = match (&args.file, args.query) {
        (Some(file), _) => Scope::List(care::batch::input::read_list(file)?),
        (None, Some(query)) => Scope::Matching(query),
        (None, None) => return Err(usage("give a FILE of consumerIds or --query TEXT")),
    };
    let (control, receiver) = watch::channel(RunControl::Run);
    let bar = bar(0, "auditing");
    let on_progress = |p: &AuditProgress| {
        bar.set_length(u64::from(p.total));
        bar.set_position(u64::from(p.done));
        bar.set_message(format!(
            "{} with findings, {} not read completely · {:.0}/s",
            p.with_findings, p.unread, p.per_second
        ));
    };
    let audit = until_done(
        console.audit_profiles(&scope, args.concurrency, receiver, &on_progress),
        control,
        "the report covers the consumers read so far",
    )
    .await?;
    bar.finish_and_clear();
    skipped(&audit.invalid);
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
        return Err(Failure::new(
            exit::FAILED,
            format!("{unread} consumers were not read completely: see the report"),
        ));
    }
    Ok(())
}
