//! The crate's one error type, and how it becomes an HTTP answer: client
//! mistakes get their status and a message meant for the user (with the
//! field at fault); internal failures are logged and answered with a
//! generic 500, never with store or SQL details.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::collections::BTreeMap;

use hotline_store::StoreError;
use schemars::JsonSchema;
use serde::Serialize;

use crate::api::Refused;

/// Everything that can go wrong in the console.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsoleError {
    /// No session, or it expired.
    #[error("log in first")]
    Unauthenticated,
    /// Unknown login, wrong password or disabled user: never says which.
    #[error("wrong login or password")]
    BadCredentials,
    /// The user's role or grants do not allow this.
    #[error("{reason}")]
    Forbidden { reason: &'static str },
    /// The account's password was set by an administrator: until its user
    /// chooses their own (`POST /api/me/password`), nothing else is allowed.
    #[error("choose your own password first")]
    PasswordChangeRequired,
    /// Missing or wrong CSRF token, or a foreign Origin.
    #[error("request refused: {reason}")]
    Csrf { reason: &'static str },
    /// Too many login attempts from this address or for this login, or
    /// too many citizen searches by this user.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A value the console refuses before doing anything.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The request body or query could not be read.
    #[error("malformed request: {detail}")]
    BadRequest { detail: String },
    /// The thing asked for does not exist.
    #[error("no {what} {key}")]
    NotFound { what: &'static str, key: String },
    /// This hotline was started without what the request needs.
    #[error("{what} are not configured on this hotline")]
    NotConfigured { what: &'static str },
    /// The ACD/call side refused; the page words it from its code.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The ACD/call side did not answer in time or is gone.
    #[error("the call centre did not answer; try again")]
    CallCentreUnavailable,
    /// The store failed or refused a value.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An event could not be turned into JSON (a bug).
    #[error("could not encode an event: {0}")]
    Encode(#[from] serde_json::Error),
}

impl ConsoleError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            ConsoleError::Unauthenticated | ConsoleError::BadCredentials => {
                StatusCode::UNAUTHORIZED
            }
            ConsoleError::Forbidden { .. }
            | ConsoleError::Csrf { .. }
            | ConsoleError::PasswordChangeRequired => StatusCode::FORBIDDEN,
            ConsoleError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ConsoleError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ConsoleError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ConsoleError::NotFound { .. } | ConsoleError::NotConfigured { .. } => {
                StatusCode::NOT_FOUND
            }
            ConsoleError::Refused(_) => StatusCode::CONFLICT,
            ConsoleError::CallCentreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ConsoleError::Store(e) => match e {
                StoreError::InvalidValue { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                StoreError::AlreadyExists { .. }
                | StoreError::InvalidTransition { .. }
                | StoreError::Concurrent { .. }
                // A work order refuses the command (phase, department, role),
                // lost a race too often, or is not (or is) a work order.
                | StoreError::Order(_)
                | StoreError::OrderConflict { .. }
                | StoreError::LegacyCase { .. }
                | StoreError::WorkOrderCase { .. }
                | StoreError::EventsSpooled { .. } => StatusCode::CONFLICT,
                StoreError::NotFound { .. } => StatusCode::NOT_FOUND,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ConsoleError::Encode(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn field(&self) -> Option<&'static str> {
        match self {
            ConsoleError::Invalid { field, .. } => Some(field),
            ConsoleError::Store(StoreError::InvalidValue { field, .. })
            | ConsoleError::Store(StoreError::AlreadyExists { field }) => Some(field),
            _ => None,
        }
    }
}

/// Every error answer's body (schema `ErrorBody` in the OpenAPI document).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ErrorBody {
    /// For the user; never internal details.
    error: String,
    /// The field at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    /// What was refused, for the page to word in the user's language:
    /// the call centre's refusals (409: not_talking, phone_not_registered,
    /// call_ended, ...), the work orders' (409: wrong_phase,
    /// not_your_department, ...) and password_change_required (403).
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    /// A call-centre refusal's fields beside its code (agent, queue,
    /// state, wanted, sip_user, message), for the page's words.
    #[serde(flatten)]
    details: BTreeMap<String, String>,
}

impl ConsoleError {
    fn body(&self, message: String) -> ErrorBody {
        let mut body = ErrorBody {
            error: message,
            field: self.field().map(str::to_owned),
            code: None,
            details: BTreeMap::new(),
        };
        match self {
            ConsoleError::Store(StoreError::Order(refusal)) => {
                body.code = Some(refusal.code().to_owned());
            }
            ConsoleError::PasswordChangeRequired => {
                body.code = Some("password_change_required".to_owned());
            }
            ConsoleError::Refused(refused) => {
                if let Ok(serde_json::Value::Object(typed)) = serde_json::to_value(refused) {
                    for (key, value) in typed {
                        let text = match value {
                            serde_json::Value::String(s) => s,
                            other => other.to_string(),
                        };
                        if key == "code" {
                            body.code = Some(text);
                        } else {
                            body.details.insert(key, text);
                        }
                    }
                }
            }
            _ => {}
        }
        body
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %self, "console request failed");
            "internal error; it was logged".to_owned()
        } else {
            tracing::debug!(error = %self, %status, "console request refused");
            self.to_string()
        };
        let mut response = (status, Json(self.body(message))).into_response();
        if let ConsoleError::RateLimited { retry_after_secs } = self {
            if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use hotline_types::CaseRef;

    use super::*;

    #[test]
    fn a_refused_or_contested_work_order_is_a_conflict_not_a_server_error() {
        let reference = CaseRef::new(2026, 12, 4, 1).expect("a reference");
        for error in [
            StoreError::OrderConflict {
                reference: reference.clone(),
                attempts: 6,
            },
            StoreError::LegacyCase {
                case_ref: reference.clone(),
            },
            StoreError::WorkOrderCase {
                case_ref: reference,
            },
        ] {
            assert_eq!(ConsoleError::Store(error).status(), StatusCode::CONFLICT);
        }
    }
}
