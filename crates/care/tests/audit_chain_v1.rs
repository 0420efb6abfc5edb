//! The audit chain written before the audit record had a format version (`fixtures/audit-v1.sqlite`,
//! committed by the code of that time, holding every event it could write) still verifies, and
//! every record reads as a typed event of version 1.

use std::path::{Path, PathBuf};

use care::audit_log::{AuditEvent, AuditLog};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit-v1.sqlite")
}

/// Every event name the console wrote at version 1, with a result it wrote for it.
const EVENTS: &[(&str, &str)] = &[
    ("search", "3 found"),
    ("profile_view", "ok"),
    ("profile_view", "partial"),
    ("environment_add", "ok"),
    ("environment_change", "ok"),
    ("credentials_import", "refused"),
    ("credentials_import", "failed"),
    ("credentials_import", "ok"),
    ("credentials_remove", "ok"),
    ("connection_test", "ok"),
    ("connection_test", "failed"),
    ("audit_verify", "intact (12 records)"),
    ("audit_export", "12 records"),
    ("opt_out_card_intent", "recorded"),
    ("opt_out_card_outcome", "PENDING"),
    ("opt_out_card_outcome", "SUCCESSFUL"),
    ("opt_out_consumer_intent", "recorded"),
    ("opt_out_consumer_outcome", "UNKNOWN"),
    ("enrol_card_intent", "recorded"),
    ("enrol_card_outcome", "FAILED"),
    ("update_card_intent", "recorded"),
    ("update_card_outcome", "SUCCESSFUL"),
    ("update_consumer_intent", "recorded"),
    ("update_consumer_outcome", "SUCCESSFUL"),
    ("search_denied", "denied"),
    ("view_denied", "denied"),
    ("optoutcard_denied", "denied"),
    ("optoutconsumer_denied", "denied"),
    ("enrol_denied", "denied"),
    ("update_denied", "denied"),
    ("batchoptout_denied", "denied"),
    ("auditexport_denied", "denied"),
    ("auditprofiles_denied", "denied"),
    ("batch_opt_out_created", "ok"),
    ("batch_opt_out_dry_run", "ok"),
    ("batch_opt_out_run", "started"),
    ("batch_opt_out_run", "DONE"),
    ("batch_opt_out_discarded", "ok"),
    ("batch_report_export", "ok"),
    ("profile_audit", "3 consumers read, 2 findings"),
    (
        "profile_audit_export",
        "2 findings of 3 consumers to /tmp/exports",
    ),
];

#[test]
fn a_version_1_chain_verifies() {
    let path = fixture();
    // Opened from a copy: opening may add WAL files next to it.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("audit.sqlite");
    std::fs::copy(&path, &copy).unwrap();
    let log = AuditLog::open(&copy).unwrap();
    let verification = log.verify().unwrap();
    assert_eq!(verification.first_broken, None);
    assert_eq!(verification.records, EVENTS.len() as i64);
    let records = log.after(0, 1000).unwrap();
    let stored: Vec<&str> = records.iter().map(|r| r.event.event.as_str()).collect();
    let expected: Vec<&str> = EVENTS.iter().map(|(e, _)| *e).collect();
    assert_eq!(stored, expected);
    for record in &records {
        assert_eq!(record.version, 1);
        let kind = record
            .kind
            .unwrap_or_else(|| panic!("{} is not typed", record.event.event));
        assert_eq!(kind.as_str(), record.event.event);
    }
    // Every event name version 1 wrote is still one the code knows, spelled the same.
    for name in &stored {
        assert!(
            AuditEvent::parse(name).is_some(),
            "{name} is no longer known"
        );
    }
}
