//! Findings on the seeded consumers, read for real: the bank's record from the sandbox's
//! issuer-records API and the profiles through `d1::Client`, both over mTLS.

use std::time::Duration;

use care::findings::{FindingKind, findings};
use care::records::IssuerConsumer;
use d1::{Call, Client, Config, ConsumerId, Identity, IssuerId, Secret, Trust};
use d1_sandbox::{Sandbox, SandboxConfig};

struct Upstreams {
    sandbox: Sandbox,
    d1: Client,
    records: reqwest::Client,
}

async fn upstreams() -> Upstreams {
    let sandbox = Sandbox::start(SandboxConfig {
        consumers: 100,
        op_delay: Duration::ZERO,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let c = sandbox.credentials();
    let identity = Identity {
        client_chain_pem: c.client_chain_pem.clone(),
        client_key_pem: Secret::from(c.client_key_pem.clone()),
        signing_key_pem: Secret::from(c.signing_key_pem.clone()),
    };
    let config = Config::new(
        sandbox.base_url(),
        sandbox.token_url(),
        IssuerId::new(&c.issuer_id).unwrap(),
        &c.kid,
        Trust::OnlyCa(vec![c.server_ca_pem.clone()]),
    );
    let d1 = Client::new(config, &identity).unwrap();
    let records = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(c.server_ca_pem.as_bytes()).unwrap()])
        .identity(
            reqwest::Identity::from_pem(
                format!("{}{}", c.client_chain_pem, c.client_key_pem).as_bytes(),
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    Upstreams {
        sandbox,
        d1,
        records,
    }
}

impl Upstreams {
    async fn kinds(&self, consumer_id: &str) -> Vec<FindingKind> {
        let url = format!(
            "{}/consumers/{consumer_id}",
            self.sandbox.issuer_records_url()
        );
        let response = self
            .records
            .get(url)
            .bearer_auth(&self.sandbox.credentials().issuer_api_key)
            .send()
            .await
            .unwrap();
        let bank: Option<IssuerConsumer> = if response.status() == 404 {
            None
        } else {
            Some(response.json().await.unwrap())
        };
        let profiles = self
            .d1
            .profiles(&ConsumerId::new(consumer_id).unwrap(), Call::default())
            .await
            .unwrap()
            .value;
        let mut kinds: Vec<FindingKind> = findings(bank.as_ref(), &profiles)
            .into_iter()
            .map(|f| f.kind)
            .collect();
        kinds.dedup();
        kinds
    }
}

fn first(slug: &str) -> String {
    let population = d1_sandbox::seed::generate(1, 100);
    population
        .bank
        .keys()
        .find(|id| id.ends_with(&format!("-{slug}")))
        .unwrap()
        .clone()
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
}

#[tokio::test]
async fn a_failing_directory_is_not_judged() {
    let u = upstreams().await;
    u.sandbox.set_faults(vec![d1_sandbox::faults::Fault {
        endpoints: vec![d1_sandbox::faults::Endpoint::Profiles],
        failing_directory: Some(d1_sandbox::model::Scheme::Visa),
        ..Default::default()
    }]);
    let kinds = u.kinds(&first("ok")).await;
    assert_eq!(
        kinds,
        [],
        "Visa cards are not reported as not enrolled while Visa is down"
    );
}
