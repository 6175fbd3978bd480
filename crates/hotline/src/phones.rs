//! SIP phone accounts kept in the store: `hotline phone …` from the command
//! line, and the task that keeps the running registrar in step with the
//! store (a phone added, given a new secret or removed anywhere, by this
//! process, the CLI or another node, registers or stops within a second).
//!
//! The store holds only the digest hashes (HA1 for MD5 and SHA-256) made
//! for `sip.realm`; the secret is generated here, printed once and dropped.
//! Phones in the configuration file (`[[phones]]`, plaintext passwords, the
//! old way) still work and take precedence over a store phone of the same
//! name; the hotline warns about them at start.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use clap::Subcommand;
use hotline_sip::registrar::{Algorithm, DigestSecret};
use hotline_sip::transport::{Command, SipHandle};
use hotline_store::{PhoneAccount, Store, StoreError};
use hotline_types::Timestamp;
use tracing::{info, warn};

/// What `hotline phone` does.
#[derive(Debug, Subcommand)]
pub enum PhoneCommand {
    /// Create a phone account and print its secret (once).
    Add {
        /// The SIP user: the agent's login, so the ACD rings this phone
        /// when it offers them a call.
        login: String,
        /// The challenge order for this phone, e.g. `SHA-256,MD5` for a
        /// phone known to support RFC 8760 (default: sip.digest_algorithms).
        #[arg(long, value_delimiter = ',', value_parser = parse_algorithm)]
        algorithms: Vec<String>,
    },
    /// List the phone accounts (never a secret or a hash).
    List,
    /// Give a phone a new secret and print it; the old one stops working.
    ResetSecret { login: String },
    /// Remove a phone account: it is unregistered at once.
    Remove { login: String },
}

/// Carries out a `hotline phone` command against the store; `realm` is
/// the configuration's `sip.realm`, the one the hashes are made for.
pub async fn run(store: &Store, realm: &str, command: PhoneCommand) -> anyhow::Result<()> {
    let now = Timestamp::from_system_time(std::time::SystemTime::now());
    match command {
        PhoneCommand::Add { login, algorithms } => {
            let secret = new_secret();
            store
                .add_phone_account(
                    &PhoneAccount::with_secret(&login, realm, &secret, algorithms),
                    now,
                )
                .await
                .map_err(|e| refused(&login, e))?;
            outln!("created phone {login} (realm {realm:?})");
            outln!("SIP secret for {login}: {secret}");
            outln!("enter it in the phone; it is not stored and not shown again");
        }
        PhoneCommand::List => {
            let phones = store.phone_accounts().await?;
            outln!("{:<20} {:<20} algorithms", "login", "realm");
            for phone in phones {
                let algorithms = if phone.algorithms.is_empty() {
                    "(sip.digest_algorithms)".to_owned()
                } else {
                    phone.algorithms.join(",")
                };
                let stale = if phone.realm == realm {
                    ""
                } else {
                    "  (made for another realm: reset its secret)"
                };
                outln!(
                    "{:<20} {:<20} {algorithms}{stale}",
                    phone.login,
                    phone.realm
                );
            }
        }
        PhoneCommand::ResetSecret { login } => {
            let existing = store
                .phone_account(&login)
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no phone {login:?}"))?;
            let secret = new_secret();
            store
                .replace_phone_account(
                    &PhoneAccount::with_secret(&login, realm, &secret, existing.algorithms),
                    now,
                )
                .await
                .map_err(|e| refused(&login, e))?;
            outln!("SIP secret for {login}: {secret}");
            outln!("the old secret no longer registers; enter this one in the phone");
        }
        PhoneCommand::Remove { login } => {
            store
                .remove_phone_account(&login)
                .await
                .map_err(|e| refused(&login, e))?;
            outln!("removed phone {login}: it can no longer register");
        }
    }
    Ok(())
}

/// A phone's secret, typed once into its settings.
fn new_secret() -> String {
    hotline_store::generated_secret(hotline_store::PHONE_SECRET_CHARS)
}

fn parse_algorithm(text: &str) -> Result<String, String> {
    hotline_store::digest_algorithm(text)
        .map(str::to_owned)
        .ok_or_else(|| format!("{text:?} is not MD5 or SHA-256"))
}

fn refused(login: &str, error: StoreError) -> anyhow::Error {
    match error {
        StoreError::NotFound { .. } => anyhow::anyhow!("there is no phone {login:?}"),
        StoreError::AlreadyExists { .. } => {
            anyhow::anyhow!("phone {login:?} exists: `hotline phone reset-secret {login}` gives it a new secret")
        }
        StoreError::InvalidValue { field, reason } => anyhow::anyhow!("{field}: {reason}"),
        other => anyhow::Error::new(other).context(format!("phone {login:?}")),
    }
}

/// Keeps the registrar in step with the store's phones. The configuration's
/// phones are never touched (they win over a store phone of the same name).
pub struct PhoneSync {
    store: Store,
    sip: SipHandle,
    realm: String,
    from_config: Vec<String>,
    /// What the registrar was last given, by login.
    given: HashMap<String, PhoneAccount>,
    version: Option<i64>,
}

impl PhoneSync {
    pub fn new(store: Store, sip: SipHandle, realm: String, from_config: Vec<String>) -> Self {
        Self {
            store,
            sip,
            realm,
            from_config,
            given: HashMap::new(),
            version: None,
        }
    }

    /// Reads the store's phones if the accounts moved since the last look,
    /// and tells the registrar what changed. Answers the number of phones
    /// the registrar has from the store.
    pub async fn sync(&mut self) -> Result<usize, StoreError> {
        let version = self.store.accounts_version().await?;
        if self.version == Some(version) {
            return Ok(self.given.len());
        }
        let mut wanted = HashMap::new();
        // A leaver's phone stops registering with their account: disabling
        // the user moves the accounts' version like any change.
        let disabled: HashSet<String> = self.store.disabled_logins().await?.into_iter().collect();
        for phone in self.store.phone_accounts().await? {
            if disabled.contains(&phone.login) {
                if self.given.contains_key(&phone.login) {
                    info!(phone = %phone.login, "the phone's user is disabled: unregistered");
                }
                continue;
            }
            if self.from_config.contains(&phone.login) {
                if self.version.is_none() {
                    warn!(phone = %phone.login, "a [[phones]] entry of the configuration has this name: the store's phone is not used");
                }
                continue;
            }
            if phone.realm != self.realm {
                if self.version.is_none() {
                    warn!(phone = %phone.login, made_for = %phone.realm, realm = %self.realm, "this phone's secret was made for another realm and cannot register: `hotline phone reset-secret {}`", phone.login);
                }
                continue;
            }
            wanted.insert(phone.login.clone(), phone);
        }
        for login in self.given.keys() {
            if !wanted.contains_key(login) {
                if !disabled.contains(login) {
                    info!(phone = %login, "phone removed: unregistered");
                }
                let _ = self.sip.send(Command::RemovePhone(login.clone()));
            }
        }
        for (login, phone) in &wanted {
            let before = self.given.get(login);
            if before == Some(phone) {
                continue;
            }
            if self.version.is_some() {
                if before.is_some() {
                    info!(phone = %login, "phone secret changed: the old one no longer registers");
                } else {
                    info!(phone = %login, "phone added: it may register");
                }
            }
            let Some(secret) = DigestSecret::from_ha1(&phone.ha1_md5, &phone.ha1_sha256) else {
                warn!(phone = %login, "this phone's stored hashes are not hex: reset its secret");
                continue;
            };
            let algorithms = phone
                .algorithms
                .iter()
                .filter_map(|a| Algorithm::from_name(a))
                .collect::<Vec<_>>();
            let _ = self.sip.send(Command::SetPhone {
                user: login.clone(),
                secret,
                algorithms: (!algorithms.is_empty()).then_some(algorithms),
            });
        }
        self.given = wanted;
        self.version = Some(version);
        Ok(self.given.len())
    }

    /// Checks once a second for as long as the hotline runs.
    pub fn spawn(mut self) {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(1));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every.tick().await;
                if let Err(e) = self.sync().await {
                    tracing::debug!(error = %e, "phones could not be read from the store");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_unambiguous_and_stored_only_as_hashes() {
        let a = new_secret();
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, new_secret());
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']), "{a}");
        let stored = PhoneAccount::with_secret("agent7", "hotline", &a, Vec::new());
        // The registrar checks a phone's digest with these: they are what
        // it would make of the secret itself.
        let made = DigestSecret::from_secret("agent7", "hotline", &a);
        assert_eq!(stored.ha1_md5, made.ha1(Algorithm::Md5));
        assert_eq!(stored.ha1_sha256, made.ha1(Algorithm::Sha256));
        let shown = format!("{stored:?}{}", serde_json::to_string(&stored).unwrap());
        assert!(!shown.contains(&a));
        assert_eq!(stored.ha1_md5.len(), 32);
        assert_eq!(stored.ha1_sha256.len(), 64);
        assert!(!serde_json::to_string(&stored)
            .unwrap()
            .contains(&stored.ha1_md5));
    }

    #[test]
    fn algorithms_read_as_the_help_says() {
        assert_eq!(parse_algorithm("sha-256").unwrap(), "SHA-256");
        assert_eq!(parse_algorithm("MD5").unwrap(), "MD5");
        assert!(parse_algorithm("SHA-512")
            .unwrap_err()
            .contains("MD5 or SHA-256"));
    }
}
