//! The audit record of a search typed as you go: one record when a search settles, not one per
//! keystroke. A search settles when no other search follows within [`SEARCH_SETTLE`], when a
//! result is opened, or when the console closes; a search replaced sooner (the next keystroke)
//! is never recorded. The record keeps the count only, never the text.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::audit_log::{AuditEvent, AuditLog, Recorder};
use crate::policy::Role;

/// How long a search must stand before it counts as settled.
pub const SEARCH_SETTLE: Duration = Duration::from_secs(2);

/// The search not yet recorded, and whose it is.
struct Pending {
    generation: u64,
    operator: String,
    role: Option<Role>,
    workstation: String,
    outcome: String,
}

/// The one search of this console waiting to settle.
#[derive(Default, Clone)]
pub(super) struct SearchRecord {
    pending: Arc<Mutex<(u64, Option<Pending>)>>,
}

impl SearchRecord {
    /// Holds a search's `outcome` until it settles (replacing one that had not), then records
    /// it in `audit` as `operator` in `role` on `workstation`.
    pub(super) fn hold(
        &self,
        audit: &Arc<AuditLog>,
        operator: String,
        role: Option<Role>,
        workstation: String,
        outcome: String,
    ) {
        let (generation, another) = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.0 += 1;
            // A search by another operator or role is theirs to keep: it settled as they left.
            let another = pending
                .1
                .take()
                .filter(|p| p.operator != operator || p.role != role);
            pending.1 = Some(Pending {
                generation: pending.0,
                operator,
                role,
                workstation,
                outcome,
            });
            (pending.0, another)
        };
        if let Some(another) = another {
            another.write(audit);
        }
        let this = self.clone();
        let audit = audit.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SEARCH_SETTLE).await;
            this.write_if(&audit, Some(generation));
        });
    }

    /// Records the waiting search now, if there is one (a result opened, the console closing).
    pub(super) fn settle(&self, audit: &AuditLog) {
        self.write_if(audit, None);
    }

    /// Records the waiting search if it is `generation`'s (any, for `None`).
    fn write_if(&self, audit: &AuditLog, generation: Option<u64>) {
        let pending = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            match &pending.1 {
                Some(p) if generation.is_none_or(|g| g == p.generation) => pending.1.take(),
                _ => None,
            }
        };
        if let Some(p) = pending {
            p.write(audit);
        }
    }
}

impl Pending {
    fn write(self, audit: &AuditLog) {
        let recorder = Recorder::new(audit, &self.operator, self.role, &self.workstation);
        if let Err(error) = recorder.record(AuditEvent::Search, None, &self.outcome) {
            tracing::error!(code = ?error.code(), %error, "a settled search could not be recorded");
        }
    }
}
