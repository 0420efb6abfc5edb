//! A batch's dry run: for each item, what opting it out would remove from which directory.
//! Items already out of every directory are marked "nothing to do" and will not be sent.
//! Nothing is written to D1; the reading itself is the console's (each read is a view, role
//! checked and audited like one opened on screen).

use serde::Serialize;

use crate::journal::{Item, TargetKind};
use crate::writes::Removal;
use crate::{Error, Result};

/// What leaves for one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Preview {
    /// The item's position in the batch.
    #[specta(type = u32)]
    pub seq: i64,
    /// What the list says it is.
    pub kind: TargetKind,
    /// The cardId or consumerId.
    pub target: String,
    /// How people know a card: its network and last 4 (`VISA •••• 0421`), when the bank's
    /// record was read.
    pub name: Option<String>,
    /// What leaves each directory (see [`Removal`]).
    pub removals: Vec<Removal>,
    /// Whether it is known and in no directory: it will not be sent.
    pub nothing_to_do: bool,
    /// Whether the bank's records do not know it as that kind of id (a consumerId read as a
    /// cardId, say): it will not be sent.
    pub not_found: bool,
    /// Why it could not be read (it will still be sent, unless not found).
    pub error: Option<String>,
    /// A token batch's card: the tokens the batch acts on, each an item of its own
    /// (`Sakura Books •••• 1234 (dc-…)`); never a device's name.
    pub tokens: Vec<String>,
}

/// What a "nothing to do" item says in the report.
pub(crate) const NOTHING_TO_DO: &str =
    "nothing to do: in no Click to Pay directory when the dry run read it";

impl Preview {
    /// The preview of `item` from what reading it gave (what leaves, and the card's name).
    pub(crate) fn of(item: &Item, read: Result<(Vec<Removal>, Option<String>)>) -> Self {
        let (removals, name, error) = match read {
            Ok((removals, name)) => (removals, name, None),
            Err(error) => (Vec::new(), None, Some(error)),
        };
        Self {
            seq: item.seq,
            kind: item.kind,
            target: item.target.clone(),
            name,
            nothing_to_do: error.is_none() && removals.is_empty(),
            not_found: error
                .as_ref()
                .is_some_and(|e| e.code() == crate::ErrorCode::NotFound),
            removals,
            error: error.map(|e| e.to_string()),
            tokens: Vec::new(),
        }
    }
}

/// The consumerId whose cards the bank's search found `card_id` among, or why there is none.
pub(crate) fn consumer_of_card(card_id: &str, found: crate::bank::SearchResults) -> Result<String> {
    found
        .consumers
        .into_iter()
        .find(|c| c.cards.iter().any(|card| card.card_id == card_id))
        .map(|c| c.consumer_id)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "the bank's records know no card {card_id}: is it a consumer id?"
            ))
        })
}
