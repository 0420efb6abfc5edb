//! The bank's consumer records under `/issuer/v1` (see `issuer-records.openapi.yaml`): search
//! and one consumer's full record, behind a bearer API key.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::model::IssuerConsumer;
use crate::state::Shared;
use crate::validate;

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

/// Middleware: the issuer-records API needs the sandbox's API key as a bearer token.
pub async fn require_api_key(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let key = crate::auth::bearer_token(request.headers());
    if key == Some(shared.issuer_api_key.as_str()) {
        next.run(request).await
    } else {
        ApiError::unauthorized("the issuer-records API key is missing or wrong").into_response()
    }
}

/// Lower case, full-width letters and digits as ASCII, no spaces or dashes: what search compares.
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn matches(consumer: &IssuerConsumer, query: &str) -> bool {
    let q = fold(query);
    if q.is_empty() {
        return false;
    }
    if q.len() == 4
        && q.chars().all(|c| c.is_ascii_digit())
        && consumer.cards.iter().any(|c| c.last4 == q)
    {
        return true;
    }
    let mut names = vec![&consumer.name_latin];
    names.extend(consumer.name_kanji.as_ref());
    names.extend(consumer.name_kana.as_ref());
    let name_match = names.iter().any(|n| {
        [
            fold(&n.first),
            fold(&n.last),
            fold(&format!("{}{}", n.first, n.last)),
            fold(&format!("{}{}", n.last, n.first)),
        ]
        .iter()
        .any(|candidate| candidate.contains(&q))
    });
    let phone = format!("{}{}", consumer.phone_country_code, consumer.phone_number);
    let phone_match = q.len() >= 6
        && q.trim_start_matches('+')
            .chars()
            .all(|c| c.is_ascii_digit())
        && (fold(&phone).contains(q.trim_start_matches('0')) || consumer.phone_number.contains(&q));
    fold(&consumer.consumer_id) == q
        || fold(&consumer.consumer_id).starts_with(&q) && q.starts_with("cons")
        || consumer.cards.iter().any(|c| fold(&c.card_id) == q)
        || fold(&consumer.email).contains(&q)
        || name_match
        || phone_match
}

fn summary(consumer: &IssuerConsumer) -> Value {
    json!({
        "consumerId": consumer.consumer_id,
        "nameLatin": consumer.name_latin,
        "nameKanji": consumer.name_kanji,
        "nameKana": consumer.name_kana,
        "email": consumer.email,
        "phoneCountryCode": consumer.phone_country_code,
        "phoneNumber": consumer.phone_number,
        "cards": consumer.cards.iter().map(|c| json!({
            "cardId": c.card_id, "scheme": c.scheme, "last4": c.last4, "status": c.status,
        })).collect::<Vec<_>>(),
    })
}

/// Search parameters.
#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// `GET /issuer/v1/consumers?q=TEXT&limit=N[&after=CONSUMER_ID]`: in consumerId order, from
/// the first consumerId that sorts after `after` (the last one of the previous page).
pub async fn search(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<SearchQuery>,
) -> Result<Json<Value>, ApiError> {
    let text = query.q.unwrap_or_default();
    if text.trim().is_empty() || text.chars().count() > 200 {
        return Err(ApiError::invalid_format("q"));
    }
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(limit) => limit
            .parse()
            .map_err(|_| ApiError::invalid_format("limit"))?,
    };
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::invalid_value("limit"));
    }
    let world = shared.world();
    // An exact cardId finds its consumer, or nobody for a card only a directory lists, at
    // once, as a bank's own index would (nothing else matches a cardId). The world is locked
    // meanwhile: a scan of every consumer would hold up every other call.
    let card = text.trim().to_lowercase();
    if world.knows_card(&card) {
        let consumers: Vec<Value> = world
            .bank_holder_of_card(&card)
            .filter(|consumer| {
                query
                    .after
                    .as_deref()
                    .is_none_or(|a| consumer.consumer_id.as_str() > a)
            })
            .map(summary)
            .into_iter()
            .collect();
        return Ok(Json(json!({ "consumers": consumers, "more": false })));
    }
    let from = match &query.after {
        Some(after) => std::ops::Bound::Excluded(after.clone()),
        None => std::ops::Bound::Unbounded,
    };
    let mut found = world
        .bank()
        .range((from, std::ops::Bound::Unbounded))
        .map(|(_, consumer)| consumer)
        .filter(|c| matches(c, &text));
    let consumers: Vec<Value> = found.by_ref().take(limit).map(summary).collect();
    let more = found.next().is_some();
    Ok(Json(json!({ "consumers": consumers, "more": more })))
}

/// `GET /issuer/v1/consumers/{consumerId}`.
pub async fn consumer(
    State(shared): State<Arc<Shared>>,
    Path(consumer_id): Path<String>,
) -> Result<Json<IssuerConsumer>, ApiError> {
    validate::long_id("consumerId", &consumer_id)?;
    let world = shared.world();
    let record = world.bank().get(&consumer_id).cloned();
    record
        .map(Json)
        .ok_or_else(|| ApiError::not_found("consumer", &consumer_id))
}
