//! RTP media engine: G.711, prompt playback, RFC 4733 DTMF, bridging, recording. (Issue 3: not built yet.)
