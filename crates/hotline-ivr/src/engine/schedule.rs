//! `[[schedule]]`: goes on at `open`, `closed` or `holiday` by the
//! opening hours and calendar at the call's wall-clock time (the answer
//! time plus the `Instant`s elapsed since). Instant: it never waits.

use std::time::Instant;

use crate::schedule::{Schedule, ScheduleState};
use crate::script::NodeIndex;

use super::Ivr;

impl Ivr {
    pub(super) fn enter_schedule(
        &mut self,
        now: Instant,
        schedule: &Schedule,
        open: NodeIndex,
        closed: NodeIndex,
        holiday: NodeIndex,
    ) -> Option<NodeIndex> {
        Some(match schedule.state_at(self.wall_clock(now)) {
            ScheduleState::Open => open,
            ScheduleState::Closed => closed,
            ScheduleState::Holiday => holiday,
        })
    }
}
