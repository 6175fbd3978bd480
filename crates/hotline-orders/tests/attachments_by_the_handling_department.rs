//! Files in an order's file (附件): the handling department's handlers add
//! them, as they add notes; each gets the order's next number; names
//! without folders; at most twenty; none on a merged order; and the log
//! folds back to the same files.

mod support;

use hotline_orders::{
    Command, OrderChange, OrderError, WorkOrder, MAX_ATTACHMENTS, MAX_ATTACHMENT_NAME_CHARS,
};
use support::*;

fn file(name: &str) -> Command {
    Command::AddAttachment {
        name: name.into(),
        content_type: "image/jpeg".into(),
        bytes: 52_133,
        sha256: "ab".repeat(32),
    }
}

#[test]
fn the_handler_attaches_files_numbered_in_order() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    let added = desk.ok(&order, &housing(), file("  stairwell.jpg "));
    assert_eq!(
        added[0].change,
        OrderChange::AttachmentAdded {
            id: 1,
            name: "stairwell.jpg".into(),
            content_type: "image/jpeg".into(),
            bytes: 52_133,
            sha256: "ab".repeat(32),
        }
    );
    desk.at("2026-11-02T10:30")
        .ok(&order, &housing(), file("回执.pdf"));
    let files = desk.order(&order).attachments();
    assert_eq!(
        files
            .iter()
            .map(|f| (f.id, f.name.as_str()))
            .collect::<Vec<_>>(),
        [(1, "stairwell.jpg"), (2, "回执.pdf")]
    );
    assert_eq!(files[1].by, housing().user);
    assert_eq!(files[1].at, beijing("2026-11-02T10:30"));

    // The log alone gives the same files back.
    let folded = WorkOrder::from_events(desk.log(&order)).expect("the log folds");
    assert_eq!(folded.attachments(), files);
}

#[test]
fn only_the_handling_department_attaches() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    assert_eq!(
        desk.run(&order, &water(), file("x.jpg")),
        Err(OrderError::NotYourDepartment {
            user: water().user,
            department: "housing".into(),
        })
    );
    for actor in [agent(), dispatcher(), supervisor()] {
        assert!(
            matches!(
                desk.run(&order, &actor, file("x.jpg")),
                Err(OrderError::RoleNotAllowed { .. })
            ),
            "{actor:?}"
        );
    }
    assert!(desk.order(&order).attachments().is_empty());
}

#[test]
fn a_name_is_a_file_name_and_an_order_holds_twenty() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    let bad_name = Err(OrderError::BadAttachmentName {
        max: MAX_ATTACHMENT_NAME_CHARS,
    });
    for name in [
        "../../etc/passwd",
        "C:\\photo.jpg",
        "a\u{0}b.jpg",
        "..",
        &"长".repeat(MAX_ATTACHMENT_NAME_CHARS + 1),
    ] {
        assert_eq!(desk.run(&order, &housing(), file(name)), bad_name, "{name}");
    }
    assert!(matches!(
        desk.run(&order, &housing(), file("   ")),
        Err(OrderError::EmptyText { .. })
    ));
    for n in 0..MAX_ATTACHMENTS {
        desk.ok(&order, &housing(), file(&format!("photo-{n}.jpg")));
    }
    assert_eq!(
        desk.run(&order, &housing(), file("one-more.jpg")),
        Err(OrderError::TooManyAttachments {
            max: MAX_ATTACHMENTS
        })
    );
    assert_eq!(desk.order(&order).attachments().len(), MAX_ATTACHMENTS);
}

#[test]
fn a_log_with_a_misnumbered_file_does_not_fold() {
    let mut desk = Desk::new("2026-11-02T09:00");
    let order = desk.accepted(1, "request", &housing());
    desk.ok(&order, &housing(), file("a.jpg"));
    let mut log = desk.log(&order).to_vec();
    if let OrderChange::AttachmentAdded { id, .. } = &mut log.last_mut().unwrap().change {
        *id = 7;
    }
    assert!(matches!(
        WorkOrder::from_events(&log),
        Err(OrderError::Inconsistent {
            kind: "attachment_added",
            ..
        })
    ));
}
