//! `d1::Client` against the d1-sandbox over real mTLS on 127.0.0.1: every operation, tokens,
//! connection reuse, retries, and the faults a production API has.

use std::sync::Arc;
use std::time::Duration;

use d1::wire::{
    OperationKind, OperationStatus, RequestorType, Scheme, Suspender, TokenAction, TokenReasonCode,
    TokenState, TokenType,
};
use d1::{
    Call, CardId, Client, Config, ConsumerId, DigitalCardId, Error, Identity, IssuerId,
    OperationId, Page, Reason, Secret, TlsFailure, TokenWrite, Trust, Write,
};
use d1_sandbox::faults::{Endpoint, Fault};
use d1_sandbox::{Sandbox, SandboxConfig};

async fn sandbox(op_delay: Duration) -> Sandbox {
    Sandbox::start(SandboxConfig {
        op_delay,
        consumers: 40,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

fn identity(sandbox: &Sandbox) -> Identity {
    let c = sandbox.credentials();
    Identity {
        client_chain_pem: c.client_chain_pem.clone(),
        client_key_pem: Secret::from(c.client_key_pem.clone()),
        signing_key_pem: Secret::from(c.signing_key_pem.clone()),
    }
}

fn config(sandbox: &Sandbox) -> Config {
    let c = sandbox.credentials();
    let mut config = Config::new(
        sandbox.base_url(),
        sandbox.token_url(),
        IssuerId::new(&c.issuer_id).unwrap(),
        &c.kid,
        Trust::OnlyCa(vec![c.server_ca_pem.clone()]),
    );
    config.retry_base = Duration::from_millis(10);
    config
}

fn client(sandbox: &Sandbox) -> Client {
    Client::new(config(sandbox), &identity(sandbox)).unwrap()
}

fn consumer(id: &str) -> ConsumerId {
    ConsumerId::new(id).unwrap()
}

/// The first seeded consumer of a category and their card ids (from the seed, deterministically).
fn seeded(slug: &str) -> (ConsumerId, Vec<CardId>) {
    let population = d1_sandbox::seed::generate(1, 40);
    let record = population
        .bank
        .values()
        .find(|c| c.consumer_id.ends_with(&format!("-{slug}")))
        .unwrap();
    (
        consumer(&record.consumer_id),
        record
            .cards
            .iter()
            .map(|c| CardId::new(&c.card_id).unwrap())
            .collect(),
    )
}

#[tokio::test]
async fn every_operation_succeeds_and_decodes() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = client(&sandbox);
    let (id, cards) = seeded("ok");
    let profiles = d1.profiles(&id, Call::default()).await.unwrap();
    assert!(!profiles.value.profiles.is_empty() && profiles.value.errors.is_empty());
    assert!(
        profiles
            .value
            .profiles
            .iter()
            .all(|p| matches!(p.scheme, Scheme::Visa | Scheme::Mastercard))
    );

    let write = || Write {
        reason: Some(Reason::new("Customer request").unwrap()),
        ..Write::default()
    };
    let opted = d1.opt_out_card(&cards[0], write()).await.unwrap();
    assert_eq!(opted.value.status, OperationStatus::Successful);
    let enrolled = d1.enrol_card(&cards[0], write(), None).await.unwrap();
    assert_eq!(enrolled.value.status, OperationStatus::Successful);
    let updated = d1
        .update_card(&cards[0], write(), None, None)
        .await
        .unwrap();
    assert_eq!(updated.value.status, OperationStatus::Successful);
    let info = profiles.value.profiles[0].consumer_info.clone();
    assert_eq!(
        d1.update_consumer(&id, write(), &info)
            .await
            .unwrap()
            .value
            .status,
        OperationStatus::Successful
    );
    let page = d1
        .card_operations(
            &cards[0],
            Page {
                offset: 0,
                count: 2,
            },
            Call::default(),
        )
        .await
        .unwrap()
        .value;
    assert_eq!(page.operations.len(), 2);
    assert_eq!(page.remaining_operations, 1);
    assert_eq!(
        page.operations[0].operation_id, updated.value.operation_id,
        "newest first"
    );

    let out = d1.opt_out_consumer(&id, write()).await.unwrap();
    let list = d1
        .consumer_operations(&id, Page::default(), Call::default())
        .await
        .unwrap()
        .value;
    assert_eq!(list.operations.len(), 2);
    let one = d1
        .consumer_operation(
            &id,
            &OperationId::new(&out.value.operation_id).unwrap(),
            Call::default(),
        )
        .await
        .unwrap();
    assert_eq!(one.value.status, OperationStatus::Successful);
    assert!(
        d1.profiles(&id, Call::default())
            .await
            .unwrap()
            .value
            .profiles
            .is_empty()
    );
}

#[tokio::test]
async fn a_failing_directory_is_reported_and_the_others_still_shown() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = client(&sandbox);
    sandbox.set_faults(vec![Fault {
        endpoints: vec![Endpoint::Profiles],
        failing_directory: Some(d1_sandbox::model::Scheme::Visa),
        ..Fault::default()
    }]);
    let (id, _) = seeded("ok");
    let profiles = d1.profiles(&id, Call::default()).await.unwrap().value;
    assert!(profiles.profiles.iter().all(|p| p.scheme != Scheme::Visa));
    assert_eq!(profiles.errors[0].scheme, Scheme::Visa);
    assert_eq!(
        profiles.errors[0].error_code.as_deref(),
        Some("DIRECTORY_UNAVAILABLE")
    );
}

#[tokio::test]
async fn concurrent_calls_share_one_token_and_one_connection() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = Arc::new(client(&sandbox));
    let (id, _) = seeded("ok");
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let (d1, id) = (d1.clone(), id.clone());
            tokio::spawn(async move { d1.profiles(&id, Call::default()).await.unwrap() })
        })
        .collect();
    for call in calls {
        call.await.unwrap();
    }
    for _ in 0..50 {
        d1.profiles(&id, Call::default()).await.unwrap();
    }
    let stats = sandbox.stats();
    assert_eq!(stats.token_requests, 1, "one token for 100 calls");
    assert_eq!(stats.connections, 1, "one TLS connection for 100 calls");
}

#[tokio::test]
async fn an_expired_token_is_refreshed_once() {
    let sandbox = Sandbox::start(SandboxConfig {
        token_ttl: Duration::from_secs(2),
        consumers: 20,
        op_delay: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let d1 = client(&sandbox);
    let (id, _) = seeded("ok");
    d1.profiles(&id, Call::default()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    d1.profiles(&id, Call::default()).await.unwrap();
    assert_eq!(
        sandbox.stats().token_requests,
        2,
        "refreshed before expiry (half of a 2 s lifetime)"
    );
}

#[tokio::test]
async fn a_revoked_token_costs_one_refresh_and_the_read_succeeds() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = client(&sandbox);
    let (id, _) = seeded("ok");
    d1.profiles(&id, Call::default()).await.unwrap();
    let admin = &sandbox.credentials().admin_token;
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(
            sandbox.credentials().server_ca_pem.as_bytes(),
        )
        .unwrap()])
        .identity(
            reqwest::Identity::from_pem(
                format!(
                    "{}{}",
                    sandbox.credentials().client_chain_pem,
                    sandbox.credentials().client_key_pem
                )
                .as_bytes(),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let revoked = http
        .post(format!("{}/tokens:revoke", sandbox.admin_url()))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    d1.profiles(&id, Call::default()).await.unwrap();
    assert_eq!(sandbox.stats().token_requests, 2);
}

#[tokio::test]
async fn a_write_whose_answer_is_lost_is_maybe_sent_and_sent_exactly_once() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = client(&sandbox);
    let (_, cards) = seeded("ok");
    sandbox.set_faults(vec![Fault {
        endpoints: vec![Endpoint::OptOutCard],
        drop_after_apply: true,
        ..Fault::default()
    }]);
    let error = d1
        .opt_out_card(&cards[0], Write::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::MaybeSent { write: true, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("not retried"), "{error}");
    assert!(error.correlation_id().is_some());
    assert_eq!(
        sandbox.stats().writes.get(cards[0].as_str()),
        Some(&1),
        "exactly one request reached D1"
    );
    sandbox.set_faults(Vec::new());
    let page = d1
        .card_operations(&cards[0], Page::default(), Call::default())
        .await
        .unwrap();
    assert_eq!(
        page.value.operations[0].status,
        OperationStatus::Successful,
        "the write was applied: reconcile"
    );
}

#[tokio::test]
async fn reads_are_retried_writes_are_not() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = client(&sandbox);
    let (id, cards) = seeded("ok");
    sandbox.set_faults(vec![Fault {
        error_rate: 1.0,
        error_status: Some(503),
        endpoints: vec![Endpoint::Profiles, Endpoint::OptOutCard],
        ..Fault::default()
    }]);
    let error = d1.profiles(&id, Call::default()).await.unwrap_err();
    assert!(
        matches!(error, Error::Rejected { status: 503, .. }),
        "{error:?}"
    );
    let error = d1
        .opt_out_card(&cards[0], Write::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Rejected { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(
        sandbox.stats().writes.get(cards[0].as_str()),
        None,
        "the 503 came before the handler"
    );

    sandbox.set_faults(vec![Fault {
        rate_limit_rate: 1.0,
        retry_after_s: 0,
        endpoints: vec![Endpoint::Profiles],
        ..Fault::default()
    }]);
    let error = d1.profiles(&id, Call::default()).await.unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(d), .. } if d.is_zero()),
        "{error:?}"
    );

    sandbox.set_faults(vec![Fault {
        error_rate: 0.5,
        endpoints: vec![Endpoint::Profiles],
        ..Fault::default()
    }]);
    // Three attempts turn a 50 % failure rate into 87.5 % success (one attempt: 50 %). Over 200
    // reads, fewer than 150 successes has a chance below one in a million.
    let mut succeeded = 0;
    for _ in 0..200 {
        succeeded += d1.profiles(&id, Call::default()).await.is_ok() as u32;
    }
    assert!(
        succeeded >= 150,
        "three attempts turn a 50 % failure rate into about 87 % success: {succeeded}/200"
    );
}

#[tokio::test]
async fn malformed_and_oversized_answers_are_decode_errors() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = client(&sandbox);
    let (id, _) = seeded("ok");
    sandbox.set_faults(vec![Fault {
        endpoints: vec![Endpoint::Profiles],
        malformed_body: true,
        ..Fault::default()
    }]);
    assert!(matches!(
        d1.profiles(&id, Call::default()).await.unwrap_err(),
        Error::Decode { .. }
    ));
    sandbox.set_faults(vec![Fault {
        endpoints: vec![Endpoint::Profiles],
        oversized_body_bytes: 50 * 1024 * 1024,
        ..Fault::default()
    }]);
    let error = d1.profiles(&id, Call::default()).await.unwrap_err();
    assert!(
        matches!(&error, Error::Decode { detail, .. } if detail.contains("larger than")),
        "{error:?}"
    );
}

#[tokio::test]
async fn errors_from_d1_and_invalid_ids() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = client(&sandbox);
    let error = d1
        .profiles(&consumer("cons-9999-nobody"), Call::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Rejected { status: 404, .. }),
        "{error:?}"
    );
    let (_, cards) = seeded("none");
    let error = d1
        .opt_out_card(&cards[0], Write::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Rejected { status: 403, .. }),
        "{error:?}"
    );
    assert_eq!(
        ConsumerId::new("not valid!").unwrap_err().kind(),
        "consumerId"
    );
    let error = d1
        .enrol_card(&cards[0], Write::default(), Some("X".repeat(27)))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest(_)));
    assert_eq!(
        sandbox.stats().writes.get(cards[0].as_str()),
        Some(&1),
        "the invalid enrolment was never sent"
    );
}

#[tokio::test]
async fn a_given_correlation_id_is_sent_and_returned() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = client(&sandbox);
    let (id, _) = seeded("ok");
    let cid = d1::CorrelationId::new("case-42").unwrap();
    let response = d1
        .profiles(
            &id,
            Call {
                correlation_id: Some(cid.clone()),
            },
        )
        .await
        .unwrap();
    assert_eq!(response.correlation_id, cid);
    let other = d1.profiles(&id, Call::default()).await.unwrap();
    assert_ne!(other.correlation_id, cid);
}

#[tokio::test]
async fn tls_failures_name_the_side_that_failed() {
    let sandbox = sandbox(Duration::ZERO).await;
    let (id, _) = seeded("ok");
    let stranger = d1_sandbox::pki::Pki::untrusted_client_identity();
    let foreign = Identity {
        client_chain_pem: stranger.chain_pem,
        client_key_pem: Secret::from(stranger.key_pem),
        ..identity(&sandbox)
    };
    let error = Client::new(config(&sandbox), &foreign)
        .unwrap()
        .profiles(&id, Call::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Tls {
                failure: TlsFailure::ClientCertRejected,
                ..
            }
        ),
        "{error:?}"
    );

    let without = Identity {
        client_chain_pem: String::new(),
        ..identity(&sandbox)
    };
    let error = Client::new(config(&sandbox), &without).unwrap_err();
    assert!(
        matches!(error, Error::InvalidRequest(_)),
        "no client certificate: refused before anything is sent, {error:?}"
    );

    let other_ca = d1_sandbox::pki::Pki::generate().server_ca_pem;
    let mut untrusting = config(&sandbox);
    untrusting.trust = Trust::OnlyCa(vec![other_ca]);
    let error = Client::new(untrusting, &identity(&sandbox))
        .unwrap()
        .profiles(&id, Call::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Tls {
                failure: TlsFailure::ServerCertUntrusted,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("trusted CA"), "{error}");

    let mut malformed = config(&sandbox);
    malformed.base_url = "https://127.0.0.1:99999/banking/v1".into();
    let error = Client::new(malformed, &identity(&sandbox))
        .unwrap()
        .profiles(&id, Call::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::NotSent { .. }),
        "a URL that cannot be built never left: {error:?}"
    );

    let mut closed = config(&sandbox);
    closed.base_url = "https://127.0.0.1:1/banking/v1".into();
    closed.token_url = "https://127.0.0.1:1/authz/v1/oauth2/token".into();
    let error = Client::new(closed, &identity(&sandbox))
        .unwrap()
        .profiles(&id, Call::default())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotSent { .. }), "{error:?}");
}

async fn profiles_error(config: SandboxConfig) -> Error {
    let sandbox = Sandbox::start(SandboxConfig {
        consumers: 5,
        ..config
    })
    .await
    .unwrap();
    let (id, _) = seeded("ok");
    client(&sandbox)
        .profiles(&id, Call::default())
        .await
        .unwrap_err()
}

#[tokio::test]
async fn expired_and_misnamed_server_certificates_are_refused() {
    use d1_sandbox::pki::ServerCert;
    let expired = profiles_error(SandboxConfig {
        server_cert: ServerCert::Expired,
        ..SandboxConfig::default()
    })
    .await;
    assert!(
        matches!(
            expired,
            Error::Tls {
                failure: TlsFailure::ServerCertExpired,
                ..
            }
        ),
        "{expired:?}"
    );
    assert!(expired.to_string().contains("clock"), "{expired}");
    let misnamed = profiles_error(SandboxConfig {
        server_cert: ServerCert::WrongHost,
        ..SandboxConfig::default()
    })
    .await;
    assert!(
        matches!(
            misnamed,
            Error::Tls {
                failure: TlsFailure::ServerCertWrongHost,
                ..
            }
        ),
        "{misnamed:?}"
    );
}

/// A peer that answers every ClientHello with a fatal `protocol_version` alert, like a server
/// that speaks only TLS 1.1 (rustls cannot be made to serve it).
#[tokio::test]
async fn a_server_without_a_common_tls_version_is_a_protocol_version_failure() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut hello = [0u8; 512];
            let _ = socket.read(&mut hello).await;
            let _ = socket
                .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
                .await;
        }
    });
    let sandbox = sandbox(Duration::ZERO).await;
    let mut old = config(&sandbox);
    old.base_url = format!("https://127.0.0.1:{port}/banking/v1");
    old.token_url = format!("https://127.0.0.1:{port}/authz/v1/oauth2/token");
    let (id, _) = seeded("ok");
    let error = Client::new(old, &identity(&sandbox))
        .unwrap()
        .profiles(&id, Call::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Tls {
                failure: TlsFailure::ProtocolVersion,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_read_slower_than_the_timeout_is_retried_then_maybe_sent() {
    let sandbox = sandbox(Duration::ZERO).await;
    let mut slow = config(&sandbox);
    slow.request_timeout = Duration::from_millis(300);
    let d1 = Client::new(slow, &identity(&sandbox)).unwrap();
    let (id, _) = seeded("ok");
    d1.profiles(&id, Call::default()).await.unwrap();
    sandbox.set_faults(vec![Fault {
        endpoints: vec![Endpoint::Profiles],
        latency_ms: 600,
        ..Fault::default()
    }]);
    let error = d1.profiles(&id, Call::default()).await.unwrap_err();
    assert!(
        matches!(error, Error::MaybeSent { write: false, .. }),
        "{error:?}"
    );
    sandbox.set_faults(vec![Fault {
        endpoints: vec![Endpoint::Profiles],
        latency_ms: 100,
        ..Fault::default()
    }]);
    assert!(
        d1.profiles(&id, Call::default()).await.is_ok(),
        "latency under the timeout is fine"
    );
}

#[tokio::test]
async fn a_failing_token_endpoint_is_retried_for_reads() {
    let sandbox = sandbox(Duration::ZERO).await;
    let d1 = client(&sandbox);
    let (id, _) = seeded("ok");
    sandbox.set_faults(vec![Fault {
        endpoints: vec![Endpoint::Token],
        error_rate: 1.0,
        error_status: Some(503),
        ..Fault::default()
    }]);
    let error = d1.profiles(&id, Call::default()).await.unwrap_err();
    assert!(
        matches!(error, Error::Rejected { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(sandbox.stats().token_requests, 3, "three attempts");
    sandbox.set_faults(Vec::new());
    assert!(d1.profiles(&id, Call::default()).await.is_ok());
}

#[tokio::test]
async fn a_card_s_digital_cards_are_read_written_and_their_operations_name_who_made_them() {
    let sandbox = sandbox(Duration::ZERO).await;
    let client = client(&sandbox);
    let population = d1_sandbox::seed::generate(1, 40);
    let seeded = d1_sandbox::tokens::generate(1, &population);
    let merchant = seeded
        .values()
        .find(|t| {
            t.token_type == d1_sandbox::tokens::TokenType::CardOnFile
                && t.state == d1_sandbox::tokens::TokenState::Active
        })
        .unwrap();
    let card = CardId::new(&merchant.card_id).unwrap();
    let listed = client
        .digital_cards(&card, Call::default())
        .await
        .unwrap()
        .value
        .digital_cards;
    let expected = seeded
        .values()
        .filter(|t| t.card_id == merchant.card_id)
        .count();
    assert_eq!(listed.len(), expected);
    let id = DigitalCardId::new(&merchant.digital_card_id).unwrap();
    let token = client
        .digital_card(&id, Call::default())
        .await
        .unwrap()
        .value;
    assert_eq!(
        (
            &token.state,
            &token.token_type,
            token.merchant_gateway_id.as_deref(),
            token.token_requestor_name.as_deref()
        ),
        (
            &TokenState::Active,
            &TokenType::CardOnFile,
            merchant.merchant_gateway_id.as_deref(),
            Some(merchant.token_requestor_name.as_str())
        )
    );
    assert!(listed.contains(&token));

    let write = TokenWrite {
        reason: Some(Reason::new("Merchant breach").unwrap()),
        reason_code: TokenReasonCode::FraudDetected,
        correlation_id: None,
    };
    let accepted = client
        .digital_card_write(&id, TokenAction::Suspend, write)
        .await
        .unwrap()
        .value;
    assert_eq!(accepted.status, OperationStatus::Successful);
    let token = client
        .digital_card(&id, Call::default())
        .await
        .unwrap()
        .value;
    assert_eq!(
        (token.state, token.suspended_by),
        (TokenState::Suspended, vec![Suspender::Issuer])
    );
    let operations = client
        .digital_card_operations(
            &id,
            Page {
                offset: 0,
                count: 10,
            },
            Call::default(),
        )
        .await
        .unwrap()
        .value
        .operations;
    assert_eq!(operations.len(), 1);
    assert_eq!(operations[0].operation_id, accepted.operation_id);
    assert_eq!(
        (
            &operations[0].operation,
            &operations[0].requestor_type,
            operations[0].reason_code.as_deref()
        ),
        (
            &OperationKind::Suspend,
            &Some(RequestorType::Issuer),
            Some("FRAUD_DETECTED")
        )
    );

    // Another party's suspension is not the bank's to lift; a deleted token takes no write.
    let theirs = seeded
        .values()
        .find(|t| t.suspended_by == [d1_sandbox::tokens::Party::TokenRequestor])
        .unwrap();
    let theirs = DigitalCardId::new(&theirs.digital_card_id).unwrap();
    let write = async |id: &DigitalCardId, action| {
        client
            .digital_card_write(id, action, TokenWrite::default())
            .await
    };
    let forbidden =
        |result: Result<_, Error>| matches!(result, Err(Error::Rejected { status: 403, .. }));
    assert!(forbidden(write(&theirs, TokenAction::Resume).await));
    write(&id, TokenAction::Delete).await.unwrap();
    assert!(forbidden(write(&id, TokenAction::Resume).await));
    assert!(DigitalCardId::new("dc 1; drop").is_err(), "never sent");
}
