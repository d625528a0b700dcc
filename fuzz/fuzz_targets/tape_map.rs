//! Fuzz target: the catalog on tape (`segcopy::catalog::tape_map`): decode
//! never panics, and whatever decodes encodes to a map that decodes to the
//! same thing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use segcopy::catalog::tape_map::{decode, encode};

fuzz_target!(|data: &[u8]| {
    if let Ok(map) = decode(data) {
        let again = encode(&map, 0).expect("a decoded map encodes");
        assert_eq!(decode(&again).expect("an encoded map decodes"), map);
    }
});
