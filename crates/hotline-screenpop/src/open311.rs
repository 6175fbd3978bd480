//! Open311 GeoReport v2 (JSON) at `/open311/v2/`: the city's apps and
//! dashboards that speak the standard see the dispatch catalogue as
//! services and work orders as service requests.
//!
//! - `GET services.json`, `GET services/{code}.json`: the catalogue's
//!   categories. Each has `metadata = true`: its definition asks for the
//!   district and street (attributes `district`, `street`, from the
//!   catalogue's list), which a work order needs besides the address.
//! - `POST requests.json` (form-encoded, as the standard says, or JSON):
//!   a work order taken down by the client (`open311:<client>`, channel
//!   `web`) and dispatched by the catalogue; its reference is the
//!   `service_request_id`. A `phone` that belongs to a known citizen links
//!   the order to them; no citizen record is created from a web form.
//! - `GET requests.json` (by ids, or by service, dates and status, the
//!   latest first, 1,000 at most) and `GET requests/{id}.json`: status
//!   `open` / `closed`, `status_notes` (the department's reply, on a single
//!   request), `agency_responsible` (the department), the requested,
//!   updated and expected (deadline) datetimes, the address and lat/long.
//!
//! Every call but the services needs the `api_key` of a configured client
//! ([`crate::ConsoleConfig::open311_clients`]): requests hold what citizens
//! reported. Errors are the standard's `[{"code", "description"}]`.

use std::collections::HashMap;
use std::sync::Arc;

use std::marker::PhantomData;

use aide::generate::GenContext;
use aide::openapi::{Operation, RequestBody};
use aide::{OperationInput, OperationOutput};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, Path, Query, Request as HttpRequest, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use hotline_orders::{
    Actor, CategoryCode, Channel, Command, Coordinates, Location, OrderRules, Phase, WorkOrder,
};
use hotline_store::{Access, AuditContext, NewWorkOrder, PublicOrderQuery, StoreError};
use hotline_types::{CaseRef, Timestamp};
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::openapi::{described, media, BadRequest, Created, ErrorStatuses, NoApiKey, NotFound};
use crate::session::same_secret;
use crate::{wall_clock, App};

/// A client of the Open311 API: its name (the orders it takes down are
/// `open311:<name>`'s) and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Client {
    pub name: String,
    pub api_key: String,
}

/// The most requests one `GET requests.json` returns (the standard's
/// suggested cap).
const MAX_REQUESTS: u32 = 500;

/// An Open311 error answer.
pub(crate) struct Problem(StatusCode, String);

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let code = self.0.as_u16();
        (
            self.0,
            Json(json!([{ "code": code, "description": self.1 }])),
        )
            .into_response()
    }
}

/// The standard's error list.
#[derive(Debug, serde::Serialize, JsonSchema)]
pub(crate) struct ProblemEntry {
    /// The HTTP status again.
    code: u16,
    description: String,
}

/// An Open311 handler's error, with the statuses it may answer in its
/// type (as the console's `Fails`), each with the standard's error list.
pub(crate) struct Problems<S>(Problem, PhantomData<fn() -> S>);

impl<S> std::fmt::Debug for Problems<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Problems")
            .field(&self.0 .0)
            .field(&self.0 .1)
            .finish()
    }
}

impl<S> From<Problem> for Problems<S> {
    fn from(p: Problem) -> Self {
        Problems(p, PhantomData)
    }
}

impl<S> From<StoreError> for Problems<S> {
    fn from(e: StoreError) -> Self {
        Problems(Problem::from(e), PhantomData)
    }
}

impl<S> IntoResponse for Problems<S> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl<S: ErrorStatuses> OperationOutput for Problems<S> {
    type Inner = Vec<ProblemEntry>;

    fn inferred_responses(
        ctx: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, aide::openapi::Response)> {
        let schema = ctx.schema.subschema_for::<Vec<ProblemEntry>>();
        S::statuses()
            .into_iter()
            .map(|(status, meaning)| {
                let mut answer = described(meaning);
                answer
                    .content
                    .insert("application/json".into(), media(schema.clone()));
                (Some(status), answer)
            })
            .collect()
    }
}

/// A query or path that does not parse: the standard's 400.
fn unreadable(detail: String) -> Problem {
    Problem(
        StatusCode::BAD_REQUEST,
        format!("unreadable request: {detail}"),
    )
}

impl From<QueryRejection> for Problem {
    fn from(r: QueryRejection) -> Self {
        unreadable(r.body_text())
    }
}

impl From<PathRejection> for Problem {
    fn from(r: PathRejection) -> Self {
        unreadable(r.body_text())
    }
}

/// The fields of `POST requests.json`, form-encoded (as the standard
/// says) or JSON; attributes as `attribute[district]`.
#[derive(Debug)]
pub(crate) struct RequestFields(HashMap<String, String>);

impl<S: Send + Sync> FromRequest<S> for RequestFields {
    type Rejection = Problem;

    async fn from_request(req: HttpRequest, state: &S) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|r| unreadable(r.body_text()))?;
        request_fields(&headers, &body).map(RequestFields)
    }
}

impl OperationInput for RequestFields {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let fields = ctx.schema.subschema_for::<HashMap<String, String>>();
        aide::operation::set_body(
            ctx,
            operation,
            RequestBody {
                description: Some("api_key, service_code, lat and long or address_string, attribute[district], attribute[street], description, phone (links a known citizen); in JSON the attributes may be an object `attribute`.".into()),
                content: IndexMap::from_iter([
                    ("application/x-www-form-urlencoded".into(), media(fields.clone())),
                    ("application/json".into(), media(fields)),
                ]),
                required: true,
                extensions: IndexMap::default(),
            },
        );
    }

    fn inferred_early_responses(
        _: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, aide::openapi::Response)> {
        Vec::new()
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Order(refusal) => Problem(StatusCode::BAD_REQUEST, refusal.to_string()),
            StoreError::InvalidValue { field, reason } => {
                Problem(StatusCode::BAD_REQUEST, format!("{field}: {reason}"))
            }
            other => {
                tracing::error!(error = %other, "open311 request failed");
                Problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; it was logged".into(),
                )
            }
        }
    }
}

fn rules(app: &App) -> Result<Arc<OrderRules>, Problem> {
    app.config()
        .orders
        .clone()
        .ok_or_else(|| Problem(StatusCode::NOT_FOUND, "no services on this hotline".into()))
}

/// The client whose key this is.
fn client(app: &App, key: Option<&str>) -> Result<Open311Client, Problem> {
    let key = key.ok_or_else(|| Problem(StatusCode::FORBIDDEN, "api_key is required".into()))?;
    app.config()
        .open311_clients
        .iter()
        .find(|c| same_secret(&c.api_key, key))
        .cloned()
        .ok_or_else(|| Problem(StatusCode::FORBIDDEN, "unknown api_key".into()))
}

/// `{code}.json` (or `{code}`) from a path segment.
fn without_json(segment: &str) -> &str {
    segment.strip_suffix(".json").unwrap_or(segment)
}

/// A w3c datetime (RFC 3339, UTC), `None` for an instant jiff cannot
/// write.
fn datetime(at: Timestamp) -> Option<String> {
    jiff::Timestamp::from_millisecond(at.as_millis())
        .ok()
        .map(|t| t.to_string())
}

fn parse_datetime(field: &str, text: &str) -> Result<Timestamp, Problem> {
    text.parse::<jiff::Timestamp>()
        .map(|t| Timestamp(t.as_millisecond()))
        .map_err(|_| {
            Problem(
                StatusCode::BAD_REQUEST,
                format!("{field}: not a w3c datetime with an offset (2026-12-04T09:30:00+08:00)"),
            )
        })
}

/// A service (a category of the catalogue) in the standard's fields.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Service {
    service_code: String,
    service_name: String,
    description: String,
    /// Always true: the definition asks for the district and street.
    metadata: bool,
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["realtime"]))]
    kind: &'static str,
    keywords: String,
    group: String,
}

fn service(rules: &OrderRules, code: &CategoryCode) -> Option<Service> {
    let category = rules.catalogue.category(code)?;
    let department = rules.catalogue.department(&category.department);
    let group = department.map_or(category.department.as_str(), |d| d.name_en.as_str());
    Some(Service {
        service_code: category.code.as_str().to_owned(),
        service_name: category.name_en.clone(),
        description: format!(
            "{} ({}): handled by {} within {} working days.",
            category.name_en, category.name_zh, group, category.deadline_working_days
        ),
        metadata: true,
        kind: "realtime",
        keywords: category.name_zh.clone(),
        group: group.to_owned(),
    })
}

/// `GET /open311/v2/services.json`.
pub(crate) async fn services(
    State(app): State<App>,
) -> Result<Json<Vec<Service>>, Problems<(NotFound,)>> {
    let rules = &*rules(&app)?;
    Ok(Json(
        rules
            .catalogue
            .categories()
            .filter_map(|c| service(rules, &c.code))
            .collect(),
    ))
}

/// `GET /open311/v2/services/{code}.json`: the service definition.
pub(crate) async fn service_definition(
    State(app): State<App>,
    segment: Result<Path<String>, PathRejection>,
) -> Result<Json<ServiceDefinition>, Problems<(BadRequest, NotFound)>> {
    let Path(segment) = segment.map_err(Problem::from)?;
    let rules = &*rules(&app)?;
    let code = CategoryCode::from(without_json(&segment));
    if rules.catalogue.category(&code).is_none() {
        return Err(Problem(StatusCode::NOT_FOUND, format!("no service {code}")).into());
    }
    let districts: Vec<AttributeValue> = rules
        .catalogue
        .districts()
        .map(|d| AttributeValue {
            key: d.to_owned(),
            name: d.to_owned(),
        })
        .collect();
    let streets: Vec<AttributeValue> = rules
        .catalogue
        .districts()
        .flat_map(|d| {
            rules
                .catalogue
                .streets(d)
                .unwrap_or_default()
                .iter()
                .map(move |s| AttributeValue {
                    key: s.clone(),
                    name: format!("{s} ({d})"),
                })
        })
        .collect();
    let attribute = |code, datatype_description, order, description, values| Attribute {
        variable: true,
        code,
        datatype: "singlevaluelist",
        required: true,
        datatype_description,
        order,
        description,
        values,
    };
    Ok(Json(ServiceDefinition {
        service_code: code.as_str().to_owned(),
        attributes: vec![
            attribute(
                "district",
                "The district where it is.",
                1,
                "District",
                districts,
            ),
            attribute(
                "street",
                "The street (sub-district) in that district.",
                2,
                "Street",
                streets,
            ),
        ],
    }))
}

/// A service's definition: the attributes a request of it needs.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ServiceDefinition {
    service_code: String,
    attributes: Vec<Attribute>,
}

/// One attribute of a service definition (district, street).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Attribute {
    variable: bool,
    code: &'static str,
    datatype: &'static str,
    required: bool,
    datatype_description: &'static str,
    order: u32,
    description: &'static str,
    values: Vec<AttributeValue>,
}

/// One value an attribute may take.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct AttributeValue {
    key: String,
    name: String,
}

/// The fields of `POST requests.json`, form-encoded or JSON; attributes as
/// `attribute[district]`.
fn request_fields(headers: &HeaderMap, body: &[u8]) -> Result<HashMap<String, String>, Problem> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let bad = |e: String| Problem(StatusCode::BAD_REQUEST, format!("unreadable request: {e}"));
    if json {
        let value: HashMap<String, Value> =
            serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
        let mut fields = HashMap::new();
        for (key, value) in value {
            match value {
                Value::String(s) => {
                    fields.insert(key, s);
                }
                Value::Number(n) => {
                    fields.insert(key, n.to_string());
                }
                Value::Object(attributes) if key == "attribute" => {
                    for (name, v) in attributes {
                        if let Value::String(s) = v {
                            fields.insert(format!("attribute[{name}]"), s);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(fields)
    } else {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(|pairs| pairs.into_iter().collect())
            .map_err(|e| bad(e.to_string()))
    }
}

/// `POST /open311/v2/requests.json`.
pub(crate) async fn create_request(
    State(app): State<App>,
    fields: Result<RequestFields, Problem>,
) -> Result<Created<Vec<CreatedRequest>>, Problems<(BadRequest, NoApiKey, NotFound)>> {
    let RequestFields(fields) = fields?;
    Ok(Created(create(&app, fields).await?))
}

async fn create(
    app: &App,
    fields: HashMap<String, String>,
) -> Result<Vec<CreatedRequest>, Problem> {
    let rules = &*rules(app)?;
    let client = client(app, fields.get("api_key").map(String::as_str))?;
    let field = |name: &str| fields.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let required = |name: &'static str| {
        field(name).ok_or_else(|| Problem(StatusCode::BAD_REQUEST, format!("{name} is required")))
    };
    let code = CategoryCode::from(required("service_code")?);
    if rules.catalogue.category(&code).is_none() {
        return Err(Problem(
            StatusCode::BAD_REQUEST,
            format!("service_code {code} is not a service"),
        ));
    }
    let number = |name: &str| -> Result<Option<f64>, Problem> {
        field(name)
            .map(|v| {
                v.parse::<f64>().map_err(|_| {
                    Problem(StatusCode::BAD_REQUEST, format!("{name} is not a number"))
                })
            })
            .transpose()
    };
    let coordinates = match (number("lat")?, number("long")?) {
        (Some(latitude), Some(longitude)) => Some(Coordinates {
            latitude,
            longitude,
        }),
        (None, None) => None,
        _ => {
            return Err(Problem(
                StatusCode::BAD_REQUEST,
                "give both lat and long, or neither".into(),
            ))
        }
    };
    let address = field("address_string").unwrap_or_default().to_owned();
    if address.is_empty() && coordinates.is_none() {
        return Err(Problem(
            StatusCode::BAD_REQUEST,
            "a location is required: address_string or lat and long".into(),
        ));
    }
    let address = if address.is_empty() {
        coordinates.map_or_else(String::new, |c| format!("{}, {}", c.latitude, c.longitude))
    } else {
        address
    };
    let location = Location {
        address,
        district: required("attribute[district]")?.to_owned(),
        street: required("attribute[street]")?.to_owned(),
        coordinates,
    };
    let summary = required("description")?.to_owned();
    let by = format!("open311:{}", client.name);
    let ctx = AuditContext {
        actor: by.clone(),
        access: Access::Administration,
        reason: "service request from an Open311 client".into(),
        at: wall_clock(),
    };
    let citizen = match field("phone") {
        Some(phone) => match app.store.citizen_by_phone(&ctx, phone).await {
            Ok(found) => found.first().map(|r| r.citizen.id),
            Err(StoreError::InvalidValue { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let now = wall_clock();
    let actor = Actor::agent(&by);
    let taken = app
        .store
        .take_down_work_order(
            &ctx,
            rules.rules(),
            now,
            &actor,
            NewWorkOrder {
                call: None,
                channel: Channel::Web,
                category: code,
                citizen,
                location,
                summary,
            },
            Some((actor.clone(), Command::Dispatch)),
        )
        .await?;
    let order = taken.order.order;
    let reference = order.reference().clone();
    if let Some(e) = &taken.then_refused {
        tracing::warn!(%reference, error = %e, "an Open311 request waits at the hotline: not dispatched");
    }
    Ok(vec![CreatedRequest {
        service_request_id: reference.digits().to_owned(),
        service_notice: notice(rules, &order),
        account_id: None,
    }])
}

/// What `POST requests.json` answers (in a list of one, as the standard
/// says).
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CreatedRequest {
    service_request_id: String,
    service_notice: String,
    /// Always null: no citizen accounts through Open311.
    account_id: Option<String>,
}

fn notice(rules: &OrderRules, order: &WorkOrder) -> String {
    match (order.department(), order.deadline()) {
        (Some(d), Some(deadline)) => {
            let name = rules
                .catalogue
                .department(d)
                .map_or(d.as_str(), |d| d.name_en.as_str());
            format!(
                "Sent to {name}; due by {}.",
                datetime(deadline).unwrap_or_default()
            )
        }
        _ => "Taken down; the hotline will dispatch it.".into(),
    }
}

fn status(phase: Phase) -> &'static str {
    match phase {
        Phase::Closed | Phase::FollowedUp | Phase::Merged => "closed",
        _ => "open",
    }
}

fn agency(rules: &OrderRules, department: Option<&hotline_orders::DepartmentId>) -> Option<String> {
    department.map(|d| {
        rules
            .catalogue
            .department(d)
            .map_or(d.as_str(), |d| d.name_en.as_str())
            .to_owned()
    })
}

fn service_name(rules: &OrderRules, code: &CategoryCode) -> String {
    rules
        .catalogue
        .category(code)
        .map_or_else(|| code.to_string(), |c| c.name_en.clone())
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct ListArgs {
    api_key: Option<String>,
    service_request_id: Option<String>,
    service_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
    /// Accepted and ignored: one hotline is one jurisdiction.
    #[serde(rename = "jurisdiction_id")]
    _jurisdiction_id: Option<String>,
}

/// `GET /open311/v2/requests.json`.
pub(crate) async fn list_requests(
    State(app): State<App>,
    args: Result<Query<ListArgs>, QueryRejection>,
) -> Result<Json<Vec<ServiceRequest>>, Problems<(BadRequest, NoApiKey, NotFound)>> {
    let Query(args) = args.map_err(Problem::from)?;
    Ok(Json(list(&app, args).await?))
}

async fn list(app: &App, args: ListArgs) -> Result<Vec<ServiceRequest>, Problem> {
    let rules = &*rules(app)?;
    client(app, args.api_key.as_deref())?;
    if let Some(ids) = &args.service_request_id {
        let mut found = Vec::new();
        for id in ids
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .take(50)
        {
            if let Some(one) = one_request(app, rules, id).await? {
                found.push(one);
            }
        }
        return Ok(found);
    }
    let open = match args.status.as_deref() {
        None => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(other) => {
            return Err(Problem(
                StatusCode::BAD_REQUEST,
                format!("status {other:?}: use open or closed"),
            ))
        }
    };
    let query = PublicOrderQuery {
        category: args.service_code.as_deref().map(CategoryCode::from),
        opened_from: args
            .start_date
            .as_deref()
            .map(|d| parse_datetime("start_date", d))
            .transpose()?,
        opened_before: args
            .end_date
            .as_deref()
            .map(|d| parse_datetime("end_date", d))
            .transpose()?,
        open,
        limit: MAX_REQUESTS,
    };
    let orders = app.store.public_orders(&query).await?;
    Ok(orders
        .iter()
        .map(|o| {
            request_json(
                rules,
                &Request {
                    reference: &o.reference,
                    phase: o.phase,
                    category: &o.category,
                    department: o.department.as_ref(),
                    summary: &o.summary,
                    address: &o.address,
                    coordinates: o.latitude.zip(o.longitude),
                    opened_at: o.opened_at,
                    updated_at: o.updated_at,
                    deadline: o.deadline,
                    // Lists read the projection only: the reply and
                    // the notice come with a single request.
                    status_notes: None,
                    service_notice: None,
                },
            )
        })
        .collect())
}

/// A service request, from a listing's projection or a folded order.
struct Request<'a> {
    reference: &'a CaseRef,
    phase: Phase,
    category: &'a CategoryCode,
    department: Option<&'a hotline_orders::DepartmentId>,
    summary: &'a str,
    address: &'a str,
    /// Latitude and longitude.
    coordinates: Option<(f64, f64)>,
    opened_at: Timestamp,
    updated_at: Timestamp,
    deadline: Option<Timestamp>,
    status_notes: Option<&'a str>,
    service_notice: Option<String>,
}

/// A service request in the standard's fields.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ServiceRequest {
    service_request_id: String,
    #[schemars(extend("enum" = ["open", "closed"]))]
    status: &'static str,
    /// The department's reply (on a single request only).
    status_notes: Option<String>,
    service_name: String,
    service_code: String,
    description: String,
    /// The department handling it, while one does.
    agency_responsible: Option<String>,
    service_notice: Option<String>,
    requested_datetime: Option<String>,
    updated_datetime: Option<String>,
    /// The deadline.
    expected_datetime: Option<String>,
    address: String,
    /// Always null: no address ids, zip codes or media on this hotline.
    address_id: Option<String>,
    zipcode: Option<String>,
    lat: Option<f64>,
    long: Option<f64>,
    media_url: Option<String>,
}

fn request_json(rules: &OrderRules, r: &Request<'_>) -> ServiceRequest {
    ServiceRequest {
        service_request_id: r.reference.digits().to_owned(),
        status: status(r.phase),
        status_notes: r.status_notes.map(str::to_owned),
        service_name: service_name(rules, r.category),
        service_code: r.category.as_str().to_owned(),
        description: r.summary.to_owned(),
        agency_responsible: agency(rules, r.department),
        service_notice: r.service_notice.clone(),
        requested_datetime: datetime(r.opened_at),
        updated_datetime: datetime(r.updated_at),
        expected_datetime: r.deadline.and_then(datetime),
        address: r.address.to_owned(),
        address_id: None,
        zipcode: None,
        lat: r.coordinates.map(|(lat, _)| lat),
        long: r.coordinates.map(|(_, long)| long),
        media_url: None,
    }
}

/// One request by its id, folded from its log (for its reply).
async fn one_request(
    app: &App,
    rules: &OrderRules,
    id: &str,
) -> Result<Option<ServiceRequest>, Problem> {
    let Ok(reference) = CaseRef::parse(id) else {
        return Ok(None);
    };
    let ctx = AuditContext {
        actor: "open311".into(),
        access: Access::Administration,
        reason: "service request status for an Open311 client".into(),
        at: wall_clock(),
    };
    let order = match app.store.work_order(&ctx, &reference).await {
        Ok(Some(stored)) => stored.order,
        Ok(None) | Err(StoreError::LegacyCase { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let location = order.location();
    Ok(Some(request_json(
        rules,
        &Request {
            reference: &reference,
            phase: order.phase(),
            category: order.category(),
            department: order.department(),
            summary: order.summary(),
            address: &location.address,
            coordinates: location.coordinates.map(|c| (c.latitude, c.longitude)),
            opened_at: order.created_at(),
            updated_at: order.updated_at(),
            deadline: order.deadline(),
            status_notes: order.reply(),
            service_notice: Some(notice(rules, &order)),
        },
    )))
}

#[derive(Debug, Deserialize, JsonSchema)]
pub(crate) struct KeyArgs {
    api_key: Option<String>,
    #[serde(rename = "jurisdiction_id")]
    _jurisdiction_id: Option<String>,
}

/// `GET /open311/v2/requests/{id}.json`.
pub(crate) async fn get_request(
    State(app): State<App>,
    segment: Result<Path<String>, PathRejection>,
    args: Result<Query<KeyArgs>, QueryRejection>,
) -> Result<Json<Vec<ServiceRequest>>, Problems<(BadRequest, NoApiKey, NotFound)>> {
    let Path(segment) = segment.map_err(Problem::from)?;
    let Query(args) = args.map_err(Problem::from)?;
    let answer = async {
        let rules = &*rules(&app)?;
        client(&app, args.api_key.as_deref())?;
        let id = without_json(&segment);
        one_request(&app, rules, id)
            .await?
            .map(|one| vec![one])
            .ok_or_else(|| Problem(StatusCode::NOT_FOUND, format!("no service request {id}")))
    };
    Ok(Json(answer.await?))
}
