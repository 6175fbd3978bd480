//! A caller's choice at an IVR consent notice (a `consent_recorded`
//! event) lands on the record of every citizen holding the caller's
//! number, in the same write as the event: one consent row each (channel
//! `phone_ivr`) and one audit entry each (actor `ivr`, through the call).
//! A replayed batch adds nothing; a citizen with another number, an erased
//! citizen and a hidden number get nothing.

mod common;

use common::*;
use hotline_store::{AuditEntry, Consent, NewCitizen, Store};
use hotline_types::{CallEvent, CallId, CitizenId};

const NUMBER: &str = "13800138000";

fn started(call: CallId, caller: &str, offset_ms: i64) -> hotline_types::CallEventRecord {
    rec(
        call,
        offset_ms,
        CallEvent::CallStarted {
            caller: caller.into(),
            called: "12345".into(),
            sip_call_id: format!("{call}@test"),
            node: None,
            linked_call: None,
        },
    )
}

fn consent(call: CallId, offset_ms: i64, granted: bool) -> hotline_types::CallEventRecord {
    rec(
        call,
        offset_ms,
        CallEvent::ConsentRecorded {
            purpose: "recording".into(),
            granted,
            channel: "phone_ivr".into(),
        },
    )
}

async fn citizen(s: &Store, name: &str, phone: &str) -> CitizenId {
    s.create_citizen(
        &admin(0),
        &NewCitizen {
            full_name: name.into(),
            phones: vec![phone.into()],
            ..NewCitizen::default()
        },
    )
    .await
    .unwrap()
}

async fn consents(s: &Store, id: CitizenId) -> Vec<Consent> {
    s.citizen(&admin(60_000), id)
        .await
        .unwrap()
        .map(|r| r.citizen.consents)
        .unwrap_or_default()
}

async fn consent_audit(s: &Store, id: CitizenId) -> Vec<AuditEntry> {
    s.audit_trail(&admin(60_000), id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "record_consent")
        .collect()
}

#[tokio::test]
async fn ivr_consent_reaches_the_citizen_record() {
    for ts in stores().await {
        let s = &ts.store;
        // A family phone: two citizens give the same number.
        let mother = citizen(s, "Wang Fang", NUMBER).await;
        let son = citizen(s, "Wang Lei", NUMBER).await;
        let stranger = citizen(s, "Zhao Min", "13900139000").await;
        let gone = citizen(s, "Sun Li", NUMBER).await;
        s.erase_citizen(&admin(100), gone).await.unwrap();

        // The call starts in one batch; the choice comes in the next.
        let call = CallId::new();
        s.append_events(&[started(call, NUMBER, 1_000)])
            .await
            .unwrap();
        let declined = vec![consent(call, 9_000, false)];
        s.append_events(&declined).await.unwrap();
        // The writer replays a batch it is unsure of: nothing doubles.
        let replay = s.append_events(&declined).await.unwrap();
        assert_eq!(replay.inserted, 0, "{}", ts.label);

        for id in [mother, son] {
            assert_eq!(
                consents(s, id).await,
                [Consent {
                    what: "recording".into(),
                    granted: 0,
                    channel: "phone_ivr".into(),
                    at_ms: at(9_000).as_millis(),
                    actor: Some("ivr".into()),
                    via_call: Some(call.to_string()),
                }],
                "{}: citizen {id:?}",
                ts.label
            );
            let audit = consent_audit(s, id).await;
            assert_eq!(audit.len(), 1, "{}: {audit:?}", ts.label);
            let entry = &audit[0];
            assert_eq!(entry.actor, "ivr");
            assert_eq!(entry.citizen_id, Some(id.0));
            assert_eq!(entry.via_call.as_deref(), Some(call.to_string().as_str()));
            assert_eq!(entry.reason, "caller's choice in the IVR");
            assert_eq!(entry.at_ms, at(9_000).as_millis());
        }
        for id in [stranger, gone] {
            assert!(consents(s, id).await.is_empty(), "{}", ts.label);
            assert!(consent_audit(s, id).await.is_empty(), "{}", ts.label);
        }

        // A later call agrees, both events in one batch: the history keeps
        // both choices, the latest first.
        let later = CallId::new();
        s.append_events(&[started(later, NUMBER, 20_000), consent(later, 25_000, true)])
            .await
            .unwrap();
        let history = consents(s, mother).await;
        assert_eq!(
            history.iter().map(|c| c.granted).collect::<Vec<_>>(),
            [1, 0],
            "{}: {history:?}",
            ts.label
        );
        assert_eq!(history[0].at_ms, at(25_000).as_millis());
        let calls: Vec<Option<String>> = consent_audit(s, mother)
            .await
            .into_iter()
            .map(|e| e.via_call)
            .collect();
        assert_eq!(
            calls,
            [Some(later.to_string()), Some(call.to_string())],
            "{}",
            ts.label
        );

        // A hidden number is nobody's: the choice stays in the call's events.
        let hidden = CallId::new();
        let outcome = s
            .append_events(&[started(hidden, "", 30_000), consent(hidden, 31_000, false)])
            .await
            .unwrap();
        assert_eq!(outcome.inserted, 2, "{}", ts.label);
        assert_eq!(consents(s, mother).await.len(), 2, "{}", ts.label);
        let events = s.call_events(hidden).await.unwrap();
        assert!(
            events
                .iter()
                .any(|e| matches!(e.event, CallEvent::ConsentRecorded { granted: false, .. })),
            "{}: {events:?}",
            ts.label
        );
        ts.finish().await;
    }
}
