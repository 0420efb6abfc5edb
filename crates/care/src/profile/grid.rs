//! The consumer screen's grid: one row per consumer field and per card field, the bank's value
//! in the first column and each directory's value beside it with how it compares. Comparison is
//! done here, once, with the same normalisation as the findings; the UI only renders it.

use d1::wire::{BillingAddress, Card, Profile};
use serde::Serialize;

use super::compare::{FieldKind, Match, compare, compare_phone};
use super::model::{Directory, DirectoryState};
use crate::bank::{AccountStatus, Address, IssuerCard, IssuerConsumer};

/// One value in a directory's column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    /// The directory's value, as it holds it.
    pub value: Option<String>,
    /// How it compares with the bank's; `None` when there is nothing to compare (directory not
    /// enrolled or unavailable, or a card of another network).
    pub comparison: Option<Match>,
}

/// One row of the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// Which field (`firstName`, `lastName`, `email`, `phone`, `language`, `card`, `expiry`,
    /// `cardholderName`, `billingAddress`, `status`): the UI's label key.
    pub field: String,
    /// The card the row is about, for card rows.
    pub card_id: Option<String>,
    /// The bank's value.
    pub bank: Option<String>,
    /// One cell per directory, in the order of the view's directories.
    pub cells: Vec<Cell>,
}

fn enrolled(directory: &Directory) -> Option<&Profile> {
    match &directory.state {
        DirectoryState::Enrolled { profile } => Some(profile.as_ref()),
        _ => None,
    }
}

fn bank_address(a: &Address) -> String {
    [
        Some(a.line1.as_str()),
        a.line2.as_deref(),
        a.line3.as_deref(),
        Some(&a.city),
        Some(&a.state),
        Some(&a.zip_code),
        Some(&a.country_code),
    ]
    .into_iter()
    .flatten()
    .filter(|p| !p.trim().is_empty())
    .collect::<Vec<_>>()
    .join(", ")
}

fn directory_address(a: &BillingAddress) -> String {
    [
        &a.line1,
        &a.line2,
        &a.line3,
        &a.city,
        &a.state,
        &a.zip_code,
        &a.country_code,
    ]
    .into_iter()
    .flatten()
    .filter(|p| !p.trim().is_empty())
    .map(String::as_str)
    .collect::<Vec<_>>()
    .join(", ")
}

/// The grid of a view: consumer rows, then five rows per card the bank or any directory knows.
pub fn rows(
    bank: Option<&IssuerConsumer>,
    directories: &[Directory],
    home: Option<&str>,
) -> Vec<Row> {
    let mut rows = Vec::new();
    type Contact = (
        &'static str,
        FieldKind,
        fn(&IssuerConsumer) -> String,
        fn(&Profile) -> Option<String>,
    );
    let contact: [Contact; 4] = [
        (
            "firstName",
            FieldKind::Name,
            |b| b.name_latin.first.clone(),
            |p| p.consumer_info.first_name.clone(),
        ),
        (
            "lastName",
            FieldKind::Name,
            |b| b.name_latin.last.clone(),
            |p| p.consumer_info.last_name.clone(),
        ),
        (
            "email",
            FieldKind::Email,
            |b| b.email.clone(),
            |p| p.consumer_info.email.clone(),
        ),
        (
            "language",
            FieldKind::Plain,
            |b| b.language.clone(),
            |p| p.consumer_info.language.clone(),
        ),
    ];
    for (field, kind, of_bank, of_profile) in contact {
        let bank_value = bank.map(of_bank);
        let cells = directories
            .iter()
            .map(|d| match enrolled(d) {
                None => Cell {
                    value: None,
                    comparison: None,
                },
                Some(profile) => {
                    let value = of_profile(profile);
                    let comparison = compare(kind, bank_value.as_deref(), value.as_deref());
                    Cell {
                        value,
                        comparison: Some(comparison),
                    }
                }
            })
            .collect();
        rows.push(Row {
            field: field.into(),
            card_id: None,
            bank: bank_value,
            cells,
        });
    }
    let phone = |c: &str, n: &str| super::phone::shown(c, n, home);
    rows.push(Row {
        field: "phone".into(),
        card_id: None,
        bank: bank.map(|b| phone(&b.phone_country_code, &b.phone_number)),
        cells: directories
            .iter()
            .map(|d| match enrolled(d) {
                None => Cell {
                    value: None,
                    comparison: None,
                },
                Some(profile) => {
                    let info = &profile.consumer_info;
                    let theirs = info
                        .phone_number_country_code
                        .as_deref()
                        .zip(info.phone_number.as_deref());
                    Cell {
                        value: theirs.map(|(c, n)| phone(c, n)),
                        comparison: Some(compare_phone(
                            bank.map(|b| (b.phone_country_code.as_str(), b.phone_number.as_str())),
                            theirs,
                        )),
                    }
                }
            })
            .collect(),
    });
    let mut card_ids: Vec<String> = bank
        .map(|b| b.cards.iter().map(|c| c.card_id.clone()).collect())
        .unwrap_or_default();
    for profile in directories.iter().filter_map(enrolled) {
        for card in &profile.cards {
            if !card_ids.contains(&card.card_id) {
                card_ids.push(card.card_id.clone());
            }
        }
    }
    for card_id in card_ids {
        let at_bank = bank.and_then(|b| b.cards.iter().find(|c| c.card_id == card_id));
        rows.extend(card_rows(&card_id, at_bank, directories));
    }
    rows
}

fn card_rows(card_id: &str, at_bank: Option<&IssuerCard>, directories: &[Directory]) -> Vec<Row> {
    type CardField = (
        &'static str,
        FieldKind,
        fn(&IssuerCard) -> String,
        fn(&Card) -> Option<String>,
    );
    let fields: [CardField; 4] = [
        (
            "card",
            FieldKind::Plain,
            |c| c.last4.clone(),
            |c| c.last4.clone(),
        ),
        (
            "expiry",
            FieldKind::Plain,
            |c| c.expiry.clone(),
            |c| c.expiry_date.clone(),
        ),
        (
            "cardholderName",
            FieldKind::Name,
            |c| c.cardholder_name.clone(),
            |c| c.card_holder_name.clone(),
        ),
        (
            "billingAddress",
            FieldKind::Address,
            |c| bank_address(&c.billing_address),
            |c| c.billing_address.as_ref().map(directory_address),
        ),
    ];
    fields
        .into_iter()
        .map(|(field, kind, of_bank, of_directory)| {
            let bank_value = at_bank.map(of_bank);
            let cells = directories
                .iter()
                .map(|d| {
                    // An open card of the bank belongs in its network's directory.
                    let belongs_here = field == "card"
                        && at_bank.is_some_and(|c| {
                            c.scheme == d.scheme && c.status == AccountStatus::Open
                        });
                    let missing = Cell {
                        value: None,
                        comparison: belongs_here.then_some(Match::MissingInDirectory),
                    };
                    let profile = match &d.state {
                        DirectoryState::Enrolled { profile } => profile,
                        DirectoryState::NotEnrolled => return missing,
                        DirectoryState::Unavailable { .. } => {
                            return Cell {
                                value: None,
                                comparison: None,
                            };
                        }
                    };
                    match profile.cards.iter().find(|c| c.card_id == card_id) {
                        Some(card) => {
                            let value = of_directory(card);
                            let comparison = match (field, bank_value.as_deref(), value.as_deref())
                            {
                                // Cardholder name is Visa only: a directory without it is not a difference.
                                ("cardholderName", _, None) => None,
                                _ => Some(compare(kind, bank_value.as_deref(), value.as_deref())),
                            };
                            Cell { value, comparison }
                        }
                        None => missing,
                    }
                })
                .collect();
            Row {
                field: field.into(),
                card_id: Some(card_id.to_owned()),
                bank: bank_value,
                cells,
            }
        })
        .collect::<Vec<_>>()
        .into_iter()
        .chain(std::iter::once(status_row(card_id, at_bank, directories)))
        .collect()
}

/// The card's state: at the bank (`OPEN`, `CLOSED`, …) and, per directory, `ENROLLED` or not.
fn status_row(card_id: &str, at_bank: Option<&IssuerCard>, directories: &[Directory]) -> Row {
    let bank = at_bank.map(|c| crate::wire_name(c.status));
    let cells = directories
        .iter()
        .map(|d| Cell {
            value: enrolled(d)
                .filter(|p| p.cards.iter().any(|c| c.card_id == card_id))
                .map(|_| "ENROLLED".to_owned()),
            comparison: None,
        })
        .collect();
    Row {
        field: "status".into(),
        card_id: Some(card_id.to_owned()),
        bank,
        cells,
    }
}
