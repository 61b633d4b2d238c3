//! A support request as the cluster holds it: the binding named `crusoe-support-<id>` whose labels
//! and annotations are the request's record. Reading fails closed: a record that does not parse
//! is an [`InvalidGrant`], treated as expired and reported, never trusted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams};
use serde::Serialize;

use crate::cluster::Connection;
use crate::error::Result;
use crate::output::rfc3339;
use crate::policy::Role;
use crate::state::{self, annotations as ann};

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

/// A managed request binding whose record does not parse.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvalidGrant {
    pub name: String,
    pub namespace: Option<String>,
    pub id: Option<String>,
    pub problem: String,
}

impl Grant {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.expires_at > now
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
            name: name.to_string(),
            namespace: namespace.map(str::to_string),
            id: id.clone(),
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

/// Every managed request record in the cluster, valid or not, and the foreign grants.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Grants {
    pub valid: Vec<Grant>,
    pub invalid: Vec<InvalidGrant>,
    /// Bindings the plugin did not create whose subject is a support identity.
    pub foreign: Vec<ForeignGrant>,
    /// The Helm release whose static bindings use the support roles, when the chart is installed.
    pub helm: Option<HelmRelease>,
}

/// Crusoe's `crusoe-support-roles` chart, seen through its static bindings.
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
    /// "ClusterRoleBinding ns/name gives ROLE to Group x, User y".
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

struct Listed<'a> {
    kind: &'static str,
    meta: &'a ObjectMeta,
    role: &'a str,
    subjects: &'a [Subject],
}

impl Grants {
    /// Lists the bindings (two calls, concurrently) and reads the request records: the managed
    /// bindings named after their request id (the `-logs`/`-debug` companions are not records).
    /// With `scan_foreign`, every binding is listed so that foreign grants are found; otherwise
    /// the server selects the managed ones by label.
    pub async fn list(conn: &Connection, scan_foreign: bool) -> Result<Grants> {
        let selector =
            if scan_foreign { ListParams::default() } else { ListParams::default().labels(state::MANAGED_SELECTOR) };
        let cluster_api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        let namespaced_api: Api<RoleBinding> = Api::all(conn.client.clone());
        let (cluster, namespaced) =
            tokio::try_join!(conn.call(cluster_api.list(&selector)), conn.call(namespaced_api.list(&selector)))?;
        let listed = cluster
            .items
            .iter()
            .map(|b| Listed {
                kind: "ClusterRoleBinding",
                meta: &b.metadata,
                role: &b.role_ref.name,
                subjects: b.subjects.as_deref().unwrap_or_default(),
            })
            .chain(namespaced.items.iter().map(|b| Listed {
                kind: "RoleBinding",
                meta: &b.metadata,
                role: &b.role_ref.name,
                subjects: b.subjects.as_deref().unwrap_or_default(),
            }));
        let mut grants = Grants::default();
        for binding in listed {
            grants.add(binding);
        }
        grants.valid.sort_by(|a, b| a.requested_at.cmp(&b.requested_at).then(a.id.cmp(&b.id)));
        Ok(grants)
    }

    fn add(&mut self, binding: Listed<'_>) {
        let meta = binding.meta;
        let name = meta.name.clone().unwrap_or_default();
        let namespace = meta.namespace.as_deref();
        let labels = meta.labels.clone().unwrap_or_default();
        if let Some((release, chart)) = crate::roles::helm_release(meta)
            && crate::roles::definitions().iter().any(|d| d.name == binding.role)
        {
            let helm = self.helm.get_or_insert_with(|| HelmRelease { release, chart, groups: Vec::new() });
            helm.groups.extend(binding.subjects.iter().map(|s| s.name.clone()));
            helm.groups.sort();
            helm.groups.dedup();
        }
        if labels.get(state::MANAGED_LABEL).map(String::as_str) != Some("true") {
            let support: Vec<String> = binding
                .subjects
                .iter()
                .filter(|s| (s.kind == "Group" || s.kind == "User") && state::is_support_subject(&s.name))
                .map(|s| format!("{} {}", s.kind, s.name))
                .collect();
            if !support.is_empty() {
                self.foreign.push(ForeignGrant {
                    kind: binding.kind,
                    name,
                    namespace: namespace.map(str::to_string),
                    role: binding.role.to_string(),
                    subjects: support,
                });
            }
            return;
        }
        let id = labels.get(state::REQUEST_ID_LABEL);
        let is_record = id.is_some_and(|id| state::binding_name(id) == name);
        let is_companion = meta.owner_references.as_ref().is_some_and(|o| !o.is_empty())
            || id.is_some_and(|id| name.starts_with(&state::binding_name(id)));
        if !is_record && is_companion {
            return;
        }
        let annotations = meta.annotations.clone().unwrap_or_default();
        let record = Grant::from_metadata(&name, namespace, &labels, &annotations).and_then(|grant| {
            check_binding(&grant, binding.role, binding.subjects).map_err(|problem| InvalidGrant {
                name: name.clone(),
                namespace: namespace.map(str::to_string),
                id: Some(grant.id.clone()),
                problem,
            })?;
            Ok(grant)
        });
        match record {
            Ok(grant) => self.valid.push(grant),
            Err(invalid) => self.invalid.push(invalid),
        }
    }

    /// The requests still running at `now`, oldest first.
    pub fn live(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.valid.iter().filter(|g| g.is_live(now)).collect()
    }

    /// Live requests that hold a credential: the working ones `get` lists.
    pub fn working(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.live(now).into_iter().filter(|g| g.credential_expires_at.is_some()).collect()
    }

    /// Live requests still being made, or abandoned before their first credential.
    pub fn pending(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.live(now).into_iter().filter(|g| g.credential_expires_at.is_none()).collect()
    }

    pub fn find(&self, id: &str) -> Option<&Grant> {
        self.valid.iter().find(|g| g.id == id)
    }
}

/// A record whose roleRef or subject was edited is not trusted.
fn check_binding(grant: &Grant, role: &str, subjects: &[Subject]) -> Result<(), String> {
    let expected_role = cluster_role_of(grant.role);
    if role != expected_role {
        return Err(format!("roleRef is {role:?}, not {expected_role:?}"));
    }
    let group = state::request_group(&grant.id);
    match subjects {
        [only] if only.kind == "Group" && only.name == group => Ok(()),
        _ => Err(format!("subjects were edited: the only subject must be Group {group}")),
    }
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
