//! The IPC commands of the batch screens: the fraud team's batch opt-out and the auditors'
//! profile audit. Long runs report through typed events; pause, resume and cancel go through
//! the run's control channel, kept in [`AppState`].

use care::batch::input::{ParsedList, TargetKind, parse};
use care::batch::preview::Preview;
use care::batch::{Progress, RunControl};
use care::environments::Language;
use care::journal::{Batch, BatchAction};
use care::policy::Permission;
use care::profile_audit::report::ReportFiles;
use care::profile_audit::{AuditProgress, ProfileAudit, Scope};
use care::tokens::TokenReason;
use serde::Serialize;
use tauri::State;
use tauri_specta::Event;

use crate::commands::ExportDone;
use crate::error::IpcError;
use crate::events::{BatchPreviewProgress, BatchProgress, ProfileAuditProgress};
use crate::picker::FilePurpose;
use crate::state::AppState;

/// The control key of the profile audit: one runs at a time.
const PROFILE_AUDIT: &str = "profile-audit";

/// Emits `event`; a window that is gone only misses progress.
fn emit(event: impl Event + Serialize + Clone, app: &tauri::AppHandle) {
    if let Err(error) = event.emit(app) {
        tracing::debug!(%error, "could not report progress");
    }
}

/// Reads a list file the operator chose in the picker (its token; UTF-8, at most 8 MiB) for
/// the list box of a batch opt-out (`batchOptOut`) or a profile audit (`auditProfiles`), when
/// the role allows that work.
#[tauri::command]
#[specta::specta]
pub async fn read_list_file(
    token: String,
    purpose: Permission,
    state: State<'_, AppState>,
) -> Result<String, IpcError> {
    let path = state.picks.path(&token, FilePurpose::List)?;
    // The policy in force depends on the embedded sandbox: wait for the start-up.
    state.console().await;
    let console = state.console.clone();
    let text = tauri::async_runtime::spawn_blocking(move || console.read_list_file(&path, purpose))
        .await
        .map_err(|e| care::Error::Internal(format!("reading the list stopped: {e}")))??;
    Ok(text)
}

/// Checks a pasted list: its valid entries, invalid lines with why, and repeats merged.
/// Nothing is stored or sent.
#[tauri::command]
#[specta::specta]
pub fn batch_check(text: String, bare: Option<TargetKind>) -> ParsedList {
    parse(&text, bare)
}

/// Makes a batch opt-out of the list (role `fraud`); nothing is sent yet.
#[tauri::command]
#[specta::specta]
pub async fn batch_create(
    text: String,
    bare: Option<TargetKind>,
    user_decision: bool,
    reason: Option<String>,
    state: State<'_, AppState>,
) -> Result<Batch, IpcError> {
    let list = parse(&text, bare);
    Ok(state
        .console()
        .await
        .batch_create(&list, user_decision, reason.as_deref())?)
}

/// Makes a token batch from the pasted list of cards (role `fraud`): `action` on their tokens,
/// only those of merchant or token requestor `filter` when given. Nothing is sent.
#[tauri::command]
#[specta::specta]
pub async fn token_batch_create(
    text: String,
    action: BatchAction,
    filter: Option<String>,
    reason_code: TokenReason,
    reason: Option<String>,
    state: State<'_, AppState>,
) -> Result<Batch, IpcError> {
    let list = parse(&text, Some(TargetKind::Card));
    Ok(state.console().await.token_batch_create(
        &list,
        action,
        filter.as_deref(),
        reason_code,
        reason.as_deref(),
    )?)
}

/// The dry run: what each entry would remove from which directory, read 8 at a time;
/// `BatchPreviewProgress` events count the entries read.
#[tauri::command]
#[specta::specta]
pub async fn batch_preview(
    batch_id: String,
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<Vec<Preview>, IpcError> {
    let read = std::sync::atomic::AtomicU32::new(0);
    let on_item = |_: &Preview| {
        let read = read.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        emit(
            BatchPreviewProgress {
                batch_id: batch_id.clone(),
                read,
            },
            &app,
        );
    };
    Ok(state
        .console()
        .await
        .batch_preview(&batch_id, care::batch::DEFAULT_CONCURRENCY, &on_item)
        .await?)
}

/// Runs (or resumes) a batch to its end with `concurrency` writes at a time; `BatchProgress`
/// events carry the counts, and [`batch_control`] pauses, resumes or cancels it.
#[tauri::command]
#[specta::specta]
pub async fn batch_run(
    batch_id: String,
    concurrency: u32,
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<Progress, IpcError> {
    run_to_end(&batch_id, concurrency, false, &app, &state).await
}

/// Runs batch `batch_id` (after taking it over, with `takeover`) to its end, telling the UI of
/// its progress; its control channel is kept while it runs.
async fn run_to_end(
    batch_id: &str,
    concurrency: u32,
    takeover: bool,
    app: &tauri::AppHandle,
    state: &AppState,
) -> Result<Progress, IpcError> {
    let control = state.start_run(batch_id)?;
    let on_progress = |progress: &Progress| {
        emit(
            BatchProgress {
                batch_id: batch_id.to_owned(),
                progress: progress.clone(),
            },
            app,
        );
    };
    let concurrency = usize::try_from(concurrency).unwrap_or(usize::MAX);
    let console = state.console().await;
    let result = match takeover {
        true => {
            console
                .batch_takeover(batch_id, concurrency, control, &on_progress)
                .await
        }
        false => {
            console
                .batch_run(batch_id, concurrency, control, &on_progress)
                .await
        }
    };
    state.end_run(batch_id);
    Ok(result?)
}

/// Takes over a team batch whose runner stopped and runs it from here to its end (role
/// `fraud`, team mode, audited); `BatchProgress` events carry the counts, and [`batch_control`]
/// pauses, resumes or cancels it.
#[tauri::command]
#[specta::specta]
pub async fn batch_takeover(
    batch_id: String,
    concurrency: u32,
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<Progress, IpcError> {
    run_to_end(&batch_id, concurrency, true, &app, &state).await
}

/// The fraud team's newest batches in the team store, with their runner and counts (team
/// mode, role `fraud`).
#[tauri::command]
#[specta::specta]
pub async fn team_batches(
    state: State<'_, AppState>,
) -> Result<Vec<care::console::TeamBatch>, IpcError> {
    Ok(state.console().await.team_batches(20).await?)
}

/// Asks the runner of a team batch, wherever it runs, to pause, run again or cancel (role
/// `fraud`, audited).
#[tauri::command]
#[specta::specta]
pub async fn team_batch_control(
    batch_id: String,
    control: RunControl,
    state: State<'_, AppState>,
) -> Result<(), IpcError> {
    Ok(state
        .console()
        .await
        .team_batch_control(&batch_id, control)
        .await?)
}

/// Pauses, resumes or cancels a running batch (`batchId`) or the profile audit (`null`).
#[tauri::command]
#[specta::specta]
pub fn batch_control(
    batch_id: Option<String>,
    control: RunControl,
    state: State<'_, AppState>,
) -> Result<(), IpcError> {
    Ok(state.control_run(batch_id.as_deref().unwrap_or(PROFILE_AUDIT), control)?)
}

/// A batch and how far it is, for the list of this workstation's batches.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct BatchStatus {
    /// The batch.
    pub batch: Batch,
    /// Its items by status.
    pub progress: Progress,
    /// Whether it is running in this window now.
    pub running: bool,
}

/// This workstation's newest batches (a crashed or paused one can be resumed from here).
#[tauri::command]
#[specta::specta]
pub fn batches(state: State<'_, AppState>) -> Result<Vec<BatchStatus>, IpcError> {
    Ok(state
        .console
        .batches(20)?
        .into_iter()
        .map(|summary| BatchStatus {
            running: state.is_running(&summary.batch.id),
            batch: summary.batch,
            progress: summary.progress,
        })
        .collect())
}

/// Closes a batch without sending what it has not sent (role `fraud`, audited); refused while
/// it runs in this window.
#[tauri::command]
#[specta::specta]
pub async fn batch_discard(batch_id: String, state: State<'_, AppState>) -> Result<(), IpcError> {
    // Held as a run while it is discarded, so that no run of it can start meanwhile.
    let _held = state.start_run(&batch_id)?;
    let discarded = state.console().await.batch_discard(&batch_id);
    state.end_run(&batch_id);
    Ok(discarded?)
}

/// Writes a batch's report (CSV, one row per entry with its operationId and final status) to
/// the exports folder.
#[tauri::command]
#[specta::specta]
pub async fn batch_report(
    batch_id: String,
    state: State<'_, AppState>,
) -> Result<ExportDone, IpcError> {
    let (path, records) = state.console().await.batch_report_file(&batch_id)?;
    Ok(ExportDone {
        path: path.display().to_string(),
        records: u32::try_from(records).unwrap_or(u32::MAX),
    })
}

/// A finished profile audit and its exported report.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProfileAuditDone {
    /// What was read and found.
    pub audit: ProfileAudit,
    /// The findings CSV and the HTML report.
    pub files: ReportFiles,
}

/// Audits the profiles in `scope` (role `auditor`), `concurrency` at a time, with
/// `ProfileAuditProgress` events; then exports the CSV and the HTML report, in `language`
/// (the operator's), audited.
#[tauri::command]
#[specta::specta]
pub async fn audit_profiles(
    scope: Scope,
    concurrency: u32,
    language: Language,
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> Result<ProfileAuditDone, IpcError> {
    let control = state.start_run(PROFILE_AUDIT)?;
    let on_progress = |progress: &AuditProgress| {
        emit(
            ProfileAuditProgress {
                progress: *progress,
            },
            &app,
        )
    };
    let console = state.console().await;
    let concurrency = usize::try_from(concurrency).unwrap_or(usize::MAX);
    let result = console
        .audit_profiles(&scope, concurrency, control, &on_progress)
        .await;
    state.end_run(PROFILE_AUDIT);
    let audit = result?;
    let files = console.export_profile_audit_to_exports(&audit, language)?;
    Ok(ProfileAuditDone { audit, files })
}
