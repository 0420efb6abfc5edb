//! Team mode's emergency mode: a fraud analyst, when the administrators' policy allows it,
//! declares it for at most the policy's time; while the team store cannot be reached, their
//! writes then go out unclaimed, each flagged in the trail (and raised as an alert once the trail
//! reaches the store), and are claimed and reconciled once the store is back.

use chrono::{SecondsFormat, Utc};

use super::Console;
use crate::audit_log::AuditEvent;
use crate::journal::Emergency;
use crate::policy::{Permission, Permit, Role};
use crate::{Error, Result};

impl Console {
    /// Declares emergency mode for the policy's `emergencyMinutes`, for `reason` (no personal
    /// data). Role `fraud`, team mode only; audited.
    pub fn emergency_start(&self, reason: &str) -> Result<Emergency> {
        self.refuse_on_the_embedded_sandbox()?;
        let permit = self.authorise(Permission::BatchOptOut, None)?;
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 200 {
            return Err(Error::InvalidInput(
                "say why (1 to 200 characters): the reason goes to the team's trail and its SIEM"
                    .into(),
            ));
        }
        crate::privacy::refuse_personal_data_in_reason(reason)?;
        // However it is written, no card number: eight digits or more, whatever between them.
        if reason
            .split(|c: char| c.is_alphabetic())
            .any(|part| part.chars().filter(char::is_ascii_digit).count() >= 8)
        {
            return Err(Error::InvalidInput(
                "the reason holds a long number: no card or account numbers in a reason".into(),
            ));
        }
        let minutes = self.emergency_minutes()?;
        if minutes == 0 {
            return Err(Error::Forbidden {
                operator: permit.operator().to_owned(),
                role: crate::wire_name(permit.role()),
                action: "declare emergency mode: the administrators' policy allows none (team.emergencyMinutes), so writes wait for the team store".into(),
            });
        }
        if let Some(running) = self.emergency()? {
            return Err(Error::InvalidInput(format!(
                "emergency mode runs already, until {} (declared by {}): end it first to declare it again",
                running.until, running.operator
            )));
        }
        // Only while the store is out of reach: it is no way around a trail the store refuses.
        if !self.store_unreachable() {
            return Err(Error::InvalidInput(
                "the team store can be reached (or refuses this workstation's trail): emergency mode is only for when it cannot be reached".into(),
            ));
        }
        let until = (Utc::now() + chrono::TimeDelta::minutes(i64::from(minutes)))
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        self.recorder(&permit).record(
            AuditEvent::EmergencyStart,
            None,
            &format!("until {until}; reason: {reason}"),
        )?;
        self.journal
            .start_emergency(permit.operator(), reason, &until)
    }

    /// Ends emergency mode before its time; whether it was running. Role `fraud`; audited.
    pub fn emergency_end(&self) -> Result<bool> {
        self.refuse_on_the_embedded_sandbox()?;
        let permit = self.authorise(Permission::BatchOptOut, None)?;
        let ended = self.journal.end_emergency()?;
        if ended {
            self.recorder(&permit)
                .record(AuditEvent::EmergencyEnd, None, "ended")?;
        }
        Ok(ended)
    }

    /// Emergency mode while it runs on this workstation, within what the policy allows now.
    pub fn emergency(&self) -> Result<Option<Emergency>> {
        let minutes = self.emergency_minutes()?;
        if minutes == 0 {
            return Ok(None);
        }
        let allowed = chrono::TimeDelta::minutes(i64::from(minutes));
        let now = Utc::now();
        Ok(self.journal.emergency()?.filter(|emergency| {
            // Within what the policy allows now, counted from a declaration already made (the
            // journal is the operator's file: a row set in the future or stretched is not).
            let parsed = |at: &str| chrono::DateTime::parse_from_rfc3339(at).ok();
            match (parsed(&emergency.started_at), parsed(&emergency.until)) {
                (Some(started), Some(until)) => {
                    started <= now && until <= started + allowed && started + allowed > now
                }
                _ => false,
            }
        }))
    }

    /// Emergency mode, when `permit`'s write may use it: a fraud analyst's own, while it runs.
    pub(super) fn emergency_for(&self, permit: &Permit) -> Result<Option<Emergency>> {
        if permit.role() != Role::Fraud {
            return Ok(None);
        }
        Ok(self
            .emergency()?
            .filter(|emergency| emergency.operator == permit.operator()))
    }

    /// Emergency mode is the team store's: the embedded sandbox (with its own policy) has none.
    fn refuse_on_the_embedded_sandbox(&self) -> Result<()> {
        if self.is_the_embedded_sandbox(&self.active_name()?) {
            return Err(Error::InvalidInput(
                "the embedded sandbox has no team store: switch to a configured environment".into(),
            ));
        }
        Ok(())
    }

    /// Whether this operator may declare emergency mode now: a fraud analyst, the policy
    /// allowing it, the store out of reach, none running.
    pub(super) fn emergency_offered(&self) -> Result<bool> {
        Ok(self.who().1 == Some(Role::Fraud)
            && self.emergency_minutes()? > 0
            && self.store_unreachable()
            && self.emergency()?.is_none())
    }

    /// What the policy allows: 0 without team mode or emergency mode.
    fn emergency_minutes(&self) -> Result<u32> {
        Ok(
            crate::policy::team_config(&self.policy_paths)?
                .map_or(0, |team| team.emergency_minutes),
        )
    }
}
