//! On a simulated date, a city's policy (recordings 90 days, voice messages
//! and the numbers of call records 365 days, the audit log three years)
//! forgets what is older than each window and keeps what is newer; a dry
//! run counts the same and changes nothing; a second run finds nothing.

mod common;

use common::retention::*;
use common::*;
use hotline_store::{RetentionMode, ERASED, EXPIRED};
use hotline_types::{CallId, Timestamp};

#[tokio::test]
async fn retention_forgets_each_kind_after_its_window() {
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let now = at(0);
        let talk_100_days_ago = CallId::new();
        let talk_10_days_ago = CallId::new();
        let message_400_days_ago = CallId::new();
        let message_100_days_ago = CallId::new();
        let mut events = answered_call(
            talk_100_days_ago,
            "+8613900001001",
            "housing",
            -100 * DAY,
            20_000,
        );
        events.extend(answered_call(
            talk_10_days_ago,
            "+8613900001002",
            "housing",
            -10 * DAY,
            20_000,
        ));
        events.extend(voice_message(
            message_400_days_ago,
            "+8613900001003",
            -400 * DAY,
            None,
        ));
        events.extend(voice_message(
            message_100_days_ago,
            "+8613900001004",
            -100 * DAY,
            None,
        ));
        s.append_events(&events).await.unwrap();
        // Supervisors listened in four years ago and last year.
        for (days_ago, call) in [(4 * 365, message_400_days_ago), (365, talk_10_days_ago)] {
            s.audit_monitoring(&agent_on_call(call, -days_ago * DAY), "monitor_listen")
                .await
                .unwrap();
        }

        let policy = city_policy(now);
        let counted = s
            .apply_retention(&job(now), &policy, RetentionMode::DryRun)
            .await
            .unwrap();
        assert!(
            ts.call_column(talk_100_days_ago, "recording")
                .await
                .is_some(),
            "{label}: a dry run changes nothing"
        );
        assert_eq!(
            ts.audit_actions().await.len(),
            2,
            "{label}: nor audits itself"
        );

        let report = s
            .apply_retention(&job(now), &policy, RetentionMode::Apply)
            .await
            .unwrap();
        assert_eq!(
            report, counted,
            "{label}: the dry run counted what the run did"
        );
        assert_eq!(report.recordings.forgotten, 1, "{label}");
        assert_eq!(
            report.recordings.files,
            [format!("rec/{talk_100_days_ago}.wav")],
            "{label}"
        );
        assert_eq!(report.voice_messages.forgotten, 1, "{label}");
        assert_eq!(
            report.voice_messages.files,
            [message_file(message_400_days_ago)],
            "{label}"
        );
        assert_eq!(
            report.calls.calls, 1,
            "{label}: only the call of 400 days ago"
        );
        // Its call_started, digits and voice message.
        assert_eq!(report.calls.events, 3, "{label}");
        assert_eq!(report.audit_entries_deleted, 1, "{label}");

        // Recordings: the old one forgotten, the newer one and the talk of
        // 10 days ago kept.
        assert_eq!(
            ts.call_column(talk_100_days_ago, "recording").await,
            None,
            "{label}"
        );
        assert!(
            ts.call_column(talk_10_days_ago, "recording")
                .await
                .is_some(),
            "{label}"
        );
        // Voice messages: the old one says it had one; the newer one keeps its file.
        assert_eq!(
            ts.call_column(message_400_days_ago, "voicemail_recording")
                .await
                .as_deref(),
            Some(EXPIRED),
            "{label}"
        );
        assert_eq!(
            ts.call_column(message_100_days_ago, "voicemail_recording")
                .await,
            Some(message_file(message_100_days_ago)),
            "{label}"
        );
        // Personal fields: gone from the old call's row and events, kept on
        // the calls of the last year.
        for column in ["caller", "called", "sip_call_id"] {
            assert_eq!(
                ts.call_column(message_400_days_ago, column).await,
                None,
                "{label}: {column}"
            );
        }
        for payload in ts.event_payloads(message_400_days_ago).await {
            assert!(
                !payload.contains("+8613900001003") && !payload.contains("@test"),
                "{label}: {payload}"
            );
        }
        assert!(
            ts.event_payloads(message_400_days_ago)
                .await
                .iter()
                .any(|p| p.contains(ERASED)),
            "{label}"
        );
        for (call, number) in [
            (talk_100_days_ago, "+8613900001001"),
            (talk_10_days_ago, "+8613900001002"),
            (message_100_days_ago, "+8613900001004"),
        ] {
            assert_eq!(
                ts.call_column(call, "caller").await.as_deref(),
                Some(number),
                "{label}"
            );
        }
        // The audit log: last year's entry stays; the run audited itself.
        let four_years = -4 * 365 * DAY;
        let audit = ts.audit_actions().await;
        assert!(
            !audit
                .iter()
                .any(|a| a.ends_with(&(T0 + four_years).to_string())),
            "{label}: {audit:?}"
        );
        assert_eq!(
            audit,
            [
                format!("monitor_listen@{}", T0 - 365 * DAY),
                format!("retention@{T0}"),
            ],
            "{label}"
        );

        // The next day: nothing more is due.
        let tomorrow = Timestamp(now.0 + DAY);
        let again = s
            .apply_retention(&job(tomorrow), &city_policy(tomorrow), RetentionMode::Apply)
            .await
            .unwrap();
        assert_eq!(
            again.recordings.forgotten + again.voice_messages.forgotten,
            0,
            "{label}: {again:?}"
        );
        assert!(
            again.recordings.files.is_empty() && again.voice_messages.files.is_empty(),
            "{label}"
        );
        assert_eq!((again.calls.calls, again.calls.events), (0, 0), "{label}");
        assert_eq!(again.audit_entries_deleted, 0, "{label}");
        ts.finish().await;
    }
}
