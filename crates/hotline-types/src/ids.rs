//! Typed identifiers, so a queue name can never be passed where an agent is meant.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One call through the hotline, from the first INVITE to the end of wrap-up.
///
/// A UUIDv7, so ids sort by creation time and index well in the store.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct CallId(pub Uuid);

impl CallId {
    /// A fresh, time-ordered call id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for CallId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One event in the append-only log; the key that makes writing it idempotent.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct EventId(pub Uuid);

impl EventId {
    /// A fresh, time-ordered event id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for EventId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// One promise to call a citizen back, in the store's callback list.
///
/// A UUIDv7 like [`CallId`]: a callback is asked for on one call and placed
/// on others, so it has an id of its own.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct CallbackId(pub Uuid);

impl CallbackId {
    /// A fresh, time-ordered callback id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for CallbackId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for CallbackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A citizen in the shared record (the store's primary key).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct CitizenId(pub i64);

impl fmt::Display for CitizenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

macro_rules! name_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as written in the configuration.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }
    };
}

name_id!(
    /// An agent's login name (also their SIP user name unless configured otherwise).
    AgentId
);
name_id!(
    /// An ACD queue, named in the configuration (usually one per department).
    QueueId
);
name_id!(
    /// A category of the work-order dispatch catalogue, e.g. `complaint`.
    CategoryCode
);
name_id!(
    /// A department that handles work orders, e.g. `housing`.
    DepartmentId
);
name_id!(
    /// A console user's login name, whatever their role.
    UserId
);
