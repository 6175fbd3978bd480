//! Console sessions, in memory: a random 256-bit id (the cookie), the user,
//! a random 256-bit CSRF token, and idle expiry. Time comes in as `now`.
//!
//! Sessions are node-local and die with the process: an agent logs in again
//! after a restart. Nothing here reads the clock.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hotline_store::User;
use rand::rngs::OsRng;
use rand::RngCore;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hotline_session";

/// A live session as the request handlers see it.
#[derive(Debug, Clone)]
pub struct Authed {
    pub session_id: String,
    pub user: User,
    pub csrf_token: String,
}

#[derive(Debug)]
struct Session {
    user: User,
    csrf_token: String,
    last_seen: Instant,
}

/// Every open session of this node.
#[derive(Debug)]
pub(crate) struct Sessions {
    by_id: HashMap<String, Session>,
    idle: Duration,
    last_prune: Option<Instant>,
}

/// 256 random bits from the operating system, as 64 hex digits.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

impl Sessions {
    pub(crate) fn new(idle: Duration) -> Self {
        Self {
            by_id: HashMap::new(),
            idle,
            last_prune: None,
        }
    }

    /// Opens a session with fresh id and CSRF token.
    pub(crate) fn create(&mut self, user: User, now: Instant) -> Authed {
        self.prune_now_and_then(now);
        let session_id = random_token();
        let csrf_token = random_token();
        self.by_id.insert(
            session_id.clone(),
            Session {
                user: user.clone(),
                csrf_token: csrf_token.clone(),
                last_seen: now,
            },
        );
        Authed {
            session_id,
            user,
            csrf_token,
        }
    }

    /// The session under this id, if it exists and was used within the idle
    /// time; using it restarts the idle time. An expired one is removed.
    pub(crate) fn touch(&mut self, id: &str, now: Instant) -> Option<Authed> {
        let session = self.by_id.get_mut(id)?;
        if now.saturating_duration_since(session.last_seen) > self.idle {
            self.by_id.remove(id);
            return None;
        }
        session.last_seen = now;
        Some(Authed {
            session_id: id.to_owned(),
            user: session.user.clone(),
            csrf_token: session.csrf_token.clone(),
        })
    }

    /// Ends a session; returns whether it existed.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        self.by_id.remove(id).is_some()
    }

    /// How many sessions this login has open.
    pub(crate) fn count_for(&self, login: &str) -> usize {
        self.by_id
            .values()
            .filter(|s| s.user.login == login)
            .count()
    }

    /// After `login` chose a new password in session `keep`: ends their
    /// other sessions (answered: their ids) and frees `keep` from the
    /// password change.
    pub(crate) fn password_changed(&mut self, login: &str, keep: &str) -> Vec<String> {
        let mut ended = Vec::new();
        self.by_id.retain(|id, session| {
            if session.user.login != login {
                return true;
            }
            if id == keep {
                session.user.must_change_password = false;
                return true;
            }
            ended.push(id.clone());
            false
        });
        ended
    }

    /// Ends every session whose user no longer matches `current` (the
    /// account as the store now has it: `None` when it is gone): disabled,
    /// deleted, or with another role or department. Returns the ended
    /// sessions' ids and their users.
    pub(crate) fn revoke_changed(
        &mut self,
        current: impl Fn(&str) -> Option<User>,
    ) -> Vec<(String, User)> {
        let mut ended = Vec::new();
        self.by_id.retain(|id, session| {
            let keep = current(&session.user.login).is_some_and(|now| {
                !now.disabled
                    && now.role == session.user.role
                    && now.department == session.user.department
                    // An administrator's reset ends the sessions.
                    && (session.user.must_change_password || !now.must_change_password)
            });
            if !keep {
                ended.push((id.clone(), session.user.clone()));
            }
            keep
        });
        ended
    }

    fn prune_now_and_then(&mut self, now: Instant) {
        let due = self
            .last_prune
            .is_none_or(|last| now.saturating_duration_since(last) > Duration::from_secs(60));
        if due {
            let idle = self.idle;
            self.by_id
                .retain(|_, s| now.saturating_duration_since(s.last_seen) <= idle);
            self.last_prune = Some(now);
        }
    }

    /// Whether no session is open.
    pub(crate) fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_id.len()
    }
}

/// The session id from a `Cookie` header value.
pub(crate) fn session_from_cookie_header(value: &str) -> Option<&str> {
    value.split(';').find_map(|pair| {
        let (name, v) = pair.trim().split_once('=')?;
        (name == SESSION_COOKIE && !v.is_empty()).then_some(v)
    })
}

/// The `Set-Cookie` value that opens a session.
pub(crate) fn session_cookie(id: &str, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict{secure}")
}

/// The `Set-Cookie` value that clears the session cookie.
pub(crate) fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hotline_store::Role;

    fn user(login: &str) -> User {
        User {
            id: 1,
            login: login.into(),
            display_name: login.into(),
            role: Role::Agent,
            department: None,
            disabled: false,
            must_change_password: false,
            skills: vec![],
        }
    }

    #[test]
    fn a_session_expires_after_the_idle_time_and_use_extends_it() {
        let t0 = Instant::now();
        let mut sessions = Sessions::new(Duration::from_secs(600));
        let s = sessions.create(user("agent1"), t0);
        assert_eq!(s.session_id.len(), 64);
        assert_ne!(s.session_id, s.csrf_token);
        assert!(sessions
            .touch(&s.session_id, t0 + Duration::from_secs(500))
            .is_some());
        // Used at 500 s, so still alive at 1000 s.
        assert!(sessions
            .touch(&s.session_id, t0 + Duration::from_secs(1000))
            .is_some());
        assert!(sessions
            .touch(&s.session_id, t0 + Duration::from_secs(1601))
            .is_none());
        assert!(sessions
            .touch(&s.session_id, t0 + Duration::from_secs(1602))
            .is_none());
        assert_eq!(sessions.len(), 0);
    }

    #[test]
    fn expired_sessions_are_pruned_when_new_ones_open() {
        let t0 = Instant::now();
        let mut sessions = Sessions::new(Duration::from_secs(60));
        sessions.create(user("a"), t0);
        sessions.create(user("b"), t0 + Duration::from_secs(120));
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions.count_for("b"), 1);
    }

    #[test]
    fn a_disabled_or_changed_account_loses_its_sessions() {
        let mut sessions = Sessions::new(Duration::from_secs(60));
        let now = Instant::now();
        let kept = sessions.create(user("kept"), now);
        let disabled = sessions.create(user("leaver"), now);
        sessions.create(user("promoted"), now);
        sessions.create(user("gone"), now);
        let ended = sessions.revoke_changed(|login| match login {
            "kept" => Some(user("kept")),
            "leaver" => Some(User {
                disabled: true,
                ..user("leaver")
            }),
            "promoted" => Some(User {
                role: Role::Supervisor,
                ..user("promoted")
            }),
            _ => None,
        });
        let mut logins: Vec<_> = ended.iter().map(|(_, u)| u.login.as_str()).collect();
        logins.sort_unstable();
        assert_eq!(logins, ["gone", "leaver", "promoted"]);
        assert!(ended.iter().any(|(id, _)| *id == disabled.session_id));
        assert!(sessions.touch(&kept.session_id, now).is_some());
        assert!(sessions.touch(&disabled.session_id, now).is_none());
    }

    #[test]
    fn a_reset_ends_the_sessions_and_choosing_a_password_ends_the_others() {
        let mut sessions = Sessions::new(Duration::from_secs(60));
        let now = Instant::now();
        let reset = sessions.create(user("reset"), now);
        let first = User {
            must_change_password: true,
            ..user("new")
        };
        let here = sessions.create(first.clone(), now);
        let elsewhere = sessions.create(first.clone(), now);
        // An administrator reset "reset"'s password; "new" has not chosen
        // one yet (still held to the change: not ended).
        let ended = sessions.revoke_changed(|login| {
            Some(User {
                must_change_password: true,
                ..user(login)
            })
        });
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].0, reset.session_id);
        // "new" chooses a password in one session.
        let others = sessions.password_changed("new", &here.session_id);
        assert_eq!(others, std::slice::from_ref(&elsewhere.session_id));
        let freed = sessions.touch(&here.session_id, now).expect("kept");
        assert!(!freed.user.must_change_password);
        assert!(sessions.touch(&elsewhere.session_id, now).is_none());
    }

    #[test]
    fn cookies_are_read_among_others() {
        assert_eq!(
            session_from_cookie_header("theme=dark; hotline_session=abc; x=y"),
            Some("abc")
        );
        assert_eq!(session_from_cookie_header("hotline_session="), None);
        assert_eq!(session_from_cookie_header("other=1"), None);
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abcd", "abcd"));
        assert!(!same_secret("abcd", "abce"));
        assert!(!same_secret("abcd", "abc"));
    }
}
