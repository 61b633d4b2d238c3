#![no_main]
//! Cobra completion input (the words kubectl passes): never a panic, always a directive last.

use kubectl_supportaccess::services::complete::complete;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let words: Vec<String> = text.split('\u{1f}').map(str::to_string).collect();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let completion = runtime.block_on(complete(&words, false));
    let rendered = completion.render();
    assert!(rendered.lines().last().is_some_and(|l| l.starts_with(':')));
});
