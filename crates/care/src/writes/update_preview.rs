//! What an update (the bank's record pushed to the directories) would change, read from the
//! consumer's view: per directory, each value it holds differently or lacks, now and after. The
//! desktop's dialog and `c2p update` show it before asking.

use serde::Serialize;

use crate::profile::ConsumerView;
use crate::profile::compare::Match;

/// One value an update would change in one directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// The directory.
    pub scheme: String,
    /// The field (the grid's row: `email`, `phone`, `billingAddress`, …).
    pub field: String,
    /// The directory's value now (`None`: it has none).
    pub from: Option<String>,
    /// The bank's value, which the update sends.
    pub to: Option<String>,
}

/// The grid's rows an update leaves alone: what identifies the card and the bank's own state.
const NOT_PUSHED: [&str; 3] = ["card", "expiry", "status"];

/// What pushing the bank's record of the consumer (`card_id` `None`) or of one card would
/// change in each directory of `view`.
pub fn changes(view: &ConsumerView, card_id: Option<&str>) -> Vec<Change> {
    view.rows
        .iter()
        .filter(|row| {
            row.card_id.as_deref() == card_id && !NOT_PUSHED.contains(&row.field.as_str())
        })
        .flat_map(|row| {
            row.cells
                .iter()
                .zip(&view.directories)
                .filter(|(cell, _)| {
                    matches!(
                        cell.comparison,
                        Some(Match::Different | Match::MissingInDirectory)
                    )
                })
                .map(|(cell, directory)| Change {
                    scheme: directory.scheme.clone(),
                    field: row.field.clone(),
                    from: cell.value.clone(),
                    to: row.bank.clone(),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::grid::{Cell, Row};
    use crate::profile::{BankSide, Directory, DirectoryState};

    fn row(
        field: &str,
        card_id: Option<&str>,
        bank: &str,
        cells: [(Option<&str>, Option<Match>); 2],
    ) -> Row {
        Row {
            field: field.into(),
            card_id: card_id.map(Into::into),
            bank: Some(bank.into()),
            cells: cells
                .into_iter()
                .map(|(value, comparison)| Cell {
                    value: value.map(Into::into),
                    comparison,
                })
                .collect(),
        }
    }

    fn view() -> ConsumerView {
        ConsumerView {
            consumer_id: "cons-1".into(),
            bank: BankSide::Unknown,
            directories: ["VISA", "MASTERCARD"]
                .map(|scheme| Directory {
                    scheme: scheme.into(),
                    state: DirectoryState::NotEnrolled,
                })
                .to_vec(),
            findings: Vec::new(),
            rows: vec![
                row(
                    "email",
                    None,
                    "new@example.jp",
                    [
                        (Some("old@example.jp"), Some(Match::Different)),
                        (Some("new@example.jp"), Some(Match::Equal)),
                    ],
                ),
                row(
                    "lastName",
                    None,
                    "Sato",
                    [
                        (Some("ＳＡＴＯ"), Some(Match::EqualAfterNormalisation)),
                        (None, Some(Match::MissingInDirectory)),
                    ],
                ),
                row(
                    "card",
                    Some("crd-1"),
                    "0421",
                    [(Some("0422"), Some(Match::Different)), (None, None)],
                ),
                row(
                    "billingAddress",
                    Some("crd-1"),
                    "1 New St",
                    [(Some("9 Old Rd"), Some(Match::Different)), (None, None)],
                ),
            ],
            complete: true,
            refreshed_at: String::new(),
            correlation_id: None,
        }
    }

    fn change(scheme: &str, field: &str, from: Option<&str>, to: &str) -> Change {
        Change {
            scheme: scheme.into(),
            field: field.into(),
            from: from.map(Into::into),
            to: Some(to.into()),
        }
    }

    #[test]
    fn a_consumer_update_lists_per_directory_each_value_held_differently_or_missing() {
        assert_eq!(
            changes(&view(), None),
            [
                change("VISA", "email", Some("old@example.jp"), "new@example.jp"),
                change("MASTERCARD", "lastName", None, "Sato"),
            ]
        );
    }

    #[test]
    fn a_card_update_lists_its_values_never_what_identifies_the_card() {
        assert_eq!(
            changes(&view(), Some("crd-1")),
            [change(
                "VISA",
                "billingAddress",
                Some("9 Old Rd"),
                "1 New St"
            )]
        );
    }
}
