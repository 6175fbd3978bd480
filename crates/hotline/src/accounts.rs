//! `hotline user …`: the operator's accounts from the command line, on the
//! store the configuration names (the hotline may be running: SQLite in WAL
//! mode and PostgreSQL both take a second writer). A new account and a reset
//! get a generated one-time password, printed once; only its argon2 hash is
//! stored.

use anyhow::Context;
use clap::Subcommand;
use hotline_orders::{Catalogue, DepartmentId};
use hotline_store::{NewUser, Role, Skill, Store, StoreError};
use hotline_types::Timestamp;

/// What `hotline user` does.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account and print its one-time password.
    Add {
        /// The login (letters, digits, `.`, `_`, `-`; a phone registers under
        /// the same name).
        login: String,
        /// agent, supervisor, admin, dispatcher, handler or privacy.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The name shown in the console (default: the login).
        #[arg(long)]
        name: Option<String>,
        /// The department an agent answers for, a supervisor oversees or a
        /// handler works orders for (one of the catalogue's departments).
        #[arg(long)]
        department: Option<String>,
        /// A skill and its level for skills-based routing, e.g. `cantonese:3`
        /// (repeat for more).
        #[arg(long = "skill", value_parser = parse_skill)]
        skills: Vec<Skill>,
    },
    /// List every account: login, role, department, skills, whether disabled.
    List,
    /// Stop an account from logging in (a leaver); its history stays.
    Disable { login: String },
    /// Let a disabled account log in again.
    Enable { login: String },
    /// Give an account a new one-time password and print it.
    ResetPassword { login: String },
}

/// Carries out a `hotline user` command; what it prints is for the operator.
/// A handler's department is checked against the work orders' `catalogue`:
/// a handler of a department that receives no orders would see an empty
/// inbox for ever.
pub async fn run(store: &Store, catalogue: &Catalogue, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            login,
            role,
            name,
            department,
            skills,
        } => {
            if let (Role::Handler, Some(department)) = (role, &department) {
                if catalogue
                    .department(&DepartmentId::from(department.as_str()))
                    .is_none()
                {
                    let known: Vec<&str> =
                        catalogue.departments().map(|d| d.code.as_str()).collect();
                    anyhow::bail!(
                        "{login}: the catalogue has no department {department:?} (orders.catalogue): one of {}",
                        known.join(", ")
                    );
                }
            }
            let password = one_time_password();
            let user = store
                .create_user(
                    &NewUser {
                        display_name: name.unwrap_or_else(|| login.clone()),
                        login: login.clone(),
                        role,
                        department,
                        password: password.clone(),
                        must_change_password: true,
                        skills,
                    },
                    Timestamp::from_system_time(std::time::SystemTime::now()),
                )
                .await
                .map_err(|e| refused(&login, e))?;
            outln!("created {} ({})", user.login, user.role.as_str());
            outln!("one-time password for {}: {password}", user.login);
            outln!("give it to them in person; it is not shown again");
        }
        UserCommand::List => {
            let users = store.list_users().await.context("listing the accounts")?;
            outln!(
                "{:<20} {:<11} {:<20} {:<9} skills",
                "login",
                "role",
                "department",
                "state"
            );
            for user in users {
                let skills: Vec<String> = user
                    .skills
                    .iter()
                    .map(|s| format!("{}:{}", s.skill, s.level))
                    .collect();
                outln!(
                    "{:<20} {:<11} {:<20} {:<9} {}",
                    user.login,
                    user.role.as_str(),
                    user.department.as_deref().unwrap_or("-"),
                    if user.disabled { "disabled" } else { "active" },
                    skills.join(",")
                );
            }
        }
        UserCommand::Disable { login } => {
            store
                .set_user_disabled(&login, true)
                .await
                .map_err(|e| refused(&login, e))?;
            outln!("disabled {login}: they can no longer log in");
        }
        UserCommand::Enable { login } => {
            store
                .set_user_disabled(&login, false)
                .await
                .map_err(|e| refused(&login, e))?;
            outln!("enabled {login}");
        }
        UserCommand::ResetPassword { login } => {
            let password = one_time_password();
            store
                .set_one_time_password(&login, &password)
                .await
                .map_err(|e| refused(&login, e))?;
            outln!("one-time password for {login}: {password}");
            outln!("they choose their own at the next login; their open sessions end");
        }
    }
    Ok(())
}

/// The store's refusal, worded for the operator.
fn refused(login: &str, error: StoreError) -> anyhow::Error {
    match error {
        StoreError::NotFound { .. } => anyhow::anyhow!("there is no account {login:?}"),
        StoreError::AlreadyExists { .. } => anyhow::anyhow!("the login {login:?} is taken"),
        StoreError::InvalidValue { field, reason } => anyhow::anyhow!("{field}: {reason}"),
        other => anyhow::Error::new(other).context(format!("account {login:?}")),
    }
}

/// A one-time password, typed once by the person it is for.
fn one_time_password() -> String {
    hotline_store::generated_secret(hotline_store::ONE_TIME_PASSWORD_CHARS)
}

fn parse_role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| {
        format!("{text:?} is not a role: agent, supervisor, admin, dispatcher or handler")
    })
}

fn parse_skill(text: &str) -> Result<Skill, String> {
    let (skill, level) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not skill:level, e.g. cantonese:3"))?;
    let level: i64 = level
        .parse()
        .map_err(|_| format!("{text:?}: the level after ':' is a number, e.g. cantonese:3"))?;
    Ok(Skill {
        skill: skill.to_owned(),
        level,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_are_long_unambiguous_and_different() {
        let a = one_time_password();
        let b = one_time_password();
        assert_eq!(a.chars().count(), 16);
        assert_ne!(a, b);
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']), "{a}");
    }

    #[test]
    fn skills_and_roles_read_as_the_help_says() {
        assert_eq!(
            parse_skill("cantonese:3").unwrap(),
            Skill {
                skill: "cantonese".into(),
                level: 3
            }
        );
        assert!(parse_skill("cantonese")
            .unwrap_err()
            .contains("skill:level"));
        assert!(parse_skill("cantonese:x").unwrap_err().contains("number"));
        assert_eq!(parse_role("supervisor").unwrap(), Role::Supervisor);
        assert!(parse_role("boss")
            .unwrap_err()
            .contains("agent, supervisor, admin, dispatcher or handler"));
    }
}
