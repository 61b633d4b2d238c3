//! Errors for people: one sentence saying what went wrong, an optional hint saying what to do,
//! and the exit code of DESIGN.md (1 error, 2 usage, 3 refused by policy, 4 forbidden by RBAC).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Anything that went wrong (exit 1).
    Failed,
    /// The command line or its values are wrong (exit 2).
    Usage,
    /// The policy refuses the request (exit 3).
    Refused,
    /// The cluster's RBAC denied a call (exit 4).
    Forbidden,
    /// A child process (`exec`, `shell`) ended with this status, passed through silently.
    ChildExit(u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
    /// The HTTP status of an API server answer, when the error is one.
    pub status: Option<u16>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into(), hint: None, status: None }
    }

    pub fn failed(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Failed, message)
    }

    pub fn usage(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Usage, message)
    }

    pub fn refused(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Refused, message)
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_status(mut self, status: u16) -> Error {
        self.status = Some(status);
        self
    }

    /// 409: someone else wrote first, or the object already exists.
    pub fn is_conflict(&self) -> bool {
        self.status == Some(409)
    }

    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Failed => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Refused => 3,
            ErrorKind::Forbidden => 4,
            ErrorKind::ChildExit(code) => code,
        }
    }

    /// A Forbidden answer from the API server, restated to name the verb, resource and
    /// namespace. `message` is the server's Status message.
    pub fn forbidden(message: &str) -> Error {
        if let Some((policy, reason)) = admission_denial(message) {
            return Error::new(
                ErrorKind::Forbidden,
                format!("refused by the API server's admission guard {policy}: {reason}"),
            )
            .with_status(403)
            .with_hint("the guard enforces the support-access policy; `kubectl supportaccess get` shows it");
        }
        let denial = Denial::parse(message);
        let text = match &denial {
            Some(d) => {
                let scope = match &d.namespace {
                    Some(ns) => format!("in namespace {ns}"),
                    None => "cluster-wide".to_string(),
                };
                format!("forbidden: {} may not {} {} {scope}", d.user, d.verb, d.resource)
            }
            None => format!("forbidden: {message}"),
        };
        Error::new(ErrorKind::Forbidden, text)
            .with_status(403)
            .with_hint("ask the cluster's administrator for that permission, or use a context that has it (--context)")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// The policy and reason of a ValidatingAdmissionPolicy's denial: `… is forbidden:
/// ValidatingAdmissionPolicy 'NAME' with binding 'NAME' denied request: REASON`.
fn admission_denial(message: &str) -> Option<(&str, &str)> {
    let (_, rest) = message.split_once("ValidatingAdmissionPolicy '")?;
    let (policy, rest) = rest.split_once('\'')?;
    let (_, reason) = rest.split_once("denied request: ")?;
    Some((policy, reason))
}

/// What the API server said was denied, read from its Forbidden message, e.g.
/// `configmaps "x" is forbidden: User "bob" cannot get resource "configmaps" in API group "" in the namespace "crusoe-system"`.
#[derive(Debug, PartialEq, Eq)]
struct Denial {
    user: String,
    verb: String,
    resource: String,
    namespace: Option<String>,
}

impl Denial {
    fn parse(message: &str) -> Option<Denial> {
        let after_user = message.split_once("User \"")?.1;
        let (user, rest) = after_user.split_once('"')?;
        let rest = rest.trim_start().strip_prefix("cannot ")?;
        let (verb, rest) = rest.split_once(' ')?;
        let rest = rest.strip_prefix("resource \"")?;
        let (resource, rest) = rest.split_once('"')?;
        let group =
            rest.split_once("in API group \"").and_then(|(_, g)| g.split_once('"')).map(|(g, _)| g).unwrap_or("");
        let namespace =
            rest.split_once("in the namespace \"").and_then(|(_, ns)| ns.split_once('"')).map(|(ns, _)| ns.to_string());
        let resource = if group.is_empty() { resource.to_string() } else { format!("{resource}.{group}") };
        Some(Denial { user: user.to_string(), verb: verb.to_string(), resource, namespace })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_names_verb_resource_and_namespace() {
        let error = Error::forbidden(
            r#"configmaps "support-access" is forbidden: User "bob" cannot get resource "configmaps" in API group "" in the namespace "crusoe-system""#,
        );
        assert_eq!(error.message, "forbidden: bob may not get configmaps in namespace crusoe-system");
        assert_eq!(error.exit_code(), 4);
    }

    #[test]
    fn forbidden_cluster_scoped_names_the_api_group() {
        let error = Error::forbidden(
            r#"clusterrolebindings.rbac.authorization.k8s.io is forbidden: User "bob" cannot list resource "clusterrolebindings" in API group "rbac.authorization.k8s.io" at the cluster scope"#,
        );
        assert_eq!(
            error.message,
            "forbidden: bob may not list clusterrolebindings.rbac.authorization.k8s.io cluster-wide"
        );
    }

    #[test]
    fn an_admission_guard_is_named_with_its_reason() {
        let error = Error::forbidden(
            "clusterrolebindings.rbac.authorization.k8s.io \"crusoe-support-x\" is forbidden: ValidatingAdmissionPolicy \
             'crusoe-support-requests' with binding 'crusoe-support-requests' denied request: support access is disabled",
        );
        assert_eq!(error.exit_code(), 4);
        assert_eq!(
            error.message,
            "refused by the API server's admission guard crusoe-support-requests: support access is disabled"
        );
    }

    #[test]
    fn forbidden_with_an_unusual_message_keeps_it() {
        let error = Error::forbidden("access denied by webhook");
        assert_eq!(error.message, "forbidden: access denied by webhook");
    }
}
