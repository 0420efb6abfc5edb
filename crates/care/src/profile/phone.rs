//! Phone numbers by libphonenumber's rules (the `phonenumber` crate): a number given as a country
//! calling code and a national number in any notation (leading 0, spaces, dashes, full-width
//! digits) is read once, compared as E.164, and shown the way people write it: in its own
//! country's national format when that is the bank's country (`090-4830-0509`), otherwise in
//! international format (`+44 20 7946 0958`). A number libphonenumber cannot read, or reads as
//! not valid for its country, is compared by its digits and shown as it was given.

use phonenumber::{Mode, PhoneNumber, country};
use unicode_normalization::UnicodeNormalization;

/// The digits of `text`, full-width ones included.
fn digits(text: &str) -> String {
    text.nfkc().filter(char::is_ascii_digit).collect()
}

/// `(country code, national number)` read by libphonenumber, if it is a valid number there.
fn parsed(country_code: &str, national: &str) -> Option<PhoneNumber> {
    let country = digits(country_code);
    let number = digits(national);
    if country.is_empty() || number.is_empty() {
        return None;
    }
    phonenumber::parse(None, format!("+{country} {number}"))
        .ok()
        .filter(phonenumber::is_valid)
}

/// The number as E.164 (`+819012345678`); a number libphonenumber does not know as valid is
/// written from its digits (the national number without its leading 0s). `None` without digits.
pub fn e164(country_code: &str, national: &str) -> Option<String> {
    if let Some(number) = parsed(country_code, national) {
        return Some(number.format().mode(Mode::E164).to_string());
    }
    let country = digits(country_code);
    let number = digits(national);
    let number = number.trim_start_matches('0');
    (!country.is_empty() && !number.is_empty()).then(|| format!("+{country}{number}"))
}

/// The number as people write it: national format when its country is `home` (the bank's
/// country, ISO 3166-1 alpha-2), international otherwise; as given (`+81 9012345678`) when
/// libphonenumber does not know it as valid.
pub fn shown(country_code: &str, national: &str, home: Option<&str>) -> String {
    let Some(number) = parsed(country_code, national) else {
        return format!("{} {}", country_code.trim(), national.trim())
            .trim()
            .to_owned();
    };
    let home: Option<country::Id> = home.and_then(|h| h.trim().to_uppercase().parse().ok());
    let mode = if home.is_some() && number.country().id() == home {
        Mode::National
    } else {
        Mode::International
    };
    number.format().mode(mode).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_shown_nationally_at_home_and_internationally_abroad() {
        assert_eq!(shown("+81", "9048300509", Some("JP")), "090-4830-0509");
        assert_eq!(shown("+81", "9048300509", Some("jp")), "090-4830-0509");
        assert_eq!(shown("+81", "9048300509", Some("GB")), "+81 90-4830-0509");
        assert_eq!(shown("+44", "2079460958", Some("JP")), "+44 20 7946 0958");
        assert_eq!(shown("+44", "2079460958", None), "+44 20 7946 0958");
        assert_eq!(
            shown("+81", "123", Some("JP")),
            "+81 123",
            "not a valid Japanese number: shown as given"
        );
    }

    #[test]
    fn numbers_compare_as_e164_whatever_their_notation() {
        assert_eq!(
            e164("+81", "090-1234-5678").as_deref(),
            Some("+819012345678")
        );
        assert_eq!(
            e164("+81", "９０１２３４５６７８").as_deref(),
            Some("+819012345678"),
            "full-width digits"
        );
        assert_eq!(
            e164("+39", "06 6982 0000").as_deref(),
            Some("+390669820000"),
            "Italy keeps its leading 0 in E.164, which digits alone would drop"
        );
        assert_eq!(e164("+81", ""), None);
        assert_eq!(
            e164("+81", "012").as_deref(),
            Some("+8112"),
            "too short for Japan: written from its digits"
        );
    }
}
