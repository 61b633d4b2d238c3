//! `crusoe-support-identities`: what a support identity itself (a request's credential, of a
//! support role or of an allowed ClusterRole) may never write, whatever RBAC gives it: the support
//! state, RBAC, credentials that outlive its request, and anything at all as an impersonated or
//! token-Secret request ServiceAccount.

use serde_json::{Value, json};

use super::IDENTITIES;
use super::build::*;
use crate::services::admission::cel;
use crate::state;

/// What a request's own token carries and no impersonation or token Secret does (ADMISSION.md
/// §19): the TokenRequest token's `credential-id` extra, `JTI=<its jti>`.
pub(super) const CREDENTIAL_ID: &str = "authentication.kubernetes.io/credential-id";

/// The kinds of the system namespace that hold the support state (the history and policy
/// ConfigMaps, the request ServiceAccounts and their token Secrets, the plugin's Events).
pub(super) const STATE_RESOURCES: &str = "['configmaps', 'serviceaccounts', 'secrets', 'events']";

/// `crusoe-support-identities`: matched by the writer alone (a request ServiceAccount of the system
/// namespace `namespace`, or a member of a support group), for every resource and every write,
/// exec and port-forward included (CONNECT). A request ServiceAccount acts only with its own token;
/// no support identity writes RBAC anywhere (what it bound would outlive its request), mints a
/// token, makes a token Secret or asks for a certificate anywhere, or writes the support state's
/// kinds in the system namespace.
pub(super) fn source(namespace: &str) -> Value {
    let account = cel::string(&state::account_user(namespace, state::ACCOUNT_PREFIX));
    let variables = vec![
        variable("resource", "request.resource.resource".into()),
        variable(
            "ownToken",
            format!(
                "has(request.userInfo.extra) && '{CREDENTIAL_ID}' in request.userInfo.extra && \
                 request.userInfo.extra['{CREDENTIAL_ID}'].exists(v, v.startsWith('JTI='))"
            ),
        ),
    ];
    let validations = vec![
        validation(
            &format!("!request.userInfo.username.startsWith({account}) || variables.ownToken"),
            "a support request's ServiceAccount acts only with a token minted for it (TokenRequest): never \
             through impersonation (kubectl --as), a token Secret or a certificate, which could act as another \
             request"
                .into(),
        ),
        validation(
            "request.resource.group != 'rbac.authorization.k8s.io'",
            "a support identity never writes RBAC (roles and bindings it made would outlive its request)".into(),
        ),
        validation(
            "!(variables.resource == 'serviceaccounts' && request.subResource == 'token') && \
             variables.resource != 'certificatesigningrequests' && \
             !(variables.resource == 'secrets' && request.operation != 'DELETE' && has(object.type) && \
               object.type == 'kubernetes.io/service-account-token')",
            "a support identity never makes a credential (a ServiceAccount token, a token Secret, a certificate \
             signing request): it would outlive its request"
                .into(),
        ),
        validation(
            &format!(
                "request.namespace != {ns} || !(variables.resource in {STATE_RESOURCES})",
                ns = cel::string(namespace)
            ),
            format!(
                "a support identity never writes the support state in {namespace} (ConfigMaps, ServiceAccounts, \
                 Secrets, Events): the history, the policy and the requests are the owner's"
            ),
        ),
    ];
    json!({
        "failurePolicy": "Fail",
        "matchConstraints": { "resourceRules": [
            {
                "apiGroups": ["*"],
                "apiVersions": ["*"],
                "operations": ["CREATE", "UPDATE", "DELETE", "CONNECT"],
                "resources": ["*/*"],
            },
        ]},
        "matchConditions": [{
            "name": "a-support-identity-or-a-probe",
            "expression": format!("{} || {}", support_identity(namespace), is_probe(IDENTITIES)),
        }],
        "variables": variables,
        "validations": guarded(validations),
    })
}
