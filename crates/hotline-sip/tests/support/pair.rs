//! Two sans-IO endpoints on one simulated clock, joined by a simulated UDP
//! network: what one transmits to the other's address arrives after
//! `latency`, unless a test's filter drops it. [`Pair::run_for`] always
//! runs whichever is due next (a datagram's arrival or either endpoint's
//! timer), so hours of refreshes pass in microseconds and every race is
//! reproducible. Nothing here opens a socket.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hotline_sip::wire::DEFAULT_MAX_MESSAGE_BYTES;
use hotline_sip::{Endpoint, EndpointConfig, Event, Output, Peer, Transport};

use super::{addr, udp, Sent};

/// Which endpoint of the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Side::A => 0,
            Side::B => 1,
        }
    }

    fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// A datagram on its way, with what the filter saw.
#[derive(Debug, Clone)]
struct InFlight {
    arrives: Instant,
    to: Side,
    bytes: Vec<u8>,
}

/// Decides, for each datagram sent, whether the network loses it.
pub type Filter = Box<dyn FnMut(Side, &Sent) -> bool>;

/// Two endpoints, the network between them and the simulated time.
pub struct Pair {
    endpoints: [Endpoint; 2],
    addrs: [SocketAddr; 2],
    pub t0: Instant,
    pub now: Instant,
    pub latency: Duration,
    in_flight: Vec<InFlight>,
    /// Everything sent, by whom, in order (dropped ones included).
    pub log: Vec<(Side, Sent)>,
    events: [Vec<Event>; 2],
    drop: Option<Filter>,
}

impl std::fmt::Debug for Pair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pair")
            .field("addrs", &self.addrs)
            .field("elapsed", &self.elapsed())
            .finish_non_exhaustive()
    }
}

impl Pair {
    /// `a` advertises `a_addr`, `b` advertises `b_addr`; 10 ms each way.
    pub fn new(a: EndpointConfig, a_addr: &str, b: EndpointConfig, b_addr: &str) -> Self {
        let t0 = Instant::now();
        let (a_addr, b_addr) = (addr(a_addr), addr(b_addr));
        let a = EndpointConfig {
            advertised: a_addr,
            ..a
        };
        let b = EndpointConfig {
            advertised: b_addr,
            ..b
        };
        Self {
            endpoints: [Endpoint::new(a, [1; 32], t0), Endpoint::new(b, [2; 32], t0)],
            addrs: [a_addr, b_addr],
            t0,
            now: t0,
            latency: Duration::from_millis(10),
            in_flight: Vec::new(),
            log: Vec::new(),
            events: [Vec::new(), Vec::new()],
            drop: None,
        }
    }

    pub fn endpoint(&mut self, side: Side) -> &mut Endpoint {
        &mut self.endpoints[side.index()]
    }

    /// How the other side reaches `side` (UDP, its advertised address).
    pub fn peer_of(&self, side: Side) -> Peer {
        udp(&self.addrs[side.index()].to_string())
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// From now on, datagrams for which `filter` says true are lost.
    pub fn lose_when(&mut self, filter: impl FnMut(Side, &Sent) -> bool + 'static) {
        self.drop = Some(Box::new(filter));
    }

    /// Runs a command on one side at the current time.
    pub fn command<T>(&mut self, side: Side, f: impl FnOnce(&mut Endpoint, Instant) -> T) -> T {
        let now = self.now;
        let out = f(&mut self.endpoints[side.index()], now);
        self.collect(side);
        out
    }

    fn collect(&mut self, side: Side) {
        while let Some(output) = self.endpoints[side.index()].poll_output() {
            match output {
                Output::Event(event) => self.events[side.index()].push(event),
                Output::Transmit(t) => {
                    let sent = Sent {
                        at: self.elapsed(),
                        peer: t.peer,
                        bytes: t.bytes,
                    };
                    let lost = self.drop.as_mut().is_some_and(|f| f(side, &sent));
                    let reaches_other = t.peer.addr == self.addrs[side.other().index()];
                    if reaches_other && !lost {
                        self.in_flight.push(InFlight {
                            arrives: self.now + self.latency,
                            to: side.other(),
                            bytes: sent.bytes.clone(),
                        });
                    }
                    self.log.push((side, sent));
                }
            }
        }
    }

    /// The next moment something happens, if anything ever does.
    fn next_due(&self) -> Option<Instant> {
        let arrivals = self.in_flight.iter().map(|f| f.arrives);
        let timers = self.endpoints.iter().filter_map(Endpoint::poll_timeout);
        arrivals.chain(timers).min()
    }

    /// Runs everything due within `limit` of simulated time, in time order,
    /// then leaves the clock at the end of it.
    pub fn run_for(&mut self, limit: Duration) {
        let end = self.now + limit;
        for _ in 0..1_000_000 {
            match self.next_due() {
                Some(at) if at <= end => self.step(at),
                _ => break,
            }
        }
        self.now = end;
    }

    fn step(&mut self, at: Instant) {
        self.now = self.now.max(at);
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
            .into_iter()
            .partition(|f| f.arrives <= now);
        self.in_flight = later;
        for datagram in due {
            let to = datagram.to;
            let from = Peer {
                transport: Transport::Udp,
                addr: self.addrs[to.other().index()],
                connection: None,
            };
            self.endpoints[to.index()].handle_datagram(
                now,
                from,
                &datagram.bytes,
                DEFAULT_MAX_MESSAGE_BYTES,
            );
            self.collect(to);
        }
        for side in [Side::A, Side::B] {
            if self.endpoints[side.index()]
                .poll_timeout()
                .is_some_and(|t| t <= now)
            {
                self.endpoints[side.index()].handle_timeout(now);
                self.collect(side);
            }
        }
    }

    /// The events `side` raised since the last call.
    pub fn take_events(&mut self, side: Side) -> Vec<Event> {
        std::mem::take(&mut self.events[side.index()])
    }

    /// The requests `side` sent with this method, in order.
    pub fn requests_sent(&self, side: Side, method: rsip::Method) -> Vec<Sent> {
        self.log
            .iter()
            .filter(|(s, sent)| *s == side && sent.method() == Some(method))
            .map(|(_, sent)| sent.clone())
            .collect()
    }
}
