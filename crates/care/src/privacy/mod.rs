//! Personal data kept out of logs and files: masking types for what is shown on purpose, and
//! the scrubber that catches what was logged by mistake.

mod mask;
mod scrub;

pub use mask::{Email, Pan, Phone};
pub use scrub::{ScrubbingMakeWriter, ScrubbingWriter, scrub};

/// Refuses `id` when it is a card number: the console never takes a PAN where a cardId or
/// consumerId belongs, so one never reaches the journal, the audit trail or D1. The error does
/// not repeat it.
pub fn refuse_card_number(id: &str) -> crate::Result<()> {
    match Pan::new(id) {
        Some(_) => Err(crate::Error::InvalidInput(
            "that is a card number, not an id: the console never takes a card number; use the cardId (search by the last 4 digits to find it)".into(),
        )),
        None => Ok(()),
    }
}
