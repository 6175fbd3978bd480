//! What `hotline simulate` draws at random, kept apart from any I/O so it
//! can be checked: durations from a configurable distribution, the arrival
//! times of callers (a Poisson process with an optional linear ramp), and
//! the keys each caller presses through the menu.
//!
//! Every function takes the random source as an argument; nothing here
//! reads the clock.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use rand::Rng;

/// A random duration: `5s` (fixed), `2s..8s` (uniform), `exp:30s`
/// (exponential with that mean, as waiting patience and talk times are
/// usually modelled).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Spread {
    Fixed(Duration),
    Uniform(Duration, Duration),
    Exponential { mean: Duration },
}

impl Spread {
    /// One draw. Exponential draws are capped at ten times the mean so a
    /// single caller cannot wait for hours.
    pub fn sample(&self, rng: &mut impl Rng) -> Duration {
        match *self {
            Spread::Fixed(d) => d,
            Spread::Uniform(low, high) if high > low => {
                low + (high - low).mul_f64(rng.gen_range(0.0..1.0))
            }
            Spread::Uniform(low, _) => low,
            Spread::Exponential { mean } => {
                let u: f64 = rng.gen_range(0.0..1.0);
                mean.mul_f64((-(1.0 - u).ln()).min(10.0))
            }
        }
    }
}

impl fmt::Display for Spread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Spread::Fixed(d) => write!(f, "{d:?}"),
            Spread::Uniform(low, high) => write!(f, "{low:?}..{high:?}"),
            Spread::Exponential { mean } => write!(f, "exp:{mean:?}"),
        }
    }
}

impl FromStr for Spread {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Some(mean) = text.strip_prefix("exp:") {
            return Ok(Spread::Exponential {
                mean: parse_duration(mean)?,
            });
        }
        if let Some((low, high)) = text.split_once("..") {
            let (low, high) = (parse_duration(low)?, parse_duration(high)?);
            if high < low {
                return Err(format!("{text:?}: the range ends before it starts"));
            }
            return Ok(Spread::Uniform(low, high));
        }
        Ok(Spread::Fixed(parse_duration(text)?))
    }
}

/// `500ms`, `1.5s`, `2m`, `1h`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 500ms, 1.5s or 2m"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("{text:?}: unknown unit {other:?} (ms, s, m, h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text:?}: {e}"))
}

/// Caller arrivals: a Poisson process at `per_minute`, its rate rising
/// linearly from zero over `ramp` (none: full rate at once).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrivals {
    pub per_minute: f64,
    pub ramp: Duration,
}

impl Arrivals {
    /// The rate (calls per second) at `t` after the start.
    pub fn rate_at(&self, t: Duration) -> f64 {
        let full = self.per_minute / 60.0;
        if self.ramp.is_zero() || t >= self.ramp {
            full
        } else {
            full * t.as_secs_f64() / self.ramp.as_secs_f64()
        }
    }

    /// The arrival after one at `after`, by thinning (Lewis and Shedler):
    /// candidates at the full rate, each kept with probability
    /// rate(t) / full rate. `None` when the rate is zero.
    pub fn next_after(&self, after: Duration, rng: &mut impl Rng) -> Option<Duration> {
        let full = self.per_minute / 60.0;
        if full.is_nan() || full <= 0.0 {
            return None;
        }
        let mut t = after.as_secs_f64();
        // Bounded: at the start of a ramp acceptance is rare, not impossible.
        for _ in 0..1_000_000 {
            let u: f64 = rng.gen_range(0.0..1.0);
            t += -(1.0 - u).ln() / full;
            let at = Duration::try_from_secs_f64(t).ok()?;
            if rng.gen_range(0.0..1.0) * full <= self.rate_at(at) {
                return Some(at);
            }
        }
        None
    }
}

/// The keys a caller presses, menu by menu: `1,2,1|2|3|4|0` presses 1, then
/// 2, then one of 1, 2, 3, 4 or 0 chosen at random for each caller. A step
/// `~12s` presses nothing but waits that long more before the next key:
/// a notice that no key interrupts, such as the shipped menu's recording
/// notice, whose keys would count for nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPath {
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// One of these keys.
    Key(Vec<char>),
    /// A pause before the next key.
    Wait(Duration),
}

/// One key of a caller's path and the pause before it beyond the key gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub extra_wait: Duration,
    pub key: char,
}

impl KeyPath {
    /// One caller's keys (a pause at the end has nothing to wait for).
    pub fn draw(&self, rng: &mut impl Rng) -> Vec<Press> {
        let mut out = Vec::new();
        let mut extra_wait = Duration::ZERO;
        for step in &self.steps {
            match step {
                Step::Wait(d) => extra_wait += *d,
                Step::Key(choices) if choices.is_empty() => {}
                Step::Key(choices) => {
                    out.push(Press {
                        extra_wait,
                        key: choices[rng.gen_range(0..choices.len())],
                    });
                    extra_wait = Duration::ZERO;
                }
            }
        }
        out
    }
}

impl FromStr for KeyPath {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(KeyPath { steps: Vec::new() });
        }
        let steps = text
            .split(',')
            .map(|step| {
                if let Some(wait) = step.trim().strip_prefix('~') {
                    return parse_duration(wait).map(Step::Wait);
                }
                step.split('|')
                    .map(|key| {
                        let key = key.trim();
                        let mut chars = key.chars();
                        match (chars.next(), chars.next()) {
                            (Some(c @ ('0'..='9' | '*' | '#' | 'A'..='D')), None) => Ok(c),
                            _ => Err(format!(
                                "{key:?} in {text:?} is not one key (0-9, *, #, A-D) nor a pause (~5s)"
                            )),
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Step::Key)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(KeyPath { steps })
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps: Vec<String> = self
            .steps
            .iter()
            .map(|step| match step {
                Step::Key(choices) => choices
                    .iter()
                    .map(char::to_string)
                    .collect::<Vec<_>>()
                    .join("|"),
                Step::Wait(d) if d.subsec_millis() == 0 => format!("~{}s", d.as_secs()),
                Step::Wait(d) => format!("~{}ms", d.as_millis()),
            })
            .collect();
        write!(f, "{}", steps.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn spreads_parse_and_stay_in_their_range() {
        let mut rng = StdRng::seed_from_u64(7);
        assert_eq!(
            "1.5s".parse(),
            Ok(Spread::Fixed(Duration::from_millis(1500)))
        );
        let uniform: Spread = "2s..8s".parse().expect("a range");
        for _ in 0..1000 {
            let d = uniform.sample(&mut rng);
            assert!(
                d >= Duration::from_secs(2) && d < Duration::from_secs(8),
                "{d:?}"
            );
        }
        let exp: Spread = "exp:30s".parse().expect("an exponential");
        let mean = (0..20_000)
            .map(|_| exp.sample(&mut rng).as_secs_f64())
            .sum::<f64>()
            / 20_000.0;
        assert!((mean - 30.0).abs() < 1.5, "mean {mean}");
        assert!("8s..2s".parse::<Spread>().is_err());
        assert!("5 parsecs".parse::<Spread>().is_err());
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn arrivals_come_at_the_asked_rate_after_the_ramp() {
        let mut rng = StdRng::seed_from_u64(11);
        let arrivals = Arrivals {
            per_minute: 120.0,
            ramp: Duration::from_secs(60),
        };
        let mut t = Duration::ZERO;
        let (mut in_ramp, mut after_ramp) = (0u32, 0u32);
        while let Some(next) = arrivals.next_after(t, &mut rng) {
            if next >= Duration::from_secs(660) {
                break;
            }
            if next < Duration::from_secs(60) {
                in_ramp += 1;
            } else {
                after_ramp += 1;
            }
            t = next;
        }
        // 10 minutes at 2/s: 1,200 expected (sd ≈ 35); the ramp's minute
        // averages half the rate: 60 expected (sd ≈ 8).
        assert!((1100..1300).contains(&after_ramp), "{after_ramp}");
        assert!((30..90).contains(&in_ramp), "{in_ramp}");
        let none = Arrivals {
            per_minute: 0.0,
            ramp: Duration::ZERO,
        };
        assert_eq!(none.next_after(Duration::ZERO, &mut rng), None);
    }

    #[test]
    fn key_paths_choose_one_key_per_step() {
        let mut rng = StdRng::seed_from_u64(3);
        let path: KeyPath = "1, 2, 1|2|3|4|0".parse().expect("a path");
        let mut last_keys = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let keys: Vec<char> = path.draw(&mut rng).iter().map(|p| p.key).collect();
            assert_eq!(&keys[..2], &['1', '2']);
            last_keys.insert(keys[2]);
        }
        assert_eq!(last_keys.into_iter().collect::<String>(), "01234");
        assert_eq!(path.to_string(), "1,2,1|2|3|4|0");
        assert!("1,22".parse::<KeyPath>().is_err());
        let none: KeyPath = "".parse().expect("no keys");
        assert!(none.draw(&mut rng).is_empty());
    }

    #[test]
    fn a_pause_step_delays_the_next_key() {
        let mut rng = StdRng::seed_from_u64(5);
        let path: KeyPath = "1,2, ~12s ,~500ms,3,~1s".parse().expect("a path");
        let keys = path.draw(&mut rng);
        let press = |extra_ms, key| Press {
            extra_wait: Duration::from_millis(extra_ms),
            key,
        };
        assert_eq!(keys, [press(0, '1'), press(0, '2'), press(12_500, '3')]);
        assert_eq!(path.to_string(), "1,2,~12s,~500ms,3,~1s");
        assert!("1,~soon".parse::<KeyPath>().is_err());
    }
}
