//! `c2p team`: the team store's administration (IT, role admin, with the database owner's
//! account), this operator's login, and forwarding the audit trail. Passwords are read from
//! files, never from the command line or the environment.

use std::path::Path;

use care::console::{Console, LoginFor};
use zeroize::Zeroizing;

use crate::args::{
    ClaimCommand, EmergencyCommand, OwnerArgs, RetentionArgs, SiemArgs, TeamCommand,
};
use crate::exit::Outcome;

/// A password from the first line of `path`, a file only this account may read.
fn password(path: &Path, what: &str) -> care::Result<Zeroizing<String>> {
    team::private_file::read_password(path, what).map_err(care::Error::from)
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
            fraud,
            siem,
            password_file,
            owner: args,
        } => {
            let (owner_login, owner_secret) = owner(&args)?;
            let secret = password(&password_file, "the login's password file")?;
            let holder = match (&operator, siem) {
                (Some(id), false) => LoginFor::Operator { id, auditor, fraud },
                _ => LoginFor::Feed,
            };
            console
                .team_add_login((&owner_login, &owner_secret), &login, &secret, holder)
                .await?;
            match operator {
                Some(operator) => say!(
                    "login {login} made for {operator}{}; next, on the operator's computer: c2p team import-credentials --login {login} --password-file FILE",
                    match (auditor, fraud) {
                        (true, _) => " (auditor: reads the whole team's trail)",
                        (_, true) => " (fraud team: runs the team's batches)",
                        _ => "",
                    }
                ),
                None => say!(
                    "login {login} made for the SIEM feed; next, on the feed's server: c2p team siem --login {login} --password-file FILE …"
                ),
            }
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
        TeamCommand::Emergency { command } => match command {
            Some(EmergencyCommand::Start { reason }) => {
                let emergency = console.emergency_start(&reason)?;
                say!(
                    "emergency mode until {}: while the team store cannot be reached, your writes go out unclaimed, each flagged in the trail and raised as an alert",
                    emergency.until
                );
            }
            Some(EmergencyCommand::End) => match console.emergency_end()? {
                true => say!("emergency mode ended: writes wait for the team store again"),
                false => say!("emergency mode was not running"),
            },
            None => match console.emergency()? {
                Some(emergency) => say!(
                    "emergency mode until {}, declared by {} at {}: {}",
                    emergency.until,
                    emergency.operator,
                    emergency.started_at,
                    emergency.reason
                ),
                None => say!("emergency mode is not running"),
            },
        },
        // `main` runs these services before any console is opened.
        TeamCommand::Siem(_) | TeamCommand::Retention(_) => {
            return Err(crate::exit::usage(
                "c2p team siem and retention run on their own, without a console",
            ));
        }
    }
    Ok(())
}

/// `c2p team siem`: the feed, until the process is stopped. It needs no console of its own: the
/// team store's address comes from the administrators' policy, its secrets from its files.
pub async fn siem(policy: &care::policy::PolicyPaths, args: SiemArgs) -> Outcome {
    let store = care::policy::team_address(policy)?;
    let feed = team::siem::Feed {
        store,
        password: password(&args.password_file, "the feed's password file")?,
        login: args.login,
        collector: args.syslog.parse().map_err(care::Error::from)?,
        tls: team::siem::FeedTls {
            ca_pem: care::credentials::read_text(&args.syslog_ca, "the collector's CA")?,
            cert_pem: care::credentials::read_text(&args.client_cert, "the feed's certificate")?,
            key_pem: team::private_file::read_private(&args.client_key, "the feed's key")
                .map_err(care::Error::from)?,
        },
        name: args.feed,
    };
    say!(
        "SIEM feed {:?}: from the team store to tls://{}:{}",
        feed.name,
        feed.collector.host,
        feed.collector.port
    );
    team::siem::follow(&feed, &|event| match event {
        Ok(0) => {}
        Ok(sent) => say!("sent {sent} messages"),
        Err(error) => eprintln!("the feed stopped ({error}); trying again"),
    })
    .await;
    Ok(())
}

/// `c2p team retention`: one run, as the database owner.
pub async fn retention(policy: &care::policy::PolicyPaths, args: RetentionArgs) -> Outcome {
    let store = care::policy::team_address(policy)?;
    let (login, secret) = owner(&args.owner)?;
    let mut client = team::connect(&store, &login, &secret)
        .await
        .map_err(care::Error::from)?;
    let periods = team::retention::Periods {
        online_months: args.online_months,
        retention_months: args.retention_months,
    };
    let report = team::retention::run(&mut client, &args.out, periods)
        .await
        .map_err(care::Error::from)?;
    for name in &report.detached {
        say!("detached {name} (its chains' last records kept as anchors)");
    }
    for (file, digest) in &report.exported {
        say!("exported {} (sha256 {digest})", file.display());
    }
    for name in &report.dropped {
        say!("dropped {name}: past the retention, its export sound");
    }
    if report == team::retention::Report::default() {
        say!("nothing to do");
    }
    Ok(())
}

/// `c2p claim release`.
pub async fn claim(console: &Console, command: ClaimCommand) -> Outcome {
    let ClaimCommand::Release {
        id,
        reason,
        owner: args,
    } = command;
    let (login, secret) = owner(&args)?;
    console
        .claim_release((&login, &secret), id, &reason)
        .await?;
    say!("claim {id} released: its card or consumer can be written again");
    Ok(())
}
