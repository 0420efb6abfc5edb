//! The bank's consumer records API under `/issuer/v1`, and the seeded population behind it.

mod support;

use std::time::Duration;

use d1_sandbox::SandboxConfig;
use d1_sandbox::seed::{Category, HOSTILE_LINE_CHARS, generate};
use serde_json::Value;
use support::*;

async fn found(h: &Harness, query: &str) -> Vec<String> {
    let (status, body) = h
        .records(&format!("/consumers?q={}&limit=100", urlencode(query)))
        .await;
    assert_eq!(status, 200, "{query}: {body}");
    body["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["consumerId"].as_str().unwrap().to_owned())
        .collect()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn search_finds_a_consumer_by_every_key() {
    let h = start(Duration::ZERO).await;
    let (_, all) = h.records("/consumers?q=cons&limit=100").await;
    let japanese: Value = all["consumers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["nameKanji"].is_object())
        .unwrap()
        .clone();
    let id = japanese["consumerId"].as_str().unwrap().to_owned();
    let record = h.records(&format!("/consumers/{id}")).await.1;
    let kanji = format!(
        "{}{}",
        record["nameKanji"]["last"].as_str().unwrap(),
        record["nameKanji"]["first"].as_str().unwrap()
    );
    let kana = record["nameKana"]["last"].as_str().unwrap().to_owned();
    let latin = record["nameLatin"]["last"].as_str().unwrap().to_uppercase();
    let full_width: String = record["nameLatin"]["first"]
        .as_str()
        .unwrap()
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    let phone = format!("0{}", record["phoneNumber"].as_str().unwrap());
    let card = &record["cards"][0];
    for query in [
        id.clone(),
        card["cardId"].as_str().unwrap().to_owned(),
        kanji,
        kana,
        latin,
        full_width,
        record["email"].as_str().unwrap().to_uppercase(),
        phone,
        card["last4"].as_str().unwrap().to_owned(),
    ] {
        assert!(
            found(&h, &query).await.contains(&id),
            "{query} should find {id}"
        );
    }
    assert!(found(&h, "zz-nobody-zz").await.is_empty());
    assert_eq!(h.records("/consumers?q=").await.0, 400);
    assert_eq!(
        h.records("/consumers?q=sato&limit=1000").await.1["errorCode"],
        "FIELD_INVALID_VALUE"
    );
}

#[tokio::test]
async fn a_card_only_a_directory_lists_is_found_by_nobody_and_every_other_by_its_holder() {
    // One consumer in 100 is known to a directory only.
    let h = start_with(SandboxConfig {
        op_delay: Duration::ZERO,
        consumers: 200,
        ..SandboxConfig::default()
    })
    .await;
    let population = generate(1, 200);
    let held: std::collections::HashMap<&str, &str> = population
        .bank
        .values()
        .flat_map(|c| {
            c.cards
                .iter()
                .map(|card| (card.card_id.as_str(), c.consumer_id.as_str()))
        })
        .collect();
    let listed: std::collections::BTreeSet<&str> = population
        .directories
        .values()
        .flat_map(|profiles| profiles.values())
        .flat_map(|profile| profile.cards.iter().map(|card| card.card_id.as_str()))
        .collect();
    let mut unheld = 0;
    for card in &listed {
        match held.get(card) {
            Some(holder) => assert_eq!(found(&h, card).await, [*holder], "{card}"),
            None => {
                assert!(found(&h, card).await.is_empty(), "{card}");
                unheld += 1;
            }
        }
    }
    assert!(
        unheld > 0 && listed.len() > unheld,
        "{unheld} of {}",
        listed.len()
    );
}

#[tokio::test]
async fn a_record_has_bin_and_last4_only_and_needs_the_api_key() {
    let h = start(Duration::ZERO).await;
    let (status, record) = h.records("/consumers/cons-0001-ok").await;
    assert_eq!(status, 200);
    for card in record["cards"].as_array().unwrap() {
        assert_eq!(card["bin"].as_str().unwrap().len(), 6);
        assert_eq!(card["last4"].as_str().unwrap().len(), 4);
        assert!(["OPEN", "CLOSED", "BLOCKED"].contains(&card["status"].as_str().unwrap()));
        assert!(card.get("pan").is_none());
    }
    assert_eq!(h.records("/consumers/cons-9999-nobody").await.0, 404);
    let url = format!("{}/consumers/cons-0001-ok", h.sandbox.issuer_records_url());
    assert_eq!(h.http.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(
        h.http
            .get(&url)
            .bearer_auth("wrong")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        h.http
            .get(&url)
            .bearer_auth(&h.token)
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "a D1 token is not the API key"
    );
}

#[test]
fn the_population_is_deterministic_and_has_every_category() {
    let a = generate(7, 500);
    let b = generate(7, 500);
    assert_eq!(a.bank, b.bank);
    assert_eq!(a.directories, b.directories);
    assert_ne!(generate(8, 500).bank, a.bank, "another seed, other data");
    assert_eq!(a.bank.len(), 500);
    for index in 0..20 {
        let slug = Category::of(index).slug();
        let count = a
            .bank
            .keys()
            .filter(|id| id.ends_with(&format!("-{slug}")))
            .count();
        assert!(count >= 25, "{slug}: {count}");
    }
    let consistent = a.bank.keys().filter(|id| id.ends_with("-ok")).count();
    assert_eq!(consistent, 275, "55 % consistent");
    let orphans: Vec<&String> = a
        .directories
        .values()
        .flat_map(|d| d.keys())
        .filter(|id| !a.bank.contains_key(*id))
        .collect();
    assert_eq!(orphans.len(), 5, "1 % known only to a directory");
    let japanese = a.bank.values().filter(|c| c.name_kanji.is_some()).count();
    assert!(
        (250..450).contains(&japanese),
        "mostly Japanese: {japanese}"
    );
    assert!(a.bank.values().all(|c| (1..=4).contains(&c.cards.len())));
    let long_lines: Vec<&String> = a
        .directories
        .values()
        .flat_map(|d| d.iter())
        .filter(|(_, profile)| {
            profile.cards.iter().any(|card| {
                card.billing_address
                    .as_ref()
                    .is_some_and(|a| a.line1.chars().count() == HOSTILE_LINE_CHARS)
            })
        })
        .map(|(id, _)| id)
        .collect();
    let first_hostile = a.bank.keys().find(|id| id.ends_with("-hostile")).unwrap();
    assert!(
        !long_lines.is_empty() && long_lines.iter().all(|id| *id == first_hostile),
        "the first hostile consumer only: {long_lines:?}"
    );
}
