//! The nouns of a work order: names from the catalogue, who acts, where the
//! problem is and how it reached the hotline.

use serde::{Deserialize, Serialize};

// The catalogue's names are hotline-types' ids, like queues and agents.
pub use hotline_types::{CategoryCode, DepartmentId, UserId};

/// What a user may do to orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Role {
    /// A hotline agent: creates orders, resolves them on the call or
    /// dispatches them by the catalogue, records follow-ups.
    Agent,
    /// Re-dispatches orders that a department returned; merges duplicates.
    Dispatcher,
    /// Works the orders of their departments: accepts, notes, asks for more
    /// time, returns, replies and closes.
    Handler { departments: Vec<DepartmentId> },
    /// Decides on extensions and urges departments (督办).
    Supervisor,
}

impl Role {
    /// The role's name in errors and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Dispatcher => "dispatcher",
            Role::Handler { .. } => "handler",
            Role::Supervisor => "supervisor",
        }
    }
}

/// Who is asking: a user in one role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Actor {
    pub user: UserId,
    #[serde(flatten)]
    pub role: Role,
}

impl Actor {
    pub fn agent(user: &str) -> Self {
        Self {
            user: user.into(),
            role: Role::Agent,
        }
    }

    pub fn dispatcher(user: &str) -> Self {
        Self {
            user: user.into(),
            role: Role::Dispatcher,
        }
    }

    pub fn handler(user: &str, departments: &[&str]) -> Self {
        Self {
            user: user.into(),
            role: Role::Handler {
                departments: departments.iter().map(|d| (*d).into()).collect(),
            },
        }
    }

    pub fn supervisor(user: &str) -> Self {
        Self {
            user: user.into(),
            role: Role::Supervisor,
        }
    }

    /// Whether this user works for `department` (only handlers do).
    pub fn works_for(&self, department: &DepartmentId) -> bool {
        match &self.role {
            Role::Handler { departments } => departments.contains(department),
            _ => false,
        }
    }
}

/// How the request reached the hotline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Call,
    VoiceMessage,
    Web,
    Email,
    Other,
}

/// Where the problem is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Location {
    pub address: String,
    /// One of the catalogue's districts.
    pub district: String,
    /// One of that district's streets (街道).
    pub street: String,
    /// WGS-84 degrees, when the citizen or a map gave them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordinates: Option<Coordinates>,
}

/// A point in WGS-84 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

impl Location {
    /// Nowhere yet: a voice message says where only when someone listens.
    pub fn unknown() -> Self {
        Self {
            address: String::new(),
            district: String::new(),
            street: String::new(),
            coordinates: None,
        }
    }

    /// No address, district, street or coordinates at all.
    pub fn is_unknown(&self) -> bool {
        self.address.trim().is_empty()
            && self.district.is_empty()
            && self.street.is_empty()
            && self.coordinates.is_none()
    }
}

impl Coordinates {
    /// Within −90..=90 and −180..=180, and finite.
    pub fn is_valid(self) -> bool {
        (-90.0..=90.0).contains(&self.latitude) && (-180.0..=180.0).contains(&self.longitude)
    }
}
