//! Hotline's call core, as sans-IO state machines: `handle(now, input)`,
//! `poll_output()`, `poll_timeout()`; the binary's drivers do the I/O and
//! feed the results back as inputs, so the cores never await and are tested
//! on simulated time.
//!
//! Owns, so far: the **callback list's scheduler** ([`callbacks`]), which
//! decides when each promise to call a citizen back is handed to the ACD
//! (opening hours, retries, a window, a supervisor's cancel or new
//! priority) and what each attempt's outcome makes of it. The life of one
//! call (today in `crates/hotline/src/call.rs`) is to move here next
//! (issue 12).
//!
//! Must not touch: sockets, the database, the clock. It depends on
//! `hotline-store` for the callback list's record types only, and on
//! `hotline-ivr` for opening hours.

pub mod callbacks;

pub use callbacks::{Input, Outcome, Output, Policy, Scheduler};
