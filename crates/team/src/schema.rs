//! The team store's schema and roles, created and upgraded by `c2p team init` (run once by IT
//! with the database owner's account): versioned migrations applied in one transaction under an
//! advisory lock, each once. Logins are made and revoked here too, each bound to one operator.

use tokio_postgres::Client;

use crate::{Error, Result};

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_audit.sql")),
    (2, include_str!("../migrations/0002_verify.sql")),
    (3, include_str!("../migrations/0003_siem.sql")),
    (4, include_str!("../migrations/0004_claims.sql")),
    (5, include_str!("../migrations/0005_tokens.sql")),
];

/// Brings the schema to the newest version; returns the versions applied now (none when it
/// already was).
pub async fn init(owner: &mut Client) -> Result<Vec<i32>> {
    let transaction = owner.transaction().await?;
    // One init at a time, whoever runs it.
    transaction
        .execute(
            "SELECT pg_advisory_xact_lock(hashtext('c2p team init'))",
            &[],
        )
        .await?;
    transaction
        .batch_execute(
            "CREATE SCHEMA IF NOT EXISTS c2p;
             CREATE TABLE IF NOT EXISTS c2p.migrations (
               version integer PRIMARY KEY,
               applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .await?;
    let done: Vec<i32> = transaction
        .query("SELECT version FROM c2p.migrations", &[])
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
    let mut applied = Vec::new();
    for (version, sql) in MIGRATIONS {
        if done.contains(version) {
            continue;
        }
        transaction.batch_execute(sql).await?;
        transaction
            .execute(
                "INSERT INTO c2p.migrations (version) VALUES ($1)",
                &[version],
            )
            .await?;
        applied.push(*version);
    }
    transaction.commit().await?;
    Ok(applied)
}

/// Whether `name` can be a login: letters, digits and `_`, starting with a letter, at most 63.
fn valid_login(name: &str) -> Result<()> {
    let valid = (1..=63).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    match valid {
        true => Ok(()),
        false => Err(Error::InvalidInput(format!(
            "{name:?} cannot be a login: use lower-case letters, digits and _, starting with a letter"
        ))),
    }
}

/// Makes role `login` (SCRAM `password`) in group `group`, inside `transaction`.
async fn create_login(
    transaction: &tokio_postgres::Transaction<'_>,
    login: &str,
    password: &str,
    group: &str,
) -> Result<()> {
    valid_login(login)?;
    // The server gets the SCRAM verifier, never the password itself (so no statement log can
    // hold it).
    let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
    // Identifiers cannot be bound: the name was checked above, and the server quotes both
    // (format %I, %L).
    // A few sessions each, and no statement or lock wait running for ever: one workstation
    // cannot tie up the store.
    let statement: String = transaction
        .query_one(
            "SELECT format('CREATE ROLE %I LOGIN PASSWORD %L CONNECTION LIMIT 8 IN ROLE %I;
                            ALTER ROLE %I SET statement_timeout = ''60s'';
                            ALTER ROLE %I SET lock_timeout = ''10s''',
                           $1::text, $2::text, $3::text, $1::text, $1::text)",
            &[&login, &verifier, &group],
        )
        .await?
        .get(0);
    transaction.batch_execute(&statement).await?;
    Ok(())
}

/// Makes operator login `login` a fraud team member's: it makes, runs, takes over and steers
/// the team's batches (the console checks the role too).
pub async fn grant_fraud(owner: &mut Client, login: &str) -> Result<()> {
    valid_login(login)?;
    let statement: String = owner
        .query_one(
            "SELECT format('GRANT c2p_fraud TO %I', $1::text)",
            &[&login],
        )
        .await?
        .get(0);
    owner.batch_execute(&statement).await?;
    Ok(())
}

/// Makes the SIEM feed's `login` (SCRAM `password`): it reads every record and alert and keeps
/// its cursor; it cannot send records.
pub async fn add_feed_login(owner: &mut Client, login: &str, password: &str) -> Result<()> {
    let transaction = owner.transaction().await?;
    create_login(&transaction, login, password, "c2p_siem").await?;
    transaction.commit().await?;
    Ok(())
}

/// Makes `login` (SCRAM `password`) for `operator`, an auditor when `auditor`.
pub async fn add_login(
    owner: &mut Client,
    login: &str,
    password: &str,
    operator: &str,
    auditor: bool,
) -> Result<()> {
    if operator.trim().is_empty() {
        return Err(Error::InvalidInput("the operator id is empty".into()));
    }
    let transaction = owner.transaction().await?;
    let group = if auditor {
        "c2p_auditor"
    } else {
        "c2p_operator"
    };
    create_login(&transaction, login, password, group).await?;
    transaction
        .execute(
            "INSERT INTO c2p.logins (login, operator) VALUES ($1, $2)",
            &[&login, &operator],
        )
        .await?;
    transaction.commit().await?;
    Ok(())
}

/// Ends `login`'s access (a lost laptop, a leaver): it can no longer log in, its sessions end,
/// and what it sends from a session still open is refused.
pub async fn revoke(owner: &mut Client, login: &str) -> Result<()> {
    valid_login(login)?;
    let transaction = owner.transaction().await?;
    let changed = transaction
        .execute(
            "UPDATE c2p.logins SET revoked_at = now() WHERE login = $1 AND revoked_at IS NULL",
            &[&login],
        )
        .await?;
    // Or the SIEM feed's login, which is no operator's.
    let feed: bool = transaction
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin
                            AND pg_has_role(rolname, 'c2p_siem', 'MEMBER'))",
            &[&login],
        )
        .await?
        .get(0);
    if changed == 0 && !feed {
        return Err(Error::InvalidInput(format!("no active login {login}")));
    }
    let statement: String = transaction
        .query_one(
            "SELECT format('ALTER ROLE %I NOLOGIN', $1::text)",
            &[&login],
        )
        .await?
        .get(0);
    transaction.batch_execute(&statement).await?;
    // Committed first: a session that reconnects now is refused, and what an open one still
    // sends is refused too (the login is marked revoked).
    transaction.commit().await?;
    // Then its open sessions end (the owner needs pg_signal_backend, or to be a superuser).
    owner
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
            &[&login],
        )
        .await
        .map_err(|e| {
            Error::Refused(format!(
                "{login} is revoked, but its open sessions could not be ended ({e}): grant the owner pg_signal_backend, or end them by hand"
            ))
        })?;
    Ok(())
}
