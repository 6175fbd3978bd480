//! RFC 3261 §17 transactions, with the RFC 6026 "Accepted" state, as plain
//! state machines.
//!
//! A [`Transaction`] holds the bytes it may have to send again and its two
//! deadlines (retransmission and timeout). It never reads the clock and never
//! sends: every method takes `now` and returns what to do, and the endpoint
//! owns the sockets. The timer letters of the RFC are named in the code where
//! each one is set, so the two can be read side by side.

use std::time::{Duration, Instant};

/// RFC 3261 timer base values (§17.1.1.1, table 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// Round-trip estimate: first retransmission interval.
    pub t1: Duration,
    /// Cap on the retransmission interval of non-INVITE requests and 2xx.
    pub t2: Duration,
    /// How long the network may hold a message.
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        Self {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// 64·T1: timers B, F, H, J, L and M.
    pub fn transaction_timeout(&self) -> Duration {
        self.t1 * 64
    }
}

/// Which of the four transaction machines this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    ServerInvite,
    ServerNonInvite,
    ClientInvite,
    ClientNonInvite,
}

/// States of all four machines (each uses a subset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Client INVITE sent, no response yet.
    Calling,
    /// Non-INVITE request sent or received, no response yet.
    Trying,
    /// A provisional response was sent or received.
    Proceeding,
    /// A final response (non-2xx for INVITE) was sent or received; absorbing retransmissions.
    Completed,
    /// Server INVITE: ACK for a non-2xx received (timer I running).
    Confirmed,
    /// INVITE with a 2xx (RFC 6026): absorbing retransmissions, passing 2xx up (client).
    Accepted,
    Terminated,
}

/// What a response class does to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseClass {
    Provisional,
    Success,
    Failure,
}

impl ResponseClass {
    pub fn of(code: u16) -> Self {
        match code {
            100..=199 => ResponseClass::Provisional,
            200..=299 => ResponseClass::Success,
            _ => ResponseClass::Failure,
        }
    }
}

/// What the endpoint must do after a timer fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimerOutcome {
    Nothing,
    /// Send these bytes again (a request for clients, the last response for servers).
    Retransmit(Vec<u8>),
    /// Timer B/F fired (client: no answer), or H (server INVITE: no ACK).
    TimedOut,
    /// The transaction is over and can be forgotten.
    Terminated,
}

/// What the endpoint must do with a response that reached a client transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientResponseOutcome {
    /// Hand it to the transaction user.
    Deliver,
    /// Hand it up and send the ACK for a non-2xx final response (§17.1.1.3).
    DeliverAndAck,
    /// A retransmission of a non-2xx final: send the ACK again, deliver nothing.
    Reack,
    /// Retransmission or late response: absorb.
    Absorb,
}

/// One transaction.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub kind: Kind,
    pub state: State,
    /// Over TCP there is no retransmission and the wait states are zero.
    pub reliable: bool,
    timers: TimerConfig,
    /// Client: the request. Server: the last response sent.
    last_sent: Option<Vec<u8>>,
    /// Client INVITE: the ACK sent for a non-2xx final.
    ack: Option<Vec<u8>>,
    retransmit_at: Option<Instant>,
    retransmit_interval: Duration,
    timeout_at: Option<Instant>,
    /// Client INVITE: a CANCEL was sent, so Proceeding is no longer open-ended (§9.1).
    cancelled: bool,
}

impl Transaction {
    /// A server transaction for a request just received.
    pub fn server(kind: Kind, reliable: bool, timers: TimerConfig) -> Self {
        debug_assert!(matches!(kind, Kind::ServerInvite | Kind::ServerNonInvite));
        Self {
            kind,
            state: if kind == Kind::ServerInvite {
                State::Proceeding
            } else {
                State::Trying
            },
            reliable,
            timers,
            last_sent: None,
            ack: None,
            retransmit_at: None,
            retransmit_interval: timers.t1,
            timeout_at: None,
            cancelled: false,
        }
    }

    /// A client transaction that sends `request` now. The caller transmits it once.
    pub fn client(
        kind: Kind,
        reliable: bool,
        timers: TimerConfig,
        request: Vec<u8>,
        now: Instant,
    ) -> Self {
        debug_assert!(matches!(kind, Kind::ClientInvite | Kind::ClientNonInvite));
        let mut tx = Self {
            kind,
            state: if kind == Kind::ClientInvite {
                State::Calling
            } else {
                State::Trying
            },
            reliable,
            timers,
            last_sent: Some(request),
            ack: None,
            retransmit_at: None,
            retransmit_interval: timers.t1,
            // Timer B (INVITE) / timer F (non-INVITE).
            timeout_at: Some(now + timers.transaction_timeout()),
            cancelled: false,
        };
        if !reliable {
            // Timer A / timer E: first retransmission after T1.
            tx.retransmit_at = Some(now + timers.t1);
        }
        tx
    }

    /// The earliest deadline of this transaction.
    pub fn deadline(&self) -> Option<Instant> {
        match (self.retransmit_at, self.timeout_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The bytes of the request (client) or last response (server).
    pub fn last_sent(&self) -> Option<&[u8]> {
        self.last_sent.as_deref()
    }

    fn wait_or_zero(&self, wait: Duration) -> Duration {
        if self.reliable {
            Duration::ZERO
        } else {
            wait
        }
    }

    // ---- server side ----

    /// A retransmission of the request arrived: the last response to resend, if any.
    pub fn on_request_retransmission(&self) -> Option<Vec<u8>> {
        match (self.kind, self.state) {
            // §17.2.1: in Proceeding and Completed the last response is sent again.
            (Kind::ServerInvite, State::Proceeding | State::Completed) => self.last_sent.clone(),
            (Kind::ServerNonInvite, State::Proceeding | State::Completed) => self.last_sent.clone(),
            // RFC 6026 §7.1: in Accepted, retransmitted INVITEs are absorbed
            // (the UAS core retransmits the 2xx on its own timer).
            _ => None,
        }
    }

    /// The transaction user sends a response. Returns whether it may be sent
    /// (a final response after a final is refused).
    pub fn on_send_response(&mut self, now: Instant, code: u16, bytes: Vec<u8>) -> bool {
        let class = ResponseClass::of(code);
        match (self.kind, self.state, class) {
            (_, State::Completed | State::Confirmed | State::Accepted | State::Terminated, _) => {
                return false
            }
            (Kind::ServerInvite, _, ResponseClass::Provisional) => {}
            (Kind::ServerInvite, _, ResponseClass::Success) => {
                // RFC 6026: Accepted, timer L.
                self.state = State::Accepted;
                self.timeout_at = Some(now + self.timers.transaction_timeout());
                self.retransmit_at = None;
            }
            (Kind::ServerInvite, _, ResponseClass::Failure) => {
                self.state = State::Completed;
                // Timer G (retransmit over UDP) and timer H (wait for ACK).
                if !self.reliable {
                    self.retransmit_interval = self.timers.t1;
                    self.retransmit_at = Some(now + self.timers.t1);
                }
                self.timeout_at = Some(now + self.timers.transaction_timeout());
            }
            (Kind::ServerNonInvite, _, ResponseClass::Provisional) => {
                self.state = State::Proceeding;
            }
            (Kind::ServerNonInvite, _, _) => {
                self.state = State::Completed;
                // Timer J.
                self.timeout_at = Some(now + self.wait_or_zero(self.timers.transaction_timeout()));
            }
            (Kind::ClientInvite | Kind::ClientNonInvite, _, _) => return false,
        }
        // In Accepted the UAS core, not the transaction, repeats the 2xx:
        // keep no copy for the 32 s of timer L.
        self.last_sent = (self.state != State::Accepted).then_some(bytes);
        true
    }

    /// An ACK matched this server INVITE transaction. Returns true if it was
    /// for a non-2xx final (absorbed here); false means the TU should see it.
    pub fn on_ack(&mut self, now: Instant) -> bool {
        match (self.kind, self.state) {
            (Kind::ServerInvite, State::Completed) => {
                self.state = State::Confirmed;
                self.retransmit_at = None;
                // Timer I.
                self.timeout_at = Some(now + self.wait_or_zero(self.timers.t4));
                true
            }
            (Kind::ServerInvite, State::Confirmed) => true,
            _ => false,
        }
    }

    // ---- client side ----

    /// A response matched this client transaction.
    pub fn on_response(&mut self, now: Instant, code: u16) -> ClientResponseOutcome {
        let outcome = self.on_response_inner(now, code);
        // Once a final response arrived the request is never sent again.
        if matches!(self.state, State::Accepted | State::Completed) {
            self.last_sent = None;
        }
        outcome
    }

    fn on_response_inner(&mut self, now: Instant, code: u16) -> ClientResponseOutcome {
        let class = ResponseClass::of(code);
        match (self.kind, self.state, class) {
            (
                Kind::ClientInvite,
                State::Calling | State::Proceeding,
                ResponseClass::Provisional,
            ) => {
                self.state = State::Proceeding;
                // §17.1.1.2: stop retransmitting once anything arrived.
                self.retransmit_at = None;
                ClientResponseOutcome::Deliver
            }
            (Kind::ClientInvite, State::Calling | State::Proceeding, ResponseClass::Success) => {
                // RFC 6026: Accepted, timer M.
                self.state = State::Accepted;
                self.retransmit_at = None;
                self.timeout_at = Some(now + self.timers.transaction_timeout());
                ClientResponseOutcome::Deliver
            }
            (Kind::ClientInvite, State::Calling | State::Proceeding, ResponseClass::Failure) => {
                self.state = State::Completed;
                self.retransmit_at = None;
                // Timer D: 32 s over UDP.
                self.timeout_at = Some(now + self.wait_or_zero(Duration::from_secs(32)));
                ClientResponseOutcome::DeliverAndAck
            }
            // 2xx retransmissions go up so the TU can ACK them again.
            (Kind::ClientInvite, State::Accepted, ResponseClass::Success) => {
                ClientResponseOutcome::Deliver
            }
            (Kind::ClientInvite, State::Completed, ResponseClass::Failure) => {
                ClientResponseOutcome::Reack
            }
            (
                Kind::ClientNonInvite,
                State::Trying | State::Proceeding,
                ResponseClass::Provisional,
            ) => {
                self.state = State::Proceeding;
                ClientResponseOutcome::Deliver
            }
            (Kind::ClientNonInvite, State::Trying | State::Proceeding, _) => {
                self.state = State::Completed;
                self.retransmit_at = None;
                // Timer K.
                self.timeout_at = Some(now + self.wait_or_zero(self.timers.t4));
                ClientResponseOutcome::Deliver
            }
            _ => ClientResponseOutcome::Absorb,
        }
    }

    /// Client INVITE: the TU sent a CANCEL for it. RFC 3261 §9.1: if no final
    /// response arrives within 64·T1 after the CANCEL, the client transaction
    /// is destroyed (reported as timed out); without this a peer that
    /// answers the CANCEL but never the INVITE would keep it forever.
    pub fn on_cancel_sent(&mut self, now: Instant) {
        if self.kind == Kind::ClientInvite && self.state == State::Proceeding {
            self.cancelled = true;
            self.timeout_at = Some(now + self.timers.transaction_timeout());
        }
    }

    /// Keeps the ACK sent for a non-2xx final, to repeat it for retransmissions.
    pub fn set_ack_bytes(&mut self, ack: Vec<u8>) {
        self.ack = Some(ack);
    }

    /// The ACK this client INVITE sent for its non-2xx final response.
    pub fn ack_bytes(&self) -> Option<&[u8]> {
        self.ack.as_deref()
    }

    // ---- timers ----

    /// Runs whatever timer is due at `now`.
    pub fn on_timeout(&mut self, now: Instant) -> TimerOutcome {
        if self.timeout_at.is_some_and(|t| t <= now) {
            let timed_out = matches!(
                (self.kind, self.state),
                (Kind::ClientInvite, State::Calling | State::Proceeding)
                    | (Kind::ClientNonInvite, State::Trying | State::Proceeding)
                    | (Kind::ServerInvite, State::Completed)
            );
            // Timer B with a provisional received: only B matters in Calling;
            // in Proceeding an INVITE waits for the TU (CANCEL) — RFC 3261
            // leaves no timer there, so the TU's own ring timeout ends it.
            if self.kind == Kind::ClientInvite && self.state == State::Proceeding && !self.cancelled
            {
                self.timeout_at = None;
                return TimerOutcome::Nothing;
            }
            self.state = State::Terminated;
            self.retransmit_at = None;
            self.timeout_at = None;
            return if timed_out {
                TimerOutcome::TimedOut
            } else {
                TimerOutcome::Terminated
            };
        }
        if self.retransmit_at.is_some_and(|t| t <= now) {
            let next = match (self.kind, self.state) {
                // Timer A: doubles without cap while Calling.
                (Kind::ClientInvite, State::Calling) => self.retransmit_interval * 2,
                // Timer E: doubles up to T2; in Proceeding it is T2.
                (Kind::ClientNonInvite, State::Trying) => {
                    (self.retransmit_interval * 2).min(self.timers.t2)
                }
                (Kind::ClientNonInvite, State::Proceeding) => self.timers.t2,
                // Timer G: doubles up to T2.
                (Kind::ServerInvite, State::Completed) => {
                    (self.retransmit_interval * 2).min(self.timers.t2)
                }
                _ => {
                    self.retransmit_at = None;
                    return TimerOutcome::Nothing;
                }
            };
            self.retransmit_interval = next;
            self.retransmit_at = Some(now + next);
            return match &self.last_sent {
                Some(bytes) => TimerOutcome::Retransmit(bytes.clone()),
                None => TimerOutcome::Nothing,
            };
        }
        TimerOutcome::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn timer_a_doubles_and_timer_b_fires_at_64_t1() {
        let t0 = Instant::now();
        let mut tx = Transaction::client(
            Kind::ClientInvite,
            false,
            TimerConfig::default(),
            b"INVITE".to_vec(),
            t0,
        );
        let mut sent_at = Vec::new();
        let mut now;
        loop {
            now = tx.deadline().expect("a deadline while calling");
            match tx.on_timeout(now) {
                TimerOutcome::Retransmit(_) => sent_at.push(now.duration_since(t0)),
                TimerOutcome::TimedOut => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            sent_at,
            [ms(500), ms(1500), ms(3500), ms(7500), ms(15500), ms(31500)]
        );
        assert_eq!(now.duration_since(t0), ms(32_000));
    }

    #[test]
    fn timer_e_caps_at_t2_and_f_fires() {
        let t0 = Instant::now();
        let mut tx = Transaction::client(
            Kind::ClientNonInvite,
            false,
            TimerConfig::default(),
            b"BYE".to_vec(),
            t0,
        );
        let mut gaps = Vec::new();
        let mut last = t0;
        loop {
            let now = tx.deadline().unwrap();
            match tx.on_timeout(now) {
                TimerOutcome::Retransmit(_) => {
                    gaps.push(now.duration_since(last));
                    last = now;
                }
                TimerOutcome::TimedOut => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(
            &gaps[..5],
            &[ms(500), ms(1000), ms(2000), ms(4000), ms(4000)]
        );
    }

    #[test]
    fn reliable_transport_never_retransmits() {
        let t0 = Instant::now();
        let tx = Transaction::client(
            Kind::ClientNonInvite,
            true,
            TimerConfig::default(),
            b"BYE".to_vec(),
            t0,
        );
        assert_eq!(tx.deadline(), Some(t0 + ms(32_000)));
    }

    #[test]
    fn server_invite_failure_retransmits_until_ack() {
        let t0 = Instant::now();
        let mut tx = Transaction::server(Kind::ServerInvite, false, TimerConfig::default());
        assert!(tx.on_send_response(t0, 486, b"486".to_vec()));
        assert!(
            !tx.on_send_response(t0, 200, b"200".to_vec()),
            "no second final"
        );
        assert_eq!(
            tx.on_timeout(t0 + ms(500)),
            TimerOutcome::Retransmit(b"486".to_vec())
        );
        assert!(tx.on_ack(t0 + ms(600)));
        assert_eq!(tx.state, State::Confirmed);
        assert_eq!(tx.on_timeout(t0 + ms(5600)), TimerOutcome::Terminated);
    }

    #[test]
    fn server_non_invite_absorbs_retransmissions_with_the_same_answer() {
        let t0 = Instant::now();
        let mut tx = Transaction::server(Kind::ServerNonInvite, false, TimerConfig::default());
        assert_eq!(tx.on_request_retransmission(), None);
        tx.on_send_response(t0, 200, b"200".to_vec());
        assert_eq!(tx.on_request_retransmission(), Some(b"200".to_vec()));
        assert_eq!(tx.on_timeout(t0 + ms(32_000)), TimerOutcome::Terminated);
    }

    #[test]
    fn client_invite_acks_failures_and_reacks_retransmissions() {
        let t0 = Instant::now();
        let mut tx = Transaction::client(
            Kind::ClientInvite,
            false,
            TimerConfig::default(),
            b"INVITE".to_vec(),
            t0,
        );
        assert_eq!(tx.on_response(t0, 180), ClientResponseOutcome::Deliver);
        assert_eq!(
            tx.deadline(),
            Some(t0 + ms(32_000)),
            "no retransmission after 1xx"
        );
        assert_eq!(
            tx.on_response(t0, 486),
            ClientResponseOutcome::DeliverAndAck
        );
        assert_eq!(tx.ack_bytes(), None, "the endpoint builds the ACK");
        tx.set_ack_bytes(b"ACK".to_vec());
        assert_eq!(tx.ack_bytes(), Some(&b"ACK"[..]));
        assert_eq!(tx.on_response(t0, 486), ClientResponseOutcome::Reack);
    }
}
