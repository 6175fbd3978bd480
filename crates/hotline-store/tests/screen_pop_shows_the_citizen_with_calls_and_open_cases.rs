//! The screen-pop query finds the citizen by any of their numbers, shows
//! the last 20 calls newest first and only open cases, and leaves an
//! audit entry for every view.

mod common;

use common::*;
use hotline_store::{Access, AuditContext, CaseStatus, NewCase, NewCitizen};
use hotline_types::CallId;

#[tokio::test]
async fn screen_pop_shows_the_citizen_with_calls_and_open_cases() {
    for ts in stores().await {
        let s = &ts.store;
        let id = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: "Wang Fang".into(),
                    national_id: Some("110105199001011234".into()),
                    preferred_language: Some("zh".into()),
                    phones: vec!["+86 139 0000 0005".into(), "+8602100000005".into()],
                    tags: vec!["elderly".into()],
                },
            )
            .await
            .unwrap();
        s.record_consent(&admin(1), id, "recording", true, "phone_ivr")
            .await
            .unwrap();
        // 25 calls from the mobile, one from the landline, one from a stranger.
        for i in 0..25 {
            s.append_events(&answered_call(
                CallId::new(),
                "+8613900000005",
                "housing",
                i * 1_000_000,
                5_000,
            ))
            .await
            .unwrap();
        }
        let landline_call = CallId::new();
        s.append_events(&abandoned_call(
            landline_call,
            "+8602100000005",
            "water",
            30_000_000,
            8_000,
        ))
        .await
        .unwrap();
        s.append_events(&answered_call(
            CallId::new(),
            "+8613999999999",
            "housing",
            40_000_000,
            5_000,
        ))
        .await
        .unwrap();
        let open = s
            .create_case(
                &admin(2),
                &NewCase {
                    citizen: Some(id),
                    call: None,
                    category: "repair_request".into(),
                    department: "housing".into(),
                    summary: "Broken stairwell light".into(),
                },
            )
            .await
            .unwrap();
        let done = s
            .create_case(
                &admin(3),
                &NewCase {
                    citizen: Some(id),
                    call: None,
                    category: "information".into(),
                    department: "housing".into(),
                    summary: "Asked about rent subsidy".into(),
                },
            )
            .await
            .unwrap();
        s.transition_case(&admin(4), &done.case_ref, CaseStatus::Resolved)
            .await
            .unwrap();

        let call = CallId::new();
        let ctx = agent_on_call(call, 50_000_000);
        let found = s.citizen_by_phone(&ctx, "+8613900000005").await.unwrap();
        assert_eq!(found.len(), 1, "{}", ts.label);
        let r = &found[0];
        assert_eq!(r.citizen.id, id);
        assert_eq!(r.citizen.full_name.as_deref(), Some("Wang Fang"));
        assert_eq!(
            r.citizen.national_id_masked.as_deref(),
            Some("**************1234")
        );
        assert_eq!(
            r.citizen.phones,
            vec!["+8602100000005".to_string(), "+8613900000005".to_string()]
        );
        assert_eq!(r.citizen.tags, vec!["elderly".to_string()]);
        assert_eq!(r.citizen.consents.len(), 1);
        assert_eq!(r.recent_calls.len(), 20, "{}", ts.label);
        // Newest first: the landline abandon is the newest of the citizen's calls.
        assert_eq!(r.recent_calls[0].call_id, landline_call.to_string());
        assert_eq!(r.recent_calls[0].abandoned, 1);
        assert!(r
            .recent_calls
            .windows(2)
            .all(|w| w[0].started_at_ms >= w[1].started_at_ms));
        assert!(r
            .recent_calls
            .iter()
            .all(|c| c.caller.as_deref() != Some("+8613999999999")));
        assert_eq!(r.open_cases.len(), 1);
        assert_eq!(r.open_cases[0].case_ref, open.case_ref);

        // By national ID (an audited search), in any spacing.
        let search = AuditContext {
            actor: "alice".into(),
            access: Access::Search(s.search_terms("1101 0519 9001 0112 34")),
            reason: "citizen called from a neighbour's phone".into(),
            at: at(50_000_001),
        };
        let by_id = s
            .citizen_by_national_id(&search, "1101 0519 9001 0112 34")
            .await
            .unwrap();
        assert_eq!(by_id.map(|r| r.citizen.id), Some(id));
        assert!(s
            .citizen_by_phone(&ctx, "+8613911111111")
            .await
            .unwrap()
            .is_empty());

        let trail = s.audit_trail(&admin(60_000_000), id).await.unwrap();
        let views: Vec<_> = trail.iter().filter(|e| e.action == "view").collect();
        assert_eq!(views.len(), 1, "{}", ts.label);
        assert_eq!(views[0].actor, "alice");
        assert_eq!(
            views[0].via_call.as_deref(),
            Some(call.to_string().as_str())
        );
        assert!(trail.iter().any(|e| e.action == "search"
            && e.via_search.as_deref() == Some(s.search_terms("110105199001011234").as_str())));

        // No read without a named actor and a reason.
        let anonymous = AuditContext {
            actor: " ".into(),
            ..ctx.clone()
        };
        assert!(s
            .citizen_by_phone(&anonymous, "+8613900000005")
            .await
            .is_err());
        ts.finish().await;
    }
}
