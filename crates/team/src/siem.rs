//! The SIEM feed (`c2p team siem`, run by IT next to the database as a service): every record
//! and alert of the team store, as RFC 5424 messages over TLS (RFC 5425 framing) to the bank's
//! syslog collector. Delivery is at least once: a pass sends, waits until the collector's host has
//! acknowledged every byte (the socket's send queue is empty), and only then moves the feed's
//! cursor in the database, so a crash (even one that resets the connection and drops what the
//! kernel still held) sends a message again at worst, under the same message id (chain and seq, or the alert's id). Alerts, role changes and held writes carry a
//! higher severity than ordinary records.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_postgres::Client;
use tokio_rustls::client::TlsStream;
use zeroize::Zeroizing;

use crate::{Error, Result};

/// Records (per chain) and alerts read per pass.
const PASS: i64 = 500;
/// The syslog facility: log audit (13).
const FACILITY: u8 = 13;
/// The structured data's id (32473 is the enterprise number kept for examples).
const SD_ID: &str = "c2p@32473";
/// How long the collector may take to acknowledge a pass before the connection is given up.
const ACKNOWLEDGED_WITHIN: Duration = Duration::from_secs(30);

/// Where the collector listens: `tls://HOST:PORT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collector {
    /// Host name or address (checked against its certificate).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::str::FromStr for Collector {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let invalid = || {
            Error::InvalidInput(format!(
                "{text:?} is not a syslog collector: write tls://HOST:PORT (TLS is required)"
            ))
        };
        let rest = text.strip_prefix("tls://").ok_or_else(invalid)?;
        let (host, port) = rest.rsplit_once(':').ok_or_else(invalid)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(invalid());
        }
        Ok(Collector {
            host: host.to_owned(),
            port: port.parse().map_err(|_| invalid())?,
        })
    }
}

/// The feed's TLS identity towards the collector, from files only the service may read.
pub struct FeedTls {
    /// The CA that signs the collector's certificate (PEM).
    pub ca_pem: String,
    /// The feed's client certificate chain (PEM).
    pub cert_pem: String,
    /// Its private key (PEM).
    pub key_pem: Zeroizing<String>,
}

/// A TLS connection to the collector, verified against the CA, with the feed's certificate.
pub async fn connect_collector(
    collector: &Collector,
    tls: &FeedTls,
) -> Result<TlsStream<TcpStream>> {
    let invalid = |what: &str, e: &dyn std::fmt::Display| {
        Error::InvalidInput(format!("the syslog {what} is not usable: {e}"))
    };
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_slice_iter(tls.ca_pem.as_bytes()) {
        roots
            .add(certificate.map_err(|e| invalid("CA", &e))?)
            .map_err(|e| invalid("CA", &e))?;
    }
    let chain = CertificateDer::pem_slice_iter(tls.cert_pem.as_bytes())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| invalid("client certificate", &e))?;
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes())
        .map_err(|e| invalid("client key", &e))?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| invalid("TLS setting", &e))?
    .with_root_certificates(roots)
    .with_client_auth_cert(chain, key)
    .map_err(|e| invalid("client certificate", &e))?;
    let name = ServerName::try_from(collector.host.clone())
        .map_err(|e| invalid("collector's name", &e))?;
    let tcp = tokio::time::timeout(
        Duration::from_secs(10),
        tokio::net::TcpStream::connect((collector.host.as_str(), collector.port)),
    )
    .await
    .map_err(|_| Error::Refused("the syslog collector did not answer in 10 s".into()))?
    .map_err(|e| Error::Refused(format!("the syslog collector cannot be reached: {e}")))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| Error::Refused(format!("TLS with the syslog collector failed: {e}")))
}

/// A header field of RFC 5424: printable US-ASCII, at most `most` characters, `-` when empty.
fn header(text: &str, most: usize) -> String {
    let field: String = text
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(most)
        .collect();
    if field.is_empty() { "-".into() } else { field }
}

/// Text from a record with its control characters (line breaks among them) made spaces, so
/// that nothing a record holds can start a line or a message of its own downstream.
fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A structured-data parameter's value, escaped (RFC 5424 §6.3.3).
fn param(text: &str) -> String {
    plain(text)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace(']', "\\]")
}

/// One message for the collector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its stable id: `<first 20 of the chain's id>.<seq>` or `alert.<id>`.
    pub msgid: String,
    /// RFC 5424 severity (lower is graver).
    pub severity: u8,
    /// When the centre received it (RFC 3339).
    pub time: String,
    /// The workstation it came from.
    pub host: String,
    /// Structured data, in order.
    pub params: Vec<(&'static str, Option<String>)>,
    /// Free text.
    pub text: String,
}

impl Message {
    /// The message as RFC 5424 text.
    pub fn rfc5424(&self) -> String {
        let params: String = self
            .params
            .iter()
            .filter_map(|(name, value)| {
                value
                    .as_ref()
                    .map(|value| format!(" {name}=\"{}\"", param(value)))
            })
            .collect();
        format!(
            "<{}>1 {} {} c2p-care - {} [{SD_ID}{params}] {}",
            u16::from(FACILITY) * 8 + u16::from(self.severity),
            header(&self.time, 64),
            header(&self.host, 255),
            header(&self.msgid, 32),
            plain(&self.text)
        )
    }

    /// The message framed for TLS transport (RFC 5425: its length, a space, the message).
    pub fn framed(&self) -> String {
        let text = self.rfc5424();
        format!("{} {text}", text.len())
    }
}

/// Severity of a record: a role change or a held write is a warning (4), others a notice (5).
fn record_severity(event: &str) -> u8 {
    match event {
        "emergency_start" | "emergency_write" | "emergency_claim" => 3,
        "policy_change" | "write_held" => 4,
        _ => 5,
    }
}

/// Severity of an alert: the trail refused, changed, begun again or unverifiable is critical
/// (2), emergency mode (writes sent unclaimed) an error (3), others (a clock, a revoked or
/// unknown login) a warning (4).
pub(crate) fn alert_severity(kind: &str) -> u8 {
    match kind {
        "fork"
        | "gap"
        | "bad_hash"
        | "operator"
        | "not_yours"
        | "restart"
        | "redacted"
        | "card_number"
        | "malformed"
        | "flood"
        | "emergency_undeclared" => 2,
        "emergency_start" | "emergency_write" | "emergency_claim" => 3,
        _ => 4,
    }
}

/// The stable id of record `seq` of `chain` (a message id holds 32 characters at most).
pub fn record_msgid(chain: &str, seq: i64) -> String {
    let short: String = chain
        .strip_prefix("chain-")
        .unwrap_or(chain)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect();
    format!("{short}.{seq}")
}

use crate::trail::utc;

/// Where a pass got to: what to note once the messages are out.
#[derive(Default)]
struct Sent {
    chains: Vec<(String, i64)>,
    alerts: Vec<i64>,
}

/// The messages not yet delivered by `feed`: alerts first, then each chain's next records.
async fn pending(client: &Client, feed: &str) -> Result<(Vec<Message>, Sent)> {
    let mut messages = Vec::new();
    let mut sent = Sent::default();
    let alerts = client
        .query(
            &format!(
                "SELECT a.id, {}, a.kind, a.login::text, a.chain_id, a.seq, a.detail
                 FROM c2p.alerts a
                 WHERE NOT EXISTS (SELECT 1 FROM c2p.siem_alerts_sent s
                                   WHERE s.feed = $1 AND s.alert_id = a.id)
                 ORDER BY a.id LIMIT $2",
                utc("a.at")
            ),
            &[&feed, &PASS],
        )
        .await?;
    for row in &alerts {
        let id: i64 = row.get(0);
        let kind: String = row.get(2);
        messages.push(Message {
            msgid: format!("alert.{id}"),
            severity: alert_severity(&kind),
            time: row.get(1),
            host: "-".into(),
            params: vec![
                ("alert", Some(kind.clone())),
                ("login", Some(row.get(3))),
                ("chain", row.get(4)),
                ("seq", row.get::<_, Option<i64>>(5).map(|s| s.to_string())),
            ],
            text: format!("alert {kind}: {}", row.get::<_, String>(6)),
        });
        sent.alerts.push(id);
    }
    let chains = client
        .query(
            "SELECT c.chain_id, coalesce(s.last_seq, 0)
             FROM c2p.chains c
             LEFT JOIN c2p.siem_cursors s ON s.feed = $1 AND s.chain_id = c.chain_id
             WHERE c.last_seq > coalesce(s.last_seq, 0)
             ORDER BY c.chain_id",
            &[&feed],
        )
        .await?;
    for chain in &chains {
        let (chain_id, after): (String, i64) = (chain.get(0), chain.get(1));
        let rows = client
            .query(
                &format!(
                    "SELECT seq, {}, time, operator, role, workstation, event, resource, result,
                            operation_id, correlation_id, login::text
                     FROM c2p.records WHERE chain_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    utc("received_at")
                ),
                &[&chain_id, &after, &PASS],
            )
            .await?;
        let Some(last) = rows.last().map(|r| r.get::<_, i64>(0)) else {
            continue;
        };
        for row in &rows {
            let seq: i64 = row.get(0);
            let event: String = row.get(6);
            let resource: Option<String> = row.get(7);
            let result: String = row.get(8);
            messages.push(Message {
                msgid: record_msgid(&chain_id, seq),
                severity: record_severity(&event),
                time: row.get(1),
                host: row.get(5),
                params: vec![
                    ("chain", Some(chain_id.clone())),
                    ("seq", Some(seq.to_string())),
                    ("operator", Some(row.get(3))),
                    ("role", row.get(4)),
                    ("workstation", Some(row.get(5))),
                    ("login", Some(row.get(11))),
                    ("event", Some(event.clone())),
                    ("resource", resource.clone()),
                    ("result", Some(result.clone())),
                    ("operationId", row.get(9)),
                    ("correlationId", row.get(10)),
                    ("workstationTime", Some(row.get(2))),
                ],
                text: format!("{event} {}: {result}", resource.as_deref().unwrap_or("-")),
            });
        }
        sent.chains.push((chain_id, last));
    }
    Ok((messages, sent))
}

/// One pass: sends what `feed` has not delivered to `out`, waits until the collector's host has
/// acknowledged it, then moves the cursor. Returns how many messages went.
pub async fn pass(client: &mut Client, feed: &str, out: &mut TlsStream<TcpStream>) -> Result<u64> {
    let (messages, sent) = pending(client, feed).await?;
    if messages.is_empty() {
        return Ok(0);
    }
    let mut bytes = Vec::new();
    for message in &messages {
        bytes.extend_from_slice(message.framed().as_bytes());
    }
    let delivery = |e: std::io::Error| Error::Refused(format!("the syslog collector: {e}"));
    out.write_all(&bytes).await.map_err(delivery)?;
    out.flush().await.map_err(delivery)?;
    acknowledged(out.get_ref().0).await.map_err(delivery)?;
    let transaction = client.transaction().await?;
    for (chain, seq) in &sent.chains {
        transaction
            .execute(
                "INSERT INTO c2p.siem_cursors (feed, chain_id, last_seq) VALUES ($1, $2, $3)
                 ON CONFLICT (feed, chain_id) DO UPDATE SET last_seq = excluded.last_seq",
                &[&feed, chain, seq],
            )
            .await?;
    }
    for id in &sent.alerts {
        transaction
            .execute(
                "INSERT INTO c2p.siem_alerts_sent (feed, alert_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
                &[&feed, id],
            )
            .await?;
    }
    transaction.commit().await?;
    Ok(messages.len() as u64)
}

/// Waits until the peer has acknowledged every byte written to `tcp`: what a pass flushed has
/// left this machine and reached the collector's host, so a crash of the feed cannot lose it.
async fn acknowledged(tcp: &TcpStream) -> std::io::Result<()> {
    let deadline = Instant::now() + ACKNOWLEDGED_WITHIN;
    while unacknowledged_bytes(tcp)? > 0 {
        if Instant::now() >= deadline {
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!(
                    "nothing acknowledged in {} s",
                    ACKNOWLEDGED_WITHIN.as_secs()
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}

/// The bytes written to `tcp` that its peer has not acknowledged yet (Linux's `SIOCOUTQ`).
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn unacknowledged_bytes(tcp: &TcpStream) -> std::io::Result<libc::c_int> {
    use std::os::fd::AsRawFd;
    let mut bytes: libc::c_int = 0;
    // SAFETY: SIOCOUTQ (TIOCOUTQ on sockets) writes one c_int through the pointer, which points
    // at a live local; the descriptor is the stream's own and stays open while it is borrowed.
    let status = unsafe { libc::ioctl(tcp.as_raw_fd(), libc::TIOCOUTQ, &mut bytes) };
    if status < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(bytes)
}

/// Elsewhere the feed (a service next to the database, on Linux) relies on the flush alone.
#[cfg(not(target_os = "linux"))]
fn unacknowledged_bytes(_: &TcpStream) -> std::io::Result<i32> {
    Ok(0)
}

/// Everything the feed needs to run.
pub struct Feed {
    /// The team store.
    pub store: crate::Address,
    /// The feed's login and password.
    pub login: String,
    /// Its password.
    pub password: Zeroizing<String>,
    /// The collector.
    pub collector: Collector,
    /// The feed's TLS identity.
    pub tls: FeedTls,
    /// The cursor's name (one per collector).
    pub name: String,
}

/// The longest wait between two tries after a failure.
const MOST_BACKOFF: Duration = Duration::from_secs(30);
/// How often the feed looks for new records when it has caught up.
const LOOK_EVERY: Duration = Duration::from_millis(500);

/// Runs the feed until the process ends: connects to both ends, passes until caught up, then
/// looks again every half second; after any failure, connects again with backoff. `on_pass`
/// hears how many messages each pass sent, and of each failure.
pub async fn follow(feed: &Feed, on_event: &(dyn Fn(std::result::Result<u64, &Error>) + Sync)) {
    let mut backoff = LOOK_EVERY;
    loop {
        let Err(failure) = connected(feed, on_event, &mut backoff).await;
        on_event(Err(&failure));
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MOST_BACKOFF);
    }
}

/// Connects to both ends and passes until something fails.
async fn connected(
    feed: &Feed,
    on_event: &(dyn Fn(std::result::Result<u64, &Error>) + Sync),
    backoff: &mut Duration,
) -> Result<std::convert::Infallible> {
    let mut client = crate::connect(&feed.store, &feed.login, &feed.password).await?;
    let mut out = connect_collector(&feed.collector, &feed.tls).await?;
    loop {
        let sent = pass(&mut client, &feed.name, &mut out).await?;
        on_event(Ok(sent));
        *backoff = LOOK_EVERY;
        if sent == 0 {
            tokio::time::sleep(LOOK_EVERY).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_rfc_5424_with_escaped_structured_data_and_a_short_stable_id() {
        let message = Message {
            msgid: record_msgid("chain-0123456789abcdef0123456789abcdef", 42),
            severity: 5,
            time: "2026-12-06T04:19:07.469Z".into(),
            host: "WS 17".into(),
            params: vec![
                ("event", Some("opt_out_card_outcome".into())),
                ("result", Some(r#"said "no" ] \ done"#.into())),
                ("operationId", None),
            ],
            text: "line one\nline two".into(),
        };
        let text = message.rfc5424();
        assert_eq!(
            text,
            r#"<109>1 2026-12-06T04:19:07.469Z WS17 c2p-care - 0123456789abcdef0123.42 [c2p@32473 event="opt_out_card_outcome" result="said \"no\" \] \\ done"] line one line two"#
        );
        assert!(message.msgid.len() <= 32);
        assert_eq!(message.framed(), format!("{} {text}", text.len()));
    }

    #[test]
    fn only_tls_collectors_are_accepted() {
        let collector: Collector = "tls://127.0.0.1:6514".parse().unwrap();
        assert_eq!(
            (collector.host.as_str(), collector.port),
            ("127.0.0.1", 6514)
        );
        for wrong in [
            "udp://h:514",
            "tcp://h:514",
            "tls://h",
            "tls://:6514",
            "h:6514",
        ] {
            assert!(wrong.parse::<Collector>().is_err(), "{wrong}");
        }
    }
}
