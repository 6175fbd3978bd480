//! An admin creates an account (a one-time password, shown once), its
//! owner must choose their own password before anything else, the admin
//! gives it a SIP phone (a generated secret; only its digest hashes are
//! stored and no answer shows them), resets the password (the owner's
//! sessions end), changes the role, disables the leaver, removes the phone.

mod common;

use axum::http::{Method, StatusCode};
use common::Harness;
use hotline_store::PhoneAccount;
use serde_json::json;

#[tokio::test]
async fn an_admin_runs_accounts_and_phones() {
    let h = Harness::new().await;
    let admin = h.login("admin1").await;

    let (status, users) = h.get(&admin, "/api/admin/users").await;
    assert_eq!(status, StatusCode::OK);
    let before = users.as_array().unwrap().len();
    assert!(!users.to_string().contains("argon2"), "no hash: {users}");

    // A new agent, with a one-time password.
    let (status, made) = h
        .post(
            &admin,
            "/api/admin/users",
            json!({ "login": "li.new", "role": "agent", "display_name": "Li Na",
                    "department": "housing", "skills": [{ "skill": "housing", "level": 5 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let one_time = made["one_time_password"].as_str().unwrap().to_owned();
    assert_eq!(one_time.chars().count(), 16);
    assert_eq!(made["user"]["must_change_password"], true);
    assert_eq!(made["user"]["skills"][0]["level"], 5);
    let (status, again) = h
        .post(
            &admin,
            "/api/admin/users",
            json!({ "login": "li.new", "role": "agent" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, bad) = h
        .post(
            &admin,
            "/api/admin/users",
            json!({ "login": "x", "role": "handler", "department": "nowhere" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert_eq!(bad["field"], "department");
    let (_, users) = h.get(&admin, "/api/admin/users").await;
    assert_eq!(users.as_array().unwrap().len(), before + 1);

    // Its owner logs in and may do nothing but choose a password.
    let first = h.login_with("li.new", &one_time).await;
    let (status, me) = h.get(&first, "/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["user"]["must_change_password"], true);
    let (status, refused) = h.get(&first, "/api/config").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused["code"], "password_change_required");
    let (status, _) = h.post(&first, "/api/agent/login", json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, wrong) = h
        .post(
            &first,
            "/api/me/password",
            json!({ "current": "not it at all", "new": "my own long passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}");
    assert_eq!(wrong["field"], "current password");
    let (status, same) = h
        .post(
            &first,
            "/api/me/password",
            json!({ "current": one_time, "new": one_time }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{same}");
    let (status, short) = h
        .post(
            &first,
            "/api/me/password",
            json!({ "current": one_time, "new": "short" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{short}");
    let (status, _) = h
        .post(
            &first,
            "/api/me/password",
            json!({ "current": one_time, "new": "my own long passphrase" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h.get(&first, "/api/config").await;
    assert_eq!(status, StatusCode::OK, "the same session goes on");
    let (status, _, _) = h.try_login("li.new", &one_time).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the one-time password is spent"
    );
    let mine = h.login_with("li.new", "my own long passphrase").await;

    // A SIP phone for them: a secret shown once, digest hashes kept.
    let (status, phone) = h
        .post(&admin, "/api/admin/phones", json!({ "login": "li.new" }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{phone}");
    let secret = phone["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.chars().count(), 20);
    assert_eq!(phone["phone"]["realm"], "hotline");
    let expected = PhoneAccount::with_secret("li.new", "hotline", &secret, Vec::new());
    let stored = h.store.phone_accounts().await.unwrap();
    assert_eq!(
        stored,
        std::slice::from_ref(&expected),
        "HA1s of the secret, for the realm"
    );
    let (status, listed) = h.get(&admin, "/api/admin/phones").await;
    assert_eq!(status, StatusCode::OK);
    for shown in [phone.to_string(), listed.to_string()] {
        assert!(!shown.contains(&expected.ha1_md5), "{shown}");
        assert!(!shown.contains(&expected.ha1_sha256), "{shown}");
    }
    assert!(!listed.to_string().contains(&secret));
    let (status, _) = h
        .post(&admin, "/api/admin/phones", json!({ "login": "li.new" }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, bad) = h
        .post(
            &admin,
            "/api/admin/phones",
            json!({ "login": "other", "algorithms": ["SHA-512"] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let (status, reset) = h
        .post(&admin, "/api/admin/phones/li.new/reset_secret", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    assert_ne!(reset["secret"], phone["secret"]);
    assert_ne!(h.store.phone_accounts().await.unwrap(), [expected]);

    // A reset: the owner's sessions end, the new one-time password must be
    // changed again.
    let (status, reset) = h
        .post(&admin, "/api/admin/users/li.new/reset_password", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{reset}");
    assert_eq!(reset["user"]["must_change_password"], true);
    let (status, _) = h.get(&mine, "/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out by the reset");
    let after_reset = h
        .login_with("li.new", reset["one_time_password"].as_str().unwrap())
        .await;
    let (status, _) = h.get(&after_reset, "/api/config").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another role; then disabled, and signed out at once.
    let (status, changed) = h
        .post(
            &admin,
            "/api/admin/users/li.new/role",
            json!({ "role": "supervisor", "department": "housing" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["role"], "supervisor");
    let (status, _) = h.get(&after_reset, "/api/me").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a new role, a new session"
    );
    let (status, _) = h
        .post(&admin, "/api/admin/users/admin1/disable", json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not oneself");
    let (status, _) = h
        .post(
            &admin,
            "/api/admin/users/admin1/role",
            json!({ "role": "agent" }),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not one's own admin role");
    let agent2 = h.login("agent2").await;
    let (status, disabled) = h
        .post(&admin, "/api/admin/users/agent2/disable", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{disabled}");
    assert_eq!(disabled["disabled"], true);
    let (status, _) = h.get(&agent2, "/api/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out at once");
    let (status, _, _) = h.try_login("agent2", common::PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = h
        .post(&admin, "/api/admin/users/agent2/enable", json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    h.login("agent2").await;
    let (status, _) = h
        .post(&admin, "/api/admin/users/nobody/disable", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The phone goes.
    let remove = || {
        Harness::request(
            Method::DELETE,
            "/api/admin/phones/li.new",
            Some(&admin),
            None,
        )
    };
    let (status, _, _) = h.send(remove()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(h.store.phone_accounts().await.unwrap().is_empty());
    let (status, _, _) = h.send(remove()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
