//! `c2p team`: the team store's administration (IT, role admin, with the database owner's
//! account), this operator's login, and forwarding the audit trail. Passwords are read from
//! files, never from the command line or the environment.

use std::path::Path;

use care::console::Console;
use zeroize::Zeroizing;

use crate::args::{OwnerArgs, TeamCommand};
use crate::exit::Outcome;

/// A password from the first line of `path`.
fn password(path: &Path, what: &str) -> care::Result<Zeroizing<String>> {
    let text = Zeroizing::new(care::credentials::read_text(path, what)?);
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(care::Error::InvalidInput(format!(
            "{} holds no password on its first line",
            path.display()
        )));
    }
    Ok(Zeroizing::new(line.to_owned()))
}

fn owner(args: &OwnerArgs) -> care::Result<(String, Zeroizing<String>)> {
    Ok((
        args.owner.clone(),
        password(&args.owner_password_file, "the owner's password file")?,
    ))
}

pub async fn run(console: &Console, command: TeamCommand) -> Outcome {
    match command {
        TeamCommand::Init { owner: args } => {
            let (login, secret) = owner(&args)?;
            let applied = console.team_init(&login, &secret).await?;
            match applied.is_empty() {
                true => say!("team store already up to date"),
                false => say!("team store ready: schema versions {applied:?} applied"),
            }
        }
        TeamCommand::AddLogin {
            login,
            operator,
            auditor,
            password_file,
            owner: args,
        } => {
            let (owner_login, owner_secret) = owner(&args)?;
            let secret = password(&password_file, "the login's password file")?;
            console
                .team_add_login(
                    (&owner_login, &owner_secret),
                    &login,
                    &secret,
                    &operator,
                    auditor,
                )
                .await?;
            say!(
                "login {login} made for {operator}; next, on the operator's computer: c2p team import-credentials --login {login} --password-file FILE"
            );
        }
        TeamCommand::Revoke { login, owner: args } => {
            let (owner_login, owner_secret) = owner(&args)?;
            console
                .team_revoke((&owner_login, &owner_secret), &login)
                .await?;
            say!("login {login} revoked: it can no longer log in, and its sessions ended");
        }
        TeamCommand::ImportCredentials {
            login,
            password_file,
        } => {
            let secret = password(&password_file, "the login's password file")?;
            console.import_team_credentials(&login, &secret).await?;
            say!("team store login {login} checked and stored in the keychain");
        }
        TeamCommand::Forward => {
            let sent = console.forward_audit_now().await?;
            say!("{sent} audit records sent to the team store");
        }
    }
    Ok(())
}
