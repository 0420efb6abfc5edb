//! CSV rows for the console's exports (audit log, batch reports).

/// One CSV row: every field quoted, and a leading `=`, `+`, `-` or `@` neutralised so that a
/// spreadsheet never runs a value as a formula. `None` is an empty field.
pub(crate) fn row(fields: &[Option<&str>]) -> String {
    fields
        .iter()
        .map(|field| {
            let value = field.unwrap_or_default();
            let guard = if value.starts_with(['=', '+', '-', '@']) {
                "'"
            } else {
                ""
            };
            format!("\"{guard}{}\"", value.replace('"', "\"\""))
        })
        .collect::<Vec<_>>()
        .join(",")
}
