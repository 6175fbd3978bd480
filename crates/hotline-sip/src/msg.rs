//! The fields every SIP message must carry, checked once, and builders for the
//! messages the endpoint sends.
//!
//! The essentials are read from rsip's untyped header values with small,
//! bounded scanners rather than rsip's typed parsers: those fail on some
//! valid multi-value lines (ARCHITECTURE.md), and the few parameters needed
//! here (tag, branch, rport) have a simple grammar.

use std::net::SocketAddr;

use rsip::headers::UntypedHeader;
use rsip::message::HasHeaders;
use rsip::{Header, Method, StatusCode};

/// RFC 3261 §8.1.1.7: branches starting with this cookie are unique per transaction.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// What is wrong with a request that parsed, and which status says so.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidMessage {
    #[error("missing mandatory header {header}")]
    MissingHeader { header: &'static str },
    #[error("CSeq {value:?} is not a number and a method")]
    BadCSeq { value: String },
    #[error("CSeq method {cseq} does not match the request method {method}")]
    CSeqMethodMismatch { cseq: String, method: String },
    #[error("Max-Forwards {value:?} is not a number")]
    BadMaxForwards { value: String },
    #[error("Max-Forwards reached zero")]
    TooManyHops,
}

impl InvalidMessage {
    /// The response that tells the sender what was wrong.
    pub fn status(&self) -> StatusCode {
        match self {
            InvalidMessage::TooManyHops => StatusCode::TooManyHops,
            _ => StatusCode::BadRequest,
        }
    }
}

/// The transaction- and dialog-identifying fields of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Essentials {
    pub call_id: String,
    pub from_tag: Option<String>,
    pub to_tag: Option<String>,
    pub cseq: u32,
    pub cseq_method: Method,
    /// The top Via's branch (empty if absent: an RFC 2543 peer).
    pub branch: String,
    /// The top Via's sent-by (host[:port]), as written.
    pub sent_by: String,
}

fn header_value<'a>(headers: &'a rsip::Headers, name: &'static str) -> Option<&'a str> {
    headers.iter().find_map(|h| match (h, name) {
        (Header::CallId(v), "Call-ID") => Some(v.value()),
        (Header::From(v), "From") => Some(v.value()),
        (Header::To(v), "To") => Some(v.value()),
        (Header::CSeq(v), "CSeq") => Some(v.value()),
        (Header::Via(v), "Via") => Some(v.value()),
        (Header::MaxForwards(v), "Max-Forwards") => Some(v.value()),
        (Header::Contact(v), "Contact") => Some(v.value()),
        (Header::ContentType(v), "Content-Type") => Some(v.value()),
        (Header::ContentEncoding(v), "Content-Encoding") => Some(v.value()),
        (Header::Expires(v), "Expires") => Some(v.value()),
        (Header::Authorization(v), "Authorization") => Some(v.value()),
        (Header::UserAgent(v), "User-Agent") => Some(v.value()),
        (Header::Other(key, v), _) if key.eq_ignore_ascii_case(name) => Some(v.as_str()),
        _ => None,
    })
}

/// The first value of a header by name (any header, typed by rsip or not).
pub fn first_header<'a>(message: &'a impl HasHeaders, name: &'static str) -> Option<&'a str> {
    header_value(message.headers(), name)
}

/// The value of parameter `name` in a header's parameter list (after the URI).
///
/// `<sip:a@b;transport=tcp>;tag=x` gives `x` for `tag`: parameters inside the
/// angle brackets belong to the URI and are skipped.
pub fn header_param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    let params = match value.rfind('>') {
        Some(close) => &value[close + 1..],
        None => value.split_once(';').map_or("", |(_, rest)| rest),
    };
    params
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .find_map(|p| {
            let (key, val) = p.split_once('=').unwrap_or((p, ""));
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| val.trim().trim_matches('"'))
        })
}

/// The first of several comma-separated header values (commas inside
/// quotes or angle brackets do not split).
pub fn first_of_list(value: &str) -> &str {
    let mut quoted = false;
    let mut angle = false;
    for (i, c) in value.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => return value[..i].trim(),
            _ => {}
        }
    }
    value.trim()
}

/// The user part of a SIP URI inside a header or request line value.
pub fn uri_user(value: &str) -> Option<&str> {
    let start = value
        .find("sip:")
        .map(|i| i + 4)
        .or_else(|| value.find("sips:").map(|i| i + 5))?;
    let rest = &value[start..];
    let at = rest.find('@')?;
    let user = &rest[..at];
    // A password (user:pass@) is not part of the user name.
    let user = user.split(':').next().unwrap_or(user);
    (!user.is_empty() && !user.contains(['>', ';', ' '])).then_some(user)
}

/// Every Record-Route entry of a message, in order: each header, and each
/// comma-separated value within one (§20.30), as written.
pub fn record_routes(message: &impl HasHeaders) -> Vec<String> {
    let mut routes = Vec::new();
    for header in message.headers().iter() {
        let value = match header {
            Header::RecordRoute(v) => v.value(),
            Header::Other(name, v) if name.eq_ignore_ascii_case("Record-Route") => v.as_str(),
            _ => continue,
        };
        let mut rest = value.trim();
        while !rest.is_empty() {
            let first = first_of_list(rest);
            if !first.is_empty() {
                routes.push(first.to_owned());
            }
            let consumed = rest.find(first).map_or(rest.len(), |i| i + first.len());
            rest = rest[consumed..]
                .trim_start()
                .trim_start_matches(',')
                .trim_start();
        }
    }
    routes
}

/// The URI inside `"Name" <uri>;params` or a bare `uri;params`.
pub fn header_uri(value: &str) -> &str {
    if let (Some(open), Some(close)) = (value.find('<'), value.find('>')) {
        if open < close {
            return &value[open + 1..close];
        }
    }
    value.split(';').next().unwrap_or(value).trim()
}

impl Essentials {
    /// Reads and checks the mandatory fields of a message (RFC 3261 §8.1.1).
    pub fn of(message: &rsip::SipMessage) -> Result<Self, InvalidMessage> {
        let headers = message.headers();
        let get = |name: &'static str| {
            header_value(headers, name).ok_or(InvalidMessage::MissingHeader { header: name })
        };
        let call_id = get("Call-ID")?.trim().to_owned();
        if call_id.is_empty() {
            return Err(InvalidMessage::MissingHeader { header: "Call-ID" });
        }
        let from = get("From")?;
        let to = get("To")?;
        let via = first_of_list(get("Via")?);
        let cseq_raw = get("CSeq")?;
        let bad_cseq = || InvalidMessage::BadCSeq {
            value: cseq_raw.chars().take(40).collect(),
        };
        let (number, method) = cseq_raw
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(bad_cseq)?;
        let cseq: u32 = number.parse().map_err(|_| bad_cseq())?;
        let cseq_method: Method = method.trim().parse().map_err(|_| bad_cseq())?;
        // "SIP/2.0/UDP host:port;branch=..." → sent-by is the second token.
        let sent_by = via
            .split_once(char::is_whitespace)
            .map(|(_, rest)| rest.trim_start())
            .and_then(|rest| rest.split(';').next())
            .unwrap_or_default()
            .trim()
            .to_owned();
        let branch = via
            .split(';')
            .skip(1)
            .find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("branch")
                    .then(|| v.trim().to_owned())
            })
            .unwrap_or_default();
        if let rsip::SipMessage::Request(request) = message {
            if request.method != cseq_method {
                return Err(InvalidMessage::CSeqMethodMismatch {
                    cseq: cseq_method.to_string(),
                    method: request.method.to_string(),
                });
            }
            if let Some(max) = header_value(headers, "Max-Forwards") {
                let hops: u32 = max
                    .trim()
                    .parse()
                    .map_err(|_| InvalidMessage::BadMaxForwards {
                        value: max.chars().take(20).collect(),
                    })?;
                if hops == 0 && request.method != Method::Options {
                    return Err(InvalidMessage::TooManyHops);
                }
            }
        }
        Ok(Self {
            call_id,
            from_tag: header_param(from, "tag").map(str::to_owned),
            to_tag: header_param(to, "tag").map(str::to_owned),
            cseq,
            cseq_method,
            branch,
            sent_by,
        })
    }
}

/// A random token for tags, branches and Call-IDs.
pub fn random_token() -> String {
    use rand::Rng;
    let value: u64 = rand::thread_rng().gen();
    format!("{value:016x}")
}

/// Builds a response to `request` (§8.2.6): Via, From, To, Call-ID and CSeq
/// copied, our tag added to To when there is none, and `rport`/`received`
/// filled in on the top Via (RFC 3581) for the source the request came from.
pub fn response_to(
    request: &rsip::Request,
    status: StatusCode,
    to_tag: Option<&str>,
    source: SocketAddr,
) -> rsip::Response {
    let mut headers = rsip::Headers::default();
    let mut top_via_done = false;
    for header in request.headers.iter() {
        match header {
            Header::Via(via) if !top_via_done => {
                top_via_done = true;
                headers.push(Header::Via(fill_rport(via.value(), source).into()));
            }
            Header::Via(_) | Header::From(_) | Header::CallId(_) | Header::CSeq(_) => {
                headers.push(header.clone())
            }
            Header::To(to) => {
                let value = to.value();
                match to_tag {
                    Some(tag) if header_param(value, "tag").is_none() => {
                        headers.push(Header::To(format!("{value};tag={tag}").into()))
                    }
                    _ => headers.push(header.clone()),
                }
            }
            _ => {}
        }
    }
    headers.push(Header::Other("Server".into(), "Hotline".into()));
    rsip::Response {
        status_code: status,
        version: rsip::Version::V2,
        headers,
        body: Vec::new(),
    }
}

/// Fills `rport` and `received` in a Via value when the sender asked (RFC 3581).
fn fill_rport(via: &str, source: SocketAddr) -> String {
    let first = first_of_list(via);
    let rest = &via[first.len()..];
    let mut out = String::with_capacity(via.len() + 32);
    let mut asked = false;
    for (i, part) in first.split(';').enumerate() {
        if i > 0 {
            out.push(';');
        }
        let key = part.split('=').next().unwrap_or_default().trim();
        if i > 0 && key.eq_ignore_ascii_case("rport") {
            asked = true;
            out.push_str(&format!("rport={}", source.port()));
        } else if i > 0 && key.eq_ignore_ascii_case("received") {
            // Replaced below.
            out.pop();
        } else {
            out.push_str(part);
        }
    }
    if asked {
        out.push_str(&format!(";received={}", source.ip()));
    }
    out.push_str(rest);
    out
}

/// Parses a SIP URI, IPv6 literal hosts included.
///
/// rsip 0.4's host tokenizer splits `host:port` at the first `:`, so
/// `sip:12345@[2001:db8::1]:5060` does not parse. Such URIs are built here
/// by hand, with the bracketed literal kept as rsip's `Domain` host, which
/// rsip prints back unchanged (`[2001:db8::1]`); URI parameters are kept.
///
/// Only `sip:` and `sips:` URIs without whitespace are URIs here: rsip
/// also reads text such as `si :agent@host` (scheme "si "), which it then
/// prints into a Request-Line that no parser reads back.
pub fn parse_uri(text: &str) -> Option<rsip::Uri> {
    let text = text.trim();
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    if !text.contains('[') {
        return rsip::Uri::try_from(text)
            .ok()
            .filter(|uri| matches!(uri.scheme, Some(rsip::Scheme::Sip | rsip::Scheme::Sips)));
    }
    let (scheme, rest) = text.split_once(':')?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "sip" => rsip::Scheme::Sip,
        "sips" => rsip::Scheme::Sips,
        _ => return None,
    };
    let (user, host_part) = match rest.rsplit_once('@') {
        Some((user, host)) => (Some(user), host),
        None => (None, rest),
    };
    let close = host_part.find(']')?;
    let literal = host_part.strip_prefix('[')?.get(..close - 1)?;
    literal.parse::<std::net::Ipv6Addr>().ok()?;
    let after = &host_part[close + 1..];
    let (port, params) = match after.strip_prefix(':') {
        Some(p) => {
            let end = p.find(';').unwrap_or(p.len());
            (Some(p[..end].parse::<u16>().ok()?), &p[end..])
        }
        None => (None, after),
    };
    let params = params
        .split(';')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').map_or((p, None), |(k, v)| (k, Some(v)));
            rsip::Param::Other(k.into(), v.map(Into::into))
        })
        .collect();
    Some(rsip::Uri {
        scheme: Some(scheme),
        auth: user.map(|u| rsip::Auth {
            user: u.split(':').next().unwrap_or(u).into(),
            password: None,
        }),
        host_with_port: rsip::HostWithPort {
            host: rsip::Host::Domain(format!("[{literal}]").into()),
            port: port.map(Into::into),
        },
        params,
        headers: Vec::new(),
    })
}

/// A header by its own name, for headers rsip leaves untyped.
pub fn other(name: &str, value: impl Into<String>) -> Header {
    Header::Other(name.to_owned(), value.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_skip_the_uri() {
        let v = "\"Bob\" <sip:bob@h;tag=uri>;tag=real;x=1";
        assert_eq!(header_param(v, "tag"), Some("real"));
        assert_eq!(header_param("sip:bob@h;tag=t", "tag"), Some("t"));
        assert_eq!(header_param("<sip:bob@h>", "tag"), None);
    }

    #[test]
    fn first_of_list_respects_quotes_and_brackets() {
        assert_eq!(
            first_of_list("\"a, b\" <sip:x@y>, <sip:z@w>"),
            "\"a, b\" <sip:x@y>"
        );
        assert_eq!(
            first_of_list("SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b"),
            "SIP/2.0/UDP a;branch=z9hG4bK1"
        );
    }

    #[test]
    fn users_from_uris() {
        assert_eq!(uri_user("<sip:12345@127.0.0.1:5060>"), Some("12345"));
        assert_eq!(uri_user("sip:alice:secret@h"), Some("alice"));
        assert_eq!(uri_user("<sip:127.0.0.1>"), None);
    }

    #[test]
    fn ipv6_uris_parse_and_print_back() {
        let uri = parse_uri("sip:12345@[::1]:5075").unwrap();
        assert_eq!(uri.user(), Some("12345"));
        assert_eq!(uri.to_string(), "sip:12345@[::1]:5075");
        let uri = parse_uri("sip:agent@[2001:db8::7];transport=tcp").unwrap();
        assert_eq!(uri.to_string(), "sip:agent@[2001:db8::7];transport=tcp");
        assert!(parse_uri("sip:x@[not-an-ip]:5060").is_none());
        assert!(parse_uri("sip:12345@127.0.0.1:5060").is_some());
        assert!(parse_uri("sips:agent@hotline.example.gov.cn").is_some());
        // rsip reads these; their printed form is no Request-URI.
        assert!(parse_uri("si :agent@127.0.0.1:5090").is_none());
        assert!(parse_uri("sip:age nt@127.0.0.1").is_none());
        assert!(parse_uri("http://example.com/").is_none());
    }

    #[test]
    fn rport_is_filled() {
        let src: SocketAddr = "10.0.0.9:4000".parse().unwrap();
        assert_eq!(
            fill_rport("SIP/2.0/UDP 1.2.3.4:5060;rport;branch=z9hG4bKx", src),
            "SIP/2.0/UDP 1.2.3.4:5060;rport=4000;branch=z9hG4bKx;received=10.0.0.9"
        );
        assert_eq!(
            fill_rport("SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bKx", src),
            "SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bKx"
        );
    }
}
