//! Reading a batch's list: pasted text or a CSV/TXT file of cardIds and consumerIds, mixed.
//! Nothing is sent while reading: each line becomes a target or an invalid line with why, and
//! a repeated target is merged into its first line.
//!
//! Formats, told apart by the first non-empty line:
//! - CSV with a header that names a `cardId` and/or a `consumerId` column (any case, any other
//!   columns ignored): each row gives the one of the two that is filled.
//! - One id per line: `card:ID`, `consumer:ID`, or a bare ID when the caller says what bare ids
//!   are. Empty lines and lines starting with `#` are skipped.

use std::collections::HashSet;

use serde::Serialize;

pub use crate::journal::batches::{Target, TargetKind};

/// The most targets one batch takes.
pub const MAX_TARGETS: usize = 100_000;
/// Lines longer than this are not an id (and are not echoed back whole).
const MAX_LINE_CHARS: usize = 512;
/// How much of an invalid line is shown back.
const SHOWN_CHARS: usize = 60;

/// A line that is not a target, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InvalidLine {
    /// The line number (1-based).
    #[specta(type = u32)]
    pub line: usize,
    /// The line as given, shortened, with card numbers, e-mails and phones masked.
    pub text: String,
    /// What is wrong, for the UI to say in the operator's language.
    pub reason: InvalidReason,
    /// What is wrong and what to write instead, in English (with D1's id rule for `BAD_ID`).
    pub why: String,
}

/// Why a line of a list is not a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvalidReason {
    /// Past the most entries one list may hold.
    TooMany,
    /// A CSV row with both a cardId and a consumerId.
    BothIds,
    /// Too long to be an id.
    TooLong,
    /// A bare id where the list does not say which kind its ids are.
    KindMissing,
    /// A card number (PAN) where a cardId belongs.
    CardNumber,
    /// An id that does not follow D1's rule for its kind.
    BadId,
    /// A card in a list of consumers (the profile audit).
    CardInConsumerList,
}

/// Why a line is not a target: the reason and its English words.
type Refusal = (InvalidReason, String);

/// What a list holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ParsedList {
    /// The targets, in the list's order, each once.
    pub targets: Vec<Target>,
    /// The lines that are not targets.
    pub invalid: Vec<InvalidLine>,
    /// How many lines repeated an earlier target and were merged into it.
    #[specta(type = u32)]
    pub duplicates: usize,
}

/// The largest list file read: about 100,000 lines.
const MAX_LIST_BYTES: u64 = 8 * 1024 * 1024;

/// Reads a list file (UTF-8 text, at most 8 MiB) for [`parse`].
pub fn read_list(path: &std::path::Path) -> crate::Result<String> {
    use std::io::Read as _;
    let cannot = |e: std::io::Error| {
        crate::Error::InvalidInput(format!("cannot read the list {}: {e}", path.display()))
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_LIST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_LIST_BYTES {
        return Err(crate::Error::InvalidInput(format!(
            "the list {} is larger than 8 MiB: split it",
            path.display()
        )));
    }
    String::from_utf8(bytes).map_err(|_| {
        crate::Error::InvalidInput(format!(
            "the list {} is not UTF-8 text: save it as CSV (UTF-8) or plain text",
            path.display()
        ))
    })
}

/// Reads `text`. `bare` says what an id without `card:` or `consumer:` is; without it such a
/// line is invalid, since the two kinds of id look alike.
pub fn parse(text: &str, bare: Option<TargetKind>) -> ParsedList {
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
    let mut list = ParsedList::default();
    let mut seen = HashSet::new();
    let mut header = None;
    let mut first = true;
    for (number, raw) in lines.by_ref() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if first {
            first = false;
            header = csv_header(line);
            if header.is_some() {
                continue;
            }
        }
        let parsed = match header {
            Some(columns) => from_row(line, columns),
            None => from_line(line, bare),
        };
        match parsed {
            Ok(None) => {}
            Ok(Some((kind, id))) => {
                if !seen.insert((kind, id.clone())) {
                    list.duplicates += 1;
                } else if list.targets.len() >= MAX_TARGETS {
                    list.invalid.push(invalid(
                        number,
                        line,
                        (
                            InvalidReason::TooMany,
                            format!("the list is longer than {MAX_TARGETS} entries: split it"),
                        ),
                    ));
                } else {
                    list.targets.push(Target {
                        kind,
                        id,
                        line: number,
                    });
                }
            }
            Err(refusal) => list.invalid.push(invalid(number, line, refusal)),
        }
    }
    list
}

/// The positions of the cardId and consumerId columns, if `line` is such a header.
fn csv_header(line: &str) -> Option<(Option<usize>, Option<usize>)> {
    let fields = split_csv(line);
    let position = |name: &str| {
        fields
            .iter()
            .position(|f| f.trim().eq_ignore_ascii_case(name))
    };
    let columns = (position("cardId"), position("consumerId"));
    (columns.0.is_some() || columns.1.is_some()).then_some(columns)
}

/// A CSV row's target; `Ok(None)` for a row with neither column filled.
fn from_row(
    line: &str,
    (card, consumer): (Option<usize>, Option<usize>),
) -> Result<Option<(TargetKind, String)>, Refusal> {
    let fields = split_csv(line);
    let cell = |column: Option<usize>| {
        column
            .and_then(|c| fields.get(c))
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
    };
    match (cell(card), cell(consumer)) {
        (Some(_), Some(_)) => Err((
            InvalidReason::BothIds,
            "both a cardId and a consumerId: give one per row (a consumer opt-out already takes every card)".into(),
        )),
        (Some(id), None) => checked(TargetKind::Card, id).map(Some),
        (None, Some(id)) => checked(TargetKind::Consumer, id).map(Some),
        (None, None) => Ok(None),
    }
}

fn from_line(
    line: &str,
    bare: Option<TargetKind>,
) -> Result<Option<(TargetKind, String)>, Refusal> {
    if line.chars().count() > MAX_LINE_CHARS {
        return Err((
            InvalidReason::TooLong,
            format!("longer than {MAX_LINE_CHARS} characters: not an id"),
        ));
    }
    let (kind, id) = if let Some(id) = strip_prefix_ci(line, "card:") {
        (TargetKind::Card, id)
    } else if let Some(id) = strip_prefix_ci(line, "consumer:") {
        (TargetKind::Consumer, id)
    } else if let Some(kind) = bare {
        (kind, line)
    } else {
        return Err((
            InvalidReason::KindMissing,
            "say what this id is: card:ID or consumer:ID".into(),
        ));
    };
    checked(kind, id.trim()).map(Some)
}

fn strip_prefix_ci<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .map(|_| &line[prefix.len()..])
}

/// `id` if it is a valid id of `kind` and not a card number.
fn checked(kind: TargetKind, id: &str) -> Result<(TargetKind, String), Refusal> {
    if d1::shape::holds_card_number(id) {
        return Err((
            InvalidReason::CardNumber,
            "this looks like a card number (PAN), which is never sent to D1: use the card's cardId"
                .into(),
        ));
    }
    let valid = match kind {
        TargetKind::Card => d1::CardId::new(id).map(|_| ()),
        TargetKind::Consumer => d1::ConsumerId::new(id).map(|_| ()),
        TargetKind::Token => d1::DigitalCardId::new(id).map(|_| ()),
    };
    // D1's rule quotes the id: an e-mail or phone written where an id belongs is masked, as
    // in the line's text.
    valid.map_err(|e| {
        let rule = crate::privacy::scrub(&e.to_string()).into_owned();
        (InvalidReason::BadId, rule)
    })?;
    Ok((kind, id.to_owned()))
}

fn invalid(line: usize, text: &str, (reason, why): Refusal) -> InvalidLine {
    InvalidLine {
        line,
        text: shown(text),
        reason,
        why,
    }
}

/// `text` shortened, with card numbers, e-mail addresses and phone numbers masked.
fn shown(text: &str) -> String {
    let short: String = text.chars().take(SHOWN_CHARS).collect();
    let masked = crate::privacy::scrub(&short).into_owned();
    if text.chars().count() > SHOWN_CHARS {
        format!("{masked}…")
    } else {
        masked
    }
}

/// The fields of one CSV line: commas separate, double quotes enclose, `""` is a quote.
fn split_csv(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let field = fields.last_mut().expect("never empty");
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => field.push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &ParsedList) -> Vec<(TargetKind, &str, usize)> {
        list.targets
            .iter()
            .map(|t| (t.kind, t.id.as_str(), t.line))
            .collect()
    }

    #[test]
    fn prefixed_and_bare_lines_mixed_with_duplicates_merged() {
        let text = "# emergency list\ncard:crd-1\n\nconsumer:cons-0001\nCARD:crd-1\ncrd-2\ncrd-2\n";
        let list = parse(text, Some(TargetKind::Card));
        assert_eq!(
            ids(&list),
            [
                (TargetKind::Card, "crd-1", 2),
                (TargetKind::Consumer, "cons-0001", 4),
                (TargetKind::Card, "crd-2", 6)
            ]
        );
        assert_eq!(list.duplicates, 2);
        assert!(list.invalid.is_empty(), "{:?}", list.invalid);
    }

    #[test]
    fn past_the_most_a_list_may_hold_lines_are_refused_and_say_to_split() {
        let text: String = (0..=MAX_TARGETS)
            .map(|i| format!("card:crd-{i}\n"))
            .collect();
        let list = parse(&text, None);
        assert_eq!(list.targets.len(), MAX_TARGETS);
        assert_eq!(list.invalid.len(), 1);
        assert_eq!(list.invalid[0].line, MAX_TARGETS + 1);
        assert_eq!(list.invalid[0].reason, InvalidReason::TooMany);
        assert!(list.invalid[0].why.contains("split it"));
    }

    #[test]
    fn without_a_default_a_bare_id_is_invalid_and_says_what_to_write() {
        let list = parse("crd-1\ncard:crd-2", None);
        assert_eq!(ids(&list), [(TargetKind::Card, "crd-2", 2)]);
        assert_eq!(list.invalid[0].line, 1);
        assert!(list.invalid[0].why.contains("card:ID or consumer:ID"));
        assert_eq!(list.invalid[0].reason, InvalidReason::KindMissing);
    }

    #[test]
    fn a_csv_with_named_columns_takes_whichever_is_filled() {
        let text = "name,cardId,consumerId\n\"Doe, J\",crd-9,\nx,,cons-7\ny,crd-8,cons-8\nz,,\n";
        let list = parse(text, None);
        assert_eq!(
            ids(&list),
            [
                (TargetKind::Card, "crd-9", 2),
                (TargetKind::Consumer, "cons-7", 3)
            ]
        );
        assert_eq!(list.invalid.len(), 1);
        assert_eq!(list.invalid[0].line, 4);
        assert!(list.invalid[0].why.contains("one per row"));
        assert_eq!(list.invalid[0].reason, InvalidReason::BothIds);
    }

    #[test]
    fn bad_ids_card_numbers_and_long_lines_are_reported_never_echoed_whole() {
        let long = "x".repeat(600);
        let text = format!(
            "card:has space\ncard:4111 1111 1111 1111\nconsumer:{long}\ncard:4111111111111111"
        );
        let list = parse(&text, None);
        assert!(list.targets.is_empty());
        assert_eq!(list.invalid.len(), 4);
        for line in &list.invalid {
            assert!(!line.text.contains("4111111111111111"), "{line:?}");
            assert!(!line.text.contains("4111 1111 1111 1111"), "{line:?}");
            assert!(line.text.chars().count() <= SHOWN_CHARS + 1, "{line:?}");
        }
        assert!(list.invalid[1].why.contains("PAN"));
        assert!(
            list.invalid[1].text.contains("[pan]"),
            "{:?}",
            list.invalid[1]
        );
        assert!(list.invalid[2].why.contains("not an id"));
        let personal = parse("consumer:hanako@example.jp\ncard:+81 90 1234 5678", None);
        for line in &personal.invalid {
            assert!(
                matches!(
                    line.reason,
                    InvalidReason::BadId | InvalidReason::CardNumber
                ),
                "{line:?}"
            );
            assert!(
                !line.why.contains("hanako@") && !line.why.contains("1234 5678"),
                "{line:?}"
            );
        }
        let reasons: Vec<_> = list.invalid.iter().map(|l| l.reason).collect();
        assert_eq!(
            reasons,
            [
                InvalidReason::BadId,
                InvalidReason::CardNumber,
                InvalidReason::TooLong,
                InvalidReason::CardNumber
            ]
        );
    }
}
