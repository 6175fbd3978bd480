//! The OpenAPI 3.1 description of the console's REST and WebSocket API,
//! served at `/api/openapi.json` so a city can integrate its own desktop.
//!
//! Generated, not written: [`crate::routes`] hands every route of its table
//! here with the handler's types, and each route's parameters, request body,
//! answers and statuses come from those types through aide's
//! [`OperationInput`] and [`OperationOutput`] traits, the schemas from
//! schemars (`#[derive(JsonSchema)]` beside `Serialize`/`Deserialize`, so a
//! changed field changes the document). What the types say:
//!
//! - extractors: [`JsonBody`](crate::extract::JsonBody) the request body
//!   (and 400 for malformed JSON or unknown fields),
//!   [`QueryArgs`](crate::extract::QueryArgs) the query parameters,
//!   [`PathArg`](crate::extract::PathArg) the path parameters (named from
//!   the route's path), each with 400;
//! - answers: `Json<T>` is 200 with `T`, [`Created`] 201, `NoContent` 204,
//!   [`SeeOther`] 303, the pages' [`Asset`]s their content type, a report
//!   JSON or CSV;
//! - errors: a handler's `Result<_, Fails<(NotFound, Conflict)>>` names
//!   the statuses it refuses with, each with the [`ErrorBody`]; the guard
//!   adds 401 and 403 (and the CSRF header on changes) to every route that
//!   needs a session.
//!
//! Only prose is written by hand: each route's tag, summary and
//! description ([`Doc`], in the route table). The test
//! `openapi_lists_every_route` checks the document against the router.

use std::cell::RefCell;
use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};

use aide::generate::{in_context, GenContext};
use aide::openapi::{MediaType, Operation, Response as ApiResponse, SchemaObject};
use aide::{OperationInput, OperationOutput};
use axum::http::{header, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use indexmap::IndexMap;
use schemars::generate::{Contract, SchemaSettings};
use schemars::SchemaGenerator;
use schemars::{json_schema, JsonSchema, Schema};
use serde_json::{json, Map, Value};

use crate::error::{ConsoleError, ErrorBody};

/// Where the generated schemas live in the document.
const SCHEMAS: &str = "#/components/schemas/";

/// What a route's documentation says in words; everything else is
/// generated from its handler's types.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Doc {
    tag: &'static str,
    summary: &'static str,
    description: Option<&'static str>,
}

/// A route's tag and one-line summary.
pub(crate) const fn doc(tag: &'static str, summary: &'static str) -> Doc {
    Doc {
        tag,
        summary,
        description: None,
    }
}

impl Doc {
    /// More than the summary says: who may, what it means.
    pub(crate) const fn describe(self, description: &'static str) -> Doc {
        Doc {
            description: Some(description),
            ..self
        }
    }
}

/// A status a handler may refuse with, and what it means there.
pub(crate) trait ErrorStatus {
    const STATUS: u16;
    const MEANING: &'static str;
}

macro_rules! error_status {
    ($(#[$doc:meta])* $name:ident, $status:literal, $meaning:literal) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub(crate) struct $name;
        impl ErrorStatus for $name {
            const STATUS: u16 = $status;
            const MEANING: &'static str = $meaning;
        }
    };
}

error_status!(
    /// 401 from the handler itself (a wrong password).
    Unauthorized,
    401,
    "Wrong login or password (the same answer for both)."
);
error_status!(
    /// 403 from the handler itself: a grant, a call or an Origin it checks.
    Forbidden,
    403,
    "Refused: not a call, record or department of yours, or a foreign Origin; the error says which."
);
error_status!(
    /// 400 from the handler itself (Open311's missing or bad fields).
    BadRequest,
    400,
    "A missing or bad field; the description says which."
);
error_status!(
    /// 403 of Open311: requests are for the configured clients.
    NoApiKey,
    403,
    "No api_key, or one that no configured client has."
);
error_status!(
    NotFound,
    404,
    "Not found (or not configured on this hotline); the error names what."
);
error_status!(
    Conflict,
    409,
    "Refused by the call centre or by the record's state: `code` says what (with the refusal's fields beside it)."
);
error_status!(
    Invalid,
    422,
    "A value is not acceptable: `field` names it and the error says why."
);
error_status!(
    TooMany,
    429,
    "Too many attempts from this address or for this login; Retry-After says when to try again."
);
error_status!(
    Unavailable,
    503,
    "The call centre did not answer in time; try again."
);

/// The statuses of a [`Fails`]: a tuple of [`ErrorStatus`]es.
pub(crate) trait ErrorStatuses {
    fn statuses() -> Vec<(u16, &'static str)>;
}

macro_rules! error_statuses {
    ($($t:ident),*) => {
        impl<$($t: ErrorStatus),*> ErrorStatuses for ($($t,)*) {
            fn statuses() -> Vec<(u16, &'static str)> {
                vec![$(($t::STATUS, $t::MEANING)),*]
            }
        }
    };
}

/// Nothing but an internal failure (a 500, never documented: the fuzzer
/// treats any as a defect).
impl ErrorStatuses for () {
    fn statuses() -> Vec<(u16, &'static str)> {
        Vec::new()
    }
}

error_statuses!(A);
error_statuses!(A, B);
error_statuses!(A, B, C);
error_statuses!(A, B, C, D);
error_statuses!(A, B, C, D, E);

/// A handler's error, with the statuses it may be answered with in its
/// type: `Result<Json<User>, Fails<(NotFound, Invalid)>>`. Any
/// [`ConsoleError`] converts into it (`?` works as before); the document
/// lists the statuses named, and the API fuzzer (`tests/api_fuzz`) fails
/// on any other.
pub(crate) struct Fails<S>(ConsoleError, PhantomData<fn() -> S>);

impl<S> std::fmt::Debug for Fails<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Fails").field(&self.0).finish()
    }
}

impl<S> IntoResponse for Fails<S> {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

macro_rules! fails_from {
    ($($t:ty),*) => {$(
        impl<S> From<$t> for Fails<S> {
            fn from(e: $t) -> Self {
                Fails(ConsoleError::from(e), PhantomData)
            }
        }
    )*};
}

fails_from!(
    hotline_store::StoreError,
    crate::api::Refused,
    serde_json::Error
);

impl<S> From<ConsoleError> for Fails<S> {
    fn from(e: ConsoleError) -> Self {
        Fails(e, PhantomData)
    }
}

impl<S: ErrorStatuses> OperationOutput for Fails<S> {
    type Inner = ErrorBody;

    fn inferred_responses(
        _: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        S::statuses()
            .into_iter()
            .map(|(status, meaning)| (Some(status), described(meaning)))
            .collect()
    }
}

/// 201 with the JSON of what was made.
#[derive(Debug)]
pub(crate) struct Created<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, axum::Json(self.0)).into_response()
    }
}

impl<T: JsonSchema> OperationOutput for Created<T> {
    type Inner = T;

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        <axum::Json<T> as OperationOutput>::inferred_responses(ctx, operation)
            .into_iter()
            .map(|(_, mut response)| {
                response.description = "Created.".into();
                (Some(201), response)
            })
            .collect()
    }
}

/// An answer that also sets (or clears) the session cookie.
#[derive(Debug)]
pub(crate) struct SetsCookie<T>(pub Option<axum::http::HeaderValue>, pub T);

impl<T: IntoResponse> IntoResponse for SetsCookie<T> {
    fn into_response(self) -> Response {
        let mut response = self.1.into_response();
        if let Some(cookie) = self.0 {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        response
    }
}

impl<T: OperationOutput> OperationOutput for SetsCookie<T> {
    type Inner = T::Inner;

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        T::inferred_responses(ctx, operation)
    }
}

/// A stored file as a download: its own Content-Type, which no schema
/// describes beyond "the bytes".
#[derive(Debug)]
pub(crate) struct FileDownload(pub [(HeaderName, String); 4], pub Vec<u8>);

impl IntoResponse for FileDownload {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl OperationOutput for FileDownload {
    type Inner = Vec<u8>;

    fn inferred_responses(
        _: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        binary_answer(
            "The file, with its own Content-Type, as an attachment (nosniff).",
            hotline_store::ATTACHMENT_TYPES,
        )
    }
}

/// 200 with bytes of one of `types` (a download).
fn binary_answer(description: &str, types: &[&str]) -> Vec<(Option<u16>, ApiResponse)> {
    vec![(
        Some(200),
        ApiResponse {
            description: description.into(),
            content: types
                .iter()
                .map(|t| {
                    (
                        (*t).to_owned(),
                        media(json_schema!({ "type": "string", "format": "binary" })),
                    )
                })
                .collect(),
            ..Default::default()
        },
    )]
}

/// A citizen's data export: one tar archive, as a download.
#[derive(Debug)]
pub(crate) struct Archive(pub [(HeaderName, String); 4], pub Vec<u8>);

impl IntoResponse for Archive {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

impl OperationOutput for Archive {
    type Inner = Vec<u8>;

    fn inferred_responses(
        _: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        binary_answer(
            "A tar archive: citizen.json and recordings/ (attachment, nosniff).",
            &["application/x-tar"],
        )
    }
}

/// 303 to one of the pages.
#[derive(Debug)]
pub(crate) struct SeeOther(pub &'static str);

impl IntoResponse for SeeOther {
    fn into_response(self) -> Response {
        axum::response::Redirect::to(self.0).into_response()
    }
}

impl OperationOutput for SeeOther {
    type Inner = ();

    fn inferred_responses(
        _: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        vec![(Some(303), described("To the page (Location)."))]
    }
}

/// What kind of static file an [`Asset`] is.
pub(crate) trait AssetKind {
    const CONTENT_TYPE: &'static str;
}

macro_rules! asset_kind {
    ($name:ident, $type:literal) => {
        #[derive(Debug)]
        pub(crate) struct $name;
        impl AssetKind for $name {
            const CONTENT_TYPE: &'static str = $type;
        }
    };
}

asset_kind!(HtmlPage, "text/html; charset=utf-8");
asset_kind!(Script, "text/javascript; charset=utf-8");
asset_kind!(StyleSheet, "text/css; charset=utf-8");

/// One of the pages' static files, with headers that keep it from being
/// framed or loading anything from elsewhere.
pub(crate) struct Asset<K>(pub &'static str, pub PhantomData<K>);

impl<K> std::fmt::Debug for Asset<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Asset").field(&self.0.len()).finish()
    }
}

impl<K: AssetKind> IntoResponse for Asset<K> {
    fn into_response(self) -> Response {
        crate::assets::asset(K::CONTENT_TYPE, self.0)
    }
}

impl<K: AssetKind> OperationOutput for Asset<K> {
    type Inner = String;

    fn inferred_responses(
        _: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        vec![(
            Some(200),
            with_content(
                "The file.",
                K::CONTENT_TYPE,
                json_schema!({ "type": "string" }),
            ),
        )]
    }
}

/// The document itself, as `/api/openapi.json` answers it.
#[derive(Debug)]
pub(crate) struct DocumentJson(pub Arc<OnceLock<String>>);

impl IntoResponse for DocumentJson {
    fn into_response(self) -> Response {
        let body = self.0.get().cloned().unwrap_or_default();
        let headers: [(HeaderName, &'static str); 1] = [(header::CONTENT_TYPE, "application/json")];
        (headers, body).into_response()
    }
}

impl OperationOutput for DocumentJson {
    type Inner = Value;

    fn inferred_responses(
        _: &mut GenContext,
        _: &mut Operation,
    ) -> Vec<(Option<u16>, ApiResponse)> {
        vec![(
            Some(200),
            with_content(
                "This document.",
                "application/json",
                json_schema!({ "type": "object", "required": ["openapi", "paths"] }),
            ),
        )]
    }
}

/// A response with a description only (an error gets the [`ErrorBody`]
/// when the document is put together).
pub(crate) fn described(description: &str) -> ApiResponse {
    ApiResponse {
        description: description.to_owned(),
        ..Default::default()
    }
}

/// A response with one content type and its schema.
pub(crate) fn with_content(description: &str, content_type: &str, schema: Schema) -> ApiResponse {
    ApiResponse {
        description: description.to_owned(),
        content: IndexMap::from_iter([(content_type.to_owned(), media(schema))]),
        ..Default::default()
    }
}

pub(crate) fn media(schema: Schema) -> MediaType {
    MediaType {
        schema: Some(SchemaObject {
            json_schema: schema,
            example: None,
            external_docs: None,
        }),
        ..Default::default()
    }
}

/// How a route is reached, for its documentation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RouteShape<'a> {
    pub(crate) path: &'a str,
    /// It needs a session (the guard runs before the handler).
    pub(crate) guarded: bool,
    /// A POST or DELETE (the guard wants the CSRF token).
    pub(crate) changes_state: bool,
}

thread_local! {
    /// The generator of the answers' schemas while a document is made
    /// (aide's context holds the requests').
    static ANSWERS: RefCell<SchemaGenerator> = RefCell::new(generator(Contract::Serialize));
}

/// JSON Schema 2020-12 (OpenAPI 3.1's dialect), the schemas collected
/// under `#/components/schemas`, serde's attributes read as `contract`
/// says: requests as they deserialize (`deny_unknown_fields`, `default`),
/// answers as they serialize (every field written is required, `null`
/// included).
fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = SCHEMAS.into();
            s.meta_schema = None;
            s.contract = contract;
        })
        .into_generator()
}

/// Starts a document on this thread: aide's generation context for the
/// requests' schemas, a fresh one for the answers'.
pub(crate) fn start() {
    aide::generate::reset_context();
    in_context(|ctx| ctx.schema = generator(Contract::Deserialize));
    ANSWERS.with(|a| *a.borrow_mut() = generator(Contract::Serialize));
}

/// Runs `f` with the answers' generator in aide's context.
fn with_answers<R>(ctx: &mut GenContext, f: impl FnOnce(&mut GenContext) -> R) -> R {
    ANSWERS.with(|a| std::mem::swap(&mut ctx.schema, &mut *a.borrow_mut()));
    let result = f(ctx);
    ANSWERS.with(|a| std::mem::swap(&mut ctx.schema, &mut *a.borrow_mut()));
    result
}

/// One route's operation, from its handler's input and output types.
pub(crate) fn operation<I: OperationInput, O: OperationOutput>(
    shape: RouteShape<'_>,
    doc: Doc,
) -> Value {
    let mut op = Operation::default();
    let mut answers: Vec<(Option<u16>, ApiResponse)> = Vec::new();
    let error_body = in_context(|ctx| {
        I::operation_input(ctx, &mut op);
        // Inputs may answer before the handler (a WebSocket's 101).
        if let Some(early) = op.responses.take() {
            answers.extend(early.responses.into_iter().filter_map(|(status, answer)| {
                match (status, answer) {
                    (
                        aide::openapi::StatusCode::Code(code),
                        aide::openapi::ReferenceOr::Item(a),
                    ) => Some((Some(code), a)),
                    _ => None,
                }
            }));
        }
        answers.extend(I::inferred_early_responses(ctx, &mut op));
        with_answers(ctx, |ctx| {
            answers.extend(O::inferred_responses(ctx, &mut op));
            ctx.schema.subschema_for::<ErrorBody>()
        })
    });
    if shape.guarded {
        answers.push((Some(401), described("No session, or it expired.")));
        answers.push((
            Some(403),
            described(if shape.changes_state {
                "Your role may not do this, your password must be changed first (code password_change_required), or a missing CSRF token or a foreign Origin."
            } else {
                "Your role may not do this, or your password must be changed first (code password_change_required)."
            }),
        ));
    }
    let mut responses: IndexMap<u16, ApiResponse> = IndexMap::new();
    for (status, answer) in answers {
        let status = status.unwrap_or(200);
        match responses.get_mut(&status) {
            Some(seen) => {
                if !seen.description.contains(&answer.description) {
                    seen.description = format!("{} {}", seen.description, answer.description);
                }
                seen.content.extend(answer.content);
            }
            None => {
                responses.insert(status, answer);
            }
        }
    }
    for (status, answer) in responses.iter_mut() {
        if *status >= 400 && answer.content.is_empty() {
            answer
                .content
                .insert("application/json".into(), media(error_body.clone()));
        }
    }
    responses.sort_keys();

    let mut value = serde_json::to_value(&op).unwrap_or_else(|_| json!({}));
    let object = value
        .as_object_mut()
        .expect("an Operation is a JSON object");
    object.insert("tags".into(), json!([doc.tag]));
    object.insert("summary".into(), json!(doc.summary));
    if let Some(description) = doc.description {
        object.insert("description".into(), json!(description));
    }
    name_path_parameters(object, shape.path);
    if shape.guarded && shape.changes_state {
        let params = object
            .entry("parameters")
            .or_insert_with(|| json!([]))
            .as_array_mut()
            .expect("parameters are a list");
        params.push(json!({ "$ref": "#/components/parameters/CsrfToken" }));
    }
    object.insert(
        "security".into(),
        if shape.guarded {
            json!([{ "session": [] }])
        } else {
            json!([])
        },
    );
    let responses: Map<String, Value> = responses
        .into_iter()
        .map(|(status, answer)| {
            (
                status.to_string(),
                serde_json::to_value(answer).unwrap_or_else(|_| json!({})),
            )
        })
        .collect();
    object.insert("responses".into(), Value::Object(responses));
    value
}

/// [`PathArg`](crate::extract::PathArg) documents its values in order
/// (it cannot see the route); they take the names of the path's `{…}`
/// segments here.
fn name_path_parameters(object: &mut Map<String, Value>, path: &str) {
    let names: Vec<&str> = path
        .split('/')
        .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .collect();
    let params = object
        .entry("parameters")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .expect("parameters are a list");
    let mut names = names.into_iter();
    for param in params.iter_mut().filter(|p| p["in"] == "path") {
        if let Some(name) = names.next() {
            param["name"] = json!(name);
        }
    }
    // A segment the handler reads as axum's plain `Path<String>` (Open311).
    for name in names {
        params.push(json!({
            "name": name, "in": "path", "required": true,
            "description": "A path segment, read as text.",
            "schema": { "type": "string" }
        }));
    }
    if params.is_empty() {
        object.remove("parameters");
    }
}

/// Points the `$ref`s to `renamed` schemas at their `…Answer` names.
fn rename_refs(value: &mut Value, renamed: &[String]) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(target)) = object.get_mut("$ref") {
                if let Some(name) = target.strip_prefix(SCHEMAS) {
                    if renamed.iter().any(|r| r == name) {
                        *target = format!("{SCHEMAS}{name}Answer");
                    }
                }
            }
            object.values_mut().for_each(|v| rename_refs(v, renamed));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, renamed)),
        _ => {}
    }
}

/// The whole document, from the routes' operations, with the schemas the
/// generation collected.
pub(crate) fn finish(mut operations: Vec<(&'static str, &'static str, Value)>) -> Value {
    let (mut schemas, answers) = in_context(|ctx| {
        let answers = with_answers(ctx, |ctx| {
            // The WebSockets' messages, which no HTTP answer carries.
            ctx.schema.subschema_for::<crate::api::ConsoleEvent>();
            ctx.schema
                .subschema_for::<crate::wallboard::WallboardView>();
            ctx.schema.take_definitions(true)
        });
        (ctx.schema.take_definitions(true), answers)
    });
    // A type in requests and in answers has one schema when both read the
    // same; otherwise the answers' is `<Name>Answer`, and the answers'
    // references follow it.
    let renamed: Vec<String> = answers
        .iter()
        .filter(|(name, schema)| schemas.get(*name).is_some_and(|s| s != *schema))
        .map(|(name, _)| name.clone())
        .collect();
    let mut answers = Value::Object(answers);
    rename_refs(&mut answers, &renamed);
    for (_, _, operation) in &mut operations {
        rename_refs(&mut operation["responses"], &renamed);
    }
    if let Value::Object(answers) = answers {
        for (name, schema) in answers {
            let name = if renamed.contains(&name) {
                format!("{name}Answer")
            } else {
                name
            };
            schemas.insert(name, schema);
        }
    }
    let mut paths = Map::new();
    for (method, path, operation) in operations {
        let item = paths
            .entry(path.to_owned())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is a JSON object");
        item.insert(method.to_owned(), operation);
    }
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Hotline agent console API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "REST + WebSocket API of the Hotline agent console. Log in with POST /api/login (session cookie), send the returned csrf_token as X-CSRF-Token on every POST and DELETE, and open /api/agent/ws for screen-pops. Agents see a citizen record only through a call offered to them or their own audited search; every view is in the audit log. Errors are JSON (schema ErrorBody) with the status each operation lists."
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {
                    "type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE,
                    "description": "Set by POST /api/login: HttpOnly, SameSite=Strict, Secure unless configured off; expires when idle."
                }
            },
            "parameters": {
                "CsrfToken": {
                    "name": "X-CSRF-Token", "in": "header", "required": true,
                    "description": "The session's csrf_token (from login or /api/me); required on every POST and DELETE.",
                    "schema": { "type": "string" }
                }
            }
        },
        "tags": [
            { "name": "session" }, { "name": "agent" }, { "name": "calls" }, { "name": "citizens" },
            { "name": "cases" }, { "name": "config" }, { "name": "supervisor" },
            { "name": "reports", "description": "Historical statistics (definitions in docs/statistics.md), JSON or CSV." },
            { "name": "orders" }, { "name": "open311" },
            { "name": "admin" }, { "name": "console" }, { "name": "pages" }, { "name": "meta" }
        ]
    })
}
