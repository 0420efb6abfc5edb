//! `c2p audit`: verify the audit log's hash chain, or export the log; `c2p recover` after a
//! damaged journal or audit log was kept aside.

use std::io::IsTerminal;

use care::audit_log::ExportFormat;
use care::console::Console;

use crate::args::{AuditCommand, Format};
use crate::exit::{self, Failure, Outcome};
use crate::render;

pub async fn run(console: &Console, command: AuditCommand) -> Outcome {
    match command {
        AuditCommand::Verify { team: true } => verify_team(console).await,
        AuditCommand::Verify { team: false } => {
            let verification = console.audit_verify().await?;
            if let Some(seq) = verification.first_broken {
                return Err(Failure::new(
                    exit::FAILED,
                    format!(
                        "audit log BROKEN at record {seq} (of {}): records from there on cannot be trusted; keep the file and tell your security team",
                        verification.records
                    ),
                ));
            }
            say!(
                "audit log intact: {} records, chain verified",
                verification.records
            );
            let Some(centre) = verification.centre else {
                return Ok(());
            };
            if !centre.checked {
                say!(
                    "not compared with the team store: {}",
                    render::inert(centre.problem.as_deref().unwrap_or_default())
                );
                return Ok(());
            }
            if centre.findings.is_empty() {
                say!(
                    "team store: holds the same chain ({} records)",
                    centre.central_records
                );
            }
            for finding in &centre.findings {
                say!("team store: {finding}");
            }
            match centre.findings.iter().any(|f| f.is_tampering()) {
                true => Err(Failure::new(
                    exit::FAILED,
                    "this workstation's audit log does not match the team store's copy: keep the file and tell your security team",
                )),
                false => Ok(()),
            }
        }
        AuditCommand::Export {
            format,
            out,
            filter,
        } => {
            let filter = care::audit_log::AuditFilter {
                text: filter.unwrap_or_default(),
                events: Vec::new(),
            };
            let format = match format {
                Format::Csv => ExportFormat::Csv,
                Format::Jsonl => ExportFormat::JsonLines,
            };
            let count = console.audit_export(format, &filter, &out, &mut |written, total| {
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

/// `c2p recover`: new files where damaged ones were kept aside, each named in the new trail.
pub fn recover(console: &Console) -> Outcome {
    let recovered = console.recover()?;
    if recovered.is_empty() {
        say!("nothing to recover: no file was kept aside");
    }
    for done in recovered {
        say!(
            "{} begins again; the damaged file is kept as {}: {}",
            done.aside.original.display(),
            done.aside.kept_as.display(),
            render::inert(&done.recorded)
        );
    }
    say!("restart the console (close every window of it) to use the new files");
    Ok(())
}

/// `c2p audit verify --team`: every chain in the team store, then its alerts.
async fn verify_team(console: &Console) -> Outcome {
    let found = console.audit_verify_team().await?;
    for report in &found.chains {
        let chain = &report.summary;
        let state = match (report.first_gap, report.first_broken) {
            (None, None) => "intact".to_owned(),
            (gap, broken) => [
                gap.map(|seq| format!("GAP: record {seq} missing")),
                broken.map(|seq| format!("BROKEN at record {seq}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; "),
        };
        let unverified = match report.unverified {
            0 => String::new(),
            n => format!(", {n} redacted records whose hash the store cannot check"),
        };
        say!(
            "chain {} ({} on {}, operator {}): {} records online of {}, {state}{unverified}",
            render::inert(&chain.chain),
            render::inert(&chain.account),
            render::inert(&chain.workstation),
            render::inert(&chain.operator),
            report.records,
            chain.last_seq
        );
    }
    say!("alerts: {}", found.alerts.len());
    for alert in &found.alerts {
        say!(
            "  {} {} (login {}): {}",
            alert.at,
            render::inert(&alert.kind),
            render::inert(&alert.login),
            render::inert(&alert.detail)
        );
    }
    if !found.chains.iter().all(|c| c.intact()) {
        return Err(Failure::new(
            exit::FAILED,
            "a chain in the team store is broken or has a gap: tell your security team",
        ));
    }
    match found.alerts.iter().any(|a| a.is_critical()) {
        true => Err(Failure::new(
            exit::FAILED,
            "the team store raised critical alerts (above): tell your security team",
        )),
        false => Ok(()),
    }
}
