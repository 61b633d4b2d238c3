//! `crusoe-support-credentials`: which tokens of request ServiceAccounts may be minted.

use serde_json::{Value, json};

use super::CREDENTIALS;
use super::build::*;
use crate::services::admission::cel;
use crate::state::{self};

/// `crusoe-support-credentials`: a token of a request ServiceAccount only while enabled, for at
/// most `credentialTTL`, for the API server's own audience, bound to no object, and never past the
/// end its ServiceAccount's name carries, on the API server's clock (a TokenRequest's
/// `creationTimestamp` is the server's time on CREATE); a requester's tokens only for those.
pub(super) fn source(namespace: &str) -> Value {
    let policy_ref = format!("policy ConfigMap {namespace}/{}", state::POLICY_CONFIGMAP);
    let mut variables: Vec<Value> = Vec::new();
    variables.extend([
        // A request ServiceAccount, in the form that carries its requester or the one before it.
        variable(
            "account",
            format!(
                "request.name.matches({}) || request.name.matches({})",
                cel::string(state::ACCOUNT_PATTERN),
                cel::string(state::LEGACY_ACCOUNT_PATTERN)
            ),
        ),
        // The name before its `.requester`, whose last part is the end.
        variable("base", "request.name.split('.')[0]".into()),
        variable(
            "end",
            "variables.account ? int(variables.base.substring(variables.base.lastIndexOf('-') + 1)) : 0".into(),
        ),
        variable(
            "mine",
            format!("request.name.endsWith('.' + {}) || {}", carried("request.userInfo.username"), owner()),
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
            &format!("variables.account || !{} || {}", may("request"), owner()),
            format!(
                "a requester may mint tokens only for its own request ServiceAccounts \
                 {namespace}/crusoe-support-<id>-<end>.<requester>"
            ),
        ),
        validation(
            &format!("variables.account || !{} || {}", may("approve"), owner()),
            format!(
                "an approver (that is not the cluster's owner) mints no token in {namespace} but its own request's: \
                 a ServiceAccount there that is no request's is the owner's"
            ),
        ),
        validation(
            "!variables.account || variables.mine",
            "a support request's tokens are its requester's alone: this ServiceAccount's name carries another \
             requester (or none, made before requests were tied to their requesters); only the cluster's owner \
             mints tokens for another's request"
                .into(),
        ),
        validation(
            "!variables.account || variables.identity != 'own'",
            format!(
                "no token of a request ServiceAccount is minted while the policy's identity is own ({policy_ref}, key \
                 identity): each request binds its requester's own user"
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
        }, not_support_identity(namespace)],
        "variables": variables,
        "validations": guarded(validations),
    })
}
