//! What every handler shares: the simulated world behind its lock, the token authority, the
//! fault rules and the counters. Handlers depend on this module only, never on the server that
//! routes to them.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::auth::Authority;
use crate::faults::Faults;
use crate::notify::Notifier;
use crate::stats::Stats;
use crate::world::{Operation, World};

/// What every handler shares.
pub struct Shared {
    world: Mutex<World>,
    /// Signing keys and access tokens.
    pub authority: Authority,
    /// The sandbox's issuerId.
    pub issuer_id: String,
    /// The issuer-records API key.
    pub issuer_api_key: String,
    /// How long a write stays PENDING.
    pub op_delay: Duration,
    /// Where ended operations are notified, if anywhere.
    pub notifier: Option<Notifier>,
    /// The fault rules in force.
    pub faults: Faults,
    /// The token of the admin endpoint.
    pub admin_token: String,
    /// What reached the sandbox.
    pub stats: Arc<Stats>,
    /// How far its clock is from the real time.
    pub clock_offset: chrono::TimeDelta,
}

impl Shared {
    /// Everything the handlers share.
    pub fn new(
        world: World,
        authority: Authority,
        issuer_id: String,
        issuer_api_key: String,
        op_delay: Duration,
    ) -> Self {
        Self {
            world: Mutex::new(world),
            authority,
            issuer_id,
            issuer_api_key,
            op_delay,
            notifier: None,
            faults: Faults::default(),
            admin_token: String::new(),
            stats: Arc::default(),
            clock_offset: chrono::TimeDelta::zero(),
        }
    }

    /// Ends a PENDING operation and notifies the issuer of it.
    pub fn finish(&self, operation_id: &str) -> Option<Operation> {
        let operation = self.world().finish(operation_id)?;
        if let Some(notifier) = &self.notifier {
            notifier.send(&operation);
        }
        Some(operation)
    }

    /// The state, locked. Handlers hold it only for the few lines that read or change it.
    pub fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock leaves the state as consistent as a test needs.
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl AsRef<Faults> for Shared {
    fn as_ref(&self) -> &Faults {
        &self.faults
    }
}
