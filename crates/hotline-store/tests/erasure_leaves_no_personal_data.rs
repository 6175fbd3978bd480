//! Erasing a citizen removes their name, numbers and national ID from every
//! text column of every table, returns their recordings for deletion, and
//! keeps the anonymous statistics unchanged.

mod common;

use common::*;
use hotline_store::{NewCase, NewCitizen, StatsOptions};
use hotline_types::{CallEvent, CallId, Timestamp};

const NAME: &str = "Zhao Xiaoming";
const MOBILE: &str = "+8613900000777";
const LANDLINE: &str = "+8602100000777";
const NATIONAL_ID: &str = "11010519850707777X";

#[tokio::test]
async fn erasure_leaves_no_personal_data() {
    for ts in stores().await {
        let s = &ts.store;
        let id = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: NAME.into(),
                    national_id: Some(NATIONAL_ID.into()),
                    preferred_language: Some("zh".into()),
                    phones: vec![MOBILE.into(), LANDLINE.into()],
                    tags: vec!["frequent_caller".into()],
                },
            )
            .await
            .unwrap();
        // Someone else, who must keep their data.
        let other = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: "Li Na".into(),
                    phones: vec!["+8613900000888".into()],
                    ..NewCitizen::default()
                },
            )
            .await
            .unwrap();
        s.record_consent(&admin(1), id, "recording", true, "agent")
            .await
            .unwrap();
        let call = CallId::new();
        let mut events = answered_call(call, MOBILE, "housing", 0, 30_000);
        events.push(rec(
            call,
            1_000,
            CallEvent::DigitsCollected {
                node: "id".into(),
                digits: NATIONAL_ID.into(),
            },
        ));
        events.push(rec(
            call,
            1_100,
            CallEvent::VariableSet {
                name: "caller_name".into(),
                value: NAME.into(),
            },
        ));
        events.push(rec(
            call,
            1_200,
            CallEvent::CallbackRequested {
                queue: None,
                number: LANDLINE.into(),
            },
        ));
        s.append_events(&events).await.unwrap();
        let abandoned = CallId::new();
        s.append_events(&abandoned_call(
            abandoned, LANDLINE, "housing", 500_000, 45_000,
        ))
        .await
        .unwrap();
        s.append_events(&answered_call(
            CallId::new(),
            "+8613900000888",
            "housing",
            900_000,
            5_000,
        ))
        .await
        .unwrap();
        let case = s
            .create_case(
                &agent_on_call(call, 2_000),
                &NewCase {
                    citizen: Some(id),
                    call: Some(call),
                    category: "complaint".into(),
                    department: "housing".into(),
                    summary: format!("{NAME} reports a leaking roof, call back on {LANDLINE}"),
                },
            )
            .await
            .unwrap();
        s.add_case_note(
            &agent_on_call(call, 3_000),
            &case.case_ref,
            &format!("Spoke to {NAME}, ID {NATIONAL_ID}"),
        )
        .await
        .unwrap();
        let search = hotline_store::AuditContext {
            actor: "bob".into(),
            access: hotline_store::Access::Search(s.search_terms(MOBILE)),
            reason: "citizen asked for a callback".into(),
            at: at(4_000),
        };
        s.citizen_by_phone(&search, MOBILE).await.unwrap();
        let window = StatsOptions::per_queue(Timestamp(T0 - 3_600_000), Timestamp(T0 + 86_400_000));
        let stats_before = s.statistics(&window).await.unwrap();

        let report = s.erase_citizen(&admin(10_000), id).await.unwrap();
        assert_eq!(
            report.recordings_to_delete,
            vec![format!("rec/{call}.wav")],
            "{}",
            ts.label
        );
        assert_eq!(report.calls_anonymised, 2);
        assert_eq!(report.cases_anonymised, 1);

        // Search every text column of every table.
        let needles = [
            NAME,
            MOBILE,
            LANDLINE,
            NATIONAL_ID,
            "13900000777",
            "00000777",
            "xiaoming",
            "777X",
        ];
        let columns = ts.text_columns().await;
        assert!(
            columns.len() > 40,
            "{}: found only {} text columns",
            ts.label,
            columns.len()
        );
        for (table, column) in &columns {
            let values = ts
                .raw_strings(&format!("SELECT {column} FROM {table}"))
                .await;
            for value in values.into_iter().flatten() {
                for needle in needles {
                    assert!(
                        !value.to_lowercase().contains(&needle.to_lowercase()),
                        "{}: {table}.{column} still holds {needle:?}: {value:?}",
                        ts.label
                    );
                }
            }
        }
        // Statistics do not change.
        assert_eq!(
            s.statistics(&window).await.unwrap(),
            stats_before,
            "{}",
            ts.label
        );
        // The erased citizen is gone from lookups; the other one is intact.
        assert!(s.citizen(&admin(11_000), id).await.unwrap().is_none());
        let li = s.citizen(&admin(11_000), other).await.unwrap().unwrap();
        assert_eq!(li.citizen.full_name.as_deref(), Some("Li Na"));
        assert_eq!(li.recent_calls.len(), 1);
        // The case still counts, without the person.
        let status = s.case_status(&case.case_ref).await.unwrap().unwrap();
        assert_eq!(status.category, "complaint");
        ts.finish().await;
    }
}
