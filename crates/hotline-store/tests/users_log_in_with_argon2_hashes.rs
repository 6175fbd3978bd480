//! Users are stored with argon2 hashes; logins are unique; wrong
//! passwords, unknown and disabled users all fail the same way.

mod common;

use common::*;
use hotline_store::{NewUser, Role, Skill, StoreError};

#[tokio::test]
async fn users_log_in_with_argon2_hashes() {
    for ts in stores().await {
        let s = &ts.store;
        let new = NewUser {
            login: "alice".into(),
            display_name: "Alice Chen".into(),
            role: Role::Agent,
            department: Some("housing".into()),
            password: "correct horse battery".into(),
            must_change_password: false,
            skills: vec![
                Skill {
                    skill: "mandarin".into(),
                    level: 9,
                },
                Skill {
                    skill: "housing".into(),
                    level: 6,
                },
            ],
        };
        let alice = s.create_user(&new, at(0)).await.unwrap();
        assert_eq!(alice.role, Role::Agent);
        assert_eq!(alice.skills.len(), 2);

        let hash = ts
            .raw_strings("SELECT password_hash FROM users")
            .await
            .remove(0)
            .unwrap();
        assert!(hash.starts_with("$argon2"), "{}", ts.label);
        assert!(!hash.contains("horse"));

        assert_eq!(
            s.authenticate("alice", "correct horse battery")
                .await
                .unwrap(),
            Some(alice.clone())
        );
        assert_eq!(
            s.authenticate("alice", "wrong horse battery")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            s.authenticate("mallory", "correct horse battery")
                .await
                .unwrap(),
            None
        );

        let dup = s.create_user(&new, at(1)).await.unwrap_err();
        assert!(
            matches!(dup, StoreError::AlreadyExists { field: "login" }),
            "{}: {dup}",
            ts.label
        );
        assert_eq!(dup.to_string(), "this login is already in use");

        let short = NewUser {
            login: "bob".into(),
            password: "short".into(),
            must_change_password: false,
            ..new.clone()
        };
        assert!(matches!(
            s.create_user(&short, at(2)).await,
            Err(StoreError::InvalidValue {
                field: "password",
                ..
            })
        ));

        s.set_user_disabled("alice", true).await.unwrap();
        assert_eq!(
            s.authenticate("alice", "correct horse battery")
                .await
                .unwrap(),
            None
        );
        s.set_user_disabled("alice", false).await.unwrap();
        s.set_password("alice", "a much longer passphrase")
            .await
            .unwrap();
        assert!(s
            .authenticate("alice", "a much longer passphrase")
            .await
            .unwrap()
            .is_some());
        s.set_skills(
            "alice",
            &[Skill {
                skill: "water".into(),
                level: 3,
            }],
        )
        .await
        .unwrap();
        assert_eq!(s.user("alice").await.unwrap().unwrap().skills.len(), 1);
        assert_eq!(s.list_users().await.unwrap().len(), 1);
        ts.finish().await;
    }
}
