//! Cases get readable references with a check digit, allocated without
//! duplicates under concurrency; status changes follow the lifecycle;
//! notes, deadlines, satisfaction and merging work; the IVR can read the
//! status by reference.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use hotline_store::{CaseStatus, NewCase, StoreError};
use hotline_types::CaseRef;

fn new_case(summary: &str) -> NewCase {
    NewCase {
        citizen: None,
        call: None,
        category: "noise_report".into(),
        department: "environment".into(),
        summary: summary.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cases_follow_their_lifecycle() {
    for ts in stores().await {
        let s = &ts.store;
        s.set_category_deadline("noise_report", Duration::from_secs(3 * 86_400))
            .await
            .unwrap();
        let c = s
            .create_case(&admin(0), &new_case("Night construction"))
            .await
            .unwrap();
        assert!(
            c.case_ref.to_string().starts_with("261122-00001-"),
            "{}: {}",
            ts.label,
            c.case_ref
        );
        assert_eq!(c.status, CaseStatus::Accepted);
        assert_eq!(c.deadline_at_ms, Some(T0 + 3 * 86_400_000));

        // Concurrent creation from two "nodes" never repeats a reference.
        let other = ts.reopen().await;
        let mut tasks = Vec::new();
        for i in 0..40 {
            let store = if i % 2 == 0 { s.clone() } else { other.clone() };
            tasks.push(tokio::spawn(async move {
                store
                    .create_case(&admin(i), &new_case("Barking dog"))
                    .await
                    .unwrap()
                    .case_ref
            }));
        }
        let mut refs = HashSet::new();
        for t in tasks {
            assert!(
                refs.insert(t.await.unwrap()),
                "{}: duplicate reference",
                ts.label
            );
        }
        assert_eq!(refs.len(), 40);
        let seqs: HashSet<u32> = refs.iter().map(|r| r.sequence()).collect();
        assert_eq!(seqs, (2..=41).collect(), "{}", ts.label);

        // The lifecycle.
        let r = &c.case_ref;
        let err = s
            .transition_case(&admin(10), r, CaseStatus::Closed)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::InvalidTransition {
                    from: "accepted",
                    to: "closed",
                    ..
                }
            ),
            "{err}"
        );
        for next in [
            CaseStatus::Dispatched,
            CaseStatus::InProgress,
            CaseStatus::Resolved,
            CaseStatus::Closed,
            CaseStatus::Reopened,
            CaseStatus::InProgress,
        ] {
            s.transition_case(&admin(11), r, next).await.unwrap();
        }
        let status = s.case_status(r).await.unwrap().unwrap();
        assert_eq!(status.status, CaseStatus::InProgress);
        assert_eq!(status.department, "environment");
        assert_eq!(
            status.reply, None,
            "a case without a work-order log has no reply"
        );

        s.add_case_note(&admin(12), r, "Called the site manager")
            .await
            .unwrap();
        s.set_case_satisfaction(r, 4).await.unwrap();
        assert!(s.set_case_satisfaction(r, 9).await.is_err());

        // Merge a duplicate: it closes, points at the survivor, notes move.
        let dup = s
            .create_case(&admin(13), &new_case("Same construction again"))
            .await
            .unwrap();
        s.add_case_note(&admin(14), &dup.case_ref, "Duplicate of the first report")
            .await
            .unwrap();
        s.merge_cases(&admin(15), &dup.case_ref, r).await.unwrap();
        let dup_status = s.case_status(&dup.case_ref).await.unwrap().unwrap();
        assert_eq!(dup_status.status, CaseStatus::Closed);
        assert_eq!(dup_status.merged_into.as_deref(), Some(r.digits()));
        let detail = s.case_detail(&admin(16), r).await.unwrap().unwrap();
        assert_eq!(detail.case.satisfaction, Some(4));
        let bodies: Vec<_> = detail.notes.iter().map(|n| n.body.as_str()).collect();
        assert!(bodies.contains(&"Called the site manager"));
        assert!(bodies.contains(&"Duplicate of the first report"));
        assert!(detail.notes.iter().all(|n| n.author == "admin"));
        assert!(s
            .transition_case(&admin(17), &dup.case_ref, CaseStatus::Reopened)
            .await
            .is_err());

        // Unknown references are "not found", not errors of the store.
        let unknown = CaseRef::new(2026, 1, 1, 99_999).unwrap();
        assert_eq!(s.case_status(&unknown).await.unwrap(), None);
        assert!(matches!(
            s.transition_case(&admin(18), &unknown, CaseStatus::Dispatched)
                .await,
            Err(StoreError::NotFound { what: "case", .. })
        ));
        other.close().await;
        ts.finish().await;
    }
}
