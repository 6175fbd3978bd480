//! Round-trip property of the message path: requests and responses written
//! with random header order, compact forms, bare LF, folding and random
//! bodies parse, print with `wire::to_bytes` and parse again to the same
//! essentials and body; a TCP stream of such messages frames the same
//! whatever the split points.

use hotline_sip::msg::Essentials;
use hotline_sip::wire::{self, Framed, StreamFramer, DEFAULT_MAX_MESSAGE_BYTES};
use proptest::prelude::*;

fn message(framed: Framed) -> rsip::SipMessage {
    match framed {
        Framed::Message(m) => *m,
        Framed::KeepAlive => panic!("expected a message"),
    }
}

/// (long name, compact name, value)
fn headers(
    call_id: &str,
    tag: &str,
    cseq: u32,
    method: &str,
    branch: &str,
) -> Vec<(String, Option<char>, String)> {
    vec![
        (
            "Via".into(),
            Some('v'),
            format!("SIP/2.0/UDP 10.0.0.1:5061;branch=z9hG4bK{branch};rport"),
        ),
        (
            "From".into(),
            Some('f'),
            format!("\"Caller\" <sip:alice@10.0.0.1>;tag={tag}"),
        ),
        ("To".into(), Some('t'), "<sip:12345@10.0.0.2>".into()),
        ("Call-ID".into(), Some('i'), call_id.into()),
        ("CSeq".into(), None, format!("{cseq} {method}")),
        (
            "Contact".into(),
            Some('m'),
            "<sip:alice@10.0.0.1:5061>".into(),
        ),
        ("Max-Forwards".into(), None, "70".into()),
        ("Subject".into(), Some('s'), "a test".into()),
        ("X-Custom".into(), None, "value, with; odd=chars".into()),
    ]
}

#[derive(Debug, Clone)]
struct Written {
    bytes: Vec<u8>,
    body: Vec<u8>,
}

fn arb_message() -> impl Strategy<Value = Written> {
    (
        prop::sample::select(vec!["INVITE", "OPTIONS", "BYE", "INFO", "REGISTER"]),
        prop::bool::ANY, // response instead of request
        prop::sample::select(vec![100u16, 180, 200, 404, 486, 503]),
        "[a-zA-Z0-9.@-]{1,24}", // call id
        "[a-z0-9]{1,12}",       // tag
        1u32..100_000,
        "[a-zA-Z0-9]{1,16}",                                 // branch
        Just((0..9).collect::<Vec<usize>>()).prop_shuffle(), // header order
        prop::collection::vec(prop::bool::ANY, 9),           // compact form per header
        prop::collection::vec(prop::bool::ANY, 9),           // fold per header
        prop::bool::ANY,                                     // bare LF
        prop::collection::vec(any::<u8>(), 0..300),          // body
    )
        .prop_map(
            |(
                method,
                response,
                code,
                call_id,
                tag,
                cseq,
                branch,
                order,
                compact,
                fold,
                bare_lf,
                body,
            )| {
                let eol = if bare_lf { "\n" } else { "\r\n" };
                let mut text = if response {
                    format!("SIP/2.0 {code} Whatever{eol}")
                } else {
                    format!("{method} sip:12345@10.0.0.2 SIP/2.0{eol}")
                };
                let all = headers(&call_id, &tag, cseq, method, &branch);
                for i in order {
                    let (name, short, value) = &all[i];
                    let name = match (compact[i], short) {
                        (true, Some(c)) => c.to_string(),
                        _ => name.clone(),
                    };
                    // Fold after the first space of the value (§7.3.1).
                    let value = match value.split_once(' ') {
                        Some((a, b)) if fold[i] => format!("{a}{eol} {b}"),
                        _ => value.clone(),
                    };
                    text.push_str(&format!("{name}: {value}{eol}"));
                }
                let length_name = if compact[0] { "l" } else { "Content-Length" };
                text.push_str(&format!("{length_name}: {}{eol}{eol}", body.len()));
                let mut bytes = text.into_bytes();
                bytes.extend_from_slice(&body);
                Written { bytes, body }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn parse_print_parse_keeps_essentials_and_body(written in arb_message()) {
        let first = message(wire::parse_datagram(&written.bytes, DEFAULT_MAX_MESSAGE_BYTES).expect("a valid message parses"));
        prop_assert_eq!(first.body(), &written.body[..]);
        let essentials = Essentials::of(&first).expect("all mandatory headers are there");
        let printed = wire::to_bytes(&first);
        let second = message(wire::parse_datagram(&printed, DEFAULT_MAX_MESSAGE_BYTES).expect("printed parses"));
        prop_assert_eq!(second.body(), &written.body[..]);
        prop_assert_eq!(Essentials::of(&second).expect("still valid"), essentials);
        // Printing is a fixed point after normalisation.
        prop_assert_eq!(wire::to_bytes(&second), printed);
    }

    #[test]
    fn stream_framing_ignores_split_points(
        messages in prop::collection::vec(arb_message(), 1..5),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut stream = Vec::new();
        for m in &messages {
            stream.extend_from_slice(&m.bytes);
        }
        let mut points: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
        points.push(stream.len());
        points.sort_unstable();
        let mut framer = StreamFramer::new(DEFAULT_MAX_MESSAGE_BYTES);
        let mut got = Vec::new();
        let mut start = 0;
        for cut in points {
            framer.push(&stream[start..cut]);
            start = cut;
            while let Some(framed) = framer.next_message().expect("a well-framed stream") {
                got.push(message(framed));
            }
        }
        prop_assert_eq!(got.len(), messages.len());
        for (m, w) in got.iter().zip(&messages) {
            prop_assert_eq!(m.body(), &w.body[..]);
            let alone = message(wire::parse_datagram(&w.bytes, DEFAULT_MAX_MESSAGE_BYTES).unwrap());
            prop_assert_eq!(Essentials::of(m).unwrap(), Essentials::of(&alone).unwrap());
        }
    }
}
