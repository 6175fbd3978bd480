//! The consents callers give or refuse at an IVR notice, put on the
//! citizen record: a `consent_recorded` event of a call becomes, in the
//! same transaction as the event itself (see `Store::append_events`), one
//! `consents` row and one audit entry (actor `ivr`, action
//! `record_consent`, through the call) for every citizen who is not erased
//! and holds the call's caller number. Only new events are applied, so a
//! replayed batch adds nothing: idempotent by event id, like the call
//! records and the statistics.
//!
//! A caller number that no citizen holds (or none at all) leaves the
//! choice in the call's events only; a citizen created later for that
//! number does not inherit it. The `calls` row, not the event, says whose
//! number it is, so an event arriving in a later batch than the call's
//! start still finds it.

use hotline_types::CallEvent;

use crate::citizens::normalize_phone;
use crate::error::Result;
use crate::stats::derive::CallChange;

/// Who the audit log names for a choice made by keys in the IVR.
const IVR_ACTOR: &str = "ivr";
const AUDIT_ACTION: &str = "record_consent";
const AUDIT_REASON: &str = "caller's choice in the IVR";

/// One choice to put on the record of the citizens holding `number`.
struct Choice<'a> {
    call_id: &'a str,
    number: String,
    at_ms: i64,
    purpose: &'a str,
    granted: bool,
    channel: &'a str,
}

/// The choices among the new events of `changes`, in event order.
fn choices<'a>(changes: &'a [CallChange<'_>]) -> Vec<Choice<'a>> {
    let mut out = Vec::new();
    for change in changes {
        // A hidden or malformed number belongs to nobody on the record.
        let Some(number) = change
            .after
            .caller
            .as_deref()
            .and_then(|c| normalize_phone(c).ok())
        else {
            continue;
        };
        for e in &change.events {
            if let CallEvent::ConsentRecorded {
                purpose,
                granted,
                channel,
            } = &e.event
            {
                out.push(Choice {
                    call_id: &change.call_id,
                    number: number.clone(),
                    at_ms: e.at.as_millis(),
                    purpose,
                    granted: *granted,
                    channel,
                });
            }
        }
    }
    out
}

/// The consents half of an append, on one backend's transaction.
pub(crate) trait DeriveConsents {
    /// Records the new `consent_recorded` events of `changes` on the
    /// record of the citizens holding each call's caller number.
    async fn derive_consents(&mut self, changes: &[CallChange<'_>]) -> Result<()>;
}

macro_rules! impl_derive_consents {
    ($db:ty) => {
        impl DeriveConsents for sqlx::Transaction<'static, $db> {
            async fn derive_consents(&mut self, changes: &[CallChange<'_>]) -> Result<()> {
                let conn = &mut **self;
                for choice in choices(changes) {
                    sqlx::query(
                        "INSERT INTO consents (citizen_id, what, granted, channel, at_ms, actor, via_call) \
                         SELECT p.citizen_id, $1, $2, $3, $4, $6, $7 FROM citizen_phones p \
                         JOIN citizens c ON c.citizen_id = p.citizen_id \
                         WHERE p.number = $5 AND c.erased_at_ms IS NULL",
                    )
                    .bind(choice.purpose)
                    .bind(i64::from(choice.granted))
                    .bind(choice.channel)
                    .bind(choice.at_ms)
                    .bind(choice.number.as_str())
                    .bind(IVR_ACTOR)
                    .bind(choice.call_id)
                    .execute(&mut *conn)
                    .await?;
                    sqlx::query(
                        "INSERT INTO audit_log (at_ms, actor, action, citizen_id, via_call, reason, detail) \
                         SELECT $1, $2, $3, p.citizen_id, $4, $5, $7 FROM citizen_phones p \
                         JOIN citizens c ON c.citizen_id = p.citizen_id \
                         WHERE p.number = $6 AND c.erased_at_ms IS NULL",
                    )
                    .bind(choice.at_ms)
                    .bind(IVR_ACTOR)
                    .bind(AUDIT_ACTION)
                    .bind(choice.call_id)
                    .bind(AUDIT_REASON)
                    .bind(choice.number.as_str())
                    .bind(format!(
                        "{}: {}",
                        choice.purpose,
                        if choice.granted { "granted" } else { "withdrawn" }
                    ))
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }
        }
    };
}

impl_derive_consents!(sqlx::Sqlite);
impl_derive_consents!(sqlx::Postgres);
