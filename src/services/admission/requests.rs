//! `crusoe-support-requests`: what a binding that grants a support identity must be.

use serde_json::{Value, json};

use super::REQUESTS;
use super::build::*;
use crate::base::text::{MAX_REASON, MAX_REQUESTOR};
use crate::services::admission::cel;
use crate::state::{self, annotations as ann};

/// CEL: whether the lines `new` are the lines `old` and one more, the writer's own, written by
/// someone who may approve and who is not among `old` (each line is `<time> <user>`).
fn appended(new: &str, old: &str) -> String {
    let head = format!("({old} == '' ? '' : {old} + '\\n')");
    format!(
        "variables.mayApprove && {new}.startsWith({head}) && \
         {new}.substring({head}.size()).matches('^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}T[0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}Z ') && \
         {new}.substring({head}.size() + 21) == request.userInfo.username && \
         !('\\n' + {old} + '\\n').contains('Z ' + request.userInfo.username + '\\n')"
    )
}

/// The source of `crusoe-support-requests` for the policy kept in the ConfigMap of `namespace`
/// (`build::policy` writes it out with the policy's values).
pub(super) fn source(namespace: &str) -> Value {
    let policy_ref = format!("policy ConfigMap {namespace}/{}", state::POLICY_CONFIGMAP);
    let p = state::PREFIX;
    let mut variables: Vec<Value> = Vec::new();
    variables.extend([
        variable("id", label("object", state::REQUEST_ID_LABEL)),
        variable("role", label("object", state::ROLE_LABEL)),
        // The ClusterRole a record of an allowed ClusterRole names (label role `clusterrole`).
        variable("clusterRole", annotation("object", ann::CLUSTER_ROLE)),
        variable("managed", format!("({}) == 'true'", label("object", state::MANAGED_LABEL))),
        variable("name", "has(object.metadata.name) ? object.metadata.name : ''".into()),
        variable("record", "'crusoe-support-' + variables.id".into()),
        variable("hasSubjects", "has(object.subjects) && object.subjects.size() > 0".into()),
        variable("requestedBy", annotation("object", ann::REQUESTED_BY)),
        // The request's ServiceAccount, and the end its name carries (0 for anything else); with
        // identity `own`, followed by its requester's own user.
        variable(
            "isAccount",
            format!(
                "variables.hasSubjects && object.subjects.size() == (variables.identity == 'own' ? 2 : 1) && \
                 object.subjects[0].kind == 'ServiceAccount' && \
                 has(object.subjects[0].namespace) && object.subjects[0].namespace == {ns} && \
                 object.subjects[0].name.matches('^crusoe-support-' + variables.id + '-[0-9]{{1,11}}[.]u[-a-z0-9]+$') && \
                 object.subjects[0].name.endsWith('.' + {requester}) && (variables.identity != 'own' || \
                  (object.subjects[1].kind == 'User' && has(object.subjects[1].apiGroup) && \
                   object.subjects[1].apiGroup == 'rbac.authorization.k8s.io' && \
                   (!has(object.subjects[1].namespace) || object.subjects[1].namespace == '') && \
                   object.subjects[1].name == variables.requestedBy))",
                ns = cel::string(namespace),
                requester = carried("variables.requestedBy"),
            ),
        ),
        variable(
            "accountEnd",
            "variables.isAccount ? int(object.subjects[0].name.substring(variables.record.size() + 1, \
             object.subjects[0].name.indexOf('.'))) : 0"
                .into(),
        ),
        variable("isRecord", "variables.name == variables.record".into()),
        // Identity `own`: the binding that makes a user holding a request known to RBAC.
        variable(
            "isHolder",
            format!(
                "request.kind.kind == 'ClusterRoleBinding' && variables.name == variables.record + '-holder' && \
                 object.roleRef.kind == 'ClusterRole' && object.roleRef.name == '{}'",
                state::HOLDER_ROLE
            ),
        ),
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
            [ann::REASON, ann::REQUESTOR, ann::REQUESTED_BY, ann::REQUESTED_AT, ann::CLUSTER_ROLE]
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
        // Who approved, one line `<time> <user>` each (annotations approvals, extension-approvals).
        variable("approvalLines", annotation("object", ann::APPROVALS)),
        variable("oldApprovalLines", annotation("oldObject", ann::APPROVALS)),
        variable("extensionLines", annotation("object", ann::EXTENSION_APPROVALS)),
        variable("oldExtensionLines", annotation("oldObject", ann::EXTENSION_APPROVALS)),
        variable("extensionRequested", annotation("object", ann::EXTENSION_REQUESTED)),
        variable("oldPending", format!("({}) == '{}'", annotation("oldObject", ann::STATE), state::STATE_PENDING)),
        // The writer may add its own yes: an approver, not the requester, without a line break.
        variable(
            "mayApprove",
            "variables.approver && request.userInfo.username != variables.requestedBy && \
             !request.userInfo.username.contains('\\n')"
                .into(),
        ),
        variable(
            "approvalAppended",
            appended("variables.approvalLines", "variables.oldApprovalLines"),
        ),
        variable(
            "extensionAppended",
            appended("variables.extensionLines", "variables.oldExtensionLines"),
        ),
        // As many distinct approvers as the policy asks for (each line was checked when added).
        variable(
            "quorum",
            "variables.approvalLines != '' && variables.approvalLines.split('\\n').size() >= variables.approvals".into(),
        ),
        variable(
            "extensionQuorum",
            "variables.extensionLines != '' && variables.extensionLines.split('\\n').size() >= variables.approvals"
                .into(),
        ),
        variable("approvedAt", annotation("object", ann::APPROVED_AT)),
        variable("oldApprovedAt", annotation("oldObject", ann::APPROVED_AT)),
        variable("deniedBy", annotation("object", ann::DENIED_BY)),
        variable("deniedReason", annotation("object", ann::DENIED_REASON)),
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
            "variables.pending ? !variables.hasSubjects : (!variables.hasSubjects || variables.isAccount)",
            format!(
                "a support request's binding has exactly one subject, its requester's ServiceAccount \
                 {namespace}/crusoe-support-<its id>-<end>.u<its requested-by> (with the policy's identity own, that \
                 and then the User its requested-by names, no other), or none (pending approval, or ended)"
            ),
        ),
        validation(
            "!variables.isHolder || (variables.identity == 'own' && variables.isAccount)",
            format!(
                "a holder binding crusoe-support-<id>-holder is made only while the policy's identity is own \
                 ({policy_ref}, key identity), and binds the request's ServiceAccount and then its requester's user"
            ),
        ),
        validation(
            &format!(
                "variables.identity != 'own' || !variables.isRecord || !variables.isAccount || variables.hadSubjects || \
                 authorizer.serviceAccount(object.subjects[0].namespace, object.subjects[0].name)\
                  .group('{group}').resource('{resource}').check('{hold}').allowed()",
                group = state::REQUESTS_GROUP,
                resource = state::REQUESTS_RESOURCE,
                hold = state::HOLD_VERB,
            ),
            format!(
                "{} (ClusterRoleBinding crusoe-support-<id>-holder of ClusterRole {}, which puts the user under the \
                 guardrails while the request is live)",
                crate::state::refusals::GRANT_AFTER_HOLDER,
                state::HOLDER_ROLE
            ),
        ),
        validation(
            "(variables.isRecord || variables.isHolder) ? \
             (!has(object.metadata.ownerReferences) || object.metadata.ownerReferences.size() == 0) : \
             (has(object.metadata.ownerReferences) && object.metadata.ownerReferences.exists(o, \
              o.apiVersion == 'rbac.authorization.k8s.io/v1' && o.kind == 'ClusterRoleBinding' && o.name == variables.record))",
            "a support request's record and holder have no owner (nothing may delete them but the owner's side, which \
             records it), and each companion names its record ClusterRoleBinding crusoe-support-<id> as its owner, so that the garbage \
             collector removes a companion whose record does not exist"
                .into(),
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
              variables.answeredBySomeoneElse) : (variables.answeredBySomeoneElse && variables.quorum)) : \
             (variables.isUpdate || (variables.requestedBy != '' && variables.answeredBySomeoneElse)))",
            format!(
                "approval is required ({policy_ref}, keys approval and approvals): a support request grants nothing \
                 until as many approvers as key approvals asks, none of them its requester, have approved it with \
                 `kubectl supportaccess approve`"
            ),
        ),
        validation(
            &format!(
                "variables.isHolder || (variables.role in ['readonly', 'operator'] ? \
                 (variables.role in variables.enabledRoles && variables.clusterRole == '') : \
                 (variables.role == '{cluster}' && variables.isRecord && variables.clusterRole != '' && \
                  (variables.clusterRole in variables.clusterRoles || (request.kind.kind == 'RoleBinding' && \
                   variables.clusterRole + '{namespaced}' in variables.clusterRoles))))",
                cluster = state::CLUSTER_ROLE_LABEL_VALUE,
                namespaced = crate::state::roles::NAMESPACED_SUFFIX,
            ),
            format!(
                "the role of this support binding is not enabled ({policy_ref}, keys enabledRoles and clusterRoles): \
                 a record of an allowed ClusterRole has label {}={} and names it in annotation {}, and one listed \
                 as NAME{} is bound in a namespace only",
                state::ROLE_LABEL,
                state::CLUSTER_ROLE_LABEL_VALUE,
                ann::CLUSTER_ROLE,
                crate::state::roles::NAMESPACED_SUFFIX
            ),
        ),
        validation(
            &format!(
                "variables.isRecord ? (object.roleRef.kind == 'ClusterRole' && object.roleRef.name == \
                 (variables.role == '{}' ? variables.clusterRole : 'crusoe-support-' + variables.role)) : \
                 (variables.isCompanion || variables.isHolder)",
                state::CLUSTER_ROLE_LABEL_VALUE
            ),
            "a support binding is either the record crusoe-support-<id> bound to ClusterRole \
             crusoe-support-<role> (or to the allowed ClusterRole it names), or its -logs/-debug RoleBinding in a \
             system namespace (or, for operator, an operator namespace), or its -holder ClusterRoleBinding of \
             ClusterRole crusoe-support-holder"
                .into(),
        ),
        validation(
            "variables.isUpdate || !variables.isRecord || variables.reasonPattern == '' || \
             variables.reason.matches(variables.reasonPattern)",
            format!(
                "a support request's {p}reason must match the policy's reasonPattern ({policy_ref}, key \
                 reasonPattern)"
            ),
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
            "!variables.isRecord || (variables.isUpdate ? \
             ((variables.approvalLines == variables.oldApprovalLines || \
               (variables.oldPending && variables.approvalAppended)) && \
              (variables.extensionRequested != variables.oldExtension && variables.extensionRequested != '' ? \
               variables.extensionLines == '' : \
               (variables.extensionLines == variables.oldExtensionLines || \
                (variables.oldExtension != '' && variables.extensionAppended)))) : \
             (variables.approvalLines == '' && variables.extensionLines == ''))",
            format!(
                "an approval is its approver's own line `<time> <user>` added to {p}approvals while the request is \
                 pending (or to {p}extension-approvals while an extension is asked): written by an approver other \
                 than the requester, in their own name, once each; no line is changed or removed, a request is \
                 made with none, and a new extension starts with none"
            ),
        ),
        validation(
            "variables.isUpdate || !variables.isRecord || variables.requestedBy == request.userInfo.username",
            format!("a support request's {p}requested-by is the user who creates it"),
        ),
        validation(
            "!variables.isUpdate || !variables.isRecord || (variables.unchanged && \
             (variables.subjectsUnchanged || !variables.hasSubjects || (variables.hadSubjects && variables.hasSubjects) || \
              (!variables.hadSubjects && variables.answeredBySomeoneElse)) && \
             variables.oldExpiresAt.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$') && \
             variables.timesOk && (timestamp(variables.expiresAt) <= timestamp(variables.oldExpiresAt) || \
              (!variables.approvalRequired && variables.enabled) || \
              (variables.oldExtension == variables.expiresAt && variables.extensionAppended && \
               variables.extensionQuorum)))",
            "a running support request's end only moves later through an extension (approved by as many approvers \
             as key approvals asks, none of them its requester, when approval is required), and its requester, \
             reason, start, role and subject never change"
                .into(),
        ),
        validation(
            "!variables.isRecord || (variables.isUpdate ? \
             ((variables.approvedBy == variables.oldApprovedBy && variables.approvedAt == (OLD_APPROVED_AT)) || \
              (!variables.hadSubjects && variables.hasSubjects && variables.answeredBySomeoneElse && \
               variables.oldApprovedBy == '' && variables.approvedAt.matches('TIME_RE'))) : \
             (variables.approvedBy == '' && variables.approvedAt == ''))"
                .replace("OLD_APPROVED_AT", &annotation("oldObject", ann::APPROVED_AT))
                .replace("TIME_RE", TIME)
                .as_str(),
            format!(
                "{p}approved-by and approved-at name the approver whose write granted the request: set by that \
                 write alone, never made with a record and never rewritten (an extension's approvers are its \
                 {p}extension-approvals)"
            ),
        ),
        validation(
            "!variables.isRecord || (variables.isUpdate ? \
             ((variables.deniedBy == (OLD_DENIED_BY) && variables.deniedReason == (OLD_DENIED_REASON)) || \
              (variables.deniedBy == '' && variables.deniedReason == '') || \
              (variables.mayApprove && variables.deniedBy == request.userInfo.username && \
               (variables.oldPending || variables.oldExtension != '') && variables.deniedReason != '' && \
               variables.deniedReason.size() <= MAX_REASON && !variables.deniedReason.matches('UNPRINTABLE'))) : \
             (variables.deniedBy == '' && variables.deniedReason == ''))"
                .replace("OLD_DENIED_BY", &annotation("oldObject", ann::DENIED_BY))
                .replace("OLD_DENIED_REASON", &annotation("oldObject", ann::DENIED_REASON))
                .replace("MAX_REASON", &MAX_REASON.to_string())
                .replace("UNPRINTABLE", UNPRINTABLE)
                .as_str(),
            format!(
                "a denial ({p}denied-by, {p}denied-reason) is written only by an approver other than the requester, \
                 in its own name, with a printable reason, on a request or extension that waits for an answer; a \
                 pending record carries no other answer"
            ),
        ),
        validation(
            &format!(
                "!variables.isRecord || (variables.reason.size() <= {MAX_REASON} && \
                 variables.requestor.size() <= {MAX_REQUESTOR})"
            ),
            format!(
                "a support request's {p}reason is at most {MAX_REASON} characters and its {p}requestor at most \
                 {MAX_REQUESTOR}"
            ),
        ),
        validation(
            &format!(
                "request.kind.kind != 'RoleBinding' || !variables.isRecord || \
                 (object.metadata.namespace != {ns} && (variables.role in ['readonly', 'operator'] || \
                  !(object.metadata.namespace in variables.systemNamespaces)))",
                ns = cel::string(namespace)
            ),
            format!(
                "a support request is never scoped to {namespace}, which holds the support state, and a request of \
                 an allowed ClusterRole never to a system namespace (policy key systemNamespaces)"
            ),
        ),
        validation(
            "request.operation != 'CREATE' || !variables.isCompanion || !variables.isAccount || \
             authorizer.serviceAccount(object.subjects[0].namespace, object.subjects[0].name).group('')\
              .resource('nodes').check(variables.name.endsWith('-debug') ? 'patch' : 'list').allowed() || \
             OWNER"
                .replace("OWNER", &owner())
                .as_str(),
            format!(
                "{} (after the approvals the policy asks for), never before it and never for a ServiceAccount the \
                 record does not bind",
                crate::state::refusals::COMPANION_AFTER_GRANT
            ),
        ),
    ];
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
        }, not_support_identity(namespace)],
        "variables": variables,
        "validations": guarded(validations),
    })
}
