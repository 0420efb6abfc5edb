//! The logger's safety net: every line is scrubbed of anything that looks like a card number,
//! an e-mail address or a phone number before it reaches a file or the terminal.

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::LazyLock;

use regex::Regex;
use tracing_subscriber::fmt::MakeWriter;

// The patterns are ASCII-only (`(?-u)`): a Unicode `\b` and `\d` cost the process about 1 MiB
// of automata and caches from the first log line, and a Unicode `\b` would not see a boundary
// between a kana and a digit (`カード4111…`). Text typed with a Japanese input method is made
// ASCII before matching (see `ascii_forms`).

/// E-mail addresses, also percent-encoded as in a URL's query (`%40`).
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
        .expect("valid regex")
});

/// 13 to 19 digits, optionally grouped by single spaces or dashes: a card number.
static PAN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)\b\d(?:[ -]?\d){12,18}\b").expect("valid regex"));

/// International numbers (`+81 90 1234 5678`), Japanese national notation (`090-1234-5678`) and
/// bare national numbers of 9 to 12 digits (D1's `phoneNumber`, e.g. `9012345678`); the `+` and
/// the separators may be percent-encoded (`%2B81%2090…`) or `+` for a space, as in a URL.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)(?:\+|%2[Bb])\d(?:(?:[ +-]|%20)?\d){6,14}\b|\b0\d{1,4}[- ]\d{1,4}[- ]\d{3,4}\b|\b\d{9,12}\b")
        .expect("valid regex")
});

/// Replaces e-mail addresses, card numbers and phone numbers in `text` with `[email]`, `[pan]`
/// and `[phone]`, after making the full-width forms a Japanese input method types ASCII (see
/// `ascii_forms`). The replacements contain no quote or backslash, so a JSON line stays valid.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut out = ascii_forms(text);
    for (pattern, replacement) in [(&*EMAIL, "[email]"), (&*PAN, "[pan]"), (&*PHONE, "[phone]")] {
        if let Cow::Owned(replaced) = pattern.replace_all(&out, replacement) {
            out = Cow::Owned(replaced);
        }
    }
    out
}

/// A run of digits, single spaces or dashes between them, as long as it goes.
static DIGIT_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?-u)\d(?:[ -]?\d)*").expect("valid regex"));

/// Whether the run `m` of `text` is a card number: 13 to 19 digits that pass the Luhn check,
/// standing apart (not part of a longer word or id such as a hash's hex digits).
fn card_number(text: &str, m: &regex::Match<'_>) -> bool {
    let apart = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
    let digits = m.as_str().bytes().filter(u8::is_ascii_digit).count();
    (13..=19).contains(&digits)
        && apart(text[..m.start()].chars().next_back())
        && apart(text[m.end()..].chars().next())
        && luhn(m.as_str())
}

/// Whether the digits of `run` (anything else is passed over) pass the Luhn check.
pub(super) fn luhn(run: &str) -> bool {
    let digits: Vec<u32> = run.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2 == 1, d * 2) {
            (true, doubled) if doubled > 9 => doubled - 9,
            (true, doubled) => doubled,
            (false, _) => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `text` with each card number (see `card_number`) replaced by `[pan]`, nothing else: what
/// the audit trail never keeps, and what a record an older version wrote may hold, redacted
/// before it leaves the workstation. The team store refuses the same numbers.
pub fn redact_card_numbers(text: &str) -> Cow<'_, str> {
    let folded = ascii_forms(text);
    if !DIGIT_RUN
        .find_iter(&folded)
        .any(|m| card_number(&folded, &m))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(folded.len());
    let mut from = 0;
    for m in DIGIT_RUN.find_iter(&folded) {
        if card_number(&folded, &m) {
            out.push_str(&folded[from..m.start()]);
            out.push_str("[pan]");
            from = m.end();
        }
    }
    out.push_str(&folded[from..]);
    Cow::Owned(out)
}

/// `text` with the forms a Japanese input method types for ASCII made ASCII: full-width
/// letters, digits and signs (`０９０－１２３４`, `ｈａｎａ＠…`), the ideographic space and the dashes
/// written between digit groups. The full-width quotation mark and backslash stay as they are:
/// made ASCII, they would end a JSON log line's string or start an escape.
fn ascii_forms(text: &str) -> Cow<'_, str> {
    if text.is_ascii() || !text.chars().any(|c| ascii_form(c).is_some()) {
        return Cow::Borrowed(text);
    }
    text.chars().map(|c| ascii_form(c).unwrap_or(c)).collect()
}

/// The ASCII character `c` stands for, when it is one of the forms [`ascii_forms`] folds.
fn ascii_form(c: char) -> Option<char> {
    match c {
        '＂' | '＼' => None,
        // The full-width block mirrors ASCII's printable characters, `！` to `～`.
        '！'..='～' => char::from_u32(u32::from(c) - (u32::from('！') - u32::from('!'))),
        '\u{3000}' => Some(' '),
        '\u{2010}'..='\u{2015}' | '\u{2212}' => Some('-'),
        _ => None,
    }
}

/// A [`MakeWriter`] whose writers scrub each log line (see [`scrub`]) before passing it on.
pub struct ScrubbingMakeWriter<M> {
    inner: M,
}

impl<M> ScrubbingMakeWriter<M> {
    /// Wraps the writer factory `inner`.
    pub fn new(inner: M) -> Self {
        Self { inner }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for ScrubbingMakeWriter<M> {
    type Writer = ScrubbingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbingWriter {
            inner: self.inner.make_writer(),
            line: Vec::new(),
        }
    }
}

/// Collects one event's output and writes it scrubbed when flushed or dropped, so that a value
/// split across several `write` calls is still seen whole.
pub struct ScrubbingWriter<W: Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> ScrubbingWriter<W> {
    fn emit(&mut self) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.line);
        let result = self.inner.write_all(scrub(&text).as_bytes());
        self.line.clear();
        result
    }
}

impl<W: Write> Write for ScrubbingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for ScrubbingWriter<W> {
    fn drop(&mut self) {
        // A logger has nowhere to report its own failure to write.
        let _ = self.emit();
    }
}

#[cfg(test)]
mod tests {
    use super::{redact_card_numbers, scrub};

    #[test]
    fn a_card_number_standing_apart_is_redacted_and_digits_inside_an_id_are_not() {
        let cases = [
            ("card 4111 1111 1111 1111 declined", "card [pan] declined"),
            ("(4111-1111-1111-1111)", "([pan])"),
            ("４１１１１１１１１１１１１１１１", "[pan]"),
            // Not a card number: fails the Luhn check, part of a hash's hex digits, too long.
            ("4111 1111 1111 1112", "4111 1111 1111 1112"),
            (
                "chain-4111111111111111abcdef0123456789",
                "chain-4111111111111111abcdef0123456789",
            ),
            ("41111111111111110000", "41111111111111110000"),
            ("12 4111 1111 1111 1111", "12 4111 1111 1111 1111"),
        ];
        for (text, redacted) in cases {
            assert_eq!(redact_card_numbers(text), redacted, "{text}");
        }
    }

    #[test]
    fn masks_card_numbers_in_any_grouping() {
        for pan in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "4111-1111-1111-1111",
            "5555555555554444",
            "378282246310005",
            "6011000990139424123",
        ] {
            assert_eq!(
                scrub(&format!("card {pan} done")),
                "card [pan] done",
                "{pan}"
            );
        }
    }

    #[test]
    fn masks_what_a_japanese_input_method_types_and_numbers_next_to_kana() {
        assert_eq!(scrub("カード4111111111111111です"), "カード[pan]です");
        assert_eq!(
            scrub("番号 ４１１１ １１１１ １１１１ １１１１。"),
            "番号 [pan]。"
        );
        assert_eq!(scrub("電話０９０－１２３４－５６７８"), "電話[phone]");
        assert_eq!(scrub("電話０９０‐１２３４‐５６７８"), "電話[phone]");
        assert_eq!(scrub("＋８１　９０　１２３４　５６７８"), "[phone]");
        assert_eq!(
            scrub("番号４１１１　１１１１　１１１１　１１１１"),
            "番号[pan]"
        );
        assert_eq!(
            scrub("メール ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ"),
            "メール [email]"
        );
    }

    #[test]
    fn a_full_width_quote_or_backslash_keeps_a_json_line_valid() {
        let line = r#"{"message":"名前 ＂ｘ＼ｙ＂ ４１１１１１１１１１１１１１１１"}"#;
        let scrubbed = scrub(line);
        assert_eq!(scrubbed, r#"{"message":"名前 ＂x＼y＂ [pan]"}"#);
        assert!(serde_json::from_str::<serde_json::Value>(&scrubbed).is_ok());
    }

    #[test]
    fn masks_emails_and_phones() {
        assert_eq!(
            scrub("to hanako.sato+c2p@mail.example.co.jp."),
            "to [email]."
        );
        for phone in [
            "+81 90 1234 5678",
            "+819012345678",
            "090-1234-5678",
            "9012345678",
            "%2B81%2090%201234%205678",
            "%2b819012345678",
        ] {
            assert_eq!(scrub(&format!("tel={phone};")), "tel=[phone];", "{phone}");
        }
    }

    #[test]
    fn masks_what_a_url_s_query_carries() {
        assert_eq!(
            scrub("GET /consumers?q=hanako.sato%40mail.example.jp&limit=20"),
            "GET /consumers?q=[email]&limit=20"
        );
    }

    #[test]
    fn leaves_ordinary_log_content_alone() {
        for text in [
            r#"{"timestamp":"2026-11-23T19:21:00.123456Z","level":"INFO"}"#,
            "consumer cons-000123 card crd-7f3k2 last4 4242 took 12 ms",
            "correlation 3f2a9c1e-55b0-4c1d-9e7a-0b1c2d3e4f5a",
        ] {
            assert_eq!(scrub(text), text);
        }
    }
}
