//! `crusoe-support-requesters`: what the requester and approver parties may write.

use serde_json::{Value, json};

use super::REQUESTERS;
use super::build::*;
use super::trail;
use crate::services::admission::cel;
use crate::state::{self, annotations as ann};

/// The support ClusterRoles a record or companion may bind.
pub(super) const SUPPORT_ROLES: &str =
    "['crusoe-support-readonly', 'crusoe-support-operator', 'crusoe-support-logs', 'crusoe-support-debug']";

/// The history line a bound party appends starts `{"by":"<the writing user>",`.
fn line_start() -> String {
    format!(r#"'{{"by":' + {} + ','"#, writer_json())
}

/// CEL: every line appended to key `k` starts with [`line_start`] and ends with a newline, after
/// a newline.
fn lines_by_writer(k: &str) -> String {
    let added = trail::appended(k);
    let start = line_start();
    format!(
        "{added} == '' || ((!({k} in variables.oldData) || \
         variables.oldData[{k}] == '' || variables.oldData[{k}].endsWith('\\n')) && {added}.startsWith({start}) && \
         {added}.endsWith('\\n') && !{added}.substring(0, {added}.size() - 1).replace('\\n' + {start}, '').contains('\\n'))"
    )
}

/// The annotations a record or companion may carry.
const RECORD_ANNOTATIONS: [&str; 15] = [
    ann::REQUESTOR,
    ann::REASON,
    ann::REQUESTED_AT,
    ann::EXPIRES_AT,
    ann::CREDENTIAL_EXPIRES_AT,
    ann::REQUESTED_BY,
    ann::CLUSTER_ROLE,
    ann::STATE,
    ann::APPROVED_BY,
    ann::APPROVED_AT,
    ann::APPROVALS,
    ann::EXTENSION_APPROVALS,
    ann::EXTENSION_REQUESTED,
    ann::DENIED_BY,
    ann::DENIED_REASON,
];

/// `crusoe-support-requesters`: binds the two parties to their parts, requesters (RBAC verb
/// `request` without `approve`) and approvers (`approve`, but not the owner who may delete the
/// guards themselves). Every binding write of either — any name, any subject, CREATE, UPDATE and
/// DELETE — touches only support records and companions, with no finalizer and no owner but its
/// own record. A requester's own: a record it creates starts at the server's time and ends within
/// `maxDuration`; it changes only its own records and never deletes one; its companions and
/// ServiceAccounts carry its own name; with approval required it never answers. ServiceAccounts:
/// only request ones, created bare. ConfigMaps: only lines appended to the history, each in the
/// writer's own name.
///
/// Who is bound is asked in the match conditions (not the owner; `request` or `approve`), so that
/// no one expression asks the authorizer more than twice: each check costs 350,000 of CEL's
/// per-expression limit of 1,000,000, and without variables nothing is asked once for all.
/// Within them, a requester is a writer without `approve`, an approver one with it.
pub(super) fn source(namespace: &str) -> Value {
    let ns = cel::string(namespace);
    let mut variables: Vec<Value> = Vec::new();
    variables.extend([
        variable("requester", format!("!{}", may("approve"))),
        variable("approver", may("approve")),
        // The writer's name as its request ServiceAccounts carry it, after their `.`.
        variable("me", format!("'.' + {}", carried("request.userInfo.username"))),
        variable("target", "request.operation == 'DELETE' ? oldObject : object".into()),
        variable("isBinding", "request.resource.group == 'rbac.authorization.k8s.io'".into()),
        variable("resource", "request.resource.resource".into()),
        variable("id", label("variables.target", state::REQUEST_ID_LABEL)),
        variable(
            "isSupport",
            format!(
                "({managed}) == 'true' && variables.id.matches('^[a-z0-9]([-a-z0-9]{{0,61}}[a-z0-9])?$') && \
                 has(variables.target.roleRef) && variables.target.roleRef.kind == 'ClusterRole' && \
                 (variables.target.roleRef.name in {SUPPORT_ROLES} || \
                  (variables.target.metadata.name == 'crusoe-support-' + variables.id && ({role}) == '{cluster}' && \
                   variables.target.roleRef.name == ({cluster_role})) || \
                  (variables.target.metadata.name == 'crusoe-support-' + variables.id + '-holder' && \
                   variables.target.roleRef.name == '{holder}')) && variables.target.metadata.name in \
                 ['crusoe-support-' + variables.id, 'crusoe-support-' + variables.id + '-logs', \
                  'crusoe-support-' + variables.id + '-debug', 'crusoe-support-' + variables.id + '-holder']",
                holder = state::HOLDER_ROLE,
                managed = label("variables.target", state::MANAGED_LABEL),
                role = label("variables.target", state::ROLE_LABEL),
                cluster = state::CLUSTER_ROLE_LABEL_VALUE,
                cluster_role = annotation("variables.target", ann::CLUSTER_ROLE),
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
        variable(
            "ownSubjects",
            "(has(variables.target.subjects) ? variables.target.subjects : []).all(s, (s.kind == 'ServiceAccount' && \
             s.name.endsWith(variables.me)) || (s.kind == 'User' && s.name == request.userInfo.username))"
                .into(),
        ),
    ]);
    variables.extend(trail::data_variables().map(|(name, expression)| variable(name, expression)));
    let requester = |check: &str| format!("!variables.requester || {check}");
    let on = |resource: &str, check: &str| format!("variables.resource != '{resource}' || ({check})");
    let validations = vec![
        validation(
            "!variables.isBinding || (variables.isSupport && variables.wasSupport)",
            "a requester or approver writes and deletes only support records and companions \
             (crusoe-support-<id>[-logs|-debug|-holder], labelled, bound to a support ClusterRole or the holder \
             ClusterRole, or a record bound to the ClusterRole its cluster-role annotation names)"
                .into(),
        ),
        validation(
            "!variables.isBinding || request.operation == 'DELETE' || \
                 ((!has(object.metadata.finalizers) || object.metadata.finalizers.size() == 0) && \
                  (!has(object.metadata.ownerReferences) || object.metadata.ownerReferences.all(o, \
                   o.kind == 'ClusterRoleBinding' && o.name == 'crusoe-support-' + variables.id)))",
            "a requester's or approver's support binding carries no finalizer and no owner but its own record".into(),
        ),
        validation(
            "!variables.isBinding || request.operation != 'UPDATE' || variables.isRecord || \
                 (has(object.subjects) ? object.subjects : []) == (has(oldObject.subjects) ? oldObject.subjects : [])",
            "a requester or approver never changes a companion's subjects (it deletes the companion and creates it \
             again)"
                .into(),
        ),
        validation(
            "!variables.isBinding || request.operation != 'DELETE' || \
             variables.target.metadata.name != 'crusoe-support-' + variables.id + '-holder'",
            "a requester or approver never deletes a holder binding crusoe-support-<id>-holder: while it is there, \
             its user holds a request and the guardrails bind it; the owner's side deletes it with the request"
                .into(),
        ),
        validation(
            &requester("!variables.isBinding || request.operation != 'DELETE' || !variables.isRecord"),
            "a requester never deletes a support request's record: `kubectl supportaccess end` ends its own request \
             now, and the owner's side deletes the record and writes the history line"
                .into(),
        ),
        validation(
            &requester(&format!(
                "!variables.isBinding || request.operation != 'UPDATE' || !variables.isRecord || ({}) == \
                 request.userInfo.username",
                annotation("oldObject", ann::REQUESTED_BY)
            )),
            "a requester changes only its own requests (their requested-by is the writing user)".into(),
        ),
        validation(
            &requester("!variables.isBinding || variables.isRecord || variables.ownSubjects"),
            "a requester's companions bind only its own request ServiceAccounts (whose names carry its user name) \
             and, with the policy's identity own, its own user"
                .into(),
        ),
        validation(
            &format!(
                "!variables.isBinding || request.operation == 'DELETE' || \
                 ((has(object.metadata.labels) ? object.metadata.labels : {{}}).all(k, k in {labels}) && \
                  (has(object.metadata.annotations) ? object.metadata.annotations : {{}}).all(k, k in {annotations}))",
                labels = cel::list(&[state::MANAGED_BY_LABEL, state::MANAGED_LABEL, state::REQUEST_ID_LABEL, state::ROLE_LABEL]),
                annotations = cel::list(&RECORD_ANNOTATIONS),
            ),
            "a requester's or approver's support binding carries only the labels and annotations of the state \
             format (README, \"State format\")"
                .into(),
        ),
        validation(
            &(format!(
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
            "a requester's (or approver's) new record starts at the API server's time (requested-at within a minute of it) and \
             ends at most the policy's maxDuration after it"
                .into(),
        ),
        validation(
            &on(
                "serviceaccounts",
                &format!(
                    "request.operation != 'UPDATE' && request.namespace == {ns} && \
                     (variables.target.metadata.name.matches({pattern}) || (request.operation == 'DELETE' && \
                      variables.approver && variables.target.metadata.name.matches({legacy}))) && \
                     (!variables.requester || variables.target.metadata.name.endsWith(variables.me))",
                    pattern = cel::string(state::ACCOUNT_PATTERN),
                    legacy = cel::string(state::LEGACY_ACCOUNT_PATTERN),
                ),
            ),
            format!(
                "a requester or approver creates and deletes only request ServiceAccounts \
                 {namespace}/crusoe-support-<id>-<end>.<requester>, and a requester only its own"
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
                     (has(object.metadata.labels) ? object.metadata.labels : {{}}).all(k, k in {labels}) && \
                     (!has(object.metadata.annotations) || object.metadata.annotations.size() == 0) && \
                     (!has(object.metadata.ownerReferences) || object.metadata.ownerReferences.size() == 0) && \
                     (!has(object.metadata.finalizers) || object.metadata.finalizers.size() == 0) && \
                     object.metadata.name.startsWith('crusoe-support-' + variables.id + '-') && \
                     has(object.metadata.creationTimestamp) && \
                     int(object.metadata.name.split('.')[0].substring(object.metadata.name.split('.')[0].lastIndexOf('-') + 1)) <= \
                      int(timestamp(string(object.metadata.creationTimestamp)) + variables.maxDuration))",
                    managed = label("object", state::MANAGED_LABEL),
                    labels = cel::list(&[state::MANAGED_BY_LABEL, state::MANAGED_LABEL, state::REQUEST_ID_LABEL]),
                ),
            ),
            "a request's ServiceAccount is labelled with its request id (and only the state format's labels, no \
             annotation, owner or finalizer: nothing may end or keep it but its request), has no secrets or image pull secrets, \
             mounts no token, and carries an end within the policy's maxDuration"
                .into(),
        ),
        validation(
            &on("configmaps", &format!("{} && variables.newData.all(k, {})", trail::chunk_write(), lines_by_writer("k"))),
            format!(
                "a requester or approver never writes the policy or the history of earlier releases ({namespace}/{}), \
                 and never deletes the trail: it only opens a chunk of it ({namespace}/{}<day>-<part>) or appends to \
                 one; every existing line stays, and each new line is its own, starting {{\"by\":\"<its user name>\",",
                state::HISTORY_CONFIGMAP,
                crate::state::trail::CHUNK_PREFIX,
            ),
        ),
        validation(
            &on("configmaps", &trail::chunk_metadata()),
            "a chunk of the trail a requester or approver opens carries only the plugin's labels (managed and \
             support-access.crusoe.ai/trail=chunk), and no annotation, owner reference (the garbage collector would \
             delete it), finalizer or immutable; on an append all of these stay as they are; it holds no binaryData"
                .into(),
        ),
        validation(
            &on("configmaps", &trail::chunk_day()),
            "a requester or approver opens only a chunk of the trail for the API server's day (a day either side)"
                .into(),
        ),
        validation(
            &on("configmaps", &trail::chunk_bounded()),
            format!(
                "history lines go under a chunk's key `lines`, each at most {} characters, and at most {} bytes in one \
                 write",
                trail::MAX_LINE,
                trail::MAX_WRITE,
            ),
        ),
        validation(
            &on("configmaps", &trail::chunk_below_ceiling()),
            format!(
                "{} ({} bytes; the plugin opens the next part)",
                crate::state::refusals::HISTORY_FULL_FOR_PARTIES,
                crate::state::trail::CHUNK_MAX_BYTES
            ),
        ),
        validation(
            &on("configmaps", &trail::history_events("variables.approver")),
            "a history line records only what its writer's party does: a requester only its own requests' \
             requested, renewed, extended, ended and expired; an approver also approved, denied, revoked, \
             removed-out-of-band, changed-out-of-band, invalid and exported; enabled, disabled, drained, removed and pruned are the owner's"
                .into(),
        ),
        validation(
            &on("events", &trail::event_write(namespace, "variables.approver")),
            format!(
                "an Event in {namespace} by a requester or approver (or carrying kubectl-supportaccess's mark) is one \
                 the plugin writes about the history, created in the writer's own name (message '<event> by \
                 <writer>', annotation {}by) for an event of its party, a requester's about its own request \
                 (annotation {}), with only the plugin's labels and annotations",
                state::PREFIX,
                ann::REQUESTED_BY
            ),
        ),
    ];
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
                "resources": ["serviceaccounts", "configmaps", "events"],
            },
            probe_rule(),
        ]},
        "matchConditions": [
            {
                "name": "a-binding-or-the-system-namespace-or-a-probe",
                "expression": format!(
                    "request.resource.group == 'rbac.authorization.k8s.io' || request.namespace == {ns} || {}",
                    is_probe(REQUESTERS)
                ),
            },
            {
                "name": "not-the-owner-or-a-probe",
                "expression": format!("{} || !{}", is_probe(REQUESTERS), owner()),
            },
            {
                "name": "a-requester-or-approver-or-the-record-or-a-probe",
                "expression": format!(
                    "{} || {} || {} || {}",
                    is_probe(REQUESTERS),
                    trail::is_record(&ns),
                    may("request"),
                    may("approve")
                ),
            },
            not_support_identity(namespace),
        ],
        "variables": variables,
        "validations": guarded(validations),
    })
}
