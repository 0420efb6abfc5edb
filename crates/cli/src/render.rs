//! Plain-text rendering for the terminal: the side-by-side consumer table, lists and progress.

use care::bank::SearchResults;
use care::console::EnvironmentStatus;
use care::console::History;
use care::environments::connection_test::Step;
use care::history::Subject;
use care::journal::Entry;
use care::profile::compare::Match;
use care::profile::{BankSide, ConsumerView, DirectoryState};
use care::tokens::{CardTokens, Token};
use care::writes::{Change, Removal};

/// Cells longer than this are cut (with an ellipsis): untrusted text never breaks the table.
const CELL: usize = 30;

/// Text from D1 or the bank made inert for a terminal: every hidden character (see
/// [`care::privacy::is_hidden`]) is shown as its code, `\u{202e}`, so it can neither drive the terminal nor
/// make two names look alike.
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if care::privacy::is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

fn cell(text: &str) -> String {
    let clean = inert(text);
    if clean.chars().count() > CELL {
        let cut: String = clean.chars().take(CELL - 1).collect();
        format!("{cut}…")
    } else {
        clean
    }
}

/// `rows` (the first is the header) as aligned columns two spaces apart, East Asian wide
/// characters counted as two columns (comfy-table, through unicode-width).
fn table(rows: &[Vec<String>]) {
    for line in table_lines(rows) {
        say!("{line}");
    }
}

fn table_lines(rows: &[Vec<String>]) -> Vec<String> {
    let Some((header, body)) = rows.split_first() else {
        return Vec::new();
    };
    let mut table = comfy_table::Table::new();
    table
        .load_style(comfy_table::presets::NOTHING)
        .set_content_arrangement(comfy_table::ContentArrangement::Disabled)
        .set_header(header)
        .add_rows(body);
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table.lines().map(|l| l.trim_end().to_owned()).collect()
}

fn mark(m: Match) -> &'static str {
    match m {
        Match::Equal => "",
        Match::EqualAfterNormalisation => " (~ same after normalisation)",
        Match::Different => " (≠ differs)",
        Match::MissingInDirectory => " (missing)",
        Match::MissingAtBank => " (not at bank)",
    }
}

/// The search results, one line per consumer.
pub fn search(found: &SearchResults) {
    let mut rows = vec![vec![
        "CONSUMER".into(),
        "NAME".into(),
        "KANJI".into(),
        "E-MAIL".into(),
        "PHONE".into(),
        "CARDS".into(),
    ]];
    for c in &found.consumers {
        let kanji = c
            .name_kanji
            .as_ref()
            .map(|n| format!("{} {}", n.last, n.first))
            .unwrap_or_default();
        let cards: Vec<String> = c
            .cards
            .iter()
            .map(|card| {
                format!(
                    "{} •••• {} {:?}",
                    inert(&card.scheme),
                    inert(&card.last4),
                    card.status
                )
            })
            .collect();
        rows.push(vec![
            cell(&c.consumer_id),
            cell(&format!("{} {}", c.name_latin.first, c.name_latin.last)),
            cell(&kanji),
            cell(&c.email),
            cell(&c.phone_number),
            cards.join(", "),
        ]);
    }
    table(&rows);
    if found.more {
        say!("(more match: refine the search)");
    } else if found.consumers.is_empty() {
        say!("no consumer matches");
    }
}

/// The consumer: findings, then the bank's record beside each directory, field by field.
pub fn consumer(view: &ConsumerView) {
    say!(
        "consumer {}  (read {})",
        inert(&view.consumer_id),
        inert(&view.refreshed_at)
    );
    if view.findings.is_empty() && view.complete {
        say!("findings: none");
    }
    for f in &view.findings {
        let mut about = Vec::new();
        about.extend(f.directories.iter().map(|d| inert(d)));
        about.extend(f.card_id.as_deref().map(|c| format!("card {}", inert(c))));
        about.extend(f.field.as_deref().map(inert));
        say!(
            "  {:?} {:?} [{}] → suggested: {:?}",
            f.severity,
            f.kind,
            about.join(", "),
            f.action
        );
    }
    if !view.complete {
        say!("  (not every directory could be read: findings are partial)");
    }
    let mut header = vec![String::new(), "BANK".to_owned()];
    header.extend(view.directories.iter().map(|d| inert(&d.scheme)));
    let mut rows = vec![header];
    let bank_missing = match &view.bank {
        BankSide::Found { .. } => String::new(),
        BankSide::Unknown => "(unknown to the bank)".into(),
        BankSide::Unavailable { problem } => format!("(unavailable: {:?})", problem.code),
    };
    for row in &view.rows {
        let label = match (&row.card_id, row.field.as_str()) {
            (Some(card), "card") => format!("card {}", cell(card)),
            (Some(_), field) => format!("  {field}"),
            (None, field) => field.to_owned(),
        };
        let bank = match &row.bank {
            Some(value) => cell(value),
            None if row.card_id.is_none() => bank_missing.clone(),
            None => "—".into(),
        };
        let mut line = vec![label, bank];
        for (directory, c) in view.directories.iter().zip(&row.cells) {
            line.push(match (&directory.state, &c.value) {
                (DirectoryState::NotEnrolled, _) if row.card_id.is_none() => {
                    "(not enrolled)".into()
                }
                (DirectoryState::Unavailable { problem }, _) => {
                    format!("(unavailable: {:?})", problem.code)
                }
                (_, value) => format!(
                    "{}{}",
                    cell(value.as_deref().unwrap_or("—")),
                    c.comparison.map(mark).unwrap_or_default()
                ),
            });
        }
        rows.push(line);
    }
    say!("");
    table(&rows);
    for d in &view.directories {
        if let DirectoryState::Unavailable { problem } = &d.state {
            say!("{}: {}", inert(&d.scheme), inert(&problem.message));
        }
    }
    if let BankSide::Unavailable { problem } = &view.bank {
        say!("bank: {}", inert(&problem.message));
    }
}

/// What an opt-out would remove.
pub fn removals(removals: &[Removal]) {
    if removals.is_empty() {
        say!("nothing to remove: the consumer is in no directory");
    }
    for r in removals {
        let consumer = if r.consumer_removed {
            " and the consumer's details"
        } else {
            ""
        };
        say!(
            "{}: removes {}{consumer}",
            inert(&r.scheme),
            inert(&r.cards.join(", "))
        );
    }
}

/// What an update would change: per directory, each field's value now and after.
pub fn changes(changes: &[Change]) {
    if changes.is_empty() {
        say!("nothing to update: no directory holds anything different from the bank's record");
        return;
    }
    let mut rows = vec![
        ["DIRECTORY", "FIELD", "NOW", "AFTER"]
            .map(String::from)
            .to_vec(),
    ];
    for c in changes {
        rows.push(vec![
            cell(&c.scheme),
            cell(&c.field),
            cell(c.from.as_deref().unwrap_or("—")),
            cell(c.to.as_deref().unwrap_or("—")),
        ]);
    }
    table(&rows);
}

/// One line per journal change.
pub fn change(entry: &Entry) {
    say!(
        "operation {} {:?} {}: {:?}{}{}",
        entry.id,
        entry.intent.kind,
        inert(&entry.intent.target),
        entry.state,
        entry
            .operation_id
            .as_deref()
            .map(|o| format!(" (D1 operationId {})", inert(o)))
            .unwrap_or_default(),
        entry
            .detail
            .as_deref()
            .map(|d| format!(" — {}", inert(d)))
            .unwrap_or_default(),
    );
}

/// The operations list.
pub fn operations(entries: &[Entry]) {
    let mut rows = vec![
        [
            "#",
            "WHEN",
            "WHAT",
            "TARGET",
            "STATE",
            "OPERATION",
            "CORRELATION",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for e in entries {
        rows.push(vec![
            e.id.to_string(),
            e.created_at.clone(),
            format!("{:?}", e.intent.kind),
            cell(&e.intent.target),
            format!("{:?}", e.state),
            e.operation_id.clone().unwrap_or_default(),
            e.intent.correlation_id.clone(),
        ]);
    }
    table(&rows);
}

/// The team's operations.
pub fn team_operations(writes: &[care::console::TeamWrite]) {
    let mut rows = vec![
        [
            "CLAIM",
            "WHEN",
            "OPERATOR",
            "WORKSTATION",
            "WHAT",
            "TARGET",
            "STATE",
            "OPERATION",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for w in writes {
        rows.push(vec![
            w.id.to_string(),
            w.claimed_at.clone(),
            cell(&w.operator),
            cell(&w.workstation),
            cell(&w.kind),
            cell(&w.target),
            cell(&w.state),
            cell(w.operation_id.as_deref().unwrap_or_default()),
        ]);
    }
    table(&rows);
}

/// The environments.
pub fn environments(list: &[EnvironmentStatus]) {
    let mut rows = vec![
        ["", "NAME", "BASE URL", "CREDENTIALS"]
            .map(String::from)
            .to_vec(),
    ];
    for e in list {
        rows.push(vec![
            if e.active { "*".into() } else { String::new() },
            e.environment.name.clone(),
            e.environment.base_url.clone(),
            match e.has_credentials {
                Some(true) => "in keychain".into(),
                Some(false) => "missing: import them".into(),
                None => "keychain unavailable".into(),
            },
        ]);
    }
    table(&rows);
}

/// The connection test's steps.
pub fn steps(steps: &[Step]) {
    for s in steps {
        let verdict = if s.ok { "ok" } else { "FAILED" };
        say!(
            "{:<15} {verdict:<6} {:>5} ms  {}",
            s.name,
            s.millis,
            inert(&s.detail)
        );
    }
}

/// Any value as pretty JSON, for scripts.
pub fn print_json(value: &impl serde::Serialize) {
    say!(
        "{}",
        serde_json::to_string_pretty(value).expect("serializable")
    );
}

/// A card's tokens, a block per group.
/// A history, newest first: when, what, on what, who, where it stands.
pub fn history(history: &History) {
    if !history.complete {
        say!("(some of D1's lists could not be read: operations may be missing)");
    }
    if history.entries.is_empty() {
        say!("no operations");
    }
    for entry in &history.entries {
        let on = match &entry.subject {
            Subject::Consumer => format!("consumer {}", inert(&history.consumer_id)),
            Subject::Card { card_id } => format!("card {}", inert(card_id)),
            Subject::Token {
                digital_card_id,
                holder,
                ..
            } => format!(
                "token {} ({})",
                inert(digital_card_id),
                inert(holder.as_deref().unwrap_or("-"))
            ),
        };
        let who = match (
            entry.requestor.as_str(),
            &entry.operator,
            &entry.requestor_name,
        ) {
            ("ISSUER", Some(operator), _) => format!(
                "the bank: {} on {}",
                inert(operator),
                inert(entry.workstation.as_deref().unwrap_or("-"))
            ),
            ("ISSUER", None, _) => "the bank".to_owned(),
            (requestor, _, Some(name)) => format!("{} {}", inert(requestor), inert(name)),
            (requestor, _, None) => inert(requestor),
        };
        say!(
            "{}  {}  {}  by {}  {}  {}",
            inert(&entry.at),
            inert(&entry.operation),
            on,
            who,
            inert(&entry.status),
            inert(entry.operation_id.as_deref().unwrap_or("-"))
        );
    }
}

pub fn tokens(card: &CardTokens) {
    say!("card {}: {} tokens", inert(&card.card_id), card.count());
    for (group, tokens) in [
        ("Click to Pay", &card.click_to_pay),
        ("wallets", &card.wallets),
        ("merchants", &card.merchants),
        ("other", &card.other),
    ] {
        if tokens.is_empty() {
            continue;
        }
        say!("  {group}");
        for token in tokens {
            say!("    {}", token_line(token));
        }
    }
}

fn token_line(token: &Token) -> String {
    let field = |value: &Option<String>| inert(value.as_deref().unwrap_or("-"));
    let mut line = format!(
        "{}  {}  •••• {}  exp {}  {}",
        inert(&token.digital_card_id),
        inert(&token.state),
        field(&token.last4),
        field(&token.expiry_date),
        field(&token.requestor_name)
    );
    if token.device_name.is_some() {
        line.push_str(&format!("  on {}", field(&token.device_name)));
    }
    if token.merchant_gateway_id.is_some() {
        line.push_str(&format!(
            "  merchant {} via {}",
            field(&token.merchant_id),
            field(&token.merchant_gateway_id)
        ));
    }
    if !token.suspended_by.is_empty() {
        line.push_str(&format!(
            "  suspended by {}",
            inert(&token.suspended_by.join(", "))
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_d1_cannot_drive_the_terminal_or_hide_characters() {
        assert_eq!(inert("Sato\u{1b}[31m"), "Sato\\u{1b}[31m");
        assert_eq!(inert("abc\u{202e}gnp.exe"), "abc\\u{202e}gnp.exe");
        assert_eq!(inert("Sa\u{200b}to"), "Sa\\u{200b}to");
        assert_eq!(inert("佐藤 花子"), "佐藤 花子");
        assert_eq!(cell("a\tb\nc"), "a\\u{9}b\\u{a}c");
    }

    #[test]
    fn columns_line_up_under_wide_and_combining_characters() {
        let rows = [
            ["NAME", "ID"],
            ["佐藤 花子", "cons-1"],
            ["ｻﾄｳ", "cons-2"],
            ["Sato", "cons-3"],
            ["Jose\u{301}", "cons-4"],
            ["한국", "cons-5"],
        ]
        .map(|r| r.map(String::from).to_vec());
        assert_eq!(
            table_lines(&rows),
            [
                "NAME       ID",
                "佐藤 花子  cons-1",
                "ｻﾄｳ        cons-2",
                "Sato       cons-3",
                "Jose\u{301}       cons-4",
                "한국       cons-5",
            ]
        );
    }
}
