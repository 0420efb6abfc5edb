//! CSV rows for the console's exports (audit log, batch reports).

/// One CSV row: every field quoted, and a leading `=`, `+`, `-`, `@`, tab or carriage return
/// neutralised so that a spreadsheet never runs a value as a formula. `None` is an empty field.
pub(crate) fn row(fields: &[Option<&str>]) -> String {
    fields
        .iter()
        .map(|field| {
            let value = field.unwrap_or_default();
            let guard = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                "'"
            } else {
                ""
            };
            format!("\"{guard}{}\"", value.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::row;

    #[test]
    fn nothing_a_spreadsheet_would_run_leads_a_field() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            let written = row(&[Some(formula)]);
            assert!(written.starts_with("\"'"), "{formula:?} → {written}");
        }
        assert_eq!(row(&[Some("say \"hi\""), None]), "\"say \"\"hi\"\"\",\"\"");
    }
}
