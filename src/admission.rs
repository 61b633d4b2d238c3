//! The admission guards: ValidatingAdmissionPolicies that the API server itself evaluates, so the
//! policy holds for someone who bypasses the plugin (DESIGN.md, "Admission"). Three policies, each
//! with a binding of the same name. Each carries the policy's values itself, as CEL literals in
//! `spec.variables` named after the ConfigMap's keys: never through `paramKind`, whose parameter
//! informer freezes on a stale ConfigMap once no binding uses it for a moment (upstream
//! kubernetes/kubernetes#130887). Each also answers a probe (a dry-run ClusterRoleBinding that
//! names it), so that a command can wait until the API server enforces exactly the policy it wrote.
//! This module writes their CEL; `enforce` writes them together with the policy ConfigMap.

use k8s_openapi::api::admissionregistration::v1::{ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding};
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use serde::Serialize;
use serde_json::{Value, json};

use crate::cel;
use crate::cluster::Connection;
use crate::duration::{format_duration, parse_duration};
use crate::error::Result;
use crate::install::{Installed, Outcome, install_one, remove_one, same};
use crate::policy::{Policy, approval_name};
use crate::state::{self, annotations as ann, policy_keys as key};

/// Support bindings: well-formed records and companions of enabled roles only, within
/// `maxDuration`, none while disabled, ends only ever earlier.
pub const REQUESTS: &str = "crusoe-support-requests";
/// Tokens of request ServiceAccounts: only while enabled, at most `credentialTTL`, never past the
/// end the ServiceAccount's name carries; a requester's tokens only for those.
pub const CREDENTIALS: &str = "crusoe-support-credentials";
/// What a requester (RBAC verb `request` without `approve`) may write: only support records and
/// companions, request ServiceAccounts, and lines appended to the history.
pub const REQUESTERS: &str = "crusoe-support-requesters";
/// What a support identity may change in a workload, a node or an operator resource.
pub const GUARDRAILS: &str = "crusoe-support-guardrails";

/// A support identity: a request ServiceAccount of the system namespace `namespace`, or a member of
/// `roles --verify`'s group or the chart's static groups.
fn support_identity(namespace: &str) -> String {
    format!(
        "request.userInfo.username.startsWith({account}) || request.userInfo.groups.exists(g, g == 'crusoe-support' || \
         g.startsWith('crusoe-support:') || g.startsWith('crusoe:support:'))",
        account = cel::string(&state::account_user(namespace, state::ACCOUNT_PREFIX)),
    )
}

/// CEL: whether RBAC grants the writer `verb` on the support requests resource.
fn may(verb: &str) -> String {
    format!(
        "authorizer.group('{}').resource('{}').check('{verb}').allowed()",
        state::REQUESTS_GROUP,
        state::REQUESTS_RESOURCE
    )
}

/// The code points `--reason` refuses, as an RE2 class (control, bidirectional, line separators).
const UNPRINTABLE: &str =
    r"[\\x00-\\x1f\\x7f-\\x9f\\x{061c}\\x{200e}\\x{200f}\\x{202a}-\\x{202e}\\x{2066}-\\x{2069}\\x{2028}\\x{2029}]";

/// An RFC3339 UTC time with seconds, as the plugin writes them.
const TIME: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$";

/// The names of the guards this policy wants: all four, or three with `guardrails=off`.
pub fn wanted(guardrails: bool) -> Vec<&'static str> {
    let mut names = vec![REQUESTS, CREDENTIALS, REQUESTERS];
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

/// One policy value as the guards carry it.
#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Switch(bool),
    Duration(std::time::Duration),
    Text(String),
    List(Vec<String>),
}

impl Literal {
    fn cel(&self) -> String {
        match self {
            Literal::Switch(on) => on.to_string(),
            Literal::Duration(d) => format!("duration({})", cel::string(&format_duration(*d))),
            Literal::Text(text) => cel::string(text),
            Literal::List(items) => cel::list(items),
        }
    }

    /// Reads back what [`Literal::cel`] writes, shaped like `like`; `None` for anything else.
    fn parse(expression: &str, like: &Literal) -> Option<Literal> {
        let expression = expression.trim();
        match like {
            Literal::Switch(_) => match expression {
                "true" => Some(Literal::Switch(true)),
                "false" => Some(Literal::Switch(false)),
                _ => None,
            },
            Literal::Duration(_) => {
                let inner = expression.strip_prefix("duration(")?.strip_suffix(')')?;
                parse_duration(&cel::parse_string(inner)?).ok().map(Literal::Duration)
            }
            Literal::Text(_) => cel::parse_string(expression).map(Literal::Text),
            Literal::List(_) => cel::parse_list(expression).map(Literal::List),
        }
    }

    /// The value as the policy ConfigMap spells it under `key`.
    fn show(&self, key: &str) -> String {
        match self {
            Literal::Switch(on) if key == key::GUARDRAILS => if *on { "on" } else { "off" }.into(),
            Literal::Switch(on) => on.to_string(),
            Literal::Duration(d) => format_duration(*d),
            Literal::Text(text) => text.clone(),
            Literal::List(items) => items.join(","),
        }
    }
}

/// The policy's values, each under its ConfigMap key (the guards' variable names).
fn literals(policy: &Policy) -> Vec<(&'static str, Literal)> {
    vec![
        (key::ENABLED, Literal::Switch(policy.enabled)),
        (key::ENABLED_ROLES, Literal::List(policy.enabled_roles.iter().map(|r| r.name().to_string()).collect())),
        (key::MAX_DURATION, Literal::Duration(policy.max_duration)),
        (key::CREDENTIAL_TTL, Literal::Duration(policy.credential_ttl)),
        (key::SYSTEM_NAMESPACES, Literal::List(policy.system_namespaces.clone())),
        (key::OPERATOR_NAMESPACES, Literal::List(policy.operator_namespaces.clone())),
        (key::APPROVAL, Literal::Text(approval_name(policy.approval_required).into())),
        (key::PENDING_TTL, Literal::Duration(policy.pending_ttl)),
        (key::GUARDRAILS, Literal::Switch(policy.guardrails)),
        (key::API_AUDIENCES, Literal::List(policy.api_audiences.clone())),
    ]
}

/// The variable holding the fingerprint of the policy a guard enforces.
const FINGERPRINT: &str = "fingerprint";

impl Literal {
    /// The literal as CEL's `string()` (or `join`) spells its value: what the guard's
    /// fingerprint expression makes of it.
    fn as_cel_string(&self) -> String {
        match self {
            Literal::Switch(on) => on.to_string(),
            Literal::Duration(d) => format!("{}s", d.as_secs()),
            Literal::Text(text) => text.clone(),
            Literal::List(items) => items.join(","),
        }
    }

    /// CEL that turns the variable `name` holding this literal into that string.
    fn to_cel_string(&self, name: &str) -> String {
        match self {
            Literal::Switch(_) | Literal::Duration(_) => format!("string(variables.{name})"),
            Literal::Text(_) => format!("variables.{name}"),
            Literal::List(_) => format!("variables.{name}.join(',')"),
        }
    }
}

/// The policy's values as one line, `key=value;…`: what a probe names to learn whether the API
/// server runs a guard carrying exactly these values. The guard computes the same line from the
/// literals it holds (never from a stored copy), so a guard whose literals were edited answers a
/// probe of the written policy as stale until the written guard is in force.
pub fn fingerprint(policy: &Policy) -> String {
    let parts: Vec<String> = literals(policy).iter().map(|(k, l)| format!("{k}={}", l.as_cel_string())).collect();
    parts.join(";")
}

/// CEL computing [`fingerprint`] from the guard's own literal variables.
fn fingerprint_expression(policy: &Policy) -> String {
    let parts: Vec<String> = literals(policy).iter().map(|(k, l)| format!("'{k}=' + {}", l.to_cel_string(k))).collect();
    format!("[{}].join(';')", parts.join(", "))
}

/// The variables every guard starts with: the policy's literals, the fingerprint, and whether the
/// object is a probe of this guard.
fn policy_variables(guard: &str, policy: &Policy) -> Vec<Value> {
    let mut variables: Vec<Value> = literals(policy).iter().map(|(k, l)| variable(k, l.cel())).collect();
    variables.push(variable(FINGERPRINT, fingerprint_expression(policy)));
    variables.push(variable(
        "probe",
        format!("request.operation == 'CREATE' && ({}) == {}", annotation("object", ann::PROBE), cel::string(guard)),
    ));
    variables
}

/// A probe of `guard`, in a matchCondition (which cannot read variables).
fn is_probe(guard: &str) -> String {
    format!("(request.operation == 'CREATE' && ({}) == {})", annotation("object", ann::PROBE), cel::string(guard))
}

/// The probe's two answers first (exactly one of them refuses a probe, every probe is refused),
/// then the guard's own validations, which a probe passes.
fn guarded(validations: Vec<Value>) -> Vec<Value> {
    let probed = annotation("object", ann::PROBE_POLICY);
    let mut all = vec![
        validation(
            &format!("!variables.probe || ({probed}) == variables.{FINGERPRINT}"),
            format!("{PROBE_STALE}: it enforces another policy than the one probed"),
        ),
        validation(&format!("!variables.probe || ({probed}) != variables.{FINGERPRINT}"), PROBE_IN_FORCE.into()),
    ];
    all.extend(validations.into_iter().map(|mut v| {
        v["expression"] =
            Value::String(format!("variables.probe || ({})", v["expression"].as_str().unwrap_or("false")));
        v
    }));
    all
}

/// What a guard answers a probe of the policy it enforces.
pub const PROBE_IN_FORCE: &str = "probe of kubectl-supportaccess: in force with the policy probed";
/// What it answers a probe of another policy.
pub const PROBE_STALE: &str = "probe of kubectl-supportaccess";

/// The rule that lets a guard see its probe: the dry-run creation of a ClusterRoleBinding.
fn probe_rule() -> Value {
    json!({
        "apiGroups": ["rbac.authorization.k8s.io"],
        "apiVersions": ["*"],
        "operations": ["CREATE"],
        "resources": ["clusterrolebindings"],
    })
}

/// A probe of `guard` for `policy`: a ClusterRoleBinding without subjects, only ever dry-run.
pub fn probe(guard: &str, policy: &Policy) -> k8s_openapi::api::rbac::v1::ClusterRoleBinding {
    serde_json::from_value(json!({
        "metadata": {
            "name": "supportaccess-probe",
            "labels": { state::REQUEST_ID_LABEL: "probe" },
            "annotations": { ann::PROBE: guard, ann::PROBE_POLICY: fingerprint(policy) },
        },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "crusoe-support-readonly" },
    }))
    .expect("a probe is a ClusterRoleBinding")
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

fn binding(name: &str) -> ValidatingAdmissionPolicyBinding {
    serde_json::from_value(json!({
        "metadata": { "name": name, "labels": state::managed_labels() },
        "spec": { "policyName": name, "validationActions": ["Deny"] },
    }))
    .expect("the guard's binding matches admissionregistration.k8s.io/v1")
}

/// `crusoe-support-requests`, enforcing `policy` (kept in the ConfigMap of `namespace`).
fn requests_policy(namespace: &str, policy: &Policy) -> ValidatingAdmissionPolicy {
    let policy_ref = format!("policy ConfigMap {namespace}/{}", state::POLICY_CONFIGMAP);
    let p = state::PREFIX;
    let mut variables = policy_variables(REQUESTS, policy);
    variables.extend([
        variable("id", label("object", state::REQUEST_ID_LABEL)),
        variable("role", label("object", state::ROLE_LABEL)),
        variable("managed", format!("({}) == 'true'", label("object", state::MANAGED_LABEL))),
        variable("name", "has(object.metadata.name) ? object.metadata.name : ''".into()),
        variable("record", "'crusoe-support-' + variables.id".into()),
        variable("hasSubjects", "has(object.subjects) && object.subjects.size() > 0".into()),
        // The request's ServiceAccount, and the end its name carries (0 for anything else).
        variable(
            "isAccount",
            format!(
                "variables.hasSubjects && object.subjects.size() == 1 && object.subjects[0].kind == 'ServiceAccount' && \
                 has(object.subjects[0].namespace) && object.subjects[0].namespace == {ns} && \
                 object.subjects[0].name.matches('^crusoe-support-' + variables.id + '-[0-9]{{1,11}}$')",
                ns = cel::string(namespace)
            ),
        ),
        variable(
            "accountEnd",
            "variables.isAccount ? int(object.subjects[0].name.substring(object.subjects[0].name.lastIndexOf('-') + 1)) : 0"
                .into(),
        ),
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
        variable("approvalRequired", "variables.approval == 'required'".into()),
        variable("pending", format!("({}) == '{}'", annotation("object", ann::STATE), state::STATE_PENDING)),
        variable("approver", may("approve")),
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
            "variables.approvedBy == request.userInfo.username && variables.approvedBy != variables.requestedBy && \
             variables.approver"
                .into(),
        ),
    ]);
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
            "variables.pending ? !variables.hasSubjects : variables.isAccount",
            format!(
                "a support request's binding has exactly one subject, ServiceAccount {namespace}/crusoe-support-<its \
                 id>-<end>, or none while it is pending approval"
            ),
        ),
        validation(
            "!variables.isRecord || !variables.isAccount || !variables.timesOk || \
             (variables.isUpdate && variables.subjectsUnchanged) || \
             variables.accountEnd <= int(timestamp(variables.expiresAt))",
            "a support request's ServiceAccount carries an end no later than the request's expires-at".into(),
        ),
        validation(
            "variables.hadSubjects || !variables.isUpdate || !variables.hasSubjects || variables.answeredBySomeoneElse",
            format!(
                "a pending support request is approved only by an approver other than its requester: the write that \
                 adds its subject must set {p}approved-by to the writing user (`kubectl supportaccess approve`)"
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
            "variables.role in ['readonly', 'operator'] && variables.role in variables.enabledRoles",
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
              timestamp(variables.expiresAt) - timestamp(variables.requestedAt) <= variables.maxDuration)",
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
             (variables.subjectsUnchanged || (variables.hadSubjects && variables.hasSubjects) || \
              (!variables.hadSubjects && variables.answeredBySomeoneElse)) && \
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
    self::policy(
        REQUESTS,
        json!({
            "failurePolicy": "Fail",
            "matchConstraints": { "resourceRules": [{
                "apiGroups": ["rbac.authorization.k8s.io"],
                "apiVersions": ["*"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["clusterrolebindings", "rolebindings"],
            }]},
            "matchConditions": [{
                "name": "grants-a-support-identity-or-is-a-request",
                "expression": format!(
                    "(has(object.subjects) && object.subjects.exists(s, s.name.startsWith('crusoe-support'))) || \
                     (({managed}) == 'true' && ({id}) != '') || {probe}",
                    managed = label("object", state::MANAGED_LABEL),
                    id = label("object", state::REQUEST_ID_LABEL),
                    probe = is_probe(REQUESTS),
                ),
            }],
            "variables": variables,
            "validations": guarded(validations),
        }),
    )
}

/// `crusoe-support-credentials`: a token of a request ServiceAccount only while enabled, for at
/// most `credentialTTL`, for the API server's own audience, bound to no object, and never past the
/// end its ServiceAccount's name carries, on the API server's clock (a TokenRequest's
/// `creationTimestamp` is the server's time on CREATE); a requester's tokens only for those.
fn credentials_policy(namespace: &str, policy: &Policy) -> ValidatingAdmissionPolicy {
    let policy_ref = format!("policy ConfigMap {namespace}/{}", state::POLICY_CONFIGMAP);
    let mut variables = policy_variables(CREDENTIALS, policy);
    variables.extend([
        variable("account", format!("request.name.matches({})", cel::string(state::ACCOUNT_PATTERN))),
        variable("requester", format!("{} && !{}", may("request"), may("approve"))),
        variable(
            "end",
            "variables.account ? int(request.name.substring(request.name.lastIndexOf('-') + 1)) : 0".into(),
        ),
        variable(
            "seconds",
            "has(object.spec.expirationSeconds) && object.spec.expirationSeconds != null ? \
             object.spec.expirationSeconds : 0"
                .into(),
        ),
    ]);
    let validations = vec![
        validation(
            "variables.account || !variables.requester",
            format!(
                "a requester may mint tokens only for request ServiceAccounts {namespace}/crusoe-support-<id>-<end>"
            ),
        ),
        validation(
            "!variables.account || variables.enabled",
            format!("support access is disabled ({policy_ref}): no support credential may be minted"),
        ),
        validation(
            "!variables.account || (variables.seconds > 0 && duration(string(variables.seconds) + 's') <= \
             variables.credentialTTL)",
            format!(
                "a support token sets expirationSeconds, at most the policy's credentialTTL ({policy_ref}, key \
                 credentialTTL)"
            ),
        ),
        validation(
            "!variables.account || (has(object.metadata.creationTimestamp) && \
             int(timestamp(string(object.metadata.creationTimestamp))) + variables.seconds <= variables.end)",
            "a support token never outlives its request: it must expire by the end its ServiceAccount's name \
             carries (crusoe-support-<id>-<end in Unix seconds>)"
                .into(),
        ),
        validation(
            "!variables.account || (has(object.spec.audiences) && object.spec.audiences.size() > 0 && \
             object.spec.audiences.all(a, a in variables.apiAudiences) && \
             (!has(object.spec.boundObjectRef) || object.spec.boundObjectRef == null))",
            format!(
                "a support token is for the API server's own audiences only ({policy_ref}, key apiAudiences, learned \
                 by `enable`) and bound to no object"
            ),
        ),
    ];
    self::policy(
        CREDENTIALS,
        json!({
            "failurePolicy": "Fail",
            "matchConstraints": {
                "resourceRules": [{
                    "apiGroups": [""],
                    "apiVersions": ["*"],
                    "operations": ["CREATE"],
                    "resources": ["serviceaccounts/token"],
                }, probe_rule()],
            },
            "matchConditions": [{
                "name": "a-token-in-the-system-namespace-or-a-probe",
                "expression": format!(
                    "(request.resource.resource == 'serviceaccounts' && request.namespace == {}) || {}",
                    cel::string(namespace),
                    is_probe(CREDENTIALS)
                ),
            }],
            "variables": variables,
            "validations": guarded(validations),
        }),
    )
}

/// The support ClusterRoles a record or companion may bind.
const SUPPORT_ROLES: &str =
    "['crusoe-support-readonly', 'crusoe-support-operator', 'crusoe-support-logs', 'crusoe-support-debug']";

/// `crusoe-support-requesters`: for a requester (RBAC verb `request` without `approve`), every
/// binding write — any name, any subject, CREATE, UPDATE and DELETE — touches only support
/// records and companions, with no finalizer and no owner but its own record; a record it creates
/// starts at the server's time and ends within `maxDuration`; with approval required it never
/// answers (approved-by, approved-at). ServiceAccounts: only request ones, created bare. ConfigMaps:
/// only lines appended to the history.
fn requesters_policy(namespace: &str, policy: &Policy) -> ValidatingAdmissionPolicy {
    let ns = cel::string(namespace);
    let mut variables = policy_variables(REQUESTERS, policy);
    variables.extend([
        variable("requester", format!("{} && !{}", may("request"), may("approve"))),
        variable("target", "request.operation == 'DELETE' ? oldObject : object".into()),
        variable("isBinding", "request.resource.group == 'rbac.authorization.k8s.io'".into()),
        variable("resource", "request.resource.resource".into()),
        variable("id", label("variables.target", state::REQUEST_ID_LABEL)),
        variable(
            "isSupport",
            format!(
                "({managed}) == 'true' && variables.id.matches('^[a-z0-9]([-a-z0-9]{{0,61}}[a-z0-9])?$') && \
                 has(variables.target.roleRef) && variables.target.roleRef.kind == 'ClusterRole' && \
                 variables.target.roleRef.name in {SUPPORT_ROLES} && variables.target.metadata.name in \
                 ['crusoe-support-' + variables.id, 'crusoe-support-' + variables.id + '-logs', \
                  'crusoe-support-' + variables.id + '-debug']",
                managed = label("variables.target", state::MANAGED_LABEL),
            ),
        ),
        variable(
            "wasSupport",
            format!(
                "request.operation != 'UPDATE' || (({old_id}) == variables.id && \
                 oldObject.metadata.name == variables.target.metadata.name && oldObject.roleRef == object.roleRef)",
                old_id = label("oldObject", state::REQUEST_ID_LABEL),
            ),
        ),
        variable("isRecord", "variables.target.metadata.name == 'crusoe-support-' + variables.id".into()),
        variable("requestedAt", annotation("object", ann::REQUESTED_AT)),
        variable("expiresAt", annotation("object", ann::EXPIRES_AT)),
    ]);
    let requester = |check: &str| format!("!variables.requester || {check}");
    let on = |resource: &str, check: &str| requester(&format!("variables.resource != '{resource}' || ({check})"));
    let unchanged = |key: &str| format!("({}) == ({})", annotation("object", key), annotation("oldObject", key));
    let validations = vec![
        validation(
            &requester("!variables.isBinding || (variables.isSupport && variables.wasSupport)"),
            "a requester writes only support records and companions (crusoe-support-<id>[-logs|-debug], labelled, \
             bound to a support ClusterRole)"
                .into(),
        ),
        validation(
            &requester(
                "!variables.isBinding || request.operation == 'DELETE' || \
                 ((!has(object.metadata.finalizers) || object.metadata.finalizers.size() == 0) && \
                  (!has(object.metadata.ownerReferences) || object.metadata.ownerReferences.all(o, \
                   o.kind == 'ClusterRoleBinding' && o.name == 'crusoe-support-' + variables.id)))",
            ),
            "a requester's support binding carries no finalizer and no owner but its own record".into(),
        ),
        validation(
            &requester(
                "!variables.isBinding || request.operation != 'UPDATE' || variables.isRecord || \
                 (has(object.subjects) ? object.subjects : []) == (has(oldObject.subjects) ? oldObject.subjects : [])",
            ),
            "a requester never changes a companion's subjects (it deletes the companion and creates it again)".into(),
        ),
        validation(
            &requester(&format!(
                "!variables.isBinding || request.operation != 'CREATE' || !variables.isRecord || \
                 (variables.requestedAt.matches('{TIME}') && variables.expiresAt.matches('{TIME}') && \
                  has(object.metadata.creationTimestamp) && \
                  timestamp(variables.requestedAt) >= timestamp(string(object.metadata.creationTimestamp)) - \
                   duration('60s') && \
                  timestamp(variables.requestedAt) <= timestamp(string(object.metadata.creationTimestamp)) + \
                   duration('60s') && \
                  timestamp(variables.expiresAt) <= timestamp(string(object.metadata.creationTimestamp)) + \
                   variables.maxDuration)"
            )),
            "a requester's new record starts at the API server's time (requested-at within a minute of it) and \
             ends at most the policy's maxDuration after it"
                .into(),
        ),
        validation(
            &requester(&format!(
                "!variables.isBinding || request.operation != 'UPDATE' || variables.approval != 'required' || \
                 ({} && {})",
                unchanged(ann::APPROVED_BY),
                unchanged(ann::APPROVED_AT)
            )),
            "approval is required: a requester never sets approved-by or approved-at".into(),
        ),
        validation(
            &on(
                "serviceaccounts",
                &format!(
                    "request.operation != 'UPDATE' && request.namespace == {ns} && \
                 variables.target.metadata.name.matches({pattern})",
                    pattern = cel::string(state::ACCOUNT_PATTERN)
                ),
            ),
            format!(
                "a requester creates and deletes only request ServiceAccounts {namespace}/crusoe-support-<id>-<end>"
            ),
        ),
        validation(
            &on(
                "serviceaccounts",
                &format!(
                    "request.operation != 'CREATE' || ((!has(object.secrets) || object.secrets.size() == 0) && \
                     (!has(object.imagePullSecrets) || object.imagePullSecrets.size() == 0) && \
                     has(object.automountServiceAccountToken) && object.automountServiceAccountToken == false && \
                     ({managed}) == 'true' && \
                     object.metadata.name.startsWith('crusoe-support-' + variables.id + '-') && \
                     has(object.metadata.creationTimestamp) && \
                     int(object.metadata.name.substring(object.metadata.name.lastIndexOf('-') + 1)) <= \
                      int(timestamp(string(object.metadata.creationTimestamp)) + variables.maxDuration))",
                    managed = label("object", state::MANAGED_LABEL),
                ),
            ),
            "a requester's ServiceAccount is labelled with its request id, has no secrets or image pull secrets, \
             mounts no token, and carries an end within the policy's maxDuration"
                .into(),
        ),
        validation(
            &on(
                "configmaps",
                &format!(
                    "request.operation == 'UPDATE' && object.metadata.name == {history} && \
                     (!has(oldObject.data) || oldObject.data == null || oldObject.data.all(k, has(object.data) && \
                      object.data != null && k in object.data && object.data[k].startsWith(oldObject.data[k])))",
                    history = cel::string(state::HISTORY_CONFIGMAP)
                ),
            ),
            format!(
                "a requester never writes the policy and only appends to the history ConfigMap {namespace}/{}: every \
                 existing line stays",
                state::HISTORY_CONFIGMAP
            ),
        ),
    ];
    self::policy(
        REQUESTERS,
        json!({
            "failurePolicy": "Fail",
            "matchConstraints": { "resourceRules": [
                {
                    "apiGroups": ["rbac.authorization.k8s.io"],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE", "DELETE"],
                    "resources": ["clusterrolebindings", "rolebindings"],
                },
                {
                    "apiGroups": [""],
                    "apiVersions": ["*"],
                    "operations": ["CREATE", "UPDATE", "DELETE"],
                    "resources": ["serviceaccounts", "configmaps"],
                },
                probe_rule(),
            ]},
            "matchConditions": [{
                "name": "a-binding-or-the-system-namespace-or-a-probe",
                "expression": format!(
                    "request.resource.group == 'rbac.authorization.k8s.io' || request.namespace == {ns} || {}",
                    is_probe(REQUESTERS)
                ),
            }],
            "variables": variables,
            "validations": guarded(validations),
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

/// The one pod-template annotation a support identity may change: what `kubectl rollout restart`
/// sets.
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// The guardrails' variables: the policy's, and a workload's pod-template labels and annotations
/// before and after (evaluated only when a validation reads them, for `apps` resources).
fn guardrail_variables(policy: &Policy) -> Vec<Value> {
    let mut variables = policy_variables(GUARDRAILS, policy);
    for (name, object, field) in [
        ("newLabels", "object", "labels"),
        ("oldLabels", "oldObject", "labels"),
        ("newAnnotations", "object", "annotations"),
        ("oldAnnotations", "oldObject", "annotations"),
    ] {
        let meta = format!("{object}.spec.template.metadata");
        variables.push(variable(
            name,
            format!("has({object}.spec.template) && has({meta}) && has({meta}.{field}) ? {meta}.{field} : {{}}"),
        ));
    }
    variables
}

/// `crusoe-support-guardrails`: for support identities only, no change of a workload's pod
/// template (spec, labels, annotations but `restartedAt`), of a node beyond cordon, or of an
/// operator resource's images and versions.
fn guardrails_policy(namespace: &str, policy: &Policy) -> ValidatingAdmissionPolicy {
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
    self::policy(
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
                probe_rule(),
            ]},
            "matchConditions": [{
                "name": "support-identity",
                "expression": format!("{} || {}", support_identity(namespace), is_probe(GUARDRAILS)),
            }],
            "variables": guardrail_variables(policy),
            "validations": guarded(vec![
                validation(
                    "request.resource.group != 'apps' || object.spec.template.spec == oldObject.spec.template.spec",
                    "a support identity may restart or scale a workload but not change its pod template \
                     (service account, volumes, containers, images, security context)"
                        .into(),
                ),
                validation(
                    &format!(
                        "request.resource.group != 'apps' || (variables.newLabels == variables.oldLabels && \
                         variables.newAnnotations.all(k, k == '{RESTARTED_AT}' || (k in variables.oldAnnotations && \
                          variables.oldAnnotations[k] == variables.newAnnotations[k])) && \
                         variables.oldAnnotations.all(k, k == '{RESTARTED_AT}' || k in variables.newAnnotations))"
                    ),
                    format!(
                        "a support identity may not change a workload's pod template labels or annotations, but for \
                         {RESTARTED_AT} (`kubectl rollout restart`)"
                    ),
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
            ]),
        }),
    )
}

/// The guards and their bindings that enforce `policy`, kept in the ConfigMap of `namespace`.
pub fn desired(namespace: &str, policy: &Policy) -> Vec<(ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding)> {
    let mut guards = vec![
        (requests_policy(namespace, policy), binding(REQUESTS)),
        (credentials_policy(namespace, policy), binding(CREDENTIALS)),
        (requesters_policy(namespace, policy), binding(REQUESTERS)),
    ];
    if policy.guardrails {
        guards.push((guardrails_policy(namespace, policy), binding(GUARDRAILS)));
    }
    guards
}

/// Every guard, whatever the policy says (for removal).
pub const ALL: [&str; 4] = [REQUESTS, CREDENTIALS, REQUESTERS, GUARDRAILS];

/// What `enable` or `disable` did with the guards.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardsInstalled {
    /// False on a server without admissionregistration.k8s.io/v1 policies (before Kubernetes 1.30).
    pub available: bool,
    pub installed: Vec<Installed>,
    pub removed: Vec<String>,
}

impl GuardsInstalled {
    pub fn unavailable() -> GuardsInstalled {
        GuardsInstalled { available: false, installed: Vec::new(), removed: Vec::new() }
    }

    /// Two installs one after the other, as one: an object keeps what the first did to it unless
    /// the second did something too.
    pub fn then(self, next: GuardsInstalled) -> GuardsInstalled {
        let installed = next
            .installed
            .into_iter()
            .map(|item| match self.installed.iter().find(|first| first.kind == item.kind && first.name == item.name) {
                Some(first) if item.outcome == Outcome::Unchanged || first.outcome == Outcome::Created => first.clone(),
                _ => item,
            })
            .collect();
        let mut removed = self.removed;
        removed.extend(next.removed.into_iter().filter(|r| !removed.contains(r)).collect::<Vec<_>>());
        GuardsInstalled { available: self.available && next.available, installed, removed }
    }
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

/// Writes the guards that enforce `policy`, each policy before its binding (a guard written by an
/// older plugin is replaced in place: never deleted, so never absent), and removes the
/// guardrails when the policy turns them off. The caller checked that the server has the API.
pub async fn install(conn: &Connection, policy: &Policy) -> Result<GuardsInstalled> {
    let mut installed = Vec::new();
    // The requests guard last: it is the one a racing `request` meets.
    for (guard, binding) in desired(&conn.namespace, policy).into_iter().rev() {
        installed.push(install_one(conn, guard).await?);
        installed.push(install_one(conn, binding).await?);
    }
    let mut removed = Vec::new();
    if !policy.guardrails {
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

/// The guard's spec without what depends on the policy's values (its literals and fingerprint):
/// two guards equal here differ only in the policy they enforce.
pub fn without_policy(guard: &ValidatingAdmissionPolicy) -> Value {
    let mut spec = serde_json::to_value(&guard.spec).unwrap_or_default();
    let policy_keys: Vec<&str> = literals(&Policy::default()).iter().map(|(k, _)| *k).collect();
    if let Some(Value::Array(variables)) = spec.get_mut("variables") {
        variables.retain(|v| {
            let name = v["name"].as_str().unwrap_or_default();
            name != FINGERPRINT && !policy_keys.contains(&name)
        });
    }
    spec
}

/// One way a guard differs from the one that enforces the stored policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardDifference {
    pub guard: String,
    /// The policy key whose value differs; absent when the difference is in the guard's rules.
    pub key: Option<String>,
    /// What the guard enforces (its literal as the ConfigMap would spell it, or as written).
    pub enforced: Option<String>,
    /// What the policy ConfigMap says.
    pub policy: Option<String>,
    pub detail: String,
}

/// Every way `installed` (with its binding) differs from `desired`, policy values first.
fn differences(
    installed: &ValidatingAdmissionPolicy,
    installed_binding: &ValidatingAdmissionPolicyBinding,
    desired: &ValidatingAdmissionPolicy,
    policy: &Policy,
) -> Vec<GuardDifference> {
    let guard = desired.name_any();
    let spec = installed.spec.as_ref();
    let other =
        |detail: String| GuardDifference { guard: guard.clone(), key: None, enforced: None, policy: None, detail };
    if spec.is_some_and(|s| s.param_kind.is_some())
        || installed_binding.spec.as_ref().is_some_and(|s| s.param_ref.is_some())
    {
        return vec![other(
            "reads the policy through paramKind (written by an older version of the plugin, and stale once \
             its binding was ever removed: kubernetes/kubernetes#130887); `enable` or `disable` rewrites it"
                .into(),
        )];
    }
    let variables = spec.and_then(|s| s.variables.as_ref());
    let carries = |key: &str| variables.is_some_and(|vars| vars.iter().any(|v| v.name == key));
    if !carries(FINGERPRINT) && !literals(policy).iter().any(|(key, _)| carries(key)) {
        return vec![other(
            "carries no policy values (written by an older version of the plugin); `enable` or `disable` rewrites it"
                .into(),
        )];
    }
    let mut found = Vec::new();
    for (key, literal) in literals(policy) {
        let expression = variables.and_then(|vars| vars.iter().find(|v| v.name == key)).map(|v| v.expression.as_str());
        if expression == Some(literal.cel().as_str()) {
            continue;
        }
        let enforced =
            expression.map(|e| Literal::parse(e, &literal).map(|l| l.show(key)).unwrap_or_else(|| e.to_string()));
        let wanted = literal.show(key);
        let detail = match &enforced {
            Some(enforced) => format!("enforces {key} {enforced:?}, but the policy ConfigMap says {wanted:?}"),
            None => format!("does not carry {key} (the policy ConfigMap says {wanted:?})"),
        };
        found.push(GuardDifference {
            guard: guard.clone(),
            key: Some(key.into()),
            enforced,
            policy: Some(wanted),
            detail,
        });
    }
    if !crate::install::contains(&without_policy(installed), &without_policy(desired)) {
        found.push(other("has rules that differ from what `enable` writes".into()));
    }
    found
}

/// The guards as the cluster holds them, against the ones that enforce the stored policy.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuardsStatus {
    /// False on a server without admissionregistration.k8s.io/v1 policies.
    pub available: bool,
    /// Whether the policy wants the guardrails (`guardrails=on`).
    pub guardrails: bool,
    /// Guards in place and enforcing the stored policy.
    pub in_force: Vec<String>,
    /// Guards whose policy or binding is missing.
    pub missing: Vec<String>,
    /// Guards whose policy or binding differs from the one that enforces the stored policy.
    pub changed: Vec<String>,
    /// How each changed guard differs.
    pub differences: Vec<GuardDifference>,
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

    /// Compares with the guards that enforce `policy`, kept in the ConfigMap of `namespace`.
    pub fn status(&self, namespace: &str, policy: &Policy) -> GuardsStatus {
        let Some(policies) = &self.policies else {
            return GuardsStatus { available: false, guardrails: policy.guardrails, ..GuardsStatus::default() };
        };
        let mut status = GuardsStatus { available: true, guardrails: policy.guardrails, ..GuardsStatus::default() };
        for (guard, binding) in desired(namespace, policy) {
            let name = guard.name_any();
            let found_policy = policies.iter().find(|p| p.name_any() == name);
            let found_binding = self.bindings.iter().find(|b| b.name_any() == name);
            match (found_policy, found_binding) {
                (Some(p), Some(b)) if same(p, &guard) && same(b, &binding) => status.in_force.push(name),
                (Some(p), Some(b)) => {
                    let mut found = differences(p, b, &guard, policy);
                    if found.is_empty() {
                        found.push(GuardDifference {
                            guard: name.clone(),
                            key: None,
                            enforced: None,
                            policy: None,
                            detail: "has a binding or labels that differ from what `enable` writes".into(),
                        });
                    }
                    status.differences.extend(found);
                    status.changed.push(name);
                }
                _ => status.missing.push(name),
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Role;

    fn enabled() -> Policy {
        Policy { enabled: true, enabled_roles: vec![Role::Readonly, Role::Operator], ..Policy::default() }
    }

    #[test]
    fn guardrails_off_drops_only_the_third() {
        let names = |g: bool| {
            desired("crusoe-system", &Policy { guardrails: g, ..enabled() })
                .iter()
                .map(|(p, _)| p.metadata.name.clone().unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(true), [REQUESTS, CREDENTIALS, REQUESTERS, GUARDRAILS]);
        assert_eq!(names(false), [REQUESTS, CREDENTIALS, REQUESTERS]);
    }

    #[test]
    fn no_guard_reads_a_parameter_and_each_denies() {
        for (policy, binding) in desired("team-x", &enabled()) {
            let spec = binding.spec.unwrap();
            assert_eq!(spec.policy_name.as_deref(), policy.metadata.name.as_deref());
            assert_eq!(spec.validation_actions.unwrap(), ["Deny"]);
            assert!(spec.param_ref.is_none());
            let policy_spec = policy.spec.unwrap();
            assert_eq!(policy_spec.failure_policy.as_deref(), Some("Fail"));
            assert!(policy_spec.param_kind.is_none());
            let text = serde_json::to_string(&policy_spec).unwrap();
            assert!(!text.contains("params"), "{text}");
        }
    }

    #[test]
    fn each_guard_carries_every_policy_value_as_a_literal() {
        let policy = Policy { max_duration: std::time::Duration::from_secs(8 * 3600), ..enabled() };
        for (guard, _) in desired("crusoe-system", &policy) {
            let variables = guard.spec.unwrap().variables.unwrap();
            let get = |name: &str| variables.iter().find(|v| v.name == name).unwrap().expression.clone();
            assert_eq!(get("enabled"), "true");
            assert_eq!(get("enabledRoles"), "['readonly', 'operator']");
            assert_eq!(get("maxDuration"), "duration('8h')");
            assert_eq!(get("approval"), "'none'");
            assert_eq!(get("systemNamespaces"), cel::list(&policy.system_namespaces));
            assert!(get(FINGERPRINT).starts_with("['enabled=' + string(variables.enabled), "), "{}", get(FINGERPRINT));
        }
    }

    #[test]
    fn a_changed_value_changes_the_fingerprint_and_is_named_as_a_difference() {
        let (before, after) = (enabled(), Policy { enabled_roles: vec![Role::Readonly], ..enabled() });
        assert_ne!(fingerprint(&before), fingerprint(&after));
        assert_eq!(fingerprint(&before), fingerprint(&enabled()));
        let (old, old_binding) = desired("ns", &before).remove(0);
        let (new, _) = desired("ns", &after).remove(0);
        assert_eq!(without_policy(&old), without_policy(&new));
        let found = differences(&old, &old_binding, &new, &after);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key.as_deref(), Some("enabledRoles"));
        assert_eq!(found[0].enforced.as_deref(), Some("readonly,operator"));
        assert_eq!(found[0].policy.as_deref(), Some("readonly"));
    }

    #[test]
    fn literals_read_back_and_hand_edits_show_as_written() {
        for (key, literal) in literals(&enabled()) {
            assert_eq!(Literal::parse(&literal.cel(), &literal), Some(literal.clone()), "{key}");
        }
        let like = Literal::Duration(std::time::Duration::from_secs(1));
        assert_eq!(Literal::parse("duration('72h') + duration('1h')", &like), None);
        assert_eq!(Literal::Switch(false).show("guardrails"), "off");
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
