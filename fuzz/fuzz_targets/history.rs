#![no_main]
//! The history ConfigMap's JSON lines: never a panic; lines that parse survive a rewrite; the
//! data stays bounded after an append.

use std::collections::BTreeMap;

use kubectl_supportaccess::state::history::{MAX_BYTES, append_lines, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let (month, lines) = text.split_once('\n').unwrap_or(("2026-11", text));
    let data = BTreeMap::from([(month.to_string(), lines.to_string())]);
    let (events, _unreadable) = parse(&data);
    let mut rewritten = BTreeMap::new();
    append_lines(&mut rewritten, &events);
    let (again, unreadable) = parse(&rewritten);
    assert!(unreadable.is_empty());
    let size: usize = rewritten.iter().map(|(k, v)| k.len() + v.len()).sum();
    assert!(size <= MAX_BYTES);
    if size < MAX_BYTES / 2 {
        assert_eq!(again, events);
    }
});
