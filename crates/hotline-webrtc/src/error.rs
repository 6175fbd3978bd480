//! The crate's one error type.

/// What went wrong with a WebRTC leg's signalling or session.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebRtcError {
    /// The browser's SDP could not be parsed or applied.
    #[error("bad SDP from the browser: {reason}")]
    BadSdp {
        /// What the stack said about it.
        reason: String,
    },
    /// The SDP has no audio section.
    #[error("the SDP has no audio section")]
    NoAudio,
    /// The browser offered or answered no codec the leg has (PCMU, Opus).
    #[error("no common audio codec: the browser offered {offered}")]
    NoCommonCodec {
        /// The codecs the browser listed, as `name/rate` separated by spaces.
        offered: String,
    },
    /// The call came in a state where it makes no sense (an answer with no
    /// offer outstanding, a renegotiation before the first answer).
    #[error("{call} is not possible now: {reason}")]
    WrongState {
        /// The method called.
        call: &'static str,
        /// Why not.
        reason: String,
    },
    /// The DTLS handshake failed (a fingerprint mismatch, a bad certificate).
    #[error("DTLS failed: {reason}")]
    Dtls {
        /// What the stack said about it.
        reason: String,
    },
    /// The Opus codec could not be set up.
    #[error("Opus: {reason}")]
    Opus {
        /// What libopus said about it.
        reason: String,
    },
    /// Any other failure of the WebRTC stack while building or negotiating.
    #[error("WebRTC stack: {reason}")]
    Stack {
        /// What the stack said about it.
        reason: String,
    },
}

impl WebRtcError {
    pub(crate) fn stack(error: impl std::fmt::Display) -> Self {
        WebRtcError::Stack {
            reason: error.to_string(),
        }
    }

    pub(crate) fn bad_sdp(error: impl std::fmt::Display) -> Self {
        WebRtcError::BadSdp {
            reason: error.to_string(),
        }
    }
}
