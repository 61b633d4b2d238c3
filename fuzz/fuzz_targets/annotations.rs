#![no_main]
//! A request's record (labels and annotations of its binding) and the API server's Forbidden
//! messages: never a panic; a record that parses is consistent.

use std::collections::BTreeMap;

use kubectl_supportaccess::base::error::Error;
use kubectl_supportaccess::state::record::Grant;
use kubectl_supportaccess::state::{REQUEST_ID_LABEL, ROLE_LABEL, annotations as ann};
use libfuzzer_sys::fuzz_target;

const KEYS: [&str; 8] = [
    REQUEST_ID_LABEL,
    ROLE_LABEL,
    ann::REQUESTOR,
    ann::REASON,
    ann::REQUESTED_AT,
    ann::EXPIRES_AT,
    ann::CREDENTIAL_EXPIRES_AT,
    ann::REQUESTED_BY,
];

fuzz_target!(|text: &str| {
    let mut fields = text.split('\u{1f}');
    let mut labels = BTreeMap::new();
    let mut annotations = BTreeMap::new();
    for (i, key) in KEYS.iter().enumerate() {
        let Some(value) = fields.next() else { break };
        if value == "\u{0}" {
            continue; // absent
        }
        let map = if i < 2 { &mut labels } else { &mut annotations };
        map.insert(key.to_string(), value.to_string());
    }
    if let Ok(grant) = Grant::from_metadata("crusoe-support-x", None, &labels, &annotations) {
        assert!(grant.expires_at >= grant.requested_at);
        assert!(!grant.reason.is_empty() && !grant.requestor.is_empty());
    }
    let error = Error::forbidden(text);
    assert!(error.message.starts_with("forbidden: "));
});
