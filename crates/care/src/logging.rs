//! Logging: JSON lines in a daily-rotated file in the platform log directory, plus a readable
//! stderr layer filtered by `RUST_LOG`. Both go through the [`crate::privacy::scrub`] safety net, so a card
//! number, e-mail address or phone number logged by mistake never reaches a file or a terminal.
//! Personal data should not be logged in the first place: wrap it in [`crate::privacy`] types.

use std::io::IsTerminal;
use std::path::Path;

use tracing::Subscriber;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer, fmt};

use crate::privacy::ScrubbingMakeWriter;
use crate::{Error, Result};

/// Log files are named `c2p-care.YYYY-MM-DD.jsonl`.
pub const LOG_FILE_PREFIX: &str = "c2p-care";
const LOG_FILE_SUFFIX: &str = "jsonl";
/// Days of log files kept before the oldest is deleted.
const LOG_FILES_KEPT: usize = 30;
/// Lines queued for the background writer before new ones are dropped. The writer keeps up
/// with any burst the console makes; the library's default (128,000) costs 4 MiB of resident
/// memory from start-up, as its queue is allocated and initialised whole.
const BUFFERED_LINES: usize = 8_192;
/// What the file layer records unless `C2P_LOG` says otherwise.
const DEFAULT_FILE_FILTER: &str = "info";
/// What stderr shows unless `RUST_LOG` says otherwise.
const DEFAULT_STDERR_FILTER: &str = "warn";

/// Keeps the background log writer alive; dropping it flushes what is queued.
#[must_use = "dropping the guard stops file logging"]
pub struct LogGuard {
    _worker: WorkerGuard,
}

/// Builds the console's subscriber writing into `log_dir` (created if missing), without
/// installing it. Use [`init`] in a program; tests use this with `tracing::subscriber::with_default`.
pub fn subscriber(log_dir: &Path) -> Result<(impl Subscriber + Send + Sync + use<>, LogGuard)> {
    std::fs::create_dir_all(log_dir).map_err(|e| Error::storage("create", log_dir, e))?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .filename_suffix(LOG_FILE_SUFFIX)
        .max_log_files(LOG_FILES_KEPT)
        .build(log_dir)
        .map_err(|e| Error::storage("open a log file in", log_dir, std::io::Error::other(e)))?;
    let (file_writer, worker) = NonBlockingBuilder::default()
        .buffered_lines_limit(BUFFERED_LINES)
        .finish(appender);

    let file_layer = fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_writer(ScrubbingMakeWriter::new(file_writer))
        .with_filter(env_filter("C2P_LOG", DEFAULT_FILE_FILTER));
    let stderr_layer = fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(ScrubbingMakeWriter::new(std::io::stderr))
        .with_filter(env_filter(EnvFilter::DEFAULT_ENV, DEFAULT_STDERR_FILTER));

    let subscriber = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer);
    Ok((subscriber, LogGuard { _worker: worker }))
}

/// Installs the console's subscriber as the process-wide default. Call once, at start-up.
pub fn init(log_dir: &Path) -> Result<LogGuard> {
    let (subscriber, guard) = subscriber(log_dir)?;
    tracing::subscriber::set_global_default(subscriber)
        .map_err(|e| Error::Internal(format!("logging was already initialised: {e}")))?;
    Ok(guard)
}

fn env_filter(variable: &str, default: &str) -> EnvFilter {
    EnvFilter::try_from_env(variable).unwrap_or_else(|_| EnvFilter::new(default))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::{Email, Pan, Phone};

    const RAW: [&str; 6] = [
        "4111111111111111",
        "5555 5555 5555 4444",
        "hanako.sato@example.jp",
        "taro@example.com",
        "+81 90 1234 5678",
        "9012345678",
    ];

    /// Logs raw personal data by mistake, in every way a developer might, then greps the file.
    #[test]
    fn log_file_never_contains_raw_personal_data_and_every_line_is_json() {
        let dir = tempfile::tempdir().unwrap();
        let (subscriber, guard) = subscriber(dir.path()).unwrap();
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("consumer_view", email = RAW[3]);
            let _entered = span.enter();
            tracing::info!("opting out card {} for {}", RAW[0], RAW[2]);
            tracing::warn!(pan = RAW[1], phone = RAW[4], "lookup failed");
            tracing::error!(body = %format!(r#"{{"phoneNumber":"{}"}}"#, RAW[5]), "bad answer");
            tracing::info!(
                pan = %Pan::new(RAW[0]).unwrap(),
                email = ?Email::new(RAW[2]),
                phone = %Phone::new(RAW[4]),
                "masked on purpose"
            );
        });
        drop(guard);

        let files: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "one daily file: {files:?}");
        let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.starts_with("c2p-care.") && name.ends_with(".jsonl"),
            "{name}"
        );
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        for raw in RAW {
            assert!(!text.contains(raw), "{raw} reached the log:\n{text}");
            let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 9 {
                assert!(!text.contains(&digits), "{digits} reached the log:\n{text}");
            }
        }
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            assert!(value["fields"]["message"].is_string(), "{line}");
        }
        assert!(
            text.contains("****1111") && text.contains("***@example.jp"),
            "{text}"
        );
    }
}
