//! Personal data kept out of logs and files: masking types for what is shown on purpose, and
//! the scrubber that catches what was logged by mistake.

mod mask;
mod scrub;

pub use mask::{Email, Pan, Phone, email_hint, phone_hint};
pub use scrub::{ScrubbingMakeWriter, ScrubbingWriter, redact_card_numbers, scrub};

/// The characters that are invisible or change how the text around them shows, as inclusive
/// code point ranges: controls (terminal escape sequences), Unicode format characters (bidi
/// overrides and isolates, zero-width characters, the soft hyphen), the combining grapheme
/// joiner, the Hangul fillers and the tag characters. Text from D1 or the bank shows each as its
/// code, so that it can neither drive a terminal nor make two names look alike. The UI gets the
/// same list as the constant `HIDDEN_CHARACTERS`.
pub const HIDDEN_CHARACTERS: &[(u32, u32)] = &[
    (0x00, 0x1f),
    (0x7f, 0x9f),
    (0xad, 0xad),
    (0x34f, 0x34f),
    (0x600, 0x605),
    (0x61c, 0x61c),
    (0x6dd, 0x6dd),
    (0x70f, 0x70f),
    (0x115f, 0x1160),
    (0x180e, 0x180e),
    (0x200b, 0x200f),
    (0x202a, 0x202e),
    (0x2060, 0x2064),
    (0x2066, 0x206f),
    (0x3164, 0x3164),
    (0xfeff, 0xfeff),
    (0xffa0, 0xffa0),
    (0xfff9, 0xfffb),
    (0xe0001, 0xe0001),
    (0xe0020, 0xe007f),
];

/// Whether `c` is one of the [`HIDDEN_CHARACTERS`].
pub fn is_hidden(c: char) -> bool {
    let c = u32::from(c);
    HIDDEN_CHARACTERS
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// Refuses `id` when it is personal data written where a cardId or consumerId belongs: a card
/// number, an e-mail address or a phone number. So none ever reaches the
/// journal, the audit trail or D1; the error does not repeat it.
pub fn refuse_personal_data_as_id(id: &str) -> crate::Result<()> {
    let id = id.trim();
    let what = if d1::shape::holds_card_number(id) {
        "a card number"
    } else if id.contains('@') {
        "an e-mail address"
    } else if scrub(id) != id {
        "a phone number"
    } else {
        return Ok(());
    };
    Err(crate::Error::InvalidInput(format!(
        "that is {what}, not an id: the console never takes one where a cardId or consumerId belongs; search for the consumer and use their ids"
    )))
}

/// The last four digits when `text` is a whole card number typed where a search goes: 13 to 19
/// digits, however spaced or dashed, that pass the Luhn check (a phone typed without its `+`
/// rarely does). The desktop's search box applies the same rule before anything leaves it.
pub fn card_number_last4(text: &str) -> Option<String> {
    let digits: Vec<u32> = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    ((13..=19).contains(&digits.len()) && scrub::luhn(text)).then(|| {
        digits[digits.len() - 4..]
            .iter()
            .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
            .collect()
    })
}

/// Refuses a free-text `reason` that holds a card number or phone number: D1 logs reasons in
/// clear. The error does not repeat it.
pub fn refuse_personal_data_in_reason(reason: &str) -> crate::Result<()> {
    if scrub(reason) == reason {
        return Ok(());
    }
    Err(crate::Error::InvalidInput(
        "the reason holds what looks like a card number or phone number, and D1 keeps reasons in clear: describe why without numbers".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_card_number_is_known_however_written_and_nothing_else() {
        for (pan, last4) in [
            ("4111111111111111", "1111"),
            ("4111-1111-1111-1111", "1111"),
            ("5555 5555 5555 4444", "4444"),
            ("378282246310005", "0005"),
        ] {
            assert_eq!(card_number_last4(pan).as_deref(), Some(last4), "{pan}");
        }
        for other in [
            "4878",
            "+81 90 1234 5678",
            "819012345678",
            "4111111111111112",
            "cons-0010-closed",
            "crd-4111111111111111",
        ] {
            assert_eq!(card_number_last4(other), None, "{other}");
        }
    }
}
