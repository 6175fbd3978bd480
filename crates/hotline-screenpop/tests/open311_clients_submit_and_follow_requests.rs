//! Open311 GeoReport v2: a city app lists the services (the catalogue's
//! categories) and a service's definition, submits a request form-encoded
//! with its api_key, and follows it: it became a work order dispatched to
//! the catalogue's department with a deadline, listed as open, and once the
//! department replied and closed it, closed with the reply as its status
//! notes. Without a key, or with a wrong one, nothing is read or written.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::{Harness, HOST, OPEN311_KEY};
use serde_json::{json, Value};

fn form(path: &str, body: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn get(h: &Harness, path: &str) -> (StatusCode, Value) {
    let (status, _, body) = h
        .send(Harness::request(Method::GET, path, None, None))
        .await;
    (status, body)
}

#[tokio::test]
async fn a_city_app_submits_a_request_and_follows_it_to_its_close() {
    let h = Harness::new().await;
    let (status, services) = get(&h, "/open311/v2/services.json").await;
    assert_eq!(status, StatusCode::OK, "{services}");
    let water = services
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "water_outage")
        .unwrap_or_else(|| panic!("{services}"));
    assert_eq!(water["metadata"], true);
    assert_eq!(water["group"], "Water Authority");
    let (status, definition) = get(&h, "/open311/v2/services/water_outage.json").await;
    assert_eq!(status, StatusCode::OK, "{definition}");
    assert_eq!(definition["attributes"][0]["code"], "district");
    assert!(definition["attributes"][1]["values"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v["key"] == "景山街道"));

    let fields = format!(
        "api_key={OPEN311_KEY}&service_code=water_outage&lat=39.925&long=116.397\
         &address_string=%E6%99%AF%E5%B1%B1%E5%89%8D%E8%A1%97%204%20%E5%8F%B7\
         &attribute%5Bdistrict%5D=%E4%B8%9C%E5%9F%8E%E5%8C%BA\
         &attribute%5Bstreet%5D=%E6%99%AF%E5%B1%B1%E8%A1%97%E9%81%93\
         &description=No+water+in+the+building+since+6+am"
    );
    let (status, _, created) = h.send(form("/open311/v2/requests.json", &fields)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        created[0]["service_notice"]
            .as_str()
            .unwrap()
            .contains("Water Authority"),
        "{created}"
    );

    let path = format!("/open311/v2/requests/{id}.json?api_key={OPEN311_KEY}");
    let (status, one) = get(&h, &path).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let request = &one[0];
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "water_outage");
    assert_eq!(request["agency_responsible"], "Water Authority");
    assert_eq!(request["address"], "景山前街 4 号");
    assert_eq!(request["lat"], 39.925);
    assert!(
        request["expected_datetime"]
            .as_str()
            .unwrap()
            .ends_with('Z'),
        "{request}"
    );
    let (_, open) = get(
        &h,
        &format!("/open311/v2/requests.json?api_key={OPEN311_KEY}&status=open"),
    )
    .await;
    assert_eq!(open[0]["service_request_id"], id.as_str(), "{open}");

    // The department works it in the console; the app sees the close.
    let handler = h.login("handler_water").await;
    let commands = format!("/api/orders/{id}/commands");
    for body in [
        json!({"command": "accept"}),
        json!({"command": "reply", "text": "The main was repaired at 14:00."}),
        json!({"command": "close"}),
    ] {
        let (status, answer) = h.post(&handler, &commands, body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
    }
    let (_, one) = get(&h, &path).await;
    assert_eq!(one[0]["status"], "closed", "{one}");
    assert_eq!(one[0]["status_notes"], "The main was repaired at 14:00.");
    let (_, closed) = get(&h, &format!("/open311/v2/requests.json?api_key={OPEN311_KEY}&status=closed&service_code=water_outage")).await;
    assert_eq!(closed.as_array().unwrap().len(), 1, "{closed}");
    let (_, open) = get(
        &h,
        &format!("/open311/v2/requests.json?api_key={OPEN311_KEY}&status=open"),
    )
    .await;
    assert!(open.as_array().unwrap().is_empty(), "{open}");
}

#[tokio::test]
async fn without_a_good_key_nothing_is_read_or_written() {
    let h = Harness::new().await;
    let fields = "service_code=water_outage&address_string=x&attribute%5Bdistrict%5D=%E4%B8%9C%E5%9F%8E%E5%8C%BA&attribute%5Bstreet%5D=%E6%99%AF%E5%B1%B1%E8%A1%97%E9%81%93&description=d";
    for body in [fields.to_owned(), format!("api_key=wrong-key&{fields}")] {
        let (status, _, refused) = h.send(form("/open311/v2/requests.json", &body)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
        assert_eq!(refused[0]["code"], 403);
    }
    let (status, _) = get(&h, "/open311/v2/requests.json").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A bad street is the core's refusal, as a 400 with its reason.
    let body = format!("api_key={OPEN311_KEY}&service_code=water_outage&address_string=x&attribute%5Bdistrict%5D=%E4%B8%9C%E5%9F%8E%E5%8C%BA&attribute%5Bstreet%5D=nowhere&description=d");
    let (status, _, refused) = h.send(form("/open311/v2/requests.json", &body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused[0]["description"]
            .as_str()
            .unwrap()
            .contains("nowhere"),
        "{refused}"
    );
    let (_, listed) = get(
        &h,
        &format!("/open311/v2/requests.json?api_key={OPEN311_KEY}"),
    )
    .await;
    assert!(listed.as_array().unwrap().is_empty(), "{listed}");
}
