#![no_main]
//! Durations as the policy ConfigMap and the command line hold them: never a panic, and what
//! parses formats back to the same number of whole seconds.

use kubectl_supportaccess::base::duration::{format_duration, parse_duration};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(duration) = parse_duration(text) {
        let again = parse_duration(&format_duration(duration)).expect("a formatted duration parses");
        assert_eq!(again.as_secs(), duration.as_secs());
    }
});
