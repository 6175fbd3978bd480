//! A citizen who once called from a number they never gave (a neighbour's
//! phone, a public phone) had a case opened on that call: erasing them also
//! anonymises that call, found through the case, not only the calls from
//! their own numbers.

mod common;

use common::*;
use hotline_store::{NewCase, NewCitizen};
use hotline_types::CallId;

#[tokio::test]
async fn erasure_covers_calls_linked_by_a_case() {
    for ts in stores().await {
        let s = &ts.store;
        let id = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: "Qian Wei".into(),
                    phones: vec!["+8613900000555".into()],
                    ..NewCitizen::default()
                },
            )
            .await
            .unwrap();
        let borrowed = "+8613700000077";
        let call = CallId::new();
        s.append_events(&answered_call(call, borrowed, "housing", 0, 20_000))
            .await
            .unwrap();
        s.create_case(
            &agent_on_call(call, 30_000),
            &NewCase {
                citizen: Some(id),
                call: Some(call),
                category: "complaint".into(),
                department: "Housing".into(),
                summary: "Called from a neighbour's phone".into(),
            },
        )
        .await
        .unwrap();
        assert_eq!(
            s.call_record(call)
                .await
                .unwrap()
                .unwrap()
                .caller
                .as_deref(),
            Some(borrowed)
        );

        let report = s.erase_citizen(&admin(60_000), id).await.unwrap();
        assert_eq!(report.calls_anonymised, 1, "{}: {report:?}", ts.label);
        let record = s.call_record(call).await.unwrap().unwrap();
        assert_eq!(record.caller, None, "{}", ts.label);
        for (table, column) in ts.text_columns().await {
            let values = ts
                .raw_strings(&format!("SELECT {column} FROM {table}"))
                .await;
            assert!(
                !values.iter().flatten().any(|v| v.contains(borrowed)),
                "{}: {table}.{column} still holds the number",
                ts.label
            );
        }
        ts.finish().await;
    }
}
