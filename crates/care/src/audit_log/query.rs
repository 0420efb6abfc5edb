//! Which audit records to read: whose, matching what, in which order. The Audit screen's filter
//! is decided here, by the store, so that the page, its count and the export all follow it.

use serde::Deserialize;

/// The records an auditor (or an operator, their own) asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AuditFilter {
    /// Text found in a record's event, resource, result, operator, role or operationId (letter
    /// case ignored); empty for every record.
    #[serde(default)]
    pub text: String,
    /// Events whose words in the operator's language hold the text (the UI knows the words):
    /// these match too.
    #[serde(default)]
    pub events: Vec<String>,
}

impl AuditFilter {
    /// Whether it lets every record through.
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// The filter as an audit record says it: its text with any personal data masked.
    pub fn described(&self) -> String {
        format!(
            "filtered by \"{}\"",
            crate::privacy::scrub(self.text.trim())
        )
    }
}

/// Whose records, matching what, and which end first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Query<'a> {
    /// Only this operator's records (`None`: everyone's).
    pub operator: Option<&'a str>,
    /// What they must match.
    pub filter: &'a AuditFilter,
    /// The newest first (else the oldest).
    pub newest_first: bool,
}

/// The SQL condition of a [`Query`], over parameters `?1` (operator), `?2` (text) and `?3`
/// (the events, as a JSON array).
pub(crate) const WHERE: &str = "(?1 IS NULL OR operator = ?1)
     AND (?2 = ''
          OR instr(lower(event || ' ' || ifnull(resource, '') || ' ' || result || ' ' || operator
                         || ' ' || ifnull(role, '') || ' ' || ifnull(operation_id, '')), lower(?2)) > 0
          OR event IN (SELECT value FROM json_each(?3)))";

impl Query<'_> {
    /// The parameters of [`WHERE`].
    pub(crate) fn params(&self) -> (Option<&str>, String, String) {
        (
            self.operator,
            self.filter.text.trim().to_owned(),
            serde_json::to_string(&self.filter.events).unwrap_or_else(|_| "[]".into()),
        )
    }
}
