//! Both migration folders have the same versions, and the schemas they
//! build have the same tables and columns.

mod common;

use std::collections::BTreeSet;

use common::*;
use hotline_store::{migration_versions, Backend};

#[test]
fn both_folders_have_the_same_versions() {
    let sqlite = migration_versions(Backend::Sqlite);
    let postgres = migration_versions(Backend::Postgres);
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
}

async fn columns(ts: &TestStore) -> BTreeSet<String> {
    let sql = match &ts.schema {
        None => {
            "SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
                .to_owned()
        }
        Some(schema) => format!(
            "SELECT table_name::text || '.' || column_name::text FROM information_schema.columns \
             WHERE table_schema = '{schema}'"
        ),
    };
    ts.raw_strings(&sql).await.into_iter().flatten().collect()
}

#[tokio::test]
async fn both_schemas_have_the_same_tables_and_columns() {
    let sqlite = sqlite_store().await;
    let sqlite_columns = columns(&sqlite).await;
    assert!(sqlite_columns.contains("calls.talk_ms"));
    assert!(sqlite_columns.contains("_sqlx_migrations.version"));
    assert!(sqlite_columns.contains("cases.phase"));
    assert!(sqlite_columns.contains("case_events.payload"));
    // Applying again is a no-op.
    sqlite.store.migrate().await.unwrap();
    if let Some(url) = pg_url() {
        let pg = pg_store(&url).await;
        let pg_columns = columns(&pg).await;
        assert_eq!(sqlite_columns, pg_columns);
        pg.store.migrate().await.unwrap();
        pg.finish().await;
    }
    sqlite.finish().await;
}
