//! Generates Tauri's context and the permissions of the app's own commands.

/// Every IPC command of the app. Each needs `allow-<name>` in capabilities/ to be callable.
const COMMANDS: &[&str] = &[
    "app_info",
    "set_language",
    "environments",
    "policy",
    "search",
    "consumer_view",
    "consumer_tokens",
    "history",
    "write_card_tokens",
    "open_profile_audit_report",
    "reveal_contact",
    "opt_out_preview",
    "update_preview",
    "write",
    "operations",
    "team_operations",
    "audit_page",
    "audit_verify",
    "team_status",
    "emergency_start",
    "emergency_end",
    "team_audit_page",
    "audit_verify_team",
    "team_audit_export",
    "set_theme",
    "use_environment",
    "test_connection",
    "audit_export",
    "choose_file",
    "add_environment",
    "import_credentials",
    "read_list_file",
    "batch_check",
    "batch_create",
    "token_batch_create",
    "batch_preview",
    "batch_run",
    "batch_control",
    "batch_takeover",
    "team_batches",
    "team_batch_control",
    "batches",
    "batch_report",
    "batch_discard",
    "audit_profiles",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed");
}
