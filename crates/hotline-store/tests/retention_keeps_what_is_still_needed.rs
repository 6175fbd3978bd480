//! Past their windows, two things are kept: a voice message whose work
//! order is still open (or was merged into an order still open) until the
//! order closes, and the number of a call whose callback is still to be
//! made. A closed callback is deleted with the number it held.

mod common;

use common::orders::*;
use common::retention::{callback_request, city_policy, job, message_file, voice_message};
use common::*;
use hotline_orders::{Channel, Command, Location};
use hotline_store::{
    CallbackKind, CallbackStatus, NewCallback, NewWorkOrder, RetentionMode, Store, EXPIRED,
};
use hotline_types::{CallId, CaseRef, QueueId, Timestamp};

/// A voice message left `days_ago`, the order it opened taken down by the IVR.
async fn message_with_order(
    desk: &Desk,
    s: &Store,
    caller: &str,
    days_ago: i64,
) -> (CallId, CaseRef) {
    let call = CallId::new();
    let when = at(-days_ago * DAY);
    let order = s
        .create_work_order(
            &desk_ctx("ivr", when),
            desk.rules(),
            when,
            &hotline_orders::Actor::agent("ivr"),
            NewWorkOrder {
                call: Some(call),
                channel: Channel::VoiceMessage,
                category: "request".into(),
                citizen: None,
                location: Location::unknown(),
                summary: "a voice message".into(),
            },
        )
        .await
        .unwrap();
    let reference = order.order.reference().clone();
    s.append_events(&voice_message(
        call,
        caller,
        -days_ago * DAY,
        Some(reference.clone()),
    ))
    .await
    .unwrap();
    (call, reference)
}

/// Dispatched (unless it is), accepted, replied to and closed by housing.
async fn close(desk: &Desk, s: &Store, order: &CaseRef, when: Timestamp) {
    let row = s
        .work_order(&desk_ctx("li.agent", when), order)
        .await
        .unwrap()
        .expect("the order");
    if row.order.phase() == hotline_orders::Phase::New {
        desk.ok(s, when, &agent(), order, Command::Dispatch).await;
    }
    desk.ok(s, when, &housing(), order, Command::Accept).await;
    let reply = Command::Reply {
        text: "the lift is repaired".into(),
    };
    desk.ok(s, when, &housing(), order, reply).await;
    desk.ok(s, when, &housing(), order, Command::Close).await;
}

async fn callback_of(
    s: &Store,
    call: CallId,
    number: &str,
    days_ago: i64,
) -> hotline_store::Callback {
    let when = at(-days_ago * DAY);
    s.add_callback(&NewCallback {
        call,
        number: number.into(),
        queue: QueueId::from("housing"),
        kind: CallbackKind::AfterHours,
        language: "zh".into(),
        priority: 1,
        requested_at: when,
        expires_at: Timestamp(when.0 + 3 * DAY),
        node: None,
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn retention_keeps_what_is_still_needed() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let now = at(0);
        let (open_message, open_order) = message_with_order(&desk, s, "+8613900002001", 400).await;
        let (merged_message, duplicate) = message_with_order(&desk, s, "+8613900002002", 400).await;
        let (closed_message, closed_order) =
            message_with_order(&desk, s, "+8613900002003", 400).await;
        let master = desk.dispatched(s, at(-399 * DAY), "request", None).await;
        s.merge_orders(
            &desk_ctx("zhao.dispatch", at(-399 * DAY)),
            at(-399 * DAY),
            &dispatcher(),
            &duplicate,
            &master,
        )
        .await
        .unwrap();
        close(&desk, s, &closed_order, at(-398 * DAY)).await;

        // Two callback requests of 400 days ago: one still to be made (a
        // store that was off for a year), one made.
        let waiting = CallId::new();
        let called_back = CallId::new();
        let mut events = callback_request(waiting, "+8613900002004", -400 * DAY);
        events.extend(callback_request(called_back, "+8613900002005", -400 * DAY));
        s.append_events(&events).await.unwrap();
        callback_of(s, waiting, "+8613900002004", 400).await;
        let done = callback_of(s, called_back, "+8613900002005", 400).await;
        let mut update = done.update(at(-399 * DAY));
        update.status = CallbackStatus::Done;
        update.outcome = Some("answered".into());
        s.update_callback(done.id, &update).await.unwrap();

        let report = s
            .apply_retention(&job(now), &city_policy(now), RetentionMode::Apply)
            .await
            .unwrap();
        assert_eq!(report.voice_messages.forgotten, 1, "{label}: {report:?}");
        assert_eq!(
            report.voice_messages.kept, 2,
            "{label}: the open order's and the merged one's"
        );
        assert_eq!(
            report.voice_messages.files,
            [message_file(closed_message)],
            "{label}"
        );
        for call in [open_message, merged_message] {
            assert_eq!(
                ts.call_column(call, "voicemail_recording").await,
                Some(message_file(call)),
                "{label}"
            );
        }
        assert_eq!(
            report.calls.kept_for_open_callbacks, 1,
            "{label}: {report:?}"
        );
        assert_eq!(
            ts.call_column(waiting, "caller").await.as_deref(),
            Some("+8613900002004"),
            "{label}: the hotline still has to dial it"
        );
        assert!(
            s.callbacks_of_number("+8613900002004").await.unwrap().len() == 1,
            "{label}: the open callback stays"
        );
        assert_eq!(ts.call_column(called_back, "caller").await, None, "{label}");
        assert_eq!(report.calls.callbacks_deleted, 1, "{label}");
        assert!(
            s.callbacks_of_number("+8613900002005")
                .await
                .unwrap()
                .is_empty(),
            "{label}"
        );

        // The open order closes; at the next run its voice message goes,
        // and so does the merged one's when its master closes.
        close(&desk, s, &open_order, at(-DAY)).await;
        close(&desk, s, &master, at(-DAY)).await;
        let tomorrow = Timestamp(now.0 + DAY);
        let report = s
            .apply_retention(&job(tomorrow), &city_policy(tomorrow), RetentionMode::Apply)
            .await
            .unwrap();
        assert_eq!(report.voice_messages.kept, 0, "{label}: {report:?}");
        let mut files = vec![message_file(open_message), message_file(merged_message)];
        files.sort();
        assert_eq!(report.voice_messages.files, files, "{label}");
        for call in [open_message, merged_message, closed_message] {
            assert_eq!(
                ts.call_column(call, "voicemail_recording").await.as_deref(),
                Some(EXPIRED),
                "{label}"
            );
        }
        ts.finish().await;
    }
}
