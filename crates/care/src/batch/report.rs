//! A batch's report: every item as a CSV row, with its status, D1's operationId, the
//! correlation id and the detail (why it failed, or how it was resolved).

use std::io::Write;

use crate::journal::{Item, TargetKind};
use crate::storage::csv::CsvWriter;
use crate::{Result, wire_name};

/// Writes `items` as CSV to `out`; returns how many.
pub fn csv(items: &[Item], out: &mut dyn Write) -> Result<usize> {
    let header = [
        "line",
        "kind",
        "id",
        "status",
        "operationId",
        "correlationId",
        "detail",
    ];
    let mut csv = CsvWriter::new(out, &header)?;
    for item in items {
        let entry = item.intent.as_ref();
        let detail = item
            .skip
            .as_deref()
            .or_else(|| entry.and_then(|e| e.detail.as_deref()))
            .unwrap_or("");
        let line = item.line.to_string();
        let status = wire_name(item.status());
        let fields = [
            Some(line.as_str()),
            Some(match item.kind {
                TargetKind::Card => "card",
                TargetKind::Consumer => "consumer",
                TargetKind::Token => "token",
            }),
            Some(item.target.as_str()),
            Some(status.as_str()),
            entry.and_then(|e| e.operation_id.as_deref()),
            entry.map(|e| e.intent.correlation_id.as_str()),
            Some(detail),
        ];
        csv.row(&fields)?;
    }
    csv.finish()?;
    Ok(items.len())
}
