//! A small hand-written day at the hotline (Asia/Shanghai, 2026-11-22), as
//! the event log records it. Each call is described where it is built; the
//! tests that use it compute every figure by hand from these descriptions.
#![allow(dead_code)]

use std::collections::BTreeMap;

use hotline_types::{CallEvent, CallEventRecord, CallId, HangupSide, Timestamp};

/// 2026-11-22 00:00 in Shanghai (UTC+8) = 2026-11-21T16:00:00Z.
pub const D0: i64 = 1_795_276_800_000;
/// Shanghai is 8 hours ahead of UTC.
pub const SHANGHAI: i32 = 480;
pub const HOUR: i64 = 3_600_000;

/// Local time of the day.
pub fn hms(h: i64, m: i64, s: i64) -> Timestamp {
    Timestamp(D0 + ((h * 60 + m) * 60 + s) * 1_000)
}

pub struct Call {
    pub id: CallId,
    pub events: Vec<CallEventRecord>,
}

impl Call {
    fn new(start: Timestamp) -> Self {
        Self::started(start, None)
    }

    fn started(start: Timestamp, linked_call: Option<CallId>) -> Self {
        let id = CallId::new();
        let mut c = Call {
            id,
            events: Vec::new(),
        };
        c.at(
            start,
            CallEvent::CallStarted {
                caller: "+8613900002000".into(),
                called: "12345".into(),
                sip_call_id: format!("{id}@golden"),
                node: Some("node-a".into()),
                linked_call,
            },
        );
        c
    }

    fn at(&mut self, at: Timestamp, event: CallEvent) -> &mut Self {
        self.events.push(CallEventRecord::new(self.id, at, event));
        self
    }

    /// Answered by the hotline one second after the start, then the IVR
    /// nodes of `path` one second apart.
    fn ivr(&mut self, start: Timestamp, path: &str) -> &mut Self {
        self.at(
            start.plus(std::time::Duration::from_secs(1)),
            CallEvent::Answered,
        );
        for (i, node) in path.split('>').enumerate() {
            self.at(
                start.plus(std::time::Duration::from_secs(2 + i as u64)),
                CallEvent::IvrNodeEntered {
                    script: "hotline".into(),
                    version: 1,
                    node: node.into(),
                },
            );
        }
        self
    }
}

pub fn queued(queue: &str) -> CallEvent {
    CallEvent::Queued {
        queue: queue.into(),
        priority: 1,
        skills: vec![],
    }
}

pub fn offered(queue: &str, agent: &str) -> CallEvent {
    CallEvent::Offered {
        queue: queue.into(),
        agent: agent.into(),
    }
}

pub fn agent_answered(queue: &str, agent: &str, wait_ms: u64) -> CallEvent {
    CallEvent::AgentAnswered {
        queue: queue.into(),
        agent: agent.into(),
        wait_ms,
    }
}

pub fn abandoned(queue: &str, wait_ms: u64) -> CallEvent {
    CallEvent::Abandoned {
        queue: queue.into(),
        wait_ms,
        position: 1,
    }
}

pub fn ended(side: HangupSide) -> CallEvent {
    CallEvent::Ended {
        side,
        cause: "bye".into(),
    }
}

pub fn wrap_up(agent: &str, wrap_ms: u64) -> CallEvent {
    CallEvent::WrapUpDone {
        agent: agent.into(),
        disposition: "information_given".into(),
        wrap_ms,
    }
}

/// The IVR paths of the day.
pub const REPORT: &str = "language>welcome>main_menu>report_menu";
pub const AGENT: &str = "language>welcome>main_menu>agent";
pub const CASE_STATUS_LOOP: &str =
    "language>welcome>main_menu>case_enter>case_lookup>case_found>case_after>case_found>case_after";
pub const CASE_STATUS: &str =
    "language>welcome>main_menu>case_enter>case_lookup>case_found>case_after";
pub const AFTER_HOURS_MESSAGE: &str = "language>welcome>after_hours_menu>leave_message";
pub const MAIN_MENU_ONLY: &str = "language>welcome>main_menu";
pub const AFTER_HOURS_CALLBACK: &str = "language>welcome>after_hours_menu>callback";
pub const INFO: &str = "language>welcome>main_menu>info";

/// The queue → department mapping of the day's configuration (general is
/// left out on purpose).
pub fn departments() -> BTreeMap<String, String> {
    [
        ("housing".to_owned(), "construction".to_owned()),
        ("transport".to_owned(), "transport".to_owned()),
    ]
    .into()
}

pub struct GoldenDay {
    pub calls: BTreeMap<&'static str, CallId>,
    /// Every event, each call's in time order (calls one after another).
    pub events: Vec<CallEventRecord>,
}

/// The day. Agents: alice, bob, carol. Queues: housing, transport,
/// general. Thresholds used by the tests: T = 20 s, short abandon 5 s.
pub fn golden_day() -> GoldenDay {
    use HangupSide::*;
    let mut calls: Vec<(&'static str, Call)> = Vec::new();

    // C1 09:00 housing, answered within T by alice after 10 s; on hold
    // 20 s; alice leaves at 09:03:40 (wrap-up starts: the ACD's wrap_ms
    // says so), the caller answers the survey (5) and the IVR ends the call
    // at 09:03:55; wrap-up 30 s ends 09:04:10.
    // Talk = 09:03:40 - 09:00:40 - 20 s hold = 160 s; handle 210 s.
    let mut c = Call::new(hms(9, 0, 0));
    c.ivr(hms(9, 0, 0), REPORT)
        .at(hms(9, 0, 30), queued("housing"))
        .at(hms(9, 0, 38), offered("housing", "alice"))
        .at(hms(9, 0, 40), agent_answered("housing", "alice", 10_000))
        .at(hms(9, 1, 40), CallEvent::HoldStarted)
        .at(hms(9, 2, 0), CallEvent::HoldEnded)
        .at(hms(9, 3, 50), CallEvent::SurveyAnswered { score: 5 })
        .at(hms(9, 3, 55), ended(System))
        .at(hms(9, 4, 10), wrap_up("alice", 30_000));
    calls.push(("C1", c));

    // C2 09:10 housing, answered outside T by bob after 35 s; bob leaves at
    // 09:14:05 (wrap-up 20 s to 09:14:25); survey 2; the IVR ends the
    // call at 09:14:15. Talk 180 s, handle 200 s.
    let mut c = Call::new(hms(9, 10, 0));
    c.ivr(hms(9, 10, 0), REPORT)
        .at(hms(9, 10, 30), queued("housing"))
        .at(hms(9, 11, 0), offered("housing", "bob"))
        .at(hms(9, 11, 5), agent_answered("housing", "bob", 35_000))
        .at(hms(9, 14, 10), CallEvent::SurveyAnswered { score: 2 })
        .at(hms(9, 14, 15), ended(System))
        .at(hms(9, 14, 25), wrap_up("bob", 20_000));
    calls.push(("C2", c));

    // C3 09:20 housing, the caller hangs up after 3 s: a short abandon.
    let mut c = Call::new(hms(9, 20, 0));
    c.ivr(hms(9, 20, 0), REPORT)
        .at(hms(9, 20, 30), queued("housing"))
        .at(hms(9, 20, 33), abandoned("housing", 3_000))
        .at(hms(9, 20, 33), ended(Caller));
    calls.push(("C3", c));

    // C4 09:30 housing, abandoned after 12 s: within T.
    let mut c = Call::new(hms(9, 30, 0));
    c.ivr(hms(9, 30, 0), REPORT)
        .at(hms(9, 30, 30), queued("housing"))
        .at(hms(9, 30, 42), ended(Caller))
        .at(hms(9, 30, 42), abandoned("housing", 12_000));
    calls.push(("C4", c));

    // C5 09:40 housing, abandoned after 50 s while carol's phone rang.
    let mut c = Call::new(hms(9, 40, 0));
    c.ivr(hms(9, 40, 0), REPORT)
        .at(hms(9, 40, 30), queued("housing"))
        .at(hms(9, 41, 10), offered("housing", "carol"))
        .at(hms(9, 41, 20), abandoned("housing", 50_000))
        .at(hms(9, 41, 20), ended(Caller));
    calls.push(("C5", c));

    // C6 10:00 housing, answered by alice after 5 s, transferred to the
    // transport queue at 10:02:35 (alice: talk 120 s, wrap-up 40 s);
    // answered there by bob after 15 s (talk 180 s, wrap-up 10 s).
    let mut c = Call::new(hms(10, 0, 0));
    c.ivr(hms(10, 0, 0), REPORT)
        .at(hms(10, 0, 30), queued("housing"))
        .at(hms(10, 0, 35), offered("housing", "alice"))
        .at(hms(10, 0, 35), agent_answered("housing", "alice", 5_000))
        .at(
            hms(10, 2, 35),
            CallEvent::Transferred {
                to: "transport".into(),
                kind: "queue".into(),
                by: Some("alice".into()),
            },
        )
        .at(hms(10, 2, 35), queued("transport"))
        .at(hms(10, 2, 50), offered("transport", "bob"))
        .at(hms(10, 2, 50), agent_answered("transport", "bob", 15_000))
        .at(hms(10, 3, 15), wrap_up("alice", 40_000))
        .at(hms(10, 5, 50), ended(Caller))
        .at(hms(10, 6, 0), wrap_up("bob", 10_000));
    calls.push(("C6", c));

    // C7 10:10 general: after 60 s the caller asks to be called back and
    // the IVR ends the call. At 10:20 the callback is offered to carol, who
    // answers at 10:20:05; the hotline dials the citizen on a new call
    // (C7b, linked to C7), the talk ends 10:23:05, wrap-up 15 s.
    // Talk 180 s, handle 195 s.
    let mut c = Call::new(hms(10, 10, 0));
    let callback = CallId::new();
    c.ivr(hms(10, 10, 0), AGENT)
        .at(hms(10, 10, 30), queued("general"))
        .at(
            hms(10, 11, 30),
            CallEvent::CallbackRequested {
                queue: Some("general".into()),
                number: "+8613900002000".into(),
            },
        )
        .at(hms(10, 11, 40), ended(System))
        .at(hms(10, 20, 0), offered("general", "carol"))
        .at(
            hms(10, 20, 0),
            CallEvent::CallbackPlaced {
                number: "+8613900002000".into(),
                callback_call: callback,
            },
        )
        .at(hms(10, 20, 5), agent_answered("general", "carol", 570_000))
        .at(hms(10, 23, 20), wrap_up("carol", 15_000));
    calls.push(("C7", c));
    let mut b = Call {
        id: callback,
        events: Vec::new(),
    };
    b.at(
        hms(10, 20, 1),
        CallEvent::CallStarted {
            caller: "12345".into(),
            called: "+8613900002000".into(),
            sip_call_id: String::new(),
            node: Some("node-a".into()),
            linked_call: Some(calls[calls.len() - 1].1.id),
        },
    )
    .at(hms(10, 20, 15), CallEvent::Answered)
    .at(hms(10, 23, 5), ended(Caller));
    calls.push(("C7b", b));

    // C8 10:30 transport: alice's phone rings 15 s unanswered; bob answers
    // after 18 s in the queue (within T). Talk 120 s, wrap-up 12 s.
    let mut c = Call::new(hms(10, 30, 0));
    c.ivr(hms(10, 30, 0), REPORT)
        .at(hms(10, 30, 30), queued("transport"))
        .at(hms(10, 30, 31), offered("transport", "alice"))
        .at(
            hms(10, 30, 46),
            CallEvent::RingNoAnswer {
                queue: "transport".into(),
                agent: "alice".into(),
                ring_ms: 15_000,
            },
        )
        .at(hms(10, 30, 47), offered("transport", "bob"))
        .at(hms(10, 30, 48), agent_answered("transport", "bob", 18_000))
        .at(hms(10, 32, 48), ended(Agent))
        .at(hms(10, 33, 0), wrap_up("bob", 12_000));
    calls.push(("C8", c));

    // C9 11:00 self-service: case status (the caller goes round the case
    // menu twice), the IVR says goodbye and hangs up.
    let mut c = Call::new(hms(11, 0, 0));
    c.ivr(hms(11, 0, 0), CASE_STATUS_LOOP)
        .at(hms(11, 1, 30), ended(System));
    calls.push(("C9", c));

    // C10 11:10 after hours: leaves a voice message.
    let mut c = Call::new(hms(11, 10, 0));
    c.ivr(hms(11, 10, 0), AFTER_HOURS_MESSAGE)
        .at(
            hms(11, 11, 0),
            CallEvent::VoicemailRecorded {
                recording: "voicemail/c10.wav".into(),
                duration_ms: 40_000,
                case_ref: None,
            },
        )
        .at(hms(11, 11, 10), ended(System));
    calls.push(("C10", c));

    // C11 11:20 hangs up in the main menu.
    let mut c = Call::new(hms(11, 20, 0));
    c.ivr(hms(11, 20, 0), MAIN_MENU_ONLY)
        .at(hms(11, 20, 40), ended(Caller));
    calls.push(("C11", c));

    // C12 11:30 asks in the IVR to be called back (never queued).
    let mut c = Call::new(hms(11, 30, 0));
    c.ivr(hms(11, 30, 0), AFTER_HOURS_CALLBACK)
        .at(
            hms(11, 30, 40),
            CallEvent::CallbackRequested {
                queue: Some("general".into()),
                number: "+8613900002000".into(),
            },
        )
        .at(hms(11, 30, 50), ended(System));
    calls.push(("C12", c));

    // C14 12:00 housing: after 120 s a max-wait rule sends it to general,
    // where alice answers after 10 s. Talk 120 s, wrap-up 20 s.
    let mut c = Call::new(hms(12, 0, 0));
    c.ivr(hms(12, 0, 0), REPORT)
        .at(hms(12, 0, 30), queued("housing"))
        .at(
            hms(12, 2, 30),
            CallEvent::Overflowed {
                from: "housing".into(),
                to: "general".into(),
                reason: "max_wait".into(),
            },
        )
        .at(hms(12, 2, 30), queued("general"))
        .at(hms(12, 2, 40), offered("general", "alice"))
        .at(hms(12, 2, 40), agent_answered("general", "alice", 10_000))
        .at(hms(12, 4, 40), ended(Caller))
        .at(hms(12, 5, 0), wrap_up("alice", 20_000));
    calls.push(("C14", c));

    // C15 12:10 hangs up while ringing, before the hotline answers.
    let mut c = Call::new(hms(12, 10, 0));
    c.at(hms(12, 10, 2), ended(Caller));
    calls.push(("C15", c));

    // C17 12:20 transport: still waiting when the reports are made.
    let mut c = Call::new(hms(12, 20, 0));
    c.ivr(hms(12, 20, 0), REPORT)
        .at(hms(12, 20, 30), queued("transport"));
    calls.push(("C17", c));

    // C18 12:30 still in the information menu.
    let mut c = Call::new(hms(12, 30, 0));
    c.ivr(hms(12, 30, 0), INFO);
    calls.push(("C18", c));

    let mut events = Vec::new();
    let mut ids = BTreeMap::new();
    for (name, call) in calls {
        ids.insert(name, call.id);
        let mut evs = call.events;
        evs.sort_by_key(|e| e.at);
        events.extend(evs);
    }
    GoldenDay { calls: ids, events }
}
