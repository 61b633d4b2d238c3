//! A support request as the cluster holds it: the binding named `crusoe-support-<id>` whose labels
//! and annotations are the request's record. Reading fails closed: a record that does not parse
//! is an [`InvalidGrant`], treated as expired and reported, never trusted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::rbac::v1::Subject;
use serde::Serialize;

use crate::state::rfc3339;
use crate::state::roles::{GrantRole, Role};
use crate::state::{self, annotations as ann};

/// A request with no credential this long after it was made was abandoned half-way (its
/// `request` died): it is swept as expired.
pub const ABANDONED_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// How long a pending request waits when no policy says (the default `pendingTTL`).
const DEFAULT_PENDING_TTL: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// A live or past support request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub id: String,
    pub role: GrantRole,
    /// The namespace of a scoped request; `None` for a cluster-wide one.
    pub scope: Option<String>,
    pub requestor: String,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub credential_expires_at: Option<DateTime<Utc>>,
    pub requested_by: String,
    /// Waiting for the owner's approval (annotation `state: pending`): it has no subjects and
    /// grants nothing.
    pub pending: bool,
    /// When a pending request stops waiting: `requested-at` + the policy's `pendingTTL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_until: Option<DateTime<Utc>>,
    pub approved_by: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    /// Who approved it, in order (annotation `approvals`); with a quorum of N it grants nothing
    /// until N are here.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    /// The end a live request asks to move to, until the owner approves it.
    pub extension_requested: Option<DateTime<Utc>>,
    /// Who approved the extension asked for (annotation `extension-approvals`), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extension_approvals: Vec<Approval>,
    /// The ServiceAccount its record binds (`crusoe-support-<id>-<end>`); `None` while pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// With the policy's `identity: own`: the requester's own user, which the record binds
    /// beside its ServiceAccount (the user the ServiceAccount's name carries); `None` otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Every annotation of the binding, as stored.
    pub annotations: BTreeMap<String, String>,
    /// The record's uid and resourceVersion in the read this grant comes from: a write that
    /// answers the request (approve, deny, an extension) is pinned to them, so it never lands on a
    /// record that changed after it was shown.
    #[serde(skip)]
    pub read_as: Option<(String, String)>,
    /// Writes to the record's state (its subjects, its labels and annotations of the state format)
    /// by any field manager but the plugin's, as its managed fields tell.
    #[serde(skip)]
    pub changed_outside: Vec<OutsideChange>,
}

/// One field manager's write to a record's state that the plugin did not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideChange {
    pub manager: String,
    pub at: Option<DateTime<Utc>>,
    /// What it wrote: `subjects`, or the annotation or label keys (without the prefix).
    pub fields: Vec<String>,
}

/// One approver's yes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Reads annotation `approvals` (or `extension-approvals`): lines `<time> <user>`, no user twice.
pub fn parse_approvals(text: &str) -> Result<Vec<Approval>, String> {
    let mut approvals: Vec<Approval> = Vec::new();
    for line in text.split('\n').filter(|_| !text.is_empty()) {
        let (at, by) = line.split_once(' ').ok_or_else(|| format!("line {line:?} is not \"<time> <user>\""))?;
        let at =
            parse_time(at).filter(|_| at.len() == 20).ok_or_else(|| format!("{at:?} is not an RFC3339 UTC time"))?;
        if by.is_empty() || approvals.iter().any(|a| a.by == by) {
            return Err(format!("approver {by:?} is empty or named twice"));
        }
        approvals.push(Approval { by: by.to_string(), at });
    }
    Ok(approvals)
}

/// Writes what [`parse_approvals`] reads.
pub fn approvals_text(approvals: &[Approval]) -> String {
    let lines: Vec<String> = approvals.iter().map(|a| state::approval_line(a.at, &a.by)).collect();
    lines.join("\n")
}

/// A binding that claims to be part of a request but cannot be trusted: a record that does not
/// parse or breaks the policy, a wrong name, kind or roleRef, or an id claimed twice.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidGrant {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub id: Option<String>,
    /// Carries the managed label: the sweep deletes it (one without is only reported).
    pub managed: bool,
    pub problem: String,
}

impl InvalidGrant {
    pub(crate) fn of_record(grant: &Grant, problem: String) -> InvalidGrant {
        InvalidGrant {
            kind: if grant.scope.is_some() { "RoleBinding" } else { "ClusterRoleBinding" },
            name: state::binding_name(&grant.id),
            namespace: grant.scope.clone(),
            id: Some(grant.id.clone()),
            managed: true,
            problem,
        }
    }

    pub fn reference(&self) -> BindingRef {
        BindingRef { kind: self.kind, namespace: self.namespace.clone(), name: self.name.clone() }
    }
}

/// A Helm release of Crusoe's `crusoe-support-roles` chart, seen through its static bindings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmRelease {
    pub release: String,
    pub chart: String,
    /// The groups its static bindings grant the support roles to.
    pub groups: Vec<String>,
}

/// A binding the plugin did not create that grants something to a support identity: it would
/// outlive revocation, so it is reported (never deleted).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ForeignGrant {
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub role: String,
    pub subjects: Vec<String>,
}

impl ForeignGrant {
    /// "ClusterRoleBinding ns/name gives ClusterRole x to Group y, User z".
    pub fn describe(&self) -> String {
        format!(
            "{} {}{} gives {} to {}",
            self.kind,
            self.namespace.as_ref().map(|ns| format!("{ns}/")).unwrap_or_default(),
            self.name,
            self.role,
            self.subjects.join(", ")
        )
    }
}

impl Grant {
    /// When the request ends: its `expires-at`; sooner if it was never answered (`pendingTTL`
    /// after it was made) or never got a credential ([`ABANDONED_AFTER`] after it was made or
    /// approved).
    pub fn end(&self) -> DateTime<Utc> {
        let within = |start: DateTime<Utc>, limit: chrono::TimeDelta| {
            self.expires_at.min(start.checked_add_signed(limit).unwrap_or(self.expires_at))
        };
        if self.pending {
            return match self.pending_until {
                Some(until) => self.expires_at.min(until),
                None => within(self.requested_at, DEFAULT_PENDING_TTL),
            };
        }
        match self.credential_expires_at {
            Some(_) => self.expires_at,
            None => within(self.approved_at.unwrap_or(self.requested_at), ABANDONED_AFTER),
        }
    }

    /// Whether the policy allows its role, in its scope, bound the way the policy's `identity`
    /// binds (a record that grants nothing yet, or any more, binds no one).
    pub fn allowed_by(&self, policy: &crate::state::policy::Policy) -> bool {
        policy.allows_in(&self.role, self.scope.as_deref()) && self.fits_identity(policy)
    }

    /// Whether it binds whom the policy's `identity` says: the requester's own user with `own`, its
    /// ServiceAccount alone with `serviceaccount`.
    pub fn fits_identity(&self, policy: &crate::state::policy::Policy) -> bool {
        self.account.is_none() || self.user.is_some() == policy.own_identity
    }

    /// Before its end, and able to grant: pending, or bound to its ServiceAccount (a record its
    /// requester ended has no subject, and waits for the owner's side to delete it).
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.end() > now && (self.pending || self.account.is_some())
    }

    /// Whether its requester ended it (`end`): granted once, its subject now removed.
    pub fn ended_by_requester(&self) -> bool {
        !self.pending && self.account.is_none() && self.credential_expires_at.is_some()
    }

    /// Reads a request record from a binding's name, labels and annotations.
    pub fn from_metadata(
        name: &str,
        namespace: Option<&str>,
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
    ) -> Result<Grant, InvalidGrant> {
        let id = labels.get(state::REQUEST_ID_LABEL).cloned();
        let invalid = |problem: String| InvalidGrant {
            kind: if namespace.is_some() { "RoleBinding" } else { "ClusterRoleBinding" },
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            id: id.clone(),
            managed: true,
            problem,
        };
        let Some(request_id) = id.clone() else {
            return Err(invalid(format!("label {} is missing", state::REQUEST_ID_LABEL)));
        };
        let label =
            labels.get(state::ROLE_LABEL).ok_or_else(|| invalid(format!("label {} is missing", state::ROLE_LABEL)))?;
        let role = match (label.as_str(), annotations.get(ann::CLUSTER_ROLE)) {
            (state::CLUSTER_ROLE_LABEL_VALUE, Some(name)) => {
                match crate::state::roles::unallowable_cluster_role(name) {
                    None => GrantRole::Cluster(name.clone()),
                    Some(problem) => return Err(invalid(format!("annotation {}: {problem}", ann::CLUSTER_ROLE))),
                }
            }
            (state::CLUSTER_ROLE_LABEL_VALUE, None) => {
                return Err(invalid(format!(
                    "label {} is {}, but annotation {} is missing",
                    state::ROLE_LABEL,
                    state::CLUSTER_ROLE_LABEL_VALUE,
                    ann::CLUSTER_ROLE
                )));
            }
            (_, Some(_)) => {
                return Err(invalid(format!(
                    "annotation {} is only for label {}={}",
                    ann::CLUSTER_ROLE,
                    state::ROLE_LABEL,
                    state::CLUSTER_ROLE_LABEL_VALUE
                )));
            }
            (label, None) => GrantRole::Support(
                label.parse::<Role>().map_err(|e| invalid(format!("label {}: {e}", state::ROLE_LABEL)))?,
            ),
        };
        let text = |key: &str| {
            annotations
                .get(key)
                .filter(|v| !v.is_empty())
                .cloned()
                .ok_or_else(|| invalid(format!("annotation {key} is missing")))
        };
        let time = |key: &str| -> Result<DateTime<Utc>, InvalidGrant> {
            let value = text(key)?;
            parse_time(&value).ok_or_else(|| invalid(format!("annotation {key} is {value:?}, not an RFC3339 time")))
        };
        let optional_time = |key: &str| match annotations.get(key) {
            None => Ok(None),
            Some(_) => time(key).map(Some),
        };
        let credential_expires_at = optional_time(ann::CREDENTIAL_EXPIRES_AT)?;
        let requested_at = time(ann::REQUESTED_AT)?;
        let expires_at = time(ann::EXPIRES_AT)?;
        let pending = match annotations.get(ann::STATE).map(String::as_str) {
            None => false,
            Some(state::STATE_PENDING) => true,
            Some(other) => return Err(invalid(format!("annotation {} is {other:?}, not \"pending\"", ann::STATE))),
        };
        let approved_by = match annotations.get(ann::APPROVED_BY) {
            None => None,
            Some(_) => Some(text(ann::APPROVED_BY)?),
        };
        if expires_at < requested_at {
            return Err(invalid("annotation expires-at is before requested-at".to_string()));
        }
        let approvals = |key: &str| {
            parse_approvals(annotations.get(key).map(String::as_str).unwrap_or_default())
                .map_err(|problem| invalid(format!("annotation {key}: {}", crate::base::text::terminal(&problem))))
        };
        Ok(Grant {
            id: request_id,
            role,
            scope: namespace.map(str::to_string),
            requestor: text(ann::REQUESTOR)?,
            reason: text(ann::REASON)?,
            requested_at,
            expires_at,
            credential_expires_at,
            requested_by: text(ann::REQUESTED_BY)?,
            pending,
            pending_until: None,
            approved_by,
            approved_at: optional_time(ann::APPROVED_AT)?,
            approvals: approvals(ann::APPROVALS)?,
            extension_requested: optional_time(ann::EXTENSION_REQUESTED)?,
            extension_approvals: approvals(ann::EXTENSION_APPROVALS)?,
            account: None,
            user: None,
            annotations: annotations.clone(),
            read_as: None,
            changed_outside: Vec::new(),
        })
    }
}

impl Grant {
    /// The annotations that are the request's record, as `from_metadata` reads them back.
    pub fn record_annotations(&self) -> BTreeMap<String, String> {
        let mut record = BTreeMap::from([
            (ann::REQUESTOR.into(), self.requestor.clone()),
            (ann::REASON.into(), self.reason.clone()),
            (ann::REQUESTED_AT.into(), rfc3339(self.requested_at)),
            (ann::EXPIRES_AT.into(), rfc3339(self.expires_at)),
            (ann::REQUESTED_BY.into(), self.requested_by.clone()),
        ]);
        if let Some(at) = self.credential_expires_at {
            record.insert(ann::CREDENTIAL_EXPIRES_AT.into(), rfc3339(at));
        }
        if let GrantRole::Cluster(name) = &self.role {
            record.insert(ann::CLUSTER_ROLE.into(), name.clone());
        }
        if self.pending {
            record.insert(ann::STATE.into(), state::STATE_PENDING.into());
        }
        if let Some(by) = &self.approved_by {
            record.insert(ann::APPROVED_BY.into(), by.clone());
        }
        for (key, approvals) in
            [(ann::APPROVALS, &self.approvals), (ann::EXTENSION_APPROVALS, &self.extension_approvals)]
        {
            if !approvals.is_empty() {
                record.insert(key.into(), approvals_text(approvals));
            }
        }
        for (key, at) in [(ann::APPROVED_AT, self.approved_at), (ann::EXTENSION_REQUESTED, self.extension_requested)] {
            if let Some(at) = at {
                record.insert(key.into(), rfc3339(at));
            }
        }
        record
    }
}

/// The request ServiceAccount a support binding's subjects name: a ServiceAccount in the system
/// namespace `namespace` whose name carries request `id`, alone or (identity `own`) followed by
/// the User its name carries, its requester.
pub fn account_of(id: &str, subjects: &[Subject], namespace: &str) -> Option<String> {
    bound(id, subjects, namespace).map(|(account, _)| account)
}

/// The requester's own user a support binding's subjects name after its ServiceAccount
/// (identity `own`); `None` for a binding of the ServiceAccount alone, or of anything else.
pub fn user_of(id: &str, subjects: &[Subject], namespace: &str) -> Option<String> {
    bound(id, subjects, namespace).and_then(|(_, user)| user)
}

/// The request ServiceAccount and the requester's user (if bound too) of a support binding.
fn bound(id: &str, subjects: &[Subject], namespace: &str) -> Option<(String, Option<String>)> {
    let (first, rest) = subjects.split_first()?;
    let account = state::read_request_account(&first.name)
        .filter(|a| first.kind == "ServiceAccount" && first.namespace.as_deref() == Some(namespace) && a.id == id)?;
    match rest {
        [] => Some((first.name.clone(), None)),
        [user]
            if *user == user_subject(account.requester.as_deref().unwrap_or_default())
                && account.requester.is_some() =>
        {
            Some((first.name.clone(), account.requester))
        }
        _ => None,
    }
}

/// The subject that grants a request's ServiceAccount.
pub fn account_subject(namespace: &str, account: &str) -> Subject {
    Subject { kind: "ServiceAccount".into(), name: account.into(), namespace: Some(namespace.into()), api_group: None }
}

/// The subject that grants a user (identity `own`: the requester's own).
pub fn user_subject(user: &str) -> Subject {
    Subject {
        kind: "User".into(),
        name: user.into(),
        namespace: None,
        api_group: Some("rbac.authorization.k8s.io".into()),
    }
}

/// What a request's bindings bind: its ServiceAccount, and with identity `own` its requester's
/// user after it.
pub fn subjects_of(namespace: &str, account: &str, user: Option<&str>) -> Vec<Subject> {
    std::iter::once(account_subject(namespace, account)).chain(user.map(user_subject)).collect()
}

pub use crate::state::parse_time;

/// A binding as listed: which object, and the request groups among its subjects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BindingRef {
    pub kind: &'static str,
    pub namespace: Option<String>,
    pub name: String,
}

impl BindingRef {
    /// "ClusterRoleBinding x" or "RoleBinding ns/x".
    pub fn describe(&self) -> String {
        format!("{} {}{}", self.kind, self.namespace.as_ref().map(|ns| format!("{ns}/")).unwrap_or_default(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approvals_read_back_in_order_and_refuse_a_repeated_or_malformed_line() {
        let text = "2026-12-02T12:00:00Z alice\n2026-12-02T12:01:00Z bob smith";
        let approvals = parse_approvals(text).unwrap();
        let names: Vec<&str> = approvals.iter().map(|a| a.by.as_str()).collect();
        assert_eq!(names, ["alice", "bob smith"]);
        assert_eq!(approvals_text(&approvals), text);
        assert_eq!(parse_approvals("").unwrap(), vec![]);
        for bad in [
            "2026-12-02T12:00:00Z alice\n2026-12-02T12:01:00Z alice",
            "2026-12-02T12:00:00Z ",
            "alice",
            "2026-12-02T12:00:00+01:00 alice",
            "2026-12-02T12:00:00Z alice\n",
        ] {
            assert!(parse_approvals(bad).is_err(), "{bad:?}");
        }
    }

    fn labels(id: &str, role: &str) -> BTreeMap<String, String> {
        BTreeMap::from([
            (state::REQUEST_ID_LABEL.to_string(), id.to_string()),
            (state::ROLE_LABEL.to_string(), role.to_string()),
        ])
    }

    fn record() -> BTreeMap<String, String> {
        [
            (ann::REQUESTOR, "00uix9g0n77KrcdMq5d7"),
            (ann::REASON, "This is a test!"),
            (ann::REQUESTED_AT, "2026-03-30T23:12:53Z"),
            (ann::EXPIRES_AT, "2026-04-01T03:12:53Z"),
            (ann::CREDENTIAL_EXPIRES_AT, "2026-04-01T01:46:18Z"),
            (ann::REQUESTED_BY, "admin"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn reads_a_complete_record() {
        let mut grant =
            Grant::from_metadata("crusoe-support-ab12", None, &labels("ab12", "readonly"), &record()).unwrap();
        assert_eq!(grant.id, "ab12");
        assert_eq!(grant.role, GrantRole::Support(Role::Readonly));
        assert_eq!(grant.requestor, "00uix9g0n77KrcdMq5d7");
        // Without its subject (ended by its requester) it grants nothing.
        assert!(!grant.is_live("2026-03-31T00:00:00Z".parse().unwrap()));
        grant.account = state::request_account("ab12", grant.expires_at, "admin");
        assert!(grant.is_live("2026-03-31T00:00:00Z".parse().unwrap()));
        assert!(!grant.is_live("2026-04-01T03:12:53Z".parse().unwrap()));
    }

    #[test]
    fn the_record_written_reads_back_the_same() {
        let grant = Grant::from_metadata("crusoe-support-ab12", None, &labels("ab12", "readonly"), &record()).unwrap();
        let written = grant.record_annotations();
        assert_eq!(written, record());
        let again = Grant::from_metadata("crusoe-support-ab12", None, &labels("ab12", "readonly"), &written).unwrap();
        assert_eq!(again, grant);
    }

    #[test]
    fn a_record_that_does_not_parse_is_invalid_not_trusted() {
        let mut bad_time = record();
        bad_time.insert(ann::EXPIRES_AT.into(), "tomorrow".into());
        let mut missing = record();
        missing.remove(ann::REASON);
        let mut backwards = record();
        backwards.insert(ann::EXPIRES_AT.into(), "2026-01-01T00:00:00Z".into());
        for annotations in [bad_time, missing, backwards] {
            let invalid = Grant::from_metadata("crusoe-support-ab12", None, &labels("ab12", "readonly"), &annotations)
                .unwrap_err();
            assert_eq!(invalid.id.as_deref(), Some("ab12"));
        }
        let invalid =
            Grant::from_metadata("crusoe-support-ab12", None, &labels("ab12", "root"), &record()).unwrap_err();
        assert!(invalid.problem.contains("unknown role"));
    }

    #[test]
    fn a_record_of_an_allowed_cluster_role_names_it_in_an_annotation() {
        let mut annotations = record();
        annotations.insert(ann::CLUSTER_ROLE.into(), "system:aggregate-to-edit".into());
        let grant = Grant::from_metadata(
            "crusoe-support-ab12",
            Some("production"),
            &labels("ab12", "clusterrole"),
            &annotations,
        )
        .unwrap();
        assert_eq!(grant.role, GrantRole::Cluster("system:aggregate-to-edit".into()));
        assert_eq!(grant.role.label(), "clusterrole");
        assert_eq!(grant.role.cluster_role(), "system:aggregate-to-edit");
        assert!(grant.role.companions().is_empty());
        assert_eq!(grant.record_annotations(), annotations);
        assert_eq!(serde_json::to_value(&grant).unwrap()["role"], "system:aggregate-to-edit");
        // The annotation and the label go together; a name the owner could never allow is refused.
        let problem = |labels: BTreeMap<String, String>, annotations: &BTreeMap<String, String>| {
            Grant::from_metadata("crusoe-support-ab12", None, &labels, annotations).unwrap_err().problem
        };
        assert!(problem(labels("ab12", "clusterrole"), &record()).contains("annotation"));
        assert!(problem(labels("ab12", "readonly"), &annotations).contains("only for label"));
        for bad in ["readonly", "crusoe-support-operator", "a/b", "", "esc\u{1b}[2J"] {
            annotations.insert(ann::CLUSTER_ROLE.into(), bad.into());
            assert!(problem(labels("ab12", "clusterrole"), &annotations).contains(ann::CLUSTER_ROLE), "{bad:?}");
        }
    }
}
