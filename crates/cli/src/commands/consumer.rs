//! `c2p search`, `c2p show`, `c2p tokens` and `c2p history`: finding a consumer, their
//! profiles beside the bank's record, a card's tokens, and who did what to them.

use care::console::Console;

use crate::args::HistoryTarget;
use crate::exit::Outcome;
use crate::render;

/// The consumers that match `text`.
pub async fn search(console: &Console, text: &str, json: bool) -> Outcome {
    let found = console.search(text, 50).await?;
    match json {
        true => render::print_json(&found),
        false => render::search(&found),
    }
    Ok(())
}

/// A card's tokens, grouped.
pub async fn tokens(console: &Console, card_id: &str, json: bool) -> Outcome {
    let tokens = console.card_tokens(card_id).await?;
    match json {
        true => render::print_json(&tokens),
        false => render::tokens(&tokens),
    }
    Ok(())
}

/// A consumer's or a card's history: D1's operations, whoever made them, with the bank's own.
pub async fn history(console: &Console, what: HistoryTarget, id: &str, json: bool) -> Outcome {
    let history = match what {
        HistoryTarget::Consumer => console.history(id).await?,
        HistoryTarget::Card => console.card_history(id).await?,
    };
    match json {
        true => render::print_json(&history),
        false => render::history(&history),
    }
    Ok(())
}

/// A consumer: the bank's record beside each directory's profile, and the findings.
pub async fn show(console: &Console, consumer_id: &str, json: bool) -> Outcome {
    let view = console.consumer_view(consumer_id).await?;
    match json {
        true => render::print_json(&view),
        false => render::consumer(&view),
    }
    Ok(())
}
