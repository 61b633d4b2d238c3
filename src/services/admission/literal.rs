//! The policy's values as the guards carry them: CEL literals in place of each `variables.<key>`
//! the guard's expressions read (named after the policy ConfigMap's keys), and the fingerprint a
//! probe compares, which names exactly the values a guard carries.

use serde_json::json;

use crate::base::duration::{format_duration, parse_duration};
use crate::services::admission::cel;
use crate::state::policy::{Policy, approval_name, identity_name};
use crate::state::policy_keys as key;

/// One policy value as the guards carry it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Switch(bool),
    Duration(std::time::Duration),
    Count(u8),
    Text(String),
    List(Vec<String>),
}

impl Literal {
    pub(super) fn cel(&self) -> String {
        match self {
            Literal::Switch(on) => on.to_string(),
            Literal::Duration(d) => format!("duration({})", cel::string(&format_duration(*d))),
            Literal::Count(n) => n.to_string(),
            Literal::Text(text) => cel::string(text),
            Literal::List(items) => cel::list(items),
        }
    }

    /// Reads one literal shaped like `self` as [`Literal::cel`] writes it at the start of `text`;
    /// returns it and the rest.
    fn parse_prefix<'a>(&self, text: &'a str) -> Option<(Literal, &'a str)> {
        match self {
            Literal::Switch(_) => match text.strip_prefix("true") {
                Some(rest) => Some((Literal::Switch(true), rest)),
                None => text.strip_prefix("false").map(|rest| (Literal::Switch(false), rest)),
            },
            Literal::Duration(_) => {
                let (spelled, rest) = cel::parse_string_prefix(text.strip_prefix("duration(")?)?;
                Some((Literal::Duration(parse_duration(&spelled).ok()?), rest.strip_prefix(')')?))
            }
            Literal::Count(_) => {
                let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
                Some((Literal::Count(text[..digits].parse().ok()?), &text[digits..]))
            }
            Literal::Text(_) => cel::parse_string_prefix(text).map(|(text, rest)| (Literal::Text(text), rest)),
            Literal::List(_) => cel::parse_list_prefix(text).map(|(items, rest)| (Literal::List(items), rest)),
        }
    }

    /// The value as the policy ConfigMap spells it under `key`.
    pub(super) fn show(&self, key: &str) -> String {
        match self {
            Literal::Switch(on) if key == key::GUARDRAILS => if *on { "on" } else { "off" }.into(),
            Literal::Switch(on) => on.to_string(),
            Literal::Duration(d) => format_duration(*d),
            Literal::Count(n) => n.to_string(),
            Literal::Text(text) => text.clone(),
            Literal::List(items) => items.join(","),
        }
    }
}

/// The policy's values, each under its ConfigMap key (the names the guards' expressions read).
pub(super) fn literals(policy: &Policy) -> Vec<(&'static str, Literal)> {
    vec![
        (key::ENABLED, Literal::Switch(policy.enabled)),
        (key::ENABLED_ROLES, Literal::List(policy.enabled_roles.iter().map(|r| r.name().to_string()).collect())),
        (key::MAX_DURATION, Literal::Duration(policy.max_duration)),
        (key::CREDENTIAL_TTL, Literal::Duration(policy.credential_ttl)),
        (key::SYSTEM_NAMESPACES, Literal::List(policy.system_namespaces.clone())),
        (key::OPERATOR_NAMESPACES, Literal::List(policy.operator_namespaces.clone())),
        (key::APPROVAL, Literal::Text(approval_name(policy.approval_required).into())),
        (key::PENDING_TTL, Literal::Duration(policy.pending_ttl)),
        (key::APPROVALS, Literal::Count(policy.approvals)),
        (key::REASON_PATTERN, Literal::Text(policy.reason_pattern.clone().unwrap_or_default())),
        (key::GUARDRAILS, Literal::Switch(policy.guardrails)),
        (key::API_AUDIENCES, Literal::List(policy.api_audiences.clone())),
        (key::CLUSTER_ROLES, Literal::List(policy.cluster_roles_spelled())),
        (key::IDENTITY, Literal::Text(identity_name(policy.own_identity).into())),
    ]
}

/// The name under which a guard's expressions read its fingerprint.
pub(super) const FINGERPRINT: &str = "fingerprint";

/// What stands for a policy value (or the fingerprint) in a guard's template (`build::template`):
/// a character no written guard contains (a CEL literal escapes every control character).
const MARK: char = '\u{1}';

pub(super) fn mark(key: &str) -> String {
    format!("{MARK}{key}{MARK}")
}

/// Reads a written expression against its template: each marked value in turn, as the literal the
/// written expression holds there (the fingerprint as text). `None` when the expression is not the
/// template with literals in place of its marks.
pub(super) fn read(template: &str, written: &str) -> Option<Vec<(String, Literal)>> {
    let shapes = literals(&Policy::default());
    let mut rest = written;
    let mut found = Vec::new();
    for (index, part) in template.split(MARK).enumerate() {
        if index % 2 == 0 {
            rest = rest.strip_prefix(part)?;
            continue;
        }
        let text = Literal::Text(String::new());
        let like = shapes.iter().find(|(key, _)| *key == part).map(|(_, like)| like).unwrap_or(&text);
        let (literal, after) = like.parse_prefix(rest)?;
        found.push((part.to_string(), literal));
        rest = after;
    }
    rest.is_empty().then_some(found)
}

/// The policy's values as one line, `key=value;…`: whether two policies are the same to the guards.
pub fn fingerprint(policy: &Policy) -> String {
    let parts: Vec<String> = literals(policy).iter().map(|(k, l)| format!("{k}={}", l.show(k))).collect();
    parts.join(";")
}

/// What a guard carries, as a probe names it: the policy ConfigMap it enforces and the values it
/// reads (ConfigMap spellings, in [`literals`] order), as JSON.
pub(super) fn carried_values(namespace: &str, values: &[(&str, &Literal)]) -> String {
    let values: Vec<[String; 2]> = values.iter().map(|(k, l)| [k.to_string(), l.show(k)]).collect();
    json!({ "namespace": namespace, "values": values }).to_string()
}

/// Reads back what [`carried_values`] writes: the namespace and each key's value.
pub(super) fn read_carried(text: &str) -> Option<(String, Vec<(String, String)>)> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Carried {
        namespace: String,
        values: Vec<(String, String)>,
    }
    let carried: Carried = serde_json::from_str(text).ok()?;
    Some((carried.namespace, carried.values))
}
