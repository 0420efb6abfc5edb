//! The sandbox's key material, made fresh at every start: a server CA and a server certificate
//! for 127.0.0.1/localhost, a client CA and one client certificate, and an ES256 signing key.

use rand::Rng;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, SanType,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Which server certificate the sandbox presents: a good one, or one a client must refuse.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ServerCert {
    /// Valid now, for 127.0.0.1 and localhost.
    #[default]
    Valid,
    /// Expired at the end of 2020.
    Expired,
    /// Valid, but only for `d1.example.invalid`.
    WrongHost,
}

/// Everything the sandbox generates at start-up.
pub struct Pki {
    /// The CA that signed the server certificate; clients trust only this.
    pub server_ca_pem: String,
    /// The server's certificate followed by nothing else (the CA is the trust anchor).
    pub server_cert: CertificateDer<'static>,
    /// The server certificate's private key.
    pub server_key: PrivatePkcs8KeyDer<'static>,
    /// The CA that client certificates must chain to.
    pub client_ca: CertificateDer<'static>,
    /// The client certificate chain (leaf, then client CA) as PEM.
    pub client_chain_pem: String,
    /// The client certificate's private key, PKCS#8 PEM.
    pub client_key_pem: String,
    /// The ES256 key the issuer signs its token assertions with, PKCS#8 PEM.
    pub signing_key_pem: String,
    /// The signing key's public point (uncompressed SEC1), registered under `kid`.
    pub signing_public_key: Vec<u8>,
    /// The key id of the signing key.
    pub kid: String,
    /// Each merchant gateway's own identity and signing key.
    pub gateways: Vec<GatewayKeys>,
}

/// A merchant gateway's credentials: its own client certificate (chained to the same client CA
/// as the issuer's) and its own ES256 signing key.
#[derive(Clone)]
pub struct GatewayKeys {
    /// Its merchantGatewayId.
    pub gateway_id: String,
    /// Its client certificate and key.
    pub identity: Identity,
    /// Its ES256 signing key, PKCS#8 PEM.
    pub signing_key_pem: String,
    /// The signing key's public point, registered under `kid`.
    pub signing_public_key: Vec<u8>,
    /// The key id of its signing key.
    pub kid: String,
}

/// A certificate and key made by [`Pki`], e.g. a second client identity for a test.
#[derive(Clone)]
pub struct Identity {
    /// Certificate chain, PEM.
    pub chain_pem: String,
    /// Private key, PKCS#8 PEM.
    pub key_pem: String,
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("empty SAN list");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key");
    CertifiedIssuer::self_signed(params, key).expect("self-signed CA")
}

fn leaf(
    name: &str,
    sans: Vec<SanType>,
    usage: ExtendedKeyUsagePurpose,
    issuer: &CertifiedIssuer<'static, KeyPair>,
) -> (String, KeyPair, CertificateDer<'static>) {
    leaf_with(name, sans, usage, issuer, |_| {})
}

fn leaf_with(
    name: &str,
    sans: Vec<SanType>,
    usage: ExtendedKeyUsagePurpose,
    issuer: &CertifiedIssuer<'static, KeyPair>,
    adjust: impl FnOnce(&mut CertificateParams),
) -> (String, KeyPair, CertificateDer<'static>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("empty SAN list");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.subject_alt_names = sans;
    params.extended_key_usages = vec![usage];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    adjust(&mut params);
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key");
    let cert = params.signed_by(&key, issuer).expect("leaf certificate");
    (cert.pem(), key, cert.der().clone())
}

impl Pki {
    /// Generates all of it, with a valid server certificate and no merchant gateway.
    pub fn generate() -> Pki {
        Self::generate_with(ServerCert::Valid, &[])
    }

    /// Generates all of it, with the server certificate `server`, and keys for each of
    /// `gateway_ids`.
    pub fn generate_with(server: ServerCert, gateway_ids: &[&str]) -> Pki {
        let server_ca = ca("C2P Care sandbox server CA");
        let sans = match server {
            ServerCert::WrongHost => vec![SanType::DnsName(
                "d1.example.invalid".try_into().expect("valid DNS name"),
            )],
            _ => vec![
                SanType::IpAddress([127, 0, 0, 1].into()),
                SanType::DnsName("localhost".try_into().expect("valid DNS name")),
            ],
        };
        let (_, server_key, server_cert) = leaf_with(
            "127.0.0.1",
            sans,
            ExtendedKeyUsagePurpose::ServerAuth,
            &server_ca,
            |params| {
                if server == ServerCert::Expired {
                    params.not_before = rcgen::date_time_ymd(2019, 1, 1);
                    params.not_after = rcgen::date_time_ymd(2020, 12, 31);
                }
            },
        );
        let client_ca = ca("C2P Care sandbox client CA");
        let client = Self::client_identity(&client_ca, "sandbox issuer");
        let signing = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key");
        let gateways = gateway_ids
            .iter()
            .map(|gateway_id| {
                let signing = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).expect("P-256 key");
                GatewayKeys {
                    gateway_id: (*gateway_id).to_owned(),
                    identity: Self::client_identity(
                        &client_ca,
                        &format!("merchant gateway {gateway_id}"),
                    ),
                    signing_key_pem: signing.serialize_pem(),
                    signing_public_key: signing.public_key_raw().to_vec(),
                    kid: format!("{gateway_id}-{:08x}", rand::rng().random::<u32>()),
                }
            })
            .collect();
        Pki {
            server_ca_pem: server_ca.pem(),
            server_cert,
            server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()),
            client_ca: client_ca.der().clone(),
            client_chain_pem: client.chain_pem,
            client_key_pem: client.key_pem,
            signing_key_pem: signing.serialize_pem(),
            signing_public_key: signing.public_key_raw().to_vec(),
            kid: format!("sandbox-{:08x}", rand::rng().random::<u32>()),
            gateways,
        }
    }

    /// A client identity signed by a CA the sandbox does not trust (for handshake tests).
    pub fn untrusted_client_identity() -> Identity {
        Self::client_identity(&ca("Some other CA"), "sandbox issuer")
    }

    fn client_identity(ca: &CertifiedIssuer<'static, KeyPair>, name: &str) -> Identity {
        let (pem, key, _) = leaf(name, Vec::new(), ExtendedKeyUsagePurpose::ClientAuth, ca);
        Identity {
            chain_pem: format!("{pem}{}", ca.pem()),
            key_pem: key.serialize_pem(),
        }
    }

    /// The server's private key as rustls wants it.
    pub fn server_key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.server_key.clone_key())
    }
}
