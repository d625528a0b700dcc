//! The `segcopy` command.
fn main() {}
