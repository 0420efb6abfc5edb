//! The IPC commands. Each converts its arguments, calls [`care`], and converts the result.

use care::audit_log::{AuditFilter, ExportFormat, Verification};
use care::bank::SearchResults;
use care::console::{
    AuditPage, CardTokensWrite, EnvironmentStatus, History, TeamAuditPage, TeamFilter, TokenWritten,
};
use care::credentials::ImportForm;
use care::environments::EnvironmentForm;
use care::environments::connection_test::Step;
use care::environments::{Language, Theme};
use care::journal::{Entry, State as OperationState};
use care::policy::{Permission, Policy};
use care::profile::ConsumerView;
use care::tokens::ConsumerTokens;
use care::writes::{Removal, WriteKind, WriteRequest};

use serde::Serialize;
use tauri::State;
use tauri_specta::Event;

use crate::error::IpcError;
use crate::events::{AuditExportProgress, LanguageChanged};
use crate::picker::{FilePurpose, PickedFile};
use crate::state::AppState;

/// What the UI shows about this installation.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// The console's version.
    pub version: String,
    /// The environment the console talks to, e.g. `sandbox`.
    pub environment: String,
    /// Whether that environment is the embedded simulator (simulated data).
    pub simulated: bool,
    /// The operator's saved language; `None` means "follow the system".
    pub language: Option<Language>,
    /// The operator's saved theme; `None` means "follow the system".
    pub theme: Option<Theme>,
    /// Where settings are kept.
    pub config_dir: String,
    /// Where the journal and the audit log are kept.
    pub data_dir: String,
    /// Where the log files are written.
    pub log_dir: String,
}

/// Version, environment, saved language and the console's directories.
#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, IpcError> {
    let settings = state.console.preferences()?;
    let dirs = state.console.dirs();
    let environment = state.console.active_name()?;
    let simulated = state
        .console
        .environment(&environment)
        .map(|e| e.simulated)
        .unwrap_or(environment == care::SANDBOX_ENVIRONMENT);
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        environment,
        simulated,
        language: settings.language,
        theme: settings.theme,
        config_dir: dirs.config.display().to_string(),
        data_dir: dirs.data.display().to_string(),
        log_dir: dirs.logs.display().to_string(),
    })
}

/// Saves the operator's language and tells every window.
#[tauri::command]
#[specta::specta]
pub fn set_language(
    language: Language,
    state: State<'_, AppState>,
    app: tauri::AppHandle,
) -> Result<(), IpcError> {
    state.console.set_language(language)?;
    LanguageChanged { language }.emit(&app)?;
    Ok(())
}

/// Every environment, which one is in use, and whether its credentials are in the keychain.
#[tauri::command]
#[specta::specta]
pub async fn environments(state: State<'_, AppState>) -> Result<Vec<EnvironmentStatus>, IpcError> {
    Ok(state.console().await.environments().await?)
}

/// Who is working, in which role, and what that role allows.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct OperatorInfo {
    /// The policy in force (read-only: the policy file decides).
    pub policy: Policy,
    /// What the role allows; the UI disables the rest (and the core refuses them anyway).
    pub allowed: Vec<Permission>,
}

/// The operator, their role and what it allows. It waits for the start-up: which policy file
/// counts depends on whether the environment in use is the embedded sandbox.
#[tauri::command]
#[specta::specta]
pub async fn policy(state: State<'_, AppState>) -> Result<OperatorInfo, IpcError> {
    let console = state.console().await;
    Ok(OperatorInfo {
        policy: console.policy()?,
        allowed: console.allowed()?,
    })
}

/// Consumers matching `text` in the bank's records.
#[tauri::command]
#[specta::specta]
pub async fn search(text: String, state: State<'_, AppState>) -> Result<SearchResults, IpcError> {
    Ok(state.console().await.search(&text, 20).await?)
}

/// A search result's e-mail and phone in full (recorded).
#[tauri::command]
#[specta::specta]
pub async fn reveal_contact(
    consumer_id: String,
    state: State<'_, AppState>,
) -> Result<care::console::Contact, IpcError> {
    Ok(state.console().await.reveal_contact(&consumer_id).await?)
}

/// Opens profile audit `audit_id`'s HTML report (in the exports folder) in the system's
/// default browser.
#[tauri::command]
#[specta::specta]
pub fn open_profile_audit_report(
    audit_id: String,
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<(), IpcError> {
    let path = state.console.profile_audit_report(&audit_id)?;
    Ok(crate::opener::open(&app, &path)?)
}

/// What updating the directories from the bank's record (`kind`: a consumer's details or a
/// card's) would change in each directory, read afresh.
#[tauri::command]
#[specta::specta]
pub async fn update_preview(
    kind: WriteKind,
    target: String,
    state: State<'_, AppState>,
) -> Result<Vec<care::writes::Change>, IpcError> {
    Ok(state.console().await.update_preview(kind, &target).await?)
}

/// One consumer: the bank's record, each directory, and the findings.
#[tauri::command]
#[specta::specta]
pub async fn consumer_view(
    consumer_id: String,
    state: State<'_, AppState>,
) -> Result<ConsumerView, IpcError> {
    Ok(state.console().await.consumer_view(&consumer_id).await?)
}

/// A consumer's cards' tokens, each card read at once, and the findings on them.
#[tauri::command]
#[specta::specta]
pub async fn consumer_tokens(
    consumer_id: String,
    state: State<'_, AppState>,
) -> Result<ConsumerTokens, IpcError> {
    Ok(state.console().await.consumer_tokens(&consumer_id).await?)
}

/// Suspends every token of a card, or deletes every merchant's token of it (role `fraud`), each
/// an ordinary token write.
#[tauri::command]
#[specta::specta]
pub async fn write_card_tokens(
    request: CardTokensWrite,
    state: State<'_, AppState>,
) -> Result<Vec<TokenWritten>, IpcError> {
    Ok(state.console().await.write_card_tokens(request).await?)
}

/// A consumer's history: D1's operations on them, their cards and tokens, whoever made them,
/// with the bank's own.
#[tauri::command]
#[specta::specta]
pub async fn history(consumer_id: String, state: State<'_, AppState>) -> Result<History, IpcError> {
    Ok(state.console().await.history(&consumer_id).await?)
}

/// What opting out the consumer (or one card of theirs) would remove from each directory.
#[tauri::command]
#[specta::specta]
pub async fn opt_out_preview(
    consumer_id: String,
    card_id: Option<String>,
    state: State<'_, AppState>,
) -> Result<Vec<Removal>, IpcError> {
    Ok(state
        .console()
        .await
        .opt_out_preview(&consumer_id, card_id.as_deref())
        .await?)
}

/// Sends a write (journaled first); its later changes arrive as `OperationChanged` events.
#[tauri::command]
#[specta::specta]
pub async fn write(request: WriteRequest, state: State<'_, AppState>) -> Result<Entry, IpcError> {
    Ok(state.console().await.write(request).await?)
}

/// This workstation's operations, newest first, optionally in one state.
#[tauri::command]
#[specta::specta]
pub fn operations(
    status: Option<OperationState>,
    limit: u32,
    state: State<'_, AppState>,
) -> Result<Vec<Entry>, IpcError> {
    Ok(state
        .console
        .operations(status, i64::from(limit.min(1000)))?)
}

/// The team's operations in the environment in use, newest first (team mode): all of them, or
/// those on `consumer` and their cards (the History panel). Audited.
#[tauri::command]
#[specta::specta]
pub async fn team_operations(
    consumer: Option<String>,
    limit: u32,
    state: State<'_, AppState>,
) -> Result<Vec<care::console::TeamWrite>, IpcError> {
    Ok(state
        .console
        .team_operations(consumer.as_deref(), i64::from(limit.min(1000)))
        .await?)
}

/// A page of the audit log that `filter` lets through, newest first, with the total.
#[tauri::command]
#[specta::specta]
pub fn audit_page(
    filter: AuditFilter,
    offset: u32,
    limit: u32,
    state: State<'_, AppState>,
) -> Result<AuditPage, IpcError> {
    Ok(state
        .console
        .audit_page(&filter, i64::from(offset), i64::from(limit.min(1000)))?)
}

/// The team store's state and this workstation's backlog of audit records, for the status bar.
#[tauri::command]
#[specta::specta]
pub fn team_status(state: State<'_, AppState>) -> Result<care::console::TeamStatus, IpcError> {
    Ok(state.console.team_status()?)
}

/// Declares emergency mode for the policy's time, saying why (fraud; audited): while the team
/// store cannot be reached, writes go out unclaimed, each flagged.
#[tauri::command]
#[specta::specta]
pub fn emergency_start(
    reason: String,
    state: State<'_, AppState>,
) -> Result<care::journal::Emergency, IpcError> {
    Ok(state.console.emergency_start(&reason)?)
}

/// Ends emergency mode before its time (fraud; audited); whether it was running.
#[tauri::command]
#[specta::specta]
pub fn emergency_end(state: State<'_, AppState>) -> Result<bool, IpcError> {
    Ok(state.console.emergency_end()?)
}

/// Walks the audit chain and, in team mode, compares it with the team store's copy (audited
/// itself).
#[tauri::command]
#[specta::specta]
pub async fn audit_verify(state: State<'_, AppState>) -> Result<Verification, IpcError> {
    Ok(state.console.audit_verify().await?)
}

/// Where an audit export went.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ExportDone {
    /// The file written.
    pub path: String,
    /// How many records it holds.
    pub records: u32,
}

/// Exports the audit log's records that `filter` lets through to a new file in the data
/// directory (auditor only, audited), telling the UI of the progress through
/// `AuditExportProgress` events.
#[tauri::command]
#[specta::specta]
pub async fn audit_export(
    format: ExportFormat,
    filter: AuditFilter,
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<ExportDone, IpcError> {
    let console = state.console.clone();
    let (path, records) = tauri::async_runtime::spawn_blocking(move || {
        console.audit_export_new_file(format, &filter, &mut export_progress(&app))
    })
    .await
    .map_err(|e| care::Error::Internal(format!("the export stopped: {e}")))??;
    Ok(ExportDone::of(&path, records))
}

impl ExportDone {
    fn of(path: &std::path::Path, records: u64) -> Self {
        ExportDone {
            path: path.display().to_string(),
            records: u32::try_from(records).unwrap_or(u32::MAX),
        }
    }
}

/// Tells the UI of an export's progress through `AuditExportProgress` events.
fn export_progress(app: &tauri::AppHandle) -> impl FnMut(u64, u64) + Send + '_ {
    move |written, total| {
        let progress = AuditExportProgress {
            written: u32::try_from(written).unwrap_or(u32::MAX),
            total: u32::try_from(total).unwrap_or(u32::MAX),
        };
        if let Err(error) = progress.emit(app) {
            tracing::debug!(%error, "could not report the export's progress");
        }
    }
}

/// Every workstation's chain in the team store checked whole, and the store's alerts (auditor,
/// with an auditor's login; audited).
#[tauri::command]
#[specta::specta]
pub async fn audit_verify_team(
    state: State<'_, AppState>,
) -> Result<care::console::TeamVerification, IpcError> {
    Ok(state.console.audit_verify_team().await?)
}

/// A page of the team's trail in the team store (auditor, with an auditor's login; audited).
#[tauri::command]
#[specta::specta]
pub async fn team_audit_page(
    filter: TeamFilter,
    offset: u32,
    limit: u32,
    state: State<'_, AppState>,
) -> Result<TeamAuditPage, IpcError> {
    Ok(state
        .console
        .team_audit_page(filter, i64::from(offset), i64::from(limit))
        .await?)
}

/// Exports the team's trail that `filter` lets through to a new file in the data directory
/// (auditor, audited), with `AuditExportProgress` events.
#[tauri::command]
#[specta::specta]
pub async fn team_audit_export(
    format: ExportFormat,
    filter: TeamFilter,
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<ExportDone, IpcError> {
    let (path, records) = state
        .console
        .team_audit_export_new_file(format, filter, &mut export_progress(&app))
        .await?;
    Ok(ExportDone::of(&path, records))
}

/// Saves the operator's theme (`None`: follow the system).
#[tauri::command]
#[specta::specta]
pub fn set_theme(theme: Option<Theme>, state: State<'_, AppState>) -> Result<(), IpcError> {
    state.console.set_theme(theme)?;
    Ok(())
}

/// Switches the console to another environment (audited).
#[tauri::command]
#[specta::specta]
pub async fn use_environment(name: String, state: State<'_, AppState>) -> Result<(), IpcError> {
    Ok(state.console().await.use_environment(&name).await?)
}

/// The connection test of an environment: handshake, token, one read, the bank's records.
#[tauri::command]
#[specta::specta]
pub async fn test_connection(
    name: String,
    state: State<'_, AppState>,
) -> Result<Vec<Step>, IpcError> {
    Ok(state.console().await.test_connection(&name).await?)
}

/// Opens the system's file picker over the window (titled `title`, in the operator's language)
/// and gives a token for the chosen file and its name, or `None` when the operator cancels.
/// No path crosses IPC: the commands that read a file take the token.
#[tauri::command]
#[specta::specta]
pub async fn choose_file(
    purpose: FilePurpose,
    title: String,
    window: tauri::Window,
    state: State<'_, AppState>,
) -> Result<Option<PickedFile>, IpcError> {
    let picked = crate::picker::pick(&window, purpose, &title).await?;
    Ok(picked.map(|path| state.picks.remember(path, purpose)))
}

/// Adds (or replaces) an environment from the wizard's form (its CA file a picked file's
/// token); the CA file is read and checked.
#[tauri::command]
#[specta::specta]
pub async fn add_environment(
    mut form: EnvironmentForm,
    state: State<'_, AppState>,
) -> Result<(), IpcError> {
    form.ca_file = state.picks.ca_file(form.ca_file.take())?;
    let environment = form.into_environment()?;
    Ok(state.console().await.add_environment(environment)?)
}

/// The client certificate an import stored.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    /// The certificate's subject.
    pub subject: String,
    /// When it expires (RFC 3339).
    pub not_after: String,
}

/// Checks the picked credential files (named by their tokens) and stores the keys in the OS
/// keychain (audited). A PKCS#12 passphrase in the form is used once and zeroed; it is never
/// stored or logged.
#[tauri::command]
#[specta::specta]
pub async fn import_credentials(
    environment: String,
    form: ImportForm,
    state: State<'_, AppState>,
) -> Result<Imported, IpcError> {
    let request = state.picks.import_form(form)?.into_request()?;
    let (subject, not_after) = state
        .console()
        .await
        .import_credentials(&environment, request)
        .await?;
    Ok(Imported { subject, not_after })
}
