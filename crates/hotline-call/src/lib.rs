//! Hotline's call core, as sans-IO state machines: `handle(now, input)`,
//! `poll_output()`, `poll_timeout()`; the binary's drivers do the I/O and
//! feed the results back as inputs, so the cores never await and are tested
//! on simulated time.
//!
//! Owns:
//! - the **life of one incoming call** ([`call`]): answering, the IVR,
//!   waiting in a queue, agents' phones ringing, the conversation, hold,
//!   transfers, the end, in one [`call::Phase`];
//! - the **calls the hotline places** ([`outbound`]): a callback rings the
//!   agent first, then dials the citizen through the trunk the dial plan
//!   allows, and reports what the attempt came to;
//! - the **follow-up call** of a closed work order ([`follow_up`]): dials
//!   the reporter through the same trunk, runs the follow-up script (the
//!   request's reference, satisfaction 1-5) and reports the score or why
//!   there is none;
//! - the **ACD desk** ([`desk`]): the ACD core and the bookkeeping of the
//!   calls it holds (who serves each, the screen-pop data, which offer to
//!   an agent is live, agents' "since", wrap-up deadlines);
//! - the **dial plan** ([`dialplan`]): which numbers the hotline may ever
//!   call, and how often a day (toll-fraud protection);
//! - the **media decisions** every leg shares ([`media`]): our SDP, SRTP
//!   keys, leg parameters, whose RTP is trusted;
//! - the **callback list's scheduler** ([`callbacks`]), which decides when
//!   each promise to call a citizen back is handed to the ACD (opening
//!   hours, retries, a window, a supervisor's cancel or new priority) and
//!   what each attempt's outcome makes of it.
//!
//! Must not touch: sockets, the database, the clock. It uses the SIP,
//! media, IVR and ACD crates for their types and pure functions, and
//! `hotline-store` for the callback list's record types only.

pub mod call;
pub mod callbacks;
pub mod desk;
pub mod dialplan;
pub mod follow_up;
pub mod media;
pub mod outbound;
mod placed;

pub use callbacks::{Input, Outcome, Output, Policy, Scheduler};
