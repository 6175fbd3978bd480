//! One simulated citizen: calls the hotline with the project's own UAC and
//! a media leg of its own, presses the keys of its path through the menu
//! (RFC 4733), waits (and, if impatient, hangs up), talks with real audio
//! once an agent answers, checks that the agent's key came through the
//! hotline's bridge, answers the survey, and classifies how the call ended.
//!
//! One task owns one call; SIP events, the agent's notes and the media leg
//! feed it through channels.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use hotline_media::{LegParams, MediaEvent};
use hotline_sip::transport::Command;
use hotline_sip::{Codec, Direction, EndedBy, Event, LocalMedia, OutgoingCall};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::agent::MARKER_KEY;
use super::report::Tally;
use super::{media_codec, Note, Shared, DEAD_MEDIA_AFTER};

/// Below this much talk time the agent's key may not have been sent yet.
const MARKER_CHECK_AFTER: Duration = Duration::from_secs(3);
/// The survey key is pressed again this long after, if the hotline has not
/// said goodbye yet (a key lost on a saturated network, or pressed while
/// the IVR was not yet listening), at most `SURVEY_TRIES` times.
const SURVEY_AGAIN_AFTER: Duration = Duration::from_secs(5);
const SURVEY_TRIES: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// INVITE sent, not answered.
    Calling,
    /// In the menus (pressing keys) or waiting in a queue.
    Menus,
    Talking,
    /// The agent hung up: the survey.
    AfterAgent,
}

/// Why we hung up (if we did).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OurHangup {
    Patience,
    DoneTalking,
    DeadMedia,
    RunOver,
}

/// Runs caller number `n` to the end of its call.
pub async fn run(n: u64, shared: Arc<Shared>, seed: u64, mut stop: watch::Receiver<bool>) {
    let tally = shared.tally.clone();
    let number = format!("139{:08}", n % 100_000_000);
    let mut rng = StdRng::seed_from_u64(seed);
    let plan = &shared.plan;
    let keys = plan.keys.draw(&mut rng);
    let patience = rng
        .gen_bool(plan.abandon_share)
        .then(|| plan.patience.sample(&mut rng));
    let mut leg = match shared.media.allocate_leg() {
        Ok(leg) => leg,
        Err(e) => {
            tracing::warn!(error = %e, "no local RTP port for a simulated caller: raise --rtp-ports");
            return;
        }
    };
    let (notes_tx, mut notes) = mpsc::unbounded_channel();
    shared.listen(&number, notes_tx);
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let outgoing = OutgoingCall {
        target: format!("sip:{}@{}", shared.number, shared.sip.hotline.addr),
        peer: shared.sip.hotline,
        from_user: number.clone(),
        from_display: None,
        local_media: LocalMedia {
            rtp: leg.local_addr(),
            codecs: vec![Codec::Pcmu, Codec::Pcma],
            telephone_event_pt: Some(101),
            direction: Direction::SendRecv,
            session_id: rng.gen::<u32>().into(),
            version: 1,
            crypto: None,
        },
    };
    Tally::add(&tally.placed);
    tally.active.fetch_add(1, Ordering::Relaxed);
    let Some(handle) = shared.sip.place(outgoing, events_tx).await else {
        tally.active.fetch_sub(1, Ordering::Relaxed);
        shared.forget(&number);
        return;
    };

    let mut phase = Phase::Calling;
    let mut next_key = 0;
    let mut key_at: Option<Instant> = None;
    let mut patience_at: Option<Instant> = None;
    let mut hangup_at: Option<Instant> = None;
    let mut survey_at: Option<Instant> = None;
    let mut survey_tries = 0;
    let mut talking_since: Option<Instant> = None;
    let mut marker_heard = false;
    let mut our_hangup: Option<OurHangup> = None;
    let mut run_over = false;
    let hang_up = |why: OurHangup, our: &mut Option<OurHangup>| {
        if our.is_none() {
            *our = Some(why);
            shared.sip.send(Command::Hangup(handle));
        }
    };

    loop {
        let next = [key_at, patience_at, hangup_at, survey_at]
            .into_iter()
            .flatten()
            .min();
        let timer = async {
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            changed = stop.changed(), if !run_over => {
                if changed.is_err() || *stop.borrow() {
                    run_over = true;
                    hang_up(OurHangup::RunOver, &mut our_hangup);
                }
            }
            event = events.recv() => match event {
                Some(Event::OutgoingAnswered { remote_media, .. }) => {
                    Tally::add(&tally.answered);
                    phase = Phase::Menus;
                    if let Some(media) = remote_media {
                        let mut params = LegParams::new(
                            media.remote_rtp,
                            media_codec(media.codec),
                            media.telephone_event_pt,
                        );
                        params.dead_media_after = Some(DEAD_MEDIA_AFTER);
                        let _ = leg.start(params);
                    }
                    match keys.first() {
                        None => patience_at = patience.map(|p| Instant::now() + p),
                        Some(first) => {
                            key_at = Some(
                                Instant::now() + plan.key_gap.sample(&mut rng) + first.extra_wait,
                            );
                        }
                    }
                }
                Some(Event::OutgoingFailed { status, .. }) => {
                    if !run_over {
                        tally.fail(if status == 408 {
                            "no answer from the hotline (408)".to_owned()
                        } else {
                            format!("INVITE answered {status}")
                        });
                    }
                }
                Some(Event::CallEnded { by, .. }) => {
                    let outcome = match (phase, by, our_hangup) {
                        (_, _, Some(OurHangup::RunOver)) => Outcome::CutAtEnd,
                        (_, _, Some(OurHangup::DeadMedia)) => Outcome::Failed,
                        (Phase::Calling, _, _) => Outcome::Failed,
                        (Phase::Menus, _, Some(OurHangup::Patience)) => Outcome::Abandoned,
                        (Phase::Menus, EndedBy::Remote, _) => Outcome::EndedBeforeAgent,
                        (Phase::Talking, EndedBy::Remote, None) => {
                            tally.fail("the hotline ended a call while the citizen talked to an agent");
                            Outcome::Failed
                        }
                        _ => Outcome::Completed,
                    };
                    if talking_since.is_some_and(|t| t.elapsed() >= MARKER_CHECK_AFTER) && !marker_heard {
                        tally.fail("the agent's key never reached the citizen (media bridge)");
                    }
                    record(&tally, outcome);
                    break;
                }
                Some(_) => {}
                None => break,
            },
            note = notes.recv() => match note {
                Some(Note::Connected { caller_hangs_up_after }) if phase == Phase::Menus => {
                    phase = Phase::Talking;
                    Tally::add(&tally.reached_agent);
                    patience_at = None;
                    key_at = None;
                    talking_since = Some(Instant::now());
                    let _ = leg.stop_playback();
                    let _ = leg.start_music(shared.caller_voice.clone());
                    hangup_at = caller_hangs_up_after.map(|talk| Instant::now() + talk);
                }
                Some(Note::AgentHungUp) if phase == Phase::Talking => {
                    phase = Phase::AfterAgent;
                    hangup_at = None;
                    let _ = leg.stop_music();
                    survey_at = Some(Instant::now() + plan.key_gap.sample(&mut rng));
                }
                _ => {}
            },
            Some(event) = leg.next_event() => match event {
                MediaEvent::Dtmf { key, .. } if key == MARKER_KEY && phase == Phase::Talking => {
                    marker_heard = true;
                }
                MediaEvent::DeadMedia { silent_for } if our_hangup.is_none() => {
                    tally.fail(format!("no RTP from the hotline for {} s", silent_for.as_secs()));
                    hang_up(OurHangup::DeadMedia, &mut our_hangup);
                }
                _ => {}
            },
            _ = timer => {
                let now = Instant::now();
                if key_at.is_some_and(|at| at <= now) {
                    key_at = None;
                    if let Some(press) = keys.get(next_key) {
                        let _ = leg.send_dtmf(&press.key.to_string(), Duration::from_millis(120));
                        next_key += 1;
                    }
                    if let Some(press) = keys.get(next_key) {
                        key_at = Some(now + plan.key_gap.sample(&mut rng) + press.extra_wait);
                    } else {
                        // The last key: from here on the caller waits.
                        patience_at = patience.map(|p| now + p);
                    }
                }
                if patience_at.is_some_and(|at| at <= now) {
                    patience_at = None;
                    if phase == Phase::Menus {
                        hang_up(OurHangup::Patience, &mut our_hangup);
                    }
                }
                if hangup_at.is_some_and(|at| at <= now) {
                    hangup_at = None;
                    hang_up(OurHangup::DoneTalking, &mut our_hangup);
                }
                if survey_at.is_some_and(|at| at <= now) {
                    survey_at = None;
                    let score = char::from(b'1' + rng.gen_range(0..5u8));
                    if leg.send_dtmf(&score.to_string(), Duration::from_millis(120)).is_ok()
                        && survey_tries == 0
                    {
                        Tally::add(&tally.surveys);
                    }
                    survey_tries += 1;
                    if survey_tries < SURVEY_TRIES {
                        survey_at = Some(now + SURVEY_AGAIN_AFTER);
                    }
                }
            }
        }
    }
    tally.active.fetch_sub(1, Ordering::Relaxed);
    shared.forget(&number);
    leg.close();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Completed,
    Abandoned,
    EndedBeforeAgent,
    CutAtEnd,
    Failed,
}

fn record(tally: &Tally, outcome: Outcome) {
    match outcome {
        Outcome::Completed => Tally::add(&tally.completed),
        Outcome::Abandoned => Tally::add(&tally.abandoned),
        Outcome::EndedBeforeAgent => Tally::add(&tally.ended_before_agent),
        Outcome::CutAtEnd => Tally::add(&tally.cut_at_end),
        // Counted by cause where it was seen.
        Outcome::Failed => {}
    }
}
