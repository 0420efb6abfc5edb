//! What is wrong between the bank's record and the directories, with how serious it is and what
//! the console suggests doing about it.

use d1::wire::{Profile, Profiles};
use serde::Serialize;

use crate::compare::{FieldKind, Match, compare, compare_phone};
use crate::records::{AccountStatus, IssuerConsumer};

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// Worth knowing; nothing is wrong for the consumer.
    Info,
    /// Data disagrees; the consumer may see stale details at checkout.
    Warning,
    /// A card or person is in a directory where they should not be.
    Critical,
}

/// What the console suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    /// Opt the card out.
    OptOutCard,
    /// Opt the consumer out of every directory.
    OptOutConsumer,
    /// Enrol the card.
    EnrolCard,
    /// Push the bank's consumer data to the directories.
    UpdateConsumer,
    /// Push the bank's card data to the directory.
    UpdateCard,
}

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FindingKind {
    /// A card closed or blocked at the bank is still enrolled.
    CardClosedButEnrolled,
    /// An open card at the bank is not in its network's directory.
    CardNotEnrolled,
    /// A contact field (name, e-mail, phone) differs.
    ContactDiffers,
    /// A contact field is the same once normalised but written differently.
    ContactWrittenDifferently,
    /// A card's billing address differs.
    BillingAddressDiffers,
    /// A directory holds the consumer with no card.
    ProfileWithoutCards,
    /// A directory holds a consumer the bank does not know.
    UnknownToBank,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// How much it matters.
    pub severity: Severity,
    /// The directory concerned, if one.
    pub scheme: Option<String>,
    /// The card concerned, if one.
    pub card_id: Option<String>,
    /// The field concerned, if one (`email`, `phoneNumber`, `lastName`, …).
    pub field: Option<String>,
    /// What the console suggests.
    pub action: Action,
}

fn finding(kind: FindingKind, severity: Severity, action: Action) -> Finding {
    Finding {
        kind,
        severity,
        scheme: None,
        card_id: None,
        field: None,
        action,
    }
}

/// The findings for one consumer: the bank's record (if the bank knows them) against each
/// directory's profile. Directories that failed are not judged.
pub fn findings(bank: Option<&IssuerConsumer>, directories: &Profiles) -> Vec<Finding> {
    let mut found = Vec::new();
    let Some(bank) = bank else {
        for profile in &directories.profiles {
            found.push(Finding {
                scheme: Some(String::from(profile.scheme.clone())),
                ..finding(
                    FindingKind::UnknownToBank,
                    Severity::Critical,
                    Action::OptOutConsumer,
                )
            });
        }
        return found;
    };
    let failed: Vec<String> = directories
        .errors
        .iter()
        .map(|e| String::from(e.scheme.clone()))
        .collect();
    for profile in &directories.profiles {
        let scheme = String::from(profile.scheme.clone());
        if profile.cards.is_empty() {
            found.push(Finding {
                scheme: Some(scheme.clone()),
                ..finding(
                    FindingKind::ProfileWithoutCards,
                    Severity::Warning,
                    Action::OptOutConsumer,
                )
            });
        }
        contact(bank, profile, &scheme, &mut found);
        cards_in_directory(bank, profile, &scheme, &mut found);
    }
    for card in &bank.cards {
        let listed = directories
            .profiles
            .iter()
            .any(|p| p.cards.iter().any(|c| c.card_id == card.card_id));
        if card.status == AccountStatus::Open && !listed && !failed.contains(&card.scheme) {
            found.push(Finding {
                scheme: Some(card.scheme.clone()),
                card_id: Some(card.card_id.clone()),
                ..finding(
                    FindingKind::CardNotEnrolled,
                    Severity::Info,
                    Action::EnrolCard,
                )
            });
        }
    }
    found.sort_by_key(|f| std::cmp::Reverse(f.severity));
    found
}

fn contact(bank: &IssuerConsumer, profile: &Profile, scheme: &str, found: &mut Vec<Finding>) {
    let info = &profile.consumer_info;
    let fields = [
        (
            "firstName",
            compare(
                FieldKind::Name,
                Some(&bank.name_latin.first),
                info.first_name.as_deref(),
            ),
        ),
        (
            "lastName",
            compare(
                FieldKind::Name,
                Some(&bank.name_latin.last),
                info.last_name.as_deref(),
            ),
        ),
        (
            "email",
            compare(FieldKind::Email, Some(&bank.email), info.email.as_deref()),
        ),
        (
            "phoneNumber",
            compare_phone(
                Some((&bank.phone_country_code, &bank.phone_number)),
                info.phone_number_country_code
                    .as_deref()
                    .zip(info.phone_number.as_deref()),
            ),
        ),
    ];
    for (field, outcome) in fields {
        let (kind, severity) = match outcome {
            Match::Equal | Match::MissingAtBank => continue,
            Match::EqualAfterNormalisation => {
                (FindingKind::ContactWrittenDifferently, Severity::Info)
            }
            Match::Different | Match::MissingInDirectory => {
                (FindingKind::ContactDiffers, Severity::Warning)
            }
        };
        found.push(Finding {
            scheme: Some(scheme.to_owned()),
            field: Some(field.to_owned()),
            ..finding(kind, severity, Action::UpdateConsumer)
        });
    }
}

fn cards_in_directory(
    bank: &IssuerConsumer,
    profile: &Profile,
    scheme: &str,
    found: &mut Vec<Finding>,
) {
    for listed in &profile.cards {
        let Some(card) = bank.cards.iter().find(|c| c.card_id == listed.card_id) else {
            continue;
        };
        let at = |kind, severity, action| Finding {
            scheme: Some(scheme.to_owned()),
            card_id: Some(card.card_id.clone()),
            ..finding(kind, severity, action)
        };
        if card.status != AccountStatus::Open {
            found.push(at(
                FindingKind::CardClosedButEnrolled,
                Severity::Critical,
                Action::OptOutCard,
            ));
        }
        let address = listed.billing_address.clone().unwrap_or_default();
        let lines = [
            (
                Some(card.billing_address.line1.as_str()),
                address.line1.as_deref(),
            ),
            (
                card.billing_address.line2.as_deref(),
                address.line2.as_deref(),
            ),
            (
                Some(card.billing_address.city.as_str()),
                address.city.as_deref(),
            ),
            (
                Some(card.billing_address.zip_code.as_str()),
                address.zip_code.as_deref(),
            ),
            (
                Some(card.billing_address.country_code.as_str()),
                address.country_code.as_deref(),
            ),
        ];
        if lines.iter().any(|(b, d)| {
            matches!(
                compare(FieldKind::Address, *b, *d),
                Match::Different | Match::MissingInDirectory
            )
        }) {
            found.push(at(
                FindingKind::BillingAddressDiffers,
                Severity::Warning,
                Action::UpdateCard,
            ));
        }
    }
}
