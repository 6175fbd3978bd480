//! A supervisor joining a conversation leaves an audit entry through the
//! call (listen, whisper, barge, end), and the call's audit trail lists
//! them with the screen-pop views of that call, newest first; reading it
//! is audited too. Anything but a monitoring action is refused.

mod common;

use common::*;
use hotline_store::{Access, AuditContext};
use hotline_types::CallId;

fn supervisor(call: CallId, offset_ms: i64) -> AuditContext {
    AuditContext {
        actor: "supervisor1".into(),
        access: Access::Call(call),
        reason: "quality monitoring".into(),
        at: at(offset_ms),
    }
}

#[tokio::test]
async fn listening_in_is_audited_per_call() {
    for ts in stores().await {
        let s = &ts.store;
        let call = CallId::new();
        let other = CallId::new();
        for (i, action) in ["monitor_listen", "monitor_whisper", "monitor_end"]
            .into_iter()
            .enumerate()
        {
            s.audit_monitoring(&supervisor(call, i as i64 * 1_000), action)
                .await
                .unwrap();
        }
        s.audit_monitoring(&supervisor(other, 500), "monitor_barge")
            .await
            .unwrap();
        let refused = s.audit_monitoring(&supervisor(call, 9_000), "view").await;
        assert!(refused.is_err(), "{refused:?}");
        let unnamed = AuditContext {
            actor: " ".into(),
            ..supervisor(call, 9_000)
        };
        assert!(s
            .audit_monitoring(&unnamed, "monitor_listen")
            .await
            .is_err());

        let trail = s.call_audit_trail(&admin(10_000), call).await.unwrap();
        let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["monitor_end", "monitor_whisper", "monitor_listen"],
            "{}",
            ts.label
        );
        assert!(trail.iter().all(|e| e.actor == "supervisor1"
            && e.via_call.as_deref() == Some(call.to_string().as_str())));
        ts.finish().await;
    }
}
