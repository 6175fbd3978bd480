//! Files on an order through the console's API: the handling department's
//! handler uploads a photo (the body is the file), the order lists it and
//! offers `add_attachment`, a supervisor downloads the same bytes as an
//! attachment with `nosniff`; another department's handler sees neither
//! the file's name nor its bytes and cannot add one; a file of a type the
//! hotline does not keep, an empty one or one over 10 MiB is refused with
//! 422, and a request without the CSRF token with 403.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{Browser, Harness, HOST};
use serde_json::{json, Value};

fn upload(
    browser: Option<&Browser>,
    path: &str,
    content_type: &str,
    data: Vec<u8>,
) -> Request<Body> {
    let mut b = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(browser) = browser {
        b = b
            .header(header::COOKIE, &browser.cookie)
            .header("x-csrf-token", &browser.csrf);
    }
    b.body(Body::from(data)).unwrap()
}

#[tokio::test]
async fn a_handler_attaches_a_photo_that_the_hotline_downloads() {
    let h = Harness::new().await;
    let citizen = h.citizen("Sun Hao", "+8613900000009").await;
    let supervisor = h.login("super1").await;
    let (status, created) = h
        .post(
            &supervisor,
            "/api/orders",
            json!({
                "citizen": citizen.0, "category": "request", "address": "东华门大街 8 号",
                "district": "东城区", "street": "东华门街道",
                "summary": "A fallen tree blocks the courtyard gate"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let reference = created["order"]["reference"].as_str().unwrap().to_owned();
    let order = format!("/api/orders/{reference}");
    let housing = h.login("handler_housing").await;
    let (status, _) = h
        .post(
            &housing,
            &format!("{order}/commands"),
            json!({"command": "accept"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, seen) = h.get(&housing, &order).await;
    assert!(
        seen["may"]
            .as_array()
            .unwrap()
            .contains(&json!("add_attachment")),
        "{seen}"
    );

    let photo: Vec<u8> = [&b"\x89PNG\r\n\x1a\n"[..], &[7u8; 3000]].concat();
    let files = format!("{order}/attachments?name=%E5%A4%A7%E9%97%A8.png");
    let (status, _, body) = h
        .send(upload(Some(&housing), &files, "image/png", photo.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let listed = &body["order"]["attachments"][0];
    assert_eq!(listed["id"], 1, "{body}");
    assert_eq!(listed["name"], "大门.png");
    assert_eq!(listed["bytes"], photo.len());
    assert_eq!(listed["by"], "handler_housing");

    // The hotline's supervisor downloads it: the same bytes, as a download.
    let download = Request::builder()
        .method(Method::GET)
        .uri(format!("{order}/attachments/1"))
        .header(header::HOST, HOST)
        .header(header::COOKIE, &supervisor.cookie)
        .body(Body::empty())
        .unwrap();
    let (status, headers, bytes) = h.send_raw(download).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, photo);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let disposition = headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("%E5%A4%A7%E9%97%A8.png"),
        "{disposition}"
    );
    let (status, _) = h.get(&supervisor, &format!("{order}/attachments/2")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Another department: no name, no bytes, no upload.
    let water = h.login("handler_water").await;
    let (_, masked) = h.get(&water, &order).await;
    assert_eq!(
        masked["order"]["attachments"][0]["name"],
        Value::Null,
        "{masked}"
    );
    let added = masked["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "attachment_added")
        .expect("the history has the upload");
    assert_eq!(added["name"], Value::Null, "{added}");
    let (status, _) = h.get(&water, &format!("{order}/attachments/1")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, refused) = h
        .send(upload(Some(&water), &files, "image/png", photo.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "not_your_department");

    // Bad files, and no CSRF token.
    for (content_type, data) in [
        ("text/html", b"<script>alert(1)</script>".to_vec()),
        ("image/png", Vec::new()),
        ("image/png", vec![0; 10 * 1024 * 1024 + 1]),
    ] {
        let (status, _, refused) = h
            .send(upload(Some(&housing), &files, content_type, data))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{content_type}: {refused}"
        );
    }
    let (status, _, _) = h
        .send(upload(
            Some(&Browser {
                cookie: housing.cookie.clone(),
                csrf: "wrong".into(),
            }),
            &files,
            "image/png",
            photo,
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, after) = h.get(&supervisor, &order).await;
    assert_eq!(
        after["order"]["attachments"].as_array().unwrap().len(),
        1,
        "{after}"
    );
}
