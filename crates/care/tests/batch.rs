//! Batch opt-outs against the sandbox (real mTLS, real tokens, real SQLite): a thousand cards at
//! 50 ms each, a process killed half-way and the batch resumed by another, 429 bursts, the dry
//! run, invalid lines, and roles.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use care::batch::input::{ParsedList, TargetKind, parse};
use care::batch::{Progress, RunControl};
use care::journal::{BatchState, Item, ItemStatus};
use care::{ErrorCode, console::Console};
use d1_sandbox::faults::Endpoint;
use tokio::sync::watch;

/// The first `n` cardIds enrolled in some directory of the seeded sandbox (a card in none is
/// refused by D1: "not enrolled").
fn cards(consumers: usize, n: usize) -> Vec<String> {
    let population = d1_sandbox::seed::generate(1, consumers);
    let enrolled: std::collections::BTreeSet<String> = population
        .directories
        .into_values()
        .flat_map(|profiles| profiles.into_values())
        .flat_map(|profile| profile.cards.into_iter().map(|card| card.card_id))
        .collect();
    assert!(
        enrolled.len() >= n,
        "the seeded directories hold {} cards, fewer than {n}",
        enrolled.len()
    );
    enrolled.into_iter().take(n).collect()
}

/// A card the seeded bank has that no directory holds.
fn card_in_no_directory(consumers: usize) -> String {
    let population = d1_sandbox::seed::generate(1, consumers);
    let enrolled: std::collections::BTreeSet<String> = population
        .directories
        .values()
        .flat_map(|profiles| profiles.values())
        .flat_map(|profile| profile.cards.iter().map(|card| card.card_id.clone()))
        .collect();
    population
        .bank
        .into_values()
        .flat_map(|c| c.cards.into_iter().map(|card| card.card_id))
        .find(|card| !enrolled.contains(card))
        .expect("some bank card is in no directory")
}

fn list_of(cards: &[String]) -> ParsedList {
    let text: String = cards.iter().map(|c| format!("card:{c}\n")).collect();
    parse(&text, None)
}

/// Checks that `Console::batch_progress` (one SQL query) counts what `status` says of each item:
/// the query restates `status`'s rules, and the two must not drift apart.
fn assert_progress_agrees_with_items(console: &Console, id: &str) {
    let items = console.batch_items(id).unwrap();
    let count = |statuses: &[ItemStatus]| {
        items
            .iter()
            .filter(|i| statuses.contains(&i.status()))
            .count() as u32
    };
    let p = console.batch_progress(id).unwrap();
    assert_eq!(
        (p.total, p.successful, p.failed, p.unknown),
        (
            items.len() as u32,
            count(&[ItemStatus::Successful]),
            count(&[ItemStatus::Failed]),
            count(&[ItemStatus::Unknown])
        )
    );
    assert_eq!(
        (p.pending, p.not_sent, p.skipped),
        (
            count(&[ItemStatus::Pending, ItemStatus::Sending]),
            count(&[ItemStatus::NotSent]),
            count(&[ItemStatus::NothingToDo])
        )
    );
}

/// Runs batch `id` to its end, keeping every progress report.
async fn run(console: &Console, id: &str, concurrency: usize) -> (Progress, Vec<Progress>) {
    let (_control, receiver) = watch::channel(RunControl::Run);
    let seen = Mutex::new(Vec::new());
    let last = console
        .batch_run(id, concurrency, receiver, &|p: &Progress| {
            seen.lock().unwrap().push(p.clone())
        })
        .await
        .unwrap();
    (last, seen.into_inner().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_cards_at_50_ms_each_all_end_final_each_sent_once() {
    let h = common::harness(700, Duration::ZERO).await;
    h.role("fraud");
    let mut latency = common::fault(&[Endpoint::OptOutCard]);
    latency.latency_ms = 50;
    h.faults(vec![latency]);
    let cards = cards(700, 1000);
    let batch = h
        .console
        .batch_create(&list_of(&cards), false, Some("Card compromised"))
        .unwrap();
    let (last, seen) = run(&h.console, &batch.id, 16).await;

    assert_eq!(last.total, 1000);
    assert_eq!(last.successful + last.failed, 1000, "{last:?}");
    assert_eq!(last.not_sent + last.pending + last.unknown, 0, "{last:?}");
    assert!(seen.len() > 5, "progress was reported as it went");
    assert!(
        seen.iter()
            .any(|p| p.per_second > 0.0 && p.eta_seconds.is_some())
    );
    assert!(
        seen.iter().any(|p| p.not_sent > 500 && p.successful > 100),
        "sent items are followed to their end while the rest are sent"
    );
    for card in &cards {
        assert_eq!(h.writes_to(card), 1, "{card} sent exactly once");
    }
    let stored = h.console.batch(&batch.id).unwrap().unwrap();
    assert_eq!(stored.state, BatchState::Done);
    let path = h.dir.path().join("report.csv");
    assert_eq!(h.console.batch_report(&batch.id, &path).unwrap(), 1000);
    let report = std::fs::read_to_string(&path).unwrap();
    assert_eq!(report.lines().count(), 1001);
    assert!(
        report.lines().nth(1).unwrap().contains("\"SUCCESSFUL\""),
        "{report:.300}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_429_slow_everyone_down_and_lose_nothing() {
    let h = common::harness(100, Duration::ZERO).await;
    h.role("fraud");
    let mut limited = common::fault(&[Endpoint::OptOutCard]);
    // One write in five refused: some 429s for certain (all 60 first tries pass: 1.5e-6), and
    // a card refused all 8 times is as unlikely (60 × 0.2^8 = 1.5e-4).
    limited.rate_limit_rate = 0.2;
    limited.retry_after_s = 1;
    h.faults(vec![limited]);
    let cards = cards(100, 60);
    let batch = h
        .console
        .batch_create(&list_of(&cards), false, None)
        .unwrap();
    let (last, seen) = run(&h.console, &batch.id, 16).await;
    let failed: Vec<_> = h
        .console
        .batch_items(&batch.id)
        .unwrap()
        .into_iter()
        .filter(|i| i.status() != ItemStatus::Successful)
        .map(|i| (i.attempts, i.intent.and_then(|e| e.detail)))
        .collect();
    assert_eq!(last.successful, 60, "{last:?} {failed:?}");
    assert!(
        seen.iter().any(|p| p.concurrency < 16),
        "the concurrency was cut after a 429"
    );
    for card in &cards {
        assert_eq!(h.writes_to(card), 1, "{card} applied exactly once");
    }
    let retried = h
        .console
        .batch_items(&batch.id)
        .unwrap()
        .iter()
        .filter(|i| i.attempts > 1)
        .count();
    assert!(retried > 0, "some items were sent again after a 429");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_lines_are_skipped_the_dry_run_sends_nothing_and_only_fraud_may_run() {
    let h = common::harness(40, Duration::ZERO).await;
    let cards = cards(40, 2);
    let text = format!(
        "card:{}\nnot an id\ncard:{}\ncard:4111111111111111\n",
        cards[0], cards[1]
    );
    let list = parse(&text, Some(TargetKind::Card));
    assert_eq!(list.targets.len(), 2);
    assert_eq!(list.invalid.len(), 2);

    // The default role is agent.
    let refused = h.console.batch_create(&list, false, None).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    h.role("auditor");
    let refused = h.console.batch_create(&list, false, None).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);

    h.role("fraud");
    let outside = card_in_no_directory(40);
    let mut list = list;
    list.targets
        .extend(parse(&format!("card:{outside}"), None).targets);
    let batch = h
        .console
        .batch_create(&list, true, Some("Fraud ring"))
        .unwrap();

    // The dry run reads what would leave and sends nothing.
    let previews = h
        .console
        .batch_preview(&batch.id, 4, &|_| {})
        .await
        .unwrap();
    assert_eq!(previews.len(), 3);
    assert!(
        previews[0]
            .removals
            .iter()
            .any(|r| r.cards.iter().any(|c| c.contains(&cards[0]))),
        "{previews:?}"
    );
    assert!(
        !previews[0].nothing_to_do && previews[2].nothing_to_do,
        "{previews:?}"
    );
    // A card is named as people know it: its network and last 4.
    let name = regex::Regex::new(r"^(VISA|MASTERCARD) •••• \d{4}$").unwrap();
    assert!(
        previews
            .iter()
            .all(|p| p.name.as_deref().is_some_and(|n| name.is_match(n))),
        "{previews:?}"
    );
    assert!(cards.iter().chain([&outside]).all(|c| h.writes_to(c) == 0));
    assert_progress_agrees_with_items(&h.console, &batch.id);

    let (last, _) = run(&h.console, &batch.id, 4).await;
    assert_eq!(last.total, 3);
    assert_eq!((last.successful, last.skipped), (2, 1), "{last:?}");
    let items = h.console.batch_items(&batch.id).unwrap();
    assert_eq!(
        items.iter().map(Item::status).collect::<Vec<_>>(),
        [
            ItemStatus::Successful,
            ItemStatus::Successful,
            ItemStatus::NothingToDo
        ]
    );
    assert_eq!(h.writes_to(&outside), 0, "nothing to do is not sent");
    assert_progress_agrees_with_items(&h.console, &batch.id);
    assert_eq!(
        items[0].intent.as_ref().unwrap().intent.reason_code,
        "USER_DECISION"
    );
    // Its report is the fraud team's too, and names only batches that exist.
    let report = h.dir.path().join("report.csv");
    h.role("agent");
    let refused = h.console.batch_report(&batch.id, &report).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    h.role("fraud");
    assert_eq!(h.console.batch_report(&batch.id, &report).unwrap(), 3);
    let climbing = h.console.batch_report_file("../../elsewhere").unwrap_err();
    assert_eq!(climbing.code(), ErrorCode::InvalidInput);
    let unknown = h
        .console
        .batch_report_file("b-20000101T000000000Z")
        .unwrap_err();
    assert_eq!(unknown.code(), ErrorCode::NotFound);

    // An agent cannot run (or resume) it either.
    h.role("agent");
    let (_control, receiver) = watch::channel(RunControl::Run);
    let refused = h
        .console
        .batch_run(&batch.id, 4, receiver, &|_| {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_dry_run_is_discarded_and_never_sent() {
    let h = common::harness(40, Duration::ZERO).await;
    h.role("fraud");
    let cards = cards(40, 2);
    let abandoned = h
        .console
        .batch_create(&list_of(&cards), false, None)
        .unwrap();
    h.console
        .batch_preview(&abandoned.id, 4, &|_| {})
        .await
        .unwrap();
    h.role("agent");
    let refused = h.console.batch_discard(&abandoned.id).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    h.role("fraud");
    h.console.batch_discard(&abandoned.id).unwrap();
    let discarded = h.console.batch(&abandoned.id).unwrap().unwrap();
    assert_eq!(discarded.state, BatchState::Discarded);

    let (_control, receiver) = watch::channel(RunControl::Run);
    let refused = h
        .console
        .batch_run(&abandoned.id, 4, receiver, &|_| {})
        .await
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
    assert!(refused.to_string().contains("discarded"), "{refused}");
    assert!(
        cards.iter().all(|c| h.writes_to(c) == 0),
        "nothing was sent"
    );
    let again = h.console.batch_discard(&abandoned.id).unwrap_err();
    assert_eq!(again.code(), ErrorCode::InvalidInput);
    let missing = h.console.batch_discard("b-nothing").unwrap_err();
    assert_eq!(missing.code(), ErrorCode::NotFound);

    // A finished batch has nothing left to discard.
    let done = h
        .console
        .batch_create(&list_of(&cards), false, None)
        .unwrap();
    let (last, _) = run(&h.console, &done.id, 4).await;
    assert_eq!(last.successful, 2);
    let refused = h.console.batch_discard(&done.id).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::InvalidInput);
    let events: Vec<_> = h
        .trail()
        .into_iter()
        .filter(|r| r.event.event == "batch_opt_out_discarded")
        .map(|r| r.event.resource)
        .collect();
    assert_eq!(events, [Some(abandoned.id)]);
}

/// Where the killed-process test's child finds its console and its batch.
const CHILD_DIR: &str = "C2P_TEST_BATCH_CHILD_DIR";
const CHILD_BATCH: &str = "C2P_TEST_BATCH_CHILD_BATCH";

/// The child of the next test: a console in another process, on the same files, that connects
/// to the parent's sandbox from its state directory and runs the batch until it is killed. It
/// does nothing when run as an ordinary test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_process_running_a_batch() {
    let (Ok(dir), Ok(batch)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_BATCH)) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let console = connected_console(&dir).await;
    let (_control, receiver) = watch::channel(RunControl::Run);
    console
        .batch_run(&batch, 8, receiver, &|_| {})
        .await
        .unwrap();
}

/// A console on `dir` (policy: fraud, from the administrators' file) whose environment `local`
/// is the sandbox that wrote `dir/state`, its keys imported into this process's mock keychain.
async fn connected_console(dir: &std::path::Path) -> Console {
    let vault = care::credentials::Vault::probed(keyring_core::mock::Store::new().unwrap());
    let console = common::open(dir, vault).with_settle(Duration::from_secs(2));
    let state = dir.join("state");
    let admin = common::grant_admin(dir);
    console
        .add_environment(common::environment_of(&state, "local"))
        .unwrap();
    console
        .import_credentials("local", common::import_request(&state))
        .await
        .unwrap();
    drop(admin);
    console.use_environment("local").await.unwrap();
    console
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_whose_process_is_killed_half_way_resumes_and_sends_each_write_once() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut latency = common::fault(&[Endpoint::OptOutCard]);
    latency.latency_ms = 50;
    let sandbox = d1_sandbox::Sandbox::start(d1_sandbox::SandboxConfig {
        consumers: 200,
        op_delay: Duration::ZERO,
        faults: vec![latency],
        ..d1_sandbox::SandboxConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    sandbox.write_state_dir(&dir.path().join("state")).unwrap();
    common::write_system_policy(dir.path(), r#"{"operator":"F-7","role":"fraud"}"#);
    let console = connected_console(dir.path()).await;
    let cards = cards(200, 300);
    let batch = console.batch_create(&list_of(&cards), false, None).unwrap();

    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_running_a_batch", "--nocapture"])
        .env(CHILD_DIR, dir.path())
        .env(CHILD_BATCH, &batch.id)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed (SIGKILL) once about a third of the items have an intent.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let sent = console
            .batch_items(&batch.id)
            .unwrap()
            .iter()
            .filter(|i| i.intent.is_some())
            .count();
        if sent >= 100 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the child sent {sent} in 60 s"
        );
        assert!(child.try_wait().unwrap().is_none(), "the child ended early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let items = console.batch_items(&batch.id).unwrap();
    let sent = items.iter().filter(|i| i.intent.is_some()).count();
    assert!(sent < cards.len(), "killed half-way: {sent} sent");
    // Some sent and answered, some maybe on the way, the rest not sent.
    assert_progress_agrees_with_items(&console, &batch.id);

    let (last, _) = run(&console, &batch.id, 8).await;
    assert_eq!(last.successful, 300, "{last:?}");
    let writes = sandbox.stats().writes;
    for card in &cards {
        assert_eq!(writes.get(card), Some(&1), "{card} sent exactly once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_batch_sends_nothing_until_resumed_then_ends() {
    let h = common::harness(200, Duration::ZERO).await;
    h.role("fraud");
    let mut latency = common::fault(&[Endpoint::OptOutCard]);
    latency.latency_ms = 30;
    h.faults(vec![latency]);
    let cards = cards(200, 120);
    let batch = h
        .console
        .batch_create(&list_of(&cards), false, None)
        .unwrap();
    let (control, receiver) = watch::channel(RunControl::Run);
    let sent = |h: &common::Harness| cards.iter().map(|c| h.writes_to(c)).sum::<u64>();
    let pauser = async {
        // Pause once some cards are out, check nothing more leaves, then resume.
        while sent(&h) < 20 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        control.send_replace(RunControl::Pause);
        let at_pause = sent(&h);
        // Writes already on the wire finish: wait until none has landed for 300 ms.
        let mut paused_at = at_pause;
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = sent(&h);
            if now == paused_at {
                break;
            }
            paused_at = now;
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        let still = sent(&h);
        control.send_replace(RunControl::Run);
        // At most one write per slot of the concurrency (8) was on the wire when it paused;
        // items still waiting for their turn stayed.
        assert!(
            paused_at - at_pause <= 8,
            "{} writes landed after the pause",
            paused_at - at_pause
        );
        (paused_at, still)
    };
    let seen = Mutex::new(Vec::new());
    let record = |p: &Progress| seen.lock().unwrap().push(p.clone());
    let run = h.console.batch_run(&batch.id, 8, receiver, &record);
    let (last, (paused_at, still)) = tokio::join!(run, pauser);
    let last = last.unwrap();
    assert_eq!(paused_at, still, "nothing was sent while paused");
    assert!(paused_at < 120, "paused before the end ({paused_at} sent)");
    assert!(seen.into_inner().unwrap().iter().any(|p| p.paused));
    assert_eq!(last.successful, 120, "{last:?}");
    for card in &cards {
        assert_eq!(h.writes_to(card), 1, "{card} sent exactly once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_takes_effect_while_d1_has_asked_everyone_to_wait() {
    let h = common::harness(200, Duration::ZERO).await;
    h.role("fraud");
    let mut limited = common::fault(&[Endpoint::OptOutCard]);
    limited.rate_limit_rate = 1.0;
    limited.retry_after_s = 120;
    h.faults(vec![limited]);
    let cards = cards(200, 6);
    let batch = h
        .console
        .batch_create(&list_of(&cards), false, None)
        .unwrap();
    let (control, receiver) = watch::channel(RunControl::Run);
    let canceller = async {
        // Once D1 has answered 429 (asking for two minutes), the operator cancels.
        let refused = || {
            h.console.batch_items(&batch.id).unwrap().iter().any(|i| {
                i.intent
                    .as_ref()
                    .is_some_and(|e| e.note == Some(care::journal::Note::SlowDown))
            })
        };
        while !refused() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        control.send_replace(RunControl::Cancel);
    };
    let run = h.console.batch_run(&batch.id, 2, receiver, &|_| {});
    let started = std::time::Instant::now();
    let (last, ()) = tokio::join!(run, canceller);
    last.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the run waited out D1's two minutes: {:?}",
        started.elapsed()
    );
    let stored = h.console.batch(&batch.id).unwrap().unwrap();
    assert_eq!(stored.state, BatchState::Cancelled);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_taken_away_mid_batch_stops_the_run_instead_of_spinning() {
    let h = common::harness(200, Duration::ZERO).await;
    h.role("fraud");
    let mut latency = common::fault(&[Endpoint::OptOutCard]);
    latency.latency_ms = 30;
    h.faults(vec![latency]);
    let cards = cards(200, 60);
    let batch = h
        .console
        .batch_create(&list_of(&cards), false, None)
        .unwrap();
    let (_control, receiver) = watch::channel(RunControl::Run);
    let demote = async {
        while cards.iter().map(|c| h.writes_to(c)).sum::<u64>() < 5 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        h.role("agent");
    };
    let running = h.console.batch_run(&batch.id, 4, receiver, &|_| {});
    let (ended, ()) = tokio::join!(running, demote);
    assert_eq!(ended.unwrap_err().code(), ErrorCode::Forbidden);
    let sent: u64 = cards.iter().map(|c| h.writes_to(c)).sum();
    assert!(
        sent < 60,
        "the run went on after the role was taken away ({sent} sent)"
    );
    let refusals = h
        .trail()
        .iter()
        .filter(|r| r.event.event == "batchoptout_denied")
        .count();
    assert!(refusals <= 60, "{refusals} refusals: the run spun");
    // The batch can be resumed by someone whose role allows it.
    h.role("fraud");
    let (last, _) = run(&h.console, &batch.id, 8).await;
    assert_eq!(last.successful, 60, "{last:?}");
}

/// Two consoles on one data directory (the desktop app and `c2p`, say): one runs a batch at
/// the highest concurrency while the token endpoint is slow, so its intents wait long before
/// their requests leave; the other follows the journal all the while with a settle time far
/// shorter than that wait. Nothing may be judged "not applied" while its console still sends
/// it, so D1 sees each card once, and each write ends as what D1 did.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_console_following_the_journal_never_judges_another_console_s_writes_on_their_way() {
    let config = d1_sandbox::SandboxConfig {
        consumers: 300,
        op_delay: Duration::ZERO,
        token_ttl: Duration::from_secs(2),
        ..d1_sandbox::SandboxConfig::default()
    };
    let h = common::harness_with(config, care::writes::SETTLE).await;
    h.use_local_environment().await;
    common::write_system_policy(h.dir.path(), r#"{"operator":"F-7","role":"fraud"}"#);
    let mut slow_token = common::fault(&[Endpoint::Token]);
    slow_token.latency_ms = 1500;
    let mut slow_write = common::fault(&[Endpoint::OptOutCard]);
    slow_write.latency_ms = 300;
    h.faults(vec![slow_token, slow_write]);
    let follower = h.reopen().with_settle(Duration::from_millis(200));
    let cards = cards(300, 200);
    let batch = h
        .console
        .batch_create(&list_of(&cards), false, None)
        .unwrap();

    let done = std::sync::atomic::AtomicBool::new(false);
    let following = async {
        let mut passes = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            follower.track_once().await.unwrap();
            passes += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        passes
    };
    let running = async {
        let ended = run(&h.console, &batch.id, 32).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        ended
    };
    let ((last, _), passes) = tokio::join!(running, following);
    assert!(passes > 2, "the follower ran alongside ({passes} passes)");
    assert_eq!(last.successful, 200, "{last:?}");
    // Resuming the ended batch sends nothing more.
    let (again, _) = run(&h.console, &batch.id, 32).await;
    assert_eq!(again.successful, 200, "{again:?}");
    for card in &cards {
        assert_eq!(h.writes_to(card), 1, "{card} sent exactly once");
    }
    for item in h.console.batch_items(&batch.id).unwrap() {
        assert_eq!(item.status(), ItemStatus::Successful, "{item:?}");
    }
    let not_applied = h
        .console
        .operations(None, 1000)
        .unwrap()
        .into_iter()
        .filter(|e| e.note == Some(care::journal::Note::NotApplied))
        .count();
    assert_eq!(not_applied, 0, "no write D1 applied was called not applied");
}

/// A list of bare ids read as cardIds (the default) holds two enrolled consumers' ids: they are
/// "not found", never "nothing to do", and never sent; a card the bank knows and no directory
/// lists is the only "nothing to do".
#[tokio::test]
async fn consumer_ids_read_as_cards_are_not_found_not_nothing_to_do_and_never_sent() {
    let h = common::harness(CONSUMERS_FOR_KINDS, Duration::ZERO).await;
    h.role("fraud");
    let consumers = [
        common::first(CONSUMERS_FOR_KINDS, "ok"),
        common::first(CONSUMERS_FOR_KINDS, "closed"),
    ];
    let card = cards(CONSUMERS_FOR_KINDS, 1).remove(0);
    let nowhere = card_in_no_directory(CONSUMERS_FOR_KINDS);
    let text = format!("{}\n{}\n{card}\n{nowhere}\n", consumers[0], consumers[1]);
    let list = parse(&text, Some(TargetKind::Card));
    assert_eq!(list.targets.len(), 4);
    let batch = h.console.batch_create(&list, false, None).unwrap();
    let previews = h
        .console
        .batch_preview(&batch.id, 4, &|_| {})
        .await
        .unwrap();
    let by_target = |t: &str| previews.iter().find(|p| p.target == t).unwrap();
    for consumer in &consumers {
        let preview = by_target(consumer);
        assert!(preview.not_found && !preview.nothing_to_do, "{preview:?}");
        assert!(
            preview
                .error
                .as_deref()
                .unwrap()
                .contains("is it a consumer id?"),
            "{preview:?}"
        );
    }
    assert!(by_target(&nowhere).nothing_to_do && !by_target(&nowhere).not_found);
    assert!(!by_target(&card).removals.is_empty());
    let (last, _) = run(&h.console, &batch.id, 4).await;
    assert_eq!(
        (last.successful, last.skipped, last.not_found),
        (1, 1, 2),
        "{last:?}"
    );
    for consumer in &consumers {
        assert_eq!(h.writes_to(consumer), 0, "{consumer} was not sent");
    }
    let statuses: Vec<ItemStatus> = h
        .console
        .batch_items(&batch.id)
        .unwrap()
        .iter()
        .map(Item::status)
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == ItemStatus::NotFound)
            .count(),
        2
    );
    assert_progress_agrees_with_items(&h.console, &batch.id);
}

const CONSUMERS_FOR_KINDS: usize = 60;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fraud_batch_suspends_every_token_of_one_merchant_on_200_cards_each_token_once() {
    use care::journal::BatchAction;
    use care::tokens::TokenReason;
    use d1_sandbox::tokens::{TokenState, TokenType};
    const CONSUMERS: usize = 120;
    let h = common::harness(CONSUMERS, Duration::ZERO).await;
    let population = d1_sandbox::seed::generate(1, CONSUMERS);
    let cards: Vec<String> = population
        .bank
        .values()
        .flat_map(|c| &c.cards)
        .map(|c| c.card_id.clone())
        .take(200)
        .collect();
    assert_eq!(cards.len(), 200);
    // The breached merchant's live tokens on those cards, and every other token of theirs.
    let seeded = d1_sandbox::tokens::generate(1, &population);
    let on_list = |t: &&d1_sandbox::tokens::DigitalCard| cards.contains(&t.card_id);
    let breached: Vec<String> = seeded
        .values()
        .filter(on_list)
        .filter(|t| {
            t.merchant_id.as_deref() == Some("MER0000003") && t.state != TokenState::Deleted
        })
        .map(|t| t.digital_card_id.clone())
        .collect();
    let others: Vec<String> = seeded
        .values()
        .filter(on_list)
        .filter(|t| !breached.contains(&t.digital_card_id))
        .map(|t| t.digital_card_id.clone())
        .collect();
    assert!(breached.len() > 20, "{}", breached.len());

    // An agent may not make one; an opt-out list's consumer line is refused in a token batch.
    h.role("agent");
    let refused = h
        .console
        .token_batch_create(
            &list_of(&cards),
            BatchAction::SuspendTokens,
            Some("MER0000003"),
            TokenReason::FraudDetected,
            None,
        )
        .unwrap_err();
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    h.role("fraud");
    let consumer = parse("consumer:cons-0001-ok\n", None);
    assert_eq!(
        h.console
            .token_batch_create(
                &consumer,
                BatchAction::SuspendTokens,
                None,
                TokenReason::FraudDetected,
                None
            )
            .unwrap_err()
            .code(),
        ErrorCode::InvalidInput
    );

    let batch = h
        .console
        .token_batch_create(
            &list_of(&cards),
            BatchAction::SuspendTokens,
            Some("MER0000003"),
            TokenReason::FraudDetected,
            Some("Merchant breach"),
        )
        .unwrap();
    // Not run before its dry run has listed the tokens.
    let (_control, receiver) = watch::channel(RunControl::Run);
    let early = h
        .console
        .batch_run(&batch.id, 8, receiver, &|_: &Progress| {})
        .await
        .unwrap_err();
    assert_eq!(early.code(), ErrorCode::InvalidInput, "{early}");
    let previews = h
        .console
        .batch_preview(&batch.id, 8, &|_| {})
        .await
        .unwrap();
    let listed: usize = previews.iter().map(|p| p.tokens.len()).sum();
    assert_eq!(listed, breached.len());
    assert!(
        previews
            .iter()
            .all(|p| p.tokens.iter().all(|t| t.contains("Kumo Streaming")))
    );
    let items = h.console.batch_items(&batch.id).unwrap();
    let tokens: Vec<&str> = items
        .iter()
        .filter(|i| i.kind == TargetKind::Token)
        .map(|i| i.target.as_str())
        .collect();
    assert_eq!(tokens.len(), breached.len(), "one item per token");

    // One token deleted by its merchant since the dry run: skipped, saying why.
    let gone = &breached[0];
    h.console
        .with_sandbox(|s| {
            let state = tempfile::tempdir().unwrap();
            s.write_state_dir(state.path()).unwrap();
            state
        })
        .map(|state| async move {
            let gateway =
                d1_sandbox::gateway_client::GatewayClient::connect(state.path(), "MGW_000002")
                    .await
                    .unwrap();
            assert_eq!(gateway.delete("MER0000003", gone).await.unwrap().0, 204);
        })
        .unwrap()
        .await;

    let (last, _) = run(&h.console, &batch.id, 8).await;
    assert_eq!(last.successful as usize, breached.len() - 1, "{last:?}");
    assert_eq!(
        last.failed + last.unknown + last.not_sent + last.pending,
        0,
        "{last:?}"
    );
    let skipped = h
        .console
        .batch_items(&batch.id)
        .unwrap()
        .into_iter()
        .find(|i| &i.target == gone)
        .unwrap();
    assert!(
        skipped
            .skip
            .as_deref()
            .unwrap_or_default()
            .contains("deleted"),
        "{skipped:?}"
    );
    for token in &breached[1..] {
        assert_eq!(h.writes_to(token), 1, "{token} written once");
    }
    assert_eq!(h.writes_to(gone), 0);
    for token in &others {
        assert_eq!(h.writes_to(token), 0, "{token} not this batch's");
    }
    let card = seeded[&breached[1]].card_id.clone();
    let shown = h.console.card_tokens(&card).await.unwrap();
    let token = shown
        .merchants
        .iter()
        .find(|t| t.digital_card_id == breached[1])
        .unwrap();
    assert_eq!(token.state, "SUSPENDED");
    assert_eq!(seeded[&breached[1]].token_type, TokenType::CardOnFile);
    assert_eq!(
        h.console.batch(&batch.id).unwrap().unwrap().state,
        BatchState::Done
    );
}
