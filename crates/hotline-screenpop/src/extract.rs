//! Request extractors whose rejections are [`ConsoleError`]s, so every
//! client mistake is answered in the API's JSON error shape; and the
//! client's address for the login rate limit. Each also says what it takes
//! in the OpenAPI document ([`OperationInput`]): the body, query or path
//! parameters with their schemas, and the 400 it answers when they do not
//! parse.

use std::net::{IpAddr, SocketAddr};

use aide::generate::GenContext;
use aide::openapi::{Operation, Parameter, ParameterData, ParameterSchemaOrContent, RequestBody};
use aide::operation::{add_parameters, parameters_from_schema, set_body, ParamLocation};
use aide::OperationInput;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::Json;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::error::ConsoleError;
use crate::openapi::{described, media};
use crate::App;

type Answers = Vec<(Option<u16>, aide::openapi::Response)>;

/// A JSON body.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Json::<T>::from_request(req, state)
            .await
            .map(|Json(v)| JsonBody(v))
            .map_err(|r| ConsoleError::BadRequest {
                detail: r.body_text(),
            })
    }
}

impl<T: JsonSchema> OperationInput for JsonBody<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<T>();
        set_body(
            ctx,
            operation,
            RequestBody {
                description: None,
                content: IndexMap::from_iter([("application/json".into(), media(schema))]),
                required: true,
                extensions: IndexMap::default(),
            },
        );
    }

    fn inferred_early_responses(_: &mut GenContext, _: &mut Operation) -> Answers {
        vec![(
            Some(400),
            described("The body is not JSON of the documented shape (malformed, a field missing, of the wrong type or unknown, or no application/json Content-Type); the error says where."),
        )]
    }
}

/// Query string arguments.
#[derive(Debug)]
pub(crate) struct QueryArgs<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryArgs<T> {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| QueryArgs(v))
            .map_err(|r| ConsoleError::BadRequest {
                detail: r.body_text(),
            })
    }
}

impl<T: JsonSchema> OperationInput for QueryArgs<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<T>();
        let params = parameters_from_schema(ctx, schema, ParamLocation::Query);
        add_parameters(ctx, operation, params);
    }

    fn inferred_early_responses(_: &mut GenContext, _: &mut Operation) -> Answers {
        vec![(
            Some(400),
            described("A query parameter does not parse or is not one of those documented."),
        )]
    }
}

/// A path parameter (call id, citizen id, case reference).
#[derive(Debug)]
pub(crate) struct PathArg<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathArg<T> {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(v)| PathArg(v))
            .map_err(|r| ConsoleError::BadRequest {
                detail: r.body_text(),
            })
    }
}

/// The path's values in order, named by `openapi` from the route's path;
/// a tuple is one value per segment.
impl<T: JsonSchema> OperationInput for PathArg<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<T>();
        let resolved = ctx.resolve_schema(&schema).clone();
        let values: Vec<schemars::Schema> = match resolved.get("prefixItems") {
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|item| schemars::Schema::try_from(item.clone()).ok())
                .collect(),
            _ => vec![schema],
        };
        let params = values
            .into_iter()
            .enumerate()
            .map(|(i, schema)| Parameter::Path {
                parameter_data: ParameterData {
                    name: format!("{{{i}}}"),
                    description: None,
                    required: true,
                    format: ParameterSchemaOrContent::Schema(aide::openapi::SchemaObject {
                        json_schema: schema,
                        example: None,
                        external_docs: None,
                    }),
                    extensions: IndexMap::default(),
                    deprecated: None,
                    example: None,
                    examples: IndexMap::default(),
                    explode: None,
                },
                style: aide::openapi::PathStyle::Simple,
            });
        add_parameters(ctx, operation, params);
    }

    fn inferred_early_responses(_: &mut GenContext, _: &mut Operation) -> Answers {
        vec![(
            Some(400),
            described("A path segment is not of the documented form."),
        )]
    }
}

/// An uploaded file: the body is the file, its `Content-Type` the file's
/// type (one of [`hotline_store::ATTACHMENT_TYPES`]). A body over the
/// route's limit is a 422 naming the attachment, as any other bad file.
#[derive(Debug)]
pub(crate) struct Upload(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(req, state)
            .await
            .map(Upload)
            .map_err(|r| ConsoleError::Invalid {
                field: "attachment",
                reason: r.body_text(),
            })
    }
}

impl OperationInput for Upload {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let file = || media(schemars::json_schema!({ "type": "string", "format": "binary" }));
        set_body(
            ctx,
            operation,
            RequestBody {
                description: Some(format!(
                    "The file itself, at most {} bytes.",
                    hotline_store::MAX_ATTACHMENT_BYTES
                )),
                content: hotline_store::ATTACHMENT_TYPES
                    .iter()
                    .map(|t| ((*t).to_owned(), file()))
                    .collect(),
                required: true,
                extensions: IndexMap::default(),
            },
        );
    }
}

/// The client's address: the TCP peer, or, when the peer is one of
/// `ConsoleConfig::trusted_proxies`, the address that proxy saw
/// (`X-Forwarded-For`). `None` when the server runs without connect info.
#[derive(Debug)]
pub(crate) struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<App> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Ok(ClientIp(peer.map(|peer| {
            client_behind_proxies(peer, &parts.headers, &app.config().trusted_proxies)
        })))
    }
}

impl OperationInput for ClientIp {}

/// A WebSocket upgrade; a request that is not one gets the API's 400.
#[derive(Debug)]
pub(crate) struct SocketUpgrade(pub axum::extract::ws::WebSocketUpgrade);

impl<S: Send + Sync> FromRequestParts<S> for SocketUpgrade {
    type Rejection = ConsoleError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::ws::WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map(SocketUpgrade)
            .map_err(|r| ConsoleError::BadRequest {
                detail: format!("this is a WebSocket: {}", r.body_text()),
            })
    }
}

impl OperationInput for SocketUpgrade {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        axum::extract::ws::WebSocketUpgrade::operation_input(ctx, operation);
    }

    fn inferred_early_responses(_: &mut GenContext, _: &mut Operation) -> Answers {
        vec![(
            Some(400),
            described("Not a WebSocket upgrade (GET with Connection: upgrade, Upgrade: websocket and the WebSocket headers)."),
        )]
    }
}

/// The first address, from the right, of the chain peer ← X-Forwarded-For
/// that is not a trusted proxy. Only a trusted peer's header is read, and
/// only the hops trusted proxies appended count: anything left of the
/// first untrusted hop was written by the client and may be forged. A hop
/// that is not an address ends the walk at the proxy that passed it on.
pub(crate) fn client_behind_proxies(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> IpAddr {
    let trusted_ip = |ip: &IpAddr| trusted.contains(&ip.to_canonical());
    if !trusted_ip(&peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip.to_canonical();
                if !trusted_ip(&client) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", v.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_a_trusted_proxy_is_believed() {
        let proxy = [ip("10.0.0.2")];
        let headers = forwarded(&["198.51.100.7"]);
        // Straight from the client: its header is ignored.
        assert_eq!(
            client_behind_proxies(ip("203.0.113.9"), &headers, &proxy),
            ip("203.0.113.9")
        );
        // Through the proxy: the address it saw.
        assert_eq!(
            client_behind_proxies(ip("10.0.0.2"), &headers, &proxy),
            ip("198.51.100.7")
        );
        // No proxies configured (the default): never.
        assert_eq!(
            client_behind_proxies(ip("10.0.0.2"), &headers, &[]),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn a_forged_hop_left_of_the_client_does_not_count() {
        let proxies = [ip("10.0.0.2"), ip("10.0.0.3")];
        // The client sent "1.2.3.4" itself; proxy .3 appended the client's
        // real address, proxy .2 appended .3's.
        let headers = forwarded(&["1.2.3.4, 198.51.100.7", "10.0.0.3"]);
        assert_eq!(
            client_behind_proxies(ip("10.0.0.2"), &headers, &proxies),
            ip("198.51.100.7")
        );
        // Garbage in a hop stops at the proxy that passed it on.
        let headers = forwarded(&["not-an-address"]);
        assert_eq!(
            client_behind_proxies(ip("10.0.0.2"), &headers, &proxies),
            ip("10.0.0.2")
        );
        // Only proxies in the chain: the leftmost.
        let headers = forwarded(&["10.0.0.3"]);
        assert_eq!(
            client_behind_proxies(ip("10.0.0.2"), &headers, &proxies),
            ip("10.0.0.3")
        );
        // An IPv4-mapped IPv6 peer is the IPv4 proxy.
        let headers = forwarded(&["198.51.100.7"]);
        assert_eq!(
            client_behind_proxies(ip("::ffff:10.0.0.2"), &headers, &proxies),
            ip("198.51.100.7")
        );
    }
}
