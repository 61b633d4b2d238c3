#![no_main]
//! Cluster-held text on its way to a terminal: what is shown never holds a control character or a
//! bidirectional mark, and text that holds none of them is shown as it is.

use std::borrow::Cow;

use kubectl_supportaccess::output::{disturbs_terminal, terminal};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let shown = terminal(text);
    assert!(!shown.bytes().any(|b| b < 0x20 || b == 0x7f), "a C0 control or DEL in {shown:?}");
    assert!(!shown.chars().any(disturbs_terminal), "a control or bidi code point in {shown:?}");
    if text.chars().any(disturbs_terminal) {
        assert!(shown.len() > text.len());
    } else {
        assert!(matches!(shown, Cow::Borrowed(unchanged) if unchanged == text));
    }
});
