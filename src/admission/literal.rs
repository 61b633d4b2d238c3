//! The policy's values as the guards carry them: CEL literals in `spec.variables` named after the
//! policy ConfigMap's keys, and the fingerprint a probe compares.

use serde_json::Value;

use super::build::{annotation, variable};
use crate::cel;
use crate::duration::{format_duration, parse_duration};
use crate::policy::{Policy, approval_name};
use crate::state::{annotations as ann, policy_keys as key};

/// One policy value as the guards carry it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Switch(bool),
    Duration(std::time::Duration),
    Text(String),
    List(Vec<String>),
}

impl Literal {
    pub(super) fn cel(&self) -> String {
        match self {
            Literal::Switch(on) => on.to_string(),
            Literal::Duration(d) => format!("duration({})", cel::string(&format_duration(*d))),
            Literal::Text(text) => cel::string(text),
            Literal::List(items) => cel::list(items),
        }
    }

    /// Reads back what [`Literal::cel`] writes, shaped like `like`; `None` for anything else.
    pub(super) fn parse(expression: &str, like: &Literal) -> Option<Literal> {
        let expression = expression.trim();
        match like {
            Literal::Switch(_) => match expression {
                "true" => Some(Literal::Switch(true)),
                "false" => Some(Literal::Switch(false)),
                _ => None,
            },
            Literal::Duration(_) => {
                let inner = expression.strip_prefix("duration(")?.strip_suffix(')')?;
                parse_duration(&cel::parse_string(inner)?).ok().map(Literal::Duration)
            }
            Literal::Text(_) => cel::parse_string(expression).map(Literal::Text),
            Literal::List(_) => cel::parse_list(expression).map(Literal::List),
        }
    }

    /// The value as the policy ConfigMap spells it under `key`.
    pub(super) fn show(&self, key: &str) -> String {
        match self {
            Literal::Switch(on) if key == key::GUARDRAILS => if *on { "on" } else { "off" }.into(),
            Literal::Switch(on) => on.to_string(),
            Literal::Duration(d) => format_duration(*d),
            Literal::Text(text) => text.clone(),
            Literal::List(items) => items.join(","),
        }
    }
}

/// The policy's values, each under its ConfigMap key (the guards' variable names).
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
        (key::GUARDRAILS, Literal::Switch(policy.guardrails)),
        (key::API_AUDIENCES, Literal::List(policy.api_audiences.clone())),
    ]
}

/// The variable holding the fingerprint of the policy a guard enforces.
pub(super) const FINGERPRINT: &str = "fingerprint";

impl Literal {
    /// The literal as CEL's `string()` (or `join`) spells its value: what the guard's
    /// fingerprint expression makes of it.
    pub(super) fn as_cel_string(&self) -> String {
        match self {
            Literal::Switch(on) => on.to_string(),
            Literal::Duration(d) => format!("{}s", d.as_secs()),
            Literal::Text(text) => text.clone(),
            Literal::List(items) => items.join(","),
        }
    }

    /// CEL that turns the variable `name` holding this literal into that string.
    pub(super) fn to_cel_string(&self, name: &str) -> String {
        match self {
            Literal::Switch(_) | Literal::Duration(_) => format!("string(variables.{name})"),
            Literal::Text(_) => format!("variables.{name}"),
            Literal::List(_) => format!("variables.{name}.join(',')"),
        }
    }
}

/// The policy's values as one line, `key=value;…`: what a probe names to learn whether the API
/// server runs a guard carrying exactly these values. The guard computes the same line from the
/// literals it holds (never from a stored copy), so a guard whose literals were edited answers a
/// probe of the written policy as stale until the written guard is in force.
pub fn fingerprint(policy: &Policy) -> String {
    let parts: Vec<String> = literals(policy).iter().map(|(k, l)| format!("{k}={}", l.as_cel_string())).collect();
    parts.join(";")
}

/// CEL computing [`fingerprint`] from the guard's own literal variables.
pub(super) fn fingerprint_expression(policy: &Policy) -> String {
    let parts: Vec<String> = literals(policy).iter().map(|(k, l)| format!("'{k}=' + {}", l.to_cel_string(k))).collect();
    format!("[{}].join(';')", parts.join(", "))
}

/// The variables every guard starts with: the policy's literals, the fingerprint, and whether the
/// object is a probe of this guard.
pub(super) fn policy_variables(guard: &str, policy: &Policy) -> Vec<Value> {
    let mut variables: Vec<Value> = literals(policy).iter().map(|(k, l)| variable(k, l.cel())).collect();
    variables.push(variable(FINGERPRINT, fingerprint_expression(policy)));
    variables.push(variable(
        "probe",
        format!("request.operation == 'CREATE' && ({}) == {}", annotation("object", ann::PROBE), cel::string(guard)),
    ));
    variables
}
