//! What an opt-out would remove, per directory, read from a consumer's view: what the opt-out
//! dialog and a batch's dry run show before anything is sent.

use serde::Serialize;

use crate::profile::{ConsumerView, DirectoryState};

/// What an opt-out would remove from one directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Removal {
    /// The directory.
    pub scheme: String,
    /// The cards that leave it (last 4 and cardId).
    pub cards: Vec<String>,
    /// Whether the consumer's details leave it too (their last card there, or a consumer opt-out).
    pub consumer_removed: bool,
    /// Whether the directory could not be read: what leaves it is unknown, not nothing.
    pub unread: bool,
}

/// What opting out `card_id` (or, with `None`, the whole consumer) would remove from each
/// directory of `view`. A directory that could not be read is listed as unread.
pub fn removals(view: &ConsumerView, card_id: Option<&str>) -> Vec<Removal> {
    let mut removals = Vec::new();
    for directory in &view.directories {
        if let DirectoryState::Unavailable { .. } = directory.state {
            removals.push(Removal {
                scheme: directory.scheme.clone(),
                cards: Vec::new(),
                consumer_removed: false,
                unread: true,
            });
            continue;
        }
        let Some(profile) = view.profile(&directory.scheme) else {
            continue;
        };
        let label = |c: &d1::wire::Card| {
            format!(
                "•••• {} ({})",
                c.last4.as_deref().unwrap_or("????"),
                c.card_id
            )
        };
        match card_id {
            None => removals.push(Removal {
                scheme: directory.scheme.clone(),
                cards: profile.cards.iter().map(label).collect(),
                consumer_removed: true,
                unread: false,
            }),
            Some(card_id) => {
                if let Some(card) = profile.cards.iter().find(|c| c.card_id == card_id) {
                    removals.push(Removal {
                        scheme: directory.scheme.clone(),
                        cards: vec![label(card)],
                        consumer_removed: profile.cards.len() == 1,
                        unread: false,
                    });
                }
            }
        }
    }
    removals
}
