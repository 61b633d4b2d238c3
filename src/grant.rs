//! A support request as the cluster holds it: the binding named `crusoe-support-<id>` whose labels
//! and annotations are the request's record. Reading fails closed: a record that does not parse
//! is an [`InvalidGrant`], treated as expired and reported, never trusted.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding};
use kube::api::{Api, ListParams};
use serde::Serialize;

use crate::cluster::Connection;
use crate::error::Result;
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
            return Err(invalid(format!(
                "label {} is missing",
                state::REQUEST_ID_LABEL
            )));
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
            parse_time(&value).ok_or_else(|| {
                invalid(format!(
                    "annotation {key} is {value:?}, not an RFC3339 time"
                ))
            })
        };
        let credential_expires_at = match annotations.get(ann::CREDENTIAL_EXPIRES_AT) {
            None => None,
            Some(_) => Some(time(ann::CREDENTIAL_EXPIRES_AT)?),
        };
        let requested_at = time(ann::REQUESTED_AT)?;
        let expires_at = time(ann::EXPIRES_AT)?;
        if expires_at < requested_at {
            return Err(invalid(
                "annotation expires-at is before requested-at".to_string(),
            ));
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

/// RFC3339 with an explicit offset, converted to UTC.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Every managed request record in the cluster, valid or not.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Grants {
    pub valid: Vec<Grant>,
    pub invalid: Vec<InvalidGrant>,
}

impl Grants {
    /// Lists the managed bindings (two label-selected calls, concurrently) and reads the records:
    /// the bindings named after their request id; the companion `-logs`/`-debug` bindings are not
    /// records.
    pub async fn list(conn: &Connection) -> Result<Grants> {
        let selector = ListParams::default().labels(state::MANAGED_SELECTOR);
        let cluster_api: Api<ClusterRoleBinding> = Api::all(conn.client.clone());
        let namespaced_api: Api<RoleBinding> = Api::all(conn.client.clone());
        let (cluster, namespaced) = tokio::try_join!(
            conn.call(cluster_api.list(&selector)),
            conn.call(namespaced_api.list(&selector))
        )?;
        let mut grants = Grants::default();
        let records = cluster.items.iter().map(|b| (&b.metadata, None)).chain(
            namespaced
                .items
                .iter()
                .map(|b| (&b.metadata, b.metadata.namespace.as_deref())),
        );
        for (meta, namespace) in records {
            let name = meta.name.clone().unwrap_or_default();
            let labels = meta.labels.clone().unwrap_or_default();
            let is_record = labels
                .get(state::REQUEST_ID_LABEL)
                .map(|id| state::binding_name(id))
                == Some(name.clone());
            let is_companion = meta
                .owner_references
                .as_ref()
                .is_some_and(|o| !o.is_empty());
            if !is_record && is_companion {
                continue;
            }
            let annotations = meta.annotations.clone().unwrap_or_default();
            match Grant::from_metadata(&name, namespace, &labels, &annotations) {
                Ok(grant) => grants.valid.push(grant),
                Err(invalid) => grants.invalid.push(invalid),
            }
        }
        grants
            .valid
            .sort_by(|a, b| a.requested_at.cmp(&b.requested_at).then(a.id.cmp(&b.id)));
        Ok(grants)
    }

    /// The requests still running at `now`, oldest first.
    pub fn live(&self, now: DateTime<Utc>) -> Vec<&Grant> {
        self.valid.iter().filter(|g| g.is_live(now)).collect()
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
        let grant = Grant::from_metadata(
            "crusoe-support-ab12",
            None,
            &labels("ab12", "readonly"),
            &record(),
        )
        .unwrap();
        assert_eq!(grant.id, "ab12");
        assert_eq!(grant.role, Role::Readonly);
        assert_eq!(grant.requestor, "00uix9g0n77KrcdMq5d7");
        assert!(grant.is_live("2026-03-31T00:00:00Z".parse().unwrap()));
        assert!(!grant.is_live("2026-04-01T03:12:53Z".parse().unwrap()));
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
            let invalid = Grant::from_metadata(
                "crusoe-support-ab12",
                None,
                &labels("ab12", "readonly"),
                &annotations,
            )
            .unwrap_err();
            assert_eq!(invalid.id.as_deref(), Some("ab12"));
        }
        let invalid = Grant::from_metadata(
            "crusoe-support-ab12",
            None,
            &labels("ab12", "root"),
            &record(),
        )
        .unwrap_err();
        assert!(invalid.problem.contains("unknown role"));
    }
}
