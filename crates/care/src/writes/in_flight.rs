//! The writes this process is making now: a tracker (or a batch following its items) leaves
//! an entry alone while its call is on the way, so it never judges a write before its answer.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::journal::Entry;

/// The writes this process is making now, by correlation id: held from before the intent is
/// journaled until the outcome is, so a tracker never sees an entry whose call is on its way.
#[derive(Debug, Default)]
pub struct InFlight(Mutex<HashSet<String>>);

impl InFlight {
    /// Whether the write of `entry` is being made (or about to be) by this process.
    pub(crate) fn contains(&self, entry: &Entry) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&entry.intent.correlation_id)
    }

    /// Marks the write with `correlation_id` in flight until the returned guard is dropped
    /// (also on error or cancel).
    pub(crate) fn hold(&self, correlation_id: &d1::CorrelationId) -> InFlightGuard<'_> {
        let id = correlation_id.as_str().to_owned();
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone());
        InFlightGuard { set: self, id }
    }
}

pub(crate) struct InFlightGuard<'a> {
    set: &'a InFlight,
    id: String,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let mut ids = self.set.0.lock().unwrap_or_else(|e| e.into_inner());
        ids.remove(&self.id);
    }
}
