//! The auditors' batch profile audit against the sandbox (real mTLS, real tokens, real SQLite):
//! every seeded mismatch category found over 500 consumers, the CSV and the self-contained HTML
//! report (opened in headless Chromium and its screenshot checked), search scopes paged, a
//! failing directory reported as not read, cancellation, invalid lines and roles.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use care::ErrorCode;
use care::batch::RunControl;
use care::console::Console;
use care::environments::Language;
use care::profile::findings::FindingKind;
use care::profile_audit::{AuditProgress, AuditedScope, ProfileAudit, Scope};
use care::wire_name;
use d1_sandbox::faults::Endpoint;
use tokio::sync::watch;

/// Every consumer the seeded sandbox knows: the bank's, then those only a directory holds.
fn every_consumer(consumers: usize) -> Vec<String> {
    let population = d1_sandbox::seed::generate(1, consumers);
    let mut ids: Vec<String> = population.bank.keys().cloned().collect();
    let orphans: BTreeSet<String> = population
        .directories
        .values()
        .flat_map(|profiles| profiles.keys())
        .filter(|id| !population.bank.contains_key(*id))
        .cloned()
        .collect();
    ids.extend(orphans);
    ids
}

async fn audit(console: &Console, scope: &Scope) -> (ProfileAudit, Vec<AuditProgress>) {
    let (_control, receiver) = watch::channel(RunControl::Run);
    let seen = Mutex::new(Vec::new());
    let audit = console
        .audit_profiles(scope, 8, receiver, &|p: &AuditProgress| {
            seen.lock().unwrap().push(*p)
        })
        .await
        .unwrap();
    (audit, seen.into_inner().unwrap())
}

/// Whether `finding` is what a seeded category (the consumerId's suffix) must give; `None` for
/// a consistent (`ok`) consumer. A name written in kana cannot be normalised to the bank's kanji, so it
/// differs; full-width or upper-case names are the same once normalised.
fn shows_category(slug: &str, finding: &care::profile::findings::Finding) -> Option<bool> {
    use FindingKind::*;
    let field = finding.field.as_deref();
    Some(match slug {
        "email" => finding.kind == ContactDiffers && field == Some("email"),
        "phone" => finding.kind == ContactDiffers && field == Some("phoneNumber"),
        "name" => {
            matches!(finding.kind, ContactDiffers | ContactWrittenDifferently)
                && matches!(field, Some("firstName" | "lastName"))
        }
        "address" => finding.kind == BillingAddressDiffers,
        "closed" => finding.kind == CardClosedButEnrolled,
        "nocards" => finding.kind == ProfileWithoutCards,
        "onenet" | "none" => finding.kind == CardNotEnrolled,
        "hostile" => finding.kind == ContactDiffers && field == Some("firstName"),
        "unknown" => finding.kind == UnknownToBank,
        _ => return None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_seeded_mismatch_category_is_found_over_500_consumers_and_reported() {
    let h = common::harness(500, Duration::ZERO).await;
    h.role("auditor");
    let ids = every_consumer(500);
    let list: String = ids.iter().map(|id| format!("{id}\n")).collect();
    let (audit, progress) = audit(
        &h.console,
        &Scope::List(list + "card:card-0001\nnot an id!\n"),
    )
    .await;

    assert_eq!(audit.consumers.len(), ids.len());
    let read: Vec<&str> = audit
        .consumers
        .iter()
        .map(|c| c.consumer_id.as_str())
        .collect();
    assert_eq!(
        read,
        ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "in the list's order"
    );
    assert_eq!(audit.invalid.len(), 2, "{:?}", audit.invalid);
    assert!(audit.invalid[0].why.contains("a card"));
    let last = progress.last().unwrap();
    assert_eq!(
        (last.done, last.total),
        (ids.len() as u32, ids.len() as u32)
    );
    assert_eq!(last.findings as usize, audit.findings());

    let mut categories = BTreeSet::new();
    for consumer in &audit.consumers {
        assert!(consumer.unread.is_empty(), "{consumer:?}");
        let slug = consumer.consumer_id.rsplit('-').next().unwrap();
        let shown: Vec<Option<bool>> = consumer
            .findings
            .iter()
            .map(|f| shows_category(slug, f))
            .collect();
        if slug == "ok" {
            assert!(
                shown.is_empty(),
                "a consistent consumer has findings: {consumer:?}"
            );
        } else {
            assert!(
                shown.contains(&Some(true)),
                "{slug}: not found in {consumer:?}"
            );
            categories.insert(slug);
        }
    }
    assert_eq!(
        categories.len(),
        10,
        "every seeded category: {categories:?}"
    );
    let kinds: BTreeSet<String> = audit
        .consumers
        .iter()
        .flat_map(|c| &c.findings)
        .map(|f| wire_name(f.kind))
        .collect();
    assert_eq!(kinds.len(), 7, "every kind of finding: {kinds:?}");
    // The cards' tokens are audited too: each seeded token situation is found.
    let token_kinds: BTreeSet<String> = audit
        .consumers
        .iter()
        .flat_map(|c| &c.token_findings)
        .map(|f| wire_name(f.kind))
        .collect();
    assert_eq!(
        token_kinds.len(),
        4,
        "every kind of token finding: {token_kinds:?}"
    );

    let out = h.dir.path().join("reports");
    let files = h
        .console
        .export_profile_audit(&audit, &out, Language::En)
        .unwrap();
    let csv = std::fs::read_to_string(&files.csv).unwrap();
    assert_eq!(
        csv.lines().count(),
        audit.findings() + 1,
        "a header and one row per finding"
    );
    assert!(csv.starts_with("consumerId,finding,severity,directory,cardId,field,suggestedAction"));
    let html = std::fs::read_to_string(&files.html).unwrap();
    for kind in audit
        .consumers
        .iter()
        .flat_map(|c| &c.findings)
        .map(|f| wire_name(f.kind))
    {
        assert!(html.contains(&kind), "{kind} missing from the report");
    }
    for kind in &token_kinds {
        assert!(
            html.contains(kind.as_str()),
            "{kind} missing from the report"
        );
        assert!(csv.contains(kind.as_str()), "{kind} missing from the CSV");
    }
    for fetch in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(
            !html.contains(fetch),
            "the report must load nothing: {fetch}"
        );
    }
    // The same report for a Japanese auditor: the words change, the codes (as in the CSV) do not.
    let japanese = h
        .console
        .export_profile_audit(&audit, &out.join("ja"), Language::Ja)
        .unwrap();
    let ja = std::fs::read_to_string(&japanese.html).unwrap();
    assert!(ja.contains("<html lang=\"ja\">"));
    for words in [
        "種類別の検出事項",
        "種類・ディレクトリ別",
        "推奨対応",
        "読み込んだ会員",
        "カードです。プロファイル監査は会員を読み込みます。",
        "有効な ID ではありません",
    ] {
        assert!(
            ja.contains(words),
            "{words} missing from the Japanese report"
        );
    }
    for words in [
        "Findings by type",
        "Suggested action",
        "Consumers read",
        "Bar colour",
        "the profile audit reads consumers",
    ] {
        assert!(!ja.contains(words), "{words} left in English");
    }
    for kind in &kinds {
        assert!(
            ja.contains(kind.as_str()),
            "{kind} missing from the Japanese report"
        );
    }
    assert_eq!(std::fs::read_to_string(&japanese.csv).unwrap(), csv);
    let shot_ja = screenshot(Path::new(&japanese.html), "report-ja.png");

    let log = h.trail();
    let events: Vec<&str> = log.iter().map(|r| r.event.event.as_str()).collect();
    assert!(events.contains(&"profile_audit"), "{events:?}");
    assert!(events.contains(&"profile_audit_export"), "{events:?}");

    let shot = screenshot(Path::new(&files.html), "report.png");
    // The chart's bars: critical (red), warning (amber) and information (blue) findings.
    for shot in [shot, shot_ja] {
        for (colour, name) in [
            ([0xb3, 0x26, 0x1e], "critical"),
            ([0xc7, 0x77, 0x00], "warning"),
            ([0x2f, 0x6f, 0xb0], "information"),
        ] {
            let pixels = count_pixels(&shot, colour);
            assert!(
                pixels > 500,
                "{name} bars: {pixels} pixels in {}",
                shot.display()
            );
        }
    }
}

/// Opens `html` in headless Chromium with no network and returns its screenshot (kept in
/// `target/tmp/profile-audit/<name>`).
fn screenshot(html: &Path, name: &str) -> std::path::PathBuf {
    let chromium = std::env::var("C2P_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("profile-audit");
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join(name);
    let _ = std::fs::remove_file(&shot);
    let profile = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1100,900",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", html.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {chromium} (make setup installs it): {e}"));
    assert!(status.success(), "chromium: {status}");
    shot
}

/// How many pixels of `png` have exactly `rgb`.
fn count_pixels(png: &Path, rgb: [u8; 3]) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    buffer[..info.buffer_size()]
        .chunks(channels)
        .filter(|p| p[..3] == rgb)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_consumers_matching_a_search_are_read_page_by_page() {
    let h = common::harness(250, Duration::ZERO).await;
    h.role("auditor");
    let (all, _) = audit(&h.console, &Scope::Matching("cons".into())).await;
    assert_eq!(all.consumers.len(), 250, "more than one page of 100");
    let unique: BTreeSet<&str> = all
        .consumers
        .iter()
        .map(|c| c.consumer_id.as_str())
        .collect();
    assert_eq!(unique.len(), 250);
    assert_eq!(
        all.scope,
        AuditedScope::Matching {
            text: "cons".into()
        }
    );

    // What was searched goes into the report masked.
    let email = d1_sandbox::seed::generate(1, 250)
        .bank
        .into_values()
        .next()
        .unwrap()
        .email;
    let (by_email, _) = audit(&h.console, &Scope::Matching(email.clone())).await;
    assert_eq!(by_email.consumers.len(), 1);
    assert!(
        matches!(&by_email.scope, AuditedScope::Matching { text } if !text.contains(&email)),
        "{:?}",
        by_email.scope
    );
    for language in [Language::En, Language::Ja] {
        assert!(!care::profile_audit::report::html(&by_email, language).contains(&email));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_directory_is_reported_as_not_read() {
    let h = common::harness(40, Duration::ZERO).await;
    h.role("auditor");
    let mut failing = common::fault(&[Endpoint::Profiles]);
    failing.failing_directory = Some(d1_sandbox::model::Scheme::Visa);
    h.faults(vec![failing]);
    let ids = every_consumer(40);
    let (audit, _) = audit(&h.console, &Scope::List(ids[..10].join("\n"))).await;
    assert_eq!(audit.consumers.len(), 10);
    for consumer in &audit.consumers {
        assert_eq!(consumer.unread.len(), 1, "{consumer:?}");
        assert_eq!(consumer.unread[0].side, "VISA");
    }
    let csv = String::from_utf8(care::profile_audit::report::csv(&audit).unwrap()).unwrap();
    assert_eq!(csv.matches("\"NOT_READ\"").count(), 10, "{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_id_nobody_knows_is_not_found_not_unread() {
    let h = common::harness(40, Duration::ZERO).await;
    h.role("auditor");
    let known = every_consumer(40)[0].clone();
    let (audit, progress) = audit(
        &h.console,
        &Scope::List(format!("{known}\ncons-9999-nobody")),
    )
    .await;
    let nobody = audit
        .consumers
        .iter()
        .find(|c| c.consumer_id == "cons-9999-nobody")
        .unwrap();
    assert!(nobody.not_found && nobody.unread.is_empty(), "{nobody:?}");
    let found = audit
        .consumers
        .iter()
        .find(|c| c.consumer_id == known)
        .unwrap();
    assert!(!found.not_found, "{found:?}");
    let last = progress.last().unwrap();
    assert_eq!((last.not_found, last.unread), (1, 0));
    let csv = String::from_utf8(care::profile_audit::report::csv(&audit).unwrap()).unwrap();
    assert!(csv.contains("\"cons-9999-nobody\",\"NOT_FOUND\""), "{csv}");
    assert!(!csv.contains("NOT_READ"), "{csv}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_audit_stops_reading_and_says_so() {
    let h = common::harness(200, Duration::ZERO).await;
    h.role("auditor");
    let mut slow = common::fault(&[Endpoint::Profiles]);
    slow.latency_ms = 20;
    h.faults(vec![slow]);
    let (control, receiver) = watch::channel(RunControl::Run);
    let audit = h
        .console
        .audit_profiles(&Scope::Matching("cons".into()), 4, receiver, &|p| {
            if p.done == 20 {
                control.send_replace(RunControl::Cancel);
            }
        })
        .await
        .unwrap();
    assert!(audit.cancelled);
    assert!(
        (20..=30).contains(&audit.consumers.len()),
        "{} read after cancelling at 20 with 4 at a time",
        audit.consumers.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_auditors_may_audit_and_a_list_without_consumers_is_refused() {
    let h = common::harness(20, Duration::ZERO).await;
    let ids = every_consumer(20);
    for role in ["agent", "fraud"] {
        h.role(role);
        let (_control, receiver) = watch::channel(RunControl::Run);
        let error = h
            .console
            .audit_profiles(&Scope::List(ids.join("\n")), 8, receiver, &|_| {})
            .await
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::Forbidden, "{role}: {error}");
    }
    h.role("auditor");
    let (_control, receiver) = watch::channel(RunControl::Run);
    let error = h
        .console
        .audit_profiles(
            &Scope::List("card:card-1\n???\n".into()),
            8,
            receiver,
            &|_| {},
        )
        .await
        .unwrap_err();
    assert_eq!(error.code(), ErrorCode::InvalidInput);
    assert!(error.to_string().contains("no valid consumerId"), "{error}");
}
