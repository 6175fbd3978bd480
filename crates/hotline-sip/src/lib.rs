//! SIP signaling layer.
