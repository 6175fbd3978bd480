//! Who may see which citizen record and case, and why: the calls offered to
//! each agent and the grants they carry. An agent sees a citizen only
//! through a call offered to them, their own audited search, or a record or
//! case they created in the console; each grant remembers how it was given,
//! so every later read is audited under the same call or search.
//!
//! Grants expire (call grants after [`CALL_GRANT`], search grants after
//! [`SEARCH_GRANT`]). Node-local, like the sessions. Time comes in as `now`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use hotline_store::{Access, AuditContext, SearchTerms};
use hotline_types::{AgentId, CallId, CaseRef, CitizenId, Timestamp};

use crate::api::Offer;

/// How long a call's citizens stay visible to the agents it was offered to
/// (long enough for wrap-up and follow-up notes).
pub const CALL_GRANT: Duration = Duration::from_secs(12 * 3600);

/// How long a search result stays visible to the user who searched.
pub const SEARCH_GRANT: Duration = Duration::from_secs(30 * 60);

/// How a user came to see a record; becomes the audit context of each read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GrantVia {
    /// A call offered to them.
    Call(CallId),
    /// Their search, with its terms (masked and hashed, as the audit log
    /// keeps them) and stated reason.
    Search { terms: SearchTerms, reason: String },
    /// They created the record or case in the console, outside any call.
    Console,
}

impl GrantVia {
    pub(crate) fn audit_context(&self, actor: &str, at: Timestamp) -> AuditContext {
        match self {
            GrantVia::Call(call) => AuditContext::for_call(actor, *call, at),
            GrantVia::Search { terms, reason } => AuditContext {
                actor: actor.to_owned(),
                access: Access::Search(terms.clone()),
                reason: reason.clone(),
                at,
            },
            GrantVia::Console => AuditContext {
                actor: actor.to_owned(),
                access: Access::Administration,
                reason: "record created by this user in the console".into(),
                at,
            },
        }
    }
}

#[derive(Debug, Clone)]
struct Grant<K> {
    key: K,
    via: GrantVia,
    expires: Instant,
}

/// A call as offered: what the pop was built from, to build it again.
#[derive(Debug, Clone)]
pub(crate) struct OfferedCall {
    pub(crate) offer: Offer,
    /// Every agent it was offered to (a transfer offers it again).
    pub(crate) agents: Vec<AgentId>,
    /// Citizens created in the console for this call (an unknown caller).
    pub(crate) added_citizens: Vec<CitizenId>,
    pub(crate) offered_at_ms: i64,
    expires: Instant,
}

/// The offered calls and every user's grants.
#[derive(Debug, Default)]
pub(crate) struct AccessRegistry {
    calls: HashMap<CallId, OfferedCall>,
    citizens: HashMap<String, Vec<Grant<CitizenId>>>,
    cases: HashMap<String, Vec<Grant<CaseRef>>>,
    last_prune: Option<Instant>,
}

fn grant<K: PartialEq>(list: &mut Vec<Grant<K>>, key: K, via: GrantVia, expires: Instant) {
    // The newest grant wins: a later call or search decides the audit context.
    list.retain(|g| g.key != key);
    list.push(Grant { key, via, expires });
}

fn find<K: PartialEq>(list: Option<&Vec<Grant<K>>>, key: &K, now: Instant) -> Option<GrantVia> {
    list?
        .iter()
        .rev()
        .find(|g| &g.key == key && g.expires > now)
        .map(|g| g.via.clone())
}

/// Whether a stored number and a signalled caller are the same line (the
/// signalled one may carry separators or lack the `+`).
fn same_number(stored: &str, signalled: &str) -> bool {
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (a, b) = (digits(stored), digits(signalled));
    !a.is_empty() && (a == b || (b.len() >= 7 && a.ends_with(&b)))
}

impl AccessRegistry {
    /// Records that `offer.call` was offered to `offer.agent`.
    pub(crate) fn record_offer(&mut self, offer: &Offer, offered_at_ms: i64, now: Instant) {
        self.prune_now_and_then(now);
        let expires = now + CALL_GRANT;
        let entry = self.calls.entry(offer.call).or_insert_with(|| OfferedCall {
            offer: offer.clone(),
            agents: Vec::new(),
            added_citizens: Vec::new(),
            offered_at_ms,
            expires,
        });
        entry.offer = offer.clone();
        entry.offered_at_ms = offered_at_ms;
        entry.expires = expires;
        if !entry.agents.contains(&offer.agent) {
            entry.agents.push(offer.agent.clone());
        }
    }

    /// The call, if it was ever offered to this agent (and not forgotten).
    pub(crate) fn offered_to(
        &self,
        call: CallId,
        agent: &AgentId,
        now: Instant,
    ) -> Option<OfferedCall> {
        self.calls
            .get(&call)
            .filter(|c| c.expires > now && c.agents.contains(agent))
            .cloned()
    }

    /// Remembers a citizen created for a call, so the call's pop shows them.
    pub(crate) fn add_citizen_to_call(&mut self, call: CallId, citizen: CitizenId) {
        if let Some(c) = self.calls.get_mut(&call) {
            if !c.added_citizens.contains(&citizen) {
                c.added_citizens.push(citizen);
            }
        }
    }

    pub(crate) fn grant_citizen(
        &mut self,
        login: &str,
        citizen: CitizenId,
        via: GrantVia,
        now: Instant,
    ) {
        let ttl = match via {
            GrantVia::Search { .. } => SEARCH_GRANT,
            _ => CALL_GRANT,
        };
        let list = self.citizens.entry(login.to_owned()).or_default();
        grant(list, citizen, via, now + ttl);
    }

    pub(crate) fn citizen_grant(
        &self,
        login: &str,
        citizen: CitizenId,
        now: Instant,
    ) -> Option<GrantVia> {
        find(self.citizens.get(login), &citizen, now)
    }

    pub(crate) fn grant_case(
        &mut self,
        login: &str,
        case_ref: CaseRef,
        via: GrantVia,
        now: Instant,
    ) {
        let list = self.cases.entry(login.to_owned()).or_default();
        grant(list, case_ref, via, now + CALL_GRANT);
    }

    pub(crate) fn case_grant(
        &self,
        login: &str,
        case_ref: &CaseRef,
        now: Instant,
    ) -> Option<GrantVia> {
        find(self.cases.get(login), case_ref, now)
    }

    /// Forgets what this node holds about an erased citizen: every user's
    /// grant to their record, and the caller number and IVR entries of the
    /// offered calls that were theirs (by number, the IVR's identification
    /// or a record added in the console); the calls stay offered, so wrap-up
    /// goes on, without them. Returns how many calls' pops were blanked.
    pub(crate) fn forget_citizen(&mut self, citizen: CitizenId, numbers: &[String]) -> usize {
        for list in self.citizens.values_mut() {
            list.retain(|g| g.key != citizen);
        }
        let mut blanked = 0;
        for call in self.calls.values_mut() {
            let theirs = call.added_citizens.contains(&citizen)
                || call.offer.citizen_hint == Some(citizen)
                || numbers.iter().any(|n| same_number(n, &call.offer.caller));
            if theirs {
                call.added_citizens.retain(|c| *c != citizen);
                call.offer.citizen_hint = None;
                call.offer.caller = String::new();
                call.offer.ivr_vars.clear();
                blanked += 1;
            }
        }
        blanked
    }

    fn prune_now_and_then(&mut self, now: Instant) {
        let due = self
            .last_prune
            .is_none_or(|last| now.saturating_duration_since(last) > Duration::from_secs(60));
        if !due {
            return;
        }
        self.last_prune = Some(now);
        self.calls.retain(|_, c| c.expires > now);
        for list in self.citizens.values_mut() {
            list.retain(|g| g.expires > now);
        }
        self.citizens.retain(|_, l| !l.is_empty());
        for list in self.cases.values_mut() {
            list.retain(|g| g.expires > now);
        }
        self.cases.retain(|_, l| !l.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(agent: &str, call: CallId) -> Offer {
        Offer {
            agent: AgentId::from(agent),
            call,
            queue: "housing".into(),
            caller: "+8613900000001".into(),
            waited: Duration::from_secs(3),
            ivr_path: vec![],
            ivr_vars: vec![],
            citizen_hint: None,
            callback: false,
            consulted_by: None,
        }
    }

    #[test]
    fn a_transferred_call_stays_visible_to_both_agents() {
        let now = Instant::now();
        let call = CallId::new();
        let mut reg = AccessRegistry::default();
        reg.record_offer(&offer("agent1", call), 0, now);
        reg.record_offer(&offer("agent2", call), 1, now);
        assert!(reg.offered_to(call, &"agent1".into(), now).is_some());
        assert!(reg.offered_to(call, &"agent2".into(), now).is_some());
        assert!(reg.offered_to(call, &"agent3".into(), now).is_none());
        assert!(reg
            .offered_to(call, &"agent1".into(), now + CALL_GRANT)
            .is_none());
    }

    #[test]
    fn search_grants_expire_sooner_than_call_grants() {
        let now = Instant::now();
        let mut reg = AccessRegistry::default();
        let search = GrantVia::Search {
            terms: SearchTerms::under_key(b"a test key, 16+ bytes", "wang"),
            reason: "caller asked".into(),
        };
        reg.grant_citizen("agent1", CitizenId(1), search.clone(), now);
        reg.grant_citizen("agent1", CitizenId(2), GrantVia::Call(CallId::new()), now);
        let later = now + SEARCH_GRANT + Duration::from_secs(1);
        assert_eq!(reg.citizen_grant("agent1", CitizenId(1), now), Some(search));
        assert_eq!(reg.citizen_grant("agent1", CitizenId(1), later), None);
        assert!(reg.citizen_grant("agent1", CitizenId(2), later).is_some());
        assert_eq!(reg.citizen_grant("agent2", CitizenId(2), now), None);
    }
}
