//! Personal data kept out of logs and files: masking types for what is shown on purpose, and
//! the scrubber that catches what was logged by mistake.

mod mask;
mod scrub;

pub use mask::{Email, Pan, Phone};
pub use scrub::{ScrubbingMakeWriter, ScrubbingWriter, scrub};
