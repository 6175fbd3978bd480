//! First-start accounts and the `--demo` data.
//!
//! On every start the store must hold at least one admin: when it has none,
//! `admin` is created with the configured password, or with a random one
//! printed once to the terminal (it is never stored in clear or logged
//! again). `hotline serve --demo` also adds two agents with SIP phones, a
//! supervisor, citizens and cases, so a newcomer can log in to the console,
//! register a softphone and call the hotline at once (logins in the README).

use anyhow::Context;
use hotline_orders::Catalogue;
use hotline_store::{AuditContext, NewCase, NewCitizen, NewUser, Role, Skill, Store};
use hotline_types::Timestamp;
use tracing::info;

/// A demo agent: console login `agentN` / `agentN-demo-pass`, SIP phone
/// `agentN` / `agentN-sip-pass` (the phone's user is the login).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAgent {
    pub login: String,
    pub name: String,
    pub department: &'static str,
    pub password: String,
    pub sip_password: String,
}

/// The first `count` demo agents: agent1 (housing) and agent2 (transport)
/// as the README lists them, then agents for every department in turn.
pub fn demo_agents(count: u32) -> Vec<DemoAgent> {
    const DEPARTMENTS: [&str; 5] = [
        "housing",
        "transport",
        "social_security",
        "environment",
        "general",
    ];
    const NAMES: [&str; 2] = ["Li Na", "Wang Wei"];
    (1..=count as usize)
        .map(|n| {
            let login = format!("agent{n}");
            DemoAgent {
                name: NAMES
                    .get(n - 1)
                    .map_or_else(|| format!("Demo agent {n}"), |s| (*s).to_owned()),
                department: DEPARTMENTS[(n - 1) % DEPARTMENTS.len()],
                password: format!("{login}-demo-pass"),
                sip_password: format!("{login}-sip-pass"),
                login,
            }
        })
        .collect()
}
pub const DEMO_SUPERVISOR: (&str, &str) = ("supervisor1", "supervisor1-demo-pass");

/// The demo's privacy officer (data-protection requests, `/privacy/`).
pub const DEMO_PRIVACY_OFFICER: (&str, &str) = ("privacy1", "privacy1-demo-pass");
/// The demo dispatcher (re-dispatches returned work orders).
pub const DEMO_DISPATCHER: (&str, &str) = ("dispatcher1", "dispatcher1-demo-pass");

/// The demo handler of a catalogue department: its login and password
/// (`handler-water`, `handler-water-demo-pass`).
pub fn demo_handler(department: &str) -> (String, String) {
    let login = format!("handler-{}", department.replace('_', "-"));
    let password = format!("{login}-demo-pass");
    (login, password)
}
/// A demo citizen the hotline knows: call from this number to see the pop.
pub const DEMO_CITIZEN_PHONE: &str = "13800138000";

fn now() -> Timestamp {
    Timestamp::from_system_time(std::time::SystemTime::now())
}

/// Creates the first admin when the store has none.
pub async fn ensure_admin(store: &Store, configured: Option<&str>) -> anyhow::Result<()> {
    let users = store.list_users().await.context("reading the users")?;
    if users.iter().any(|u| u.role == Role::Admin && !u.disabled) {
        return Ok(());
    }
    let login = if users.iter().any(|u| u.login == "admin") {
        format!("admin{}", users.len())
    } else {
        "admin".to_owned()
    };
    let (password, printed) = match configured {
        Some(p) => (p.to_owned(), false),
        None => {
            let bytes: [u8; 12] = rand::random();
            (hex::encode(bytes), true)
        }
    };
    let created = store
        .create_user(
            &NewUser {
                login: login.clone(),
                display_name: "Administrator".into(),
                role: Role::Admin,
                department: None,
                password: password.clone(),
                must_change_password: printed,
                skills: Vec::new(),
            },
            now(),
        )
        .await;
    match created {
        Ok(_) => {}
        // Several nodes of a centre starting at once on an empty store:
        // another one made the first admin a moment ago.
        Err(hotline_store::StoreError::AlreadyExists { .. })
            if store
                .list_users()
                .await
                .context("reading the users")?
                .iter()
                .any(|u| u.role == Role::Admin && !u.disabled) =>
        {
            return Ok(());
        }
        Err(e @ hotline_store::StoreError::InvalidValue { .. }) => {
            return Err(e).context(
                "creating the first admin (console.admin_password must have at least 10 characters)",
            );
        }
        Err(e) => return Err(e).context("creating the first admin"),
    }
    if printed {
        // Printed once, on the terminal only: not in the logs.
        println!(
            "\n  First start: the console's admin account is {login:?} with password {password:?}.\n  It is shown only this once; the console asks for a new one at the first login.\n"
        );
    }
    info!(login, "created the first admin account");
    Ok(())
}

/// The demo supervisor's phone (to listen in from the wallboard).
pub const DEMO_SUPERVISOR_SIP_PASSWORD: &str = "supervisor1-sip-pass";

/// The demo agents' phones and the demo supervisor's, in the store as
/// `hotline phone add` keeps them (digest hashes for `realm`); their
/// published secrets are set again at every demo start.
pub async fn add_phones(store: &Store, agents: &[DemoAgent], realm: &str) -> anyhow::Result<()> {
    let existing: Vec<String> = store
        .phone_accounts()
        .await
        .context("reading the phone accounts")?
        .into_iter()
        .map(|p| p.login)
        .collect();
    let phones = agents
        .iter()
        .map(|a| (a.login.as_str(), a.sip_password.as_str()))
        .chain([(DEMO_SUPERVISOR.0, DEMO_SUPERVISOR_SIP_PASSWORD)]);
    for (user, password) in phones {
        let account = hotline_store::PhoneAccount::with_secret(user, realm, password, Vec::new());
        let written = if existing.iter().any(|p| p == user) {
            store.replace_phone_account(&account, now()).await
        } else {
            store.add_phone_account(&account, now()).await
        };
        written.with_context(|| format!("adding the demo phone {user}"))?;
    }
    Ok(())
}

/// The demo's work-order staff: the dispatcher and one handler for each
/// department of the catalogue.
async fn seed_order_staff(
    store: &Store,
    catalogue: &Catalogue,
    at: Timestamp,
) -> anyhow::Result<()> {
    let (login, password) = DEMO_DISPATCHER;
    let mut staff = vec![(
        login.to_owned(),
        password.to_owned(),
        Role::Dispatcher,
        None,
        "Liu Yang".to_owned(),
    )];
    for department in catalogue.departments() {
        let (login, password) = demo_handler(department.code.as_str());
        staff.push((
            login,
            password,
            Role::Handler,
            Some(department.code.to_string()),
            department.name_en.clone(),
        ));
    }
    for (login, password, role, department, name) in staff {
        if store.user(&login).await?.is_some() {
            continue;
        }
        store
            .create_user(
                &NewUser {
                    login: login.clone(),
                    display_name: name,
                    role,
                    department,
                    password,
                    must_change_password: false,
                    skills: Vec::new(),
                },
                at,
            )
            .await
            .with_context(|| format!("creating the demo user {login}"))?;
    }
    Ok(())
}

/// Demo users, citizens and cases; does nothing for what already exists.
pub async fn seed(
    store: &Store,
    agents: &[DemoAgent],
    catalogue: &Catalogue,
) -> anyhow::Result<()> {
    let at = now();
    for agent in agents {
        let DemoAgent {
            login,
            name,
            department,
            password,
            ..
        } = agent;
        let department = *department;
        if store.user(login).await?.is_some() {
            continue;
        }
        let mut names = vec![department, "general", "lang_zh", "lang_en"];
        names.dedup();
        let skills = names
            .into_iter()
            .map(|skill| Skill {
                skill: skill.into(),
                level: 5,
            })
            .collect();
        store
            .create_user(
                &NewUser {
                    login: login.clone(),
                    display_name: name.clone(),
                    role: Role::Agent,
                    department: Some(department.into()),
                    password: password.clone(),
                    must_change_password: false,
                    skills,
                },
                at,
            )
            .await
            .with_context(|| format!("creating the demo agent {login}"))?;
    }
    let (login, password) = DEMO_SUPERVISOR;
    if store.user(login).await?.is_none() {
        store
            .create_user(
                &NewUser {
                    login: login.into(),
                    display_name: "Zhang Min".into(),
                    role: Role::Supervisor,
                    department: None,
                    password: password.into(),
                    must_change_password: false,
                    skills: Vec::new(),
                },
                at,
            )
            .await
            .context("creating the demo supervisor")?;
    }
    let (login, password) = DEMO_PRIVACY_OFFICER;
    if store.user(login).await?.is_none() {
        store
            .create_user(
                &NewUser {
                    login: login.into(),
                    display_name: "Sun Li".into(),
                    role: Role::Privacy,
                    department: None,
                    password: password.into(),
                    must_change_password: false,
                    skills: Vec::new(),
                },
                at,
            )
            .await
            .context("creating the demo privacy officer")?;
    }
    seed_order_staff(store, catalogue, at).await?;
    let audit = AuditContext {
        actor: "system".into(),
        access: hotline_store::Access::Administration,
        reason: "demo data (hotline serve --demo)".into(),
        at,
    };
    if store
        .citizen_by_phone(&audit, DEMO_CITIZEN_PHONE)
        .await?
        .is_empty()
    {
        let citizen = store
            .create_citizen(
                &audit,
                &NewCitizen {
                    full_name: "Chen Jing".into(),
                    national_id: None,
                    preferred_language: Some("zh".into()),
                    phones: vec![DEMO_CITIZEN_PHONE.into()],
                    tags: vec!["demo".into()],
                },
            )
            .await
            .context("creating the demo citizen")?;
        store
            .create_case(
                &audit,
                &NewCase {
                    citizen: Some(citizen),
                    call: None,
                    category: "complaint".into(),
                    department: "Housing".into(),
                    summary: "Water leaking from the flat above since last week".into(),
                },
            )
            .await
            .context("creating the demo case")?;
    }
    info!(agents = agents.len(), "demo data ready");
    Ok(())
}
