//! Findings on the seeded consumers, read for real through the console: the bank's record from
//! the sandbox's issuer-records API and the profiles from D1, both over mTLS.

mod common;

use std::time::Duration;

use care::profile::findings::FindingKind;

const CONSUMERS: usize = 100;

struct Upstreams {
    harness: common::Harness,
}

async fn upstreams() -> Upstreams {
    Upstreams {
        harness: common::harness(CONSUMERS, Duration::ZERO).await,
    }
}

impl Upstreams {
    async fn kinds(&self, consumer_id: &str) -> Vec<FindingKind> {
        let view = self
            .harness
            .console
            .consumer_view(consumer_id)
            .await
            .unwrap();
        let mut kinds: Vec<FindingKind> = view.findings.into_iter().map(|f| f.kind).collect();
        kinds.dedup();
        kinds
    }
}

fn first(slug: &str) -> String {
    common::first(CONSUMERS, slug)
}

#[tokio::test]
async fn every_seeded_category_gives_its_finding() {
    let u = upstreams().await;
    assert_eq!(
        u.kinds(&first("ok")).await,
        [],
        "a consistent consumer has no findings"
    );
    assert!(
        u.kinds(&first("email"))
            .await
            .contains(&FindingKind::ContactDiffers)
    );
    assert!(
        u.kinds(&first("phone"))
            .await
            .contains(&FindingKind::ContactDiffers)
    );
    let name = u.kinds(&first("name")).await;
    assert!(
        name.contains(&FindingKind::ContactDiffers)
            || name.contains(&FindingKind::ContactWrittenDifferently),
        "{name:?}"
    );
    assert_eq!(
        u.kinds(&first("address")).await,
        [FindingKind::BillingAddressDiffers]
    );
    assert_eq!(
        u.kinds(&first("closed")).await[0],
        FindingKind::CardClosedButEnrolled,
        "critical first"
    );
    let nocards = u.kinds(&first("nocards")).await;
    assert!(
        nocards.contains(&FindingKind::ProfileWithoutCards)
            && nocards.contains(&FindingKind::CardNotEnrolled),
        "{nocards:?}"
    );
    assert_eq!(
        u.kinds(&first("onenet")).await,
        [FindingKind::CardNotEnrolled]
    );
    assert_eq!(
        u.kinds(&first("none")).await,
        [FindingKind::CardNotEnrolled]
    );
    assert_eq!(
        u.kinds("cons-x001-unknown").await,
        [FindingKind::UnknownToBank]
    );
    let hostile = u.kinds(&first("hostile")).await;
    assert!(
        hostile.contains(&FindingKind::ContactDiffers)
            && hostile.contains(&FindingKind::BillingAddressDiffers),
        "{hostile:?}"
    );
}

#[tokio::test]
async fn a_failing_directory_is_not_judged() {
    let u = upstreams().await;
    u.harness.faults(vec![d1_sandbox::faults::Fault {
        failing_directory: Some(d1_sandbox::model::Scheme::Visa),
        ..common::fault(&[d1_sandbox::faults::Endpoint::Profiles])
    }]);
    let kinds = u.kinds(&first("ok")).await;
    assert_eq!(
        kinds,
        [],
        "Visa cards are not reported as not enrolled while Visa is down"
    );
}

#[tokio::test]
async fn the_grid_marks_each_seeded_difference_in_its_row() {
    use care::profile::compare::Match;
    let u = upstreams().await;
    let cell_matches = |view: &care::profile::ConsumerView, field: &str| -> Vec<Match> {
        view.rows
            .iter()
            .filter(|r| r.field == field)
            .flat_map(|r| r.cells.iter().filter_map(|c| c.comparison))
            .collect()
    };
    let u = &u;
    let view = |id: String| async move { u.harness.console.consumer_view(&id).await.unwrap() };
    let ok = view(first("ok")).await;
    assert!(
        ok.rows
            .iter()
            .flat_map(|r| &r.cells)
            .filter_map(|c| c.comparison)
            .all(|m| m == Match::Equal),
        "{:?}",
        ok.rows
    );
    assert!(cell_matches(&view(first("email")).await, "email").contains(&Match::Different));
    let phone = view(first("phone")).await;
    assert!(cell_matches(&phone, "phone").contains(&Match::Different));
    // The sandbox's bank is Japanese: its numbers read as at home, others internationally.
    let shown = phone.rows.iter().find(|r| r.field == "phone").unwrap();
    let bank = shown.bank.as_deref().unwrap();
    let japan = regex::Regex::new(r"^0[789]0-\d{4}-\d{4}$").unwrap();
    let abroad = regex::Regex::new(r"^\+44 7[\d ]{10,11}$").unwrap();
    assert!(japan.is_match(bank) || abroad.is_match(bank), "{bank}");
    assert!(
        shown
            .cells
            .iter()
            .filter_map(|c| c.value.as_deref())
            .all(|v| japan.is_match(v) || abroad.is_match(v)),
        "{:?}",
        shown.cells
    );
    assert!(
        cell_matches(&view(first("address")).await, "billingAddress").contains(&Match::Different)
    );
    let name = view(first("name")).await;
    let names = [
        cell_matches(&name, "firstName"),
        cell_matches(&name, "lastName"),
    ]
    .concat();
    assert!(
        names
            .iter()
            .any(|m| matches!(m, Match::Different | Match::EqualAfterNormalisation)),
        "{names:?}"
    );
    assert!(
        cell_matches(&view(first("onenet")).await, "card").contains(&Match::MissingInDirectory)
    );
    let closed = view(first("closed")).await;
    let status = closed
        .rows
        .iter()
        .find(|r| r.field == "status" && r.bank.as_deref() == Some("CLOSED"))
        .expect("a closed card row");
    assert!(
        status
            .cells
            .iter()
            .any(|c| c.value.as_deref() == Some("ENROLLED"))
    );
    // Every row has one cell per directory column.
    assert!(
        closed
            .rows
            .iter()
            .all(|r| r.cells.len() == closed.directories.len())
    );
}

#[tokio::test]
async fn a_card_update_s_preview_lists_its_changes_and_a_consumer_id_is_no_card() {
    let u = upstreams().await;
    let consumer = first("address");
    let view = u.harness.console.consumer_view(&consumer).await.unwrap();
    let card = view
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::BillingAddressDiffers)
        .and_then(|f| f.card_id.clone())
        .unwrap();
    let changes = u
        .harness
        .console
        .update_preview(care::writes::WriteKind::UpdateCard, &card)
        .await
        .unwrap();
    assert!(
        changes.iter().any(|c| c.field == "billingAddress"),
        "{changes:?}"
    );
    // A consumerId given as a card: the bank's search finds the consumer, who has no such card.
    let refused = u
        .harness
        .console
        .update_preview(care::writes::WriteKind::UpdateCard, &consumer)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), care::ErrorCode::NotFound, "{refused}");
}
