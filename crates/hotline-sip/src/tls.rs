//! SIP over TLS (RFC 3261 §26.2): the server certificate, reloaded when its
//! files change, and the client side for connections the hotline opens.
//!
//! Owns only TLS configuration; the socket tasks in `transport` use it.
//! rustls with the ring provider does the protocol: nothing here touches
//! records or handshakes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// Where the TLS listener's certificate and key are, and whom outbound
/// connections trust.
#[derive(Debug, Clone)]
pub struct TlsSettings {
    /// PEM: the certificate chain, leaf first.
    pub cert_file: PathBuf,
    /// PEM: the private key (PKCS#8, PKCS#1 or SEC1).
    pub key_file: PathBuf,
    /// PEM: CAs trusted for connections the hotline opens (trunks over
    /// TLS); `None`: the system's roots.
    pub ca_file: Option<PathBuf>,
    /// How often the certificate files are checked for a change.
    pub reload_every: Duration,
}

/// A TLS configuration that cannot be used, naming the file and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path} holds no {what}")]
    Empty { path: PathBuf, what: &'static str },
    #[error("the certificate in {cert} and the key in {key} do not make a TLS server: {reason}")]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Empty {
            path: path.to_owned(),
            what: "certificate",
        });
    }
    Ok(certs)
}

fn server_config(settings: &TlsSettings) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = read_certs(&settings.cert_file)?;
    let key = PrivateKeyDer::from_pem_file(&settings.key_file).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => TlsError::Empty {
            path: settings.key_file.clone(),
            what: "private key",
        },
        other => TlsError::Unreadable {
            path: settings.key_file.clone(),
            reason: other.to_string(),
        },
    })?;
    let mismatch = |e: rustls::Error| TlsError::Mismatch {
        cert: settings.cert_file.clone(),
        key: settings.key_file.clone(),
        reason: e.to_string(),
    };
    let config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(mismatch)?
        // Phones authenticate with digest over the TLS channel; client
        // certificates are not asked for.
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(mismatch)?;
    Ok(Arc::new(config))
}

fn client_config(settings: &TlsSettings) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    match &settings.ca_file {
        Some(path) => {
            for cert in read_certs(path)? {
                roots.add(cert).map_err(|e| TlsError::Unreadable {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            }
        }
        None => {
            // A machine without system roots still serves TLS; only
            // connections the hotline opens would fail (and say so).
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Unreadable {
            path: settings.ca_file.clone().unwrap_or_default(),
            reason: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The TLS identity in force. New connections take the current one; a
/// reload that fails keeps the last good one (and says why).
#[derive(Debug)]
pub struct TlsIdentity {
    settings: TlsSettings,
    server: RwLock<Arc<rustls::ServerConfig>>,
    client: Arc<rustls::ClientConfig>,
    stamp: RwLock<(Option<SystemTime>, Option<SystemTime>)>,
}

impl TlsIdentity {
    /// Loads the certificate and key; an error names the file and the fix.
    pub fn load(settings: TlsSettings) -> Result<Self, TlsError> {
        let server = server_config(&settings)?;
        let client = client_config(&settings)?;
        let stamp = (modified(&settings.cert_file), modified(&settings.key_file));
        Ok(Self {
            settings,
            server: RwLock::new(server),
            client,
            stamp: RwLock::new(stamp),
        })
    }

    /// An acceptor with the certificate in force now.
    pub fn acceptor(&self) -> TlsAcceptor {
        let config = self
            .server
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        TlsAcceptor::from(config)
    }

    /// A connector for connections the hotline opens.
    pub fn connector(&self) -> TlsConnector {
        TlsConnector::from(self.client.clone())
    }

    /// How often [`TlsIdentity::reload_if_changed`] should run.
    pub fn reload_every(&self) -> Duration {
        self.settings.reload_every
    }

    /// Reloads the certificate if either file changed since it was last
    /// read. `Ok(true)`: a new certificate is in force for new connections
    /// (connections already open keep theirs).
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let now = (
            modified(&self.settings.cert_file),
            modified(&self.settings.key_file),
        );
        if *self.stamp.read().unwrap_or_else(|e| e.into_inner()) == now {
            return Ok(false);
        }
        // Remember the stamp even if the new files are bad: the error is
        // reported once per change, not every few seconds.
        *self.stamp.write().unwrap_or_else(|e| e.into_inner()) = now;
        let config = server_config(&self.settings)?;
        *self.server.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(true)
    }
}
