//! A profile audit's exports: a CSV of findings (one row per finding, and one per side that
//! could not be read) and a self-contained HTML report: summary counts by finding type and
//! directory, a bar chart of findings by type, then the table, rendered by askama from
//! `templates/profile_audit.html`. The HTML loads nothing: its content security policy forbids
//! any fetch, and every value is escaped text.

use super::{AuditedScope, ProfileAudit};
use crate::batch::input::{InvalidLine, InvalidReason};
use crate::environments::Language;
use crate::profile::{FindingKind, Severity};
use crate::storage::csv::CsvWriter;
use crate::tokens::TokenFindingKind;
use crate::wire_name;
use crate::writes::WriteKind;

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
            let directories = f.directories.join(";");
            let fields = [
                Some(consumer.consumer_id.as_str()),
                Some(&wire_name(f.kind)),
                Some(severity_name(f.severity)),
                (!directories.is_empty()).then_some(directories.as_str()),
                f.card_id.as_deref(),
                f.field.as_deref(),
                Some(&wire_name(f.action)),
                None,
            ];
            out.row(&fields)?;
        }
        for f in &consumer.token_findings {
            let action = f.action.map(wire_name);
            let fields = [
                Some(consumer.consumer_id.as_str()),
                Some(&wire_name(f.kind)),
                Some(severity_name(f.severity)),
                f.directory.as_deref(),
                Some(f.card_id.as_str()),
                f.digital_card_id.as_deref(),
                action.as_deref(),
                None,
            ];
            out.row(&fields)?;
        }
        if consumer.not_found {
            out.row(&[
                Some(consumer.consumer_id.as_str()),
                Some("NOT_FOUND"),
                None,
                None,
                None,
                None,
                None,
                Some("neither the bank's records nor any directory knows this consumerId"),
            ])?;
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
    not_found: &'static str,
    findings: &'static str,
    invalid_skipped: &'static str,
    by_type: &'static str,
    no_findings: &'static str,
    token_findings_only: &'static str,
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
    finding_words: fn(FindingKind) -> &'static str,
    token_finding_words: fn(TokenFindingKind) -> &'static str,
    action_words: fn(WriteKind) -> &'static str,
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
    not_found: "Not found (unknown to the bank and every directory)",
    findings: "Findings",
    invalid_skipped: "Invalid lines skipped",
    by_type: "Findings by type",
    no_findings: "No findings.",
    token_findings_only: "Findings on tokens only: they are listed below.",
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
    finding_words: |kind| match kind {
        FindingKind::CardClosedButEnrolled => {
            "Card closed or blocked at the bank but still enrolled"
        }
        FindingKind::CardNotEnrolled => "Open card not enrolled in its network’s directory",
        FindingKind::ContactDiffers => "Contact details differ from the bank’s",
        FindingKind::ContactWrittenDifferently => {
            "Contact details written differently (same after normalisation)"
        }
        FindingKind::BillingAddressDiffers => "Billing address differs from the bank’s",
        FindingKind::ProfileWithoutCards => "Profile in a directory with no card",
        FindingKind::UnknownToBank => "Consumer in a directory but unknown to the bank",
    },
    token_finding_words: |kind| match kind {
        TokenFindingKind::ActiveTokenOnClosedCard => {
            "A wallet's or merchant's token still active on a card the bank closed or blocked"
        }
        TokenFindingKind::ClickToPayTokenMissing => {
            "A directory lists the card under a Click to Pay token D1 does not have"
        }
        TokenFindingKind::ClickToPayTokenDeleted => {
            "A directory lists the card while its Click to Pay token is deleted"
        }
        TokenFindingKind::SuspendedByAnotherParty => {
            "A token another party suspended (only it may lift that)"
        }
    },
    action_words: |action| match action {
        WriteKind::OptOutCard => "Opt the card out",
        WriteKind::OptOutConsumer => "Opt the consumer out",
        WriteKind::EnrolCard => "Enrol the card",
        WriteKind::UpdateConsumer => "Update the directory from the bank’s record",
        WriteKind::UpdateCard => "Update the card from the bank’s record",
        WriteKind::SuspendToken => "Suspend the token",
        WriteKind::ResumeToken => "Resume the token",
        WriteKind::DeleteToken => "Delete the token",
    },
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
    not_found: "見つからない ID(銀行にもどのディレクトリにもない)",
    findings: "検出事項",
    invalid_skipped: "スキップした無効な行",
    by_type: "種類別の検出事項",
    no_findings: "検出事項はありません。",
    token_findings_only: "トークンの検出事項のみです(下の一覧を参照)。",
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
    finding_words: |kind| match kind {
        FindingKind::CardClosedButEnrolled => "銀行で解約・停止済みのカードが登録されたまま",
        FindingKind::CardNotEnrolled => "有効なカードがブランドのディレクトリに未登録",
        FindingKind::ContactDiffers => "連絡先が銀行の記録と異なる",
        FindingKind::ContactWrittenDifferently => "連絡先の表記が異なる(正規化後は一致)",
        FindingKind::BillingAddressDiffers => "請求先住所が銀行の記録と異なる",
        FindingKind::ProfileWithoutCards => "カードのないプロファイルがディレクトリにある",
        FindingKind::UnknownToBank => "ディレクトリにあるが銀行に記録のない会員",
    },
    token_finding_words: |kind| match kind {
        TokenFindingKind::ActiveTokenOnClosedCard => {
            "銀行が解約・停止したカードのウォレット・加盟店トークンが有効なまま"
        }
        TokenFindingKind::ClickToPayTokenMissing => {
            "ディレクトリが D1 にない Click to Pay トークンでカードを掲載"
        }
        TokenFindingKind::ClickToPayTokenDeleted => {
            "ディレクトリがカードを掲載しているが Click to Pay トークンは削除済み"
        }
        TokenFindingKind::SuspendedByAnotherParty => {
            "他の当事者が一時停止したトークン(解除はその当事者のみ)"
        }
    },
    action_words: |action| match action {
        WriteKind::OptOutCard => "カードをオプトアウト",
        WriteKind::OptOutConsumer => "会員をオプトアウト",
        WriteKind::EnrolCard => "カードを登録",
        WriteKind::UpdateConsumer => "銀行の記録でディレクトリを更新",
        WriteKind::UpdateCard => "銀行の記録でカード情報を更新",
        WriteKind::SuspendToken => "トークンを一時停止",
        WriteKind::ResumeToken => "トークンを再開",
        WriteKind::DeleteToken => "トークンを削除",
    },
};

fn labels(language: Language) -> &'static Labels {
    match language {
        Language::En => &ENGLISH,
        Language::Ja => &JAPANESE,
    }
}

/// One bar of the chart of findings by type.
struct Bar {
    words: &'static str,
    code: String,
    severity: &'static str,
    count: usize,
    percent: usize,
}

/// One row of the table of findings by type and directory.
struct ByDirectory {
    words: &'static str,
    code: String,
    counts: Vec<usize>,
    total: usize,
}

/// One finding, as the table shows it.
struct FindingRow<'a> {
    consumer: &'a str,
    words: &'static str,
    code: String,
    severity: &'static str,
    severity_words: &'static str,
    directory: String,
    card: &'a str,
    field: &'a str,
    action: &'static str,
}

/// The report page (`templates/profile_audit.html`); askama escapes every value, and the
/// `shown` filter makes hidden characters visible first.
#[derive(askama::Template)]
#[template(path = "profile_audit.html")]
struct Page<'a> {
    l: &'static Labels,
    title: String,
    summary: Vec<(&'static str, String)>,
    bars: Vec<Bar>,
    directories: Vec<&'a str>,
    by_directory: Vec<ByDirectory>,
    findings: Vec<FindingRow<'a>>,
    unread: Vec<(&'a str, &'a str, &'a str)>,
    invalid: Vec<(usize, &'a str, String)>,
}

mod filters {
    /// Untrusted text with every hidden character (see [`crate::privacy::is_hidden`]) shown as
    /// its code, so that it can neither reorder the line nor hide in a name; escaped after.
    #[askama::filter_fn]
    pub fn shown<T: std::fmt::Display>(text: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(text
            .to_string()
            .chars()
            .map(|c| {
                if crate::privacy::is_hidden(c) {
                    format!("⟨U+{:04X}⟩", u32::from(c))
                } else {
                    c.to_string()
                }
            })
            .collect())
    }
}

fn severity_words(severity: Severity, l: &Labels) -> &'static str {
    match severity {
        Severity::Critical => l.critical,
        Severity::Warning => l.warning,
        Severity::Info => l.information,
    }
}

/// The self-contained HTML report, in `language`: findings in words (their codes beside them,
/// as in the CSV), the most severe first.
pub fn html(audit: &ProfileAudit, language: Language) -> String {
    use askama::Template;
    let l = labels(language);
    let (directories, by_directory) = by_directory(audit, l);
    let page = Page {
        l,
        title: format!("{} {}", l.title, audit.id),
        summary: summary(audit, l),
        bars: bars(audit, l),
        directories,
        by_directory,
        findings: finding_rows(audit, l),
        unread: audit
            .consumers
            .iter()
            .flat_map(|c| {
                c.unread
                    .iter()
                    .map(|u| (c.consumer_id.as_str(), u.side.as_str(), u.why.as_str()))
            })
            .collect(),
        invalid: audit
            .invalid
            .iter()
            .map(|line| (line.line, line.text.as_str(), (l.invalid_why)(line)))
            .collect(),
    };
    page.render()
        .unwrap_or_else(|e| format!("<!doctype html><p>the report could not be written: {e}</p>"))
}

fn summary(audit: &ProfileAudit, l: &Labels) -> Vec<(&'static str, String)> {
    let with_findings = audit
        .consumers
        .iter()
        .filter(|c| !c.findings.is_empty() || !c.token_findings.is_empty())
        .count();
    let unread = audit
        .consumers
        .iter()
        .filter(|c| !c.unread.is_empty())
        .count();
    vec![
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
        (l.not_found, audit.not_found().to_string()),
        (l.findings, audit.findings().to_string()),
        (l.invalid_skipped, audit.invalid.len().to_string()),
    ]
}

/// The finding kinds seen, most severe first, each with its worst severity and count.
fn kinds(audit: &ProfileAudit) -> Vec<(FindingKind, Severity, usize)> {
    let mut kinds: Vec<(FindingKind, Severity, usize)> = Vec::new();
    for finding in audit.consumers.iter().flat_map(|c| &c.findings) {
        match kinds.iter_mut().find(|(k, _, _)| *k == finding.kind) {
            Some((_, worst, count)) => {
                *worst = (*worst).max(finding.severity);
                *count += 1;
            }
            None => kinds.push((finding.kind, finding.severity, 1)),
        }
    }
    kinds.sort_by_key(|(kind, worst, count)| {
        (
            std::cmp::Reverse(*worst),
            std::cmp::Reverse(*count),
            wire_name(*kind),
        )
    });
    kinds
}

fn bars(audit: &ProfileAudit, l: &Labels) -> Vec<Bar> {
    let kinds = kinds(audit);
    let most = kinds.iter().map(|(_, _, n)| *n).max().unwrap_or(1).max(1);
    kinds
        .into_iter()
        .map(|(kind, worst, count)| Bar {
            words: (l.finding_words)(kind),
            code: wire_name(kind),
            severity: severity_name(worst),
            count,
            percent: (100 * count / most).max(1),
        })
        .collect()
}

/// The directories findings name (`Bank / all` for none) and, per finding kind, how many in each.
fn by_directory<'a>(audit: &'a ProfileAudit, l: &Labels) -> (Vec<&'a str>, Vec<ByDirectory>) {
    let findings = || audit.consumers.iter().flat_map(|c| &c.findings);
    let in_directories = |f: &'a crate::profile::Finding| -> Vec<Option<&'a str>> {
        match f.directories.is_empty() {
            true => vec![None],
            false => f.directories.iter().map(|d| Some(d.as_str())).collect(),
        }
    };
    let mut directories: Vec<Option<&str>> = findings().flat_map(in_directories).collect();
    directories.sort();
    directories.dedup();
    let rows = kinds(audit)
        .into_iter()
        .map(|(kind, _, total)| ByDirectory {
            words: (l.finding_words)(kind),
            code: wire_name(kind),
            counts: directories
                .iter()
                .map(|d| {
                    findings()
                        .filter(|f| f.kind == kind && in_directories(f).contains(d))
                        .count()
                })
                .collect(),
            total,
        })
        .collect();
    let names = directories
        .into_iter()
        .map(|d| d.unwrap_or(l.bank_or_all))
        .collect();
    (names, rows)
}

/// Every finding, the most severe first (in the audit's order within a severity).
fn finding_rows<'a>(audit: &'a ProfileAudit, l: &Labels) -> Vec<FindingRow<'a>> {
    let mut rows: Vec<(Severity, FindingRow<'a>)> = audit
        .consumers
        .iter()
        .flat_map(|c| c.findings.iter().map(move |f| (c, f)))
        .map(|(consumer, f)| {
            (
                f.severity,
                FindingRow {
                    consumer: &consumer.consumer_id,
                    words: (l.finding_words)(f.kind),
                    code: wire_name(f.kind),
                    severity: severity_name(f.severity),
                    severity_words: severity_words(f.severity, l),
                    directory: f.directories.join(", "),
                    card: f.card_id.as_deref().unwrap_or(""),
                    field: f.field.as_deref().unwrap_or(""),
                    action: (l.action_words)(f.action),
                },
            )
        })
        .chain(
            audit
                .consumers
                .iter()
                .flat_map(|c| c.token_findings.iter().map(move |f| (c, f)))
                .map(|(consumer, f)| {
                    (
                        f.severity,
                        FindingRow {
                            consumer: &consumer.consumer_id,
                            words: (l.token_finding_words)(f.kind),
                            code: wire_name(f.kind),
                            severity: severity_name(f.severity),
                            severity_words: severity_words(f.severity, l),
                            directory: f.directory.clone().unwrap_or_default(),
                            card: &f.card_id,
                            field: f.digital_card_id.as_deref().unwrap_or(""),
                            action: f.action.map_or("", |a| (l.action_words)(a)),
                        },
                    )
                }),
        )
        .collect();
    rows.sort_by_key(|(severity, _)| std::cmp::Reverse(*severity));
    rows.into_iter().map(|(_, row)| row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Finding;
    use crate::profile_audit::AuditedConsumer;

    fn audit(consumer_id: &str, findings: Vec<Finding>) -> ProfileAudit {
        ProfileAudit {
            id: "pa-test".into(),
            environment: "sandbox".into(),
            operator: "A-1".into(),
            scope: AuditedScope::Listed { count: 1 },
            started_at: String::new(),
            finished_at: String::new(),
            cancelled: false,
            consumers: vec![AuditedConsumer {
                consumer_id: consumer_id.into(),
                findings,
                token_findings: Vec::new(),
                unread: Vec::new(),
                not_found: false,
            }],
            invalid: Vec::new(),
        }
    }

    fn finding(kind: FindingKind, severity: Severity) -> Finding {
        Finding {
            kind,
            severity,
            directories: vec!["VISA".into()],
            card_id: None,
            field: None,
            action: WriteKind::OptOutCard,
        }
    }

    #[test]
    fn untrusted_text_is_inert_markup_and_shows_its_hidden_characters() {
        let hostile = "<b>Sa\u{200b}to</b> & \"Co\"' abc\u{202e}fdp 佐藤";
        let page = html(
            &audit(
                hostile,
                vec![finding(FindingKind::UnknownToBank, Severity::Warning)],
            ),
            Language::En,
        );
        assert!(!page.contains("<b>"), "{page}");
        assert!(
            page.contains(
                "&#60;b&#62;Sa⟨U+200B⟩to&#60;/b&#62; &#38; &#34;Co&#34;&#39; abc⟨U+202E⟩fdp 佐藤"
            ),
            "{page}"
        );
    }

    #[test]
    fn findings_read_in_words_the_most_severe_first_with_their_codes_beside() {
        let audit = audit(
            "cons-1",
            vec![
                finding(FindingKind::ContactWrittenDifferently, Severity::Info),
                finding(FindingKind::CardClosedButEnrolled, Severity::Critical),
            ],
        );
        for (language, critical, info) in [
            (
                Language::En,
                "Card closed or blocked at the bank but still enrolled",
                "Contact details written differently",
            ),
            (
                Language::Ja,
                "銀行で解約・停止済みのカードが登録されたまま",
                "連絡先の表記が異なる",
            ),
        ] {
            let page = html(&audit, language);
            let table = &page[page.rfind("<table>").unwrap()..];
            let (first, second) = (table.find(critical).unwrap(), table.find(info).unwrap());
            assert!(first < second, "most severe first: {table}");
            assert!(table.contains("CARD_CLOSED_BUT_ENROLLED"), "{table}");
        }
    }
}
