//! Retention (`c2p team retention`, run by IT with the database owner's account, from a timer):
//! the trail's monthly partitions older than the online period are detached and exported to
//! files with their SHA-256, and a detached partition is dropped only once it is older than the
//! retention and its export is on disk and matches its checksum. Before a month goes offline,
//! each chain's last record in it is kept as an anchor, so that ingest and `verify --team` still
//! see continuous chains.

use std::path::{Path, PathBuf};

use aws_lc_rs::digest::{Context, SHA256};
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio_postgres::Client;

use crate::{Error, Result};

/// How long the trail stays online, and how long it is kept at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// Months before the current one that stay attached (default 3).
    pub online_months: u32,
    /// Months after which a detached partition is dropped (default 12).
    pub retention_months: u32,
}

impl Default for Periods {
    fn default() -> Self {
        Periods {
            online_months: 3,
            retention_months: 12,
        }
    }
}

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// Partitions detached now (`records_YYYY_MM`).
    pub detached: Vec<String>,
    /// Exports written now: the file and its SHA-256.
    pub exported: Vec<(PathBuf, String)>,
    /// Partitions dropped now.
    pub dropped: Vec<String>,
}

/// One month's partition: its name and first day.
struct Partition {
    name: String,
    month: String,
}

/// The months' partitions, attached (`true`) or detached, oldest first, older than `months`
/// before the current month.
async fn partitions(owner: &Client, attached: bool, months: u32) -> Result<Vec<Partition>> {
    let months =
        i32::try_from(months).map_err(|_| Error::InvalidInput("too many months".into()))?;
    let rows = owner
        .query(
            "SELECT c.relname::text, to_date(substr(c.relname, 9), 'YYYY_MM')::text
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'c2p' AND c.relkind = 'r' AND c.relname ~ '^records_[0-9]{4}_[0-9]{2}$'
               AND EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid) = $1
               AND to_date(substr(c.relname, 9), 'YYYY_MM')
                   < date_trunc('month', now()) - make_interval(months => $2)
             ORDER BY c.relname",
            &[&attached, &months],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|row| Partition {
            name: row.get(0),
            month: row.get(1),
        })
        .collect())
}

/// Detaches the partitions older than the online period, each with its chains' anchors in
/// the same transaction.
async fn detach(owner: &mut Client, periods: Periods, report: &mut Report) -> Result<()> {
    for partition in partitions(owner, true, periods.online_months).await? {
        let transaction = owner.transaction().await?;
        // A month a SIEM feed has not sent in full stays online: the feed reads only what is.
        let unsent: bool = transaction
            .query_one(
                &format!(
                    "SELECT EXISTS (
                       SELECT 1 FROM (SELECT DISTINCT feed FROM c2p.siem_cursors) f
                       CROSS JOIN (SELECT chain_id, max(seq) AS top FROM c2p.{}
                                   GROUP BY chain_id) r
                       LEFT JOIN c2p.siem_cursors s ON s.feed = f.feed AND s.chain_id = r.chain_id
                       WHERE s.last_seq IS NULL OR s.last_seq < r.top)",
                    partition.name
                ),
                &[],
            )
            .await?
            .get(0);
        if unsent {
            return Err(Error::Refused(format!(
                "{} is not yet sent in full by the SIEM feed: it stays online; run retention again once the feed has caught up",
                partition.name
            )));
        }
        transaction
            .execute(
                &format!(
                    "INSERT INTO c2p.anchors (chain_id, month, seq, hash)
                     SELECT DISTINCT ON (chain_id) chain_id, $1::text::date, seq, hash
                     FROM c2p.{} ORDER BY chain_id, seq DESC
                     ON CONFLICT DO NOTHING",
                    partition.name
                ),
                &[&partition.month],
            )
            .await?;
        // Detached, it keeps the parent's guards of its own.
        transaction
            .batch_execute(&format!(
                "ALTER TABLE c2p.records DETACH PARTITION c2p.{name};
                 SELECT c2p.append_only('c2p.{name}');",
                name = partition.name
            ))
            .await?;
        transaction.commit().await?;
        report.detached.push(partition.name);
    }
    Ok(())
}

/// The SHA-256 (hex) of the file at `path`.
fn checksum(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::InvalidInput(format!("{}: {e}", path.display())))?;
    let mut context = Context::new(&SHA256);
    context.update(&bytes);
    Ok(hex::encode(context.finish().as_ref()))
}

/// The export of `name` in `dir`, and its checksum file.
fn export_files(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    (
        dir.join(format!("{name}.csv")),
        dir.join(format!("{name}.csv.sha256")),
    )
}

/// Whether `name`'s export is in `dir` and matches its checksum file.
fn exported(dir: &Path, name: &str) -> Result<bool> {
    let (file, sum) = export_files(dir, name);
    let Ok(recorded) = std::fs::read_to_string(&sum) else {
        return Ok(false);
    };
    Ok(file.exists() && recorded.split_whitespace().next() == Some(checksum(&file)?.as_str()))
}

/// Exports every detached partition not yet exported: CSV with a header, written whole (a
/// temporary file renamed), then its SHA-256 in `sha256sum`'s format.
async fn export(owner: &Client, dir: &Path, report: &mut Report) -> Result<()> {
    let io =
        |path: &Path, e: std::io::Error| Error::InvalidInput(format!("{}: {e}", path.display()));
    for partition in partitions(owner, false, 0).await? {
        if exported(dir, &partition.name)? {
            continue;
        }
        let (file, sum) = export_files(dir, &partition.name);
        let partial = dir.join(format!("{}.csv.partial", partition.name));
        // Readable by the account running retention alone.
        let mut out = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&partial)
            .await
            .map_err(|e| io(&partial, e))?;
        let stream = owner
            .copy_out(&format!(
                "COPY (SELECT * FROM c2p.{} ORDER BY chain_id, seq) TO STDOUT (FORMAT csv, HEADER)",
                partition.name
            ))
            .await?;
        futures_util::pin_mut!(stream);
        while let Some(chunk) = stream.next().await {
            out.write_all(&chunk?).await.map_err(|e| io(&partial, e))?;
        }
        out.sync_all().await.map_err(|e| io(&partial, e))?;
        drop(out);
        std::fs::rename(&partial, &file).map_err(|e| io(&file, e))?;
        let digest = checksum(&file)?;
        let line = format!("{digest}  {}.csv\n", partition.name);
        std::fs::write(&sum, line).map_err(|e| io(&sum, e))?;
        report.exported.push((file, digest));
    }
    Ok(())
}

/// Drops the detached partitions older than the retention whose export is on disk and sound.
async fn drop_expired(
    owner: &Client,
    dir: &Path,
    periods: Periods,
    report: &mut Report,
) -> Result<()> {
    for partition in partitions(owner, false, periods.retention_months).await? {
        if !exported(dir, &partition.name)? {
            return Err(Error::Refused(format!(
                "{} is past the retention but its export in {} is missing or does not match its checksum: it stays",
                partition.name,
                dir.display()
            )));
        }
        owner
            .batch_execute(&format!("DROP TABLE c2p.{}", partition.name))
            .await?;
        report.dropped.push(partition.name);
    }
    Ok(())
}

/// One run: detach, export, drop (each step safe to run again after a failure).
pub async fn run(owner: &mut Client, dir: &Path, periods: Periods) -> Result<Report> {
    if periods.retention_months < periods.online_months {
        return Err(Error::InvalidInput(
            "the retention cannot be shorter than the online period".into(),
        ));
    }
    let mut report = Report::default();
    detach(owner, periods, &mut report).await?;
    export(owner, dir, &mut report).await?;
    drop_expired(owner, dir, periods, &mut report).await?;
    Ok(report)
}
