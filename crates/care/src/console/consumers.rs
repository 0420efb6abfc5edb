//! Consumers: search the bank's records, and one consumer's view compared across directories.

use super::Console;
use crate::Result;
use crate::audit_log::AuditEvent;
use crate::bank::SearchResults;
use crate::policy::Permission;
use crate::profile::ConsumerView;

impl Console {
    /// Consumers matching `text`. The search text itself is not audited (it may be a name or
    /// a phone number); the number of results is. A whole card number is never searched (it
    /// would reach the bank's records API in a URL): the refusal offers its last 4.
    pub async fn search(&self, text: &str, limit: u32) -> Result<SearchResults> {
        self.authorise(Permission::Search, None)?;
        if let Some(last4) = crate::privacy::card_number_last4(text.trim()) {
            return Err(crate::Error::InvalidInput(format!(
                "that is a whole card number: it is not searched; search by its last 4 ({last4})"
            )));
        }
        let session = self.session().await?;
        let result = session.records.search(text, limit).await;
        let outcome = match &result {
            Ok(found) => format!("{} found", found.consumers.len()),
            Err(error) => format!("{:?}", error.code()),
        };
        self.record(AuditEvent::Search, None, &outcome)?;
        result
    }

    /// One consumer's bank record and directory profiles, compared.
    pub async fn consumer_view(&self, consumer_id: &str) -> Result<ConsumerView> {
        self.refuse_personal_data_as_id(Permission::View, consumer_id)?;
        let consumer = d1::ConsumerId::new(consumer_id)?;
        let permit = self.authorise(Permission::View, Some(consumer_id))?;
        let session = self.session().await?;
        let mut view = crate::profile::view::consumer_view(
            &session.d1,
            &session.records,
            &consumer,
            session.environment.country.as_deref(),
        )
        .await;
        view.mask_for(permit.role());
        let result = if view.complete { "ok" } else { "partial" };
        self.recorder(&permit).record_call(
            AuditEvent::ProfileView,
            Some(consumer_id),
            result,
            None,
            view.correlation_id.as_deref(),
        )?;
        Ok(view)
    }
}
