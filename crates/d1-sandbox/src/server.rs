//! The HTTPS server: mutual TLS with rustls (aws-lc-rs), HTTP/2 and HTTP/1.1, and the routes.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{MethodRouter, delete, get, post};
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;

use crate::faults::Endpoint;
use crate::pki::Pki;
use crate::state::Shared;
use crate::stats::{Counting, Stats};
use crate::{admin, banking, faults, gateway, issuer, wire};

/// The routes of the token endpoint, the banking API, the issuer-records API, the merchant
/// gateways' eCom Enablement API and the admin endpoint. Fault rules apply per route, after authentication.
pub fn router(shared: Arc<Shared>) -> Router {
    let faulty = |endpoint: Endpoint, route: MethodRouter<Arc<Shared>>| {
        route.layer(axum::middleware::from_fn_with_state(
            (shared.clone(), endpoint),
            faults::apply::<Shared>,
        ))
    };
    let issuers = "/banking/v1/issuers/{issuer_id}";
    let consumers = format!("{issuers}/consumers/{{consumer_id}}");
    let cards = format!("{issuers}/cards/{{card_id}}");
    let tokens = format!("{issuers}/{}/{{digital_card_id}}", wire::DIGITAL_CARDS);
    let banking = Router::new()
        .route(
            &format!("{consumers}/{}", wire::PROFILES),
            faulty(Endpoint::Profiles, get(banking::profiles)),
        )
        .route(
            &format!("{cards}/operations:clickToPayEnrolment"),
            faulty(Endpoint::Enrol, post(banking::enrol)),
        )
        .route(
            &format!("{cards}/operations:clickToPayUpdate"),
            faulty(Endpoint::UpdateCard, post(banking::update_card)),
        )
        .route(
            &format!("{cards}/{}", wire::OPT_OUT),
            faulty(Endpoint::OptOutCard, post(banking::opt_out_card)),
        )
        .route(
            &format!("{cards}/{}", wire::OPERATIONS),
            faulty(Endpoint::Operations, get(banking::card_operations)),
        )
        .route(
            &format!("{consumers}/operations:clickToPayUpdate"),
            faulty(Endpoint::UpdateConsumer, post(banking::update_consumer)),
        )
        .route(
            &format!("{consumers}/{}", wire::OPT_OUT),
            faulty(Endpoint::OptOutConsumer, post(banking::opt_out_consumer)),
        )
        .route(
            &format!("{consumers}/{}", wire::OPERATIONS),
            faulty(Endpoint::Operations, get(banking::consumer_operations)),
        )
        .route(
            &format!("{consumers}/{}/{{operation_id}}", wire::OPERATIONS),
            faulty(Endpoint::Operations, get(banking::consumer_operation)),
        )
        .route(
            &format!("{cards}/{}", wire::DIGITAL_CARDS),
            faulty(Endpoint::DigitalCards, get(banking::digital_cards)),
        )
        .route(
            &tokens,
            faulty(Endpoint::DigitalCards, get(banking::digital_card)),
        )
        .route(
            &format!("{tokens}/{}", wire::OPERATIONS),
            faulty(
                Endpoint::DigitalCards,
                get(banking::digital_card_operations),
            ),
        )
        .route(
            &format!("{tokens}/{}", wire::SUSPEND),
            faulty(Endpoint::DigitalCardWrites, post(banking::suspend)),
        )
        .route(
            &format!("{tokens}/{}", wire::RESUME),
            faulty(Endpoint::DigitalCardWrites, post(banking::resume)),
        )
        .route(
            &format!("{tokens}/{}", wire::DELETE),
            faulty(Endpoint::DigitalCardWrites, post(banking::delete)),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            banking::require_token,
        ));
    let records = Router::new()
        .route(
            "/issuer/v1/consumers",
            faulty(Endpoint::IssuerRecords, get(issuer::search)),
        )
        .route(
            "/issuer/v1/consumers/{consumer_id}",
            faulty(Endpoint::IssuerRecords, get(issuer::consumer)),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            issuer::require_api_key,
        ));
    let gateway_tokens = format!("{}{}", wire::ECOM_BASE, wire::GATEWAY_TOKENS);
    let gateway = Router::new()
        .route(
            &gateway_tokens,
            faulty(Endpoint::GatewayWrites, post(gateway::tokenize))
                .merge(faulty(Endpoint::GatewayTokens, get(gateway::tokens))),
        )
        .route(
            &format!("{gateway_tokens}/{{token_id}}"),
            faulty(Endpoint::GatewayTokens, get(gateway::token))
                .merge(faulty(Endpoint::GatewayWrites, delete(gateway::delete))),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            gateway::require_gateway,
        ));
    let admin = Router::new()
        .route(
            "/admin/v1/faults",
            get(admin::get_faults)
                .put(admin::put_faults)
                .delete(admin::clear_faults),
        )
        .route("/admin/v1/tokens:revoke", post(admin::revoke_tokens))
        .route("/admin/v1/cards/{card_id}", delete(admin::delete_card))
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            admin::require_admin_token,
        ));
    Router::new()
        .route(
            "/authz/v1/oauth2/token",
            faulty(Endpoint::Token, post(banking::token)).layer(
                axum::middleware::from_fn_with_state(shared.clone(), banking::count_token_request),
            ),
        )
        .merge(banking)
        .merge(records)
        .merge(gateway)
        .merge(admin)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            stamp_date,
        ))
        .with_state(shared)
}

/// Dates every answer on the sandbox's clock (which may be set off), as a server's `Date`.
async fn stamp_date(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    let now = std::time::SystemTime::from(chrono::Utc::now() + shared.clock_offset);
    if let Ok(date) = axum::http::HeaderValue::from_str(&httpdate::fmt_http_date(now)) {
        response
            .headers_mut()
            .insert(axum::http::header::DATE, date);
    }
    response
}

/// The TLS configuration: TLS 1.2/1.3, the server certificate, and a client certificate
/// signed by the sandbox's client CA required on every connection.
pub fn tls_config(
    pki: &Pki,
) -> Result<rustls::ServerConfig, Box<dyn std::error::Error + Send + Sync>> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(pki.client_ca.clone())?;
    let verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build()?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![pki.server_cert.clone()], pki.server_key_der())?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves `router` over mutual TLS on `listener` until `handle` shuts it down, counting
/// connections in `stats`.
pub async fn serve(
    listener: std::net::TcpListener,
    config: rustls::ServerConfig,
    router: Router,
    handle: axum_server::Handle<SocketAddr>,
    stats: Arc<Stats>,
) -> std::io::Result<()> {
    // Without NoDelayAcceptor every new HTTP/2 connection stalls ~40 ms (STACK.md).
    let tcp = Counting {
        inner: NoDelayAcceptor::new(),
        stats,
    };
    let acceptor = RustlsAcceptor::new(RustlsConfig::from_config(Arc::new(config))).acceptor(tcp);
    axum_server::from_tcp(listener)?
        .acceptor(acceptor)
        .handle(handle)
        .serve(router.into_make_service())
        .await
}
