//! A card's tokens written from the console against the sandbox over mTLS: suspend, resume and
//! delete journaled, sent once, followed and audited like an opt-out; the roles' reason codes;
//! what a token's state forbids; and a lost answer resolved with one request sent.

mod common;

use std::time::Duration;

use care::ErrorCode;
use care::journal::State;
use care::tokens::TokenReason;
use care::writes::{WriteKind, WriteRequest};
use d1_sandbox::faults::{Endpoint, Fault};
use d1_sandbox::model::AccountStatus;
use d1_sandbox::tokens::{DigitalCard, TokenState, TokenType};

const CONSUMERS: usize = 60;

fn write(kind: WriteKind, token: &str, reason: TokenReason) -> WriteRequest {
    WriteRequest {
        kind,
        target: token.to_owned(),
        reason: Some("Customer called".into()),
        user_decision: false,
        token_reason: Some(reason),
    }
}

/// The seeded tokens (seed 1) of cards the bank holds open, of type `kind`, in state `state`.
fn seeded(kind: TokenType, state: TokenState) -> Vec<DigitalCard> {
    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let open: Vec<String> = population
        .bank
        .values()
        .flat_map(|c| &c.cards)
        .filter(|c| c.status == AccountStatus::Open)
        .map(|c| c.card_id.clone())
        .collect();
    d1_sandbox::tokens::generate(1, &population)
        .into_values()
        .filter(|t| t.token_type == kind && t.state == state && open.contains(&t.card_id))
        .collect()
}

/// Token `id` as the console shows it on its card.
async fn token(h: &common::Harness, card: &str, id: &str) -> care::tokens::Token {
    let tokens = h.console.card_tokens(card).await.unwrap();
    [
        tokens.click_to_pay,
        tokens.wallets,
        tokens.merchants,
        tokens.other,
    ]
    .concat()
    .into_iter()
    .find(|t| t.digital_card_id == id)
    .expect("the token on its card")
}

fn events(h: &common::Harness) -> Vec<(String, String)> {
    h.trail()
        .into_iter()
        .map(|r| (r.event.event, r.event.result))
        .collect()
}

#[tokio::test]
async fn an_agent_suspends_and_resumes_a_merchant_token_journaled_sent_once_and_audited() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.role("agent");
    let merchant = &seeded(TokenType::CardOnFile, TokenState::Active)[0];
    let id = &merchant.digital_card_id;

    let suspended = h
        .console
        .write(write(
            WriteKind::SuspendToken,
            id,
            TokenReason::UserDecision,
        ))
        .await
        .unwrap();
    assert_eq!(suspended.state, State::Successful, "{suspended:?}");
    assert_eq!(suspended.intent.kind, WriteKind::SuspendToken);
    assert_eq!(suspended.intent.reason_code, "USER_DECISION");
    let shown = token(&h, &merchant.card_id, id).await;
    assert_eq!(
        (shown.state.as_str(), shown.suspended_by.as_slice()),
        ("SUSPENDED", ["ISSUER".to_owned()].as_slice())
    );
    assert_eq!(h.writes_to(id), 1);

    let resumed = h
        .console
        .write(write(WriteKind::ResumeToken, id, TokenReason::DeviceFound))
        .await
        .unwrap();
    assert_eq!(resumed.state, State::Successful, "{resumed:?}");
    assert_eq!(token(&h, &merchant.card_id, id).await.state, "ACTIVE");
    let events = events(&h);
    for expected in [
        "suspend_token_intent",
        "suspend_token_outcome",
        "resume_token_intent",
        "resume_token_outcome",
    ] {
        assert!(
            events.iter().any(|(event, _)| event == expected),
            "{expected}: {events:?}"
        );
    }
    let intent = h
        .trail()
        .into_iter()
        .find(|r| r.event.event == "suspend_token_intent")
        .unwrap();
    assert_eq!(intent.event.resource.as_deref(), Some(id.as_str()));
    assert!(
        intent.event.result.contains("reason code USER_DECISION"),
        "{intent:?}"
    );
}

#[tokio::test]
async fn the_fraud_team_s_codes_and_its_suspensions_are_its_own_and_an_auditor_writes_nothing() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let wallet = &seeded(TokenType::Wallet, TokenState::Active)[0];
    let id = &wallet.digital_card_id;

    h.role("agent");
    let refused = h
        .console
        .write(write(
            WriteKind::SuspendToken,
            id,
            TokenReason::FraudDetected,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    assert!(
        events(&h)
            .iter()
            .any(|(event, _)| event == "tokenfraud_denied")
    );
    h.role("auditor");
    let refused = h
        .console
        .write(write(
            WriteKind::SuspendToken,
            id,
            TokenReason::UserDecision,
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    assert_eq!(h.writes_to(id), 0, "nothing sent");

    h.role("fraud");
    let suspended = h
        .console
        .write(write(
            WriteKind::SuspendToken,
            id,
            TokenReason::FraudDetected,
        ))
        .await
        .unwrap();
    assert_eq!(suspended.state, State::Successful);
    // The bank's fraud suspension is lifted by the fraud team only, whatever code the agent gives.
    h.role("agent");
    let refused = h
        .console
        .write(write(WriteKind::ResumeToken, id, TokenReason::DeviceFound))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    assert_eq!(h.writes_to(id), 1);
    h.role("fraud");
    let resumed = h
        .console
        .write(write(
            WriteKind::ResumeToken,
            id,
            TokenReason::IssuerDecision,
        ))
        .await
        .unwrap();
    assert_eq!(resumed.state, State::Successful);
    assert_eq!(h.writes_to(id), 2);

    // An agent's suspension for a lost phone, then the fraud team's over it: from then on only
    // the fraud team lifts it.
    h.role("agent");
    let lost = h
        .console
        .write(write(WriteKind::SuspendToken, id, TokenReason::DeviceLost))
        .await
        .unwrap();
    assert_eq!(lost.state, State::Successful);
    h.role("fraud");
    let held = h
        .console
        .write(write(
            WriteKind::SuspendToken,
            id,
            TokenReason::FraudDetected,
        ))
        .await
        .unwrap();
    assert_eq!(held.state, State::Successful);
    h.role("agent");
    let refused = h
        .console
        .write(write(WriteKind::ResumeToken, id, TokenReason::DeviceFound))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    assert_eq!(h.writes_to(id), 4);
}

#[tokio::test]
async fn what_a_token_s_state_forbids_is_refused_in_words_and_nothing_is_sent() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.role("agent");
    let click_to_pay = &seeded(TokenType::ClickToPay, TokenState::Active)[0];
    let by_requestor = seeded(TokenType::Wallet, TokenState::Suspended)
        .into_iter()
        .next()
        .expect("a wallet token its requestor suspended");
    let deleted = &seeded(TokenType::CardOnFile, TokenState::Deleted)[0];
    let active = &seeded(TokenType::CardOnFile, TokenState::Active)[0];
    for (kind, token, words) in [
        (
            WriteKind::DeleteToken,
            &click_to_pay.digital_card_id,
            "opting its card out",
        ),
        (
            WriteKind::ResumeToken,
            &by_requestor.digital_card_id,
            "the bank did not suspend it",
        ),
        (WriteKind::SuspendToken, &deleted.digital_card_id, "deleted"),
        (
            WriteKind::ResumeToken,
            &active.digital_card_id,
            "not suspended",
        ),
    ] {
        let refused = h
            .console
            .write(write(kind, token, TokenReason::UserDecision))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
        assert!(refused.to_string().contains(words), "{refused}");
        assert_eq!(h.writes_to(token), 0, "{token}");
    }
    // No reason code, a card number where the token's id belongs, a token nobody knows.
    let mut no_code = write(
        WriteKind::SuspendToken,
        &active.digital_card_id,
        TokenReason::UserDecision,
    );
    no_code.token_reason = None;
    let refused = h.console.write(no_code).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
    let pan = write(
        WriteKind::SuspendToken,
        "4111111111111111",
        TokenReason::UserDecision,
    );
    let refused = h.console.write(pan).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
    assert!(!refused.to_string().contains("4111111111111111"));
    let unknown = write(
        WriteKind::SuspendToken,
        "dc-nobody",
        TokenReason::UserDecision,
    );
    assert_eq!(
        h.console.write(unknown).await.unwrap_err().code(),
        ErrorCode::NotFound
    );
    assert!(h.journal().unfinished().unwrap().is_empty());
}

#[tokio::test]
async fn a_token_delete_whose_answer_is_lost_is_unknown_then_resolved_from_d1_with_one_request_sent()
 {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.role("agent");
    let merchant = &seeded(TokenType::CardOnFile, TokenState::Active)[1];
    let id = &merchant.digital_card_id;
    h.faults(vec![Fault {
        drop_after_apply: true,
        ..common::fault(&[Endpoint::DigitalCardWrites])
    }]);
    let entry = h
        .console
        .write(write(WriteKind::DeleteToken, id, TokenReason::UserDecision))
        .await
        .unwrap();
    assert_eq!(entry.state, State::Unknown, "{entry:?}");
    h.faults(Vec::new());
    let open = h
        .console
        .track_until_settled(Duration::from_secs(10), |_| {})
        .await
        .unwrap();
    assert_eq!(open, 0);
    let resolved = h.console.operation(entry.id).unwrap().unwrap();
    assert_eq!(resolved.state, State::Successful, "{resolved:?}");
    assert!(resolved.operation_id.is_some());
    assert_eq!(h.writes_to(id), 1, "never sent again");
    assert_eq!(token(&h, &merchant.card_id, id).await.state, "DELETED");
}

#[tokio::test]
async fn a_consumer_s_tokens_show_each_seeded_finding_and_nothing_else() {
    use care::tokens::TokenFindingKind as Kind;
    use std::collections::BTreeSet;
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let seeded = d1_sandbox::tokens::generate(1, &population);
    let mut seen = BTreeSet::new();
    for consumer in population.bank.values() {
        let mut expected = BTreeSet::new();
        for card in &consumer.cards {
            let tokens = seeded.values().filter(|t| t.card_id == card.card_id);
            for token in tokens {
                let id = Some(token.digital_card_id.clone());
                if card.status != AccountStatus::Open
                    && token.token_type != TokenType::ClickToPay
                    && token.state == TokenState::Active
                {
                    expected.insert((
                        Kind::ActiveTokenOnClosedCard,
                        card.card_id.clone(),
                        id.clone(),
                    ));
                }
                if token.state == TokenState::Suspended {
                    expected.insert((Kind::SuspendedByAnotherParty, card.card_id.clone(), id));
                }
            }
            let listed = population
                .directories
                .values()
                .filter_map(|d| d.get(&consumer.consumer_id))
                .flat_map(|p| &p.cards)
                .filter(|c| c.card_id == card.card_id);
            for listed in listed {
                let id = listed.digital_card_id.clone();
                match seeded.get(&id) {
                    None => expected.insert((
                        Kind::ClickToPayTokenMissing,
                        card.card_id.clone(),
                        Some(id),
                    )),
                    Some(t) if t.state == TokenState::Deleted => expected.insert((
                        Kind::ClickToPayTokenDeleted,
                        card.card_id.clone(),
                        Some(id),
                    )),
                    Some(_) => false,
                };
            }
        }
        let shown = h
            .console
            .consumer_tokens(&consumer.consumer_id)
            .await
            .unwrap();
        assert!(shown.complete, "{}", consumer.consumer_id);
        assert_eq!(shown.cards.len(), consumer.cards.len());
        let found: BTreeSet<_> = shown
            .findings
            .iter()
            .map(|f| (f.kind, f.card_id.clone(), f.digital_card_id.clone()))
            .collect();
        assert_eq!(found, expected, "{}", consumer.consumer_id);
        seen.extend(found.into_iter().map(|(kind, ..)| kind));
        // Suggested: delete a closed card's token; opt the card out when its Click to Pay
        // token is gone; nothing the bank can do about another party's suspension.
        for finding in &shown.findings {
            let action = match finding.kind {
                Kind::ActiveTokenOnClosedCard => Some(WriteKind::DeleteToken),
                Kind::ClickToPayTokenDeleted => Some(WriteKind::OptOutCard),
                Kind::ClickToPayTokenMissing | Kind::SuspendedByAnotherParty => None,
            };
            assert_eq!(finding.action, action, "{finding:?}");
        }
    }
    assert_eq!(seen.len(), 4, "every kind of finding seeded: {seen:?}");
    let recorded = h
        .trail()
        .into_iter()
        .rev()
        .find(|r| r.event.event == "tokens_view")
        .unwrap();
    assert!(recorded.event.result.contains("tokens on"), "{recorded:?}");
}

#[tokio::test]
async fn a_card_whose_tokens_cannot_be_read_says_why_and_the_others_still_show() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let consumer = d1_sandbox::seed::generate(1, CONSUMERS)
        .bank
        .into_values()
        .find(|c| c.cards.len() >= 2)
        .unwrap();
    h.faults(vec![Fault {
        error_rate: 1.0,
        ..common::fault(&[Endpoint::DigitalCards])
    }]);
    let shown = h
        .console
        .consumer_tokens(&consumer.consumer_id)
        .await
        .unwrap();
    assert!(!shown.complete);
    assert!(shown.cards.iter().all(|c| c.problem.is_some()));
    h.faults(Vec::new());
    let shown = h
        .console
        .consumer_tokens(&consumer.consumer_id)
        .await
        .unwrap();
    assert!(shown.complete && shown.cards.iter().all(|c| c.problem.is_none()));
    let refused = h
        .console
        .consumer_tokens("4111111111111111")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
}

/// A merchant gateways' host standing in for the gateway: it refuses the first delivery with
/// 503, then takes each; what it took and how many came.
async fn gateway_host() -> (
    String,
    std::sync::Arc<std::sync::Mutex<(usize, Vec<serde_json::Value>)>>,
) {
    use axum::Json;
    use axum::extract::State;
    use axum::http::StatusCode;
    type Inbox = std::sync::Arc<std::sync::Mutex<(usize, Vec<serde_json::Value>)>>;
    let inbox: Inbox = Default::default();
    let take = |State(inbox): State<Inbox>, Json(body): Json<serde_json::Value>| async move {
        let mut inbox = inbox.lock().unwrap();
        inbox.0 += 1;
        if inbox.0 == 1 {
            return StatusCode::SERVICE_UNAVAILABLE;
        }
        inbox.1.push(body);
        StatusCode::NO_CONTENT
    };
    let app = axum::Router::new()
        .route("/{*path}", axum::routing::post(take))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, inbox)
}

#[tokio::test]
async fn a_gateway_s_token_shows_an_agent_deletes_it_the_gateway_hears_it_once_and_the_gateway_s_own_delete_is_the_merchant_s_in_history()
 {
    use d1_sandbox::gateway_client::GatewayClient;
    let (host, inbox) = gateway_host().await;
    let config = d1_sandbox::SandboxConfig {
        consumers: CONSUMERS,
        op_delay: Duration::ZERO,
        gateway_notify_url: Some(host),
        ..d1_sandbox::SandboxConfig::default()
    };
    let h = common::harness_with(config, care::writes::SETTLE).await;
    h.role("agent");
    let state = tempfile::tempdir().unwrap();
    h.console
        .with_sandbox(|s| s.write_state_dir(state.path()))
        .unwrap()
        .unwrap();
    let gateway = GatewayClient::connect(state.path(), "MGW_000001")
        .await
        .unwrap();
    let consumer = common::first(CONSUMERS, "ok");
    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let card = population.bank[&consumer]
        .cards
        .iter()
        .find(|c| c.status == AccountStatus::Open)
        .unwrap()
        .clone();
    let pan = d1_sandbox::tokens::test_pan(&card);
    let tokenize = async || {
        let (status, body) = gateway
            .tokenize("MER0000001", &pan, &card.expiry)
            .await
            .unwrap();
        assert_eq!(status, 201, "{body}");
        body["tokenId"].as_str().unwrap().to_owned()
    };

    // The gateway's token is on the card in the console at once, named by its merchant.
    let first = tokenize().await;
    let shown = h.console.consumer_tokens(&consumer).await.unwrap();
    let merchant = shown
        .cards
        .iter()
        .flat_map(|c| &c.merchants)
        .find(|t| t.digital_card_id == first)
        .expect("the gateway's token in the console");
    assert_eq!(merchant.requestor_name.as_deref(), Some("Sakura Books"));
    assert_eq!(merchant.merchant_gateway_id.as_deref(), Some("MGW_000001"));

    // An agent deletes it: the gateway is told, again after its refusal, then no more.
    let deleted = h
        .console
        .write(write(
            WriteKind::DeleteToken,
            &first,
            TokenReason::UserDecision,
        ))
        .await
        .unwrap();
    assert_eq!(deleted.state, State::Successful, "{deleted:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while inbox.lock().unwrap().1.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the gateway never heard"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (attempts, taken) = inbox.lock().unwrap().clone();
    assert_eq!((attempts, taken.len()), (2, 1), "{taken:?}");
    assert_eq!(taken[0]["tokenId"], first.as_str());
    assert_eq!(taken[0]["event"], "DELETED");

    // The gateway's own delete of another token: the merchant's, by name, in the history.
    let second = tokenize().await;
    assert_eq!(gateway.delete("MER0000001", &second).await.unwrap().0, 204);
    let history = h.console.card_history(&card.card_id).await.unwrap();
    assert!(history.complete);
    let on = |token: &str| {
        history
            .entries
            .iter()
            .find(|e| {
                matches!(&e.subject, care::history::Subject::Token { digital_card_id, .. } if digital_card_id == token)
            })
            .unwrap_or_else(|| panic!("{token} in {:#?}", history.entries))
    };
    let theirs = on(&second);
    assert_eq!(
        (
            theirs.operation.as_str(),
            theirs.requestor.as_str(),
            theirs.requestor_name.as_deref()
        ),
        ("DELETE", "TSP", Some("Sakura Books"))
    );
    assert_eq!(theirs.operator, None);
    let ours = on(&first);
    assert_eq!(
        (ours.operation.as_str(), ours.requestor.as_str(), ours.kind),
        ("DELETE", "ISSUER", Some(WriteKind::DeleteToken))
    );
    assert_eq!(ours.operator.as_deref(), Some("tester"));
    assert_eq!(ours.workstation.as_deref(), Some("ws-test"));
    assert!(
        history
            .entries
            .iter()
            .all(|e| !matches!(e.subject, care::history::Subject::Consumer))
    );
    assert!(
        h.trail()
            .iter()
            .any(|r| r.event.event == "history_view" && r.event.result.starts_with("ok;"))
    );
}

#[tokio::test]
async fn the_fraud_team_suspends_every_token_of_a_card_or_deletes_every_merchant_s_and_an_agent_may_not()
 {
    use care::console::CardTokensWrite;
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let seeded = d1_sandbox::tokens::generate(1, &population);
    // An open card with a live merchant token and a live wallet token.
    let live = |card: &str, kind| {
        seeded
            .values()
            .filter(|t| t.card_id == card && t.token_type == kind && t.state == TokenState::Active)
            .map(|t| t.digital_card_id.clone())
            .collect::<Vec<_>>()
    };
    let card = population
        .bank
        .values()
        .flat_map(|c| &c.cards)
        .filter(|c| c.status == AccountStatus::Open)
        .map(|c| c.card_id.clone())
        .find(|c| {
            !live(c, TokenType::CardOnFile).is_empty() && !live(c, TokenType::Wallet).is_empty()
        })
        .unwrap();
    let request = |kind| CardTokensWrite {
        card_id: card.clone(),
        kind,
        token_reason: TokenReason::FraudDetected,
        reason: Some("Card compromised".into()),
    };
    h.role("agent");
    let refused = h
        .console
        .write_card_tokens(request(WriteKind::DeleteToken))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);

    h.role("fraud");
    let deleted = h
        .console
        .write_card_tokens(request(WriteKind::DeleteToken))
        .await
        .unwrap();
    let merchants = live(&card, TokenType::CardOnFile);
    let ids: Vec<&str> = deleted.iter().map(|w| w.digital_card_id.as_str()).collect();
    assert_eq!(
        ids,
        merchants.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(deleted.iter().all(|w| {
        w.entry
            .as_ref()
            .is_some_and(|e| e.state == State::Successful)
    }));
    for wallet in live(&card, TokenType::Wallet) {
        assert_eq!(
            h.writes_to(&wallet),
            0,
            "a wallet's token is not a merchant's"
        );
    }

    let suspended = h
        .console
        .write_card_tokens(request(WriteKind::SuspendToken))
        .await
        .unwrap();
    let tokens = h.console.card_tokens(&card).await.unwrap();
    for token in tokens.all() {
        match token.state.as_str() {
            "DELETED" => {}
            state => assert!(
                state == "SUSPENDED" && token.suspended_by.contains(&"ISSUER".to_owned()),
                "{token:?}"
            ),
        }
    }
    assert!(
        suspended.iter().all(|w| w.problem.is_none()),
        "{suspended:?}"
    );
    let recorded: Vec<String> = h
        .trail()
        .into_iter()
        .filter(|r| r.event.event == "card_tokens_write")
        .map(|r| r.event.result)
        .collect();
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert!(
        recorded[0].starts_with("DELETE_TOKEN; reason code FRAUD_DETECTED;"),
        "{recorded:?}"
    );
    assert!(
        h.console
            .write_card_tokens(request(WriteKind::ResumeToken))
            .await
            .is_err()
    );
}
