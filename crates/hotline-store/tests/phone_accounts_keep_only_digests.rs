//! SIP phone accounts on both backends: the stored row holds the login,
//! the realm and the two HA1s of the secret, never the secret; a second
//! account of the same login is refused; a new secret replaces the hashes;
//! removal is final; every change moves the accounts' version (which the
//! running hotline watches) and a bad hash is refused before the database.

mod common;

use common::*;
use hotline_store::{PhoneAccount, StoreError};

#[tokio::test]
async fn phone_accounts_keep_only_digests() {
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let start = s.accounts_version().await.unwrap();
        let phone = PhoneAccount::with_secret("agent7", "hotline", "phone-secret-7", Vec::new());
        // RFC 2617's HA1 for these strings, computed elsewhere
        // (`printf agent7:hotline:phone-secret-7 | md5sum`).
        assert_eq!(phone.ha1_md5, "15857fac5f64b8f7b6137c0827cb28ef", "{label}");
        s.add_phone_account(&phone, at(0)).await.unwrap();
        let added = s.accounts_version().await.unwrap();
        assert!(added > start, "{label}: a new phone moves the version");
        let row = ts
            .raw_strings(
                "SELECT login || ' ' || realm || ' ' || ha1_md5 || ' ' || ha1_sha256 FROM phones",
            )
            .await;
        let row = row[0].clone().expect("a row");
        assert!(!row.contains("phone-secret-7"), "{label}: {row}");
        assert!(row.contains(&phone.ha1_sha256), "{label}: {row}");
        assert_eq!(
            s.phone_accounts().await.unwrap(),
            std::slice::from_ref(&phone),
            "{label}"
        );

        let again = s.add_phone_account(&phone, at(1)).await.unwrap_err();
        assert!(
            matches!(again, StoreError::AlreadyExists { field: "phone" }),
            "{label}: {again:?}"
        );

        let rekeyed = PhoneAccount::with_secret(
            "agent7",
            "hotline",
            "another-secret",
            vec!["SHA-256".into(), "MD5".into()],
        );
        s.replace_phone_account(&rekeyed, at(2)).await.unwrap();
        assert_eq!(
            s.phone_accounts().await.unwrap(),
            std::slice::from_ref(&rekeyed),
            "{label}"
        );
        assert!(s.accounts_version().await.unwrap() > added, "{label}");
        let ghost = PhoneAccount::with_secret("ghost", "hotline", "x", Vec::new());
        assert!(matches!(
            s.replace_phone_account(&ghost, at(3)).await,
            Err(StoreError::NotFound { .. })
        ));

        let mut bad = rekeyed.clone();
        bad.ha1_md5 = "not hex".into();
        assert!(matches!(
            s.replace_phone_account(&bad, at(4)).await,
            Err(StoreError::InvalidValue {
                field: "phone digest",
                ..
            })
        ));
        let mut bad = rekeyed.clone();
        bad.algorithms = vec!["SHA-512".into()];
        assert!(matches!(
            s.add_phone_account(
                &PhoneAccount {
                    login: "x".into(),
                    ..bad
                },
                at(4)
            )
            .await,
            Err(StoreError::InvalidValue {
                field: "phone algorithms",
                ..
            })
        ));
        let mut bad = rekeyed.clone();
        bad.login = "agent 7".into();
        assert!(matches!(
            s.add_phone_account(&bad, at(4)).await,
            Err(StoreError::InvalidValue {
                field: "phone login",
                ..
            })
        ));

        s.remove_phone_account("agent7").await.unwrap();
        assert!(s.phone_accounts().await.unwrap().is_empty(), "{label}");
        assert!(matches!(
            s.remove_phone_account("agent7").await,
            Err(StoreError::NotFound { .. })
        ));
    }
}
