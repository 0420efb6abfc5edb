//! The typed IPC surface (commands and events) and the TypeScript bindings generated from it.

use std::path::Path;

use specta_typescript::Typescript;
use tauri_specta::{Builder, collect_commands, collect_events};

use crate::{batches, commands, events, start_hints};

/// The committed bindings the UI imports (`ui/src/lib/ipc/bindings.ts`).
pub const BINDINGS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ui/src/lib/ipc/bindings.ts");

/// Every command and event of the app, for Tauri and for the bindings.
pub fn builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            commands::app_info,
            commands::set_language,
            commands::environments,
            commands::policy,
            commands::search,
            commands::consumer_view,
            commands::consumer_tokens,
            commands::history,
            commands::write_card_tokens,
            commands::reveal_contact,
            commands::open_profile_audit_report,
            commands::opt_out_preview,
            commands::update_preview,
            commands::write,
            commands::operations,
            commands::team_operations,
            commands::audit_page,
            commands::audit_verify,
            commands::team_status,
            commands::emergency_start,
            commands::emergency_end,
            commands::team_audit_page,
            commands::audit_verify_team,
            commands::team_audit_export,
            commands::set_theme,
            commands::use_environment,
            commands::test_connection,
            commands::audit_export,
            commands::choose_file,
            commands::add_environment,
            commands::import_credentials,
            batches::read_list_file,
            batches::batch_check,
            batches::batch_create,
            batches::token_batch_create,
            batches::batch_preview,
            batches::batch_run,
            batches::batch_control,
            batches::batch_takeover,
            batches::team_batches,
            batches::team_batch_control,
            batches::batches,
            batches::batch_report,
            batches::batch_discard,
            batches::audit_profiles,
        ])
        .events(collect_events![
            events::LanguageChanged,
            events::OperationChanged,
            events::AuditExportProgress,
            events::BatchProgress,
            events::BatchPreviewProgress,
            events::ProfileAuditProgress,
            events::TeamStatusChanged,
            events::TeamBatchChanged
        ])
        .typ::<start_hints::StartHints>()
        .constant("WRITES", care::writes::WriteKind::rules())
        .constant("TOKEN_REASONS", care::tokens::TokenReason::rules())
        .constant("HIDDEN_CHARACTERS", care::privacy::HIDDEN_CHARACTERS)
        .constant(
            "DRY_RUN_LIFETIME_SECONDS",
            u32::try_from(care::journal::batches::DRY_RUN_LIFETIME.as_secs()).unwrap_or(u32::MAX),
        )
}

/// Writes the TypeScript bindings for [`builder`] to `path`.
pub fn export_bindings(path: &Path) -> Result<(), String> {
    let typescript = Typescript::default()
        .header("// Regenerate with `make bindings`; a test fails when this file is stale.\n");
    builder()
        .export(typescript, path)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails when the committed bindings differ from the code. `make bindings` rewrites them
    /// (it runs this test with `C2P_WRITE_BINDINGS=1`).
    #[test]
    fn committed_bindings_match_the_code() {
        let dir = tempfile::tempdir().unwrap();
        let generated_path = dir.path().join("bindings.ts");
        export_bindings(&generated_path).unwrap();
        let generated = std::fs::read_to_string(&generated_path).unwrap();
        if std::env::var_os("C2P_WRITE_BINDINGS").is_some_and(|v| v == "1") {
            std::fs::write(BINDINGS_PATH, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(BINDINGS_PATH).unwrap_or_default();
        assert!(
            committed == generated,
            "ui/src/lib/ipc/bindings.ts does not match the Rust commands and events: run `make bindings` and commit the file"
        );
    }
}
