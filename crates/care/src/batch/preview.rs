//! A batch's dry run: for each item, what opting it out would remove from which directory, read
//! from D1 with bounded concurrency. Items already out of every directory are marked "nothing
//! to do" and will not be sent. Nothing is written to D1.

use futures_util::StreamExt;
use serde::Serialize;

use super::input::TargetKind;
use super::store::Item;
use crate::console::Console;
use crate::policy::Action;
use crate::writes::Removal;
use crate::{Error, Result};

/// What leaves for one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// The item's position in the batch.
    #[specta(type = u32)]
    pub seq: i64,
    /// The cardId or consumerId.
    pub target: String,
    /// What leaves each directory (see [`Removal`]).
    pub removals: Vec<Removal>,
    /// Whether it is in no directory: it will not be sent.
    pub nothing_to_do: bool,
    /// Why it could not be read (it will still be sent).
    pub error: Option<String>,
}

/// What a "nothing to do" item says in the report.
const NOTHING_TO_DO: &str = "nothing to do: in no Click to Pay directory when the dry run read it";

impl Console {
    /// The dry run of batch `id` (role `fraud`): reads every unsent item's profiles,
    /// `concurrency` at a time, and marks those in no directory as nothing to do.
    /// `on_item` hears of each item as it is read.
    pub async fn batch_preview(
        &self,
        id: &str,
        concurrency: usize,
        on_item: &(dyn Fn(&Preview) + Send + Sync),
    ) -> Result<Vec<Preview>> {
        self.authorise(Action::BatchOptOut, Some(id))?;
        let items: Vec<Item> = self
            .journal
            .batch_items(id)?
            .into_iter()
            .filter(|i| i.intent.is_none())
            .collect();
        let mut previews: Vec<Preview> = futures_util::stream::iter(items)
            .map(|item| async move {
                let preview = self.preview_item(&item).await;
                on_item(&preview);
                preview
            })
            .buffer_unordered(concurrency.clamp(1, super::opt_out::MAX_CONCURRENCY))
            .collect()
            .await;
        previews.sort_by_key(|p| p.seq);
        for preview in previews.iter().filter(|p| p.nothing_to_do) {
            self.journal.skip_item(id, preview.seq, NOTHING_TO_DO)?;
        }
        self.record_event("batch_opt_out_dry_run", Some(id), "ok", None, None)?;
        Ok(previews)
    }

    async fn preview_item(&self, item: &Item) -> Preview {
        let read = async {
            let (consumer, card) = match item.kind {
                TargetKind::Consumer => (item.target.clone(), None),
                TargetKind::Card => (
                    self.consumer_of_card(&item.target).await?,
                    Some(item.target.as_str()),
                ),
            };
            self.opt_out_preview(&consumer, card).await
        };
        match read.await {
            Ok(removals) => Preview {
                seq: item.seq,
                target: item.target.clone(),
                nothing_to_do: removals.is_empty(),
                removals,
                error: None,
            },
            Err(error) => Preview {
                seq: item.seq,
                target: item.target.clone(),
                removals: Vec::new(),
                nothing_to_do: false,
                error: Some(error.to_string()),
            },
        }
    }

    /// The consumerId the bank's records give for `card_id`.
    async fn consumer_of_card(&self, card_id: &str) -> Result<String> {
        let found = self.search(card_id, 1).await?;
        found
            .consumers
            .into_iter()
            .next()
            .map(|c| c.consumer_id)
            .ok_or_else(|| Error::NotFound(format!("the bank has no card {card_id}")))
    }
}
