//! One local audit record into the centre, through the store's `c2p.ingest` function: the only
//! write an operator's login may make. The centre accepts a record only as the next of its chain
//! (its `prev_hash` the hash it holds for the previous one), takes a repeat as done, and names a
//! fork, a gap or a record sent for another operator (each an alert for the auditors).

use tokio_postgres::GenericClient;

use crate::{Error, Result};

/// A local audit record as the centre receives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CentralRecord {
    /// The local chain's id (made when it began, kept in its first record).
    pub chain: String,
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The workstation's time (RFC 3339), as hashed.
    pub time: String,
    /// Who acted.
    pub operator: String,
    /// The role in force.
    pub role: Option<String>,
    /// The workstation's name.
    pub workstation: String,
    /// The OS account the chain belongs to.
    pub account: String,
    /// The event's name.
    pub event: String,
    /// The card or consumer concerned.
    pub resource: Option<String>,
    /// The outcome.
    pub result: String,
    /// D1's operationId.
    pub operation_id: Option<String>,
    /// The correlation id.
    pub correlation_id: Option<String>,
    /// The previous record's hash.
    pub prev_hash: String,
    /// This record's hash.
    pub hash: String,
    /// The record's format.
    pub version: i32,
    /// A field held a card number and was redacted: the centre cannot check the hash, keeps
    /// the link, and raises an alert.
    pub redacted: bool,
    /// The workstation's clock when it sent the record (RFC 3339): the centre flags one more
    /// than 5 minutes from its own.
    pub sent_at: String,
}

/// What the centre did with a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Kept: it followed the last record the centre held of its chain.
    Stored,
    /// The centre already held this very record (a repeat after a lost answer).
    Duplicate,
    /// The centre holds a different record at this place of the chain: refused.
    Fork,
    /// It does not follow the last record the centre holds (a record missing before it).
    Gap,
    /// It names another operator than the login's: refused.
    Operator,
    /// Its chain is another operator's: refused.
    NotYours,
    /// Its fields are not what its hash covers (a hash copied onto other content): refused.
    BadHash,
    /// The login was revoked.
    Revoked,
    /// The login is bound to no operator.
    UnknownLogin,
    /// Its chain id is not one a workstation makes, or a field is too long: refused.
    Malformed,
    /// It holds a card number: refused (the number is kept nowhere in the store).
    CardNumber,
}

impl Verdict {
    fn parse(word: &str) -> Result<Self> {
        Ok(match word {
            "stored" => Self::Stored,
            "duplicate" => Self::Duplicate,
            "fork" => Self::Fork,
            "gap" => Self::Gap,
            "operator" => Self::Operator,
            "not_yours" => Self::NotYours,
            "bad_hash" => Self::BadHash,
            "revoked" => Self::Revoked,
            "unknown_login" => Self::UnknownLogin,
            "malformed" => Self::Malformed,
            "card_number" => Self::CardNumber,
            other => return Err(Error::Refused(format!("unknown ingest answer {other:?}"))),
        })
    }

    /// Whether the centre now holds the record.
    pub fn held(self) -> bool {
        matches!(self, Self::Stored | Self::Duplicate)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Stored => "stored",
            Self::Duplicate => "already held",
            Self::Fork => "FORK: the centre holds a different record at this place of the chain",
            Self::Gap => "GAP: a record before it is missing in the centre",
            Self::Operator => "it names another operator than this login's",
            Self::NotYours => "its chain belongs to another operator's login",
            Self::BadHash => "its fields do not match its hash",
            Self::Revoked => "this login was revoked",
            Self::UnknownLogin => "this login is bound to no operator",
            Self::Malformed => "its chain id or a field is not one a workstation makes",
            Self::CardNumber => "it holds a card number",
        })
    }
}

/// Sends `records` (in chain order) to the centre in one call, on a connection or inside a
/// transaction; returns each one's verdict, in order, up to and with the first not held (the
/// centre stops there).
pub async fn ingest_batch(
    client: &impl GenericClient,
    records: &[CentralRecord],
) -> Result<Vec<Verdict>> {
    let json = serde_json::to_string(records)
        .map_err(|e| Error::InvalidInput(format!("a record cannot be sent: {e}")))?;
    let row = client
        .query_one("SELECT c2p.ingest($1::text::jsonb)", &[&json])
        .await?;
    row.get::<_, Vec<String>>(0)
        .iter()
        .map(|word| Verdict::parse(word))
        .collect()
}

/// Sends one `record` to the centre (see [`ingest_batch`]).
pub async fn ingest(client: &impl GenericClient, record: &CentralRecord) -> Result<Verdict> {
    ingest_batch(client, std::slice::from_ref(record))
        .await?
        .pop()
        .ok_or_else(|| Error::Refused("the centre answered nothing for the record".into()))
}
