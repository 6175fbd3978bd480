//! The export holds the citizen, their phones, consents, cases with notes,
//! call records and events, and who looked at them; the export itself is
//! audited.

mod common;

use common::*;
use hotline_store::{NewCase, NewCitizen};
use hotline_types::CallId;

#[tokio::test]
async fn export_holds_everything_about_a_citizen() {
    for ts in stores().await {
        let s = &ts.store;
        let id = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: "Sofia Rossi".into(),
                    national_id: Some("RSSSFO80A41H501U".into()),
                    preferred_language: Some("en".into()),
                    phones: vec!["+390612345678".into()],
                    tags: vec![],
                },
            )
            .await
            .unwrap();
        s.record_consent(&admin(1), id, "sms_updates", false, "web")
            .await
            .unwrap();
        let call = CallId::new();
        s.append_events(&answered_call(call, "+390612345678", "transport", 0, 3_000))
            .await
            .unwrap();
        let case = s
            .create_case(
                &agent_on_call(call, 100_000),
                &NewCase {
                    citizen: Some(id),
                    call: Some(call),
                    category: "complaint".into(),
                    department: "transport".into(),
                    summary: "Bus 64 skipped the stop".into(),
                },
            )
            .await
            .unwrap();
        s.add_case_note(
            &agent_on_call(call, 100_001),
            &case.case_ref,
            "Forwarded to the operator",
        )
        .await
        .unwrap();

        let export = s.export_citizen(&admin(200_000), id).await.unwrap();
        assert_eq!(
            export["citizen"]["full_name"], "Sofia Rossi",
            "{}",
            ts.label
        );
        assert_eq!(export["citizen"]["phones"][0], "+390612345678");
        assert_eq!(export["citizen"]["consents"][0]["what"], "sms_updates");
        assert_eq!(
            export["cases"][0]["case"]["summary"],
            "Bus 64 skipped the stop"
        );
        assert_eq!(
            export["cases"][0]["notes"][0]["body"],
            "Forwarded to the operator"
        );
        assert_eq!(export["calls"][0]["call_id"], call.to_string());
        assert_eq!(export["call_events"].as_array().unwrap().len(), 12);
        let actions: Vec<&str> = export["audit_log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert!(actions.contains(&"create"), "{actions:?}");
        assert!(actions.contains(&"create_case"));
        assert!(actions.contains(&"export"));
        // The national ID is never in clear, even in the export.
        assert!(!export.to_string().contains("RSSSFO80A41H501U"));
        ts.finish().await;
    }
}
