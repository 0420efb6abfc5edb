//! Team mode's side of the console: the local audit chain's id and owner, and forwarding its
//! records to the team store.

use super::Console;
use crate::Result;
use crate::audit_log::AuditEvent;
use crate::audit_log::forward::{ChainOwner, forward};

impl Console {
    /// This workstation account's audit chain as the team store knows it: its id (a chain
    /// begun before ids gets one now, in a new `audit_chain_id` record) and the OS account.
    pub fn audit_chain(&self) -> Result<ChainOwner> {
        let chain = match self.audit.chain_id()? {
            Some(chain) => chain,
            None => {
                let chain = crate::audit_log::new_chain_id()?;
                self.record(
                    AuditEvent::AuditChainId,
                    Some(&chain),
                    "this audit chain began before chains had ids: this is its id",
                )?;
                chain
            }
        };
        Ok(ChainOwner {
            chain,
            account: self.identity.account.clone(),
        })
    }

    /// Sends the audit records the team store does not hold yet (see [`forward`]); returns how
    /// many went.
    pub async fn forward_audit(&self, client: &mut tokio_postgres::Client) -> Result<u64> {
        let owner = self.audit_chain()?;
        forward(&self.audit, &owner, client).await
    }
}
