//! Login attempt limits: one token bucket per source address and one per
//! login name, each refilled at `per_minute` tokens a minute. An attempt
//! needs a token from both; a refused attempt takes none. Time comes in as
//! `now`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Above this many buckets, full ones (which hold no information) are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Token buckets by key (`ip:...`, `login:...`).
#[derive(Debug)]
pub(crate) struct LoginLimiter {
    capacity: f64,
    per_second: f64,
    buckets: HashMap<String, Bucket>,
}

impl LoginLimiter {
    pub(crate) fn new(per_minute: u32) -> Self {
        let capacity = f64::from(per_minute.max(1));
        Self {
            capacity,
            per_second: capacity / 60.0,
            buckets: HashMap::new(),
        }
    }

    fn level(&self, key: &str, now: Instant) -> f64 {
        match self.buckets.get(key) {
            Some(b) => {
                let refill =
                    now.saturating_duration_since(b.updated).as_secs_f64() * self.per_second;
                (b.tokens + refill).min(self.capacity)
            }
            None => self.capacity,
        }
    }

    /// Takes one attempt from every key's bucket, or none and says how long
    /// to wait until all of them have one.
    pub(crate) fn attempt(&mut self, keys: &[String], now: Instant) -> Result<(), Duration> {
        let levels: Vec<f64> = keys.iter().map(|k| self.level(k, now)).collect();
        let shortfall = levels
            .iter()
            .map(|l| (1.0 - l).max(0.0))
            .fold(0.0f64, f64::max);
        if shortfall > 0.0 {
            return Err(Duration::from_secs_f64(shortfall / self.per_second));
        }
        if self.buckets.len() > PRUNE_ABOVE {
            let capacity = self.capacity;
            let per_second = self.per_second;
            self.buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.updated).as_secs_f64() * per_second
                    < capacity
            });
        }
        for (key, level) in keys.iter().zip(levels) {
            self.buckets.insert(
                key.clone(),
                Bucket {
                    tokens: level - 1.0,
                    updated: now,
                },
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_a_minute_then_one_every_six_seconds() {
        let t0 = Instant::now();
        let mut limiter = LoginLimiter::new(10);
        let keys = vec!["ip:10.0.0.1".to_owned(), "login:agent1".to_owned()];
        for _ in 0..10 {
            assert!(limiter.attempt(&keys, t0).is_ok());
        }
        let wait = limiter.attempt(&keys, t0).unwrap_err();
        assert_eq!(wait.as_secs_f64().round(), 6.0);
        assert!(limiter.attempt(&keys, t0 + Duration::from_secs(6)).is_ok());
        assert!(limiter.attempt(&keys, t0 + Duration::from_secs(6)).is_err());
    }

    #[test]
    fn a_refused_attempt_costs_the_other_key_nothing() {
        let t0 = Instant::now();
        let mut limiter = LoginLimiter::new(2);
        let ip = "ip:10.0.0.1".to_owned();
        for login in ["login:a", "login:b"] {
            assert!(limiter.attempt(&[ip.clone(), login.into()], t0).is_ok());
        }
        assert!(limiter
            .attempt(&[ip.clone(), "login:c".into()], t0)
            .is_err());
        // login:c was not charged: from another address it has both tokens.
        for _ in 0..2 {
            assert!(limiter
                .attempt(&["ip:10.0.0.2".into(), "login:c".into()], t0)
                .is_ok());
        }
    }
}
