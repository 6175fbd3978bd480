//! Work orders in the console (受理 → 派单 → 办理 → 答复 → 办结 → 回访): an
//! agent takes one down (on a call or not) and dispatches it or resolves it
//! on the call; a department's handlers work their inbox (accept, notes,
//! extension, return, reply, close); dispatchers re-dispatch what was
//! returned; supervisors urge and decide extensions; and everyone reads
//! every order with its history.
//!
//! Who may give which command is the orders core's decision
//! ([`WorkOrder::decide`]): the console only maps the signed-in user onto
//! the [`Actor`] the command is given as ([`actor_for`]), and answers a
//! refusal with 409 and the core's reason. An order's answer lists the
//! commands the user may give now (`may`), decided by the same core, so
//! the page shows exactly the buttons that will work.
//!
//! Personal fields: an order names its citizen (and every merged
//! reporter's). They are shown to the hotline's own staff (agents,
//! dispatchers, supervisors, admins) and to the handlers of the department
//! that handles the order, who may have to reach the citizen; handlers of
//! other departments read the order without them (`personal_masked`).
//! Every opening of an order is audited by the store, with the user and why.
//! Lists carry no personal data and are not audited.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::{Extension, Json};
use hotline_orders::{
    Actor, CategoryCode, Channel, Command, Coordinates, DepartmentId, InboxStatus, Location,
    OrderEvent, OrderRules, WorkOrder,
};
use hotline_store::{
    Access, AttachmentRead, AuditContext, FollowUpDue, InboxCounts, InboxCursor, InboxPage,
    InboxQuery, NewWorkOrder, OrderLine, Role, StoredOrder, User, MAX_ORDERS_LISTED,
};
use hotline_types::{CallId, CaseRef, CitizenId, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::cases::record_grant;
use crate::access::GrantVia;
use crate::api::AgentRequest;
use crate::error::ConsoleError;
use crate::extract::{JsonBody, PathArg, QueryArgs, Upload};
use crate::openapi::{Conflict, Created, Fails, FileDownload, Forbidden, Invalid, NotFound};
use crate::session::Authed;
use crate::{wall_clock, App};

/// The rules the console decides and lists orders by.
fn order_rules(app: &App) -> Result<Arc<OrderRules>, ConsoleError> {
    app.config()
        .orders
        .clone()
        .ok_or(ConsoleError::NotConfigured {
            what: "work orders",
        })
}

/// The departments a handler works for (their account's, one or more).
fn handler_departments(user: &User) -> Vec<&str> {
    user.departments().collect()
}

/// The actor `user` gives `command` as. Agents, dispatchers and handlers
/// act in their one role; supervisors and admins act as supervisors for
/// what only supervisors may do (urge, decide an extension), as
/// dispatchers to re-dispatch, and as the hotline's agents otherwise (they
/// take calls and orders down too). Nobody but a department's handler
/// works an order in the department.
pub(crate) fn actor_for(user: &User, command: Option<&Command>) -> Actor {
    let login = user.login.as_str();
    match user.role {
        Role::Agent => Actor::agent(login),
        Role::Dispatcher => Actor::dispatcher(login),
        Role::Handler => Actor::handler(login, &handler_departments(user)),
        // Not order staff (the route table keeps them out); an agent's
        // rights would be the least.
        Role::Privacy => Actor::agent(login),
        Role::Supervisor | Role::Admin => match command {
            Some(Command::Urge { .. } | Command::DecideExtension { .. }) => {
                Actor::supervisor(login)
            }
            Some(Command::Redispatch { .. }) => Actor::dispatcher(login),
            _ => Actor::agent(login),
        },
    }
}

/// Whether `user` sees the citizens an order names: the hotline's staff,
/// the handling department's handlers and its supervisors.
fn sees_personal_fields(user: &User, order: &WorkOrder) -> bool {
    match user.role {
        Role::Handler => order
            .department()
            .is_some_and(|d| handler_departments(user).contains(&d.as_str())),
        // Least access: a department's supervisor sees the citizens of
        // their departments' orders and of those still at the hotline.
        Role::Supervisor => {
            let scope = crate::scope::Scope::of(user);
            scope.is_all()
                || order
                    .department()
                    .is_none_or(|d| scope.sees_department(d.as_str(), std::iter::empty()))
        }
        Role::Agent | Role::Dispatcher | Role::Admin => true,
        Role::Privacy => false,
    }
}

/// The audit context of `me` working on orders outside a call.
fn work_context(me: &Authed) -> AuditContext {
    let reason = match (&me.user.role, &me.user.department) {
        (Role::Handler, Some(d)) => format!("work order, as a handler of {d}"),
        (role, _) => format!("work order, as {}", role.as_str()),
    };
    AuditContext {
        actor: me.user.login.clone(),
        access: Access::Administration,
        reason,
        at: wall_clock(),
    }
}

/// An order as the console shows it.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct OrderAnswer {
    /// The folded order; its citizen fields are `null` when masked.
    #[schemars(with = "hotline_orders::WorkOrder")]
    order: serde_json::Value,
    reference_display: String,
    /// Events in its log.
    events: u64,
    /// The history, oldest first (only on `GET /api/orders/{reference}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<OrderEvent>>")]
    history: Option<Vec<serde_json::Value>>,
    personal_masked: bool,
    /// The commands this user may give now (`accept`, `reply`, ...).
    may: Vec<&'static str>,
}

/// Blanks the citizen ids an order names (its own and its reporters').
fn mask_citizens(value: &mut serde_json::Value) {
    if let Some(object) = value.as_object_mut() {
        for (key, field) in object.iter_mut() {
            if key == "citizen" {
                *field = serde_json::Value::Null;
            } else {
                mask_citizens(field);
            }
        }
    } else if let Some(items) = value.as_array_mut() {
        items.iter_mut().for_each(mask_citizens);
    }
}

/// Blanks the names of an order's files (a name may say whose it is):
/// the order's `attachments` and the history's `attachment_added` events.
fn mask_attachment_names(value: &mut serde_json::Value) {
    let blank = |item: &mut serde_json::Value| {
        if let Some(name) = item.get_mut("name") {
            *name = serde_json::Value::Null;
        }
    };
    if value["kind"] == "attachment_added" {
        blank(value);
    }
    if let Some(items) = value.get_mut("attachments").and_then(|a| a.as_array_mut()) {
        items.iter_mut().for_each(blank);
    }
}

fn answer(
    rules: &OrderRules,
    me: &User,
    stored: &StoredOrder,
    history: Option<&[OrderEvent]>,
    now: Timestamp,
) -> Result<OrderAnswer, ConsoleError> {
    let masked = !sees_personal_fields(me, &stored.order);
    let shown = |value: serde_json::Value| {
        let mut value = value;
        if masked {
            mask_citizens(&mut value);
            mask_attachment_names(&mut value);
        }
        value
    };
    let history = match history {
        Some(events) => Some(
            events
                .iter()
                .map(|e| serde_json::to_value(e).map(shown))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    Ok(OrderAnswer {
        order: shown(serde_json::to_value(&stored.order)?),
        reference_display: stored.order.reference().to_string(),
        events: stored.events,
        history,
        personal_masked: masked,
        may: may(rules, me, &stored.order, now),
    })
}

/// The commands, by the name the API takes, with a stand-in for each one's
/// fields: what `may` asks the core about.
fn command_templates(rules: &OrderRules, order: &WorkOrder) -> Vec<(&'static str, Command)> {
    let text = || "-".to_owned();
    let other_department = rules
        .catalogue
        .departments()
        .map(|d| d.code.clone())
        .find(|d| Some(d) != order.department());
    let mut templates = vec![
        ("dispatch", Command::Dispatch),
        ("resolve_on_call", Command::ResolveOnCall { reply: text() }),
        ("accept", Command::Accept),
        ("add_note", Command::AddNote { text: text() }),
        (
            "add_attachment",
            Command::AddAttachment {
                name: "file".into(),
                content_type: "text/plain".into(),
                bytes: 1,
                sha256: text(),
            },
        ),
        (
            "request_extension",
            Command::RequestExtension {
                working_days: 1,
                reason: text(),
            },
        ),
        (
            "decide_extension",
            Command::DecideExtension { approve: true },
        ),
        ("return", Command::Return { reason: text() }),
        ("urge", Command::Urge { note: text() }),
        ("reply", Command::Reply { text: text() }),
        ("close", Command::Close),
    ];
    if let Some(department) = other_department {
        templates.push(("redispatch", Command::Redispatch { department }));
    }
    if let Some(reporter) = order.reporters_to_call().first() {
        templates.push((
            "record_follow_up",
            Command::RecordFollowUp {
                reporter: reporter.order.clone(),
                score: 5,
            },
        ));
    }
    templates
}

fn may(rules: &OrderRules, me: &User, order: &WorkOrder, now: Timestamp) -> Vec<&'static str> {
    let mut may: Vec<&'static str> = command_templates(rules, order)
        .into_iter()
        .filter(|(_, command)| {
            let actor = actor_for(me, Some(command));
            order
                .decide(rules.rules(), now, &actor, command.clone())
                .is_ok()
        })
        .map(|(name, _)| name)
        .collect();
    // 并单 is not a command on one order (`POST .../merge {into}`); offered
    // when the core would let this user merge the order into another.
    if order.may_be_merged_by(&actor_for(me, None)).is_ok() {
        may.push("merge");
    }
    may
}

/// A command as the API takes it: `{"command": "accept"}`,
/// `{"command": "reply", "text": "..."}`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case")]
pub(crate) enum CommandBody {
    Dispatch,
    ResolveOnCall { reply: String },
    Accept,
    AddNote { text: String },
    RequestExtension { working_days: u32, reason: String },
    DecideExtension { approve: bool },
    Return { reason: String },
    Redispatch { department: DepartmentId },
    Urge { note: String },
    Reply { text: String },
    Close,
    RecordFollowUp { reporter: CaseRef, score: u8 },
}

impl From<CommandBody> for Command {
    fn from(body: CommandBody) -> Self {
        match body {
            CommandBody::Dispatch => Command::Dispatch,
            CommandBody::ResolveOnCall { reply } => Command::ResolveOnCall { reply },
            CommandBody::Accept => Command::Accept,
            CommandBody::AddNote { text } => Command::AddNote { text },
            CommandBody::RequestExtension {
                working_days,
                reason,
            } => Command::RequestExtension {
                working_days,
                reason,
            },
            CommandBody::DecideExtension { approve } => Command::DecideExtension { approve },
            CommandBody::Return { reason } => Command::Return { reason },
            CommandBody::Redispatch { department } => Command::Redispatch { department },
            CommandBody::Urge { note } => Command::Urge { note },
            CommandBody::Reply { text } => Command::Reply { text },
            CommandBody::Close => Command::Close,
            CommandBody::RecordFollowUp { reporter, score } => {
                Command::RecordFollowUp { reporter, score }
            }
        }
    }
}

/// What happens to a new order once it is taken down.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Then {
    /// Send it to its category's department (派单).
    #[default]
    Dispatch,
    /// Answered during the call (直接办结); needs `reply`.
    Resolve,
    /// Leave it at the hotline for a dispatcher.
    Keep,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewOrderBody {
    #[serde(default)]
    call: Option<CallId>,
    #[serde(default)]
    citizen: Option<CitizenId>,
    /// `call` when a call is named, `other` otherwise, unless given.
    #[serde(default)]
    channel: Option<Channel>,
    category: CategoryCode,
    address: String,
    district: String,
    street: String,
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
    summary: String,
    #[serde(default)]
    then: Then,
    /// What the citizen was told, for `then = resolve`.
    #[serde(default)]
    reply: Option<String>,
}

/// `POST /api/orders`: takes an order down (受理) and dispatches it,
/// resolves it on the call or leaves it at the hotline.
pub(crate) async fn create(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    JsonBody(body): JsonBody<NewOrderBody>,
) -> Result<Created<OrderAnswer>, Fails<(NotFound, Invalid, Forbidden, Conflict)>> {
    let rules = &*order_rules(&app)?;
    let coordinates = match (body.latitude, body.longitude) {
        (Some(latitude), Some(longitude)) => Some(Coordinates {
            latitude,
            longitude,
        }),
        (None, None) => None,
        _ => {
            return Err(ConsoleError::Invalid {
                field: "longitude",
                reason: "give both latitude and longitude, or neither".into(),
            }
            .into())
        }
    };
    let follow_on = match (body.then, body.reply) {
        (Then::Dispatch, _) => Some(Command::Dispatch),
        (Then::Keep, _) => None,
        (Then::Resolve, Some(reply)) => Some(Command::ResolveOnCall { reply }),
        (Then::Resolve, None) => {
            return Err(ConsoleError::Invalid {
                field: "reply",
                reason: "resolving on the call needs the reply the citizen was told".into(),
            }
            .into())
        }
    };
    let via = record_grant(&app, &me, body.call, body.citizen)?;
    let ctx = match &via {
        Some(via) => via.audit_context(&me.user.login, wall_clock()),
        None => work_context(&me),
    };
    let now = wall_clock();
    let actor = actor_for(&me.user, None);
    let channel = body.channel.unwrap_or(if body.call.is_some() {
        Channel::Call
    } else {
        Channel::Other
    });
    // The order exists whatever its next step says: a refused dispatch
    // leaves it at the hotline, and the answer says so.
    let then = follow_on.map(|command| (actor_for(&me.user, Some(&command)), command));
    let taken = app
        .store
        .take_down_work_order(
            &ctx,
            rules.rules(),
            now,
            &actor,
            NewWorkOrder {
                call: body.call,
                channel,
                category: body.category,
                citizen: body.citizen,
                location: Location {
                    address: body.address,
                    district: body.district,
                    street: body.street,
                    coordinates,
                },
                summary: body.summary,
            },
            then,
        )
        .await?;
    let reference = taken.order.order.reference().clone();
    if let Some(e) = &taken.then_refused {
        tracing::warn!(%reference, error = %e, "an order was taken down but not sent on");
    }
    app.access().grant_case(
        &me.user.login,
        reference.clone(),
        via.unwrap_or(GrantVia::Console),
        Instant::now(),
    );
    if let Some(call) = body.call {
        app.tell(AgentRequest::CaseLinked {
            agent: me.agent(),
            call,
            case_ref: reference.clone(),
        });
    }
    Ok(Created(answer(rules, &me.user, &taken.order, None, now)?))
}

/// `GET /api/orders/{reference}`: the order, its history and what this
/// user may do with it (audited).
pub(crate) async fn get(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(reference): PathArg<CaseRef>,
) -> Result<Json<OrderAnswer>, Fails<(NotFound, Conflict)>> {
    let rules = &*order_rules(&app)?;
    let ctx = work_context(&me);
    let not_found = || ConsoleError::NotFound {
        what: "work order",
        key: reference.to_string(),
    };
    let history = app
        .store
        .work_order_events(&ctx, &reference)
        .await?
        .ok_or_else(not_found)?;
    let order = WorkOrder::from_events(&history).map_err(hotline_store::StoreError::Order)?;
    let stored = StoredOrder {
        events: history.len() as u64,
        order,
    };
    Ok(Json(answer(
        rules,
        &me.user,
        &stored,
        Some(&history),
        wall_clock(),
    )?))
}

/// `POST /api/orders/{reference}/commands` with a [`CommandBody`].
pub(crate) async fn command(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(reference): PathArg<CaseRef>,
    JsonBody(body): JsonBody<CommandBody>,
) -> Result<Json<OrderAnswer>, Fails<(NotFound, Invalid, Conflict)>> {
    let rules = &*order_rules(&app)?;
    let command = Command::from(body);
    let actor = actor_for(&me.user, Some(&command));
    let now = wall_clock();
    let stored = app
        .store
        .act_on_order(
            &work_context(&me),
            rules.rules(),
            now,
            &actor,
            &reference,
            command,
        )
        .await?;
    Ok(Json(answer(rules, &me.user, &stored, None, now)?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttachQuery {
    /// The file's name as the user chose it (`photo.jpg`), without folders,
    /// at most 120 characters.
    name: String,
}

/// `POST /api/orders/{reference}/attachments?name=photo.jpg`: the body is
/// the file, its `Content-Type` the file's type (one of
/// [`hotline_store::ATTACHMENT_TYPES`], at most
/// [`hotline_store::MAX_ATTACHMENT_BYTES`]). Only the handling
/// department's handlers add files (the core decides, as for a note).
pub(crate) async fn attach(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(reference): PathArg<CaseRef>,
    QueryArgs(query): QueryArgs<AttachQuery>,
    headers: HeaderMap,
    Upload(body): Upload,
) -> Result<Created<OrderAnswer>, Fails<(NotFound, Invalid, Conflict)>> {
    let rules = &*order_rules(&app)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let actor = actor_for(&me.user, None);
    let now = wall_clock();
    let stored = app
        .store
        .attach_to_order(
            &work_context(&me),
            rules.rules(),
            now,
            &actor,
            &reference,
            &query.name,
            content_type,
            &body,
        )
        .await?;
    Ok(Created(answer(rules, &me.user, &stored, None, now)?))
}

/// `GET /api/orders/{reference}/attachments/{id}`: the file, for the
/// users who see the order's citizen (the hotline's staff and the handling
/// department's handlers); audited. Served as a download with `nosniff`,
/// never shown inline, so a file cannot run in the console's origin.
pub(crate) async fn attachment(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg((reference, id)): PathArg<(CaseRef, u32)>,
) -> Result<FileDownload, Fails<(Forbidden, NotFound)>> {
    let not_found = || ConsoleError::NotFound {
        what: "attachment",
        key: format!("{reference}/{id}"),
    };
    let read = app
        .store
        .order_attachment(&work_context(&me), &reference, id, |order| {
            sees_personal_fields(&me.user, order)
        })
        .await?;
    let file = match read {
        AttachmentRead::Found(file) => file,
        AttachmentRead::NotFound => return Err(not_found().into()),
        AttachmentRead::Refused => {
            return Err(ConsoleError::Forbidden {
                reason: "the files of an order are for the hotline and the handling department",
            }
            .into())
        }
    };
    let disposition = format!(
        "attachment; filename=\"attachment-{id}\"; filename*=UTF-8''{}",
        percent_encode(&file.attachment.name)
    );
    let headers = [
        (header::CONTENT_TYPE, file.attachment.content_type.clone()),
        (header::CONTENT_DISPOSITION, disposition),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox".to_owned(),
        ),
    ];
    Ok(FileDownload(headers, file.data))
}

/// RFC 5987 `value-chars`: every byte but the unreserved ones as `%XX`.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MergeBody {
    /// The master order this one duplicates.
    into: CaseRef,
}

/// `POST /api/orders/{reference}/merge` `{into}` (并单): this order is a
/// duplicate of `into`; its reporter is followed up with the master's.
pub(crate) async fn merge(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    PathArg(reference): PathArg<CaseRef>,
    JsonBody(body): JsonBody<MergeBody>,
) -> Result<Json<OrderAnswer>, Fails<(NotFound, Invalid, Conflict)>> {
    let rules = &*order_rules(&app)?;
    let now = wall_clock();
    let merged = app
        .store
        .merge_orders(
            &work_context(&me),
            now,
            &actor_for(&me.user, None),
            &reference,
            &body.into,
        )
        .await?;
    Ok(Json(answer(rules, &me.user, &merged.master, None, now)?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InboxArgs {
    /// Defaults to a handler's own department.
    #[serde(default)]
    department: Option<DepartmentId>,
    #[serde(default)]
    class: Option<InboxStatus>,
    /// The `next` cursor of the previous page.
    #[serde(default)]
    after: Option<String>,
    /// At most this many lines.
    #[serde(default)]
    #[schemars(range(min = 1, max = 500))]
    limit: Option<u32>,
}

/// The department a list is about: the one asked for (every department
/// reads every department's lists), else a handler's own.
fn listed_department(
    rules: &OrderRules,
    me: &Authed,
    asked: Option<DepartmentId>,
) -> Result<DepartmentId, ConsoleError> {
    let department = asked
        .or_else(|| me.user.departments().next().map(DepartmentId::from))
        .ok_or(ConsoleError::Invalid {
            field: "department",
            reason: "name the department whose orders to list".into(),
        })?;
    check_department(rules, &department)?;
    Ok(department)
}

/// A department of the catalogue, or 422 naming it.
fn check_department(rules: &OrderRules, department: &DepartmentId) -> Result<(), ConsoleError> {
    match rules.catalogue.department(department) {
        Some(_) => Ok(()),
        None => Err(ConsoleError::Invalid {
            field: "department",
            reason: format!("{department} is not a department of the catalogue"),
        }),
    }
}

const DEFAULT_LIMIT: u32 = 50;

/// `GET /api/orders/inbox?department=&class=&after=&limit=`: a page of a
/// department's inbox, the earliest deadline first.
pub(crate) async fn inbox(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<InboxArgs>,
) -> Result<Json<InboxPage>, Fails<(NotFound, Invalid)>> {
    let rules = &*order_rules(&app)?;
    let department = listed_department(rules, &me, args.department)?;
    let mut query = InboxQuery::new(
        department,
        wall_clock(),
        &rules.inbox(),
        args.limit.unwrap_or(DEFAULT_LIMIT),
    )
    .map_err(|e| hotline_store::StoreError::Order(e.into()))?;
    query.class = args.class;
    query.after = args
        .after
        .as_deref()
        .map(str::parse::<InboxCursor>)
        .transpose()?;
    Ok(Json(app.store.department_inbox(&query).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DepartmentArgs {
    /// A department code of the catalogue; defaults to a handler's own.
    #[serde(default)]
    department: Option<DepartmentId>,
    /// At most this many lines.
    #[serde(default)]
    #[schemars(range(min = 1, max = 500))]
    limit: Option<u32>,
}

/// `GET /api/orders/counts?department=`: how many orders of each class.
pub(crate) async fn counts(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<DepartmentArgs>,
) -> Result<Json<InboxCounts>, Fails<(NotFound, Invalid)>> {
    let rules = &*order_rules(&app)?;
    let department = listed_department(rules, &me, args.department)?;
    let now = wall_clock();
    let due_soon_until = rules
        .inbox()
        .due_soon_until(now)
        .map_err(|e| hotline_store::StoreError::Order(e.into()))?;
    Ok(Json(
        app.store
            .department_inbox_counts(&department, now, due_soon_until)
            .await?,
    ))
}

/// `GET /api/orders/overdue?department=&limit=`: orders past their
/// deadline, one department's or (without `department`) every one's.
pub(crate) async fn overdue(
    State(app): State<App>,
    Extension(_me): Extension<Authed>,
    QueryArgs(args): QueryArgs<DepartmentArgs>,
) -> Result<Json<Vec<OrderLine>>, Fails<(NotFound, Invalid)>> {
    let rules = &*order_rules(&app)?;
    if let Some(d) = &args.department {
        check_department(rules, d)?;
    }
    Ok(Json(
        app.store
            .overdue_orders(
                args.department.as_ref(),
                wall_clock(),
                args.limit.unwrap_or(MAX_ORDERS_LISTED),
            )
            .await?,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LimitArgs {
    /// At most this many lines.
    #[serde(default)]
    #[schemars(range(min = 1, max = 500))]
    limit: Option<u32>,
}

/// `GET /api/orders/awaiting_dispatch`: new and returned orders waiting at
/// the hotline, the oldest first (the dispatchers' list).
pub(crate) async fn awaiting_dispatch(
    State(app): State<App>,
    Extension(_me): Extension<Authed>,
    QueryArgs(args): QueryArgs<LimitArgs>,
) -> Result<Json<Vec<OrderLine>>, Fails<(NotFound, Invalid)>> {
    order_rules(&app)?;
    Ok(Json(
        app.store
            .orders_awaiting_dispatch(args.limit.unwrap_or(MAX_ORDERS_LISTED))
            .await?,
    ))
}

/// The follow-up (回访) lists.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct FollowUpsAnswer {
    /// Reporters the hotline does not call again: an agent calls them
    /// (its calls reached nobody, the number is refused, no score given).
    for_agents: Vec<FollowUpDue>,
    /// Reporters whose follow-up call is due now (the hotline places them
    /// when it has a trunk; otherwise agents do).
    due: Vec<FollowUpDue>,
}

/// `GET /api/orders/follow_ups`: the agents' follow-up list and the calls
/// due now, one line per reporter.
pub(crate) async fn follow_ups(
    State(app): State<App>,
    Extension(_me): Extension<Authed>,
    QueryArgs(args): QueryArgs<LimitArgs>,
) -> Result<Json<FollowUpsAnswer>, Fails<(NotFound, Invalid)>> {
    order_rules(&app)?;
    let limit = args.limit.unwrap_or(MAX_ORDERS_LISTED);
    Ok(Json(FollowUpsAnswer {
        for_agents: app.store.follow_up_list(limit).await?,
        due: app.store.follow_ups_due(wall_clock(), limit).await?,
    }))
}

/// `GET /api/orders/mine`: the orders this user took down, the latest
/// first (the agent's own work between calls).
pub(crate) async fn mine(
    State(app): State<App>,
    Extension(me): Extension<Authed>,
    QueryArgs(args): QueryArgs<LimitArgs>,
) -> Result<Json<Vec<OrderLine>>, Fails<(NotFound, Invalid)>> {
    let rules = &*order_rules(&app)?;
    let now = wall_clock();
    let due_soon_until = rules
        .inbox()
        .due_soon_until(now)
        .map_err(|e| hotline_store::StoreError::Order(e.into()))?;
    Ok(Json(
        app.store
            .orders_taken_by(
                &me.user.login,
                now,
                due_soon_until,
                args.limit.unwrap_or(DEFAULT_LIMIT),
            )
            .await?,
    ))
}

/// The catalogue as the pages need it.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct CatalogueAnswer {
    categories: Vec<CategoryAnswer>,
    departments: Vec<NamedAnswer>,
    districts: Vec<DistrictAnswer>,
    due_soon_working_days: u32,
}

#[derive(Debug, Serialize, JsonSchema)]
struct CategoryAnswer {
    code: String,
    name_zh: String,
    name_en: String,
    department: String,
    deadline_working_days: u32,
    follow_up: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
struct NamedAnswer {
    code: String,
    name_zh: String,
    name_en: String,
}

#[derive(Debug, Serialize, JsonSchema)]
struct DistrictAnswer {
    name: String,
    streets: Vec<String>,
}

/// `GET /api/orders/catalogue`: categories, departments, districts.
pub(crate) async fn catalogue(
    State(app): State<App>,
) -> Result<Json<CatalogueAnswer>, Fails<(NotFound,)>> {
    let rules = &*order_rules(&app)?;
    let catalogue = &rules.catalogue;
    Ok(Json(CatalogueAnswer {
        categories: catalogue
            .categories()
            .map(|c| CategoryAnswer {
                code: c.code.to_string(),
                name_zh: c.name_zh.clone(),
                name_en: c.name_en.clone(),
                department: c.department.to_string(),
                deadline_working_days: c.deadline_working_days,
                follow_up: c.follow_up,
            })
            .collect(),
        departments: catalogue
            .departments()
            .map(|d| NamedAnswer {
                code: d.code.to_string(),
                name_zh: d.name_zh.clone(),
                name_en: d.name_en.clone(),
            })
            .collect(),
        districts: catalogue
            .districts()
            .map(|name| DistrictAnswer {
                name: name.to_owned(),
                streets: catalogue.streets(name).unwrap_or_default().to_vec(),
            })
            .collect(),
        due_soon_working_days: rules.due_soon_working_days,
    }))
}
