//! The public state format (DESIGN.md, "State format"; README, "State format"): every name other
//! tools and users script against — namespace, labels, annotations, ConfigMaps, roles, subjects —
//! defined once, here. Since issue 21 a request's bindings name its ServiceAccount
//! ([`request_account`]) instead of the Group `crusoe-support:request:<id>` of earlier releases;
//! a record in that old form is untrusted and swept, never read as a request.

pub mod history;
pub mod policy;
pub mod record;
pub mod roles;
pub mod trail;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// The default system namespace holding the policy, the history and the bindings' records.
/// A short lowercase random id, valid as a DNS-1123 label: a letter, then letters and digits.
pub fn new_id() -> crate::base::error::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| crate::base::error::Error::failed(format!("no randomness for a request id: {e}")))?;
    Ok(bytes
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let alphabet = if i == 0 { &ALPHABET[..26] } else { ALPHABET };
            alphabet[*b as usize % alphabet.len()] as char
        })
        .collect())
}

/// True for a DNS-1123 label (request ids, namespaces).
pub fn is_dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// The names of the ClusterRoles and flow control support access installs.
pub mod cluster_roles {
    pub const READONLY: &str = "crusoe-support-readonly";
    pub const OPERATOR: &str = "crusoe-support-operator";
    pub const LOGS: &str = "crusoe-support-logs";
    pub const DEBUG: &str = "crusoe-support-debug";
    /// The PriorityLevelConfiguration and FlowSchema.
    pub const FLOW_CONTROL: &str = "crusoe-support";
    /// The plugin's FlowSchema beside the chart's, whose subjects are only the chart's groups: it sends
    /// Group `crusoe-support` (every plugin credential) to the chart's priority level.
    pub const PER_REQUEST_FLOW: &str = "crusoe-support-per-request";
}

/// The guards' refusals the plugin recognizes and acts on (part of the state format: the guards
/// say them, the plugin reads them).
pub mod refusals {
    /// How `crusoe-support-requests` refuses a companion whose ServiceAccount its record does not (yet)
    /// grant: RBAC's cache may still miss a grant made a moment ago, so the plugin retries on it.
    pub const COMPANION_AFTER_GRANT: &str =
        "a companion binds only the ServiceAccount its record already grants: it is made after the record's grant";

    /// How `crusoe-support-requests` refuses, with identity `own`, a record's grant to its
    /// requester's user before RBAC holds its holder binding: the plugin retries on it too.
    pub const GRANT_AFTER_HOLDER: &str =
        "with identity own, a record grants its requester's user only once its holder binding binds its ServiceAccount";

    /// How `crusoe-support-requesters` refuses a party's history write that would take the history past
    /// the size whose rest is the owner's: the plugin then records the event as a Kubernetes Event only.
    pub const HISTORY_FULL_FOR_PARTIES: &str = "no write but the owner's takes a chunk of the trail past its size";
}

/// RFC3339, UTC, seconds precision, `Z` suffix: how the state format spells a time.
pub fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A time as the state format (or any RFC3339 writer) spells it.
pub fn parse_time(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&chrono::Utc))
}

pub const DEFAULT_NAMESPACE: &str = "crusoe-system";

/// The trail's size past which `get` warns: about two years and nine months at 100 requests a
/// day (five lines each).
pub const DEFAULT_TRAIL_WARN_LINES: u64 = 500_000;

/// Prefix of every label and annotation the plugin writes.
pub const PREFIX: &str = "support-access.crusoe.ai/";

/// ConfigMap holding the policy.
pub const POLICY_CONFIGMAP: &str = "support-access";
/// ConfigMap holding the audit history, one key per month, in releases before the trail's chunks
/// ([`trail`]): read as the trail's oldest part, never written.
pub const HISTORY_CONFIGMAP: &str = "support-access-history";

/// The plugin's field manager (its User-Agent's product): the API server names it in a record's
/// managed fields for every write the plugin makes.
pub const FIELD_MANAGER: &str = "kubectl-supportaccess";

/// Whether a field manager is the plugin's: this release's, or earlier releases' (which sent no
/// User-Agent, so the API server called them `unknown`).
pub fn is_plugin_manager(manager: &str) -> bool {
    manager == FIELD_MANAGER || manager == "unknown"
}

pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "kubectl-supportaccess";
pub const MANAGED_LABEL: &str = "support-access.crusoe.ai/managed";
pub const REQUEST_ID_LABEL: &str = "support-access.crusoe.ai/request-id";
pub const ROLE_LABEL: &str = "support-access.crusoe.ai/role";
/// The role label's value on the record of a ClusterRole the owner allows (policy key
/// `clusterRoles`): annotation [`annotations::CLUSTER_ROLE`] names it, and the record's roleRef
/// binds it.
pub const CLUSTER_ROLE_LABEL_VALUE: &str = "clusterrole";

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
    /// How many distinct approvers, none of them its requester, a request (and an extension)
    /// needs before it grants anything, when approval is required: 1 to 5, default 1.
    pub const APPROVALS: &str = "approvals";
    /// An RE2 expression every request's reason must match (`matches`, unanchored unless it says
    /// so); empty: any reason.
    pub const REASON_PATTERN: &str = "reasonPattern";
    /// The audiences the API server gives a token that asks for none: the only ones a support
    /// token may carry (`enable` learns them).
    pub const API_AUDIENCES: &str = "apiAudiences";
    /// Existing ClusterRoles support may request besides readonly and operator: a comma list of
    /// names, each `NAME` (cluster-wide or in a namespace) or `NAME/namespaced` (in a namespace only).
    pub const CLUSTER_ROLES: &str = "clusterRoles";
    /// The namespace a request without `--scope` is made in; empty: cluster-wide.
    pub const DEFAULT_SCOPE: &str = "defaultScope";
    /// How many lines the trail may hold before `get` warns that it is time to export and prune
    /// (a whole number, at least 1000; default [`super::DEFAULT_TRAIL_WARN_LINES`]).
    pub const TRAIL_WARN_LINES: &str = "trailWarnLines";
    /// Whose identity a request's record binds: `serviceaccount` (the default: a ServiceAccount
    /// per request, whose tokens the plugin mints) or `own` (the requester's own user, as the API
    /// server authenticated it; no token is made).
    pub const IDENTITY: &str = "identity";
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
    /// On the record of a ClusterRole the owner allows (label role `clusterrole`): its name, which
    /// the record's roleRef binds.
    pub const CLUSTER_ROLE: &str = "support-access.crusoe.ai/cluster-role";
    /// `pending` while a request waits for the owner's approval (it then has no subjects).
    pub const STATE: &str = "support-access.crusoe.ai/state";
    pub const APPROVED_BY: &str = "support-access.crusoe.ai/approved-by";
    pub const APPROVED_AT: &str = "support-access.crusoe.ai/approved-at";
    /// Who approved a request, in order: one line `<RFC3339 time> <user>` per approver
    /// ([`crate::state::approval_line`]); `approved-by`/`approved-at` repeat the last one, whose
    /// write granted it.
    pub const APPROVALS: &str = "support-access.crusoe.ai/approvals";
    /// The same for the extension asked for in `extension-requested`; a new ask starts it afresh.
    pub const EXTENSION_APPROVALS: &str = "support-access.crusoe.ai/extension-approvals";
    /// The end a live request asks to move to, until the owner approves it.
    pub const EXTENSION_REQUESTED: &str = "support-access.crusoe.ai/extension-requested";
    /// Set by `deny` just before it deletes a pending record, so that the waiting `request` can
    /// say who denied it and why.
    pub const DENIED_BY: &str = "support-access.crusoe.ai/denied-by";
    pub const DENIED_REASON: &str = "support-access.crusoe.ai/denied-reason";
    /// On a dry-run probe only: the admission guard it probes, and the fingerprint of the values
    /// that guard should carry (DESIGN.md, "Admission"; `admission::probe`).
    pub const PROBE: &str = "support-access.crusoe.ai/probe";
    pub const PROBE_POLICY: &str = "support-access.crusoe.ai/probe-policy";
}

/// The value of annotation [`annotations::STATE`] on a request waiting for approval.
pub const STATE_PENDING: &str = "pending";

/// The most approvers policy key `approvals` may ask for.
pub const MAX_APPROVALS: u8 = 5;

/// One approval as annotation [`annotations::APPROVALS`] holds it: the time (RFC3339, UTC,
/// seconds), one space, the approver's user name. Lines are joined by `\n`; a user name with a line
/// break cannot approve (the guard refuses it).
pub fn approval_line(at: DateTime<Utc>, by: &str) -> String {
    format!("{} {by}", rfc3339(at))
}

/// Name of a request's binding.
pub fn binding_name(id: &str) -> String {
    format!("crusoe-support-{id}")
}

/// Prefix of every request ServiceAccount's name.
pub const ACCOUNT_PREFIX: &str = "crusoe-support-";

/// The characters of a user name besides ASCII letters and digits that a request
/// ServiceAccount's name can carry: each is written `-` and its index here; an upper-case letter
/// is written `-` and the letter in lower case. The admission guards compute the same form from
/// `request.userInfo.username` with CEL's `replace` (`admission::build::carried`).
pub const CARRIED_SPECIALS: [char; 10] = ['-', '.', '@', ':', '_', '+', '/', '=', '|', '#'];

/// A ServiceAccount's name is a DNS-1123 subdomain: at most 253 characters.
const MAX_ACCOUNT_NAME: usize = 253;

/// The requester as a request ServiceAccount's name carries it: `u` and the user name, lower-case
/// letters and digits as they are, the rest escaped ([`CARRIED_SPECIALS`]). One-to-one, so no two
/// users share a form; `None` for a name with any other character (a space, a quote, non-ASCII).
pub fn carried_user(username: &str) -> Option<String> {
    if username.is_empty() {
        return None;
    }
    let mut carried = String::from("u");
    for c in username.chars() {
        match c {
            'a'..='z' | '0'..='9' => carried.push(c),
            'A'..='Z' => {
                carried.push('-');
                carried.push(c.to_ascii_lowercase());
            }
            _ => {
                let index = CARRIED_SPECIALS.iter().position(|s| *s == c)?;
                carried.push('-');
                carried.push(char::from(b'0' + index as u8));
            }
        }
    }
    Some(carried)
}

/// The user name a carried form stands for; `None` for text [`carried_user`] never writes.
pub fn user_of_carried(carried: &str) -> Option<String> {
    let mut chars = carried.strip_prefix('u')?.chars();
    let mut user = String::new();
    while let Some(c) = chars.next() {
        match c {
            'a'..='z' | '0'..='9' => user.push(c),
            '-' => match chars.next()? {
                lower @ 'a'..='z' => user.push(lower.to_ascii_uppercase()),
                digit @ '0'..='9' => user.push(CARRIED_SPECIALS[usize::from(digit as u8 - b'0')]),
                _ => return None,
            },
            _ => return None,
        }
    }
    (!user.is_empty()).then_some(user)
}

/// The ServiceAccount (in the system namespace) whose tokens are a request's credentials, and the
/// subject of its bindings: `crusoe-support-<id>-<end>.<requester>`, the end its tokens may never
/// pass in Unix seconds and its requester as [`carried_user`] writes it. The admission guard on
/// TokenRequests reads both from the name (a TokenRequest shows it nothing else): the end bounds
/// every token, and only the requester it names (or the owner) may mint one. An end moved later
/// means a new ServiceAccount. `None` when the requester's name cannot be carried or is too long.
pub fn request_account(id: &str, end: DateTime<Utc>, requester: &str) -> Option<String> {
    let name = format!("{ACCOUNT_PREFIX}{id}-{}.{}", end.timestamp(), carried_user(requester)?);
    (name.len() <= MAX_ACCOUNT_NAME).then_some(name)
}

/// Why a user cannot make a request: the name its ServiceAccount would carry.
pub fn uncarried_requester(requester: &str) -> String {
    format!(
        "your user name {:?} cannot be carried in a request ServiceAccount's name, which ties a request to its \
         requester: it may hold only ASCII letters, digits and {} and be at most about 200 characters",
        crate::base::text::terminal(requester),
        CARRIED_SPECIALS.iter().collect::<String>()
    )
}

/// A request ServiceAccount's name, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestAccount<'a> {
    pub id: &'a str,
    pub end: DateTime<Utc>,
    /// The requester it carries; `None` in the form of before issue 28 (`crusoe-support-<id>-<end>`),
    /// whose tokens no requester may mint any more.
    pub requester: Option<String>,
}

/// The request id and the end a request ServiceAccount's name carries; `None` for any other name.
pub fn parse_request_account(name: &str) -> Option<(&str, DateTime<Utc>)> {
    read_request_account(name).map(|account| (account.id, account.end))
}

/// Reads a request ServiceAccount's name, in either form; `None` for any other name.
pub fn read_request_account(name: &str) -> Option<RequestAccount<'_>> {
    let (base, requester) = match name.split_once('.') {
        Some((base, carried)) => (base, Some(user_of_carried(carried)?)),
        None => (name, None),
    };
    let (id, end) = base.strip_prefix(ACCOUNT_PREFIX)?.rsplit_once('-')?;
    let digits_only = !end.is_empty() && end.len() <= 11 && end.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || !is_dns_label(id) {
        return None;
    }
    Some(RequestAccount { id, end: DateTime::from_timestamp(end.parse().ok()?, 0)?, requester })
}

/// The pattern every request ServiceAccount's name matches (RE2, as the admission guards use it).
pub const ACCOUNT_PATTERN: &str = "^crusoe-support-[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?-[0-9]{1,11}[.]u[-a-z0-9]+$";
/// The form of before issue 28, without its requester: still bounded by the guards, never minted
/// for by a requester.
pub const LEGACY_ACCOUNT_PATTERN: &str = "^crusoe-support-[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?-[0-9]{1,11}$";

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

/// With identity `own`: the ClusterRole that grants verb [`HOLD_VERB`] on the support requests
/// resource and nothing else, which each granted request binds to its requester's user (and its
/// ServiceAccount) with ClusterRoleBinding [`holder_name`], so that the guardrails guard can ask
/// RBAC whether a user holds a live request.
pub const HOLDER_ROLE: &str = "crusoe-support-holder";

/// The verb [`HOLDER_ROLE`] grants.
pub const HOLD_VERB: &str = "hold";

/// A verb no role names: a user granted it holds every verb (cluster-admin), and is not taken
/// for a holder of a request.
pub const EVERY_VERB_PROBE: &str = "hold-every-verb";

/// The holder binding of request `id` (identity `own`).
pub fn holder_name(id: &str) -> String {
    format!("crusoe-support-{id}-holder")
}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_account_carries_its_requester_one_to_one() {
        let end = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        for user in [
            "alice",
            "Alice",
            "alice@example.com",
            "oidc:00u1AbC",
            "system:serviceaccount:ops:bot",
            "a-b",
            "a.b",
            "https://issuer.example.com#sub",
            "auth0|123",
            "x+y=z/w_v",
        ] {
            let name = request_account("k3x9", end, user).unwrap();
            let read = read_request_account(&name).unwrap();
            assert_eq!((read.id, read.end, read.requester.as_deref()), ("k3x9", end, Some(user)), "{name}");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
                "{name}"
            );
            assert_eq!(name.matches('.').count(), 1, "{name}");
        }
        assert_eq!(request_account("k3x9", end, "Alice").unwrap(), "crusoe-support-k3x9-1767225600.u-alice");
        assert_ne!(carried_user("Alice"), carried_user("alice"));
        assert_ne!(carried_user("a-b"), carried_user("a.b"));
        for bad in ["", "has space", "quo\"te", "zoë", "tab\t"] {
            assert_eq!(request_account("k3x9", end, bad), None, "{bad:?}");
        }
        assert_eq!(request_account("k3x9", end, &"a".repeat(300)), None);
        let legacy = read_request_account("crusoe-support-k3x9-1767225600").unwrap();
        assert_eq!(legacy.requester, None);
        for bad in [
            "crusoe-support-k3x9-1767225600.",
            "crusoe-support-k3x9-1767225600.alice",
            "crusoe-support-k3x9-1767225600.u-",
        ] {
            assert_eq!(read_request_account(bad), None, "{bad}");
        }
    }
}
