//! Consumers: search the bank's records, and one consumer's view compared across directories.

use super::Console;
use crate::Result;
use crate::audit_log::AuditEvent;
use crate::bank::SearchResults;
use crate::policy::Permission;
use crate::profile::ConsumerView;

/// A consumer's contact details in full (see [`Console::reveal_contact`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    /// The e-mail address.
    pub email: String,
    /// The phone number, as people write it.
    pub phone: String,
}

impl Console {
    /// Consumers matching `text`, their e-mail and phone masked (`h•••@example.jp`, `•••• 6013`:
    /// see [`Console::reveal_contact`]). The search text itself is not audited (it may be a name
    /// or a phone number); the number of results is, before they are returned, unless the
    /// operator was just shown all of them (see [`super::search_record`]): typing a name is one
    /// record, not one per keystroke.
    /// A whole card number is never searched (it would reach the bank's records API in a URL):
    /// the refusal offers its last 4.
    pub async fn search(&self, text: &str, limit: u32) -> Result<SearchResults> {
        self.authorise(Permission::Search, None)?;
        if let Some(last4) = crate::privacy::card_number_last4(text.trim()) {
            return Err(crate::Error::InvalidInput(format!(
                "that is a whole card number: it is not searched; search by its last 4 ({last4})"
            )));
        }
        let session = self.session().await?;
        let result = session.records.search(text, limit).await;
        let (operator, role) = self.who();
        match &result {
            Ok(found) => {
                let ids: Vec<&str> = found
                    .consumers
                    .iter()
                    .map(|c| c.consumer_id.as_str())
                    .collect();
                if !self.searches.shows_nothing_new(&operator, role, &ids) {
                    let outcome = format!("{} found", ids.len());
                    self.record(AuditEvent::Search, None, &outcome)?;
                    self.searches.recorded(&operator, role, &ids);
                }
            }
            Err(error) => self.record(AuditEvent::Search, None, &format!("{:?}", error.code()))?,
        }
        let mut found = result?;
        for consumer in &mut found.consumers {
            consumer.email = crate::privacy::email_hint(&consumer.email);
            consumer.phone_number = crate::privacy::phone_hint(&consumer.phone_number);
        }
        Ok(found)
    }

    /// A consumer's e-mail address and phone number in full, as search results hide them; the
    /// reveal is recorded.
    pub async fn reveal_contact(&self, consumer_id: &str) -> Result<Contact> {
        self.refuse_personal_data_as_id(Permission::View, consumer_id)?;
        let consumer = d1::ConsumerId::new(consumer_id)?;
        let permit = self.authorise(Permission::View, Some(consumer_id))?;
        let session = self.session().await?;
        let record = session.records.consumer(&consumer).await;
        let result = match &record {
            Ok(Some(_)) => "ok".to_owned(),
            Ok(None) => "not found".to_owned(),
            Err(error) => format!("{:?}", error.code()),
        };
        self.recorder(&permit)
            .record(AuditEvent::ContactReveal, Some(consumer_id), &result)?;
        match record? {
            Some(record) => Ok(Contact {
                email: record.email,
                phone: crate::profile::phone::shown(
                    &record.phone_country_code,
                    &record.phone_number,
                    session.environment.country.as_deref(),
                ),
            }),
            None => Err(crate::Error::NotFound(format!(
                "the bank's records know no consumer {consumer_id}"
            ))),
        }
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
