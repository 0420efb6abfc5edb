//! The console against the in-process sandbox: search, the consumer view with slow and failing
//! upstreams, every write outcome (UNKNOWN included), crash recovery, roles and the audit trail.

mod common;

use std::time::{Duration, Instant};

use care::ErrorCode;
use care::journal::{NewIntent, State};
use care::policy::Permission;
use care::profile::{BankSide, DirectoryState};
use care::writes::{WriteKind, WriteRequest};
use d1_sandbox::faults::{Endpoint, Fault};
use d1_sandbox::model::Scheme;

const CONSUMERS: usize = 60;

fn opt_out_card(card: &str) -> WriteRequest {
    WriteRequest {
        kind: WriteKind::OptOutCard,
        target: card.to_owned(),
        reason: Some("Card closed at bank".into()),
        user_decision: false,
        token_reason: None,
    }
}

/// The closed-but-enrolled card of the first `-closed` consumer, and that consumer.
async fn closed_card(h: &common::Harness) -> (String, String) {
    let consumer = common::first(CONSUMERS, "closed");
    let view = h.console.consumer_view(&consumer).await.unwrap();
    let card = view
        .findings
        .iter()
        .find(|f| f.kind == care::profile::findings::FindingKind::CardClosedButEnrolled)
        .and_then(|f| f.card_id.clone())
        .expect("the seeded closed card is enrolled");
    (consumer, card)
}

/// A card of the first `ok` consumer that a directory lists.
async fn an_enrolled_card(h: &common::Harness) -> String {
    let ok = h
        .console
        .consumer_view(&common::first(CONSUMERS, "ok"))
        .await
        .unwrap();
    enrolled_cards(&ok)[0].clone()
}

fn enrolled_cards(view: &care::profile::ConsumerView) -> Vec<String> {
    view.directories
        .iter()
        .filter_map(|d| match &d.state {
            DirectoryState::Enrolled { profile } => {
                Some(profile.cards.iter().map(|c| c.card_id.clone()))
            }
            _ => None,
        })
        .flatten()
        .collect()
}

/// Opts `card` out under the faults in force, expects UNKNOWN, lifts the faults, and returns
/// the entry once the tracker has settled it.
async fn unknown_then_settled(h: &common::Harness, card: &str) -> care::journal::Entry {
    let entry = h.console.write(opt_out_card(card)).await.unwrap();
    assert_eq!(entry.state, State::Unknown, "{entry:?}");
    assert!(entry.operation_id.is_none());
    h.faults(Vec::new());
    let open = h
        .console
        .track_until_settled(Duration::from_secs(10), |_| {})
        .await
        .unwrap();
    assert_eq!(open, 0);
    h.console.operation(entry.id).unwrap().unwrap()
}

fn audit_events(h: &common::Harness) -> Vec<(String, String)> {
    h.trail()
        .into_iter()
        .map(|r| (r.event.event, r.event.result))
        .collect()
}

#[tokio::test]
async fn search_by_name_and_last4_finds_the_consumer() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let consumer = common::first(CONSUMERS, "ok");
    let view = h.console.consumer_view(&consumer).await.unwrap();
    let record = view.bank_record().unwrap().clone();
    let by_name = h
        .console
        .search(&record.name_latin.last, 100)
        .await
        .unwrap();
    assert!(by_name.consumers.iter().any(|c| c.consumer_id == consumer));
    if let Some(kanji) = &record.name_kanji {
        let by_kanji = h
            .console
            .search(&format!("{}{}", kanji.last, kanji.first), 100)
            .await
            .unwrap();
        assert!(by_kanji.consumers.iter().any(|c| c.consumer_id == consumer));
    }
    let by_last4 = h.console.search(&record.cards[0].last4, 100).await.unwrap();
    assert!(by_last4.consumers.iter().any(|c| c.consumer_id == consumer));
    let empty = h.console.search("  ", 10).await.unwrap_err();
    assert_eq!(empty.code(), ErrorCode::InvalidInput);
    let events = audit_events(&h);
    assert!(events.iter().any(|(e, _)| e == "profile_view"));
    let log = h.trail();
    let searched = serde_json::to_string(&log).unwrap();
    assert!(
        !searched.contains(&record.name_latin.last),
        "search text is not audited"
    );
}

#[tokio::test]
async fn a_search_typed_as_you_go_is_one_record_before_it_shows_and_its_results_hide_contact_details()
 {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let consumer = common::first(CONSUMERS, "ok");
    let record = h
        .console
        .consumer_view(&consumer)
        .await
        .unwrap()
        .bank_record()
        .unwrap()
        .clone();
    let searches = |h: &common::Harness| {
        audit_events(h)
            .into_iter()
            .filter(|(e, _)| e == "search")
            .map(|(_, result)| result)
            .collect::<Vec<_>>()
    };
    // Typed a letter at a time: the first list is recorded before it is shown; the narrower
    // lists that follow show nobody new and add no record.
    let last = &record.name_latin.last;
    let first_list = h.console.search(&last[..1], 1000).await.unwrap();
    assert!(first_list.consumers.len() > 1);
    let recorded = [format!("{} found", first_list.consumers.len())];
    assert_eq!(searches(&h), recorded);
    let mut found = first_list.clone();
    for end in 2..=last.len() {
        found = h.console.search(&last[..end], 1000).await.unwrap();
    }
    h.console.search("zzzz", 1000).await.unwrap();
    assert_eq!(searches(&h), recorded, "one record for typing the name");
    // Another operator's (or role's) search is theirs to record.
    h.role("fraud");
    h.console.search(last, 1000).await.unwrap();
    assert_eq!(searches(&h).len(), 2);

    // Their e-mail and phone are hints, not the details; revealing them is recorded.
    let shown = found
        .consumers
        .iter()
        .find(|c| c.consumer_id == consumer)
        .unwrap();
    let first = record.email.chars().next().unwrap();
    let domain = record.email.rsplit_once('@').unwrap().1;
    assert_eq!(shown.email, format!("{first}•••@{domain}"));
    let digits = &record.phone_number[record.phone_number.len() - 4..];
    assert_eq!(shown.phone_number, format!("•••• {digits}"));
    let revealed = h.console.reveal_contact(&consumer).await.unwrap();
    assert_eq!(revealed.email, record.email);
    assert!(
        revealed.phone.replace('-', "").ends_with(digits),
        "{revealed:?}"
    );
    assert!(
        audit_events(&h).contains(&("contact_reveal".to_owned(), "ok".to_owned())),
        "{:?}",
        audit_events(&h)
    );
}

#[tokio::test]
async fn a_failing_directory_shows_in_its_column_and_the_others_still_show() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let consumer = common::first(CONSUMERS, "ok");
    h.faults(vec![Fault {
        failing_directory: Some(Scheme::Visa),
        ..common::fault(&[Endpoint::Profiles])
    }]);
    let view = h.console.consumer_view(&consumer).await.unwrap();
    let visa = view
        .directories
        .iter()
        .find(|d| d.scheme == "VISA")
        .unwrap();
    assert!(
        matches!(visa.state, DirectoryState::Unavailable { .. }),
        "{visa:?}"
    );
    let mastercard = view
        .directories
        .iter()
        .find(|d| d.scheme == "MASTERCARD")
        .unwrap();
    assert!(
        !matches!(mastercard.state, DirectoryState::Unavailable { .. }),
        "{mastercard:?}"
    );
    assert!(matches!(view.bank, BankSide::Found { .. }));
    assert!(!view.complete);
    assert!(audit_events(&h).contains(&("profile_view".into(), "partial".into())));
    // An opt-out's summary says Visa could not be read instead of leaving it out.
    let preview = h.console.opt_out_preview(&consumer, None).await.unwrap();
    let unread: Vec<(&str, bool)> = preview
        .iter()
        .map(|r| (r.scheme.as_str(), r.unread))
        .collect();
    assert!(unread.contains(&("VISA", true)), "{preview:?}");
    assert!(
        unread
            .iter()
            .all(|(scheme, unread)| *unread == (*scheme == "VISA")),
        "only Visa is unread: {preview:?}"
    );
}

#[tokio::test]
async fn an_unreachable_bank_s_error_does_not_repeat_what_was_searched() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.use_local_environment().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    h.settings()
        .update(|s| {
            s.environments
                .iter_mut()
                .for_each(|e| e.issuer_records_url = format!("https://127.0.0.1:{port}/v1"))
        })
        .unwrap();
    h.console.use_environment("local").await.unwrap();
    let error = h
        .console
        .search("hanako.sato@example.jp", 5)
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::Unreachable, "{error}");
    let text = format!("{error} {error:?}");
    assert!(!text.contains("hanako"), "{text}");
    assert!(
        text.contains("issuer-records URL"),
        "says what to check: {text}"
    );
}

#[tokio::test]
async fn a_failing_bank_still_shows_the_directories_and_a_failing_d1_still_shows_the_bank() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let consumer = common::first(CONSUMERS, "ok");
    h.faults(vec![Fault {
        error_rate: 1.0,
        ..common::fault(&[Endpoint::IssuerRecords])
    }]);
    let view = h.console.consumer_view(&consumer).await.unwrap();
    let BankSide::Unavailable { problem } = &view.bank else {
        panic!("{:?}", view.bank)
    };
    assert_eq!(problem.code, ErrorCode::Rejected);
    assert!(view.profile("VISA").is_some() || view.profile("MASTERCARD").is_some());
    assert!(
        view.findings.is_empty(),
        "nothing is judged without the bank's side"
    );

    h.faults(vec![Fault {
        error_rate: 1.0,
        error_status: Some(503),
        ..common::fault(&[Endpoint::Profiles])
    }]);
    let view = h.console.consumer_view(&consumer).await.unwrap();
    assert!(matches!(view.bank, BankSide::Found { .. }));
    assert!(
        view.directories
            .iter()
            .all(|d| matches!(d.state, DirectoryState::Unavailable { .. }))
    );
}

#[tokio::test]
async fn a_slow_directory_and_a_slow_bank_are_read_at_the_same_time() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let consumer = common::first(CONSUMERS, "ok");
    h.console.consumer_view(&consumer).await.unwrap(); // token and connections warm
    h.faults(vec![Fault {
        latency_ms: 700,
        ..common::fault(&[Endpoint::IssuerRecords, Endpoint::Profiles])
    }]);
    let started = Instant::now();
    let view = h.console.consumer_view(&consumer).await.unwrap();
    let took = started.elapsed();
    assert!(view.complete && matches!(view.bank, BankSide::Found { .. }));
    // One after the other would take at least 1.4 s.
    assert!(took < Duration::from_millis(1300), "took {took:?}");
}

#[tokio::test]
async fn opting_out_a_closed_card_goes_pending_then_successful_and_the_card_leaves() {
    let h = common::harness(CONSUMERS, Duration::from_millis(300)).await;
    let (consumer, card) = closed_card(&h).await;
    let preview = h
        .console
        .opt_out_preview(&consumer, Some(&card))
        .await
        .unwrap();
    assert_eq!(preview.len(), 1, "{preview:?}");
    assert!(preview[0].cards[0].contains(&card));

    let entry = h.console.write(opt_out_card(&card)).await.unwrap();
    assert_eq!(entry.state, State::Pending);
    let operation_id = entry.operation_id.clone().expect("D1 gave an operationId");
    let again = h.console.write(opt_out_card(&card)).await.unwrap_err();
    assert_eq!(again.code(), ErrorCode::AlreadyInProgress);

    let mut seen = Vec::new();
    let open = h
        .console
        .track_until_settled(Duration::from_secs(10), |e| seen.push(e.state))
        .await
        .unwrap();
    assert_eq!(open, 0);
    assert_eq!(seen, [State::Successful]);
    let done = h.console.operation(entry.id).unwrap().unwrap();
    assert_eq!(
        (done.state, done.operation_id.as_deref()),
        (State::Successful, Some(operation_id.as_str()))
    );
    assert_eq!(h.writes_to(&card), 1, "sent exactly once");
    let view = h.console.consumer_view(&consumer).await.unwrap();
    assert!(!enrolled_cards(&view).contains(&card));
    let events = audit_events(&h);
    for expected in [
        (
            "opt_out_card_intent",
            "recorded; reason code ISSUER_DECISION; reason: Card closed at bank",
        ),
        ("opt_out_card_outcome", "PENDING"),
        ("opt_out_card_outcome", "SUCCESSFUL"),
    ] {
        assert!(
            events.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {events:?}"
        );
    }
    let intent = h
        .trail()
        .into_iter()
        .find(|r| r.event.event == "opt_out_card_intent")
        .unwrap();
    assert!(intent.event.role.is_some(), "the role in force: {intent:?}");
    assert_eq!(h.console.audit_verify().await.unwrap().first_broken, None);
}

#[tokio::test]
async fn a_write_d1_refuses_is_failed_and_says_why() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let entry = h.console.write(opt_out_card("no-such-card")).await.unwrap();
    assert_eq!(entry.state, State::Failed);
    assert!(entry.detail.unwrap().contains("404"));
    let bad = h
        .console
        .write(WriteRequest {
            reason: Some("no <script> here".into()),
            ..opt_out_card("card-1")
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), ErrorCode::InvalidInput);
    assert!(
        h.console.operations(None, 10).unwrap().len() == 1,
        "an invalid request is not journaled"
    );
}

#[tokio::test]
async fn a_lost_answer_is_unknown_then_resolved_from_d1_with_one_request_sent() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let (consumer, card) = closed_card(&h).await;
    h.faults(vec![Fault {
        drop_after_apply: true,
        ..common::fault(&[Endpoint::OptOutCard])
    }]);
    let resolved = unknown_then_settled(&h, &card).await;
    assert_eq!(resolved.state, State::Successful);
    assert!(resolved.operation_id.is_some());
    assert_eq!(h.writes_to(&card), 1, "the write was never sent again");
    let view = h.console.consumer_view(&consumer).await.unwrap();
    assert!(!enrolled_cards(&view).contains(&card));
    assert!(audit_events(&h).contains(&("opt_out_card_outcome".into(), "UNKNOWN".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tracker_leaves_a_write_alone_while_its_call_is_still_on_the_way() {
    let h = common::settling_harness(CONSUMERS, Duration::ZERO, Duration::ZERO).await;
    let (_, card) = closed_card(&h).await;
    h.faults(vec![Fault {
        latency_ms: 1500,
        ..common::fault(&[Endpoint::OptOutCard])
    }]);
    let console = std::sync::Arc::new(h.console);
    let writer = console.clone();
    let card_id = card.clone();
    let write = tokio::spawn(async move { writer.write(opt_out_card(&card_id)).await });
    // With a settle time of zero, a tracker that judged the in-flight intent would call it
    // "not applied" at once. The tracker runs without pause so that it also passes between the
    // intent being journaled and the call leaving.
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1000) {
        let changed = console.track_once().await.unwrap();
        assert!(changed.is_empty(), "the tracker touched it: {changed:?}");
        tokio::task::yield_now().await;
    }
    let entry = write.await.unwrap().unwrap();
    assert_eq!(entry.state, State::Successful, "{entry:?}");
    assert_eq!(
        console.with_sandbox(|s| s.stats().writes.get(&card).copied()),
        Some(Some(1))
    );
}

#[tokio::test]
async fn a_server_error_on_a_write_is_unknown_until_d1_shows_it_was_not_applied() {
    let h = common::settling_harness(CONSUMERS, Duration::ZERO, Duration::from_millis(300)).await;
    let (_, card) = closed_card(&h).await;
    h.faults(vec![Fault {
        error_rate: 1.0,
        error_status: Some(503),
        ..common::fault(&[Endpoint::OptOutCard])
    }]);
    let settled = unknown_then_settled(&h, &card).await;
    assert_eq!(settled.state, State::Failed);
    assert!(settled.detail.unwrap().contains("safe to send it again"));
    assert_eq!(h.writes_to(&card), 0);
}

/// The intent of an opt-out of `card` on `local`, as a console journals it.
fn stranded_opt_out_intent(card: &str, correlation_id: &str) -> NewIntent {
    NewIntent {
        kind: WriteKind::OptOutCard,
        target: card.to_owned(),
        reason: Some("Card closed at bank".into()),
        reason_code: "ISSUER_DECISION".into(),
        correlation_id: correlation_id.into(),
        environment: "local".into(),
        operator: "tester".into(),
    }
}

/// An opt-out of `card` journaled by a process that then died, after its request left (`sent`)
/// or before.
fn stranded_opt_out(
    h: &common::Harness,
    card: &str,
    correlation_id: &str,
    sent: bool,
) -> care::journal::Entry {
    // Its console: a handle that names itself the owner, gone when dropped at the end here.
    let journal = h.journal().owned();
    let entry = journal
        .record_intent(stranded_opt_out_intent(card, correlation_id))
        .unwrap();
    if sent {
        assert!(journal.mark_sent(entry.id).unwrap());
    }
    journal.get(entry.id).unwrap().unwrap()
}

/// Sends the opt-out a [`stranded_opt_out`] stands for, as its console did before it died.
async fn send_stranded_opt_out(h: &common::Harness, card: &str) {
    h.session("local")
        .await
        .d1
        .opt_out_card(
            &d1::CardId::new(card).unwrap(),
            d1::Write {
                reason: Some(d1::Reason::new("Card closed at bank").unwrap()),
                ..d1::Write::default()
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn after_a_crash_a_new_console_resumes_the_journal_and_finishes_the_write() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.use_local_environment().await;
    let (_, card) = closed_card(&h).await;
    // The first console journaled the intent and sent it, then died before the answer.
    let entry = stranded_opt_out(&h, &card, "crash-test", true);
    send_stranded_opt_out(&h, &card).await;
    // A new process opens the same files and keychain, and its tracker resumes the journal.
    let reopened = h.reopen();
    assert_eq!(reopened.unfinished_operations().unwrap().len(), 1);
    let open = reopened
        .track_until_settled(Duration::from_secs(10), |_| {})
        .await
        .unwrap();
    assert_eq!(open, 0);
    let finished = reopened.operation(entry.id).unwrap().unwrap();
    assert_eq!(finished.state, State::Successful);
    assert_eq!(h.writes_to(&card), 1);
}

#[tokio::test]
async fn following_one_write_ends_with_it_while_another_never_does() {
    let h = common::harness(CONSUMERS, Duration::from_millis(300)).await;
    let (_, card) = closed_card(&h).await;
    h.faults(vec![Fault {
        stuck_pending: true,
        ..common::fault(&[Endpoint::OptOutConsumer])
    }]);
    let stuck = h
        .console
        .write(WriteRequest {
            kind: WriteKind::OptOutConsumer,
            target: common::first(CONSUMERS, "ok"),
            reason: None,
            user_decision: true,
            token_reason: None,
        })
        .await
        .unwrap();
    assert_eq!(stuck.state, State::Pending);
    let entry = h.console.write(opt_out_card(&card)).await.unwrap();
    let started = Instant::now();
    let mut seen = Vec::new();
    let ended = h
        .console
        .track_until_final(entry.id, Duration::from_secs(30), |e| {
            seen.push((e.id, e.state))
        })
        .await
        .unwrap();
    assert_eq!(ended.state, State::Successful);
    assert_eq!(seen, [(entry.id, State::Successful)]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it did not wait for the stuck one: {:?}",
        started.elapsed()
    );
    let still = h.console.operation(stuck.id).unwrap().unwrap();
    assert_eq!(still.state, State::Pending);
    let missing = h
        .console
        .track_until_final(-1, Duration::ZERO, |_| {})
        .await
        .unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);
}

#[tokio::test]
async fn every_write_is_checked_against_the_role_and_a_refusal_is_audited() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let kinds = [
        WriteKind::OptOutCard,
        WriteKind::OptOutConsumer,
        WriteKind::EnrolCard,
        WriteKind::UpdateCard,
        WriteKind::UpdateConsumer,
    ];
    for (role, allowed) in [("agent", true), ("fraud", true), ("auditor", false)] {
        h.role(role);
        h.console.search("Sato", 5).await.unwrap();
        h.console
            .consumer_view(&common::first(CONSUMERS, "ok"))
            .await
            .unwrap();
        for kind in kinds {
            // An invalid target: an allowed role gets past the check and is stopped by validation.
            let error = h
                .console
                .write(WriteRequest {
                    kind,
                    target: "not a valid id!".into(),
                    reason: None,
                    user_decision: false,
                    token_reason: None,
                })
                .await
                .unwrap_err();
            let expected = if allowed {
                ErrorCode::InvalidInput
            } else {
                ErrorCode::Forbidden
            };
            assert_eq!(error.code(), expected, "{role} {kind:?}: {error}");
        }
    }
    let denied = audit_events(&h)
        .into_iter()
        .filter(|(_, r)| r == "denied")
        .count();
    assert_eq!(denied, kinds.len());
    // Exporting the audit log is the auditor's alone, and only the administrators' file makes
    // one: the trail holds every environment's records, not only the sandbox's.
    let out = h.dir.path().join("audit.csv");
    h.role("auditor");
    let refused = h
        .console
        .audit_export(
            care::audit_log::ExportFormat::Csv,
            &Default::default(),
            &out,
            &mut |_, _| {},
        )
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    for (role, allowed) in [("agent", false), ("fraud", false), ("auditor", true)] {
        common::write_system_policy(
            h.dir.path(),
            &format!(r#"{{"operator":"tester","role":"{role}"}}"#),
        );
        let result = h.console.audit_export(
            care::audit_log::ExportFormat::Csv,
            &Default::default(),
            &out,
            &mut |_, _| {},
        );
        assert_eq!(result.is_ok(), allowed, "{role}: {result:?}");
        assert_eq!(
            out.exists(),
            allowed,
            "{role}: a refused export writes nothing"
        );
    }
    // The desktop's export: a new file under <data>/exports, with progress.
    let mut heard = Vec::new();
    let (path, count) = h
        .console
        .audit_export_new_file(
            care::audit_log::ExportFormat::JsonLines,
            &Default::default(),
            &mut |w, t| heard.push((w, t)),
        )
        .unwrap();
    assert!(path.starts_with(h.dir.path()) && path.extension().unwrap() == "jsonl");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap().lines().count() as u64,
        count
    );
    assert_eq!(heard.last(), Some(&(count, count)));
    assert!(h.console.operations(None, 100).unwrap().is_empty());
}

#[tokio::test]
async fn an_agent_sees_the_last_four_only_and_fraud_and_audit_see_the_bin_too() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let consumer = common::first(CONSUMERS, "ok");
    for (role, sees_bin) in [("agent", false), ("fraud", true), ("auditor", true)] {
        h.role(role);
        let view = h.console.consumer_view(&consumer).await.unwrap();
        let cards = &view.bank_record().expect("the bank answered").cards;
        assert!(!cards.is_empty());
        for card in cards {
            assert_eq!(card.bin.is_some(), sees_bin, "{role}: {card:?}");
            assert_eq!(card.last4.len(), 4);
        }
        let json = serde_json::to_string(&view).unwrap();
        assert_eq!(json.contains("\"bin\":\""), sees_bin, "{role}: {json}");
    }
}

#[tokio::test]
async fn the_user_s_own_policy_never_grants_a_role_outside_the_embedded_sandbox() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.role("auditor");
    assert_eq!(
        h.console.policy().unwrap().role,
        care::policy::Role::Auditor
    );
    // The same sandbox configured by hand, with the settings file claiming simulated data.
    h.use_local_environment().await;
    h.settings()
        .update(|s| s.environments.iter_mut().for_each(|e| e.simulated = true))
        .unwrap();
    let policy = h.console.policy().unwrap();
    assert_eq!(policy.role, care::policy::Role::Agent);
    assert_eq!(policy.source, care::policy::Source::Default);
    let out = h.dir.path().join("audit.csv");
    let refused = h
        .console
        .audit_export(
            care::audit_log::ExportFormat::Csv,
            &Default::default(),
            &out,
            &mut |_, _| {},
        )
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn enrol_and_update_push_the_bank_s_record_and_clear_their_findings() {
    use care::profile::findings::FindingKind;
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let kinds = |view: &care::profile::ConsumerView| -> Vec<FindingKind> {
        view.findings.iter().map(|f| f.kind).collect()
    };
    // A contact difference is fixed by pushing the bank's consumer record.
    let differs = common::first(CONSUMERS, "email");
    assert!(
        kinds(&h.console.consumer_view(&differs).await.unwrap())
            .contains(&FindingKind::ContactDiffers)
    );
    let entry = h
        .console
        .write(WriteRequest {
            kind: WriteKind::UpdateConsumer,
            target: differs.clone(),
            reason: Some("Contact data from bank".into()),
            user_decision: false,
            token_reason: None,
        })
        .await
        .unwrap();
    assert_ne!(entry.state, State::Failed, "{entry:?}");
    h.console
        .track_until_settled(Duration::from_secs(10), |_| {})
        .await
        .unwrap();
    assert!(
        !kinds(&h.console.consumer_view(&differs).await.unwrap())
            .contains(&FindingKind::ContactDiffers)
    );

    // A card the bank has open but no directory lists is enrolled with the bank's data.
    let missing = common::first(CONSUMERS, "onenet");
    let view = h.console.consumer_view(&missing).await.unwrap();
    let card = view
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::CardNotEnrolled)
        .and_then(|f| f.card_id.clone())
        .unwrap();
    let entry = h
        .console
        .write(WriteRequest {
            kind: WriteKind::EnrolCard,
            target: card.clone(),
            reason: None,
            user_decision: true,
            token_reason: None,
        })
        .await
        .unwrap();
    assert_ne!(entry.state, State::Failed, "{entry:?}");
    assert_eq!(entry.intent.reason_code, "USER_DECISION");
    h.console
        .track_until_settled(Duration::from_secs(10), |_| {})
        .await
        .unwrap();
    let view = h.console.consumer_view(&missing).await.unwrap();
    assert!(enrolled_cards(&view).contains(&card), "{view:?}");
    assert_eq!(h.writes_to(&card), 1);
}

#[tokio::test]
async fn an_intent_of_a_console_that_still_runs_is_left_to_it_until_it_stops() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.use_local_environment().await;
    let (_, card) = closed_card(&h).await;
    // Another console sharing the journal sent the request and waits for the answer.
    let other = h.journal().owned();
    let entry = other
        .record_intent(stranded_opt_out_intent(&card, "still-running"))
        .unwrap();
    other.mark_sent(entry.id).unwrap();
    let tracker = h.reopen().with_settle(Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(300)).await;
    tracker.track_once().await.unwrap();
    let left = tracker.operation(entry.id).unwrap().unwrap();
    assert_eq!(
        left.state,
        State::Intent,
        "not judged while its console runs"
    );
    // Once that console is gone, no trace in D1 after the settle time means not applied.
    drop(other);
    tracker.track_once().await.unwrap();
    let settled = tracker.operation(entry.id).unwrap().unwrap();
    assert_eq!(settled.state, State::Failed);
    assert_eq!(h.writes_to(&card), 0);
}

#[tokio::test]
async fn an_intent_that_never_left_is_failed_as_safe_to_resend_and_can_be_sent_again() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.use_local_environment().await;
    let (_, card) = closed_card(&h).await;
    // The console journaled the intent and stopped before the request left: no settle time
    // is needed to know that nothing was applied.
    let entry = stranded_opt_out(&h, &card, "never-sent", false);
    // An older console notes neither its name nor the leaving: its intent waits the settle time.
    let other_card = an_enrolled_card(&h).await;
    let older = h
        .journal()
        .record_intent(stranded_opt_out_intent(&other_card, "older-console"))
        .unwrap();
    let reopened = h.reopen();
    reopened.track_once().await.unwrap();
    let failed = reopened.operation(entry.id).unwrap().unwrap();
    assert_eq!(failed.state, State::Failed);
    assert!(failed.detail.unwrap().contains("safe to send it again"));
    let waiting = reopened.operation(older.id).unwrap().unwrap();
    assert_eq!(
        waiting.state,
        State::Intent,
        "not judged before the settle time"
    );
    assert_eq!(h.writes_to(&card), 0, "nothing was sent by the tracker");
    let resent = reopened.write(opt_out_card(&card)).await.unwrap();
    assert_ne!(resent.state, State::Failed);
    assert_eq!(h.writes_to(&card), 1);
}

#[tokio::test]
async fn two_consoles_on_one_keychain_keep_their_own_sandbox_keys_and_remove_them_on_exit() {
    let first = common::harness(CONSUMERS, Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let second = common::open(dir.path(), first.vault.clone());
    second
        .start_sandbox(d1_sandbox::SandboxConfig {
            consumers: CONSUMERS,
            ..d1_sandbox::SandboxConfig::default()
        })
        .await
        .unwrap();
    let consumer = common::first(CONSUMERS, "ok");
    first.console.consumer_view(&consumer).await.unwrap();
    second.consumer_view(&consumer).await.unwrap();
    let name = second.keychain_name(care::SANDBOX_ENVIRONMENT);
    assert_ne!(name, first.console.keychain_name(care::SANDBOX_ENVIRONMENT));
    assert!(first.vault.has_all(&name).unwrap());
    drop(second);
    assert!(
        !first.vault.has_all(&name).unwrap(),
        "keys removed with their console"
    );
    first.console.consumer_view(&consumer).await.unwrap();
}

#[tokio::test]
async fn an_import_the_keychain_fails_half_way_leaves_the_working_credentials_in_place() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let dir = tempfile::tempdir().unwrap();
    let mut states = Vec::new();
    let mut sandboxes = Vec::new();
    for name in ["old", "new"] {
        let sandbox = d1_sandbox::Sandbox::start(d1_sandbox::SandboxConfig {
            consumers: CONSUMERS,
            ..d1_sandbox::SandboxConfig::default()
        })
        .await
        .unwrap();
        let state = dir.path().join(name);
        sandbox.write_state_dir(&state).unwrap();
        states.push(state);
        sandboxes.push(sandbox);
    }
    let store = keyring_core::mock::Store::new().unwrap();
    let vault = care::credentials::Vault::probed(store.clone());
    let console = common::open(dir.path(), vault.clone());
    let admin = common::grant_admin(dir.path());
    console
        .add_environment(common::environment_of(&states[0], "local"))
        .unwrap();
    console
        .import_credentials("local", common::import_request(&states[0]))
        .await
        .unwrap();
    let chain = console.environment("local").unwrap().client_chain_pem;

    // The keychain refuses the second of the new secrets (locked while the import ran).
    let dyn_store: std::sync::Arc<keyring_core::CredentialStore> = store;
    let entry = keyring_core::Entry::new_in_store(
        &dyn_store,
        care::storage::APP_IDENTIFIER,
        "local/signing-key",
    )
    .unwrap();
    let cred: &keyring_core::mock::Cred = entry.as_any().downcast_ref().unwrap();
    cred.set_error(keyring_core::Error::NoStorageAccess("locked".into()));
    let error = console
        .import_credentials("local", common::import_request(&states[1]))
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::KeychainLocked, "{error}");
    drop(admin);

    // A console started afresh on the same files and keychain still reaches the old sandbox.
    assert_eq!(
        console.environment("local").unwrap().client_chain_pem,
        chain
    );
    let reopened = common::open(dir.path(), vault);
    reopened.use_environment("local").await.unwrap();
    let consumer = common::first(CONSUMERS, "ok");
    assert!(reopened.consumer_view(&consumer).await.unwrap().complete);
    // The imports were the administrator's records, which an agent's reads do not show.
    let events: Vec<_> = care::audit_log::AuditLog::open(&dir.path().join("data/audit.sqlite"))
        .unwrap()
        .after(0, 100)
        .unwrap()
        .into_iter()
        .filter(|r| r.event.event == "credentials_import")
        .map(|r| r.event.result)
        .collect();
    assert_eq!(events, ["ok", "failed"]);
}

#[tokio::test]
async fn the_built_in_sandbox_s_names_cannot_be_taken_by_a_configured_environment() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let _admin = common::grant_admin(h.dir.path());
    let sandbox = h.console.environment(care::SANDBOX_ENVIRONMENT).unwrap();
    for name in ["sandbox", "sandbox-p1-x001122334455", "sandbox-uat"] {
        let refused = h
            .console
            .add_environment(care::environments::Environment {
                name: name.into(),
                simulated: false,
                country: None,
                ..sandbox.clone()
            })
            .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::InvalidInput, "{name}");
        assert!(refused.to_string().contains("built-in"), "{refused}");
    }
    h.console
        .add_environment(care::environments::Environment {
            name: "sandboxes".into(),
            simulated: false,
            ..sandbox
        })
        .unwrap();
}

#[tokio::test]
async fn credentials_in_der_files_reach_the_sandbox_over_mtls() {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};

    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let sandbox = d1_sandbox::Sandbox::start(d1_sandbox::SandboxConfig {
        consumers: CONSUMERS,
        ..d1_sandbox::SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    sandbox.write_state_dir(&state).unwrap();
    // The same credentials as the sandbox wrote them, in binary DER.
    let certificate = CertificateDer::pem_file_iter(state.join("client.pem"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    std::fs::write(state.join("client.cer"), &certificate).unwrap();
    for name in ["client", "signing"] {
        let key = PrivateKeyDer::from_pem_file(state.join(format!("{name}.key"))).unwrap();
        std::fs::write(state.join(format!("{name}.der")), key.secret_der()).unwrap();
    }
    let console = common::open(
        dir.path(),
        care::credentials::Vault::probed(keyring_core::mock::Store::new().unwrap()),
    );
    let admin = common::grant_admin(dir.path());
    console
        .add_environment(common::environment_of(&state, "local"))
        .unwrap();
    let request = care::credentials::ImportRequest {
        mtls: care::credentials::MtlsSource::Pem {
            chain: state.join("client.cer"),
            key: state.join("client.der"),
        },
        signing_key: state.join("signing.der"),
        ..common::import_request(&state)
    };
    console.import_credentials("local", request).await.unwrap();
    drop(admin);
    console.use_environment("local").await.unwrap();
    let view = console
        .consumer_view(&common::first(CONSUMERS, "ok"))
        .await
        .unwrap();
    assert!(view.complete, "{view:?}");
}

#[tokio::test]
async fn a_card_number_where_an_id_belongs_is_refused_and_recorded_only_as_invalid_id() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let (_, card) = closed_card(&h).await;
    let before = h.trail().len();
    for pan in [
        "4111111111111111",
        "4111 1111 1111 1111",
        "5555-5555-5555-4444",
    ] {
        let error = h.console.write(opt_out_card(pan)).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput);
        assert!(!error.to_string().contains("1111"), "{error}");
        let error = h.console.consumer_view(pan).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput);
        assert_eq!(h.writes_to(pan), 0);
    }
    // Written so that D1's id pattern would let them through.
    for personal in [
        "hanako.sato@example.jp",
        "+81 90 1234 5678",
        "09012345678",
        "090-1234-5678",
        "4111_1111_1111_1111",
        "crd-4111111111111111",
    ] {
        let error = h.console.write(opt_out_card(personal)).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput);
        assert!(!error.to_string().contains(personal), "{error}");
        let error = h.console.consumer_view(personal).await.unwrap_err();
        assert!(!error.to_string().contains(personal), "{error}");
    }
    // D1 keeps a reason in clear: one holding a card number or phone number is refused.
    for reason in ["Card 4111 1111 1111 1111 lost", "Call back 09012345678"] {
        let request = WriteRequest {
            reason: Some(reason.into()),
            ..opt_out_card(&card)
        };
        let error = h.console.write(request).await.unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidInput);
        assert!(!error.to_string().contains("1111"), "{error}");
    }
    assert_eq!(h.writes_to(&card), 0);
    // An id that breaks D1's pattern is refused without being repeated.
    let error = h.console.consumer_view("not/an id").await.unwrap_err();
    assert!(!error.to_string().contains("not/an id"), "{error}");
    assert!(
        h.console.operations(None, 10).unwrap().is_empty(),
        "nothing journaled"
    );
    // Each attempt is recorded, refused, on "invalid id" and never with what was typed.
    let refused: Vec<_> = h.trail().into_iter().skip(before).collect();
    assert_eq!(refused.len(), 2 * 9, "{refused:?}");
    for record in &refused {
        assert_eq!(record.event.resource.as_deref(), Some("invalid id"));
        assert_eq!(record.event.result, "refused");
        assert!(
            ["optoutcard_denied", "view_denied"].contains(&record.event.event.as_str()),
            "{record:?}"
        );
    }
    // A refusal by the role records such a resource as "invalid id" too.
    h.role("agent");
    h.console.batch_discard("4111111111111111").unwrap_err();
    let trail = serde_json::to_string(&h.trail()).unwrap();
    assert!(trail.contains("batchoptout_denied"), "{trail}");
    for personal in [
        "4111111111111111",
        "hanako.sato",
        "1234 5678",
        "09012345678",
    ] {
        assert!(!trail.contains(personal), "{trail}");
    }
}

#[tokio::test]
async fn a_settings_file_changed_under_the_console_moves_its_writes_with_its_policy() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.use_local_environment().await;
    let (_, card) = closed_card(&h).await;
    // The operator edits the settings file behind the console's back to the embedded sandbox,
    // whose user-level policy they write themselves.
    h.role("fraud");
    h.settings()
        .update(|s| s.active_environment = Some(care::SANDBOX_ENVIRONMENT.into()))
        .unwrap();
    let entry = h.console.write(opt_out_card(&card)).await.unwrap();
    // The write went where that policy is in force, not to the clients still cached for `local`.
    assert_eq!(entry.intent.environment, care::SANDBOX_ENVIRONMENT);
    assert_eq!(entry.intent.operator, "tester");
}

#[tokio::test]
async fn every_record_names_the_role_in_force_and_the_old_chain_still_verifies() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let (_, card) = closed_card(&h).await;
    h.role("fraud");
    h.console.write(opt_out_card(&card)).await.unwrap();
    let records = h.trail();
    let intent = records
        .iter()
        .find(|r| r.event.event == "opt_out_card_intent")
        .unwrap();
    assert_eq!(intent.version, 2);
    assert_eq!(intent.event.role.as_deref(), Some("fraud"));
    // Records written before the change of role say the role then.
    assert_eq!(records[0].event.role.as_deref(), Some("agent"));
    assert_eq!(h.console.audit_verify().await.unwrap().first_broken, None);
}

#[tokio::test]
async fn an_auditor_reads_everyone_s_records_another_role_its_own_and_every_read_is_recorded() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    // The OS account, as an agent without a policy file, opens a consumer; then `tester`, an
    // agent.
    let consumer = common::first(CONSUMERS, "ok");
    h.console.consumer_view(&consumer).await.unwrap();
    h.role("agent");
    h.console.consumer_view(&consumer).await.unwrap();
    let own = h
        .console
        .audit_page(&Default::default(), 0, 1000)
        .unwrap()
        .records;
    assert!(!own.is_empty());
    assert!(own.iter().all(|r| r.event.operator == "tester"), "{own:?}");
    // A user's own file, honoured on the sandbox, does not make them the workstation's
    // auditor: the trail holds every environment's records.
    h.role("auditor");
    let still_own = h
        .console
        .audit_page(&Default::default(), 0, 1000)
        .unwrap()
        .records;
    assert!(
        still_own.iter().all(|r| r.event.operator == "tester"),
        "{still_own:?}"
    );
    assert!(
        !h.console
            .allowed()
            .unwrap()
            .contains(&Permission::AuditRead)
    );
    // The administrators' file does.
    common::write_system_policy(h.dir.path(), r#"{"operator":"A-0042","role":"auditor"}"#);
    assert!(
        h.console
            .allowed()
            .unwrap()
            .contains(&Permission::AuditRead)
    );
    let everyone = h
        .console
        .audit_page(&Default::default(), 0, 1000)
        .unwrap()
        .records;
    let operators: std::collections::BTreeSet<_> =
        everyone.iter().map(|r| r.event.operator.as_str()).collect();
    assert!(
        operators.contains("tester-os") && operators.contains("tester"),
        "{operators:?}"
    );
    let reads: Vec<_> = h
        .trail()
        .into_iter()
        .filter(|r| r.event.event == "audit_read")
        .map(|r| (r.event.role, r.event.result))
        .collect();
    assert_eq!(reads.len(), 3, "{reads:?}");
    assert_eq!(reads[0].0.as_deref(), Some("agent"));
    assert!(reads[0].1.starts_with("own records"), "{reads:?}");
    assert!(reads[1].1.starts_with("own records"), "{reads:?}");
    assert!(reads[2].1.starts_with("all records"), "{reads:?}");

    // The newest first, with the total to page to the far end; the filter is the store's, so
    // the total and the export follow it.
    let page = h.console.audit_page(&Default::default(), 0, 3).unwrap();
    assert_eq!(page.records.len(), 3);
    assert!(page.total > 3, "{}", page.total);
    assert!(page.records.windows(2).all(|w| w[0].seq > w[1].seq));
    let last = h
        .console
        .audit_page(&Default::default(), (page.total - 1) as i64, 3)
        .unwrap();
    // (Reading the first page was recorded: one more record now.)
    assert_eq!(last.total, page.total + 1);
    assert_eq!(
        last.records.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [2, 1],
        "the far end is the first record"
    );
    let views = care::audit_log::AuditFilter {
        text: "PROFILE_VIEW".into(),
        events: Vec::new(),
    };
    let filtered = h.console.audit_page(&views, 0, 100).unwrap();
    assert_eq!(filtered.total, 2, "{:#?}", filtered.records);
    assert!(
        filtered
            .records
            .iter()
            .all(|r| r.event.event == "profile_view")
    );
    // Words in the operator's language name events too (the UI sends the events they match).
    let by_words = care::audit_log::AuditFilter {
        text: "閲覧".into(),
        events: vec!["profile_view".into()],
    };
    assert_eq!(h.console.audit_page(&by_words, 0, 100).unwrap().total, 2);
    let out = h.dir.path().join("views.csv");
    let exported = h
        .console
        .audit_export(
            care::audit_log::ExportFormat::Csv,
            &views,
            &out,
            &mut |_, _| {},
        )
        .unwrap();
    // The two views, and the filtered read whose record names the filter.
    assert_eq!(exported, 3);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);
    let export = h.trail().pop().unwrap();
    assert_eq!(
        (export.event.event.as_str(), export.event.result.as_str()),
        ("audit_export", "3 records, filtered by \"PROFILE_VIEW\"")
    );
}

#[tokio::test]
async fn a_write_left_on_an_earlier_embedded_sandbox_is_closed_when_a_new_one_starts() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let (_, card) = closed_card(&h).await;
    // A console on the sandbox journaled an opt-out and died; its sandbox died with it.
    let stranded = h
        .journal()
        .record_intent(NewIntent {
            environment: care::SANDBOX_ENVIRONMENT.into(),
            ..stranded_opt_out_intent(&card, "left-behind")
        })
        .unwrap();
    h.console
        .start_sandbox(d1_sandbox::SandboxConfig {
            consumers: CONSUMERS,
            ..d1_sandbox::SandboxConfig::default()
        })
        .await
        .unwrap();
    let closed = h.console.operation(stranded.id).unwrap().unwrap();
    assert_eq!(closed.state, State::Failed);
    assert_eq!(closed.note, Some(care::journal::Note::SandboxGone));
    assert!(
        h.trail()
            .iter()
            .any(|r| r.event.event == "opt_out_card_outcome"
                && r.event.correlation_id.as_deref() == Some("left-behind"))
    );
    // The same write is no longer held up by it.
    let entry = h.console.write(opt_out_card(&card)).await.unwrap();
    assert_ne!(entry.id, stranded.id);
}

#[tokio::test]
async fn a_lost_answer_is_found_under_d1_v1_s_operation_name_and_never_called_not_applied() {
    let h = common::settling_harness(CONSUMERS, Duration::ZERO, Duration::from_millis(200)).await;
    // The same sandbox, restarted to list its operations as D1 v1 spells them.
    h.console
        .start_sandbox(d1_sandbox::SandboxConfig {
            consumers: CONSUMERS,
            op_delay: Duration::ZERO,
            v1_operation_names: true,
            ..d1_sandbox::SandboxConfig::default()
        })
        .await
        .unwrap();
    let (_, card) = closed_card(&h).await;
    h.faults(vec![Fault {
        drop_after_apply: true,
        ..common::fault(&[Endpoint::OptOutCard])
    }]);
    // The settle time (200 ms) passes while the tracker looks: only finding the operation under
    // its v1 name resolves the write instead of calling it "not applied" (or leaving it unknown).
    let resolved = unknown_then_settled(&h, &card).await;
    assert_eq!(resolved.state, State::Successful, "{resolved:?}");
    assert_eq!(resolved.note, Some(care::journal::Note::ResolvedFromD1));
    assert_eq!(h.writes_to(&card), 1);
}

#[tokio::test]
async fn a_restarted_sandbox_never_hands_out_an_operation_id_the_journal_already_holds() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let consumer = common::first(CONSUMERS, "ok");
    let first = h
        .console
        .write(WriteRequest {
            kind: WriteKind::OptOutConsumer,
            target: consumer.clone(),
            reason: None,
            user_decision: false,
            token_reason: None,
        })
        .await
        .unwrap();
    h.console
        .start_sandbox(d1_sandbox::SandboxConfig {
            consumers: CONSUMERS,
            op_delay: Duration::ZERO,
            ..d1_sandbox::SandboxConfig::default()
        })
        .await
        .unwrap();
    let second = h
        .console
        .write(WriteRequest {
            kind: WriteKind::OptOutConsumer,
            target: consumer,
            reason: None,
            user_decision: false,
            token_reason: None,
        })
        .await
        .unwrap();
    // Both are the first operation of their sandbox; the journal must tell them apart.
    assert!(first.operation_id.is_some() && second.operation_id.is_some());
    assert_ne!(first.operation_id, second.operation_id);
}

#[tokio::test]
async fn only_an_administrator_adds_imports_or_removes_and_the_sandbox_needs_none() {
    // No policy file: an agent, who still has the embedded sandbox (the harness started it).
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.console
        .consumer_view(&common::first(CONSUMERS, "ok"))
        .await
        .unwrap();
    let sandbox = h.console.environment(care::SANDBOX_ENVIRONMENT).unwrap();
    let staging = care::environments::Environment {
        name: "staging".into(),
        simulated: false,
        ..sandbox
    };
    let refused = h.console.add_environment(staging.clone()).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    // The user's own file cannot make them one either.
    h.role("admin");
    let refused = h.console.add_environment(staging.clone()).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
    assert!(refused.to_string().contains("admin"), "{refused}");
    std::fs::remove_file(h.console.dirs().config.join("policy.json")).unwrap();

    let admin = common::grant_admin(h.dir.path());
    h.console.add_environment(staging.clone()).unwrap();
    drop(admin);
    for refused in [
        h.console
            .import_credentials(
                "staging",
                care::credentials::ImportRequest {
                    mtls: care::credentials::MtlsSource::Pem {
                        chain: h.dir.path().join("client.pem"),
                        key: h.dir.path().join("client.key"),
                    },
                    signing_key: h.dir.path().join("signing.key"),
                    issuer_api_key: d1::Secret::from("not used".to_owned()),
                },
            )
            .await
            .unwrap_err(),
        h.console.remove_credentials("staging").await.unwrap_err(),
        h.console.remove_environment("staging").await.unwrap_err(),
    ] {
        assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    }
    assert!(h.console.environment("staging").is_ok(), "nothing removed");

    let _admin = common::grant_admin(h.dir.path());
    h.console.use_environment("staging").await.unwrap();
    let in_use = h.console.remove_environment("staging").await.unwrap_err();
    assert_eq!(in_use.code(), ErrorCode::InvalidInput, "{in_use}");
    h.console
        .use_environment(care::SANDBOX_ENVIRONMENT)
        .await
        .unwrap();
    h.console.remove_environment("staging").await.unwrap();
    assert_eq!(
        h.console.environment("staging").unwrap_err().code(),
        ErrorCode::NotFound
    );

    let trail: Vec<(String, String, Option<String>)> = h
        .trail()
        .into_iter()
        .filter(|r| r.event.event.contains("environment") || r.event.event.contains("credentials"))
        .map(|r| (r.event.event, r.event.operator, r.event.role))
        .collect();
    let denied = |n: usize| {
        trail
            .iter()
            .filter(|(event, operator, _)| {
                event == "manageenvironments_denied" && operator == "tester-os"
            })
            .count()
            == n
    };
    assert!(denied(4), "{trail:?}");
    for event in ["environment_add", "environment_remove"] {
        assert!(
            trail.contains(&(event.into(), "IT-1".into(), Some("admin".into()))),
            "{event}: {trail:?}"
        );
    }
}

#[tokio::test]
async fn a_list_file_is_read_only_for_the_work_the_role_allows_and_a_batch_id_never_names_a_path() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let list = h.dir.path().join("cards.csv");
    std::fs::write(&list, "cardId\ncard-1\n").unwrap();
    // An agent may not run a batch, so the core does not read the file for one.
    let refused = h
        .console
        .read_list_file(&list, care::policy::Permission::BatchOptOut)
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden, "{refused}");
    let misused = h
        .console
        .read_list_file(&list, care::policy::Permission::View)
        .unwrap_err();
    assert_eq!(misused.code(), ErrorCode::InvalidInput, "{misused}");
    h.role("fraud");
    assert_eq!(
        h.console
            .read_list_file(&list, care::policy::Permission::BatchOptOut)
            .unwrap(),
        "cardId\ncard-1\n"
    );
    for id in ["../../.bashrc", "b-1/../../x", ".b-1"] {
        let refused = h.console.batch_report_file(id).unwrap_err();
        assert_eq!(refused.code(), ErrorCode::InvalidInput, "{id}");
    }
    assert!(!h.console.dirs().exports().exists(), "nothing written");
}

/// Scribbles over a SQLite file of the console as a failing disk would.
fn damage(path: &std::path::Path) {
    std::fs::write(path, b"not a database any more ".repeat(400)).unwrap();
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", path.display()));
    }
}

#[tokio::test]
async fn a_damaged_audit_log_is_kept_aside_nothing_is_done_until_an_administrator_recovers() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.use_local_environment().await;
    let (consumer, card) = closed_card(&h).await;
    // A new log's first record says a chain began.
    let first = h.trail().into_iter().next().unwrap();
    assert_eq!(first.event.event, "audit_chain_start");
    assert!(
        first
            .event
            .resource
            .as_deref()
            .is_some_and(|chain| chain.starts_with("chain-") && chain.len() == 38),
        "its id: {first:?}"
    );
    let audit = h.console.dirs().data.join("audit.sqlite");
    damage(&audit);

    let console = h.reopen();
    assert_eq!(console.kept_aside().len(), 1);
    let kept = console.kept_aside()[0].clone();
    assert!(kept.kept_as.exists() && !audit.exists(), "{kept:?}");
    for refused in [
        console.search("Sato", 5).await.unwrap_err(),
        console.consumer_view(&consumer).await.unwrap_err(),
        console.write(opt_out_card(&card)).await.unwrap_err(),
        console.audit_page(&Default::default(), 0, 10).unwrap_err(),
    ] {
        assert_eq!(refused.code(), ErrorCode::Storage, "{refused}");
        assert!(refused.to_string().contains("c2p recover"), "{refused}");
    }
    assert_eq!(h.writes_to(&card), 0, "nothing sent");
    assert!(!audit.exists(), "no new chain began by itself");
    // A write another console left behind (D1 applied it) is still followed; its outcome,
    // which no audit log can take now, waits in the journal instead of going nowhere.
    let other_card = an_enrolled_card(&h).await;
    let left = stranded_opt_out(&h, &other_card, "left-while-aside", true);
    send_stranded_opt_out(&h, &other_card).await;
    let console = console.with_settle(Duration::from_millis(100));
    console.track_once().await.unwrap();
    assert_eq!(
        console.operation(left.id).unwrap().unwrap().state,
        State::Successful
    );
    assert_eq!(
        h.journal().unaudited().unwrap().len(),
        1,
        "waits in the outbox"
    );
    // Still aside at the next start; an agent may not recover.
    let console = h.reopen();
    assert_eq!(console.recover().unwrap_err().code(), ErrorCode::Forbidden);
    assert!(!audit.exists());

    let admin = common::grant_admin(h.dir.path());
    let recovered = console.recover().unwrap();
    assert_eq!(recovered.len(), 1);
    assert_eq!(recovered[0].aside, kept);
    assert!(
        recovered[0].recorded.contains(&kept.sha256),
        "{recovered:?}"
    );
    // Run twice, it begins nothing again.
    let twice = h.reopen();
    assert!(twice.recover().unwrap().is_empty());
    drop(admin);
    let console = h.reopen();
    assert!(console.kept_aside().is_empty());
    let trail = h.trail();
    assert_eq!(trail[0].event.event, "audit_chain_start");
    assert_eq!(trail[0].event.operator, "IT-1");
    assert!(
        trail[0]
            .event
            .resource
            .as_deref()
            .is_some_and(|chain| chain.starts_with("chain-")),
        "the new chain's id: {trail:?}"
    );
    assert!(
        trail[0]
            .event
            .result
            .contains(&kept.kept_as.display().to_string()),
        "{trail:?}"
    );
    assert!(trail[0].event.result.contains(&kept.sha256), "{trail:?}");
    assert_eq!(console.audit_verify().await.unwrap().first_broken, None);
    console.consumer_view(&consumer).await.unwrap();
    // The outcome that waited is recorded now.
    console.track_once().await.unwrap();
    assert!(h.journal().unaudited().unwrap().is_empty());
    assert!(
        h.trail()
            .iter()
            .any(|r| r.event.event == "opt_out_card_outcome"
                && r.event.resource.as_deref() == Some(other_card.as_str())),
        "{:?}",
        h.trail()
    );
}

#[tokio::test]
async fn a_damaged_journal_stops_writes_but_not_views() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.use_local_environment().await;
    let (consumer, card) = closed_card(&h).await;
    damage(&h.console.dirs().data.join("operations.sqlite"));
    let console = h.reopen();
    console.consumer_view(&consumer).await.unwrap();
    let refused = console.write(opt_out_card(&card)).await.unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Storage, "{refused}");
    assert!(
        refused.to_string().contains("operations journal"),
        "{refused}"
    );
    assert_eq!(h.writes_to(&card), 0);
    let admin = common::grant_admin(h.dir.path());
    console.recover().unwrap();
    drop(admin);
    let events: Vec<String> = h.trail().into_iter().map(|r| r.event.event).collect();
    assert!(
        events.contains(&"journal_recovered".to_owned()),
        "{events:?}"
    );
    let console = h.reopen();
    console.write(opt_out_card(&card)).await.unwrap();
    assert_eq!(h.writes_to(&card), 1);
}

#[tokio::test]
async fn a_clock_days_off_does_not_turn_an_applied_write_into_not_applied() {
    let config = d1_sandbox::SandboxConfig {
        consumers: CONSUMERS,
        op_delay: Duration::ZERO,
        // D1's clock three days ahead of this workstation's: the same as ours three days behind.
        clock_offset: chrono::TimeDelta::days(3),
        ..d1_sandbox::SandboxConfig::default()
    };
    let h = common::harness_with(config, Duration::from_millis(100)).await;
    h.use_local_environment().await;
    let (_, card) = closed_card(&h).await;
    // A console sent the opt-out and died before the answer; D1 applied it.
    let entry = stranded_opt_out(&h, &card, "clock-off", true);
    send_stranded_opt_out(&h, &card).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let reopened = h.reopen().with_settle(Duration::from_millis(100));
    reopened
        .track_until_settled(Duration::from_secs(10), |_| {})
        .await
        .unwrap();
    let resolved = reopened.operation(entry.id).unwrap().unwrap();
    assert_eq!(resolved.state, State::Successful, "{resolved:?}");
    assert_eq!(resolved.note, Some(care::journal::Note::ResolvedFromD1));
    assert_eq!(h.writes_to(&card), 1);
    // With clocks that far apart, a write D1 does not list is not called "not applied" either:
    // the clock may have been set since it left.
    let unlisted = stranded_opt_out(&h, &an_enrolled_card(&h).await, "clock-off-2", true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    reopened.track_once().await.unwrap();
    let waiting = reopened.operation(unlisted.id).unwrap().unwrap();
    assert_eq!(waiting.state, State::Intent, "{waiting:?}");
}

#[tokio::test]
async fn a_change_of_operator_or_role_is_recorded_once_at_the_first_action_under_it() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    h.console.search("Sato", 5).await.unwrap();
    common::write_system_policy(h.dir.path(), r#"{"operator":"F-1","role":"fraud"}"#);
    h.console.search("Sato", 5).await.unwrap();
    h.console.search("Sato", 5).await.unwrap();
    // A restarted console knows what the trail last named (its search fails later: this
    // console runs no sandbox).
    h.reopen().search("Sato", 5).await.unwrap_err();
    let changes: Vec<_> = h
        .trail()
        .into_iter()
        .filter(|r| r.event.event == "policy_change")
        .map(|r| (r.event.operator, r.event.role, r.event.result))
        .collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let (operator, role, result) = &changes[0];
    assert_eq!((operator.as_str(), role.as_deref()), ("F-1", Some("fraud")));
    assert!(
        result.starts_with("tester-os (agent) → F-1 (fraud)")
            && result.contains("administrators' policy file"),
        "{result}"
    );
}

#[tokio::test]
async fn a_name_typed_in_hiragana_or_half_width_katakana_finds_the_consumer() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let japanese = d1_sandbox::seed::generate(1, CONSUMERS)
        .bank
        .into_values()
        .find(|c| c.name_kana.is_some())
        .expect("a Japanese consumer");
    let kana = japanese.name_kana.clone().unwrap();
    // What an input method shows first: the same sounds in hiragana.
    let hiragana = |katakana: &str| -> String {
        katakana
            .chars()
            .map(|c| match c {
                '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap(),
                _ => c,
            })
            .collect()
    };
    let typed = format!("{} {}", hiragana(&kana.last), hiragana(&kana.first));
    assert_ne!(typed, format!("{} {}", kana.last, kana.first), "{typed}");
    let found = h.console.search(&typed, 100).await.unwrap();
    assert!(
        found
            .consumers
            .iter()
            .any(|c| c.consumer_id == japanese.consumer_id),
        "{typed}: {found:?}"
    );
}

#[tokio::test]
async fn a_whole_card_number_is_never_searched_and_its_last_4_is_offered() {
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let refused = h
        .console
        .search("4111 1111 1111 1111", 10)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
    assert!(refused.to_string().contains("last 4 (1111)"), "{refused}");
    assert!(!refused.to_string().contains("4111 1111"), "{refused}");
    // A phone number with its country code is still a search.
    h.console.search("+81 90 1234 5678", 10).await.unwrap();
}

#[tokio::test]
async fn a_card_s_tokens_are_grouped_and_recorded_without_a_device_s_name() {
    use d1_sandbox::tokens::TokenType;
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let seeded = d1_sandbox::tokens::generate(1, &population);
    let of = |card: &str, kind| {
        seeded
            .values()
            .filter(|t| t.card_id == card && t.token_type == kind)
            .count()
    };
    let card = population
        .bank
        .values()
        .flat_map(|c| &c.cards)
        .map(|c| c.card_id.clone())
        .find(|card| of(card, TokenType::Wallet) > 0 && of(card, TokenType::CardOnFile) > 0)
        .unwrap();
    let tokens = h.console.card_tokens(&card).await.unwrap();
    assert_eq!(
        (
            tokens.click_to_pay.len(),
            tokens.wallets.len(),
            tokens.merchants.len()
        ),
        (
            of(&card, TokenType::ClickToPay),
            of(&card, TokenType::Wallet),
            of(&card, TokenType::CardOnFile)
        )
    );
    let device = tokens.wallets[0].device_name.clone().expect("a device");
    let recorded = h
        .trail()
        .into_iter()
        .rev()
        .find(|r| r.event.event == "tokens_view")
        .expect("recorded");
    assert_eq!(recorded.event.resource.as_deref(), Some(card.as_str()));
    assert!(recorded.event.result.starts_with("ok;"), "{recorded:?}");
    let trail = serde_json::to_string(&h.trail()).unwrap();
    assert!(!trail.contains(&device), "no device name in the trail");
    for log in std::fs::read_dir(&h.console.dirs().logs)
        .into_iter()
        .flatten()
    {
        let text = std::fs::read_to_string(log.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(&device), "no device name in the logs");
    }

    // A card number where the card id belongs is refused before anything is read; a card the
    // bank does not hold is not found.
    let refused = h
        .console
        .card_tokens("4111 1111 1111 1111")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput, "{refused}");
    let missing = h.console.card_tokens("crd-unknown000").await.unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound, "{missing}");
}
