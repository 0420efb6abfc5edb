//! CSV for the console's exports (audit log, batch and profile-audit reports), written by the
//! `csv` crate: every field quoted, and a leading `=`, `+`, `-`, `@`, tab or carriage return
//! neutralised so that a spreadsheet never runs a value as a formula.

use std::io::Write;

use crate::{Error, Result};

/// Rows of CSV under a header, into `W`.
pub(crate) struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
}

fn io(error: impl std::fmt::Display) -> Error {
    Error::Internal(format!("cannot write the CSV file: {error}"))
}

impl<W: Write> CsvWriter<W> {
    /// A writer whose first line is `header` (column names of our own, never data).
    pub(crate) fn new(mut out: W, header: &[&str]) -> Result<Self> {
        debug_assert!(
            header
                .iter()
                .all(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        );
        writeln!(out, "{}", header.join(",")).map_err(io)?;
        let out = csv::WriterBuilder::new()
            .quote_style(csv::QuoteStyle::Always)
            .from_writer(out);
        Ok(Self { out })
    }

    /// One row; `None` is an empty field.
    pub(crate) fn row(&mut self, fields: &[Option<&str>]) -> Result<()> {
        for field in fields {
            let value = field.unwrap_or_default();
            if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                self.out.write_field(format!("'{value}")).map_err(io)?;
            } else {
                self.out.write_field(value).map_err(io)?;
            }
        }
        self.out.write_record(None::<&[u8]>).map_err(io)
    }

    /// Flushes the rows and gives back what they were written into.
    pub(crate) fn finish(self) -> Result<W> {
        self.out.into_inner().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::CsvWriter;

    fn written(fields: &[Option<&str>]) -> String {
        let mut csv = CsvWriter::new(Vec::new(), &["a", "b"]).unwrap();
        csv.row(fields).unwrap();
        String::from_utf8(csv.finish().unwrap()).unwrap()
    }

    #[test]
    fn nothing_a_spreadsheet_would_run_leads_a_field() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            let written = written(&[Some(formula)]);
            assert!(written.starts_with("a,b\n\"'"), "{formula:?} → {written}");
        }
        assert_eq!(
            written(&[Some("say \"hi\""), None]),
            "a,b\n\"say \"\"hi\"\"\",\"\"\n"
        );
        assert_eq!(
            written(&[Some("two\nlines")]),
            "a,b\n\"two\nlines\"\n",
            "a line break stays inside its quoted field"
        );
    }
}
