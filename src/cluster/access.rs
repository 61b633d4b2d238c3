//! Asking the API server what an identity may do, instead of guessing: SelfSubjectAccessReview
//! before a command writes anything (so a denied command leaves nothing half-done), and
//! SubjectAccessReview for `roles --verify`.

use std::borrow::Cow;

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec, SubjectAccessReview,
    SubjectAccessReviewSpec,
};
use kube::api::{Api, PostParams};

use crate::base::error::{Error, ErrorKind, Result};
use crate::cluster::Connection;

/// One permission: a verb on a resource (`pods/log` for a subresource), in a namespace or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub verb: Cow<'static, str>,
    pub group: Cow<'static, str>,
    pub resource: Cow<'static, str>,
    pub namespace: Option<String>,
    pub name: Option<Cow<'static, str>>,
}

impl Permission {
    pub fn new(verb: &'static str, group: &'static str, resource: &'static str) -> Permission {
        Permission { verb: verb.into(), group: group.into(), resource: resource.into(), namespace: None, name: None }
    }

    /// A permission read from the cluster (a ClusterRole's rule).
    pub fn of(verb: String, group: String, resource: String) -> Permission {
        Permission { verb: verb.into(), group: group.into(), resource: resource.into(), namespace: None, name: None }
    }

    pub fn within(mut self, namespace: &str) -> Permission {
        self.namespace = Some(namespace.to_string());
        self
    }

    pub fn named(mut self, name: impl Into<Cow<'static, str>>) -> Permission {
        self.name = Some(name.into());
        self
    }

    fn attributes(&self) -> ResourceAttributes {
        let (resource, subresource) = match self.resource.split_once('/') {
            Some((resource, sub)) => (resource, Some(sub.to_string())),
            None => (self.resource.as_ref(), None),
        };
        ResourceAttributes {
            verb: Some(self.verb.to_string()),
            group: Some(self.group.to_string()),
            resource: Some(resource.into()),
            subresource,
            namespace: self.namespace.clone(),
            name: self.name.as_ref().map(|name| name.to_string()),
            ..ResourceAttributes::default()
        }
    }

    /// "create configmaps in namespace crusoe-system", "approve signers.certificates.k8s.io cluster-wide".
    pub fn describe(&self) -> String {
        let resource =
            if self.group.is_empty() { self.resource.to_string() } else { format!("{}.{}", self.resource, self.group) };
        let scope = match &self.namespace {
            Some(ns) => format!("in namespace {ns}"),
            None => "cluster-wide".to_string(),
        };
        format!("{} {resource} {scope}", self.verb)
    }
}

/// Creates one review per permission, concurrently, and reads whether each was allowed.
async fn ask<K>(
    conn: &Connection,
    permissions: &[Permission],
    review: impl Fn(ResourceAttributes) -> K,
    allowed: fn(&K) -> bool,
) -> Result<Vec<bool>>
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let api: Api<K> = Api::all(conn.client.clone());
    futures::future::try_join_all(permissions.iter().map(|permission| {
        let (api, review) = (api.clone(), review(permission.attributes()));
        async move { conn.call(api.create(&PostParams::default(), &review)).await.map(|answer| allowed(&answer)) }
    }))
    .await
}

/// Whether the caller may do each of these (asked concurrently).
pub async fn caller_can(conn: &Connection, permissions: &[Permission]) -> Result<Vec<bool>> {
    let review = |attributes| SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(attributes),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    ask(conn, permissions, review, |r: &SelfSubjectAccessReview| r.status.as_ref().is_some_and(|s| s.allowed)).await
}

/// Fails with exit 4, naming the first permission the caller lacks, before anything is written.
pub async fn require(conn: &Connection, user: &str, permissions: &[Permission]) -> Result<()> {
    let allowed = caller_can(conn, permissions).await?;
    refuse_unless(user, permissions, &allowed)
}

/// The error of [`require`], from answers already asked for (`allowed`, one per permission).
pub fn refuse_unless(user: &str, permissions: &[Permission], allowed: &[bool]) -> Result<()> {
    match permissions.iter().zip(allowed.iter().copied()).find(|(_, ok)| !ok) {
        Some((denied, _)) => Err(Error::new(
            ErrorKind::Forbidden,
            format!("forbidden: {user} may not {}; nothing was changed", denied.describe()),
        )
        .with_status(403)
        .with_hint("ask the cluster's administrator for that permission, or use a context that has it (--context)")),
        None => Ok(()),
    }
}

/// Whether a user in these groups may do each of these (asked concurrently).
pub async fn subject_can(
    conn: &Connection,
    user: &str,
    groups: &[String],
    permissions: &[Permission],
) -> Result<Vec<bool>> {
    let review = |attributes| SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(user.to_string()),
            groups: Some(groups.to_vec()),
            resource_attributes: Some(attributes),
            ..SubjectAccessReviewSpec::default()
        },
        ..SubjectAccessReview::default()
    };
    ask(conn, permissions, review, |r: &SubjectAccessReview| r.status.as_ref().is_some_and(|s| s.allowed)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subresources_and_scopes_are_spelled_out() {
        let exec = Permission::new("create", "", "pods/exec").within("kube-system");
        assert_eq!(exec.describe(), "create pods/exec in namespace kube-system");
        let attributes = exec.attributes();
        assert_eq!(attributes.resource.as_deref(), Some("pods"));
        assert_eq!(attributes.subresource.as_deref(), Some("exec"));
        let approve =
            Permission::new("approve", "certificates.k8s.io", "signers").named("kubernetes.io/kube-apiserver-client");
        assert_eq!(approve.describe(), "approve signers.certificates.k8s.io cluster-wide");
    }
}
