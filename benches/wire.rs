//! Criterion benches of the wire formats.
fn main() {}
