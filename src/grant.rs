//! A support request as the cluster holds it: the binding named `crusoe-support-<id>` whose labels
//! and annotations are the request's record. Reading fails closed: a record that does not parse
//! is an [`InvalidGrant`], treated as expired and reported, never trusted.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams};
use serde::Serialize;

use crate::bindings::is_dns_label;
use crate::cluster::Connection;
use crate::error::Result;
use crate::output::rfc3339;
use crate::policy::{Policy, PolicyError, Role, read_stored_policy};
use crate::state::{self, annotations as ann};

/// A request with no credential this long after it was made was abandoned half-way (its
/// `request` died): it is swept as expired.
pub const ABANDONED_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(15);

/// A live or past support request.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    pub id: String,
    pub role: Role,
    /// The namespace of a scoped request; `None` for a cluster-wide one.
    pub scope: Option<String>,
    pub requestor: String,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub credential_expires_at: Option<DateTime<Utc>>,
    pub requested_by: String,
    /// Every annotation of the binding, as stored.
    pub annotations: BTreeMap<String, String>,
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
    fn of_record(grant: &Grant, problem: String) -> InvalidGrant {
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
    /// When the request ends: its `expires-at`, or sooner if it never got a credential.
    pub fn end(&self) -> DateTime<Utc> {
        match self.credential_expires_at {
            Some(_) => self.expires_at,
            None => {
                self.expires_at.min(self.requested_at.checked_add_signed(ABANDONED_AFTER).unwrap_or(self.expires_at))
            }
        }
    }

    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.end() > now
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
        let role = labels
            .get(state::ROLE_LABEL)
            .ok_or_else(|| invalid(format!("label {} is missing", state::ROLE_LABEL)))?
            .parse::<Role>()
            .map_err(|e| invalid(format!("label {}: {e}", state::ROLE_LABEL)))?;
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
        let credential_expires_at = match annotations.get(ann::CREDENTIAL_EXPIRES_AT) {
            None => None,
            Some(_) => Some(time(ann::CREDENTIAL_EXPIRES_AT)?),
        };
        let requested_at = time(ann::REQUESTED_AT)?;
        let expires_at = time(ann::EXPIRES_AT)?;
        if expires_at < requested_at {
            return Err(invalid("annotation expires-at is before requested-at".to_string()));
        }
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
            annotations: annotations.clone(),
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
        record
    }
}

/// RFC3339 with an explicit offset, converted to UTC.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// How much of the cluster's bindings to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The bindings carrying the managed label, selected by the server: records, companions, and
    /// anything else wearing the label (cheap; enough to find what the sweep deletes).
    Managed,
    /// Every binding: also foreign grants, and every binding of a request's group whatever its
    /// name or labels (what revocation deletes).
    All,
}

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

/// Every request record in the cluster, valid or not, the foreign grants, and which bindings
/// belong to which request's group.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Grants {
    pub valid: Vec<Grant>,
    pub invalid: Vec<InvalidGrant>,
    /// Bindings the plugin did not create whose subject is a support identity.
    pub foreign: Vec<ForeignGrant>,
    /// The Helm release whose static bindings use the support roles, when the chart is installed.
    pub helm: Option<HelmRelease>,
    /// The policy read with the bindings; `None` when there is none (never enabled).
    #[serde(skip)]
    pub policy: Option<Policy>,
    /// Why the stored policy cannot be trusted, when it cannot.
    #[serde(skip)]
    pub policy_problem: Option<PolicyError>,
    /// Every binding that belongs to a request: its record, its companions, and anything else whose
    /// subjects hold the request's group or that claims its id by name or label.
    #[serde(skip)]
    members: BTreeMap<String, BTreeSet<BindingRef>>,
    #[serde(skip)]
    scan: Option<Scan>,
}

struct Listed<'a> {
    kind: &'static str,
    meta: &'a ObjectMeta,
    role_ref: &'a RoleRef,
    subjects: &'a [Subject],
}

impl Listed<'_> {
    fn reference(&self) -> BindingRef {
        BindingRef {
            kind: self.kind,
            namespace: self.meta.namespace.clone(),
            name: self.meta.name.clone().unwrap_or_default(),
        }
    }
}

/// What a binding that claims a request id turned out to be, before the claims are counted.
enum Claim {
    Record(Grant),
    Companion { id: String, suffix: Companion, namespace: String },
    Invalid(InvalidGrant),
}

/// The `-logs` and `-debug` RoleBindings of a cluster-wide request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Companion {
    Logs,
    Debug,
}

impl Companion {
    pub fn suffix(self) -> &'static str {
        match self {
            Companion::Logs => "logs",
            Companion::Debug => "debug",
        }
    }

    pub fn cluster_role(self) -> &'static str {
        match self {
            Companion::Logs => crate::roles::LOGS,
            Companion::Debug => crate::roles::DEBUG,
        }
    }

    /// Which companions a request of this role gets.
    pub fn of(role: Role) -> &'static [Companion] {
        match role {
            Role::Readonly => &[Companion::Logs],
            Role::Operator => &[Companion::Logs, Companion::Debug],
        }
    }
}

impl Grants {
    /// Reads the policy and the bindings (three calls, concurrently) and sorts every binding that
    /// has anything to do with support into records, companions, invalid objects and foreign
    /// grants.
    pub async fn read(conn: &Connection, scan: Scan) -> Result<Grants> {
        let selector = match scan {
            Scan::All => ListParams::default(),
            Scan::Managed => ListParams::default().labels(state::MANAGED_SELECTOR),
        };
        let cluster_api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        let namespaced_api: Api<RoleBinding> = Api::all(conn.client.clone());
        let (policy, cluster, namespaced) = tokio::try_join!(
            read_stored_policy(conn),
            conn.call(cluster_api.list(&selector)),
            conn.call(namespaced_api.list(&selector))
        )?;
        let listed = cluster
            .items
            .iter()
            .map(|b| Listed {
                kind: "ClusterRoleBinding",
                meta: &b.metadata,
                role_ref: &b.role_ref,
                subjects: b.subjects.as_deref().unwrap_or_default(),
            })
            .chain(namespaced.items.iter().map(|b| Listed {
                kind: "RoleBinding",
                meta: &b.metadata,
                role_ref: &b.role_ref,
                subjects: b.subjects.as_deref().unwrap_or_default(),
            }));
        let (policy, policy_problem) = match policy {
            Ok(policy) => (policy, None),
            Err(problem) => (None, Some(problem)),
        };
        let mut grants = Grants::sort(listed, policy.as_ref());
        grants.policy = policy;
        grants.policy_problem = policy_problem;
        grants.scan = Some(scan);
        Ok(grants)
    }

    fn sort<'a>(listed: impl Iterator<Item = Listed<'a>>, policy: Option<&Policy>) -> Grants {
        let mut grants = Grants::default();
        let mut claims: Vec<Claim> = Vec::new();
        for binding in listed {
            if let Some(claim) = grants.add(&binding, policy) {
                claims.push(claim);
            }
        }
        // A request id claimed by more than one object: none of them is trusted.
        let mut claimed: BTreeMap<String, usize> = BTreeMap::new();
        for claim in &claims {
            let id = match claim {
                Claim::Record(grant) => Some(&grant.id),
                Claim::Invalid(invalid) => invalid.id.as_ref(),
                Claim::Companion { .. } => None,
            };
            if let Some(id) = id {
                *claimed.entry(id.clone()).or_default() += 1;
            }
        }
        let mut companions = Vec::new();
        for claim in claims {
            match claim {
                Claim::Record(grant) if claimed.get(&grant.id).copied().unwrap_or(0) > 1 => {
                    let problem = format!(
                        "{} objects claim request id {}; none of them is trusted",
                        claimed[&grant.id], grant.id
                    );
                    grants.invalid.push(InvalidGrant::of_record(&grant, problem));
                }
                Claim::Record(grant) => grants.valid.push(grant),
                Claim::Invalid(mut invalid) => {
                    if let Some(n) = invalid.id.as_ref().and_then(|id| claimed.get(id)).filter(|n| **n > 1) {
                        invalid.problem = format!("{}; {n} objects claim its request id", invalid.problem);
                    }
                    grants.invalid.push(invalid)
                }
                Claim::Companion { id, suffix, namespace } => companions.push((id, suffix, namespace)),
            }
        }
        // A companion is trusted only beside a trusted cluster-wide record of a role that has it.
        for (id, suffix, namespace) in companions {
            let record = grants.valid.iter().find(|g| g.id == id);
            let problem = match record {
                None => Some("its request has no trusted record".to_string()),
                Some(grant) if grant.scope.is_some() => Some("its request is scoped to a namespace".to_string()),
                Some(grant) if !Companion::of(grant.role).contains(&suffix) => {
                    Some(format!("a {} request has no -{} binding", grant.role, suffix.suffix()))
                }
                Some(_) => None,
            };
            if let Some(problem) = problem {
                let name = format!("{}-{}", state::binding_name(&id), suffix.suffix());
                grants.invalid.push(InvalidGrant {
                    kind: "RoleBinding",
                    name,
                    namespace: Some(namespace),
                    id: Some(id),
                    managed: true,
                    problem,
                });
            }
        }
        grants.valid.sort_by(|a, b| a.requested_at.cmp(&b.requested_at).then(a.id.cmp(&b.id)));
        grants
    }

    /// Notes one binding: Helm's, foreign, or a claim on a request id to be judged with the others.
    fn add(&mut self, binding: &Listed<'_>, policy: Option<&Policy>) -> Option<Claim> {
        let meta = binding.meta;
        let name = meta.name.clone().unwrap_or_default();
        let namespace = meta.namespace.as_deref();
        let labels = meta.labels.clone().unwrap_or_default();
        if let Some((release, chart)) = crate::install::helm_release(meta)
            && binding.role_ref.kind == "ClusterRole"
            && crate::roles::definitions().iter().any(|d| d.name == binding.role_ref.name)
        {
            let helm = self.helm.get_or_insert_with(|| HelmRelease { release, chart, groups: Vec::new() });
            helm.groups.extend(binding.subjects.iter().map(|s| s.name.clone()));
            helm.groups.sort();
            helm.groups.dedup();
        }
        let managed = labels.get(state::MANAGED_LABEL).map(String::as_str) == Some("true");
        let label_id = labels.get(state::REQUEST_ID_LABEL).cloned();
        let support: Vec<&Subject> = binding
            .subjects
            .iter()
            .filter(|s| (s.kind == "Group" || s.kind == "User") && state::is_support_subject(&s.name))
            .collect();
        // Revocation deletes every binding of the request's group, whatever it is called.
        for subject in &support {
            if let Some(id) = subject.name.strip_prefix(&state::request_group("")) {
                self.members.entry(id.to_string()).or_default().insert(binding.reference());
            }
        }
        let named_id = name.strip_prefix(&state::binding_name("")).filter(|id| is_dns_label(id));
        let claimed_id = label_id.clone().or_else(|| named_id.map(str::to_string));
        if let Some(id) = &claimed_id
            && (managed || label_id.is_some())
        {
            self.members.entry(id.clone()).or_default().insert(binding.reference());
        }
        if !managed {
            if !support.is_empty() {
                self.foreign.push(ForeignGrant {
                    kind: binding.kind,
                    name,
                    namespace: namespace.map(str::to_string),
                    role: format!("{} {}", binding.role_ref.kind, binding.role_ref.name),
                    subjects: support.iter().map(|s| format!("{} {}", s.kind, s.name)).collect(),
                });
                return None;
            }
            return label_id.map(|id| {
                Claim::Invalid(InvalidGrant {
                    kind: binding.kind,
                    name,
                    namespace: namespace.map(str::to_string),
                    id: Some(id),
                    managed: false,
                    problem: "it carries a request-id label but not the managed label".into(),
                })
            });
        }
        Some(judge(binding, &labels, policy))
    }

    /// The requests still running at `now`, oldest first.
    pub fn live(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.valid.iter().filter(|g| g.is_live(now)).collect()
    }

    /// Live requests that hold a credential: the working ones `get` lists.
    pub fn working(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.live(now).into_iter().filter(|g| g.credential_expires_at.is_some()).collect()
    }

    /// Live requests still being made (no credential yet).
    pub fn pending(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.live(now).into_iter().filter(|g| g.credential_expires_at.is_none()).collect()
    }

    pub fn find(&self, id: &str) -> Option<&Grant> {
        self.valid.iter().find(|g| g.id == id)
    }

    /// Whether some untrusted object claims this request id.
    pub fn is_untrusted(&self, id: &str) -> bool {
        self.invalid.iter().any(|g| g.id.as_deref() == Some(id))
    }

    /// Every binding of this request: whose subjects hold its group, or that claims its id by
    /// name or label. Complete only when every binding was read ([`Scan::All`]).
    pub fn bindings_of(&self, id: &str) -> Vec<BindingRef> {
        self.members.get(id).map(|set| set.iter().cloned().collect()).unwrap_or_default()
    }

    /// Every binding of every request (see [`Grants::bindings_of`]).
    pub fn all_request_bindings(&self) -> Vec<BindingRef> {
        let all: BTreeSet<&BindingRef> = self.members.values().flatten().collect();
        all.into_iter().cloned().collect()
    }

    /// Whether every binding of the cluster was read.
    pub fn is_complete(&self) -> bool {
        self.scan == Some(Scan::All)
    }
}

/// Judges a managed binding: the exact record of its id, one of its companions, or invalid.
fn judge(binding: &Listed<'_>, labels: &BTreeMap<String, String>, policy: Option<&Policy>) -> Claim {
    let meta = binding.meta;
    let name = meta.name.clone().unwrap_or_default();
    let namespace = meta.namespace.clone();
    let label_id = labels.get(state::REQUEST_ID_LABEL).cloned();
    let named_id = name.strip_prefix(&state::binding_name("")).filter(|id| is_dns_label(id)).map(str::to_string);
    let invalid = |id: Option<String>, problem: String| {
        Claim::Invalid(InvalidGrant {
            kind: binding.kind,
            name: name.clone(),
            namespace: namespace.clone(),
            id,
            managed: true,
            problem,
        })
    };
    let Some(id) = label_id.clone().filter(|id| is_dns_label(id)) else {
        return invalid(named_id, format!("label {} is missing or not a request id", state::REQUEST_ID_LABEL));
    };
    let group = state::request_group(&id);
    let only_the_group = matches!(binding.subjects, [only] if only.kind == "Group" && only.name == group);
    for companion in [Companion::Logs, Companion::Debug] {
        if name == format!("{}-{}", state::binding_name(&id), companion.suffix()) {
            let problem = if binding.kind != "RoleBinding" {
                Some("a companion must be a RoleBinding".to_string())
            } else if binding.role_ref.kind != "ClusterRole" || binding.role_ref.name != companion.cluster_role() {
                Some(format!(
                    "roleRef is {} {}, not ClusterRole {}",
                    binding.role_ref.kind,
                    binding.role_ref.name,
                    companion.cluster_role()
                ))
            } else if !only_the_group {
                Some(format!("its only subject must be Group {group}"))
            } else if let Some(policy) = policy
                && !namespace.as_ref().is_some_and(|ns| policy.system_namespaces.contains(ns))
            {
                Some("its namespace is not one of the policy's system namespaces".to_string())
            } else {
                None
            };
            return match problem {
                Some(problem) => invalid(None, problem),
                None => Claim::Companion { id, suffix: companion, namespace: namespace.unwrap_or_default() },
            };
        }
    }
    if name != state::binding_name(&id) {
        return invalid(Some(id.clone()), format!("its name is not {}, the record's name", state::binding_name(&id)));
    }
    let annotations = meta.annotations.clone().unwrap_or_default();
    let record = Grant::from_metadata(&name, namespace.as_deref(), labels, &annotations).and_then(|grant| {
        let problem = check_binding(&grant, binding.role_ref, binding.subjects)
            .err()
            .or_else(|| policy.and_then(|p| check_policy(&grant, p).err()));
        match problem {
            Some(problem) => Err(InvalidGrant::of_record(&grant, problem)),
            None => Ok(grant),
        }
    });
    match record {
        Ok(grant) => Claim::Record(grant),
        Err(invalid) => Claim::Invalid(InvalidGrant { kind: binding.kind, ..invalid }),
    }
}

/// A record whose roleRef or subject was edited is not trusted.
fn check_binding(grant: &Grant, role_ref: &RoleRef, subjects: &[Subject]) -> Result<(), String> {
    let expected_role = cluster_role_of(grant.role);
    if role_ref.kind != "ClusterRole" || role_ref.name != expected_role {
        return Err(format!("roleRef is {} {}, not ClusterRole {expected_role}", role_ref.kind, role_ref.name));
    }
    let group = state::request_group(&grant.id);
    match subjects {
        [only] if only.kind == "Group" && only.name == group => Ok(()),
        _ => Err(format!("subjects were edited: the only subject must be Group {group}")),
    }
}

/// A record the policy would not have let anyone make is not trusted either.
fn check_policy(grant: &Grant, policy: &Policy) -> Result<(), String> {
    if !policy.enabled_roles.contains(&grant.role) {
        return Err(format!("role {} is not enabled", grant.role));
    }
    let longest = chrono::Duration::from_std(policy.max_duration).unwrap_or(chrono::Duration::MAX);
    if grant.expires_at - grant.requested_at > longest {
        return Err(format!(
            "it lasts {} from requested-at to expires-at, longer than the policy's maxDuration {}",
            crate::duration::format_duration((grant.expires_at - grant.requested_at).to_std().unwrap_or_default()),
            crate::duration::format_duration(policy.max_duration)
        ));
    }
    Ok(())
}

/// The ClusterRole a request's record binding refers to.
pub fn cluster_role_of(role: Role) -> &'static str {
    match role {
        Role::Readonly => crate::roles::READONLY,
        Role::Operator => crate::roles::OPERATOR,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let grant = Grant::from_metadata("crusoe-support-ab12", None, &labels("ab12", "readonly"), &record()).unwrap();
        assert_eq!(grant.id, "ab12");
        assert_eq!(grant.role, Role::Readonly);
        assert_eq!(grant.requestor, "00uix9g0n77KrcdMq5d7");
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
}
