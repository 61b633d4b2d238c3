//! The admission guards: ValidatingAdmissionPolicies that the API server itself evaluates, so the
//! policy holds for someone who bypasses the plugin (DESIGN.md, "Admission"). Three policies, each
//! with a binding of the same name; the first two read the policy ConfigMap as their parameter.
//! This module writes their CEL; `roles` installs them like the ClusterRoles.

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use serde::Serialize;
use serde_json::{Value, json};

use crate::cluster::Connection;
use crate::error::Result;
use crate::install::{Installed, install_one, remove_one, same};
use crate::state::{self, annotations as ann};

/// Support bindings: well-formed records and companions of enabled roles only, within
/// `maxDuration`, none while disabled, ends only ever earlier.
pub const REQUESTS: &str = "crusoe-support-requests";
/// No approval of a labelled support CSR while disabled.
pub const CREDENTIALS: &str = "crusoe-support-credentials";
/// What a support identity may change in a workload, a node or an operator resource.
pub const GUARDRAILS: &str = "crusoe-support-guardrails";

/// The groups a support identity carries: the plugin's, and the chart's static groups.
const SUPPORT_IDENTITY: &str = "request.userInfo.groups.exists(g, g == 'crusoe-support' || g.startsWith('crusoe-support:') || g.startsWith('crusoe:support:'))";

/// The code points `--reason` refuses, as an RE2 class (control, bidirectional, line separators).
const UNPRINTABLE: &str =
    r"[\\x00-\\x1f\\x7f-\\x9f\\x{061c}\\x{200e}\\x{200f}\\x{202a}-\\x{202e}\\x{2066}-\\x{2069}\\x{2028}\\x{2029}]";

/// An RFC3339 UTC time with seconds, as the plugin writes them.
const TIME: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$";

/// The names of the guards this policy wants: all three, or two with `guardrails=off`.
pub fn wanted(guardrails: bool) -> Vec<&'static str> {
    let mut names = vec![REQUESTS, CREDENTIALS];
    if guardrails {
        names.push(GUARDRAILS);
    }
    names
}

/// `has(X.metadata.annotations) && KEY in … ? value : ''`: an annotation as a string, '' if absent.
fn annotation(object: &str, key: &str) -> String {
    format!(
        "has({object}.metadata.annotations) && '{key}' in {object}.metadata.annotations ? \
         {object}.metadata.annotations['{key}'] : ''"
    )
}

fn label(object: &str, key: &str) -> String {
    format!(
        "has({object}.metadata.labels) && '{key}' in {object}.metadata.labels ? {object}.metadata.labels['{key}'] : ''"
    )
}

fn param(key: &str, default: &str) -> String {
    format!("has(params.data) && '{key}' in params.data ? params.data['{key}'] : '{default}'")
}

fn variable(name: &str, expression: String) -> Value {
    json!({ "name": name, "expression": expression })
}

fn validation(expression: &str, message: String) -> Value {
    json!({ "expression": expression, "message": message, "reason": "Forbidden" })
}

fn policy(name: &str, spec: Value) -> ValidatingAdmissionPolicy {
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": state::managed_labels() },
        "spec": spec,
    }))
    .expect("the guard's spec matches admissionregistration.k8s.io/v1")
}

fn binding(name: &str, param_namespace: Option<&str>) -> ValidatingAdmissionPolicyBinding {
    let mut spec = json!({ "policyName": name, "validationActions": ["Deny"] });
    if let Some(namespace) = param_namespace {
        spec["paramRef"] = json!({
            "name": state::POLICY_CONFIGMAP,
            "namespace": namespace,
            "parameterNotFoundAction": "Deny",
        });
    }
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": state::managed_labels() },
        "spec": spec,
    }))
    .expect("the guard's binding matches admissionregistration.k8s.io/v1")
}

const CONFIGMAP_PARAM: &str = "ConfigMap";

fn configmap_param() -> Value {
    json!({ "apiVersion": "v1", "kind": CONFIGMAP_PARAM })
}

/// `crusoe-support-requests`, reading the policy ConfigMap of `namespace`.
fn requests_policy(namespace: &str) -> ValidatingAdmissionPolicy {
    let policy_ref = format!("policy ConfigMap {namespace}/{}", state::POLICY_CONFIGMAP);
    let p = state::PREFIX;
    let variables = vec![
        variable("id", label("object", state::REQUEST_ID_LABEL)),
        variable("role", label("object", state::ROLE_LABEL)),
        variable("managed", format!("({}) == 'true'", label("object", state::MANAGED_LABEL))),
        variable("name", "has(object.metadata.name) ? object.metadata.name : ''".into()),
        variable("record", "'crusoe-support-' + variables.id".into()),
        variable("group", "'crusoe-support:request:' + variables.id".into()),
        variable("enabled", format!("({}) == 'true'", param("enabled", "false"))),
        variable("roles", format!("({}).split(',').map(r, r.trim())", param("enabledRoles", ""))),
        variable("systemNamespaces", format!("({}).split(',').map(n, n.trim())", param("systemNamespaces", ""))),
        variable(
            "operatorNamespaces",
            format!(
                "({}).split(',').map(n, n.trim())",
                param("operatorNamespaces", &state::DEFAULT_OPERATOR_NAMESPACES.join(","))
            ),
        ),
        variable("maxDuration", param("maxDuration", state::DEFAULT_MAX_DURATION)),
        variable("isRecord", "variables.name == variables.record".into()),
        variable(
            "isCompanion",
            "request.kind.kind == 'RoleBinding' && object.roleRef.kind == 'ClusterRole' && \
             has(object.metadata.namespace) && (object.metadata.namespace in variables.systemNamespaces || \
              (object.metadata.namespace in variables.operatorNamespaces && variables.role == 'operator')) && \
             ((variables.name == variables.record + '-logs' && object.roleRef.name == 'crusoe-support-logs') || \
              (variables.name == variables.record + '-debug' && object.roleRef.name == 'crusoe-support-debug' && \
               variables.role == 'operator'))"
                .into(),
        ),
        variable("reason", annotation("object", ann::REASON)),
        variable("requestor", annotation("object", ann::REQUESTOR)),
        variable("requestedBy", annotation("object", ann::REQUESTED_BY)),
        variable("requestedAt", annotation("object", ann::REQUESTED_AT)),
        variable("expiresAt", annotation("object", ann::EXPIRES_AT)),
        variable("credentialExpiresAt", annotation("object", ann::CREDENTIAL_EXPIRES_AT)),
        variable(
            "timesOk",
            format!(
                "variables.requestedAt.matches('{TIME}') && variables.expiresAt.matches('{TIME}') && \
                 (variables.credentialExpiresAt == '' || variables.credentialExpiresAt.matches('{TIME}'))"
            ),
        ),
        variable("isUpdate", "request.operation == 'UPDATE'".into()),
        variable("oldExpiresAt", annotation("oldObject", ann::EXPIRES_AT)),
        // On UPDATE: what no write may change on a record.
        variable(
            "unchanged",
            [ann::REASON, ann::REQUESTOR, ann::REQUESTED_BY, ann::REQUESTED_AT]
                .iter()
                .map(|key| format!("({}) == ({})", annotation("object", key), annotation("oldObject", key)))
                .chain([
                    format!(
                        "({}) == ({})",
                        label("object", state::REQUEST_ID_LABEL),
                        label("oldObject", state::REQUEST_ID_LABEL)
                    ),
                    format!("({}) == ({})", label("object", state::ROLE_LABEL), label("oldObject", state::ROLE_LABEL)),
                ])
                .collect::<Vec<_>>()
                .join(" && "),
        ),
        variable("approvalRequired", format!("({}) == 'required'", param("approval", "none"))),
        variable("pending", format!("({}) == '{}'", annotation("object", ann::STATE), state::STATE_PENDING)),
        variable("hasSubjects", "has(object.subjects) && object.subjects.size() > 0".into()),
        variable(
            "hadSubjects",
            "variables.isUpdate && has(oldObject.subjects) && oldObject.subjects.size() > 0".into(),
        ),
        variable(
            "subjectsUnchanged",
            "variables.isUpdate && (has(object.subjects) ? object.subjects : []) == \
             (has(oldObject.subjects) ? oldObject.subjects : [])"
                .into(),
        ),
        variable("approvedBy", annotation("object", ann::APPROVED_BY)),
        variable("oldApprovedBy", annotation("oldObject", ann::APPROVED_BY)),
        variable("oldExtension", annotation("oldObject", ann::EXTENSION_REQUESTED)),
        // The writer answers as approved-by, and is not the requester.
        variable(
            "answeredBySomeoneElse",
            "variables.approvedBy == request.userInfo.username && variables.approvedBy != variables.requestedBy".into(),
        ),
    ];
    // While disabled a record may still change, but only by moving its times earlier (a drain).
    let disabled_ok = format!(
        "variables.enabled || (variables.isUpdate && variables.isRecord && variables.unchanged && \
         variables.subjectsUnchanged && variables.timesOk && (variables.credentialExpiresAt == ({old}) || ({old}).matches('{TIME}') && \
         timestamp(variables.credentialExpiresAt) <= timestamp({old})))",
        old = annotation("oldObject", ann::CREDENTIAL_EXPIRES_AT)
    );
    let validations = vec![
        validation(
            &disabled_ok,
            format!(
                "support access is disabled ({policy_ref}): no binding may grant a support identity, and a \
                 running request's end only moves earlier"
            ),
        ),
        validation(
            "variables.id.matches('^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$') && variables.managed",
            format!(
                "a binding that grants a support identity must be a support request's record or companion: \
                 labels {} and {}=true are required",
                state::REQUEST_ID_LABEL,
                state::MANAGED_LABEL
            ),
        ),
        validation(
            "variables.pending ? !variables.hasSubjects : (variables.hasSubjects && object.subjects.size() == 1 && \
             object.subjects[0].kind == 'Group' && object.subjects[0].name == variables.group)",
            "a support request's binding has exactly one subject, Group crusoe-support:request:<its id>, or none \
             while it is pending approval"
                .into(),
        ),
        validation(
            "variables.hadSubjects || !variables.isUpdate || !variables.hasSubjects || variables.answeredBySomeoneElse",
            format!(
                "a pending support request is approved only by someone other than its requester: the write that adds \
                 its subject must set {p}approved-by to the writing user (`kubectl supportaccess approve`)"
            ),
        ),
        validation(
            "!variables.approvalRequired || !variables.hasSubjects || (variables.isRecord ? \
             (variables.hadSubjects ? (variables.approvedBy == variables.oldApprovedBy || \
              variables.answeredBySomeoneElse) : variables.answeredBySomeoneElse) : \
             (variables.isUpdate || (variables.requestedBy != '' && variables.answeredBySomeoneElse)))",
            format!(
                "approval is required ({policy_ref}, key approval): a support request grants nothing until someone \
                 other than its requester approves it with `kubectl supportaccess approve`"
            ),
        ),
        validation(
            "variables.role in ['readonly', 'operator'] && variables.role in variables.roles",
            format!("the role of this support binding is not enabled ({policy_ref}, key enabledRoles)"),
        ),
        validation(
            "variables.isRecord ? (object.roleRef.kind == 'ClusterRole' && \
             object.roleRef.name == 'crusoe-support-' + variables.role) : variables.isCompanion",
            "a support binding is either the record crusoe-support-<id> bound to ClusterRole \
             crusoe-support-<role>, or its -logs/-debug RoleBinding in a system namespace (or, for operator, \
             an operator namespace)"
                .into(),
        ),
        validation(
            &format!(
                "!variables.isRecord || (variables.reason != '' && variables.requestor != '' && \
                 variables.requestedBy != '' && variables.timesOk && !variables.reason.matches('{UNPRINTABLE}') && \
                 !variables.requestor.matches('{UNPRINTABLE}'))"
            ),
            format!(
                "a support request's record needs a printable {p}reason and requestor, {p}requested-by, and \
                 RFC3339 UTC times {p}requested-at and expires-at"
            ),
        ),
        validation(
            "!variables.isRecord || !variables.timesOk || \
             (timestamp(variables.expiresAt) >= timestamp(variables.requestedAt) && \
              timestamp(variables.expiresAt) - timestamp(variables.requestedAt) <= duration(variables.maxDuration))",
            format!("a support request lasts at most the policy's maxDuration ({policy_ref})"),
        ),
        validation(
            "!variables.isRecord || !variables.timesOk || variables.credentialExpiresAt == '' || \
             timestamp(variables.credentialExpiresAt) <= timestamp(variables.expiresAt)",
            "a support credential never outlives its request: credential-expires-at must not be after expires-at"
                .into(),
        ),
        validation(
            "variables.isUpdate || !variables.isRecord || variables.requestedBy == request.userInfo.username",
            format!("a support request's {p}requested-by is the user who creates it"),
        ),
        validation(
            "!variables.isUpdate || !variables.isRecord || (variables.unchanged && \
             (variables.subjectsUnchanged || (!variables.hadSubjects && variables.answeredBySomeoneElse)) && \
             variables.oldExpiresAt.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$') && \
             variables.timesOk && (timestamp(variables.expiresAt) <= timestamp(variables.oldExpiresAt) || \
              (!variables.approvalRequired && variables.enabled) || \
              (variables.oldExtension == variables.expiresAt && variables.answeredBySomeoneElse)))",
            "a running support request's end only moves later through an extension (approved by someone other than \
             its requester when approval is required), and its requester, reason, start, role and subject never \
             change"
                .into(),
        ),
    ];
    policy(
        REQUESTS,
        json!({
            "failurePolicy": "Fail",
            "paramKind": configmap_param(),
            "matchConstraints": { "resourceRules": [{
                "apiGroups": ["rbac.authorization.k8s.io"],
                "apiVersions": ["*"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["clusterrolebindings", "rolebindings"],
            }]},
            "matchConditions": [{
                "name": "grants-a-support-identity-or-is-a-request",
                "expression": format!(
                    "(has(object.subjects) && object.subjects.exists(s, (s.kind == 'Group' || \
                     s.kind == 'User') && s.name.startsWith('crusoe-support'))) || \
                     (({managed}) == 'true' && ({id}) != '')",
                    managed = label("object", state::MANAGED_LABEL),
                    id = label("object", state::REQUEST_ID_LABEL),
                ),
            }],
            "variables": variables,
            "validations": validations,
        }),
    )
}

/// `crusoe-support-credentials`: approving a CSR labelled with a request id, while disabled.
fn credentials_policy(namespace: &str) -> ValidatingAdmissionPolicy {
    policy(
        CREDENTIALS,
        json!({
            "failurePolicy": "Fail",
            "paramKind": configmap_param(),
            "matchConstraints": {
                "resourceRules": [{
                    "apiGroups": ["certificates.k8s.io"],
                    "apiVersions": ["*"],
                    "operations": ["UPDATE"],
                    "resources": ["certificatesigningrequests/approval"],
                }],
                "objectSelector": { "matchExpressions": [{ "key": state::REQUEST_ID_LABEL, "operator": "Exists" }] },
            },
            "validations": [validation(
                &format!("({}) == 'true'", param("enabled", "false")),
                format!(
                    "support access is disabled (policy ConfigMap {namespace}/{}): no support credential may be approved",
                    state::POLICY_CONFIGMAP
                ),
            )],
        }),
    )
}

/// The GPU and network operators' API groups, whose resources choose the images of privileged
/// DaemonSets.
pub const OPERATOR_GROUPS: [&str; 3] = ["nvidia.com", "mellanox.com", "amd.com"];

/// How deep into an operator resource's spec image, repository and version fields are compared.
const OPERATOR_DEPTH: usize = 3;

/// A field name that picks what runs: `image`, `repository`, `version`, or `…Image` and the like.
fn watched(key: &str) -> String {
    format!(
        "({key} in ['image', 'repository', 'version', 'tag'] || {key}.endsWith('Image') ||          {key}.endsWith('Repository') || {key}.endsWith('Version'))"
    )
}

/// CEL that holds when no watched field at or below `new`/`old` (maps) was added, changed or
/// removed, to `depth` levels.
fn same_watched_fields(new: &str, old: &str, depth: usize) -> String {
    let key = format!("k{depth}");
    let nested = |a: &str, b: &str, forward: bool| {
        if depth == 1 {
            return "true".to_string();
        }
        let (value, other) =
            (format!("{a}[{key}]"), format!("({key} in {b} && type({b}[{key}]) == map ? {b}[{key}] : {{}})"));
        let (n, o) = if forward { (value.clone(), other) } else { (other, value.clone()) };
        format!("(type({value}) != map || {})", same_watched_fields(&n, &o, depth - 1))
    };
    format!(
        "{new}.all({key}, (!{w} || ({key} in {old} && {old}[{key}] == {new}[{key}])) && {down}) && \
         {old}.all({key}, (!{w} || {key} in {new}) && {up})",
        w = watched(&key),
        down = nested(new, old, true),
        up = nested(old, new, false),
    )
}

/// `crusoe-support-guardrails`: for support identities only, no change of a workload's pod
/// template spec, of a node beyond cordon, or of an operator resource's images and versions.
fn guardrails_policy() -> ValidatingAdmissionPolicy {
    let unchanged = |field: &str| {
        format!(
            "has(object.{field}) == has(oldObject.{field}) && (!has(object.{field}) || object.{field} == oldObject.{field})"
        )
    };
    let node =
        ["metadata.labels", "metadata.annotations", "spec.taints", "spec.podCIDR", "spec.podCIDRs", "spec.providerID"]
            .iter()
            .map(|field| unchanged(field))
            .collect::<Vec<_>>()
            .join(" && ");
    let spec = "(has(object.spec) ? object.spec : {})";
    let old_spec = "(has(oldObject.spec) ? oldObject.spec : {})";
    policy(
        GUARDRAILS,
        json!({
            "failurePolicy": "Fail",
            "matchConstraints": { "resourceRules": [
                {
                    "apiGroups": ["apps"],
                    "apiVersions": ["*"],
                    "operations": ["UPDATE"],
                    "resources": ["deployments", "daemonsets", "statefulsets", "replicasets"],
                },
                { "apiGroups": [""], "apiVersions": ["*"], "operations": ["UPDATE"], "resources": ["nodes"] },
                { "apiGroups": OPERATOR_GROUPS, "apiVersions": ["*"], "operations": ["UPDATE"], "resources": ["*"] },
            ]},
            "matchConditions": [{ "name": "support-identity", "expression": SUPPORT_IDENTITY }],
            "validations": [
                validation(
                    "request.resource.group != 'apps' || object.spec.template.spec == oldObject.spec.template.spec",
                    "a support identity may restart or scale a workload but not change its pod template \
                     (service account, volumes, containers, images, security context)"
                        .into(),
                ),
                validation(
                    &format!("request.resource.group != '' || request.resource.resource != 'nodes' || ({node})"),
                    "a support identity may cordon or uncordon a node and change nothing else on it".into(),
                ),
                validation(
                    &format!(
                        "!(request.resource.group in {groups}) || ({check})",
                        groups = serde_json::to_string(&OPERATOR_GROUPS).unwrap_or_default().replace('"', "'"),
                        check = same_watched_fields(spec, old_spec, OPERATOR_DEPTH),
                    ),
                    "a support identity may not change the image, repository or version fields of a GPU or \
                     network operator resource"
                        .into(),
                ),
            ],
        }),
    )
}

/// The guards and their bindings as `enable` writes them, for the policy ConfigMap of `namespace`.
pub fn desired(
    namespace: &str,
    guardrails: bool,
) -> Vec<(ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding)> {
    let mut guards = vec![
        (requests_policy(namespace), binding(REQUESTS, Some(namespace))),
        (credentials_policy(namespace), binding(CREDENTIALS, Some(namespace))),
    ];
    if guardrails {
        guards.push((guardrails_policy(), binding(GUARDRAILS, None)));
    }
    guards
}

/// Every guard, whatever the policy says (for removal).
pub const ALL: [&str; 3] = [REQUESTS, CREDENTIALS, GUARDRAILS];

/// What `enable` did with the guards.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardsInstalled {
    /// False on a server without admissionregistration.k8s.io/v1 policies (before Kubernetes 1.30).
    pub available: bool,
    pub installed: Vec<Installed>,
    pub removed: Vec<String>,
}

/// Whether the server serves ValidatingAdmissionPolicies (v1); one small list, no discovery.
pub async fn available(conn: &Connection) -> Result<bool> {
    let api: Api<ValidatingAdmissionPolicy> = Api::all(conn.client.clone());
    match conn.call(api.list_metadata(&ListParams::default().limit(1))).await {
        Ok(_) => Ok(true),
        Err(e) if e.is_not_found() => Ok(false),
        Err(e) => Err(e),
    }
}

/// Installs or repairs the wanted guards, bindings after their policies, and removes the
/// guardrails when they are switched off.
pub async fn install(conn: &Connection, guardrails: bool) -> Result<GuardsInstalled> {
    if !available(conn).await? {
        return Ok(GuardsInstalled { available: false, installed: Vec::new(), removed: Vec::new() });
    }
    let mut installed = Vec::new();
    // The requests guard last: `enable` waits until the API server enforces it, which in practice
    // also gives the others time to arrive (not proven: the guardrails are not probed).
    for (policy, binding) in desired(&conn.namespace, guardrails).into_iter().rev() {
        installed.push(install_one(conn, policy).await?);
        installed.push(install_one(conn, binding).await?);
    }
    let mut removed = Vec::new();
    if !guardrails {
        remove(conn, &[GUARDRAILS], &mut removed).await?;
    }
    Ok(GuardsInstalled { available: true, installed, removed })
}

/// Removes these guards (bindings first), if the plugin made them.
pub async fn remove(conn: &Connection, names: &[&str], removed: &mut Vec<String>) -> Result<()> {
    if !available(conn).await? {
        return Ok(());
    }
    let mut helm = Vec::new();
    for name in names {
        remove_one::<ValidatingAdmissionPolicyBinding>(conn, name, removed, &mut helm).await?;
        remove_one::<ValidatingAdmissionPolicy>(conn, name, removed, &mut helm).await?;
    }
    Ok(())
}

/// The guards as the cluster holds them, against what `enable` writes.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardsStatus {
    /// False on a server without admissionregistration.k8s.io/v1 policies.
    pub available: bool,
    /// Whether the policy wants the guardrails (`guardrails=on`).
    pub guardrails: bool,
    /// Guards in place and as `enable` writes them.
    pub in_force: Vec<String>,
    /// Guards whose policy or binding is missing.
    pub missing: Vec<String>,
    /// Guards whose policy or binding differs from what `enable` writes.
    pub changed: Vec<String>,
}

impl GuardsStatus {
    pub fn is_intact(&self) -> bool {
        self.missing.is_empty() && self.changed.is_empty()
    }
}

/// The installed guards' policies and bindings: two lists, read concurrently with the rest.
pub struct InstalledGuards {
    policies: Option<Vec<ValidatingAdmissionPolicy>>,
    bindings: Vec<ValidatingAdmissionPolicyBinding>,
}

impl InstalledGuards {
    pub async fn read(conn: &Connection) -> Result<InstalledGuards> {
        let selector = ListParams::default().labels(state::MANAGED_SELECTOR);
        let policies: Api<ValidatingAdmissionPolicy> = Api::all(conn.client.clone());
        let bindings: Api<ValidatingAdmissionPolicyBinding> = Api::all(conn.client.clone());
        let (policies, bindings) =
            tokio::join!(conn.call(policies.list(&selector)), conn.call(bindings.list(&selector)));
        match (policies, bindings) {
            (Err(e), _) | (_, Err(e)) if e.is_not_found() => {
                Ok(InstalledGuards { policies: None, bindings: Vec::new() })
            }
            (policies, bindings) => Ok(InstalledGuards { policies: Some(policies?.items), bindings: bindings?.items }),
        }
    }

    /// Compares with what `enable` writes for the policy of `namespace`.
    pub fn status(&self, namespace: &str, guardrails: bool) -> GuardsStatus {
        let Some(policies) = &self.policies else {
            return GuardsStatus { available: false, guardrails, ..GuardsStatus::default() };
        };
        let mut status = GuardsStatus { available: true, guardrails, ..GuardsStatus::default() };
        for (policy, binding) in desired(namespace, guardrails) {
            let name = policy.name_any();
            let found_policy = policies.iter().find(|p| p.name_any() == name);
            let found_binding = self.bindings.iter().find(|b| b.name_any() == name);
            match (found_policy, found_binding) {
                (Some(p), Some(b)) if same(p, &policy) && same(b, &binding) => status.in_force.push(name),
                (Some(_), Some(_)) => status.changed.push(name),
                _ => status.missing.push(name),
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guardrails_off_drops_only_the_third() {
        let names = |g: bool| {
            desired("crusoe-system", g).iter().map(|(p, _)| p.metadata.name.clone().unwrap()).collect::<Vec<_>>()
        };
        assert_eq!(names(true), [REQUESTS, CREDENTIALS, GUARDRAILS]);
        assert_eq!(names(false), [REQUESTS, CREDENTIALS]);
    }

    #[test]
    fn the_parameterised_guards_read_this_namespace_and_deny_without_it() {
        for (policy, binding) in desired("team-x", true) {
            let spec = binding.spec.unwrap();
            assert_eq!(spec.policy_name.as_deref(), policy.metadata.name.as_deref());
            assert_eq!(spec.validation_actions.unwrap(), ["Deny"]);
            let policy_spec = policy.spec.unwrap();
            assert_eq!(policy_spec.failure_policy.as_deref(), Some("Fail"));
            match spec.param_ref {
                Some(param) => {
                    assert_eq!(param.namespace.as_deref(), Some("team-x"));
                    assert_eq!(param.parameter_not_found_action.as_deref(), Some("Deny"));
                    assert!(policy_spec.param_kind.is_some());
                }
                None => assert!(policy_spec.param_kind.is_none()),
            }
        }
    }

    #[test]
    fn operator_fields_are_compared_in_both_directions_to_the_depth() {
        let check = same_watched_fields("n", "o", 2);
        assert!(check.starts_with("n.all(k2,"), "{check}");
        assert!(check.contains("o.all(k2,"), "{check}");
        assert!(check.contains("n[k2].all(k1,"), "{check}");
        assert!(!check.contains("k0"), "{check}");
    }
}
