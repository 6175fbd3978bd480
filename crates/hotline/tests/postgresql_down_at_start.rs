//! PostgreSQL is down when the hotline starts: it starts anyway, answers
//! citizens (the IVR serves them, their events spool), and when the
//! database answers (a TCP relay to the real server opens on the port the
//! URL names) it migrates the store, makes the first admin and writes every
//! spooled call record. Needs `HOTLINE_TEST_PG_URL` (CI sets it) and SIPp.

mod support;

use std::time::{Duration, Instant};

use hotline_store::{Store, StoreOptions};
use hotline_types::CallId;
use support::centre::{in_schema, via_port, DbRelay};
use support::{free_port, sipp, sipp_available, Hotline};

const KEY: &[u8] = b"test-national-id-key-0123456789";

#[test]
fn the_hotline_answers_while_postgresql_is_down_and_stores_the_calls_when_it_is_back() {
    if !sipp_available("the_hotline_answers_while_postgresql_is_down") {
        return;
    }
    let Some(url) = support::pg_url("postgresql_down_at_start") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let schema = format!(
        "down_at_start_{}_{}",
        std::process::id(),
        rand::random::<u32>()
    );
    // The schema exists (an operator's empty database); nothing is migrated.
    let admin = runtime.block_on(async {
        let mut options = StoreOptions::new(KEY);
        options.postgres_schema = Some(schema.clone());
        options.migrate_on_connect = false;
        Store::connect_with(&url, options)
            .await
            .expect("PostgreSQL for the test")
    });

    let port = free_port();
    let (via_relay, upstream) = via_port(&url, port);
    let down_url = in_schema(&via_relay, &schema);
    let hotline = Hotline::start(&[("HOTLINE_DATABASE_URL", down_url.as_str())]);
    assert!(
        hotline
            .log()
            .contains("it connects when the database is back"),
        "{}",
        hotline.log()
    );

    // Two citizens call while the database is down: answered, served.
    let run = sipp(
        hotline.sip,
        &["-sn", "uac", "-s", "12345", "-m", "2", "-d", "1500"],
        Duration::from_secs(30),
    );
    assert!(run.succeeded(), "{}\n{}", run.errors(), hotline.log());
    let ended = hotline.wait_for_events("ended", 2, Duration::from_secs(10));
    assert_eq!(ended.len(), 2, "{}", hotline.log());
    let calls: Vec<CallId> = ended
        .iter()
        .map(|e| serde_json::from_value(e["call"].clone()).expect("a call id"))
        .collect();

    // The database comes back.
    let _relay = DbRelay::open(port, upstream);
    assert!(
        hotline.wait_for_log("the store answers", Duration::from_secs(20)),
        "{}",
        hotline.log()
    );
    let reader = runtime.block_on(async {
        let mut options = StoreOptions::new(KEY);
        options.postgres_schema = Some(schema.clone());
        options.migrate_on_connect = false;
        Store::connect_with(&url, options).await.expect("read back")
    });
    let deadline = Instant::now() + Duration::from_secs(20);
    for call in &calls {
        loop {
            let record = runtime.block_on(reader.call_record(*call)).ok().flatten();
            if record.as_ref().is_some_and(|r| r.ended_at_ms.is_some()) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "call {call} never reached the store: {record:?}\n{}",
                hotline.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    // The first start's admin was made once the store answered.
    let admin_made = runtime.block_on(reader.user("admin")).expect("users");
    assert!(admin_made.is_some(), "{}", hotline.log());
    assert!(hotline.stop().success());

    runtime.block_on(async {
        reader.close().await;
        admin.close().await;
    });
    // The test's schema goes (psql: PostgreSQL's own client, beside it in CI).
    let dropped = std::process::Command::new("psql")
        .args([&url, "-qc", &format!("DROP SCHEMA \"{schema}\" CASCADE")])
        .status();
    if !dropped.is_ok_and(|s| s.success()) {
        eprintln!("schema {schema} was left behind: drop it by hand");
    }
}
