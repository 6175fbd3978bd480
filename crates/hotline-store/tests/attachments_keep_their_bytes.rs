//! A handler's file on an order (附件) on both backends: the
//! `attachment_added` event and the bytes are written together, read back
//! the same (audited), a refused file writes neither, and erasing the
//! citizen deletes the bytes and blanks the name while the log still folds.

mod common;

use common::orders::*;
use common::*;
use hotline_orders::{Command, OrderError};
use hotline_store::{AttachmentRead, NewCitizen, StoreError, MAX_ATTACHMENT_BYTES};
use sha2::{Digest, Sha256};

#[tokio::test]
async fn attachments_keep_their_bytes() {
    let desk = Desk::beijing();
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let citizen = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: "Qian Lin".into(),
                    phones: vec!["+8613900000888".into()],
                    ..NewCitizen::default()
                },
            )
            .await
            .unwrap();
        let order = desk.dispatched(s, at(0), "request", Some(citizen)).await;
        desk.ok(s, at(1), &housing(), &order, Command::Accept).await;
        let photo: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let attach = |actor, name: &'static str, content_type: &'static str, data: Vec<u8>| {
            let rules = desk.rules();
            let order = order.clone();
            async move {
                s.attach_to_order(
                    &desk_ctx("wang.housing", at(2)),
                    rules,
                    at(2),
                    &actor,
                    &order,
                    name,
                    content_type,
                    &data,
                )
                .await
            }
        };

        let stored = attach(housing(), "stairwell.jpg", "image/jpeg", photo.clone())
            .await
            .unwrap();
        let file = &stored.order.attachments()[0];
        assert_eq!(file.id, 1, "{label}");
        assert_eq!(file.bytes, photo.len() as u64);
        assert_eq!(file.sha256, hex::encode(Sha256::digest(&photo)));
        let reader = admin(3);
        let read = |id, may: bool| s.order_attachment(&reader, &order, id, move |_| may);
        let AttachmentRead::Found(file) = read(1, true).await.unwrap() else {
            panic!("{label}: the file");
        };
        assert_eq!(file.data, photo, "{label}: the same bytes");
        assert_eq!(file.attachment.content_type, "image/jpeg");
        let audited =
            || ts.raw_strings("SELECT action FROM audit_log WHERE action = 'view_attachment'");
        assert_eq!(audited().await.len(), 1, "{label}: the download is audited");
        assert!(matches!(
            read(1, false).await.unwrap(),
            AttachmentRead::Refused
        ));
        assert_eq!(audited().await.len(), 1, "{label}: a refusal reads nothing");
        assert!(matches!(
            read(2, true).await.unwrap(),
            AttachmentRead::NotFound
        ));

        // Refused files write nothing: no event, no bytes.
        let events = ts.log_kinds(&order).await.len();
        for (actor, content_type, data, what) in [
            (housing(), "text/html", b"<script>".to_vec(), "type"),
            (housing(), "image/png", Vec::new(), "empty"),
            (
                housing(),
                "image/png",
                vec![0; MAX_ATTACHMENT_BYTES + 1],
                "too big",
            ),
            (water(), "image/png", b"png".to_vec(), "department"),
        ] {
            let refused = attach(actor, "x.png", content_type, data).await;
            match (what, refused) {
                ("department", Err(StoreError::Order(OrderError::NotYourDepartment { .. }))) => {}
                (_, Err(StoreError::InvalidValue { .. })) if what != "department" => {}
                (_, other) => panic!("{label}: {what}: {other:?}"),
            }
        }
        assert_eq!(ts.log_kinds(&order).await.len(), events, "{label}");
        assert_eq!(
            ts.raw_strings("SELECT content_type FROM order_attachments")
                .await
                .len(),
            1,
            "{label}"
        );
        // The content type's parameters are not part of the kind kept.
        let note = attach(
            housing(),
            "visit.txt",
            "text/plain; charset=utf-8",
            b"ok".to_vec(),
        )
        .await
        .unwrap();
        assert_eq!(note.order.attachments()[1].content_type, "text/plain");

        let report = s.erase_citizen(&admin(20), citizen).await.unwrap();
        assert_eq!(report.attachments_deleted, 2, "{label}");
        assert!(matches!(
            s.order_attachment(&admin(21), &order, 1, |_| true)
                .await
                .unwrap(),
            AttachmentRead::NotFound
        ));
        let after = s.work_order(&admin(21), &order).await.unwrap().unwrap();
        assert_eq!(after.order.attachments().len(), 2, "{label}: the log folds");
        assert_eq!(after.order.attachments()[0].name, "[erased]");
        assert!(ts
            .raw_strings("SELECT content_type FROM order_attachments")
            .await
            .is_empty());
        ts.finish().await;
    }
}
