//! The Click to Pay endpoints over real mTLS: profiles, writes and their rules, asynchronous
//! operations and their lists, and the contract's validation.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use support::*;

fn cards_of(record: &Value, scheme: &str) -> Vec<String> {
    record["cards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["scheme"] == scheme)
        .map(|c| c["cardId"].as_str().unwrap().to_owned())
        .collect()
}

fn id(record: &Value) -> &str {
    record["consumerId"].as_str().unwrap()
}

#[tokio::test]
async fn profiles_show_each_directory_as_seeded() {
    let h = start(Duration::ZERO).await;
    let ok = h.seeded("ok").await;
    let (status, body) = h
        .get(&format!("/consumers/{}/clickToPayProfiles", id(&ok)))
        .await;
    assert_eq!(status, 200);
    let bank_schemes: BTreeSet<&str> = ok["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["scheme"].as_str().unwrap())
        .collect();
    let profiles = body["clickToPayProfiles"].as_array().unwrap();
    assert_eq!(
        profiles
            .iter()
            .map(|p| p["scheme"].as_str().unwrap())
            .collect::<BTreeSet<_>>(),
        bank_schemes
    );
    for profile in profiles {
        assert_eq!(profile["consumerId"], id(&ok));
        assert_eq!(profile["consumerInfo"]["email"], ok["email"]);
        assert_eq!(profile["consumerInfo"]["lastName"], ok["nameLatin"]["last"]);
        let scheme = profile["scheme"].as_str().unwrap();
        let listed: Vec<&str> = profile["cards"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["cardId"].as_str().unwrap())
            .collect();
        assert_eq!(listed, cards_of(&ok, scheme));
        let first = &profile["cards"][0];
        assert_eq!(
            first["cardHolderName"].is_string(),
            scheme == "VISA",
            "cardholder name is Visa only"
        );
        assert!(first["billingAddress"]["countryCode"].is_string());
        assert!(first.get("pan").is_none() && first["last4"].as_str().unwrap().len() == 4);
    }
    assert!(
        h.schemes(id(&h.seeded("none").await)).await.is_empty(),
        "not enrolled: empty list"
    );
    assert_eq!(h.schemes(id(&h.seeded("onenet").await)).await.len(), 1);
    let nocards = h.seeded("nocards").await;
    let (_, body) = h
        .get(&format!("/consumers/{}/clickToPayProfiles", id(&nocards)))
        .await;
    assert!(
        body["clickToPayProfiles"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["cards"] == json!([]))
    );
    let email = h.seeded("email").await;
    let (_, body) = h
        .get(&format!("/consumers/{}/clickToPayProfiles", id(&email)))
        .await;
    assert_ne!(
        body["clickToPayProfiles"][0]["consumerInfo"]["email"],
        email["email"]
    );
}

#[tokio::test]
async fn unknown_and_malformed_ids() {
    let h = start(Duration::ZERO).await;
    assert_eq!(
        h.get("/consumers/cons-9999-nobody/clickToPayProfiles")
            .await
            .0,
        404
    );
    let (status, body) = h.get("/consumers/bad.id/clickToPayProfiles").await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("FIELD_INVALID_FORMAT"))
    );
    assert!(
        body["error"].as_str().unwrap().contains("consumerId"),
        "{body}"
    );
    let base = h.sandbox.base_url();
    let other_issuer = h.http.get(format!(
        "{base}/issuers/OTHERBANK1/consumers/cons-0001-ok/clickToPayProfiles"
    ));
    assert_eq!(
        other_issuer
            .bearer_auth(&h.token)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let short_issuer = h.http.get(format!(
        "{base}/issuers/SHORT/consumers/cons-0001-ok/clickToPayProfiles"
    ));
    assert_eq!(
        short_issuer
            .bearer_auth(&h.token)
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    let long_card = "c".repeat(49);
    let (status, body) = h
        .post(
            &format!("/cards/{long_card}/operations:clickToPayOptOut"),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("cardId is not in the expected format"))
    );
    assert_eq!(
        h.post("/cards/crd-unknown/operations:clickToPayOptOut", json!({}))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn opting_out_the_last_card_removes_the_consumer_from_that_directory_only() {
    let h = start(Duration::ZERO).await;
    let mut record = h.seeded("ok").await;
    for n in 0.. {
        record = h.seeded("ok").await;
        let both =
            !cards_of(&record, "VISA").is_empty() && !cards_of(&record, "MASTERCARD").is_empty();
        if both || n > 3 {
            break;
        }
    }
    let consumer = id(&record).to_owned();
    let visa = cards_of(&record, "VISA");
    let before = h.schemes(&consumer).await;
    for (n, card) in visa.iter().enumerate() {
        let (status, body) = h
            .post(
                &format!("/cards/{card}/operations:clickToPayOptOut"),
                json!({"reason": "Customer request"}),
            )
            .await;
        assert_eq!(
            (status, body["status"].as_str()),
            (202, Some("SUCCESSFUL")),
            "{body}"
        );
        let after = h.schemes(&consumer).await;
        let last = n + 1 == visa.len();
        assert_eq!(
            after.contains(&"VISA".to_owned()),
            !last,
            "Visa profile stays until its last card leaves"
        );
    }
    let after: BTreeSet<String> = h.schemes(&consumer).await.into_iter().collect();
    let expected: BTreeSet<String> = before.into_iter().filter(|s| s != "VISA").collect();
    assert_eq!(after, expected, "the other directory is untouched");
    let (status, _) = h
        .post(
            &format!("/cards/{}/operations:clickToPayOptOut", visa[0]),
            json!({}),
        )
        .await;
    assert_eq!(
        status, 403,
        "a card that is not enrolled cannot be opted out"
    );
}

#[tokio::test]
async fn consumer_opt_out_removes_everything_and_cards_can_be_enrolled_again() {
    let h = start(Duration::ZERO).await;
    let record = h.seeded("ok").await;
    let consumer = id(&record);
    let (status, body) = h
        .post(
            &format!("/consumers/{consumer}/operations:clickToPayOptOut"),
            json!({"reasonCode": "USER_DECISION"}),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (202, Some("SUCCESSFUL")));
    assert!(h.schemes(consumer).await.is_empty());
    assert_eq!(
        h.post(
            &format!("/consumers/{consumer}/operations:clickToPayOptOut"),
            json!({})
        )
        .await
        .0,
        403
    );
    let card = &record["cards"][0];
    let (status, body) = h
        .post(
            &format!(
                "/cards/{}/operations:clickToPayEnrolment",
                card["cardId"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (202, Some("SUCCESSFUL")),
        "{body}"
    );
    let (_, body) = h
        .get(&format!("/consumers/{consumer}/clickToPayProfiles"))
        .await;
    let profiles = body["clickToPayProfiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0]["scheme"], card["scheme"]);
    assert_eq!(profiles[0]["cards"][0]["cardId"], card["cardId"]);
    assert_eq!(
        profiles[0]["consumerInfo"]["email"], record["email"],
        "the profile is rebuilt from the bank's record"
    );
}

#[tokio::test]
async fn a_failed_enrolment_of_a_closed_card_leaves_a_profile_without_cards() {
    let h = start(Duration::ZERO).await;
    let record = h.seeded("closed").await;
    let consumer = id(&record);
    let closed = record["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "CLOSED")
        .unwrap()
        .clone();
    assert_eq!(
        h.post(
            &format!("/consumers/{consumer}/operations:clickToPayOptOut"),
            json!({})
        )
        .await
        .0,
        202
    );
    let (status, body) = h
        .post(
            &format!(
                "/cards/{}/operations:clickToPayEnrolment",
                closed["cardId"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (202, Some("FAILED")),
        "{body}"
    );
    let (_, list) = h
        .get(&format!(
            "/cards/{}/operations",
            closed["cardId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(list["operations"][0]["errorCode"], "CARD_NOT_ELIGIBLE");
    let (_, body) = h
        .get(&format!("/consumers/{consumer}/clickToPayProfiles"))
        .await;
    assert_eq!(body["clickToPayProfiles"][0]["scheme"], closed["scheme"]);
    assert_eq!(body["clickToPayProfiles"][0]["cards"], json!([]));
}

#[tokio::test]
async fn writes_are_pending_until_the_delay_then_listed_newest_first() {
    // Long enough that a busy machine still reads PENDING right after the write.
    let h = start(Duration::from_millis(1000)).await;
    let record = h.seeded("ok").await;
    let card = record["cards"][0]["cardId"].as_str().unwrap().to_owned();
    let (status, body) = h
        .post(
            &format!("/cards/{card}/operations:clickToPayOptOut"),
            json!({"reason": "Lost"}),
        )
        .await;
    assert_eq!((status, body["status"].as_str()), (202, Some("PENDING")));
    let first = body["operationId"].as_str().unwrap().to_owned();
    let (_, list) = h.get(&format!("/cards/{card}/operations")).await;
    assert_eq!(list["operations"][0]["status"], "PENDING");
    assert!(list["operations"][0].get("endTime").is_none());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (_, list) = h.get(&format!("/cards/{card}/operations")).await;
    let done = &list["operations"][0];
    assert_eq!(
        (done["operationId"].as_str(), done["status"].as_str()),
        (Some(first.as_str()), Some("SUCCESSFUL"))
    );
    assert_eq!(
        (done["operation"].as_str(), done["reason"].as_str()),
        (Some("CLICK_TO_PAY_OPT_OUT"), Some("Lost"))
    );
    assert!(done["startTime"].as_str().unwrap().ends_with('Z') && done["endTime"].is_string());

    let (_, enrol) = h
        .post(
            &format!("/cards/{card}/operations:clickToPayEnrolment"),
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (_, again) = h
        .post(
            &format!("/cards/{card}/operations:clickToPayOptOut"),
            json!({}),
        )
        .await;
    let (_, page) = h
        .get(&format!("/cards/{card}/operations?offset=0&count=2"))
        .await;
    let ids: Vec<&str> = page["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["operationId"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            again["operationId"].as_str().unwrap(),
            enrol["operationId"].as_str().unwrap()
        ]
    );
    assert_eq!(page["remainingOperations"], 1);
    let (_, rest) = h
        .get(&format!("/cards/{card}/operations?offset=2&count=2"))
        .await;
    assert_eq!(
        (
            rest["operations"][0]["operationId"].as_str(),
            rest["remainingOperations"].as_u64()
        ),
        (Some(first.as_str()), Some(0))
    );
    assert_eq!(
        h.get(&format!("/cards/{card}/operations?count=0")).await.1["errorCode"],
        "FIELD_INVALID_VALUE"
    );
    assert_eq!(
        h.get(&format!("/cards/{card}/operations?count=abc"))
            .await
            .1["errorCode"],
        "FIELD_INVALID_FORMAT"
    );

    // Another consumer: the card opt-out above may still remove this one's last profile.
    let other = h.seeded("phone").await;
    let consumer = id(&other);
    let (_, op) = h
        .post(
            &format!("/consumers/{consumer}/operations:clickToPayOptOut"),
            json!({}),
        )
        .await;
    let op_id = op["operationId"].as_str().unwrap();
    let (status, one) = h
        .get(&format!("/consumers/{consumer}/operations/{op_id}"))
        .await;
    assert_eq!((status, one["status"].as_str()), (200, Some("PENDING")));
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let (_, list) = h.get(&format!("/consumers/{consumer}/operations")).await;
    assert_eq!(list["operations"][0]["status"], "SUCCESSFUL");
    assert_eq!(
        h.get(&format!("/consumers/{consumer}/operations/op-99999999"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn write_bodies_are_validated_field_by_field() {
    let h = start(Duration::ZERO).await;
    let record = h.seeded("ok").await;
    let card = record["cards"][0]["cardId"].as_str().unwrap();
    let opt_out = format!("/cards/{card}/operations:clickToPayOptOut");
    let (status, body) = h.post(&opt_out, json!({"reason": "fraud; urgent!"})).await;
    assert_eq!(
        (status, body["errorCode"].as_str(), body["error"].as_str()),
        (
            400,
            Some("FIELD_INVALID_FORMAT"),
            Some("reason is not in the expected format")
        )
    );
    let (status, body) = h.post(&opt_out, json!({"reasonCode": "BECAUSE"})).await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("FIELD_INVALID_VALUE"))
    );
    let raw = h
        .http
        .post(h.url(&opt_out))
        .bearer_auth(&h.token)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert!(
        !h.schemes(id(&record)).await.is_empty(),
        "nothing was applied"
    );

    let update = format!("/consumers/{}/operations:clickToPayUpdate", id(&record));
    let mut info = json!({"consumerInfo": {"firstName": "Hanako", "middleName": "M", "lastName": "Sato", "email": "new@example.jp",
        "language": "ja-JP", "phoneNumberCountryCode": "+81", "phoneNumber": "8011112222"}});
    info["consumerInfo"]["email"] = json!("nope");
    let (status, body) = h.post(&update, info.clone()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (
            400,
            Some("consumerInfo.email is not in the expected format")
        )
    );
    info["consumerInfo"]["email"] = json!("new@example.jp");
    assert_eq!(h.post(&update, info).await.1["status"], "SUCCESSFUL");
    let (_, body) = h
        .get(&format!("/consumers/{}/clickToPayProfiles", id(&record)))
        .await;
    for profile in body["clickToPayProfiles"].as_array().unwrap() {
        assert_eq!(profile["consumerInfo"]["email"], "new@example.jp");
        let middle = if profile["scheme"] == "VISA" {
            json!("M")
        } else {
            Value::Null
        };
        assert_eq!(
            profile["consumerInfo"]["middleName"], middle,
            "Mastercard holds no middle name"
        );
    }

    let address = json!({"billingAddress": {"line1": "9-9-9 Marunouchi", "city": "Chiyoda-ku", "state": "13", "zipCode": "1000005", "countryCode": "JP"}});
    assert_eq!(
        h.post(
            &format!("/cards/{card}/operations:clickToPayUpdate"),
            address
        )
        .await
        .1["status"],
        "SUCCESSFUL"
    );
    let (_, body) = h
        .get(&format!("/consumers/{}/clickToPayProfiles", id(&record)))
        .await;
    let listed = body["clickToPayProfiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["cards"].as_array().unwrap().clone())
        .find(|c| c["cardId"] == card)
        .unwrap();
    assert_eq!(listed["billingAddress"]["line1"], "9-9-9 Marunouchi");

    let not_enrolled = h.seeded("none").await;
    let none_card = not_enrolled["cards"][0]["cardId"].as_str().unwrap();
    assert_eq!(
        h.post(
            &format!("/cards/{none_card}/operations:clickToPayUpdate"),
            json!({})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        h.post(
            &format!(
                "/consumers/{}/operations:clickToPayUpdate",
                id(&not_enrolled)
            ),
            json!({})
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn enrolment_takes_a_visa_cardholder_name_of_at_most_26_characters() {
    let h = start(Duration::ZERO).await;
    let record = h.seeded("none").await;
    let card = &record["cards"][0];
    let path = format!(
        "/cards/{}/operations:clickToPayEnrolment",
        card["cardId"].as_str().unwrap()
    );
    let (status, body) = h
        .post(&path, json!({"cardholderName": "X".repeat(27)}))
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("cardholderName is not in the expected format"))
    );
    let (status, body) = h.post(&path, json!({"cardholderName": "H SATO"})).await;
    assert_eq!((status, body["status"].as_str()), (202, Some("SUCCESSFUL")));
    let (_, profiles) = h
        .get(&format!("/consumers/{}/clickToPayProfiles", id(&record)))
        .await;
    let listed = &profiles["clickToPayProfiles"][0]["cards"][0];
    let expected = if card["scheme"] == "VISA" {
        json!("H SATO")
    } else {
        Value::Null
    };
    assert_eq!(listed["cardHolderName"], expected);
    assert_eq!(
        h.get(&format!("/consumers/{}/operations/bad.id", id(&record)))
            .await
            .1["error"],
        "operationId is not in the expected format"
    );
}
