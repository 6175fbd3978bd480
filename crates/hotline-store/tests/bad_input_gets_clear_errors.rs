//! A corrupt SQLite file, an unreachable PostgreSQL, a bad URL, duplicate
//! unique values and invalid fields all give errors that say what is wrong
//! and never contain SQL.

mod common;

use common::*;
use hotline_store::{NewCitizen, Store, StoreError, StoreOptions};

#[tokio::test]
async fn corrupt_sqlite_file_is_reported_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let err = Store::connect(path.to_str().unwrap(), KEY)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::SqliteCorrupt { .. }), "{err:?}");
    assert!(
        err.to_string().contains("restore it from a backup"),
        "{err}"
    );
}

#[tokio::test]
async fn missing_directory_is_reported() {
    let err = Store::connect("sqlite:///nonexistent-dir/for/sure/hotline.db", KEY)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::SqliteOpen { .. }), "{err:?}");
    assert!(err.to_string().contains("directory exists"));
}

#[tokio::test]
async fn unreachable_postgres_is_reported_without_the_password() {
    // Port 9 (discard) on loopback: nothing listens there.
    let mut options = StoreOptions::new(KEY);
    options.connect_timeout = std::time::Duration::from_millis(500);
    let err = Store::connect_with("postgres://hotline:s3cret@127.0.0.1:9/hotline", options)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PostgresUnreachable { .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(text.contains("127.0.0.1:9"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
}

#[tokio::test]
async fn unknown_url_schemes_and_short_keys_are_refused() {
    let err = Store::connect("mysql://localhost/db", KEY)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedUrl { .. }), "{err:?}");
    let err = Store::connect("sqlite::memory:", b"short".to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::InvalidValue {
                field: "national_id_key",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn constraint_violations_name_the_field() {
    for ts in stores().await {
        let citizen = NewCitizen {
            full_name: "Kim Minji".into(),
            national_id: Some("900101-2345678".into()),
            phones: vec!["+821012345678".into()],
            ..NewCitizen::default()
        };
        ts.store.create_citizen(&admin(0), &citizen).await.unwrap();
        let err = ts
            .store
            .create_citizen(&admin(1), &citizen)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::AlreadyExists {
                    field: "national ID"
                }
            ),
            "{}: {err:?}",
            ts.label
        );
        let text = err.to_string();
        assert!(!text.to_uppercase().contains("INSERT"), "{text}");

        let bad_phone = NewCitizen {
            national_id: None,
            phones: vec!["call me maybe".into()],
            ..citizen.clone()
        };
        let err = ts
            .store
            .create_citizen(&admin(2), &bad_phone)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::InvalidValue {
                    field: "phone number",
                    ..
                }
            ),
            "{err:?}"
        );
        let no_name = NewCitizen {
            full_name: "  ".into(),
            national_id: None,
            ..citizen.clone()
        };
        let err = ts
            .store
            .create_citizen(&admin(3), &no_name)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::InvalidValue {
                    field: "full name",
                    ..
                }
            ),
            "{err:?}"
        );
        ts.finish().await;
    }
}
