//! An outbound trunk that answers nothing: a UDP socket that tells whether
//! anything (an INVITE) reached it, for tests that the hotline dials out
//! to nobody.

use std::net::UdpSocket;
use std::time::Duration;

/// The outbound trunk: a socket that reports whether anything reached it.
pub struct Trunk {
    socket: UdpSocket,
    pub port: u16,
}

impl Trunk {
    pub fn new() -> Self {
        // The port is the one the kernel gives this socket: choosing a free
        // port first and binding it after leaves a window in which a
        // parallel test's process can take it (CI saw AddrInUse here).
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind the trunk");
        let port = socket.local_addr().expect("the trunk's address").port();
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .expect("a timeout");
        Self { socket, port }
    }

    pub fn outbound_uri(&self) -> String {
        format!("sip:{{number}}@127.0.0.1:{}", self.port)
    }

    pub fn received_anything(&self) -> bool {
        let mut buf = [0u8; 2048];
        self.socket.recv_from(&mut buf).is_ok()
    }
}
