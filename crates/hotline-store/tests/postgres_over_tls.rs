//! The store reaches PostgreSQL over TLS when the URL asks for it, and
//! `sslmode=verify-full` checks the server's certificate against the CA
//! named by `sslrootcert` and the host name (what README's "Run it for real"
//! documents). Debian's PostgreSQL serves its "snakeoil" certificate
//! (CN=localhost), which stands in for a city's own CA here. (A wrong CA
//! cannot be shown refused on Debian: the system roots sqlx adds to
//! `sslrootcert` are read from /etc/ssl/certs, where the snakeoil
//! certificate lives too.)

mod common;

use common::{pg_url, KEY};
use hotline_store::{Store, StoreOptions};

/// Debian's self-signed server certificate (package ssl-cert).
const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

fn with_params(url: &str, params: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    format!("{base}?{params}")
}

async fn connection_is_encrypted(url: &str) -> Result<bool, String> {
    let store = Store::connect_with(url, StoreOptions::new(KEY))
        .await
        .map_err(|e| e.to_string())?;
    let encrypted = store
        .connection_is_encrypted()
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;
    Ok(encrypted)
}

#[tokio::test]
async fn postgres_over_tls_is_encrypted_and_verified() {
    let Some(url) = pg_url() else {
        return;
    };
    // Whatever the suite's URL says, a store that asks for TLS gets it.
    let required = with_params(&url, "sslmode=require");
    assert_eq!(
        connection_is_encrypted(&required).await,
        Ok(true),
        "{required}: the server must have ssl = on (Debian's default)"
    );
    // Plain TCP, asked for, is plain: the check is not always true.
    let plain = with_params(&url, "sslmode=disable");
    assert_eq!(connection_is_encrypted(&plain).await, Ok(false));

    if !std::path::Path::new(SNAKEOIL).exists() {
        eprintln!("\n!!!!!!!! verify-full half SKIPPED: {SNAKEOIL} is missing (Debian's ssl-cert) !!!!!!!!\n");
        return;
    }
    // verify-full against the server's CA and name: the certificate says
    // localhost, so localhost passes and 127.0.0.1 (not in it) is refused.
    let by_name = with_params(&url, &format!("sslmode=verify-full&sslrootcert={SNAKEOIL}"))
        .replace("@127.0.0.1:", "@localhost:");
    assert_eq!(
        connection_is_encrypted(&by_name).await,
        Ok(true),
        "{by_name}"
    );
    let by_address = by_name.replace("@localhost:", "@127.0.0.1:");
    let refused = connection_is_encrypted(&by_address).await;
    assert!(
        refused.is_err(),
        "verify-full must refuse a certificate that does not name the host: {refused:?}"
    );
}
