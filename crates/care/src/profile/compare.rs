//! Field-by-field comparison of the bank's record with a directory's profile. A value is
//! `Equal`, `EqualAfterNormalisation` (the same once written the same way: Unicode NFKC, so
//! full- and half-width forms agree; case and spacing for names and e-mail; a phone number as
//! E.164 by libphonenumber's rules; address lines trimmed), `Different`, or missing on one side.

use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

/// How two values compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Match {
    /// Exactly the same.
    Equal,
    /// The same once normalised (e.g. `Ｓａｔｏ` and `Sato`).
    EqualAfterNormalisation,
    /// Different values.
    Different,
    /// The bank has a value, the directory none.
    MissingInDirectory,
    /// The directory has a value, the bank none.
    MissingAtBank,
}

/// What a value is, which decides how it is normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A person's name: NFKC, case and spacing ignored.
    Name,
    /// An e-mail address: NFKC, case ignored, trimmed.
    Email,
    /// An address line, city, state or postal code: NFKC, trimmed, spacing and case ignored.
    Address,
    /// Anything else (language, expiry, last 4): NFKC and trimmed only.
    Plain,
}

/// `value` written the canonical way for its kind.
pub fn normalise(kind: FieldKind, value: &str) -> String {
    let nfkc: String = value.nfkc().collect();
    match kind {
        FieldKind::Name | FieldKind::Address => nfkc
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase(),
        FieldKind::Email => nfkc.trim().to_lowercase(),
        FieldKind::Plain => nfkc.trim().to_owned(),
    }
}

fn present(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.trim().is_empty())
}

/// Compares the bank's value with the directory's.
pub fn compare(kind: FieldKind, bank: Option<&str>, directory: Option<&str>) -> Match {
    match (present(bank), present(directory)) {
        (None, None) => Match::Equal,
        (Some(_), None) => Match::MissingInDirectory,
        (None, Some(_)) => Match::MissingAtBank,
        (Some(b), Some(d)) if b == d => Match::Equal,
        (Some(b), Some(d)) if normalise(kind, b) == normalise(kind, d) => {
            Match::EqualAfterNormalisation
        }
        _ => Match::Different,
    }
}

/// Compares two phone numbers given as (country code, national number), as E.164
/// ([`super::phone::e164`]).
pub fn compare_phone(bank: Option<(&str, &str)>, directory: Option<(&str, &str)>) -> Match {
    use super::phone::e164;
    let joined = |p: Option<(&str, &str)>| p.map(|(c, n)| format!("{c} {n}"));
    match (
        bank.and_then(|(c, n)| e164(c, n)),
        directory.and_then(|(c, n)| e164(c, n)),
    ) {
        (None, None) => Match::Equal,
        (Some(_), None) => Match::MissingInDirectory,
        (None, Some(_)) => Match::MissingAtBank,
        (Some(b), Some(d)) if b != d => Match::Different,
        _ if joined(bank) == joined(directory) => Match::Equal,
        _ => Match::EqualAfterNormalisation,
    }
}

#[cfg(test)]
mod tests {
    use super::FieldKind::*;
    use super::Match::*;
    use super::*;

    #[test]
    fn names_agree_across_width_case_and_spacing_but_not_across_scripts() {
        assert_eq!(compare(Name, Some("Sato"), Some("Sato")), Equal);
        assert_eq!(
            compare(Name, Some("Sato"), Some("Ｓａｔｏ")),
            EqualAfterNormalisation
        );
        assert_eq!(
            compare(Name, Some("Sato"), Some("SATO")),
            EqualAfterNormalisation
        );
        assert_eq!(
            compare(Name, Some("Hanako  Sato"), Some(" hanako sato ")),
            EqualAfterNormalisation
        );
        assert_eq!(
            compare(Name, Some("サトウ"), Some("ｻﾄｳ")),
            EqualAfterNormalisation,
            "half-width katakana"
        );
        assert_eq!(
            compare(Name, Some("Sato"), Some("サトウ")),
            Different,
            "kana against latin is a real difference"
        );
        assert_eq!(compare(Name, Some("Sato"), Some("Suzuki")), Different);
    }

    #[test]
    fn missing_on_either_side() {
        assert_eq!(
            compare(Email, Some("a@example.jp"), None),
            MissingInDirectory
        );
        assert_eq!(
            compare(Email, Some("a@example.jp"), Some("  ")),
            MissingInDirectory,
            "blank is missing"
        );
        assert_eq!(compare(Email, None, Some("a@example.jp")), MissingAtBank);
        assert_eq!(compare(Email, None, None), Equal);
    }

    #[test]
    fn emails_and_addresses() {
        assert_eq!(
            compare(
                Email,
                Some("Hanako.Sato@Example.JP"),
                Some("hanako.sato@example.jp ")
            ),
            EqualAfterNormalisation
        );
        assert_eq!(
            compare(
                Email,
                Some("hanako@example.jp"),
                Some("old.hanako@example.jp")
            ),
            Different
        );
        assert_eq!(
            compare(Address, Some("1-2-3 Chiyoda"), Some(" １-２-３  Chiyoda ")),
            EqualAfterNormalisation
        );
        assert_eq!(
            compare(Address, Some("1-2-3 Chiyoda"), Some("1-2-3 Chiyoda Annex")),
            Different
        );
        assert_eq!(compare(Plain, Some("ja-JP"), Some("ja-JP")), Equal);
    }

    #[test]
    fn phones_compare_as_e164() {
        assert_eq!(
            compare_phone(Some(("+81", "9012345678")), Some(("+81", "9012345678"))),
            Equal
        );
        assert_eq!(
            compare_phone(Some(("+81", "09012345678")), Some(("+81", "9012345678"))),
            EqualAfterNormalisation
        );
        assert_eq!(
            compare_phone(Some(("+81", "9012345678")), Some(("+81", "8012345678"))),
            Different
        );
        assert_eq!(
            compare_phone(Some(("+81", "9012345678")), Some(("+44", "9012345678"))),
            Different
        );
        assert_eq!(
            compare_phone(Some(("+81", "9012345678")), None),
            MissingInDirectory
        );
    }
}
