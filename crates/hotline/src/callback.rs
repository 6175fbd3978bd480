//! The driver of a callback: `hotline_call::outbound::Callback` run by the
//! same driver as an incoming call (`crate::call::drive`).
//!
//! A caller who pressed 1 while queued, or asked after hours, keeps their
//! place. When their turn comes the ACD offers the entry like a call; the
//! ACD task then starts this task in place of the (ended) call task, under
//! the original call's id. The core rings the agent first, then dials the
//! citizen through the configured trunk (`sip.outbound_uri`) if the dial
//! plan allows the number today, and bridges them; its outcome goes to the
//! callback list.

use std::sync::Arc;
use std::time::Instant;

use hotline_call::call::Input;
use hotline_call::outbound::{Callback, Trunk};
use hotline_sip::{Peer, Transport};
use hotline_types::CallId;
use tokio::sync::mpsc;
use tracing::warn;

use crate::call::{drive, CallContext, CallInput};
use crate::config::Outbound;

/// A callback to place: the original call, the number, and the channel the
/// ACD task already sends this call's orders to.
#[derive(Debug)]
pub struct CallbackJob {
    pub call: CallId,
    pub number: String,
    /// The language the citizen chose in the IVR, if known.
    pub language: Option<String>,
    pub inputs: mpsc::UnboundedSender<CallInput>,
    pub orders: mpsc::UnboundedReceiver<CallInput>,
}

/// The outbound trunk as the callback core sees it.
pub fn trunk(context: &CallContext, outbound: Outbound) -> Trunk {
    let plan = context.dial_plan.clone();
    let peer = Peer {
        transport: if outbound.tcp {
            Transport::Tcp
        } else {
            Transport::Udp
        },
        addr: outbound.addr,
        connection: None,
    };
    Trunk {
        peer,
        target: Arc::new(move |number: &str| outbound.target(number)),
        permit: Arc::new(move |number: &str| {
            plan.permit(number, today())
                .map_err(|refusal| refusal.as_str())
        }),
        from: context.hotline_number.clone(),
    }
}

/// The script a citizen hears on a callback (`ivr_scripts/callback.toml`).
pub const CALLBACK_SCRIPT: &str = "callback";

/// Runs one callback to its end.
pub async fn run_callback(context: Arc<CallContext>, trunk: Arc<Trunk>, job: CallbackJob) {
    let CallbackJob {
        call,
        number,
        language,
        inputs,
        orders,
    } = job;
    let id = CallId::new();
    let _ = context
        .dispatcher
        .send(crate::controller::ControlCommand::Watch(inputs.clone()));
    let mut callback = Callback::new(context.core.get(), trunk, call, id, number, Instant::now());
    // The citizen hears who is calling before the agent (and the survey
    // after): `callback.toml`, if the scripts folder has it.
    match context.scripts.script(CALLBACK_SCRIPT) {
        Ok(script) => callback = callback.with_script(script, language),
        Err(e) => {
            warn!(%call, error = %e, "no callback script: the citizen is put through to the agent at once");
        }
    }
    drive(
        context,
        callback,
        id,
        None,
        (inputs, orders),
        Input::Terminate,
    )
    .await;
}

/// Today, as days since the Unix epoch in UTC (the dial plan's day).
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs / 86_400).unwrap_or(0)
}
