//! What every proof is made of: a dry-run write, the guard expected to answer it, and what it
//! came to; and the request record as `request` writes it, for those dry runs.

use chrono::{DateTime, Utc};
use k8s_openapi::api::rbac::v1::ClusterRoleBinding;
use kube::api::PatchParams;
use serde::Serialize;
use serde_json::json;

use crate::base::error::Result;
use crate::state;
use crate::state::policy::Policy;
use crate::state::record::Grant;
use crate::state::roles::{Role, cluster_role_of};

/// Rows refused by RBAC itself carry this in place of a guard's name.
pub const RBAC: &str = "RBAC (requester roles)";

/// One dry-run write and what the guard should make of it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardProof {
    pub guard: &'static str,
    pub check: String,
    /// `refused` (by this guard) or `allowed`.
    pub expected: &'static str,
    /// `refused`, `allowed`, `refused by something else: …`, `skipped: …`, or `missing`.
    pub observed: String,
}

impl GuardProof {
    pub fn ok(&self) -> bool {
        self.expected == self.observed || self.skipped()
    }

    /// Not tried (nothing to try it on): neither a match nor a mismatch.
    pub fn skipped(&self) -> bool {
        self.observed.starts_with("skipped")
    }

    /// The OK column: `ok`, `skipped` or `MISMATCH`.
    pub fn verdict(&self) -> &'static str {
        match (self.skipped(), self.ok()) {
            (true, _) => "skipped",
            (false, true) => "ok",
            (false, false) => "MISMATCH",
        }
    }
}

pub(crate) fn proof(
    guard: &'static str,
    check: impl Into<String>,
    expected: &'static str,
    observed: String,
) -> GuardProof {
    GuardProof { guard, check: check.into(), expected, observed }
}

/// What a dry-run write came to: `allowed`, `refused` when this guard refused it (or, for
/// [`RBAC`], RBAC did), or the other reason it failed.
pub(crate) fn outcome<T>(guard: &str, result: Result<T>) -> String {
    match result {
        Ok(_) => "allowed".into(),
        Err(e)
            if guard == RBAC
                && e.kind == crate::base::error::ErrorKind::Forbidden
                && !e.message.contains("admission guard") =>
        {
            "refused".into()
        }
        Err(e) if e.message.contains(&format!("admission guard {guard}:")) => "refused".into(),
        Err(e) => format!("refused by something else: {}", e.message),
    }
}

pub(crate) fn dry_run() -> PatchParams {
    PatchParams { dry_run: true, ..PatchParams::default() }
}

/// `record` as `request` writes it under `policy`: pending (no subject) when approval is
/// required.
pub fn as_written(policy: &Policy, mut record: ClusterRoleBinding) -> ClusterRoleBinding {
    // With identity own the grant waits for a stored holder binding, which a dry run cannot make:
    // the record is tried without its subjects.
    if policy.own_identity {
        record.subjects = None;
    }
    if policy.approval_required {
        record.subjects = None;
        let annotations = record.metadata.annotations.get_or_insert_default();
        annotations.insert(state::annotations::STATE.into(), state::STATE_PENDING.into());
    }
    record
}

/// A request record as `request` writes it, for dry runs.
pub fn record_binding(
    id: &str,
    role: Role,
    now: DateTime<Utc>,
    lasts: chrono::TimeDelta,
    by: &str,
    namespace: &str,
) -> ClusterRoleBinding {
    let grant = Grant {
        id: id.to_string(),
        role: role.into(),
        scope: None,
        requestor: "roles-verify".into(),
        reason: "dry run of kubectl-supportaccess".into(),
        requested_at: now,
        expires_at: now + lasts,
        credential_expires_at: None,
        requested_by: by.to_string(),
        ..Grant::default()
    };
    let mut labels = state::managed_labels();
    labels.insert(state::REQUEST_ID_LABEL.into(), id.into());
    labels.insert(state::ROLE_LABEL.into(), role.name().into());
    serde_json::from_value::<ClusterRoleBinding>(json!({
        "metadata": { "name": state::binding_name(id), "labels": labels, "annotations": grant.record_annotations() },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role_of(role) },
        "subjects": [crate::state::record::account_subject(namespace, &state::request_account(id, now + lasts, by).unwrap_or_default())],
    }))
    .expect("a record is a ClusterRoleBinding")
}
