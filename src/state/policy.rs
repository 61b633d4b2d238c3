//! The policy ConfigMap (`support-access`): whether access is enabled, which roles, and limits.
//! Parsing fails closed: a key that does not parse is an error, never a default.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::base::error::Result;

use crate::base::duration::{format_duration, parse_duration};
use crate::state::roles::{AllowedClusterRole, Companion, GrantRole, Role, parse_cluster_roles, parse_roles};
use crate::state::{self, policy_keys as key};

/// The policy as stored in the `support-access` ConfigMap.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub enabled: bool,
    pub enabled_roles: Vec<Role>,
    #[serde(serialize_with = "serialize_duration")]
    pub max_duration: Duration,
    #[serde(rename = "credentialTTL", serialize_with = "serialize_duration")]
    pub credential_ttl: Duration,
    pub system_namespaces: Vec<String>,
    /// Namespaces where only operator requests get logs and debug (key `operatorNamespaces`).
    pub operator_namespaces: Vec<String>,
    /// Whether the `crusoe-support-guardrails` admission policy is wanted (key `guardrails`,
    /// `on` or `off`).
    pub guardrails: bool,
    /// Whether each request waits for the owner's approval (key `approval`, `none` or
    /// `required`).
    #[serde(serialize_with = "serialize_approval", rename = "approval")]
    pub approval_required: bool,
    /// Whether a request's record binds the requester's own user beside its ServiceAccount, and
    /// no token is made (key `identity`, `own` or `serviceaccount`).
    #[serde(serialize_with = "serialize_identity", rename = "identity")]
    pub own_identity: bool,
    /// How long a request waits for approval before it expires (key `pendingTTL`).
    #[serde(rename = "pendingTTL", serialize_with = "serialize_duration")]
    pub pending_ttl: Duration,
    /// How many distinct approvers a request and an extension need when approval is required
    /// (key `approvals`, 1 to 5).
    pub approvals: u8,
    /// The RE2 expression every request's reason must match (key `reasonPattern`); `None`: any.
    pub reason_pattern: Option<String>,
    /// How many lines the trail may hold before `get` warns (key `trailWarnLines`).
    pub trail_warn_lines: u64,
    /// The API server's own token audiences (key `apiAudiences`), learned by `enable`: a support
    /// token may carry no other. Empty (never learned) admits no support token.
    pub api_audiences: Vec<String>,
    /// Existing ClusterRoles support may request besides readonly and operator (key
    /// `clusterRoles`).
    pub cluster_roles: Vec<AllowedClusterRole>,
    /// The namespace a request without `--scope` is made in (key `defaultScope`, jitsudo's
    /// `default_namespace`); `None`: cluster-wide.
    pub default_scope: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub updated_by: Option<String>,
}

fn serialize_duration<S: serde::Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_duration(*value))
}

fn serialize_approval<S: serde::Serializer>(required: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(approval_name(*required))
}

fn serialize_identity<S: serde::Serializer>(own: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(identity_name(*own))
}

/// `own` or `serviceaccount`, as key `identity` spells it.
pub fn identity_name(own: bool) -> &'static str {
    if own { "own" } else { "serviceaccount" }
}

/// Reads key `trailWarnLines` (or `--trail-warn-lines`): a whole number, at least 1000.
pub fn parse_trail_warn_lines(value: &str) -> std::result::Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n >= 1000 => Ok(n),
        _ => Err(format!(
            "is {}, not a whole number of at least 1000",
            crate::base::text::terminal(&format!("{value:?}"))
        )),
    }
}

/// Reads key `approvals` (or `--approvals`): a whole number from 1 to [`state::MAX_APPROVALS`].
pub fn parse_approvals(value: &str) -> std::result::Result<u8, String> {
    match value.parse::<u8>() {
        Ok(n) if (1..=state::MAX_APPROVALS).contains(&n) => Ok(n),
        _ => Err(format!(
            "is {}, not a number of approvers from 1 to {}",
            crate::base::text::terminal(&format!("{value:?}")),
            state::MAX_APPROVALS
        )),
    }
}

/// Why a reason pattern cannot be used, if it cannot: it must compile as a regular expression of
/// the RE2 syntax both the plugin (the `regex` crate) and the API server's CEL `matches` read, be
/// printable and short. The API server compiles it too when `enable` writes the guard.
pub fn unusable_reason_pattern(pattern: &str) -> Option<String> {
    const MAX_PATTERN: usize = 256;
    if pattern.chars().count() > MAX_PATTERN || pattern.chars().any(char::is_control) {
        return Some(format!("must be printable and at most {MAX_PATTERN} characters"));
    }
    regex::Regex::new(pattern)
        .err()
        .map(|e| format!("is not a regular expression: {}", e.to_string().lines().last().unwrap_or_default().trim()))
}

/// `required` or `none`, as key `approval` spells it.
pub fn approval_name(required: bool) -> &'static str {
    if required { "required" } else { "none" }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            enabled: false,
            enabled_roles: Vec::new(),
            max_duration: parse_duration(state::DEFAULT_MAX_DURATION).expect("valid default"),
            credential_ttl: parse_duration(state::DEFAULT_CREDENTIAL_TTL).expect("valid default"),
            system_namespaces: state::DEFAULT_SYSTEM_NAMESPACES.iter().map(|ns| ns.to_string()).collect(),
            operator_namespaces: state::DEFAULT_OPERATOR_NAMESPACES.iter().map(|ns| ns.to_string()).collect(),
            guardrails: true,
            approval_required: false,
            own_identity: false,
            pending_ttl: parse_duration(state::DEFAULT_PENDING_TTL).expect("valid default"),
            approvals: 1,
            reason_pattern: None,
            trail_warn_lines: state::DEFAULT_TRAIL_WARN_LINES,
            api_audiences: Vec::new(),
            cluster_roles: Vec::new(),
            default_scope: None,
            updated_at: None,
            updated_by: None,
        }
    }
}

/// Why a stored policy could not be trusted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("key {key:?} {problem}")]
pub struct PolicyError {
    pub key: &'static str,
    pub problem: String,
}

impl Policy {
    /// Reads the ConfigMap's data. A missing key takes its default; a key that is present but
    /// does not parse is an error (fail closed).
    pub fn from_data(data: &BTreeMap<String, String>) -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        let fail = |key: &'static str, problem: String| PolicyError { key, problem };
        if let Some(value) = data.get(key::ENABLED) {
            policy.enabled = match value.as_str() {
                "true" => true,
                "false" => false,
                other => {
                    return Err(fail(key::ENABLED, format!("is {other:?}, not \"true\" or \"false\"")));
                }
            };
        }
        if let Some(value) = data.get(key::ENABLED_ROLES) {
            policy.enabled_roles = parse_roles(&[value]).map_err(|e| fail(key::ENABLED_ROLES, e))?;
        }
        if let Some(value) = data.get(key::MAX_DURATION) {
            policy.max_duration = parse_duration(value).map_err(|e| fail(key::MAX_DURATION, e))?;
        }
        if let Some(value) = data.get(key::CREDENTIAL_TTL) {
            policy.credential_ttl = parse_duration(value).map_err(|e| fail(key::CREDENTIAL_TTL, e))?;
            if policy.credential_ttl < Duration::from_secs(state::MIN_CREDENTIAL_TTL_SECONDS) {
                return Err(fail(key::CREDENTIAL_TTL, format!("is {value:?}, shorter than 10m")));
            }
        }
        if let Some(value) = data.get(key::SYSTEM_NAMESPACES) {
            policy.system_namespaces = namespace_list(value).map_err(|e| fail(key::SYSTEM_NAMESPACES, e))?;
        }
        if let Some(value) = data.get(key::OPERATOR_NAMESPACES) {
            policy.operator_namespaces = namespace_list(value).map_err(|e| fail(key::OPERATOR_NAMESPACES, e))?;
        }
        if let Some(value) = data.get(key::GUARDRAILS) {
            policy.guardrails = match value.as_str() {
                "on" => true,
                "off" => false,
                other => return Err(fail(key::GUARDRAILS, format!("is {other:?}, not \"on\" or \"off\""))),
            };
        }
        if let Some(value) = data.get(key::APPROVAL) {
            policy.approval_required = match value.as_str() {
                "required" => true,
                "none" => false,
                other => return Err(fail(key::APPROVAL, format!("is {other:?}, not \"none\" or \"required\""))),
            };
        }
        if let Some(value) = data.get(key::IDENTITY) {
            policy.own_identity = match value.as_str() {
                "own" => true,
                "serviceaccount" => false,
                other => return Err(fail(key::IDENTITY, format!("is {other:?}, not \"own\" or \"serviceaccount\""))),
            };
        }
        if let Some(value) = data.get(key::PENDING_TTL) {
            policy.pending_ttl = parse_duration(value).map_err(|e| fail(key::PENDING_TTL, e))?;
        }
        if let Some(value) = data.get(key::APPROVALS) {
            policy.approvals = parse_approvals(value).map_err(|e| fail(key::APPROVALS, e))?;
        }
        if let Some(value) = data.get(key::REASON_PATTERN).filter(|v| !v.is_empty()) {
            unusable_reason_pattern(value).map_or(Ok(()), |e| Err(fail(key::REASON_PATTERN, e)))?;
            policy.reason_pattern = Some(value.clone());
        }
        if let Some(value) = data.get(key::TRAIL_WARN_LINES) {
            policy.trail_warn_lines = parse_trail_warn_lines(value).map_err(|e| fail(key::TRAIL_WARN_LINES, e))?;
        }
        if let Some(value) = data.get(key::API_AUDIENCES) {
            policy.api_audiences = audience_list(value).map_err(|e| fail(key::API_AUDIENCES, e))?;
        }
        if let Some(value) = data.get(key::CLUSTER_ROLES) {
            policy.cluster_roles = parse_cluster_roles(&[value]).map_err(|e| fail(key::CLUSTER_ROLES, e))?;
        }
        if let Some(value) = data.get(key::DEFAULT_SCOPE).filter(|v| !v.is_empty()) {
            if !crate::state::is_dns_label(value) {
                let shown = crate::base::text::terminal(&format!("{value:?}")).into_owned();
                return Err(fail(key::DEFAULT_SCOPE, format!("is {shown}, not a namespace name")));
            }
            policy.default_scope = Some(value.clone());
        }
        if let Some(value) = data.get(key::UPDATED_AT) {
            let at = DateTime::parse_from_rfc3339(value)
                .map_err(|e| fail(key::UPDATED_AT, format!("is {value:?}, not an RFC3339 time ({e})")))?;
            policy.updated_at = Some(at.with_timezone(&Utc));
        }
        policy.updated_by = data.get(key::UPDATED_BY).cloned();
        Ok(policy)
    }

    /// The ConfigMap data for this policy.
    pub fn to_data(&self) -> BTreeMap<String, String> {
        let roles: Vec<&str> = self.enabled_roles.iter().map(|role| role.name()).collect();
        let mut data = BTreeMap::from([
            (key::ENABLED.to_string(), self.enabled.to_string()),
            (key::ENABLED_ROLES.to_string(), roles.join(",")),
            (key::MAX_DURATION.to_string(), format_duration(self.max_duration)),
            (key::CREDENTIAL_TTL.to_string(), format_duration(self.credential_ttl)),
            (key::SYSTEM_NAMESPACES.to_string(), self.system_namespaces.join(",")),
            (key::OPERATOR_NAMESPACES.to_string(), self.operator_namespaces.join(",")),
            (key::GUARDRAILS.to_string(), if self.guardrails { "on" } else { "off" }.to_string()),
            (key::APPROVAL.to_string(), approval_name(self.approval_required).to_string()),
            (key::IDENTITY.to_string(), identity_name(self.own_identity).to_string()),
            (key::PENDING_TTL.to_string(), format_duration(self.pending_ttl)),
            (key::APPROVALS.to_string(), self.approvals.to_string()),
            (key::REASON_PATTERN.to_string(), self.reason_pattern.clone().unwrap_or_default()),
            (key::TRAIL_WARN_LINES.to_string(), self.trail_warn_lines.to_string()),
            (key::API_AUDIENCES.to_string(), self.api_audiences.join(",")),
            (key::CLUSTER_ROLES.to_string(), self.cluster_roles_spelled().join(",")),
            (key::DEFAULT_SCOPE.to_string(), self.default_scope.clone().unwrap_or_default()),
        ]);
        if let Some(at) = self.updated_at {
            data.insert(key::UPDATED_AT.to_string(), crate::state::rfc3339(at));
        }
        if let Some(by) = &self.updated_by {
            data.insert(key::UPDATED_BY.to_string(), by.clone());
        }
        data
    }

    /// Whether a request's reason matches the policy's `reasonPattern` (any does without one).
    pub fn reason_matches(&self, reason: &str) -> bool {
        self.reason_pattern.as_deref().is_none_or(|p| regex::Regex::new(p).is_ok_and(|r| r.is_match(reason)))
    }

    /// The allowed ClusterRoles as key `clusterRoles` spells them.
    pub fn cluster_roles_spelled(&self) -> Vec<String> {
        self.cluster_roles.iter().map(AllowedClusterRole::spelled).collect()
    }

    /// The companion RoleBindings a cluster-wide request of this role gets in this namespace: logs
    /// (and debug for operator) in a system namespace, logs and debug for operator only in an
    /// operator namespace, none elsewhere (and none for a ClusterRole the owner allows).
    pub fn companions_in(&self, role: &GrantRole, namespace: &str) -> &'static [Companion] {
        if self.system_namespaces.iter().any(|ns| ns == namespace) {
            role.companions()
        } else if role.support() == Some(Role::Operator) && self.operator_namespaces.iter().any(|ns| ns == namespace) {
            &[Companion::Logs, Companion::Debug]
        } else {
            &[]
        }
    }

    /// Every namespace where some request may get a companion: the system namespaces, then the
    /// operator namespaces, each once.
    pub fn companion_namespaces(&self) -> Vec<String> {
        let mut all = self.system_namespaces.clone();
        all.extend(self.operator_namespaces.iter().filter(|ns| !self.system_namespaces.contains(ns)).cloned());
        all
    }

    /// True when access is enabled and the role may be requested (in some scope).
    pub fn allows(&self, role: &GrantRole) -> bool {
        self.enabled
            && match role {
                GrantRole::Support(role) => self.enabled_roles.contains(role),
                GrantRole::Cluster(name) => self.allowed_cluster_role(name).is_some(),
            }
    }

    /// True when access is enabled and the role may be requested in this scope (`None`:
    /// cluster-wide).
    pub fn allows_in(&self, role: &GrantRole, scope: Option<&str>) -> bool {
        self.enabled && self.lists(role, scope)
    }

    /// Whether a request of `role` scoped to `scope` would reach the support state: any request in
    /// the system namespace `namespace` itself, and an allowed ClusterRole's in any system namespace
    /// (the admission guard refuses both records).
    pub fn scope_reaches_state(&self, role: &GrantRole, scope: &str, namespace: &str) -> bool {
        scope == namespace
            || (matches!(role, GrantRole::Cluster(_)) && self.system_namespaces.iter().any(|ns| ns == scope))
    }

    /// Whether the role is listed for this scope, enabled or not: a record of a role not listed
    /// was not made under this policy.
    pub fn lists(&self, role: &GrantRole, scope: Option<&str>) -> bool {
        match role {
            GrantRole::Support(role) => self.enabled_roles.contains(role),
            GrantRole::Cluster(name) => self.allowed_cluster_role(name).is_some_and(|a| a.allows_scope(scope)),
        }
    }

    /// The entry of `clusterRoles` that allows this ClusterRole.
    pub fn allowed_cluster_role(&self, name: &str) -> Option<&AllowedClusterRole> {
        self.cluster_roles.iter().find(|allowed| allowed.name == name)
    }

    /// Every role support may request, as `--role` names them: the Crusoe roles enabled, then the
    /// allowed ClusterRoles (`NAME/namespaced` for those allowed in namespaces only).
    pub fn requestable(&self) -> Vec<String> {
        let roles = self.enabled_roles.iter().map(|r| r.name().to_string());
        roles.chain(self.cluster_roles_spelled()).collect()
    }

    /// What both policies allow and no more: enabled only if both are, the roles and namespaces
    /// both list, the shorter of each duration, approval if either requires it, guardrails if
    /// either wants them. The guards enforce this while the policy changes from one to the other.
    pub fn stricter(&self, other: &Policy) -> Policy {
        let both = |a: &[String], b: &[String]| a.iter().filter(|x| b.contains(x)).cloned().collect::<Vec<_>>();
        Policy {
            enabled: self.enabled && other.enabled,
            enabled_roles: self.enabled_roles.iter().filter(|r| other.enabled_roles.contains(r)).copied().collect(),
            max_duration: self.max_duration.min(other.max_duration),
            credential_ttl: self.credential_ttl.min(other.credential_ttl),
            system_namespaces: both(&self.system_namespaces, &other.system_namespaces),
            operator_namespaces: both(&self.operator_namespaces, &other.operator_namespaces),
            guardrails: self.guardrails || other.guardrails,
            approval_required: self.approval_required || other.approval_required,
            // The owner switches only while no request is live; in between, the guards ask for a
            // record of either form to bind the requester's user, and mint no token.
            own_identity: self.own_identity || other.own_identity,
            pending_ttl: self.pending_ttl.min(other.pending_ttl),
            approvals: self.approvals.max(other.approvals),
            // Two patterns cannot be made one that asks both: the new one holds from the start,
            // the old one until the end when the new policy has none.
            reason_pattern: other.reason_pattern.clone().or_else(|| self.reason_pattern.clone()),
            trail_warn_lines: other.trail_warn_lines,
            api_audiences: both(&self.api_audiences, &other.api_audiences),
            // A ClusterRole both allow, in namespaces only if either says so.
            cluster_roles: self
                .cluster_roles
                .iter()
                .filter_map(|a| {
                    let b = other.allowed_cluster_role(&a.name)?;
                    Some(AllowedClusterRole {
                        name: a.name.clone(),
                        namespaced_only: a.namespaced_only || b.namespaced_only,
                    })
                })
                .collect(),
            default_scope: other.default_scope.clone(),
            updated_at: other.updated_at,
            updated_by: other.updated_by.clone(),
        }
    }
}

/// A comma list of namespace names (DNS labels), each escaped in the error when it is not one.
/// A comma list of token audiences: printable, no spaces.
pub fn audience_list(value: &str) -> Result<Vec<String>, String> {
    let audiences: Vec<String> = value.split(',').filter(|a| !a.is_empty()).map(str::to_string).collect();
    match audiences.iter().find(|a| a.chars().any(|c| c.is_control() || c.is_whitespace())) {
        Some(bad) => Err(format!("has {bad:?}, not a token audience")),
        None => Ok(audiences),
    }
}

fn namespace_list(text: &str) -> Result<Vec<String>, String> {
    let names = split_list(text);
    match names.iter().find(|ns| !crate::state::is_dns_label(ns)) {
        Some(bad) => {
            Err(format!("holds {}, which is not a namespace name", crate::base::text::terminal(&format!("{bad:?}"))))
        }
        None => Ok(names),
    }
}

/// Splits a comma list, dropping blanks and surrounding spaces.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn operator_implies_readonly() {
        assert_eq!(parse_roles(&["operator"]).unwrap(), vec![Role::Readonly, Role::Operator]);
        assert_eq!(parse_roles(&["readonly,operator"]).unwrap(), vec![Role::Readonly, Role::Operator]);
        assert_eq!(parse_roles(&["readonly"]).unwrap(), vec![Role::Readonly]);
        assert!(parse_roles(&["admin"]).unwrap_err().contains("readonly and operator"));
    }

    #[test]
    fn an_empty_configmap_is_a_disabled_default_policy() {
        let policy = Policy::from_data(&BTreeMap::new()).unwrap();
        assert_eq!(policy, Policy::default());
        assert!(!policy.allows(&Role::Readonly.into()));
    }

    #[test]
    fn round_trips_through_configmap_data() {
        let policy = Policy {
            enabled: true,
            enabled_roles: vec![Role::Readonly, Role::Operator],
            max_duration: Duration::from_secs(8 * 3600),
            credential_ttl: Duration::from_secs(600),
            system_namespaces: vec!["kube-system".into(), "crusoe-system".into()],
            operator_namespaces: vec!["slurm".into()],
            guardrails: false,
            approval_required: true,
            own_identity: true,
            pending_ttl: Duration::from_secs(1800),
            approvals: 3,
            reason_pattern: Some("^CASE-[0-9]+: ".into()),
            trail_warn_lines: 1000,
            api_audiences: vec!["https://kubernetes.default.svc".into(), "k3s".into()],
            cluster_roles: parse_cluster_roles(&["view,edit/namespaced,system:aggregate-to-admin"]).unwrap(),
            default_scope: Some("staging".into()),
            updated_at: Some("2026-11-23T10:00:00Z".parse().unwrap()),
            updated_by: Some("alice".into()),
        };
        let stored = policy.to_data();
        assert_eq!(stored["enabledRoles"], "readonly,operator");
        assert_eq!(stored["maxDuration"], "8h");
        assert_eq!(stored["apiAudiences"], "https://kubernetes.default.svc,k3s");
        assert_eq!(stored["updatedAt"], "2026-11-23T10:00:00Z");
        assert_eq!(stored["clusterRoles"], "edit/namespaced,system:aggregate-to-admin,view");
        assert_eq!(stored["defaultScope"], "staging");
        assert_eq!((stored["approvals"].as_str(), stored["reasonPattern"].as_str()), ("3", "^CASE-[0-9]+: "));
        assert_eq!(Policy::from_data(&stored).unwrap(), policy);
        assert!(policy.reason_matches("CASE-4711: node down") && !policy.reason_matches("x"));
        assert_eq!(stored["trailWarnLines"], "1000");
        assert_eq!(stored["identity"], "own");
        assert!(!Policy::from_data(&BTreeMap::new()).unwrap().own_identity, "serviceaccount by default");
        for (key, bad) in [
            ("approvals", "0"),
            ("approvals", "6"),
            ("approvals", "two"),
            ("reasonPattern", "("),
            ("trailWarnLines", "999"),
            ("trailWarnLines", "-1"),
        ] {
            let mut data = stored.clone();
            data.insert(key.into(), bad.into());
            assert_eq!(Policy::from_data(&data).unwrap_err().key, key, "{key}={bad}");
        }
        assert!(policy.allows(&Role::Operator.into()));
    }

    #[test]
    fn operator_namespaces_give_logs_and_debug_to_operator_requests_only() {
        let policy = Policy::default();
        assert_eq!(policy.operator_namespaces, ["slurm"]);
        assert_eq!(policy.companions_in(&Role::Operator.into(), "slurm"), [Companion::Logs, Companion::Debug]);
        assert!(policy.companions_in(&Role::Readonly.into(), "slurm").is_empty());
        assert_eq!(policy.companions_in(&Role::Readonly.into(), "kube-system"), [Companion::Logs]);
        assert!(policy.companions_in(&Role::Operator.into(), "team-a").is_empty());
        assert_eq!(policy.companion_namespaces().last().map(String::as_str), Some("slurm"));
    }

    #[test]
    fn the_stricter_of_two_policies_allows_only_what_both_allow() {
        let loose = Policy {
            enabled: true,
            enabled_roles: vec![Role::Readonly, Role::Operator],
            max_duration: Duration::from_secs(72 * 3600),
            guardrails: false,
            ..Policy::default()
        };
        let tight = Policy {
            enabled: true,
            enabled_roles: vec![Role::Readonly],
            max_duration: Duration::from_secs(3600),
            system_namespaces: vec!["kube-system".into(), "team-a".into()],
            approval_required: true,
            ..Policy::default()
        };
        for meet in [loose.stricter(&tight), tight.stricter(&loose)] {
            assert!(meet.enabled);
            assert_eq!(meet.enabled_roles, [Role::Readonly]);
            assert_eq!(meet.max_duration, Duration::from_secs(3600));
            assert_eq!(meet.system_namespaces, ["kube-system"]);
            assert!(meet.guardrails && meet.approval_required);
        }
        let own = Policy { own_identity: true, ..tight.clone() };
        assert!(own.stricter(&tight).own_identity && tight.stricter(&own).own_identity);
        assert_eq!(tight.stricter(&tight), tight);
        // Never enabled before: nothing is allowed until the ConfigMap says so.
        let first = Policy::default().stricter(&loose);
        assert!(!first.enabled && first.enabled_roles.is_empty());
    }

    #[test]
    fn fails_closed_on_anything_that_does_not_parse() {
        for (key, value) in [
            ("enabled", "yes"),
            ("enabledRoles", "readonly,root"),
            ("maxDuration", "forever"),
            ("credentialTTL", "-1h"),
            ("credentialTTL", "1s"),
            ("systemNamespaces", "kube-system,../x"),
            ("operatorNamespaces", "slurm,\u{1b}[2Jx"),
            ("guardrails", "maybe"),
            ("approval", "sometimes"),
            ("pendingTTL", "soon"),
            ("identity", "user"),
            ("identity", "Own"),
            ("updatedAt", "yesterday"),
            ("clusterRoles", "view,operator"),
            ("clusterRoles", "view,crusoe-support-readonly"),
            ("clusterRoles", "edit,edit/namespaced"),
            ("clusterRoles", "has space"),
            ("clusterRoles", "\u{1b}[2J"),
            ("defaultScope", "Production"),
            ("defaultScope", "../x"),
        ] {
            let error = Policy::from_data(&data(&[(key, value)])).unwrap_err();
            assert_eq!(error.key, key);
        }
    }

    #[test]
    fn an_allowed_cluster_role_is_requested_by_name_in_the_scopes_the_owner_allows() {
        let policy = Policy {
            enabled: true,
            enabled_roles: vec![Role::Readonly],
            cluster_roles: parse_cluster_roles(&["view", "edit/namespaced"]).unwrap(),
            ..Policy::default()
        };
        let (view, edit) = (GrantRole::Cluster("view".into()), GrantRole::Cluster("edit".into()));
        assert!(policy.allows_in(&view, None) && policy.allows_in(&view, Some("staging")));
        assert!(policy.allows_in(&edit, Some("production")) && !policy.allows_in(&edit, None));
        assert!(!policy.allows(&GrantRole::Cluster("cluster-admin".into())));
        assert!(!policy.allows(&Role::Operator.into()));
        assert_eq!(policy.requestable(), ["readonly", "edit/namespaced", "view"]);
        assert!(policy.companions_in(&view, "kube-system").is_empty());
        // Narrowing keeps only what both allow, in namespaces only if either says so.
        let wider =
            Policy { cluster_roles: parse_cluster_roles(&["edit", "view/namespaced"]).unwrap(), ..policy.clone() };
        assert_eq!(policy.stricter(&wider).cluster_roles_spelled(), ["edit/namespaced", "view/namespaced"]);
        assert!(!Policy { enabled: false, ..policy }.allows(&view));
    }
}
