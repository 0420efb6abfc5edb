//! What is wrong between the bank's record and the directories, with how serious it is and what
//! the console suggests doing about it.

use d1::wire::{Profile, Profiles};
use serde::Serialize;

use super::compare::{FieldKind, Match, compare, compare_phone};
use crate::bank::{AccountStatus, IssuerConsumer};
use crate::writes::WriteKind;

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
    /// The directories concerned (none for a finding about the bank's record alone): one
    /// finding per field lists every directory that field differs in.
    pub directories: Vec<String>,
    /// The card concerned, if one.
    pub card_id: Option<String>,
    /// The field concerned, if one (`email`, `phoneNumber`, `lastName`, …).
    pub field: Option<String>,
    /// What the console suggests.
    pub action: WriteKind,
}

fn finding(kind: FindingKind, severity: Severity, action: WriteKind) -> Finding {
    Finding {
        kind,
        severity,
        directories: Vec::new(),
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
                directories: vec![String::from(profile.scheme.clone())],
                ..finding(
                    FindingKind::UnknownToBank,
                    Severity::Critical,
                    WriteKind::OptOutConsumer,
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
                directories: vec![scheme.clone()],
                ..finding(
                    FindingKind::ProfileWithoutCards,
                    Severity::Warning,
                    WriteKind::OptOutConsumer,
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
                directories: vec![card.scheme.clone()],
                card_id: Some(card.card_id.clone()),
                ..finding(
                    FindingKind::CardNotEnrolled,
                    Severity::Info,
                    WriteKind::EnrolCard,
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
        // One finding per field: a directory where it differs too joins it.
        match found
            .iter_mut()
            .find(|f| f.kind == kind && f.field.as_deref() == Some(field))
        {
            Some(same) => same.directories.push(scheme.to_owned()),
            None => found.push(Finding {
                directories: vec![scheme.to_owned()],
                field: Some(field.to_owned()),
                ..finding(kind, severity, WriteKind::UpdateConsumer)
            }),
        }
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
            directories: vec![scheme.to_owned()],
            card_id: Some(card.card_id.clone()),
            ..finding(kind, severity, action)
        };
        if card.status != AccountStatus::Open {
            found.push(at(
                FindingKind::CardClosedButEnrolled,
                Severity::Critical,
                WriteKind::OptOutCard,
            ));
        }
        let address = listed.billing_address.clone().unwrap_or_default();
        let bank_address = &card.billing_address;
        let lines = [
            (Some(bank_address.line1.as_str()), address.line1.as_deref()),
            (bank_address.line2.as_deref(), address.line2.as_deref()),
            (bank_address.line3.as_deref(), address.line3.as_deref()),
            (Some(bank_address.city.as_str()), address.city.as_deref()),
            (Some(bank_address.state.as_str()), address.state.as_deref()),
            (
                Some(bank_address.zip_code.as_str()),
                address.zip_code.as_deref(),
            ),
            (
                Some(bank_address.country_code.as_str()),
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
                WriteKind::UpdateCard,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use d1::wire::{BillingAddress, Card, ConsumerInfo, Profile, Profiles, Scheme};

    use super::*;
    use crate::bank::{Address, IssuerCard, Name};

    fn bank() -> IssuerConsumer {
        IssuerConsumer {
            consumer_id: "cons-1".into(),
            name_latin: Name {
                first: "Hanako".into(),
                last: "Sato".into(),
            },
            name_kanji: None,
            name_kana: None,
            email: "h@example.jp".into(),
            phone_country_code: "+81".into(),
            phone_number: "9012345678".into(),
            language: "ja-JP".into(),
            cards: vec![IssuerCard {
                card_id: "crd-1".into(),
                scheme: "VISA".into(),
                bin: Some("411111".into()),
                last4: "1111".into(),
                expiry: "1229".into(),
                cardholder_name: "HANAKO SATO".into(),
                billing_address: Address {
                    line1: "1-2-3 Chiyoda".into(),
                    line2: None,
                    line3: None,
                    city: "Chiyoda-ku".into(),
                    state: "13".into(),
                    zip_code: "1000001".into(),
                    country_code: "JP".into(),
                },
                status: AccountStatus::Open,
            }],
        }
    }

    fn directory(bank: &IssuerConsumer, state: &str) -> Profiles {
        let a = &bank.cards[0].billing_address;
        let address = BillingAddress {
            line1: Some(a.line1.clone()),
            city: Some(a.city.clone()),
            state: Some(state.into()),
            zip_code: Some(a.zip_code.clone()),
            country_code: Some(a.country_code.clone()),
            ..BillingAddress::default()
        };
        let info = ConsumerInfo {
            first_name: Some("Hanako".into()),
            last_name: Some("Sato".into()),
            email: Some(bank.email.clone()),
            phone_number_country_code: Some("+81".into()),
            phone_number: Some(bank.phone_number.clone()),
            ..ConsumerInfo::default()
        };
        let card = Card {
            card_id: "crd-1".into(),
            billing_address: Some(address),
            ..Card::default()
        };
        Profiles {
            profiles: vec![Profile {
                scheme: Scheme::Visa,
                consumer_id: "cons-1".into(),
                consumer_info: info,
                cards: vec![card],
            }],
            errors: Vec::new(),
        }
    }

    #[test]
    fn every_address_field_counts_including_the_prefecture() {
        let bank = bank();
        assert_eq!(findings(Some(&bank), &directory(&bank, "13")), []);
        let moved = findings(Some(&bank), &directory(&bank, "27"));
        assert_eq!(
            moved.iter().map(|f| f.kind).collect::<Vec<_>>(),
            [FindingKind::BillingAddressDiffers]
        );
        assert_eq!(moved[0].action, WriteKind::UpdateCard);
    }

    #[test]
    fn one_finding_per_field_lists_every_directory_it_differs_in() {
        let bank = bank();
        let mut both = directory(&bank, "13");
        let mut mastercard = both.profiles[0].clone();
        mastercard.scheme = Scheme::Mastercard;
        both.profiles.push(mastercard);
        for profile in &mut both.profiles {
            profile.consumer_info.email = Some("old@example.jp".into());
        }
        both.profiles[1].consumer_info.last_name = Some("Suzuki".into());
        let found = findings(Some(&bank), &both);
        let by_field = |field: &str| {
            found
                .iter()
                .filter(|f| f.field.as_deref() == Some(field))
                .map(|f| f.directories.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(by_field("email"), [vec!["VISA", "MASTERCARD"]]);
        assert_eq!(by_field("lastName"), [vec!["MASTERCARD"]]);
    }
}
