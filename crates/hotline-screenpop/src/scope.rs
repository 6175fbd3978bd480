//! Whose figures a user may see on the wallboard and in the reports:
//! admins everything; supervisors the queues of their department(s), the
//! agents serving them and the cases of those departments (a supervisor
//! without a department oversees the whole centre); agents their own
//! figures only (dispatchers and handlers, who take no calls, none).
//!
//! A supervisor's `department` may name several, separated by commas.
//! A queue belongs to a department when the department names the queue's
//! department or the queue itself (user departments are often written as
//! queue names); names are compared without regard to case or surrounding
//! spaces.
//!
//! Owns only the decision; the handlers and the wallboard apply it.

use hotline_store::{Role, User};

/// What one user may see.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Scope {
    /// Admins, and supervisors without a department.
    All,
    /// Supervisors of these departments (lower case, sorted, once each).
    Departments(Vec<String>),
    /// An agent: their own figures.
    Agent(String),
}

fn norm(name: &str) -> String {
    name.trim().to_lowercase()
}

impl Scope {
    pub(crate) fn of(user: &User) -> Self {
        match user.role {
            Role::Admin => Scope::All,
            // Order staff have no figures of their own on these pages.
            Role::Agent | Role::Dispatcher | Role::Handler | Role::Privacy => {
                Scope::Agent(user.login.clone())
            }
            Role::Supervisor => {
                let mut departments: Vec<String> = user.departments().map(norm).collect();
                departments.sort();
                departments.dedup();
                if departments.is_empty() {
                    Scope::All
                } else {
                    Scope::Departments(departments)
                }
            }
        }
    }

    /// Sees every queue, agent and case.
    pub(crate) fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }

    /// Whether the queue `queue` of department `department` is theirs.
    pub(crate) fn sees_queue(&self, queue: &str, department: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Agent(_) => false,
            Scope::Departments(mine) => {
                let (queue, department) = (norm(queue), norm(department));
                mine.iter().any(|d| *d == queue || *d == department)
            }
        }
    }

    /// Whether a department (of a case, an agent, or a department report
    /// row) is theirs: named by them, or the department or name of a queue
    /// of theirs (`queues` lists every queue with its department).
    pub(crate) fn sees_department<'a>(
        &self,
        department: &str,
        queues: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> bool {
        match self {
            Scope::All => true,
            Scope::Agent(_) => false,
            Scope::Departments(mine) => {
                let wanted = norm(department);
                mine.contains(&wanted)
                    || queues.into_iter().any(|(queue, dept)| {
                        (norm(dept) == wanted || norm(queue) == wanted)
                            && self.sees_queue(queue, dept)
                    })
            }
        }
    }

    /// Whether an agent's figures are theirs to see: the agent themself;
    /// for department supervisors, an agent whose department is theirs or
    /// who serves one of their queues (a skill named like the queue).
    pub(crate) fn sees_agent<'a>(
        &self,
        agent: &str,
        user: Option<&User>,
        queues: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    ) -> bool {
        match self {
            Scope::All => true,
            Scope::Agent(me) => me == agent,
            Scope::Departments(_) => user.is_some_and(|u| {
                u.department
                    .as_deref()
                    .is_some_and(|d| self.sees_department(d, queues.clone()))
                    || u.skills.iter().any(|s| {
                        queues
                            .clone()
                            .into_iter()
                            .any(|(q, dept)| q == s.skill && self.sees_queue(q, dept))
                    })
            }),
        }
    }

    /// For the pages: `"all"`, the departments, or `"self"`.
    pub(crate) fn describe(&self) -> serde_json::Value {
        match self {
            Scope::All => serde_json::json!("all"),
            Scope::Departments(d) => serde_json::json!(d),
            Scope::Agent(_) => serde_json::json!("self"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_store::Skill;

    fn user(role: Role, department: Option<&str>, skills: &[&str]) -> User {
        User {
            id: 1,
            login: "u".into(),
            display_name: "u".into(),
            role,
            department: department.map(str::to_owned),
            disabled: false,
            must_change_password: false,
            skills: skills
                .iter()
                .map(|s| Skill {
                    skill: (*s).into(),
                    level: 5,
                })
                .collect(),
        }
    }

    const QUEUES: [(&str, &str); 3] = [
        ("housing", "Housing Bureau"),
        ("transport", "Transport Bureau"),
        ("general", "General enquiries"),
    ];

    #[test]
    fn a_supervisor_of_departments_sees_their_queues_by_department_or_queue_name() {
        let scope = Scope::of(&user(
            Role::Supervisor,
            Some(" housing bureau , transport"),
            &[],
        ));
        assert_eq!(
            scope,
            Scope::Departments(vec!["housing bureau".into(), "transport".into()])
        );
        assert!(scope.sees_queue("housing", "Housing Bureau"));
        assert!(scope.sees_queue("transport", "Transport Bureau"));
        assert!(!scope.sees_queue("general", "General enquiries"));
        assert!(scope.sees_department("Transport Bureau", QUEUES));
        assert!(!scope.sees_department("General enquiries", QUEUES));
    }

    #[test]
    fn admins_and_supervisors_without_a_department_see_everything_agents_themselves() {
        assert!(Scope::of(&user(Role::Admin, Some("housing"), &[])).is_all());
        assert!(Scope::of(&user(Role::Supervisor, None, &[])).is_all());
        assert!(Scope::of(&user(Role::Supervisor, Some(" , "), &[])).is_all());
        let agent = Scope::of(&user(Role::Agent, Some("housing"), &[]));
        assert!(!agent.sees_queue("housing", "Housing Bureau"));
        assert!(agent.sees_agent("u", None, QUEUES));
        assert!(!agent.sees_agent("v", None, QUEUES));
    }

    #[test]
    fn a_department_supervisor_sees_the_agents_of_their_department_or_queues() {
        let scope = Scope::of(&user(Role::Supervisor, Some("Housing Bureau"), &[]));
        let housing_agent = user(Role::Agent, Some("housing"), &[]);
        let helper = user(Role::Agent, Some("transport"), &["housing"]);
        let other = user(Role::Agent, Some("transport"), &["general"]);
        assert!(scope.sees_agent("a", Some(&housing_agent), QUEUES));
        assert!(scope.sees_agent("b", Some(&helper), QUEUES));
        assert!(!scope.sees_agent("c", Some(&other), QUEUES));
        assert!(!scope.sees_agent("gone", None, QUEUES));
    }
}
