//! `c2p audit`: verify the audit log's hash chain, or export the log; `c2p recover` after a
//! damaged journal or audit log was kept aside.

use std::io::IsTerminal;

use care::audit_log::ExportFormat;
use care::console::Console;

use crate::args::{AuditCommand, Format};
use crate::exit::{self, Failure, Outcome};
use crate::render;

pub fn run(console: &Console, command: AuditCommand) -> Outcome {
    match command {
        AuditCommand::Verify => {
            let verification = console.audit_verify()?;
            match verification.first_broken {
                None => {
                    say!(
                        "audit log intact: {} records, chain verified",
                        verification.records
                    );
                    Ok(())
                }
                Some(seq) => Err(Failure::new(
                    exit::FAILED,
                    format!(
                        "audit log BROKEN at record {seq} (of {}): records from there on cannot be trusted; keep the file and tell your security team",
                        verification.records
                    ),
                )),
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
