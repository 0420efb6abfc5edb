//! The issuer's digital-card reads under `/banking/v1`, and the Click to Pay token's life with
//! the card's enrolment.

mod support;

use std::time::Duration;

use d1_sandbox::tokens::{DigitalCard, Party, TokenState, TokenType};
use serde_json::{Value, json};
use support::*;

/// The seeded consumers' cards (the harness seeds 60 consumers with seed 1).
fn population() -> d1_sandbox::seed::Population {
    d1_sandbox::seed::generate(1, 60)
}

#[tokio::test]
async fn a_card_lists_every_token_the_seed_gave_it_and_each_reads_alone_the_same() {
    let h = start(Duration::ZERO).await;
    let population = population();
    let seeded = d1_sandbox::tokens::generate(1, &population);
    let mut listed = 0;
    for card in population.bank.values().flat_map(|c| &c.cards).take(40) {
        let (status, body) = h
            .get(&format!("/cards/{}/digitalCards", card.card_id))
            .await;
        assert_eq!(status, 200, "{body}");
        let expected: Vec<Value> = seeded
            .values()
            .filter(|t| t.card_id == card.card_id)
            .map(|t| serde_json::to_value(t).unwrap())
            .collect();
        let mut got = body["digitalCards"].as_array().unwrap().clone();
        got.sort_by_key(|t| t["digitalCardId"].as_str().unwrap().to_owned());
        assert_eq!(got, expected, "{}", card.card_id);
        for token in &got {
            let id = token["digitalCardId"].as_str().unwrap();
            assert_eq!(
                h.get(&format!("/digitalCards/{id}")).await,
                (200, token.clone())
            );
            listed += 1;
        }
    }
    assert!(listed > 40, "{listed}");
}

#[tokio::test]
async fn unknown_or_malformed_ids_and_a_missing_access_token_are_refused() {
    let h = start(Duration::ZERO).await;
    assert_eq!(h.get("/cards/crd-unknown00/digitalCards").await.0, 404);
    assert_eq!(h.get("/digitalCards/dc-unknown").await.0, 404);
    let (status, body) = h.get("/digitalCards/dc%20x%3B").await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("FIELD_INVALID_FORMAT")),
        "{body}"
    );
    let card = population().bank.values().next().unwrap().cards[0]
        .card_id
        .clone();
    let anonymous = h
        .http
        .get(h.url(&format!("/cards/{card}/digitalCards")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn opting_a_card_out_deletes_its_click_to_pay_token_and_enrolling_it_again_makes_a_new_one() {
    let h = start(Duration::ZERO).await;
    let population = population();
    let seeded = d1_sandbox::tokens::generate(1, &population);
    // An enrolled card whose Click to Pay token is active.
    let (card, token) = population
        .directories
        .values()
        .flat_map(|profiles| profiles.values())
        .flat_map(|p| &p.cards)
        .find_map(|c| {
            seeded
                .get(&c.digital_card_id)
                .filter(|t| t.state == d1_sandbox::tokens::TokenState::Active)
                .map(|_| (c.card_id.clone(), c.digital_card_id.clone()))
        })
        .unwrap();
    let (status, body) = h
        .post(
            &format!("/cards/{card}/operations:clickToPayOptOut"),
            json!({}),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (202, Some("SUCCESSFUL")));
    let (_, gone) = h.get(&format!("/digitalCards/{token}")).await;
    assert_eq!(gone["state"], "DELETED", "{gone}");

    let (status, body) = h
        .post(
            &format!("/cards/{card}/operations:clickToPayEnrolment"),
            json!({}),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (202, Some("SUCCESSFUL")));
    let (_, list) = h.get(&format!("/cards/{card}/digitalCards")).await;
    let fresh: Vec<&Value> = list["digitalCards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["tokenType"] == "CLICK_TO_PAY" && t["state"] == "ACTIVE")
        .collect();
    assert_eq!(fresh.len(), 1, "{list}");
    let fresh_id = fresh[0]["digitalCardId"].as_str().unwrap();
    assert_ne!(fresh_id, token, "a deleted token's id is not used again");
    let owner = population
        .bank
        .values()
        .find(|c| c.cards.iter().any(|k| k.card_id == card))
        .unwrap();
    let (_, profiles) = h
        .get(&format!(
            "/consumers/{}/clickToPayProfiles",
            owner.consumer_id
        ))
        .await;
    let listed: Vec<&str> = profiles["clickToPayProfiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["cards"].as_array().unwrap())
        .filter(|c| c["cardId"] == card.as_str())
        .map(|c| c["digitalCardId"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [fresh_id], "the profile names the new token");
}

/// The first seeded token that `matches`.
fn seeded(matches: impl Fn(&DigitalCard) -> bool) -> DigitalCard {
    d1_sandbox::tokens::generate(1, &population())
        .into_values()
        .find(|t| matches(t))
        .unwrap()
}

#[tokio::test]
async fn the_issuer_suspends_resumes_and_deletes_a_token_and_lifts_only_its_own_suspension() {
    let h = start(Duration::ZERO).await;
    let write = async |id: &str, what: &str, body: Value| {
        h.post(&format!("/digitalCards/{id}/operations:{what}"), body)
            .await
    };
    let state = async |id: &str| {
        let (_, token) = h.get(&format!("/digitalCards/{id}")).await;
        (token["state"].clone(), token["suspendedBy"].clone())
    };
    let merchant =
        seeded(|t| t.token_type == TokenType::CardOnFile && t.state == TokenState::Active);
    let id = merchant.digital_card_id.as_str();
    let (status, body) = write(
        id,
        "suspend",
        json!({"reasonCode": "FRAUD_DETECTED", "reason": "Merchant breach"}),
    )
    .await;
    assert_eq!((status, body["status"].as_str()), (202, Some("SUCCESSFUL")));
    assert_eq!(state(id).await, (json!("SUSPENDED"), json!(["ISSUER"])));
    assert_eq!(write(id, "resume", json!({})).await.0, 202);
    assert_eq!(state(id).await, (json!("ACTIVE"), json!([])));

    // Suspended by its requestor: the issuer has nothing of its own to lift; its own
    // suspension comes and goes beside the requestor's.
    let theirs = seeded(|t| t.suspended_by == [Party::TokenRequestor]);
    let theirs = theirs.digital_card_id.as_str();
    assert_eq!(write(theirs, "resume", json!({})).await.0, 403);
    assert_eq!(write(theirs, "suspend", json!({})).await.0, 202);
    assert_eq!(
        state(theirs).await,
        (json!("SUSPENDED"), json!(["ISSUER", "TOKEN_REQUESTOR"]))
    );
    assert_eq!(write(theirs, "resume", json!({})).await.0, 202);
    assert_eq!(
        state(theirs).await,
        (json!("SUSPENDED"), json!(["TOKEN_REQUESTOR"]))
    );

    // Deleted is final.
    assert_eq!(
        write(id, "delete", json!({"reasonCode": "CARD_STOLEN"}))
            .await
            .0,
        202
    );
    for what in ["suspend", "resume", "delete"] {
        assert_eq!(write(id, what, json!({})).await.0, 403, "{what}");
    }
    let (_, listed) = h.get(&format!("/digitalCards/{id}/operations")).await;
    let listed: Vec<(&str, &str, &str, &str)> = listed["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["operation"].as_str().unwrap(),
                o["status"].as_str().unwrap(),
                o["requestorType"].as_str().unwrap(),
                o["reasonCode"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("DELETE", "SUCCESSFUL", "ISSUER", "CARD_STOLEN"),
            ("RESUME", "SUCCESSFUL", "ISSUER", "ISSUER_DECISION"),
            ("SUSPEND", "SUCCESSFUL", "ISSUER", "FRAUD_DETECTED"),
        ]
    );

    // A code from the contract's list only, and a token that exists.
    let other = seeded(|t| t.token_type == TokenType::Wallet && t.state == TokenState::Active);
    let (status, body) = write(
        &other.digital_card_id,
        "suspend",
        json!({"reasonCode": "BECAUSE"}),
    )
    .await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("FIELD_INVALID_VALUE")),
        "{body}"
    );
    assert_eq!(write("dc-unknown", "suspend", json!({})).await.0, 404);
    assert_eq!(h.get("/digitalCards/dc-unknown/operations").await.0, 404);
}

#[tokio::test]
async fn what_another_party_did_to_a_token_is_in_its_operations_naming_that_party() {
    let h = start(Duration::ZERO).await;
    for (token, operation) in [
        (
            seeded(|t| t.token_type == TokenType::CardOnFile && t.state == TokenState::Deleted),
            "DELETE",
        ),
        (
            seeded(|t| t.suspended_by == [Party::TokenRequestor]),
            "SUSPEND",
        ),
    ] {
        let id = &token.digital_card_id;
        let (status, body) = h.get(&format!("/digitalCards/{id}/operations")).await;
        assert_eq!(status, 200, "{body}");
        let listed = &body["operations"];
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{body}");
        assert_eq!(listed[0]["operation"], operation);
        assert_eq!(listed[0]["status"], "SUCCESSFUL");
        assert_eq!(listed[0]["requestorType"], "TSP");
        assert_eq!(listed[0]["requestorId"], token.token_requestor_id.as_str());
        assert!(listed[0].get("reasonCode").is_none(), "{body}");
    }
}
