//! A privacy officer's operations on a citizen's request: the access
//! archive holds the record, the recording and the log of who saw it; a
//! rectification keeps the old value only in the audit; a restriction is
//! on the record; searches are in the audit log masked, never in clear;
//! the erasure deletes the recording file (and nothing outside the
//! recordings folder), refuses while events wait in the spool, and leaves
//! nothing of the citizen in the SQLite file; every step has a receipt.

mod common;

use std::io::Read;

use common::*;
use hotline_store::{
    Access, AuditContext, DataFiles, NewCitizen, Rectification, RequestKind, StoreError,
};
use hotline_types::{CallEvent, CallId};

const NAME: &str = "Qian Duoduo";
const MOBILE: &str = "+8613900000555";
const NEW_MOBILE: &str = "+8613900000556";
const NATIONAL_ID: &str = "110105199505055555";

#[tokio::test]
async fn data_rights_leave_receipts() {
    for ts in stores().await {
        let s = &ts.store;
        let root = tempfile::tempdir().unwrap();
        let files = DataFiles::in_data_dir(root.path());
        std::fs::create_dir_all(&files.recordings_dir).unwrap();
        std::fs::create_dir_all(&files.spool_dir).unwrap();
        let id = s
            .create_citizen(
                &admin(0),
                &NewCitizen {
                    full_name: NAME.into(),
                    national_id: Some(NATIONAL_ID.into()),
                    phones: vec![MOBILE.into()],
                    ..NewCitizen::default()
                },
            )
            .await
            .unwrap();
        let call = CallId::new();
        let recording = files
            .recordings_dir
            .join(format!("{call}-conversation.wav"));
        std::fs::write(&recording, b"RIFF-the-conversation").unwrap();
        // A file outside the recordings folder that a row points at.
        let outside = root.path().join("elsewhere.wav");
        std::fs::write(&outside, b"not ours to delete").unwrap();
        let mut events = answered_call(call, MOBILE, "housing", 0, 20_000);
        events.retain(|r| !matches!(r.event, CallEvent::RecordingStarted { .. }));
        events.push(rec(
            call,
            40_000,
            CallEvent::RecordingStarted {
                recording: recording.display().to_string(),
            },
        ));
        s.append_events(&events).await.unwrap();
        let other_call = CallId::new();
        let mut events = answered_call(other_call, MOBILE, "housing", 300_000, 20_000);
        events.retain(|r| !matches!(r.event, CallEvent::RecordingStarted { .. }));
        events.push(rec(
            other_call,
            340_000,
            CallEvent::RecordingStarted {
                recording: outside.display().to_string(),
            },
        ));
        s.append_events(&events).await.unwrap();

        // An agent's search: kept masked, with a keyed hash.
        let search = AuditContext {
            actor: "alice".into(),
            access: Access::Search(s.search_terms("+86 139 0000 0555")),
            reason: "caller asked about their case".into(),
            at: at(400_000),
        };
        assert_eq!(
            s.search_citizens(&search, MOBILE, 5).await.unwrap().len(),
            1
        );
        s.record_consent(
            &AuditContext::for_call("alice", call, at(401_000)),
            id,
            "follow_up",
            false,
            "agent",
        )
        .await
        .unwrap();

        let officer = |t| AuditContext {
            actor: "privacy1".into(),
            reason: "data-protection request".into(),
            ..admin(t)
        };
        // A request reference cannot carry a name.
        assert!(matches!(
            s.restrict_citizen(&officer(500_000), id, "Qian Duoduo", true)
                .await,
            Err(StoreError::InvalidValue {
                field: "request",
                ..
            })
        ));

        // Access: one archive.
        let (archive, receipt) = s
            .export_archive(&officer(500_000), id, "DPR-1", &files)
            .await
            .unwrap();
        assert_eq!(receipt.kind, RequestKind::Access);
        let mut names = Vec::new();
        let mut json = String::new();
        let mut tar = tar::Archive::new(archive.as_slice());
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().display().to_string();
            if name == "citizen.json" {
                entry.read_to_string(&mut json).unwrap();
            }
            names.push(name);
        }
        assert!(
            names.contains(&format!("recordings/{call}-conversation.wav")),
            "{names:?}"
        );
        assert!(
            !names.iter().any(|n| n.contains("elsewhere")),
            "a file outside the recordings folder is not exported: {names:?}"
        );
        let export: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(export["citizen"]["full_name"], NAME);
        let audit = export["audit_log"].as_array().unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e["actor"] == "alice" && e["action"] == "search"),
            "who saw the record is in the archive"
        );
        for entry in audit {
            if let Some(terms) = entry["via_search"].as_str() {
                assert!(
                    terms.starts_with("+86*******0555 #"),
                    "{}: a search's terms are kept masked: {terms}",
                    ts.label
                );
            }
        }
        let consents = export["citizen"]["consents"].as_array().unwrap();
        assert_eq!(consents[0]["actor"], "alice");
        assert_eq!(consents[0]["via_call"], call.to_string());

        // Rectification: the old number only in the audit entry.
        let receipt = s
            .rectify_citizen(
                &officer(510_000),
                id,
                "DPR-2",
                &Rectification {
                    phones: Some(vec![NEW_MOBILE.into()]),
                    ..Rectification::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            receipt.details["fields_changed"],
            serde_json::json!(["phones"])
        );
        assert!(!receipt.details.to_string().contains("555"));
        let record = s.citizen(&officer(511_000), id).await.unwrap().unwrap();
        assert_eq!(record.citizen.phones, vec![NEW_MOBILE.to_owned()]);
        let trail = s.audit_trail(&officer(512_000), id).await.unwrap();
        let rectified = trail.iter().find(|e| e.action == "rectify").unwrap();
        assert!(rectified.detail.as_deref().unwrap().contains(MOBILE));

        // Restriction.
        s.restrict_citizen(&officer(520_000), id, "DPR-3", true)
            .await
            .unwrap();
        assert!(s.is_restricted(id).await.unwrap());
        let record = s.citizen(&officer(521_000), id).await.unwrap().unwrap();
        assert!(record.citizen.restricted_at_ms.is_some());

        // Erasure waits for the spool.
        std::fs::write(
            files.spool_dir.join(hotline_store::SPOOL_FILE_NAME),
            "{\"some\":\"event\"}\n",
        )
        .unwrap();
        assert!(matches!(
            s.erase_citizen_everywhere(&officer(530_000), id, "DPR-4", &files)
                .await,
            Err(StoreError::EventsSpooled { events: 1 })
        ));
        std::fs::remove_file(files.spool_dir.join(hotline_store::SPOOL_FILE_NAME)).unwrap();
        let receipt = s
            .erase_citizen_everywhere(&officer(531_000), id, "DPR-4", &files)
            .await
            .unwrap();
        assert_eq!(receipt.kind, RequestKind::Erasure);
        assert!(!recording.exists(), "the recording file is deleted");
        assert!(
            outside.exists(),
            "a file outside the recordings folder is left alone"
        );
        let outcomes = receipt.details["files"].as_array().unwrap();
        assert!(outcomes
            .iter()
            .any(|f| f["file"] == format!("{call}-conversation.wav") && f["outcome"] == "deleted"));
        assert!(outcomes
            .iter()
            .any(|f| f["file"] == "elsewhere.wav" && f["outcome"] == "refused"));
        assert_eq!(receipt.details["removed"]["phones"], 1);
        assert_eq!(receipt.details["anonymised"]["calls"], 2);
        assert!(
            receipt.details["anonymised"]["audit_entries"]
                .as_u64()
                .unwrap()
                >= 2
        );

        // Nothing of theirs in any text column (the old number in the
        // rectification's audit entry included)...
        for (table, column) in ts.text_columns().await {
            for value in ts
                .raw_strings(&format!("SELECT {column} FROM {table}"))
                .await
                .into_iter()
                .flatten()
            {
                for needle in [NAME, MOBILE, NEW_MOBILE, "13900000555", "0000555", "5555"] {
                    assert!(
                        !value.contains(needle),
                        "{}: {table}.{column} still holds {needle:?}: {value:?}",
                        ts.label
                    );
                }
            }
        }
        // ...nor in the bytes of the SQLite file and its WAL.
        if ts.label == "sqlite" {
            let dir = ts.dir.as_ref().unwrap().path();
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                for needle in [NAME, "13900000555", "13900000556"] {
                    assert!(
                        !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                        "{} still holds {needle:?} after the erasure",
                        path.display()
                    );
                }
            }
        }
        // The receipts remain, newest first, and the erasure is listed for
        // the nodes that cache screen-pops.
        let receipts = s.privacy_requests(Some(id), 10).await.unwrap();
        let kinds: Vec<_> = receipts.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [
                RequestKind::Erasure,
                RequestKind::Restriction,
                RequestKind::Rectification,
                RequestKind::Access
            ]
        );
        assert_eq!(s.erasures_after(0).await.unwrap().last().unwrap().1, id);
        ts.finish().await;
    }
}
