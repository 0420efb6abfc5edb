//! `c2p env`: the environments, their credentials in the OS keychain, and the connection test.

use care::console::Console;
use care::credentials::{ImportRequest, MtlsSource};
use care::environments::{Environment, EnvironmentForm};

use crate::args::EnvCommand;
use crate::exit::{self, Failure, Outcome, usage};
use crate::prompt::passphrase;
use crate::render;

pub async fn run(console: &Console, command: EnvCommand) -> Outcome {
    match command {
        EnvCommand::List => {
            render::environments(&console.environments().await?);
            if let Err(error) = console.keychain_status() {
                eprintln!("warning: {error}");
            }
            Ok(())
        }
        EnvCommand::Add {
            name,
            from_sandbox,
            base_url,
            token_url,
            records_url,
            issuer_id,
            kid,
            ca,
            country,
        } => {
            let environment = match from_sandbox {
                Some(dir) => Environment {
                    country,
                    ..Environment::from_sandbox_state(&name, &dir)?
                },
                None => EnvironmentForm {
                    name: name.clone(),
                    base_url: base_url.unwrap_or_default(),
                    token_url: token_url.unwrap_or_default(),
                    issuer_records_url: records_url.unwrap_or_default(),
                    issuer_id: issuer_id.unwrap_or_default(),
                    kid: kid.unwrap_or_default(),
                    ca_file: ca.map(|path| path.display().to_string()),
                    country,
                }
                .into_environment()?,
            };
            console.add_environment(environment)?;
            say!("environment {name} added; next: c2p env import-credentials {name} …");
            Ok(())
        }
        EnvCommand::ImportCredentials {
            name,
            cert,
            key,
            p12,
            signing_key,
            api_key_file,
        } => {
            let mtls = match (cert, key, p12) {
                (Some(chain), Some(key), None) => MtlsSource::Pem { chain, key },
                (None, None, Some(bundle)) => MtlsSource::Pkcs12 {
                    bundle,
                    passphrase: passphrase::read_unless_interrupted("PKCS#12 passphrase: ")
                        .await
                        .map_err(|e| usage(format!("cannot read the passphrase: {e}")))?
                        .ok_or_else(|| {
                            Failure::new(exit::CANCELLED, "cancelled: nothing was imported")
                        })?,
                },
                _ => return Err(usage("give --cert and --key, or --p12")),
            };
            let request = ImportRequest {
                mtls,
                signing_key,
                issuer_api_key: care::credentials::read_api_key(&api_key_file)?,
            };
            let (subject, not_after) = console.import_credentials(&name, request).await?;
            say!(
                "credentials for {name} stored in the OS keychain ({subject}, certificate valid until {not_after})"
            );
            say!("the source files were not copied: keep or destroy them as your policy says");
            Ok(())
        }
        EnvCommand::Test { name } => {
            let name = match name {
                Some(name) => name,
                None => active(console).await?,
            };
            let steps = console.test_connection(&name).await?;
            render::steps(&steps);
            match steps.iter().all(|s| s.ok) {
                true => Ok(()),
                false => Err(Failure::new(
                    exit::FAILED,
                    format!("environment {name}: the connection test failed"),
                )),
            }
        }
        EnvCommand::Use { name } => {
            console.use_environment(&name).await?;
            say!("now using {name}");
            Ok(())
        }
        EnvCommand::RemoveCredentials { name } => {
            console.remove_credentials(&name).await?;
            say!("credentials for {name} removed from the OS keychain");
            Ok(())
        }
        EnvCommand::Remove { name } => {
            console.remove_environment(&name).await?;
            say!("environment {name} and its credentials removed");
            Ok(())
        }
    }
}

/// The name of the environment in use.
async fn active(console: &Console) -> Result<String, Failure> {
    console
        .environments()
        .await?
        .into_iter()
        .find(|e| e.active)
        .map(|e| e.environment.name)
        .ok_or_else(|| usage("no environment in use: run `c2p env use NAME`"))
}
