//! A profile audit's exports: a CSV of findings (one row per finding, and one per side that
//! could not be read) and a self-contained HTML report: summary counts by finding type and
//! directory, a bar chart of findings by type (inline SVG), then the table. The HTML loads
//! nothing: its content security policy forbids any fetch, and every value is escaped text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::Result;
use crate::batch::profile_audit::{ProfileAudit, kind_name};
use crate::console::Console;
use crate::csv::row;
use crate::exports::write_whole;
use crate::findings::Severity;
use crate::policy::Action;

/// Where a report was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReportFiles {
    /// The findings, one per row.
    pub csv: String,
    /// The report to open in a browser.
    pub html: String,
}

const CSV_HEADER: &str = "consumerId,finding,severity,directory,cardId,field,suggestedAction,note";

/// The findings CSV.
pub fn csv(audit: &ProfileAudit) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for consumer in &audit.consumers {
        for f in &consumer.findings {
            let fields = [
                Some(consumer.consumer_id.as_str()),
                Some(&kind_name(f.kind)),
                Some(severity_name(f.severity)),
                f.scheme.as_deref(),
                f.card_id.as_deref(),
                f.field.as_deref(),
                Some(&enum_name(&f.action)),
                None,
            ];
            out.push_str(&row(&fields));
            out.push('\n');
        }
        for unread in &consumer.unread {
            let side = (unread.side != "ALL").then_some(unread.side.as_str());
            let fields = [
                Some(consumer.consumer_id.as_str()),
                Some("NOT_READ"),
                None,
                side,
                None,
                None,
                None,
                Some(unread.why.as_str()),
            ];
            out.push_str(&row(&fields));
            out.push('\n');
        }
    }
    out
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "INFO",
        Severity::Warning => "WARNING",
        Severity::Critical => "CRITICAL",
    }
}

fn enum_name(value: &impl serde::Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// `text` safe inside HTML text and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The colour of a bar: the most serious severity of that finding kind.
fn colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#b3261e",
        Severity::Warning => "#c77700",
        Severity::Info => "#2f6fb0",
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2rem;color:#1b1b1f;max-width:72rem}\
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}\
table{border-collapse:collapse;margin:.5rem 0;width:100%}\
th,td{border:1px solid #c4c6cf;padding:.3rem .5rem;text-align:left;overflow-wrap:break-word}\
th{background:#eef0f6}td.n{text-align:right;font-variant-numeric:tabular-nums}\
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:bold}\
.CRITICAL{color:#b3261e;font-weight:bold}.WARNING{color:#8a5300}";

/// The self-contained HTML report.
pub fn html(audit: &ProfileAudit) -> String {
    let mut page = String::new();
    let title = format!("Profile audit {}", audit.id);
    let _ = write!(
        page,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1>",
        t = escape(&title)
    );
    summary(&mut page, audit);
    let (counts, severities) = by_kind(audit);
    page.push_str("<h2>Findings by type</h2>");
    chart(&mut page, &counts, &severities);
    by_directory(&mut page, audit);
    table(&mut page, audit);
    page.push_str("</body></html>\n");
    page
}

fn summary(page: &mut String, audit: &ProfileAudit) {
    let with_findings = audit
        .consumers
        .iter()
        .filter(|c| !c.findings.is_empty())
        .count();
    let unread = audit
        .consumers
        .iter()
        .filter(|c| !c.unread.is_empty())
        .count();
    let items = [
        ("Environment", audit.environment.clone()),
        ("Operator", audit.operator.clone()),
        ("Consumers", audit.scope.clone()),
        ("Started", audit.started_at.clone()),
        ("Finished", audit.finished_at.clone()),
        (
            "Consumers read",
            format!(
                "{}{}",
                audit.consumers.len(),
                if audit.cancelled { " (cancelled)" } else { "" }
            ),
        ),
        ("With findings", with_findings.to_string()),
        ("Not read completely", unread.to_string()),
        ("Findings", audit.findings().to_string()),
        ("Invalid lines skipped", audit.invalid.len().to_string()),
    ];
    page.push_str("<dl>");
    for (term, value) in items {
        let _ = write!(page, "<dt>{term}</dt><dd>{}</dd>", escape(&value));
    }
    page.push_str("</dl>");
}

/// Findings per kind, and the most serious severity seen for each.
fn by_kind(audit: &ProfileAudit) -> (BTreeMap<String, usize>, BTreeMap<String, Severity>) {
    let mut counts = BTreeMap::new();
    let mut severities: BTreeMap<String, Severity> = BTreeMap::new();
    for finding in audit.consumers.iter().flat_map(|c| &c.findings) {
        let kind = kind_name(finding.kind);
        *counts.entry(kind.clone()).or_default() += 1;
        let worst = severities.entry(kind).or_insert(finding.severity);
        *worst = (*worst).max(finding.severity);
    }
    (counts, severities)
}

/// A horizontal bar chart as inline SVG.
fn chart(
    page: &mut String,
    counts: &BTreeMap<String, usize>,
    severities: &BTreeMap<String, Severity>,
) {
    if counts.is_empty() {
        page.push_str("<p>No findings.</p>");
        return;
    }
    const LABEL: usize = 270;
    const BARS: usize = 400;
    const ROW: usize = 30;
    let most = counts.values().copied().max().unwrap_or(1).max(1);
    let height = ROW * counts.len() + 10;
    let _ = write!(
        page,
        "<svg role=\"img\" aria-label=\"Findings by type\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        w = LABEL + BARS + 60
    );
    for (i, (kind, count)) in counts.iter().enumerate() {
        let y = i * ROW + 5;
        let width = (BARS * count / most).max(2);
        let fill = colour(severities.get(kind).copied().unwrap_or(Severity::Info));
        let _ = write!(
            page,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" font-size=\"13\">{k}</text>\
             <rect x=\"{LABEL}\" y=\"{y}\" width=\"{width}\" height=\"{h}\" fill=\"{fill}\"/>\
             <text x=\"{cx}\" y=\"{ty}\" font-size=\"13\">{count}</text>",
            lx = LABEL - 8,
            ty = y + 16,
            k = escape(kind),
            h = ROW - 8,
            cx = LABEL + width + 6,
        );
    }
    page.push_str("</svg>");
    let _ = write!(
        page,
        "<p>Bar colour: the most serious severity of that type: \
         <span style=\"color:{}\">&#9632; critical</span>, \
         <span style=\"color:{}\">&#9632; warning</span>, \
         <span style=\"color:{}\">&#9632; information</span>.</p>",
        colour(Severity::Critical),
        colour(Severity::Warning),
        colour(Severity::Info)
    );
}

fn by_directory(page: &mut String, audit: &ProfileAudit) {
    let counts = audit.counts();
    if counts.is_empty() {
        return;
    }
    let directories: BTreeSet<Option<String>> = counts.keys().map(|(_, d)| d.clone()).collect();
    let kinds: BTreeSet<&String> = counts.keys().map(|(k, _)| k).collect();
    page.push_str("<h2>By type and directory</h2><table><thead><tr><th>Finding</th>");
    for directory in &directories {
        let _ = write!(
            page,
            "<th>{}</th>",
            escape(directory.as_deref().unwrap_or("Bank / all"))
        );
    }
    page.push_str("<th>Total</th></tr></thead><tbody>");
    for kind in kinds {
        let _ = write!(page, "<tr><td>{}</td>", escape(kind));
        let mut total = 0;
        for directory in &directories {
            let count = counts
                .get(&(kind.clone(), directory.clone()))
                .copied()
                .unwrap_or(0);
            total += count;
            let _ = write!(page, "<td class=\"n\">{count}</td>");
        }
        let _ = write!(page, "<td class=\"n\">{total}</td></tr>");
    }
    page.push_str("</tbody></table>");
}

fn table(page: &mut String, audit: &ProfileAudit) {
    page.push_str(
        "<h2>Findings</h2><table><thead><tr><th>Consumer</th><th>Finding</th><th>Severity</th>\
         <th>Directory</th><th>Card</th><th>Field</th><th>Suggested action</th></tr></thead><tbody>",
    );
    for consumer in &audit.consumers {
        for f in &consumer.findings {
            let severity = severity_name(f.severity);
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td class=\"{severity}\">{severity}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&consumer.consumer_id),
                escape(&kind_name(f.kind)),
                escape(f.scheme.as_deref().unwrap_or("")),
                escape(f.card_id.as_deref().unwrap_or("")),
                escape(f.field.as_deref().unwrap_or("")),
                escape(&enum_name(&f.action)),
            );
        }
    }
    page.push_str("</tbody></table>");
    let unread: Vec<_> = audit
        .consumers
        .iter()
        .flat_map(|c| c.unread.iter().map(move |u| (c, u)))
        .collect();
    if !unread.is_empty() {
        page.push_str(
            "<h2>Not read</h2><table><thead><tr><th>Consumer</th><th>Side</th><th>Why</th>\
             </tr></thead><tbody>",
        );
        for (consumer, u) in unread {
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&consumer.consumer_id),
                escape(&u.side),
                escape(&u.why)
            );
        }
        page.push_str("</tbody></table>");
    }
    if !audit.invalid.is_empty() {
        page.push_str(
            "<h2>Invalid lines skipped</h2><table><thead><tr><th>Line</th><th>Text</th><th>Why</th>\
             </tr></thead><tbody>",
        );
        for line in &audit.invalid {
            let _ = write!(
                page,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                line.line,
                escape(&line.text),
                escape(&line.why)
            );
        }
        page.push_str("</tbody></table>");
    }
}

impl Console {
    /// Writes `audit`'s CSV and HTML report into `dir` (`<id>-findings.csv`, `<id>.html`),
    /// each whole or not at all; an audited export (role `auditor`).
    pub fn export_profile_audit(&self, audit: &ProfileAudit, dir: &Path) -> Result<ReportFiles> {
        self.authorise(Action::AuditProfiles, Some(&audit.id))?;
        let csv_path = dir.join(format!("{}-findings.csv", audit.id));
        let html_path = dir.join(format!("{}.html", audit.id));
        let result = write_whole(&csv_path, csv(audit).as_bytes())
            .and_then(|()| write_whole(&html_path, html(audit).as_bytes()));
        let outcome = match &result {
            Ok(()) => format!(
                "{} findings of {} consumers to {}",
                audit.findings(),
                audit.consumers.len(),
                dir.display()
            ),
            Err(error) => format!("{:?}", error.code()),
        };
        self.record_event(
            "profile_audit_export",
            Some(&audit.id),
            &outcome,
            None,
            None,
        )?;
        result?;
        Ok(ReportFiles {
            csv: csv_path.display().to_string(),
            html: html_path.display().to_string(),
        })
    }

    /// Exports to `<data>/exports`, for the desktop console.
    pub fn export_profile_audit_to_exports(&self, audit: &ProfileAudit) -> Result<ReportFiles> {
        self.export_profile_audit(audit, &self.exports_dir())
    }
}
