#![no_main]
//! The policy ConfigMap's data, one `key=value` per line: never a panic, and a policy that parses
//! is written back to data that parses to the same policy.

use std::collections::BTreeMap;

use kubectl_supportaccess::state::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let data: BTreeMap<String, String> = text
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if let Ok(policy) = Policy::from_data(&data) {
        let mut again = Policy::from_data(&policy.to_data()).expect("written data parses");
        again.updated_at = policy.updated_at.map(|_| again.updated_at.unwrap());
        assert_eq!(again.enabled, policy.enabled);
        assert_eq!(again.enabled_roles, policy.enabled_roles);
        assert_eq!(again.max_duration.as_secs(), policy.max_duration.as_secs());
        assert_eq!(again.credential_ttl.as_secs(), policy.credential_ttl.as_secs());
    }
});
