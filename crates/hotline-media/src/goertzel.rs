//! In-band DTMF detection (Goertzel), for gateways that send keys as tones only.
//!
//! Audio is cut into 102-sample blocks (12.75 ms at 8 kHz, bins 78 Hz wide,
//! narrower than the 73 Hz gap between DTMF rows once leakage is counted).
//! A block is a hit for a key when one row and one column tone carry most of
//! the block's energy, within the twist limits, with the other tones of the
//! same group well below. A key starts after three hit blocks in a row of
//! steady level (so about 40 ms of tone is needed and 20 ms is rejected) and
//! ends after two blocks without it; it is reported when it ends, with its
//! duration.

use std::collections::VecDeque;
use std::time::Duration;

use crate::dtmf::DtmfDigit;

const SAMPLE_RATE_HZ: f32 = 8000.0;
const BLOCK_LEN: usize = 102;
const ROWS_HZ: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS_HZ: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Share of the block energy the two tones must carry together.
const MIN_TONE_SHARE: f32 = 0.6;
/// Largest level difference between the row and column tone (8 dB).
const MAX_TWIST: f32 = 6.31;
/// Other tones of the same group must be this far below the strongest (8 dB).
const MIN_GROUP_MARGIN: f32 = 6.31;
/// Quietest block considered: RMS of about -50 dBFS.
const MIN_MEAN_SQUARE: f32 = 100.0 * 100.0;
/// Consecutive hit blocks may differ in energy by at most 3 dB.
const MAX_STEP: f32 = 2.0;
const HITS_TO_START: u32 = 3;
const MISSES_TO_END: u32 = 2;

/// Detects DTMF keys in 8 kHz linear audio.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    coeffs: [f32; 8],
    block: [f32; BLOCK_LEN],
    filled: usize,
    /// Samples consumed before the current block.
    block_start: u64,
    run_key: Option<char>,
    run_len: u32,
    run_start: u64,
    run_energy: f32,
    active: Option<ActiveKey>,
    digits: VecDeque<DtmfDigit>,
}

#[derive(Debug, Clone, Copy)]
struct ActiveKey {
    key: char,
    start: u64,
    last_hit_end: u64,
    misses: u32,
}

impl Default for DtmfDetector {
    fn default() -> Self {
        Self::new()
    }
}

impl DtmfDetector {
    /// A detector with no audio seen.
    pub fn new() -> Self {
        let mut coeffs = [0.0; 8];
        for (c, f) in coeffs.iter_mut().zip(ROWS_HZ.iter().chain(COLS_HZ.iter())) {
            *c = 2.0 * (2.0 * std::f32::consts::PI * f / SAMPLE_RATE_HZ).cos();
        }
        Self {
            coeffs,
            block: [0.0; BLOCK_LEN],
            filled: 0,
            block_start: 0,
            run_key: None,
            run_len: 0,
            run_start: 0,
            run_energy: 0.0,
            active: None,
            digits: VecDeque::new(),
        }
    }

    /// Feeds audio; finished keys come out of [`Self::poll_digit`].
    pub fn feed(&mut self, samples: &[i16]) {
        for s in samples {
            self.block[self.filled] = f32::from(*s);
            self.filled += 1;
            if self.filled == BLOCK_LEN {
                self.analyse_block();
                self.filled = 0;
                self.block_start += BLOCK_LEN as u64;
            }
        }
    }

    /// The next finished key.
    pub fn poll_digit(&mut self) -> Option<DtmfDigit> {
        self.digits.pop_front()
    }

    /// Whether a key is sounding right now (for barge-in before it ends).
    pub fn key_down(&self) -> Option<char> {
        self.active.map(|a| a.key)
    }

    fn analyse_block(&mut self) {
        let (hit, energy) = self.classify_block();
        let block_end = self.block_start + BLOCK_LEN as u64;
        match hit {
            Some(key)
                if self.run_key == Some(key)
                    && energy <= self.run_energy * MAX_STEP
                    && energy * MAX_STEP >= self.run_energy =>
            {
                self.run_len += 1;
            }
            Some(key) => {
                self.run_key = Some(key);
                self.run_len = 1;
                self.run_start = self.block_start;
            }
            None => {
                self.run_key = None;
                self.run_len = 0;
            }
        }
        self.run_energy = energy;

        match &mut self.active {
            Some(active) if hit == Some(active.key) => {
                active.last_hit_end = block_end;
                active.misses = 0;
            }
            Some(active) => {
                active.misses += 1;
                if active.misses >= MISSES_TO_END {
                    let samples = active.last_hit_end - active.start;
                    self.digits.push_back(DtmfDigit {
                        key: active.key,
                        duration: Duration::from_micros(samples * 125),
                    });
                    self.active = None;
                }
            }
            None => {}
        }
        if self.active.is_none() && self.run_len >= HITS_TO_START {
            if let Some(key) = self.run_key {
                self.active = Some(ActiveKey {
                    key,
                    start: self.run_start,
                    last_hit_end: block_end,
                    misses: 0,
                });
                // A key held down is one key: restart the run only after it ends.
                self.run_len = 0;
                self.run_key = None;
            }
        }
    }

    /// The key this block carries, if any, and the block's energy.
    fn classify_block(&self) -> (Option<char>, f32) {
        let energy: f32 = self.block.iter().map(|x| x * x).sum();
        if energy / (BLOCK_LEN as f32) < MIN_MEAN_SQUARE {
            return (None, energy);
        }
        // The eight filters run side by side over the block: independent
        // chains the CPU can pipeline (and the compiler vectorise), instead
        // of eight passes each waiting on its own previous step.
        let (mut s1, mut s2) = ([0.0f32; 8], [0.0f32; 8]);
        for x in &self.block {
            for k in 0..8 {
                let s0 = x + self.coeffs[k] * s1[k] - s2[k];
                s2[k] = s1[k];
                s1[k] = s0;
            }
        }
        let mut power = [0.0f32; 8];
        for k in 0..8 {
            power[k] = s1[k] * s1[k] + s2[k] * s2[k] - self.coeffs[k] * s1[k] * s2[k];
        }
        let (rows, cols) = power.split_at(4);
        let (row, row_power) = strongest(rows);
        let (col, col_power) = strongest(cols);
        // A pure tone of amplitude a gives power (a N / 2)^2 and energy a^2 N / 2.
        let share = 2.0 * (row_power + col_power) / (BLOCK_LEN as f32 * energy);
        let twist_ok = row_power <= col_power * MAX_TWIST && col_power <= row_power * MAX_TWIST;
        let group_ok = |group: &[f32], best: usize, best_power: f32| {
            group
                .iter()
                .enumerate()
                .all(|(i, p)| i == best || p * MIN_GROUP_MARGIN <= best_power)
        };
        if share >= MIN_TONE_SHARE
            && twist_ok
            && group_ok(rows, row, row_power)
            && group_ok(cols, col, col_power)
        {
            (Some(KEYS[row][col]), energy)
        } else {
            (None, energy)
        }
    }
}

fn strongest(powers: &[f32]) -> (usize, f32) {
    powers.iter().copied().enumerate().fold(
        (0, f32::MIN),
        |best, (i, p)| if p > best.1 { (i, p) } else { best },
    )
}
