//! A profile audit's exports: a CSV of findings (one row per finding, and one per side that
//! could not be read) and a self-contained HTML report: summary counts by finding type and
//! directory, a bar chart of findings by type (inline SVG), then the table. The HTML loads
//! nothing: its content security policy forbids any fetch, and every value is escaped text.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{AuditedScope, ProfileAudit};
use crate::batch::input::{InvalidLine, InvalidReason};
use crate::environments::Language;
use crate::profile::Severity;
use crate::storage::csv::CsvWriter;
use crate::wire_name;

/// Where a report was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ReportFiles {
    /// The findings, one per row.
    pub csv: String,
    /// The report to open in a browser.
    pub html: String,
}

const CSV_HEADER: [&str; 8] = [
    "consumerId",
    "finding",
    "severity",
    "directory",
    "cardId",
    "field",
    "suggestedAction",
    "note",
];

/// The findings CSV.
pub fn csv(audit: &ProfileAudit) -> crate::Result<Vec<u8>> {
    let mut out = CsvWriter::new(Vec::new(), &CSV_HEADER)?;
    for consumer in &audit.consumers {
        for f in &consumer.findings {
            let fields = [
                Some(consumer.consumer_id.as_str()),
                Some(&wire_name(f.kind)),
                Some(severity_name(f.severity)),
                f.scheme.as_deref(),
                f.card_id.as_deref(),
                f.field.as_deref(),
                Some(&wire_name(f.action)),
                None,
            ];
            out.row(&fields)?;
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
            out.row(&fields)?;
        }
    }
    out.finish()
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "INFO",
        Severity::Warning => "WARNING",
        Severity::Critical => "CRITICAL",
    }
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
            // Shown as its code, so that it can neither reorder the line nor hide in a name.
            c if crate::privacy::is_hidden(c) => out.push_str(&format!("⟨U+{:04X}⟩", u32::from(c))),
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
th,td{border:1px solid #c4c6cf;padding:.3rem .5rem;text-align:left;overflow-wrap:break-word;unicode-bidi:isolate}\
th{background:#eef0f6}td.n{text-align:right;font-variant-numeric:tabular-nums}\
dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:bold}\
.CRITICAL{color:#b3261e;font-weight:bold}.WARNING{color:#8a5300}";

/// The report's words in one language. Finding types, severities and actions keep their codes,
/// the same as in the CSV, so that the two can be read side by side.
struct Labels {
    lang: &'static str,
    title: &'static str,
    environment: &'static str,
    operator: &'static str,
    scope: &'static str,
    scope_words: fn(&AuditedScope) -> String,
    started: &'static str,
    finished: &'static str,
    read: &'static str,
    cancelled: &'static str,
    with_findings: &'static str,
    not_read_completely: &'static str,
    findings: &'static str,
    invalid_skipped: &'static str,
    by_type: &'static str,
    no_findings: &'static str,
    legend: &'static str,
    critical: &'static str,
    warning: &'static str,
    information: &'static str,
    by_type_and_directory: &'static str,
    finding: &'static str,
    bank_or_all: &'static str,
    total: &'static str,
    consumer: &'static str,
    severity: &'static str,
    directory: &'static str,
    card: &'static str,
    field: &'static str,
    suggested_action: &'static str,
    not_read: &'static str,
    side: &'static str,
    why: &'static str,
    line: &'static str,
    text: &'static str,
    invalid_why: fn(&InvalidLine) -> String,
}

const ENGLISH: Labels = Labels {
    lang: "en",
    title: "Profile audit",
    environment: "Environment",
    operator: "Operator",
    scope: "Consumers",
    scope_words: |scope| match scope {
        AuditedScope::Listed { count } => format!("{count} consumers listed"),
        AuditedScope::Matching { text } => format!("consumers matching \"{text}\""),
    },
    started: "Started",
    finished: "Finished",
    read: "Consumers read",
    cancelled: " (cancelled)",
    with_findings: "With findings",
    not_read_completely: "Not read completely",
    findings: "Findings",
    invalid_skipped: "Invalid lines skipped",
    by_type: "Findings by type",
    no_findings: "No findings.",
    legend: "Bar colour: the most serious severity of that type:",
    critical: "critical",
    warning: "warning",
    information: "information",
    by_type_and_directory: "By type and directory",
    finding: "Finding",
    bank_or_all: "Bank / all",
    total: "Total",
    consumer: "Consumer",
    severity: "Severity",
    directory: "Directory",
    card: "Card",
    field: "Field",
    suggested_action: "Suggested action",
    not_read: "Not read",
    side: "Side",
    why: "Why",
    line: "Line",
    text: "Text",
    invalid_why: |line| line.why.clone(),
};

const JAPANESE: Labels = Labels {
    lang: "ja",
    title: "プロファイル監査",
    environment: "接続環境",
    operator: "操作者",
    scope: "対象の会員",
    scope_words: |scope| match scope {
        AuditedScope::Listed { count } => format!("一覧の会員 {count} 件"),
        AuditedScope::Matching { text } => format!("「{text}」に一致する会員"),
    },
    started: "開始",
    finished: "終了",
    read: "読み込んだ会員",
    cancelled: "(中止)",
    with_findings: "検出あり",
    not_read_completely: "一部読み込めなかった会員",
    findings: "検出事項",
    invalid_skipped: "スキップした無効な行",
    by_type: "種類別の検出事項",
    no_findings: "検出事項はありません。",
    legend: "棒の色はその種類で最も重大度の高いもの:",
    critical: "重大",
    warning: "警告",
    information: "情報",
    by_type_and_directory: "種類・ディレクトリ別",
    finding: "検出事項",
    bank_or_all: "銀行/全体",
    total: "合計",
    consumer: "会員",
    severity: "重大度",
    directory: "ディレクトリ",
    card: "カード",
    field: "項目",
    suggested_action: "推奨対応",
    not_read: "読み込めなかったもの",
    side: "対象",
    why: "理由",
    line: "行",
    text: "内容",
    invalid_why: |line| {
        let words = match line.reason {
            InvalidReason::TooMany => "一覧の件数が上限を超えています。分割してください。",
            InvalidReason::BothIds => {
                "cardId と consumerId の両方があります。1 行に 1 つにしてください。"
            }
            InvalidReason::TooLong => "ID としては長すぎます。",
            InvalidReason::KindMissing => "ID の種類を指定してください:card:ID または consumer:ID",
            InvalidReason::CardNumber => {
                "カード番号(PAN)のようです。PAN は D1 に送信しません。cardId を使ってください。"
            }
            // D1's rule for the id follows, as the core words it.
            InvalidReason::BadId => return format!("有効な ID ではありません({})", line.why),
            InvalidReason::CardInConsumerList => {
                "カードです。プロファイル監査は会員を読み込みます。"
            }
        };
        words.to_owned()
    },
};

fn labels(language: Language) -> &'static Labels {
    match language {
        Language::En => &ENGLISH,
        Language::Ja => &JAPANESE,
    }
}

/// The self-contained HTML report, in `language`.
pub fn html(audit: &ProfileAudit, language: Language) -> String {
    let l = labels(language);
    let mut page = String::new();
    let title = format!("{} {}", l.title, audit.id);
    let _ = write!(
        page,
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>{t}</title><style>{STYLE}</style></head><body><h1>{t}</h1>",
        lang = l.lang,
        t = escape(&title)
    );
    summary(&mut page, audit, l);
    let (counts, severities) = by_kind(audit);
    let _ = write!(page, "<h2>{}</h2>", l.by_type);
    chart(&mut page, &counts, &severities, l);
    by_directory(&mut page, audit, l);
    table(&mut page, audit, l);
    page.push_str("</body></html>\n");
    page
}

fn summary(page: &mut String, audit: &ProfileAudit, l: &Labels) {
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
        (l.environment, audit.environment.clone()),
        (l.operator, audit.operator.clone()),
        (l.scope, (l.scope_words)(&audit.scope)),
        (l.started, audit.started_at.clone()),
        (l.finished, audit.finished_at.clone()),
        (
            l.read,
            format!(
                "{}{}",
                audit.consumers.len(),
                if audit.cancelled { l.cancelled } else { "" }
            ),
        ),
        (l.with_findings, with_findings.to_string()),
        (l.not_read_completely, unread.to_string()),
        (l.findings, audit.findings().to_string()),
        (l.invalid_skipped, audit.invalid.len().to_string()),
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
        let kind = wire_name(finding.kind);
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
    l: &Labels,
) {
    if counts.is_empty() {
        let _ = write!(page, "<p>{}</p>", l.no_findings);
        return;
    }
    const LABEL: usize = 270;
    const BARS: usize = 400;
    const ROW: usize = 30;
    let most = counts.values().copied().max().unwrap_or(1).max(1);
    let height = ROW * counts.len() + 10;
    let _ = write!(
        page,
        "<svg role=\"img\" aria-label=\"{label}\" width=\"{w}\" height=\"{height}\" \
         viewBox=\"0 0 {w} {height}\" xmlns=\"http://www.w3.org/2000/svg\">",
        label = l.by_type,
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
        "<p>{} <span style=\"color:{}\">&#9632; {}</span> \
         <span style=\"color:{}\">&#9632; {}</span> \
         <span style=\"color:{}\">&#9632; {}</span></p>",
        l.legend,
        colour(Severity::Critical),
        l.critical,
        colour(Severity::Warning),
        l.warning,
        colour(Severity::Info),
        l.information
    );
}

fn by_directory(page: &mut String, audit: &ProfileAudit, l: &Labels) {
    let counts = audit.counts();
    if counts.is_empty() {
        return;
    }
    let directories: BTreeSet<Option<String>> = counts.keys().map(|(_, d)| d.clone()).collect();
    let kinds: BTreeSet<&String> = counts.keys().map(|(k, _)| k).collect();
    let _ = write!(
        page,
        "<h2>{}</h2><table><thead><tr><th>{}</th>",
        l.by_type_and_directory, l.finding
    );
    for directory in &directories {
        let _ = write!(
            page,
            "<th>{}</th>",
            escape(directory.as_deref().unwrap_or(l.bank_or_all))
        );
    }
    let _ = write!(page, "<th>{}</th></tr></thead><tbody>", l.total);
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

/// A table's heading and header row.
fn table_head(page: &mut String, heading: &str, columns: &[&str]) {
    let _ = write!(page, "<h2>{heading}</h2><table><thead><tr>");
    for column in columns {
        let _ = write!(page, "<th>{column}</th>");
    }
    page.push_str("</tr></thead><tbody>");
}

fn table(page: &mut String, audit: &ProfileAudit, l: &Labels) {
    table_head(
        page,
        l.findings,
        &[
            l.consumer,
            l.finding,
            l.severity,
            l.directory,
            l.card,
            l.field,
            l.suggested_action,
        ],
    );
    for consumer in &audit.consumers {
        for f in &consumer.findings {
            let severity = severity_name(f.severity);
            let _ = write!(
                page,
                "<tr><td>{}</td><td>{}</td><td class=\"{severity}\">{severity}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&consumer.consumer_id),
                escape(&wire_name(f.kind)),
                escape(f.scheme.as_deref().unwrap_or("")),
                escape(f.card_id.as_deref().unwrap_or("")),
                escape(f.field.as_deref().unwrap_or("")),
                escape(&wire_name(f.action)),
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
        table_head(page, l.not_read, &[l.consumer, l.side, l.why]);
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
        table_head(page, l.invalid_skipped, &[l.line, l.text, l.why]);
        for line in &audit.invalid {
            let _ = write!(
                page,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
                line.line,
                escape(&line.text),
                escape(&(l.invalid_why)(line))
            );
        }
        page.push_str("</tbody></table>");
    }
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn untrusted_text_is_inert_markup_and_shows_its_hidden_characters() {
        assert_eq!(
            escape("<b>Sato</b> & \"Co\"'"),
            "&lt;b&gt;Sato&lt;/b&gt; &amp; &quot;Co&quot;&#39;"
        );
        assert_eq!(escape("abc\u{202e}fdp.exe"), "abc⟨U+202E⟩fdp.exe");
        assert_eq!(escape("Sa\u{200b}to"), "Sa⟨U+200B⟩to");
        assert_eq!(escape("佐藤"), "佐藤");
        assert_eq!(escape("Sato\u{e0041}"), "Sato⟨U+E0041⟩");
    }
}
