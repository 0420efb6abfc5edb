//! The audit log written out for people and other systems: CSV (formula-safe) or JSON lines,
//! oldest record first, what the Audit screen's filter lets through, in pages so that a long
//! log never sits in memory whole.

use serde::Serialize;

use super::chain::{AuditLog, Record};
use super::query::{AuditFilter, Query};
use crate::storage::csv::CsvWriter;
use crate::{Error, Result};

/// The formats the audit log exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub enum ExportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON object per line.
    JsonLines,
}

const CSV_HEADER: [&str; 13] = [
    "seq",
    "time",
    "operator",
    "workstation",
    "event",
    "resource",
    "result",
    "operation_id",
    "correlation_id",
    "prev_hash",
    "hash",
    "version",
    "role",
];

/// One CSV row of the export.
fn csv_row(csv: &mut CsvWriter<&mut dyn std::io::Write>, record: &Record) -> Result<()> {
    let seq = record.seq.to_string();
    let version = record.version.to_string();
    let e = &record.event;
    csv.row(&[
        Some(seq.as_str()),
        Some(record.time.as_str()),
        Some(e.operator.as_str()),
        Some(e.workstation.as_str()),
        Some(e.event.as_str()),
        e.resource.as_deref(),
        Some(e.result.as_str()),
        e.operation_id.as_deref(),
        e.correlation_id.as_deref(),
        Some(record.prev_hash.as_str()),
        Some(record.hash.as_str()),
        Some(version.as_str()),
        e.role.as_deref(),
    ])
}

/// Writes every record `filter` lets through, oldest first, to `out` as `format`; returns how
/// many. `progress` hears (written, total) after each page of a thousand records.
pub fn export(
    log: &AuditLog,
    format: ExportFormat,
    filter: &AuditFilter,
    out: &mut dyn std::io::Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64> {
    let query = Query {
        operator: None,
        filter,
        newest_first: false,
    };
    match format {
        ExportFormat::Csv => {
            let mut csv = CsvWriter::new(out, &CSV_HEADER)?;
            let written = each_record(log, &query, progress, |record| csv_row(&mut csv, record))?;
            csv.finish()?;
            Ok(written)
        }
        ExportFormat::JsonLines => each_record(log, &query, progress, |record| {
            let line = serde_json::to_string(record).map_err(|e| Error::Internal(e.to_string()))?;
            writeln!(out, "{line}")
                .map_err(|e| Error::Internal(format!("cannot write the export: {e}")))
        }),
    }
}

/// Hands every record `query` finds to `write`, a page of a thousand at a time; `progress`
/// hears (written, total) after each page.
fn each_record(
    log: &AuditLog,
    query: &Query<'_>,
    progress: &mut dyn FnMut(u64, u64),
    mut write: impl FnMut(&Record) -> Result<()>,
) -> Result<u64> {
    const PAGE: i64 = 1000;
    let total = log.count_of(query)?;
    let (mut written, mut after) = (0u64, 0);
    loop {
        // Oldest first, by the key: as fast at the end of a long log as at its start.
        let records = log.select_after(query, after, 0, PAGE)?;
        for record in &records {
            write(record)?;
        }
        after = records.last().map_or(after, |r| r.seq);
        written += records.len() as u64;
        progress(written, total.max(written));
        if (records.len() as i64) < PAGE {
            return Ok(written);
        }
    }
}

const TEAM_CSV_HEADER: [&str; 15] = [
    "chain",
    "seq",
    "time",
    "received_at",
    "clock_off",
    "operator",
    "role",
    "workstation",
    "event",
    "resource",
    "result",
    "operation_id",
    "correlation_id",
    "redacted",
    "hash",
];

/// One CSV row of a team export.
fn team_csv_row(
    csv: &mut CsvWriter<impl std::io::Write>,
    r: &team::trail::TeamRecord,
) -> Result<()> {
    let seq = r.seq.to_string();
    let (clock_off, redacted) = (r.clock_off.to_string(), r.redacted.to_string());
    csv.row(&[
        Some(r.chain.as_str()),
        Some(seq.as_str()),
        Some(r.time.as_str()),
        Some(r.received_at.as_str()),
        Some(clock_off.as_str()),
        Some(r.operator.as_str()),
        r.role.as_deref(),
        Some(r.workstation.as_str()),
        Some(r.event.as_str()),
        r.resource.as_deref(),
        Some(r.result.as_str()),
        r.operation_id.as_deref(),
        r.correlation_id.as_deref(),
        Some(redacted.as_str()),
        Some(r.hash.as_str()),
    ])
}

/// Writes every record of the team's trail that `filter` lets through (of those `client`'s
/// login may read), oldest first, to `out` as `format`, a page of a thousand at a time, all
/// read from one snapshot (records arriving meanwhile neither doubled nor half there); returns
/// how many. `progress` hears (written, total) after each page.
pub async fn export_team(
    client: &mut tokio_postgres::Client,
    format: ExportFormat,
    filter: &team::trail::TeamFilter,
    out: &mut (dyn std::io::Write + Send),
    progress: &mut (dyn FnMut(u64, u64) + Send),
) -> Result<u64> {
    const PAGE: i64 = 1000;
    let snapshot = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| Error::from(team::Error::from(e)))?;
    let client = &snapshot;
    let total = team::trail::count(client, filter).await?.unsigned_abs();
    enum Sink<'a> {
        Csv(Box<CsvWriter<&'a mut (dyn std::io::Write + Send)>>),
        Json(&'a mut (dyn std::io::Write + Send)),
    }
    let mut sink = match format {
        ExportFormat::Csv => Sink::Csv(Box::new(CsvWriter::new(out, &TEAM_CSV_HEADER)?)),
        ExportFormat::JsonLines => Sink::Json(out),
    };
    let mut written = 0u64;
    loop {
        let records = team::trail::page(client, filter, written as i64, PAGE, false).await?;
        for record in &records {
            match &mut sink {
                Sink::Csv(csv) => team_csv_row(csv, record)?,
                Sink::Json(out) => {
                    let line = serde_json::to_string(record)
                        .map_err(|e| Error::Internal(e.to_string()))?;
                    writeln!(out, "{line}")
                        .map_err(|e| Error::Internal(format!("cannot write the export: {e}")))?;
                }
            }
        }
        written += records.len() as u64;
        progress(written, total.max(written));
        if (records.len() as i64) < PAGE {
            if let Sink::Csv(csv) = sink {
                csv.finish()?;
            }
            return Ok(written);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit_log::Event;
    use crate::audit_log::chain::tests::{event, log_with};

    #[test]
    fn exports_every_record_as_csv_and_json_lines() {
        let (_dir, _path, log) = log_with(1205);
        log.append(Event {
            resource: Some("=HYPERLINK(\"x\")".into()),
            ..event(9999)
        })
        .unwrap();
        let mut csv = Vec::new();
        let mut heard = Vec::new();
        let mut progress = |written, total| heard.push((written, total));
        assert_eq!(
            export(
                &log,
                ExportFormat::Csv,
                &AuditFilter::default(),
                &mut csv,
                &mut progress
            )
            .unwrap(),
            1206
        );
        assert_eq!(heard, [(1000, 1206), (1206, 1206)]);
        let csv = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 1207);
        assert!(lines[0].starts_with("seq,time,operator"));
        assert!(lines[1].starts_with("\"1\","));
        assert!(
            lines[1206].contains(r#""'=HYPERLINK(""x"")""#),
            "{}",
            lines[1206]
        );
        let mut jsonl = Vec::new();
        export(
            &log,
            ExportFormat::JsonLines,
            &AuditFilter::default(),
            &mut jsonl,
            &mut |_, _| {},
        )
        .unwrap();
        let records: Vec<serde_json::Value> = String::from_utf8(jsonl)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(records.len(), 1206);
        assert_eq!(records[1205]["seq"], 1206);
        assert_eq!(records[0]["operationId"], "op-0");
    }
}
