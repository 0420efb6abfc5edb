//! The vault against a real Secret Service: the GNOME Keyring daemon that
//! `scripts/with-secret-service.sh` starts in a private D-Bus session (`make test` does).

#![cfg(target_os = "linux")]

use care::credentials::{SecretKind, Vault};

fn vault() -> Vault {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no D-Bus session: run this test through `make test` or scripts/with-secret-service.sh"
    );
    let vault = Vault::platform();
    vault
        .status()
        .expect("the Secret Service is reachable and unlocked");
    vault
}

#[test]
fn secrets_round_trip_through_gnome_keyring_one_entry_each() {
    let vault = vault();
    let environment = format!("test-{}", std::process::id());
    // A 4096-bit RSA key in PEM is about 3.2 kB: larger than Windows' per-entry limit, which is
    // why each secret has an entry of its own.
    let big = vec![b'k'; 3300];
    vault.put(&environment, SecretKind::MtlsKey, &big).unwrap();
    vault
        .put(&environment, SecretKind::SigningKey, b"signing")
        .unwrap();
    vault
        .put(&environment, SecretKind::IssuerApiKey, b"api")
        .unwrap();
    assert!(vault.has_all(&environment).unwrap());
    let reopened = Vault::platform();
    assert_eq!(
        reopened
            .get(&environment, SecretKind::MtlsKey)
            .unwrap()
            .expose(),
        big
    );
    assert_eq!(
        reopened
            .get(&environment, SecretKind::SigningKey)
            .unwrap()
            .expose(),
        b"signing"
    );
    vault
        .put(&environment, SecretKind::SigningKey, b"rotated")
        .unwrap();
    assert_eq!(
        vault
            .get(&environment, SecretKind::SigningKey)
            .unwrap()
            .expose(),
        b"rotated"
    );
    vault.remove(&environment).unwrap();
    assert!(!vault.has_all(&environment).unwrap());
    assert_eq!(
        vault
            .get(&environment, SecretKind::IssuerApiKey)
            .unwrap_err()
            .code(),
        care::ErrorCode::CredentialsMissing
    );
}

#[test]
fn secret_tool_sees_the_entry_under_the_console_s_service_name() {
    let vault = vault();
    let environment = format!("visible-{}", std::process::id());
    vault
        .put(&environment, SecretKind::IssuerApiKey, b"abc123")
        .unwrap();
    let output = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", care::storage::APP_IDENTIFIER])
        .output()
        .expect("secret-tool (libsecret-tools) is installed");
    let listing = String::from_utf8_lossy(&output.stdout);
    vault.remove(&environment).unwrap();
    assert!(
        listing.contains(&format!("{environment}/issuer-api-key")),
        "{listing}"
    );
}

#[test]
fn a_deferred_vault_opens_the_keychain_at_its_first_use_for_every_clone() {
    let deferred = Vault::platform_deferred();
    let clone = deferred.clone();
    assert_eq!(format!("{deferred:?}"), "Vault(not opened yet)");
    clone
        .status()
        .expect("the Secret Service is reachable and unlocked");
    assert!(
        format!("{deferred:?}").starts_with("Vault(") && !format!("{deferred:?}").contains("not"),
        "the clone's probe is shared: {deferred:?}"
    );
}
