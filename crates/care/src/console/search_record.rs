//! Which searches need an audit record of their own. Every search that shows consumers the
//! operator was not already shown is recorded before its results are returned (so a search
//! that cannot be recorded shows nothing). Searching as you type narrows a list: a search whose
//! results were all in the list the same operator was shown within [`REPEAT_WINDOW`] shows
//! nothing new and adds no record, so typing a name is one record, not one per keystroke.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::policy::Role;

/// How long a recorded list covers the narrower searches that follow it.
const REPEAT_WINDOW: Duration = Duration::from_secs(60);

/// The last list of consumers a recorded search showed, and to whom.
struct Shown {
    operator: String,
    role: Option<Role>,
    consumers: HashSet<String>,
    at: Instant,
}

/// What this console's last recorded search showed.
#[derive(Default)]
pub(super) struct SearchRecord {
    last: Mutex<Option<Shown>>,
}

impl SearchRecord {
    /// Whether `consumers`, found for `operator` in `role`, were all shown to them by the last
    /// recorded search, within [`REPEAT_WINDOW`].
    pub(super) fn shows_nothing_new(
        &self,
        operator: &str,
        role: Option<Role>,
        consumers: &[&str],
    ) -> bool {
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.as_ref().is_some_and(|shown| {
            shown.operator == operator
                && shown.role == role
                && shown.at.elapsed() < REPEAT_WINDOW
                && consumers.iter().all(|c| shown.consumers.contains(*c))
        })
    }

    /// Notes what a search that was just recorded showed.
    pub(super) fn recorded(&self, operator: &str, role: Option<Role>, consumers: &[&str]) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(Shown {
            operator: operator.to_owned(),
            role,
            consumers: consumers.iter().map(|c| (*c).to_owned()).collect(),
            at: Instant::now(),
        });
    }
}
