//! Personal data kept out of logs and files: masking types for what is shown on purpose, and
//! the scrubber that catches what was logged by mistake.

mod mask;
mod scrub;

pub use mask::{Email, Pan, Phone};
pub use scrub::{ScrubbingMakeWriter, ScrubbingWriter, scrub};

/// Whether `c` is invisible or changes how the text around it shows: a control character
/// (terminal escape sequences), or a Unicode format character (bidi overrides and isolates,
/// zero-width characters, the soft hyphen). Text from D1 or the bank shows such a character as
/// its code, so it can neither drive a terminal nor make two names look alike.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{180e}'
            | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
            // The combining grapheme joiner, the Hangul fillers, and the tag characters.
            | '\u{34f}' | '\u{115f}' | '\u{1160}' | '\u{3164}' | '\u{ffa0}'
            | '\u{e0001}' | '\u{e0020}'..='\u{e007f}')
}

/// Refuses `id` when it is personal data written where a cardId or consumerId belongs: a card
/// number, an e-mail address or an international phone number. So none ever reaches the
/// journal, the audit trail or D1; the error does not repeat it.
pub fn refuse_personal_data_as_id(id: &str) -> crate::Result<()> {
    let id = id.trim();
    let what = if d1::shape::holds_card_number(id) {
        "a card number"
    } else if id.contains('@') {
        "an e-mail address"
    } else if id.starts_with('+') || scrub(id) != id {
        "a phone number"
    } else {
        return Ok(());
    };
    Err(crate::Error::InvalidInput(format!(
        "that is {what}, not an id: the console never takes one where a cardId or consumerId belongs; search for the consumer and use their ids"
    )))
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
