//! What every handler shares: the simulated world behind its lock, the token authority, the
//! fault rules and the counters. Handlers depend on this module only, never on the server that
//! routes to them.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::auth::Authority;
use crate::faults::Faults;
use crate::notify::{GatewayNotifier, Notifier, TokenEvent};
use crate::stats::Stats;
use crate::tokens::TokenWrite;
use crate::world::{Action, Operation, Status, World};

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
    /// Where merchant gateways are told of changes to their tokens, if anywhere.
    pub gateway_notifier: Option<GatewayNotifier>,
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
            gateway_notifier: None,
            faults: Faults::default(),
            admin_token: String::new(),
            stats: Arc::default(),
            clock_offset: chrono::TimeDelta::zero(),
        }
    }

    /// Ends a PENDING operation and notifies the issuer of it.
    pub fn finish(&self, operation_id: &str) -> Option<Operation> {
        let operation = self.world().finish(operation_id)?;
        self.notify(&operation);
        Some(operation)
    }

    /// Notifies the issuer of the ended `operation` and, when the issuer or D1 changed a
    /// merchant gateway's token, that gateway.
    pub fn notify(&self, operation: &Operation) {
        if let Some(notifier) = &self.notifier {
            notifier.send(operation);
        }
        let (Some(gateways), Action::Token { write, .. }) =
            (&self.gateway_notifier, &operation.action)
        else {
            return;
        };
        if operation.status != Status::Successful || operation.requestor_type == "TSP" {
            return;
        }
        let event = match write {
            TokenWrite::Suspend => TokenEvent::Suspended,
            TokenWrite::Resume => TokenEvent::Resumed,
            TokenWrite::Delete => TokenEvent::Deleted,
        };
        let digital_card_id = operation.action.digital_card_id().unwrap_or_default();
        if let Ok(token) = self.world().digital_card(digital_card_id) {
            let at = operation
                .end_time
                .as_deref()
                .unwrap_or(&operation.start_time);
            gateways.send(&token, event, at);
        }
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
