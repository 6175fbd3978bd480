//! The accounts' version moves with every change to an account or its
//! skills, whichever process makes it, and stays put otherwise: the
//! console reads every account only when it moved.

mod common;

use common::*;
use hotline_store::{NewUser, Role, Skill};

#[tokio::test]
async fn the_accounts_version_moves_with_every_account_change() {
    for ts in stores().await {
        let s = &ts.store;
        let label = ts.label;
        let start = s.accounts_version().await.unwrap();
        assert_eq!(
            s.accounts_version().await.unwrap(),
            start,
            "{label}: reading moves nothing"
        );
        s.create_user(
            &NewUser {
                login: "alice".into(),
                display_name: "Alice".into(),
                role: Role::Agent,
                department: None,
                password: "alice-long-password".into(),
                must_change_password: false,
                skills: Vec::new(),
            },
            at(0),
        )
        .await
        .unwrap();
        let created = s.accounts_version().await.unwrap();
        assert!(created > start, "{label}: a new account");
        s.user("alice").await.unwrap();
        s.list_users().await.unwrap();
        assert_eq!(
            s.accounts_version().await.unwrap(),
            created,
            "{label}: reading moves nothing"
        );
        s.set_user_disabled("alice", true).await.unwrap();
        let disabled = s.accounts_version().await.unwrap();
        assert!(disabled > created, "{label}: a disabled account");
        // Another process on the same database (the CLI, another node).
        let other = ts.reopen().await;
        other
            .set_skills(
                "alice",
                &[Skill {
                    skill: "housing".into(),
                    level: 3,
                }],
            )
            .await
            .unwrap();
        assert!(
            s.accounts_version().await.unwrap() > disabled,
            "{label}: skills changed elsewhere"
        );
        ts.finish().await;
    }
}
