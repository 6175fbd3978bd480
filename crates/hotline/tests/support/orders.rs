//! Work orders put in a store around a run of the hotline: the example
//! catalogue with Monday to Friday in Beijing, and a request for help
//! about one lift, taken down by agent `li.agent`.

use hotline_orders::{
    Actor, CalendarSpec, Catalogue, Channel, Command, Location, OrderRules, WorkingCalendar,
};
use hotline_store::{AuditContext, NewCitizen, NewWorkOrder, Store, StoreOptions};
use hotline_types::{CallId, CaseRef, CitizenId, Timestamp};

/// The example catalogue, Monday to Friday in Asia/Shanghai, due soon
/// within one working day.
pub fn rules() -> OrderRules {
    OrderRules {
        catalogue: Catalogue::example(),
        calendar: WorkingCalendar::new(CalendarSpec::monday_to_friday("Asia/Shanghai"))
            .expect("calendar"),
        due_soon_working_days: 1,
    }
}

/// `actor`'s access at `at`, as for a call.
pub fn ctx(actor: &str, at: Timestamp) -> AuditContext {
    AuditContext::for_call(actor, CallId::new(), at)
}

pub fn agent() -> Actor {
    Actor::agent("li.agent")
}

/// A request for help (to housing) taken down at `at`, from `citizen` or
/// anonymous; not dispatched yet.
pub async fn take_down_request(
    store: &Store,
    rules: &OrderRules,
    at: Timestamp,
    citizen: Option<CitizenId>,
) -> CaseRef {
    let created = store
        .create_work_order(
            &ctx("li.agent", at),
            rules.rules(),
            at,
            &agent(),
            NewWorkOrder {
                call: None,
                channel: Channel::Call,
                category: "request".into(),
                citizen,
                location: Location {
                    address: "景山前街 4 号".into(),
                    district: "东城区".into(),
                    street: "景山街道".into(),
                    coordinates: None,
                },
                summary: "The lift has been broken for a week".into(),
            },
        )
        .await
        .expect("order");
    created.order.reference().clone()
}

/// `actor` gives `command` on `order` at `at`, expected to be granted.
pub async fn act(
    store: &Store,
    rules: &OrderRules,
    at: Timestamp,
    actor: &Actor,
    order: &CaseRef,
    command: Command,
) {
    let name = command.name();
    store
        .act_on_order(
            &ctx(actor.user.as_str(), at),
            rules.rules(),
            at,
            actor,
            order,
            command,
        )
        .await
        .unwrap_or_else(|e| panic!("{name} on {order}: {e}"));
}

const DAY_MS: i64 = 86_400_000;

fn now() -> Timestamp {
    Timestamp::from_system_time(std::time::SystemTime::now())
}

/// A citizen, Zhang Wei, who speaks English, at this phone number.
pub async fn reporter(store: &Store, phone: &str) -> CitizenId {
    store
        .create_citizen(
            &ctx("li.agent", now()),
            &NewCitizen {
                full_name: "Zhang Wei".into(),
                preferred_language: Some("en".into()),
                phones: vec![phone.into()],
                ..NewCitizen::default()
            },
        )
        .await
        .expect("citizen")
}

/// A request from `citizen` to housing, taken ten days ago, handled and
/// closed the same day: its follow-up call has been due since.
pub async fn closed_with_follow_up_due(store: &Store, citizen: CitizenId) -> CaseRef {
    let rules = rules();
    let t0 = Timestamp(now().0 - 10 * DAY_MS);
    let reference = take_down_request(store, &rules, t0, Some(citizen)).await;
    let housing = Actor::handler("wang.housing", &["housing"]);
    let steps = [
        (&agent(), Command::Dispatch),
        (&housing, Command::Accept),
        (
            &housing,
            Command::Reply {
                text: "The lift was repaired".into(),
            },
        ),
        (&housing, Command::Close),
    ];
    for (i, (actor, command)) in steps.into_iter().enumerate() {
        let at = Timestamp(t0.0 + (i as i64 + 1) * 3_600_000);
        act(store, &rules, at, actor, &reference, command).await;
    }
    let due = store
        .follow_ups_due(now(), 10)
        .await
        .expect("follow-ups due");
    assert!(
        due.iter().any(|d| d.order == reference),
        "the follow-up is due: {due:?}"
    );
    reference
}

/// A scripts folder with a plain hotline script (no opening hours: always
/// open), the shipped follow-up script and the shipped prompts.
pub fn follow_up_scripts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("plain.toml"),
        r#"
[script]
name = "plain"
start = "goodbye"
languages = ["zh", "en"]
default_language = "zh"

[[hangup]]
id = "goodbye"
prompts = ["goodbye"]
reason = "goodbye"
"#,
    )
    .expect("write the script");
    let shipped = format!("{}/../../ivr_scripts", env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        format!("{shipped}/follow_up.toml"),
        dir.path().join("follow_up.toml"),
    )
    .expect("copy the follow-up script");
    std::os::unix::fs::symlink(format!("{shipped}/prompts"), dir.path().join("prompts"))
        .expect("link the prompts");
    dir
}

/// The reporter's phone behind the outbound trunk: a SIPp UAS on `port`
/// that answers one follow-up call, echoes its audio and presses 4
/// (`trunk_reporter_rates_the_follow_up.xml`) 20 s after answering.
pub fn reporter_rating_the_follow_up(port: u16) -> super::SippProcess {
    let scenario = super::scenario("trunk_reporter_rates_the_follow_up.xml");
    super::phone_behind_the_trunk(
        port,
        &["-sf", &scenario],
        std::time::Duration::from_secs(90),
    )
}

/// As [`reporter_rating_the_follow_up`], pressing 4 `listening` after
/// answering (a longer reply takes longer to read out before the question).
pub fn reporter_rating_the_follow_up_after(
    port: u16,
    listening: std::time::Duration,
) -> super::SippProcess {
    let shipped =
        std::fs::read_to_string(super::scenario("trunk_reporter_rates_the_follow_up.xml"))
            .expect("the reporter's scenario");
    let pause = r#"<pause milliseconds="20000"/>"#;
    assert!(shipped.contains(pause), "the scenario's pause moved");
    let scenario = shipped.replace(
        pause,
        &format!(r#"<pause milliseconds="{}"/>"#, listening.as_millis()),
    );
    let port = port.to_string();
    super::sipp_with_files(
        None,
        &["-sf", "reporter.xml", "-p", &port, "-rtp_echo", "-m", "1"],
        &[("reporter.xml", scenario.as_bytes())],
        std::time::Duration::from_secs(120),
    )
}

/// A hotline's data folder and its SQLite store, opened from the test (on
/// a runtime of its own) to put orders in before the hotline starts and to
/// read them after it stopped; [`DataDir::env`] points the hotline at it.
pub struct DataDir {
    _dir: tempfile::TempDir,
    path: String,
    db: String,
    /// The PostgreSQL schema the store lives in (`None`: SQLite in the folder).
    schema: Option<String>,
    runtime: tokio::runtime::Runtime,
}

impl DataDir {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("data dir");
        let path = dir.path().display().to_string();
        let db = format!("sqlite://{path}/hotline.db");
        Self::with_db(dir, path, db, None)
    }

    /// A data folder whose store is a fresh schema of the PostgreSQL
    /// database at `url` (the hotline reaches it by its search path).
    pub fn on_postgresql(url: &str) -> Self {
        let dir = tempfile::tempdir().expect("data dir");
        let path = dir.path().display().to_string();
        let schema = format!("e2e_{}", uuid_like());
        let sep = if url.contains('?') { '&' } else { '?' };
        let db = format!("{url}{sep}options=-c%20search_path%3D{schema}");
        Self::with_db(dir, path, db, Some(schema))
    }

    fn with_db(dir: tempfile::TempDir, path: String, db: String, schema: Option<String>) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        DataDir {
            _dir: dir,
            path,
            db,
            schema,
            runtime,
        }
    }

    /// The data folder.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `work` on the store (migrated), closed afterwards.
    pub fn with_store<T>(&self, work: impl AsyncFnOnce(&Store) -> T) -> T {
        self.runtime.block_on(async {
            let mut options = StoreOptions::new(b"orders-e2e-test-key-0123456789ab".to_vec());
            options.postgres_schema = self.schema.clone();
            let store = Store::connect_with(&self.db, options).await.expect("store");
            store.migrate().await.expect("migrate");
            let out = work(&store).await;
            store.close().await;
            out
        })
    }

    /// Every non-empty value of every text column of every table of the
    /// store, as (table, column, value), read with the database's own
    /// catalogue (no knowledge of the schema).
    pub fn text_values(&self) -> Vec<(String, String, String)> {
        self.runtime.block_on(async {
            let mut out = Vec::new();
            match &self.schema {
                None => {
                    let pool = sqlx::SqlitePool::connect(&self.db).await.expect("sqlite");
                    let columns: Vec<(String, String)> = sqlx::query_as(
                        "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
                         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND upper(p.type) = 'TEXT'",
                    )
                    .fetch_all(&pool)
                    .await
                    .expect("columns");
                    for (table, column) in columns {
                        let values: Vec<Option<String>> =
                            sqlx::query_scalar(&format!("SELECT \"{column}\" FROM \"{table}\""))
                                .fetch_all(&pool)
                                .await
                                .expect("values");
                        out.extend(
                            values
                                .into_iter()
                                .flatten()
                                .map(|v| (table.clone(), column.clone(), v)),
                        );
                    }
                    pool.close().await;
                }
                Some(schema) => {
                    let pool = sqlx::PgPool::connect(&self.db).await.expect("postgres");
                    let columns: Vec<(String, String)> = sqlx::query_as(
                        "SELECT table_name::text, column_name::text FROM information_schema.columns \
                         WHERE table_schema = $1 AND data_type = 'text'",
                    )
                    .bind(schema)
                    .fetch_all(&pool)
                    .await
                    .expect("columns");
                    for (table, column) in columns {
                        let values: Vec<Option<String>> = sqlx::query_scalar(&format!(
                            "SELECT \"{column}\" FROM \"{schema}\".\"{table}\""
                        ))
                        .fetch_all(&pool)
                        .await
                        .expect("values");
                        out.extend(
                            values
                                .into_iter()
                                .flatten()
                                .map(|v| (table.clone(), column.clone(), v)),
                        );
                    }
                    pool.close().await;
                }
            }
            out
        })
    }

    /// The hotline's settings for this store and folder.
    pub fn env(&self) -> [(&'static str, &str); 2] {
        [
            ("HOTLINE_DATABASE_URL", &self.db),
            ("HOTLINE_DATABASE_DATA_DIR", &self.path),
        ]
    }
}

/// A name part unique enough for a test's schema.
fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:x}_{}", nanos, std::process::id())
}
