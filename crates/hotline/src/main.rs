//! The `hotline` binary.
fn main() {}
