//! A store that held cases before migration 0004 (work orders) upgrades in
//! place: its cases read as before, stay legacy cases (no invented
//! history: the work-order API says so, the case API still changes them),
//! stay out of the work-order inboxes, and the day's reference sequence
//! goes on for the new work orders.

mod common;

use std::path::Path;
use std::str::FromStr;

use common::orders::*;
use common::*;
use hotline_orders::Command;
use hotline_store::{CaseStatus, InboxQuery, Store, StoreError, StoreOptions};
use hotline_types::CaseRef;

const OLD_CASE: &str = "INSERT INTO cases (case_ref, citizen_id, call_id, category, department, \
     status, summary, opened_at_ms, deadline_at_ms, updated_at_ms) \
     VALUES ($1, NULL, NULL, 'request', 'housing', 'dispatched', 'a leaking roof', $2, $3, $2)";

/// A directory with the migrations before 0004 of one backend.
fn migrations_before_work_orders(backend: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(backend);
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let version: u32 = name[..4].parse().unwrap();
        if version < 4 {
            std::fs::copy(&path, dir.path().join(&name)).unwrap();
        }
    }
    dir
}

/// A store as it was before work orders, holding one dispatched case
/// (261122-00001) and its note, then opened by today's store.
async fn upgraded(pg_url: Option<&str>, old: &CaseRef) -> TestStore {
    let opened = T0;
    let deadline = T0 + 3 * DAY;
    match pg_url {
        None => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("hotline.db").display());
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
                .unwrap()
                .create_if_missing(true);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            let migrations = migrations_before_work_orders("sqlite");
            sqlx::migrate::Migrator::new(migrations.path())
                .await
                .unwrap()
                .run(&pool)
                .await
                .unwrap();
            sqlx::query(OLD_CASE)
                .bind(old.digits())
                .bind(opened)
                .bind(deadline)
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("INSERT INTO case_sequences (day, last_seq) VALUES ('261122', 1)")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO case_notes (case_id, author, at_ms, body) \
                 SELECT case_id, 'alice', $1, 'called the owner' FROM cases",
            )
            .bind(opened + 1_000)
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
            let store = Store::connect_with(&url, StoreOptions::new(KEY))
                .await
                .unwrap();
            TestStore {
                label: "sqlite",
                store,
                url,
                schema: None,
                dir: Some(dir),
            }
        }
        Some(url) => {
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let admin = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
                .execute(&admin)
                .await
                .unwrap();
            admin.close().await;
            let options = sqlx::postgres::PgConnectOptions::from_str(url)
                .unwrap()
                .options([("search_path", schema.as_str())]);
            let pool = sqlx::PgPool::connect_with(options).await.unwrap();
            let migrations = migrations_before_work_orders("postgres");
            sqlx::migrate::Migrator::new(migrations.path())
                .await
                .unwrap()
                .run(&pool)
                .await
                .unwrap();
            sqlx::query(OLD_CASE)
                .bind(old.digits())
                .bind(opened)
                .bind(deadline)
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query("INSERT INTO case_sequences (day, last_seq) VALUES ('261122', 1)")
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO case_notes (case_id, author, at_ms, body) \
                 SELECT case_id, 'alice', $1, 'called the owner' FROM cases",
            )
            .bind(opened + 1_000)
            .execute(&pool)
            .await
            .unwrap();
            pool.close().await;
            let mut options = StoreOptions::new(KEY);
            options.postgres_schema = Some(schema.clone());
            let store = Store::connect_with(url, options).await.unwrap();
            TestStore {
                label: "postgres",
                store,
                url: url.to_owned(),
                schema: Some(schema),
                dir: None,
            }
        }
    }
}

#[tokio::test]
async fn cases_from_before_work_orders_still_read() {
    let desk = Desk::beijing();
    let old = CaseRef::new(2026, 11, 22, 1).unwrap();
    let pg = pg_url();
    let mut backends = vec![None];
    if let Some(url) = pg.as_deref() {
        backends.push(Some(url));
    }
    for backend in backends {
        let ts = upgraded(backend, &old).await;
        let s = &ts.store;
        let label = ts.label;
        let ctx = desk_ctx("alice", at(HOUR));

        // It reads as it did.
        let status = s.case_status(&old).await.unwrap().unwrap();
        assert_eq!(status.status, CaseStatus::Dispatched, "{label}");
        assert_eq!(status.department, "housing");
        assert_eq!(status.deadline_at_ms, Some(T0 + 3 * DAY));
        let detail = s.case_detail(&ctx, &old).await.unwrap().unwrap();
        assert_eq!(detail.case.summary, "a leaking roof");
        assert_eq!(detail.notes.len(), 1, "{label}");
        assert_eq!(
            ts.row_column(&old, "event_count").await.as_deref(),
            Some("0")
        );
        assert!(
            ts.row_column(&old, "phase").await.is_none(),
            "{label}: no phase invented"
        );
        assert!(
            ts.log_seqs(&old).await.is_empty(),
            "{label}: no history invented"
        );

        // It is no work order, and the case API still changes it.
        let err = s.work_order(&ctx, &old).await.unwrap_err();
        assert!(
            matches!(err, StoreError::LegacyCase { .. }),
            "{label}: {err:?}"
        );
        let err = s
            .act_on_order(
                &ctx,
                desk.rules(),
                at(HOUR),
                &housing(),
                &old,
                Command::Accept,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::LegacyCase { .. }),
            "{label}: {err:?}"
        );
        s.transition_case(&ctx, &old, CaseStatus::InProgress)
            .await
            .unwrap();
        s.add_case_note(&ctx, &old, "on site tomorrow")
            .await
            .unwrap();

        // New work orders take the day's next references.
        let order = desk.dispatched(s, at(2 * HOUR), "request", None).await;
        assert_eq!(order.sequence(), 2, "{label}");
        let query = InboxQuery::new("housing".into(), at(3 * HOUR), &desk.inbox(), 10).unwrap();
        let inbox: Vec<_> = s
            .department_inbox(&query)
            .await
            .unwrap()
            .orders
            .into_iter()
            .map(|l| l.reference)
            .collect();
        assert_eq!(inbox, [order], "{label}: the inbox lists work orders only");
        assert!(
            s.overdue_orders(None, at(30 * DAY), 10)
                .await
                .unwrap()
                .iter()
                .all(|l| l.reference != old),
            "{label}"
        );
        ts.finish().await;
    }
}
