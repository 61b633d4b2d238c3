//! The public state format (DESIGN.md, "State format"; README, "State format"): every name other
//! tools and users script against — namespace, labels, annotations, ConfigMaps, roles, subjects —
//! defined once, here. Since issue 21 a request's bindings name its ServiceAccount
//! ([`request_account`]) instead of the Group `crusoe-support:request:<id>` of earlier releases;
//! a record in that old form is untrusted and swept, never read as a request.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// The default system namespace holding the policy, the history and the bindings' records.
pub const DEFAULT_NAMESPACE: &str = "crusoe-system";

/// Prefix of every label and annotation the plugin writes.
pub const PREFIX: &str = "support-access.crusoe.ai/";

/// ConfigMap holding the policy.
pub const POLICY_CONFIGMAP: &str = "support-access";
/// ConfigMap holding the audit history, one key per month.
pub const HISTORY_CONFIGMAP: &str = "support-access-history";

pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "kubectl-supportaccess";
pub const MANAGED_LABEL: &str = "support-access.crusoe.ai/managed";
pub const REQUEST_ID_LABEL: &str = "support-access.crusoe.ai/request-id";
pub const ROLE_LABEL: &str = "support-access.crusoe.ai/role";

/// Label on the temporary bindings of `roles --verify` (bound to a group no credential carries).
pub const VERIFY_LABEL: &str = "support-access.crusoe.ai/verify";

/// Label selector matching every object the plugin manages.
pub const MANAGED_SELECTOR: &str = "support-access.crusoe.ai/managed=true";

/// Policy ConfigMap keys.
pub mod policy_keys {
    pub const ENABLED: &str = "enabled";
    pub const ENABLED_ROLES: &str = "enabledRoles";
    pub const MAX_DURATION: &str = "maxDuration";
    pub const CREDENTIAL_TTL: &str = "credentialTTL";
    pub const SYSTEM_NAMESPACES: &str = "systemNamespaces";
    pub const OPERATOR_NAMESPACES: &str = "operatorNamespaces";
    pub const GUARDRAILS: &str = "guardrails";
    pub const APPROVAL: &str = "approval";
    pub const PENDING_TTL: &str = "pendingTTL";
    /// The audiences the API server gives a token that asks for none: the only ones a support
    /// token may carry (`enable` learns them).
    pub const API_AUDIENCES: &str = "apiAudiences";
    pub const UPDATED_AT: &str = "updatedAt";
    pub const UPDATED_BY: &str = "updatedBy";
}

/// Request annotations, each under [`PREFIX`].
pub mod annotations {
    pub const REQUESTOR: &str = "support-access.crusoe.ai/requestor";
    pub const REASON: &str = "support-access.crusoe.ai/reason";
    pub const REQUESTED_AT: &str = "support-access.crusoe.ai/requested-at";
    pub const EXPIRES_AT: &str = "support-access.crusoe.ai/expires-at";
    pub const CREDENTIAL_EXPIRES_AT: &str = "support-access.crusoe.ai/credential-expires-at";
    pub const REQUESTED_BY: &str = "support-access.crusoe.ai/requested-by";
    /// `pending` while a request waits for the owner's approval (it then has no subjects).
    pub const STATE: &str = "support-access.crusoe.ai/state";
    pub const APPROVED_BY: &str = "support-access.crusoe.ai/approved-by";
    pub const APPROVED_AT: &str = "support-access.crusoe.ai/approved-at";
    /// The end a live request asks to move to, until the owner approves it.
    pub const EXTENSION_REQUESTED: &str = "support-access.crusoe.ai/extension-requested";
    /// Set by `deny` just before it deletes a pending record, so that the waiting `request` can
    /// say who denied it and why.
    pub const DENIED_BY: &str = "support-access.crusoe.ai/denied-by";
    pub const DENIED_REASON: &str = "support-access.crusoe.ai/denied-reason";
    /// On a dry-run probe only: the admission guard it probes, and the fingerprint of the policy
    /// the guard should enforce (DESIGN.md, "Admission").
    pub const PROBE: &str = "support-access.crusoe.ai/probe";
    pub const PROBE_POLICY: &str = "support-access.crusoe.ai/probe-policy";
}

/// The value of annotation [`annotations::STATE`] on a request waiting for approval.
pub const STATE_PENDING: &str = "pending";

/// Name of a request's binding.
pub fn binding_name(id: &str) -> String {
    format!("crusoe-support-{id}")
}

/// Prefix of every request ServiceAccount's name.
pub const ACCOUNT_PREFIX: &str = "crusoe-support-";

/// The ServiceAccount (in the system namespace) whose tokens are a request's credentials, and the
/// subject of its bindings: `crusoe-support-<id>-<end>`, the end its tokens may never pass in Unix
/// seconds. The admission guard on TokenRequests reads that end from the name (a TokenRequest
/// shows it nothing else), so an end moved later means a new ServiceAccount.
pub fn request_account(id: &str, end: DateTime<Utc>) -> String {
    format!("{ACCOUNT_PREFIX}{id}-{}", end.timestamp())
}

/// The request id and the end a request ServiceAccount's name carries; `None` for any other name.
pub fn parse_request_account(name: &str) -> Option<(&str, DateTime<Utc>)> {
    let (id, end) = name.strip_prefix(ACCOUNT_PREFIX)?.rsplit_once('-')?;
    let digits_only = !end.is_empty() && end.len() <= 11 && end.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || !crate::bindings::is_dns_label(id) {
        return None;
    }
    Some((id, DateTime::from_timestamp(end.parse().ok()?, 0)?))
}

/// The pattern every request ServiceAccount's name matches (RE2, as the admission guards use it).
pub const ACCOUNT_PATTERN: &str = "^crusoe-support-[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?-[0-9]{1,11}$";

/// The user name a ServiceAccount authenticates as.
pub fn account_user(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

/// The group `roles --verify` binds for the length of one check: not a support identity, so the
/// admission guards leave its temporary bindings alone, and no credential ever carries it.
pub fn verify_group(id: &str) -> String {
    format!("supportaccess-verify:{id}")
}

/// The group `roles --verify`'s temporary support identity carries, matched by the guardrails and
/// the flow-control schema beside the request ServiceAccounts.
pub const SUPPORT_GROUP: &str = "crusoe-support";

/// A subject name that belongs to a support identity (a foreign grant when not ours).
pub fn is_support_subject(name: &str) -> bool {
    name.starts_with("crusoe-support")
}

/// The labels every object the plugin creates carries.
pub fn managed_labels() -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY_LABEL.to_string(), MANAGED_BY_VALUE.to_string()),
        (MANAGED_LABEL.to_string(), "true".to_string()),
    ])
}

/// The ClusterRoles (and Roles in the system namespace) an owner hands out with
/// `enable --requesters/--approvers`, and the names of their bindings.
pub const REQUESTER_ROLE: &str = "crusoe-support-requester";
pub const APPROVER_ROLE: &str = "crusoe-support-approver";

/// The resource no API serves whose verbs RBAC grants to requesters (`request`) and approvers
/// (`approve`): the admission guards ask RBAC through CEL's `authorizer`.
pub const REQUESTS_GROUP: &str = "support-access.crusoe.ai";
pub const REQUESTS_RESOURCE: &str = "requests";

/// Default policy values.
/// Long enough for the reference output's own request, which lasts 28 h.
pub const DEFAULT_MAX_DURATION: &str = "72h";
pub const DEFAULT_CREDENTIAL_TTL: &str = "1h";
/// How long a request waits for the owner's approval before it is swept as expired.
pub const DEFAULT_PENDING_TTL: &str = "1h";
/// The TokenRequest API's minimum `expirationSeconds`.
pub const MIN_CREDENTIAL_TTL_SECONDS: u64 = 600;
pub const DEFAULT_SYSTEM_NAMESPACES: &[&str] = &[
    "crusoe-system",
    "kube-system",
    "nvidia-gpu-operator",
    "nvidia-network-operator",
    "kube-amd-gpu",
    "kube-amd-network",
    "slinky",
];
/// Where, as in the chart, only operator requests get logs and debug.
pub const DEFAULT_OPERATOR_NAMESPACES: &[&str] = &["slurm"];
