//! The audit trail: the hash-chained local log ([`chain`]), its closed list of events
//! ([`event`]), its export ([`export`]), and the one way to add to it, a [`Recorder`] that knows
//! who is acting and where.

pub mod centre;
pub mod chain;
pub mod event;
pub mod export;
pub mod forward;
pub mod query;

pub use chain::{AuditLog, Backlog, Event, FORMAT_VERSION, Record, Verification};
pub use event::AuditEvent;
pub use export::ExportFormat;
pub use query::AuditFilter;

use crate::Result;

/// A new chain's id: 128 random bits, hex. Two OS accounts on one workstation have two chains,
/// each with its own id (a host name is not an identity).
pub fn new_chain_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| crate::Error::Internal("no randomness for the audit chain's id".into()))?;
    Ok(format!("chain-{}", hex::encode(bytes)))
}
use crate::policy::Role;

/// Appends records for one operator on this workstation.
#[derive(Clone, Copy)]
pub struct Recorder<'a> {
    log: &'a AuditLog,
    operator: &'a str,
    role: Option<Role>,
    workstation: &'a str,
}

impl<'a> Recorder<'a> {
    /// A recorder writing to `log` as `operator`, in `role` (`None` when no policy could be
    /// read), on `workstation`.
    pub(crate) fn new(
        log: &'a AuditLog,
        operator: &'a str,
        role: Option<Role>,
        workstation: &'a str,
    ) -> Self {
        Self {
            log,
            operator,
            role,
            workstation,
        }
    }

    /// A recorder for what became of something `operator` asked for (a write's outcome, found
    /// later): it names them, with the role only when they are this recorder's operator.
    pub(crate) fn on_behalf_of<'b>(&'b self, operator: &'b str) -> Recorder<'b> {
        Recorder {
            log: self.log,
            operator,
            role: self.role.filter(|_| operator == self.operator),
            workstation: self.workstation,
        }
    }

    /// Records `event` on `resource` (an id, already masked) with its `result`.
    pub fn record(&self, event: AuditEvent, resource: Option<&str>, result: &str) -> Result<()> {
        self.record_call(event, resource, result, None, None)
    }

    /// [`Recorder::record`] with the D1 call's operationId and correlation id.
    pub fn record_call(
        &self,
        event: AuditEvent,
        resource: Option<&str>,
        result: &str,
        operation_id: Option<&str>,
        correlation_id: Option<&str>,
    ) -> Result<()> {
        self.log.append(Event {
            operator: self.operator.to_owned(),
            role: self.role.map(|r| r.name().to_owned()),
            workstation: self.workstation.to_owned(),
            event: event.as_str().to_owned(),
            // Ids that hold a card number are refused before they get here; a result (D1's or
            // the bank's words) never keeps one either.
            resource: resource.map(str::to_owned),
            result: crate::privacy::redact_card_numbers(result).into_owned(),
            operation_id: operation_id.map(str::to_owned),
            correlation_id: correlation_id.map(str::to_owned),
        })?;
        Ok(())
    }
}
