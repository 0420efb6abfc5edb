//! Newtypes for personal data whose `Display` and `Debug` are masked, so that logging one by
//! mistake (`info!(%email)`, `{:?}`) never writes the value. The raw value is reachable only
//! through an explicit `expose()`.

use std::fmt;

/// A primary account number. Shown as its last four digits only (DESIGN.md: agents see last 4).
#[derive(Clone, PartialEq, Eq)]
pub struct Pan(String);

/// An e-mail address. Shown as `***@domain`.
#[derive(Clone, PartialEq, Eq)]
pub struct Email(String);

/// A phone number. Shown as its last two digits only.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Pan {
    /// Wraps a PAN given with or without spaces or dashes; `None` unless it has 12 to 19 digits.
    pub fn new(raw: &str) -> Option<Self> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let valid = (12..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        valid.then_some(Pan(digits))
    }

    /// The last four digits, which agents may see.
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// The full number. Never log or display it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Email {
    /// Wraps an e-mail address.
    pub fn new(raw: impl Into<String>) -> Self {
        Email(raw.into())
    }

    /// The full address. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Phone {
    /// Wraps a phone number in any notation.
    pub fn new(raw: impl Into<String>) -> Self {
        Phone(raw.into())
    }

    /// The full number. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "****{}", self.last4())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.rsplit_once('@') {
            Some((_, domain)) => write!(f, "***@{domain}"),
            None => f.write_str("***"),
        }
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits: Vec<char> = self.0.chars().filter(char::is_ascii_digit).collect();
        let tail: String = digits[digits.len().saturating_sub(2)..].iter().collect();
        write!(f, "***{tail}")
    }
}

/// What tells two people with one name apart, without showing an e-mail address: its first
/// character and its domain (`h•••@example.jp`).
pub fn email_hint(email: &str) -> String {
    match email.trim().rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".into(),
    }
}

/// The same for a phone number: its last 4 digits (`•••• 6013`).
pub fn phone_hint(phone: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let digits: Vec<char> = phone.nfkc().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("•••• {tail}")
}

macro_rules! debug_as_display {
    ($($ty:ident),*) => {$(
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({})"), self)
            }
        }
    )*};
}
debug_as_display!(Pan, Email, Phone);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_tell_people_apart_without_showing_their_contact_details() {
        assert_eq!(email_hint("hanako.sato@example.jp"), "h•••@example.jp");
        assert_eq!(email_hint("佐藤@example.jp"), "佐•••@example.jp");
        assert_eq!(email_hint("no-at-sign"), "•••");
        assert_eq!(phone_hint("9048306013"), "•••• 6013");
        assert_eq!(phone_hint("０９０-４８３０-６０１３"), "•••• 6013");
        assert_eq!(phone_hint("12"), "•••• 12");
    }

    #[test]
    fn pan_shows_last_four_only() {
        let pan = Pan::new("4111 1111 1111 1111").unwrap();
        assert_eq!(pan.to_string(), "****1111");
        assert_eq!(format!("{pan:?}"), "Pan(****1111)");
        assert_eq!(pan.expose(), "4111111111111111");
    }

    #[test]
    fn pan_rejects_what_is_not_a_card_number() {
        assert!(Pan::new("12345").is_none());
        assert!(Pan::new("4111 1111 1111 111x").is_none());
        assert!(Pan::new("41111111111111111111").is_none());
    }

    #[test]
    fn email_and_phone_are_masked_in_display_and_debug() {
        let email = Email::new("hanako.sato@example.jp");
        assert_eq!(email.to_string(), "***@example.jp");
        assert!(!format!("{email:?}").contains("hanako"));
        let phone = Phone::new("+81 90-1234-5678");
        assert_eq!(phone.to_string(), "***78");
        assert!(!format!("{phone:?}").contains("1234"));
        assert_eq!(Phone::new("").to_string(), "***");
    }
}
