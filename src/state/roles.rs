//! The roles of the state format: the two support roles, the ClusterRoles an owner allows
//! (`NAME` or `NAME/namespaced`), what a request's record binds, and its companion RoleBindings.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::state;

/// A role support may request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Readonly,
    Operator,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Readonly, Role::Operator];

    pub fn name(self) -> &'static str {
        match self {
            Role::Readonly => "readonly",
            Role::Operator => "operator",
        }
    }

    /// The name Crusoe's API and the reference output use.
    pub fn api_name(self) -> &'static str {
        match self {
            Role::Readonly => "SUPPORT_ACCESS_ROLE_READONLY",
            Role::Operator => "SUPPORT_ACCESS_ROLE_OPERATOR",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "readonly" => Ok(Role::Readonly),
            "operator" => Ok(Role::Operator),
            other => Err(format!("unknown role {other:?}: the roles are readonly and operator")),
        }
    }
}

/// What a request binds: one of Crusoe's two support roles, or an existing ClusterRole the owner
/// allows (policy key `clusterRoles`, jitsudo's model). A record names the latter with label
/// `role: clusterrole` and annotation `cluster-role` (a label value cannot hold every name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GrantRole {
    Support(Role),
    Cluster(String),
}

impl From<Role> for GrantRole {
    fn from(role: Role) -> Self {
        GrantRole::Support(role)
    }
}

impl Default for GrantRole {
    fn default() -> Self {
        GrantRole::Support(Role::Readonly)
    }
}

impl GrantRole {
    /// `readonly`, `operator`, or the ClusterRole's name: what `--role` takes and `get` shows.
    pub fn name(&self) -> &str {
        match self {
            GrantRole::Support(role) => role.name(),
            GrantRole::Cluster(name) => name,
        }
    }

    /// The value of the record's role label.
    pub fn label(&self) -> &str {
        match self {
            GrantRole::Support(role) => role.name(),
            GrantRole::Cluster(_) => state::CLUSTER_ROLE_LABEL_VALUE,
        }
    }

    /// The ClusterRole the record binds.
    pub fn cluster_role(&self) -> &str {
        match self {
            GrantRole::Support(role) => cluster_role_of(*role),
            GrantRole::Cluster(name) => name,
        }
    }

    /// How `get` and `request` name it: Crusoe's API name, or the ClusterRole.
    pub fn api_name(&self) -> String {
        match self {
            GrantRole::Support(role) => role.api_name().to_string(),
            GrantRole::Cluster(name) => format!("ClusterRole {}", crate::base::text::terminal(name)),
        }
    }

    /// The Crusoe role, if it is one.
    pub fn support(&self) -> Option<Role> {
        match self {
            GrantRole::Support(role) => Some(*role),
            GrantRole::Cluster(_) => None,
        }
    }

    /// The `-logs`/`-debug` companions a cluster-wide request of it gets (none for a ClusterRole).
    pub fn companions(&self) -> &'static [Companion] {
        self.support().map(Companion::of).unwrap_or(&[])
    }
}

impl fmt::Display for GrantRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::base::text::terminal(self.name()))
    }
}

impl Serialize for GrantRole {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// An existing ClusterRole support may request (policy key `clusterRoles`): cluster-wide or in a
/// namespace, or — spelled `NAME/namespaced` — in a namespace only. A ClusterRole's name never
/// holds `/`, so the suffix cannot be mistaken for a name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AllowedClusterRole {
    pub name: String,
    pub namespaced_only: bool,
}

/// The suffix of a ClusterRole allowed in namespaces only.
pub const NAMESPACED_SUFFIX: &str = "/namespaced";

impl AllowedClusterRole {
    /// As key `clusterRoles` and `--clusterroles` spell it.
    pub fn spelled(&self) -> String {
        match self.namespaced_only {
            true => format!("{}{NAMESPACED_SUFFIX}", self.name),
            false => self.name.clone(),
        }
    }

    /// Whether a request of it may have this scope (`None`: cluster-wide).
    pub fn allows_scope(&self, scope: Option<&str>) -> bool {
        scope.is_some() || !self.namespaced_only
    }
}

/// Why a name cannot be allowed as a ClusterRole support may request; `None` when it can.
pub fn unallowable_cluster_role(name: &str) -> Option<String> {
    let shown = crate::base::text::terminal(&format!("{name:?}")).into_owned();
    if name.is_empty() || name.len() > 253 || name == "." || name == ".." {
        return Some(format!("{shown} is not a ClusterRole name"));
    }
    if !name.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '/' | '%' | ',')) {
        return Some(format!(
            "{shown} is not a ClusterRole name this plugin allows: printable ASCII without spaces, '/', '%' or ','"
        ));
    }
    if Role::ALL.iter().any(|role| role.name() == name) {
        return Some(format!("{shown} is the name of a Crusoe role: allow it with --enabled-roles"));
    }
    if name.starts_with(state::ACCOUNT_PREFIX) {
        return Some(format!(
            "{shown} is one of this plugin's own ClusterRoles: support requests readonly or operator (--enabled-roles)"
        ));
    }
    None
}

/// Parses a comma list of allowed ClusterRoles (`NAME` or `NAME/namespaced`), sorted by name,
/// each once.
pub fn parse_cluster_roles<S: AsRef<str>>(items: &[S]) -> Result<Vec<AllowedClusterRole>, String> {
    let mut allowed: Vec<AllowedClusterRole> = Vec::new();
    for item in items.iter().flat_map(|item| item.as_ref().split(',')).map(str::trim).filter(|i| !i.is_empty()) {
        let (name, namespaced_only) = match item.strip_suffix(NAMESPACED_SUFFIX) {
            Some(name) => (name, true),
            None => (item, false),
        };
        if let Some(problem) = unallowable_cluster_role(name) {
            return Err(problem);
        }
        match allowed.iter().find(|a| a.name == name) {
            Some(seen) if seen.namespaced_only != namespaced_only => {
                return Err(format!(
                    "{} is listed both cluster-wide and as {}{NAMESPACED_SUFFIX}: say one",
                    crate::base::text::terminal(name),
                    crate::base::text::terminal(name)
                ));
            }
            Some(_) => {}
            None => allowed.push(AllowedClusterRole { name: name.to_string(), namespaced_only }),
        }
    }
    allowed.sort();
    Ok(allowed)
}

/// Parses a comma list of roles; `operator` implies `readonly`. The result is sorted, unique.
pub fn parse_roles<S: AsRef<str>>(items: &[S]) -> Result<Vec<Role>, String> {
    let mut roles = Vec::new();
    for item in items.iter().flat_map(|item| item.as_ref().split(',')) {
        if item.trim().is_empty() {
            continue;
        }
        let role: Role = item.parse()?;
        roles.push(role);
        if role == Role::Operator {
            roles.push(Role::Readonly);
        }
    }
    roles.sort();
    roles.dedup();
    Ok(roles)
}

/// The `-logs` and `-debug` RoleBindings of a cluster-wide request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Companion {
    Logs,
    Debug,
}

impl Companion {
    pub fn suffix(self) -> &'static str {
        match self {
            Companion::Logs => "logs",
            Companion::Debug => "debug",
        }
    }

    pub fn cluster_role(self) -> &'static str {
        match self {
            Companion::Logs => crate::state::cluster_roles::LOGS,
            Companion::Debug => crate::state::cluster_roles::DEBUG,
        }
    }

    /// Which companions a request of this role gets.
    pub fn of(role: Role) -> &'static [Companion] {
        match role {
            Role::Readonly => &[Companion::Logs],
            Role::Operator => &[Companion::Logs, Companion::Debug],
        }
    }
}

/// The ClusterRole a request's record binding refers to.
pub fn cluster_role_of(role: Role) -> &'static str {
    match role {
        Role::Readonly => crate::state::cluster_roles::READONLY,
        Role::Operator => crate::state::cluster_roles::OPERATOR,
    }
}
