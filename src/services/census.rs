//! Every binding of the cluster that has anything to do with support, sorted: trusted request
//! records and their companions, invalid objects (reported, and deleted by the sweep when they
//! wear the managed label), foreign grants (reported, never deleted), and which bindings belong
//! to which request's group — what revocation deletes.
//!
//! A little over 450 lines: the sorting is one decision table (each binding into exactly one
//! class, with why), which reads better whole than split.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use k8s_openapi::api::rbac::v1::{RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Serialize;

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::cluster::policy::read_stored_policy;
pub use crate::cluster::scan::Scan;
use crate::cluster::scan::{Binding, Bindings};
use crate::state;
use crate::state::is_dns_label;
use crate::state::policy::{Policy, PolicyError};
use crate::state::record::{BindingRef, ForeignGrant, Grant, HelmRelease, InvalidGrant};
use crate::state::roles::Companion;
use crate::state::roles::GrantRole;

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
    /// The system namespace, where request ServiceAccounts live.
    #[serde(skip)]
    namespace: String,
}

struct Listed<'a> {
    kind: &'static str,
    meta: &'a ObjectMeta,
    role_ref: &'a RoleRef,
    subjects: &'a [Subject],
}

impl<'a> Listed<'a> {
    fn of<K: Binding>(kind: &'static str, binding: &'a K) -> Listed<'a> {
        Listed { kind, meta: binding.meta(), role_ref: binding.role_ref(), subjects: binding.subjects() }
    }

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
    Record(Box<Grant>),
    Companion {
        id: String,
        suffix: Companion,
        namespace: String,
    },
    /// Identity `own`: a request's holder binding; `young` while its record may still be on its
    /// way (`request` makes the holder first).
    Holder {
        id: String,
        young: bool,
    },
    Invalid(InvalidGrant),
}

impl Grants {
    /// Reads the policy and the bindings (concurrently, see [`crate::cluster::scan`]) and sorts every binding that
    /// has anything to do with support into records, companions, invalid objects and foreign
    /// grants.
    pub async fn read(conn: &Connection, scan: Scan) -> Result<Grants> {
        let (policy, bindings) = tokio::try_join!(read_stored_policy(conn), Bindings::read(conn, scan))?;
        Ok(Grants::of(conn, policy, &bindings, scan))
    }

    /// Reads the policy and one request's bindings (see [`Bindings::read_request`]).
    pub async fn read_request(conn: &Connection, id: &str) -> Result<Grants> {
        let (policy, bindings) = tokio::try_join!(read_stored_policy(conn), Bindings::read_request(conn, id))?;
        Ok(Grants::of(conn, policy, &bindings, Scan::Managed))
    }

    /// The bindings read, sorted, with the policy read beside them.
    fn of(
        conn: &Connection,
        policy: std::result::Result<Option<Policy>, PolicyError>,
        bindings: &Bindings,
        scan: Scan,
    ) -> Grants {
        let listed = bindings
            .cluster
            .iter()
            .map(|b| Listed::of("ClusterRoleBinding", b))
            .chain(bindings.namespaced.iter().map(|b| Listed::of("RoleBinding", b)));
        let (policy, policy_problem) = match policy {
            Ok(policy) => (policy, None),
            Err(problem) => (None, Some(problem)),
        };
        let mut grants = Grants::sort(listed, policy.as_ref(), &conn.namespace);
        grants.policy = policy;
        grants.policy_problem = policy_problem;
        grants.scan = Some(scan);
        grants
    }

    fn sort<'a>(listed: impl Iterator<Item = Listed<'a>>, policy: Option<&Policy>, namespace: &str) -> Grants {
        let mut grants = Grants { namespace: namespace.to_string(), ..Grants::default() };
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
                Claim::Companion { .. } | Claim::Holder { .. } => None,
            };
            if let Some(id) = id {
                *claimed.entry(id.clone()).or_default() += 1;
            }
        }
        let (mut companions, mut holders) = (Vec::new(), Vec::new());
        let held: BTreeSet<String> = claims
            .iter()
            .filter_map(|claim| match claim {
                Claim::Holder { id, .. } => Some(id.clone()),
                _ => None,
            })
            .collect();
        for claim in claims {
            match claim {
                Claim::Record(grant) if claimed.get(&grant.id).copied().unwrap_or(0) > 1 => {
                    let problem = format!(
                        "{} objects claim request id {}; none of them is trusted",
                        claimed[&grant.id], grant.id
                    );
                    grants.invalid.push(InvalidGrant::of_record(&grant, problem));
                }
                // Identity `own`: the user holds the role only while its holder binding puts it
                // under the guardrails (made before the grant; only cluster-admin removes one).
                Claim::Record(grant) if grant.user.is_some() && !held.contains(&grant.id) => {
                    let problem = format!(
                        "it binds its requester's own user without its holder binding {}, so the guardrails \
                         would not hold that user",
                        state::holder_name(&grant.id)
                    );
                    grants.invalid.push(InvalidGrant::of_record(&grant, problem));
                }
                Claim::Record(grant) => grants.valid.push(*grant),
                Claim::Invalid(mut invalid) => {
                    if let Some(n) = invalid.id.as_ref().and_then(|id| claimed.get(id)).filter(|n| **n > 1) {
                        invalid.problem = format!("{}; {n} objects claim its request id", invalid.problem);
                    }
                    grants.invalid.push(invalid)
                }
                Claim::Companion { id, suffix, namespace } => companions.push((id, suffix, namespace)),
                Claim::Holder { id, young: false } => holders.push(id),
                Claim::Holder { young: true, .. } => {}
            }
        }
        // A holder goes with its record: without one (past the moment `request` takes between
        // them) it is swept.
        for id in holders.into_iter().filter(|id| !grants.valid.iter().any(|g| &g.id == id)) {
            grants.invalid.push(InvalidGrant {
                kind: "ClusterRoleBinding",
                name: state::holder_name(&id),
                namespace: None,
                id: Some(id),
                managed: true,
                problem: "its request has no trusted record".to_string(),
            });
        }
        // A companion is trusted only beside a trusted cluster-wide record of a role that has it.
        for (id, suffix, namespace) in companions {
            let record = grants.valid.iter().find(|g| g.id == id);
            let problem = match record {
                None => Some("its request has no trusted record".to_string()),
                Some(grant) if grant.scope.is_some() => Some("its request is scoped to a namespace".to_string()),
                Some(grant) if !companions_in(policy, &grant.role, &namespace).contains(&suffix) => {
                    Some(format!("a {} request has no -{} binding in {namespace}", grant.role, suffix.suffix()))
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
        if let Some((release, chart)) = crate::cluster::install::helm_release(meta)
            && binding.role_ref.kind == "ClusterRole"
            && crate::services::roles::definitions().iter().any(|d| d.name == binding.role_ref.name)
        {
            let helm = self.helm.get_or_insert_with(|| HelmRelease { release, chart, groups: Vec::new() });
            helm.groups.extend(binding.subjects.iter().map(|s| s.name.clone()));
            helm.groups.sort();
            helm.groups.dedup();
        }
        // The bindings of who may request and approve are the plugin's, but no request's.
        if crate::services::requesters::Party::ALL.iter().any(|p| p.name() == name && binding.role_ref.name == name) {
            return None;
        }
        let managed = labels.get(state::MANAGED_LABEL).map(String::as_str) == Some("true");
        let label_id = labels.get(state::REQUEST_ID_LABEL).cloned();
        // A support role (or the right to ask or answer) given by a binding of no one's: whoever it
        // names holds support access outside every request, unless it is a request's ServiceAccount.
        let gives_support_role = !managed
            && binding.role_ref.kind == "ClusterRole"
            && crate::cluster::install::helm_release(meta).is_none()
            && (crate::services::roles::names().contains(&binding.role_ref.name.as_str())
                || crate::services::requesters::Party::ALL.iter().any(|p| p.name() == binding.role_ref.name));
        let support: Vec<&Subject> = binding
            .subjects
            .iter()
            .filter(|s| {
                let support_named = matches!(s.kind.as_str(), "Group" | "User" | "ServiceAccount")
                    && state::is_support_subject(&s.name);
                let request_account = s.kind == "ServiceAccount"
                    && s.namespace.as_deref() == Some(self.namespace.as_str())
                    && state::parse_request_account(&s.name).is_some();
                support_named || (gives_support_role && !request_account)
            })
            .collect();
        // Revocation deletes every binding of the request's ServiceAccount, whatever it is called.
        for subject in &support {
            if subject.kind == "ServiceAccount"
                && subject.namespace.as_deref() == Some(self.namespace.as_str())
                && let Some((id, _)) = state::parse_request_account(&subject.name)
            {
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
                    subjects: support
                        .iter()
                        .map(|s| match &s.namespace {
                            Some(ns) if s.kind == "ServiceAccount" => format!("{} {ns}/{}", s.kind, s.name),
                            _ => format!("{} {}", s.kind, s.name),
                        })
                        .collect(),
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
        Some(judge(binding, &labels, policy, &self.namespace))
    }

    /// The requests still running at `now`, oldest first.
    pub fn live(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.valid.iter().filter(|g| g.is_live(now)).collect()
    }

    /// Live requests that hold a credential: the working ones `get` lists.
    pub fn working(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.live(now).into_iter().filter(|g| g.credential_expires_at.is_some()).collect()
    }

    /// Live requests still being made (approved, or not needing approval, but no credential yet).
    pub fn being_made(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.live(now).into_iter().filter(|g| !g.pending && g.credential_expires_at.is_none()).collect()
    }

    /// Requests waiting for the owner's approval, oldest first.
    pub fn pending(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.live(now).into_iter().filter(|g| g.pending).collect()
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

    /// This listing when it holds every binding, otherwise a fresh one that does: what revocation
    /// by group needs.
    pub async fn with_every_binding(&self, conn: &Connection) -> Result<std::borrow::Cow<'_, Grants>> {
        Ok(if self.is_complete() {
            std::borrow::Cow::Borrowed(self)
        } else {
            std::borrow::Cow::Owned(Grants::read(conn, Scan::All).await?)
        })
    }

    /// Whether every binding of the cluster was read.
    pub fn is_complete(&self) -> bool {
        self.scan == Some(Scan::All)
    }
}

/// The companions a request of this role has in this namespace; without a policy, the role's.
fn companions_in(policy: Option<&Policy>, role: &GrantRole, namespace: &str) -> &'static [Companion] {
    match policy {
        Some(policy) => policy.companions_in(role, namespace),
        None => role.companions(),
    }
}

/// How long a holder binding may stand without its record: `request` makes the holder, then the
/// record (retrying for up to ten seconds while RBAC's cache catches up).
const HOLDER_BEFORE_RECORD: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Judges a managed binding: the exact record of its id, one of its companions, or invalid.
fn judge(binding: &Listed<'_>, labels: &BTreeMap<String, String>, policy: Option<&Policy>, system: &str) -> Claim {
    let meta = binding.meta;
    let name = meta.name.clone().unwrap_or_default();
    let namespace = meta.namespace.clone();
    let label_id = labels.get(state::REQUEST_ID_LABEL).cloned();
    let named_id = name.strip_prefix(&state::binding_name("")).filter(|id| is_dns_label(id)).map(str::to_string);
    let untrusted = |id: Option<String>, problem: String| InvalidGrant {
        kind: binding.kind,
        name: name.clone(),
        namespace: namespace.clone(),
        id,
        managed: true,
        problem,
    };
    let invalid = |id: Option<String>, problem: String| Claim::Invalid(untrusted(id, problem));
    let Some(id) = label_id.clone().filter(|id| is_dns_label(id)) else {
        return invalid(named_id, format!("label {} is missing or not a request id", state::REQUEST_ID_LABEL));
    };
    let account = crate::state::record::account_of(&id, binding.subjects, system);
    // A request ServiceAccount of this id in another namespace: another installation's request
    // (read with the wrong `-n`), or planted. Reported, never swept from here.
    if let [only] = binding.subjects
        && only.kind == "ServiceAccount"
        && only.namespace.as_deref() != Some(system)
        && state::parse_request_account(&only.name).is_some_and(|(of, _)| of == id)
    {
        let problem = format!(
            "it binds ServiceAccount {}/{}, not one of the system namespace {system} (another installation's \
             request, or planted)",
            only.namespace.as_deref().unwrap_or_default(),
            only.name
        );
        return Claim::Invalid(InvalidGrant { managed: false, ..untrusted(Some(id.clone()), problem) });
    }
    if name == state::holder_name(&id) {
        return match binding.kind == "ClusterRoleBinding"
            && binding.role_ref.kind == "ClusterRole"
            && binding.role_ref.name == state::HOLDER_ROLE
            && crate::state::record::user_of(&id, binding.subjects, system).is_some()
        {
            true => {
                let made = meta.creation_timestamp.as_ref().and_then(|t| crate::state::parse_time(&t.0.to_string()));
                let young = made.is_some_and(|at| Utc::now() - at < HOLDER_BEFORE_RECORD);
                Claim::Holder { id, young }
            }
            false => invalid(
                None,
                format!(
                    "a holder binding is a ClusterRoleBinding of ClusterRole {} to its request's ServiceAccount and \
                     then its requester's user",
                    state::HOLDER_ROLE
                ),
            ),
        };
    }
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
            } else if account.is_none() {
                Some(format!("its only subject must be a ServiceAccount {system}/crusoe-support-{id}-<end>"))
            } else if let Some(policy) = policy
                && !namespace.as_ref().is_some_and(|ns| policy.companion_namespaces().contains(ns))
            {
                Some("its namespace is not one of the policy's system or operator namespaces".to_string())
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
    let record = Grant::from_metadata(&name, namespace.as_deref(), labels, &annotations).and_then(|mut grant| {
        grant.read_as = meta.uid.clone().zip(meta.resource_version.clone());
        grant.changed_outside = changed_outside(meta);
        if grant.pending {
            let ttl = policy.map(|p| p.pending_ttl).unwrap_or_default();
            grant.pending_until = policy.and_then(|_| crate::base::duration::after(grant.requested_at, ttl));
        }
        grant.account = account.clone();
        grant.user = crate::state::record::user_of(&id, binding.subjects, system);
        let problem = check_binding(&grant, binding.role_ref, binding.subjects, system)
            .err()
            .or_else(|| policy.and_then(|p| check_policy(&grant, p).err()));
        match problem {
            Some(problem) => Err(InvalidGrant::of_record(&grant, problem)),
            None => Ok(grant),
        }
    });
    match record {
        Ok(grant) => Claim::Record(Box::new(grant)),
        Err(invalid) => Claim::Invalid(InvalidGrant { kind: binding.kind, ..invalid }),
    }
}

/// The writes to a record's state by field managers other than the plugin's, after its creation:
/// its subjects, and its labels and annotations of the state format.
fn changed_outside(meta: &ObjectMeta) -> Vec<crate::state::record::OutsideChange> {
    let mut changes = Vec::new();
    let time = |t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>| {
        t.and_then(|t| crate::state::parse_time(&t.0.to_string()))
    };
    let made = time(meta.creation_timestamp.as_ref());
    // Managed fields' times and the creation's are whole seconds, stamped at two moments of the
    // one create: the entry of the write that made the record may say the second before or after.
    let at_creation = |at: Option<DateTime<Utc>>| {
        at.zip(made).is_some_and(|(at, made)| (at - made).abs() <= chrono::TimeDelta::seconds(1))
    };
    // The plugin wrote as the record was made: it made it.
    let plugin_made = meta.managed_fields.iter().flatten().any(|e| {
        state::is_plugin_manager(e.manager.as_deref().unwrap_or_default()) && at_creation(time(e.time.as_ref()))
    });
    for entry in meta.managed_fields.iter().flatten() {
        let manager = entry.manager.clone().unwrap_or_default();
        if state::is_plugin_manager(&manager) {
            continue;
        }
        let Some(fields) = entry.fields_v1.as_ref().map(|f| &f.0) else { continue };
        let mut touched = Vec::new();
        if fields.get("f:subjects").is_some() {
            touched.push("subjects".to_string());
        }
        for map in ["f:labels", "f:annotations"] {
            let keys = fields.get("f:metadata").and_then(|m| m.get(map)).and_then(|m| m.as_object());
            touched.extend(
                keys.into_iter()
                    .flatten()
                    .filter_map(|(k, _)| k.strip_prefix("f:").and_then(|k| k.strip_prefix(state::PREFIX)))
                    .map(str::to_string),
            );
        }
        let at = time(entry.time.as_ref());
        // A record made outside the plugin is the sweep's "made without a history line": only
        // later writes are changes. A write as the record was made is a change when the plugin
        // made it (its own entry has that time).
        if !touched.is_empty() && (plugin_made || !at_creation(at)) {
            changes.push(crate::state::record::OutsideChange { manager, at, fields: touched });
        }
    }
    changes
}

/// A record whose roleRef or subject was edited is not trusted.
fn check_binding(grant: &Grant, role_ref: &RoleRef, subjects: &[Subject], namespace: &str) -> Result<(), String> {
    let expected_role = grant.role.cluster_role();
    if role_ref.kind != "ClusterRole" || role_ref.name != expected_role {
        return Err(format!("roleRef is {} {}, not ClusterRole {expected_role}", role_ref.kind, role_ref.name));
    }
    match subjects {
        // Pending, or ended by its requester: it grants nothing.
        [] => Ok(()),
        _ if grant.pending => Err("a pending request must have no subjects until it is approved".to_string()),
        _ => match &grant.account {
            Some(_) => Ok(()),
            None => Err(format!(
                "subjects were edited (or it is in the form of before ServiceAccount credentials): the only \
                 subject must be ServiceAccount {namespace}/crusoe-support-{}-<end>",
                grant.id
            )),
        },
    }
}

/// A record the policy would not have let anyone make is not trusted either.
fn check_policy(grant: &Grant, policy: &Policy) -> Result<(), String> {
    if !policy.lists(&grant.role, grant.scope.as_deref()) {
        return Err(match (&grant.role, &grant.scope) {
            (GrantRole::Cluster(_), None) if policy.allowed_cluster_role(grant.role.name()).is_some() => {
                format!("ClusterRole {} is allowed in namespaces only", grant.role)
            }
            (GrantRole::Cluster(_), _) => format!("ClusterRole {} is not allowed (key clusterRoles)", grant.role),
            (GrantRole::Support(_), _) => format!("role {} is not enabled", grant.role),
        });
    }
    let longest = chrono::Duration::from_std(policy.max_duration).unwrap_or(chrono::Duration::MAX);
    if grant.expires_at - grant.requested_at > longest {
        return Err(format!(
            "it lasts {} from requested-at to expires-at, longer than the policy's maxDuration {}",
            crate::base::duration::format_duration(
                (grant.expires_at - grant.requested_at).to_std().unwrap_or_default()
            ),
            crate::base::duration::format_duration(policy.max_duration)
        ));
    }
    Ok(())
}

/// Warns about every binding that is not a trusted part of a request: invalid ones and foreign
/// grants (`get`, `sweep` and `roles --verify` say the same).
pub fn warn_untrusted(invalid: &[InvalidGrant], foreign: &[ForeignGrant]) {
    for invalid in invalid {
        let fate = if invalid.managed {
            "it is never read as a request, and `sweep` removes it"
        } else {
            "it is never read as a request; it lacks the managed label, so it is left for you to remove"
        };
        crate::output::warn(&format!(
            "{} cannot be trusted ({}); {fate}",
            invalid.reference().describe(),
            invalid.problem
        ));
    }
    for grant in foreign {
        crate::output::warn(&format!(
            "foreign grant: {}; it is not managed by this plugin, outlives revocation, and is left alone",
            grant.describe()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::annotations as ann;
    use crate::state::roles::Role;

    struct Fake {
        kind: &'static str,
        meta: ObjectMeta,
        role_ref: RoleRef,
        subjects: Vec<Subject>,
    }

    fn group(name: &str) -> Subject {
        Subject {
            kind: "Group".into(),
            name: name.into(),
            api_group: Some("rbac.authorization.k8s.io".into()),
            namespace: None,
        }
    }

    fn record(id: &str, role: &str, requested_at: &str, expires_at: &str) -> Fake {
        let mut labels = state::managed_labels();
        labels.insert(state::REQUEST_ID_LABEL.into(), id.into());
        labels.insert(state::ROLE_LABEL.into(), role.into());
        let annotations = [
            (ann::REQUESTOR, "alice"),
            (ann::REASON, "node n1"),
            (ann::REQUESTED_AT, requested_at),
            (ann::EXPIRES_AT, expires_at),
            (ann::CREDENTIAL_EXPIRES_AT, requested_at),
            (ann::REQUESTED_BY, "admin"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Fake {
            kind: "ClusterRoleBinding",
            meta: ObjectMeta {
                name: Some(state::binding_name(id)),
                labels: Some(labels),
                annotations: Some(annotations),
                ..ObjectMeta::default()
            },
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: format!("crusoe-support-{role}"),
            },
            subjects: vec![crate::state::record::account_subject(NS, &account(id))],
        }
    }

    const NS: &str = "crusoe-system";

    fn account(id: &str) -> String {
        state::request_account(id, crate::state::record::parse_time("2026-11-23T12:00:00Z").unwrap(), "alice").unwrap()
    }

    fn live(id: &str) -> Fake {
        record(id, "operator", "2026-11-23T10:00:00Z", "2026-11-23T12:00:00Z")
    }

    fn policy() -> Policy {
        Policy {
            enabled: true,
            enabled_roles: vec![Role::Readonly, Role::Operator],
            system_namespaces: vec!["kube-system".into()],
            ..Policy::default()
        }
    }

    fn sorted(fakes: &[Fake], policy: Option<&Policy>) -> Grants {
        let listed =
            fakes.iter().map(|f| Listed { kind: f.kind, meta: &f.meta, role_ref: &f.role_ref, subjects: &f.subjects });
        let mut grants = Grants::sort(listed, policy, NS);
        grants.scan = Some(Scan::All);
        grants
    }

    #[test]
    fn an_own_identity_record_binds_its_user_and_its_holder_goes_with_it() {
        let user = crate::state::record::user_subject("alice");
        let mut own = live("ab12");
        own.subjects.push(user.clone());
        let holder = |id: &str, made: chrono::DateTime<Utc>, who: Subject| {
            let mut holder = live(id);
            holder.meta.name = Some(state::holder_name(id));
            holder.meta.creation_timestamp =
                Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(made.to_rfc3339().parse().unwrap()));
            holder.role_ref.name = state::HOLDER_ROLE.into();
            holder.subjects.push(who);
            holder
        };
        let old = Utc::now() - chrono::TimeDelta::minutes(5);
        let grants = sorted(
            &[
                own,
                holder("ab12", old, user.clone()),
                // Made by a `request` a moment ago, its record not there yet: left alone.
                holder("cd34", Utc::now(), user.clone()),
                // Its record gone: swept.
                holder("ef56", old, user.clone()),
                // Not the user its ServiceAccount carries.
                holder("gh78", old, crate::state::record::user_subject("bob")),
            ],
            Some(&policy()),
        );
        assert_eq!(grants.valid.len(), 1);
        assert_eq!(grants.valid[0].user.as_deref(), Some("alice"));
        let invalid: Vec<&str> = grants.invalid.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(invalid, ["crusoe-support-gh78-holder", "crusoe-support-ef56-holder"], "{:?}", grants.invalid);
        // Its holder deleted (only cluster-admin may): the record is not trusted, and is revoked.
        let mut alone = live("ab12");
        alone.subjects.push(user);
        let grants = sorted(&[alone], Some(&policy()));
        assert!(grants.valid.is_empty(), "{:?}", grants.valid);
        assert!(grants.invalid[0].problem.contains("without its holder binding crusoe-support-ab12-holder"));
    }

    #[test]
    fn a_decoy_rolebinding_of_the_same_name_makes_neither_trusted_and_revocation_finds_both() {
        let mut decoy = live("ab12");
        decoy.kind = "RoleBinding";
        decoy.meta.namespace = Some("team-a".into());
        decoy.role_ref.kind = "Role".into();
        let grants = sorted(&[live("ab12"), decoy], Some(&policy()));
        assert!(grants.valid.is_empty(), "{:?}", grants.valid);
        assert_eq!(grants.invalid.len(), 2);
        assert!(grants.invalid.iter().any(|g| g.problem.contains("roleRef is Role")));
        let revoked: Vec<String> = grants.bindings_of("ab12").iter().map(BindingRef::describe).collect();
        assert_eq!(revoked, ["ClusterRoleBinding crusoe-support-ab12", "RoleBinding team-a/crusoe-support-ab12"]);
    }

    #[test]
    fn a_backdoor_of_the_request_account_is_invalid_and_revoked_with_it() {
        let mut backdoor = live("ab12");
        backdoor.meta.name = Some("crusoe-support-ab12-backdoor".into());
        backdoor.role_ref.name = "cluster-admin".into();
        let mut foreign = live("zz99");
        foreign.meta.name = Some("someone-elses".into());
        foreign.meta.labels = None;
        foreign.subjects = vec![crate::state::record::account_subject(NS, &account("ab12"))];
        // The same name in another namespace is another identity: not the request's.
        let mut elsewhere = live("zz98");
        elsewhere.meta.name = Some("tenant-binding".into());
        elsewhere.meta.labels = None;
        elsewhere.subjects = vec![crate::state::record::account_subject("tenant", &account("ab12"))];
        let grants = sorted(&[live("ab12"), backdoor, foreign, elsewhere], Some(&policy()));
        assert!(grants.find("ab12").is_none(), "an id claimed twice is not trusted");
        let backdoor = grants.invalid.iter().find(|g| g.name.ends_with("-backdoor")).unwrap();
        assert!(backdoor.managed && backdoor.problem.contains("its name is not"), "{backdoor:?}");
        assert_eq!(grants.foreign.len(), 2);
        assert_eq!(grants.bindings_of("ab12").len(), 3, "record, backdoor and the foreign binding of its account");
    }

    #[test]
    fn a_record_in_the_old_form_bound_to_a_group_is_untrusted() {
        let mut old = live("ab12");
        old.subjects = vec![group("crusoe-support:request:ab12")];
        let grants = sorted(&[old], Some(&policy()));
        assert!(grants.valid.is_empty());
        assert!(grants.invalid[0].problem.contains("the only subject must be ServiceAccount"), "{:?}", grants.invalid);
    }

    #[test]
    fn companions_are_trusted_only_where_the_policy_says_and_for_the_right_role() {
        let companion = |id: &str, suffix: &str, ns: &str, role: &str| {
            let mut c = live(id);
            c.kind = "RoleBinding";
            c.meta.name = Some(format!("crusoe-support-{id}-{suffix}"));
            c.meta.namespace = Some(ns.into());
            c.meta.annotations = None;
            c.role_ref.name = format!("crusoe-support-{role}");
            c
        };
        let reader = record("rd01", "readonly", "2026-11-23T10:00:00Z", "2026-11-23T12:00:00Z");
        let grants = sorted(
            &[
                live("op01"),
                reader,
                companion("op01", "logs", "kube-system", "logs"),
                companion("op01", "debug", "kube-system", "debug"),
                companion("op01", "logs", "team-a", "logs"),
                companion("rd01", "debug", "kube-system", "debug"),
                companion("op01", "logs", "kube-system", "admin"),
                companion("op01", "logs", "slurm", "logs"),
                companion("op01", "debug", "slurm", "debug"),
                companion("rd01", "logs", "slurm", "logs"),
            ],
            Some(&policy()),
        );
        assert_eq!(grants.valid.len(), 2);
        let problems: Vec<String> =
            grants.invalid.iter().map(|g| format!("{}: {}", g.reference().describe(), g.problem)).collect();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("slurm/crusoe-support-rd01-logs")), "{problems:#?}");
        assert!(
            problems.iter().any(|p| p.contains("team-a") && p.contains("system or operator namespaces")),
            "{problems:#?}"
        );
        assert!(problems.iter().any(|p| p.contains("rd01-debug") && p.contains("readonly request")), "{problems:#?}");
        assert!(problems.iter().any(|p| p.contains("crusoe-support-admin")), "{problems:#?}");
    }

    #[test]
    fn a_record_the_policy_would_refuse_is_not_trusted() {
        let long = record("lg01", "readonly", "2026-11-23T10:00:00Z", "2099-01-01T00:00:00Z");
        let operator_only = live("op01");
        let readonly_policy = Policy { enabled_roles: vec![Role::Readonly], ..policy() };
        let grants = sorted(&[long, operator_only], Some(&readonly_policy));
        assert!(grants.valid.is_empty());
        let problems: Vec<&str> = grants.invalid.iter().map(|g| g.problem.as_str()).collect();
        assert!(problems.iter().any(|p| p.contains("longer than the policy's maxDuration")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("role operator is not enabled")), "{problems:?}");
        // Without a policy (never enabled, or another installation's namespace) nothing is judged by it.
        assert_eq!(sorted(&[live("op01")], None).valid.len(), 1);
    }

    #[test]
    fn unrelated_bindings_and_helm_static_bindings_are_left_out() {
        let mut unrelated = live("xx01");
        unrelated.meta = ObjectMeta { name: Some("admins".into()), ..ObjectMeta::default() };
        unrelated.subjects = vec![group("system:masters")];
        unrelated.role_ref.name = "cluster-admin".into();
        let grants = sorted(&[unrelated], Some(&policy()));
        assert!(grants.valid.is_empty() && grants.invalid.is_empty() && grants.foreign.is_empty());
        assert!(grants.all_request_bindings().is_empty());
    }

    #[test]
    fn a_support_role_given_to_anyone_else_is_a_foreign_grant() {
        let mut plain = live("xx02");
        plain.meta = ObjectMeta { name: Some("mallory-operator".into()), ..ObjectMeta::default() };
        plain.role_ref.name = "crusoe-support-operator".into();
        let mallory = Subject { kind: "User".into(), name: "mallory".into(), ..Subject::default() };
        plain.subjects = vec![mallory.clone()];
        let mut asks = live("xx03");
        asks.meta = ObjectMeta { name: Some("mallory-asks".into()), ..ObjectMeta::default() };
        asks.role_ref.name = crate::state::REQUESTER_ROLE.into();
        asks.subjects = vec![mallory];
        let grants = sorted(&[plain, asks], Some(&policy()));
        assert_eq!(grants.foreign.len(), 2, "{:?}", grants.foreign);
        assert!(grants.foreign.iter().all(|f| f.subjects == ["User mallory"]), "{:?}", grants.foreign);
        assert!(grants.foreign.iter().any(|f| f.role == "ClusterRole crusoe-support-operator"));
    }

    fn written(manager: &str, at: &str) -> k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry {
        let fields =
            serde_json::json!({ "f:metadata": { "f:annotations": { "f:support-access.crusoe.ai/expires-at": {} } } });
        k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry {
            manager: Some(manager.into()),
            operation: Some("Apply".into()),
            time: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(at.parse().unwrap())),
            fields_v1: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::FieldsV1(fields)),
            ..Default::default()
        }
    }

    #[test]
    fn a_write_as_a_record_was_made_is_its_making_even_a_second_on_and_a_later_one_is_a_change() {
        let meta = |entries: Vec<_>| ObjectMeta {
            creation_timestamp: Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                "2026-12-07T01:00:00Z".parse().unwrap(),
            )),
            managed_fields: Some(entries),
            ..ObjectMeta::default()
        };
        // Made with plain kubectl: its own write, stamped in the second of its creation or one next
        // to it (seen: a second before, on a create of 500 records at once).
        for at in ["2026-12-07T00:59:59Z", "2026-12-07T01:00:00Z", "2026-12-07T01:00:01Z"] {
            assert!(changed_outside(&meta(vec![written("kubectl", at)])).is_empty(), "{at}");
        }
        assert_eq!(changed_outside(&meta(vec![written("kubectl", "2026-12-07T00:59:58Z")])).len(), 1);
        let later = changed_outside(&meta(vec![written("kubectl", "2026-12-07T01:00:02Z")]));
        assert_eq!(later.len(), 1);
        assert_eq!((later[0].manager.as_str(), later[0].fields.clone()), ("kubectl", vec!["expires-at".to_string()]));
        // Made by the plugin a second after its creation stamp: another's write then is a change.
        let plugin = meta(vec![
            written("kubectl-supportaccess", "2026-12-07T01:00:01Z"),
            written("kubectl", "2026-12-07T01:00:01Z"),
        ]);
        assert_eq!(changed_outside(&plugin).len(), 1);
    }
}
