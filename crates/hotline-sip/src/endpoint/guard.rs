//! What keeps floods and scanners cheap: per-source admission (a token
//! bucket and a cap on live server transactions), scanner detection by
//! User-Agent, and the count of calls an untrusted address has not yet
//! confirmed with an ACK. The per-source call limits are applied where an
//! initial INVITE is taken (`server`) and released when its call ends
//! (`dialog`).

use std::net::IpAddr;
use std::time::Instant;

use crate::msg::first_header;

use super::Endpoint;

#[derive(Debug)]
pub(super) struct SourceState {
    tokens: f64,
    refilled_at: Instant,
    pub(super) live_transactions: u32,
}

impl Endpoint {
    pub(super) fn admit(&mut self, now: Instant, ip: IpAddr) -> bool {
        if self.config.trusted_sources.contains(&ip) {
            return true;
        }
        let rate = f64::from(self.config.requests_per_second_per_source.max(1));
        let max_tx = self.config.max_transactions_per_source;
        let source = self.sources.entry(ip).or_insert(SourceState {
            tokens: rate * 2.0,
            refilled_at: now,
            live_transactions: 0,
        });
        let elapsed = now
            .saturating_duration_since(source.refilled_at)
            .as_secs_f64();
        source.tokens = (source.tokens + elapsed * rate).min(rate * 2.0);
        source.refilled_at = now;
        if source.tokens < 1.0 || source.live_transactions >= max_tx {
            return false;
        }
        source.tokens -= 1.0;
        true
    }

    pub(super) fn is_scanner(&self, request: &rsip::Request) -> bool {
        let Some(agent) = first_header(request, "User-Agent") else {
            return false;
        };
        let agent = agent.to_ascii_lowercase();
        self.config
            .scanner_user_agents
            .iter()
            .any(|s| agent.contains(&s.to_ascii_lowercase()))
    }

    /// One untrusted call of `ip` is confirmed or over.
    pub(super) fn release_unconfirmed(&mut self, ip: IpAddr) {
        if let std::collections::hash_map::Entry::Occupied(mut held) =
            self.unconfirmed_by_source.entry(ip)
        {
            *held.get_mut() = held.get().saturating_sub(1);
            if *held.get() == 0 {
                held.remove();
            }
        }
    }
}
