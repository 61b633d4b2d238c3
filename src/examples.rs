//! Each command's examples, as kubectl prints them at the end of its help (`Examples:`) and the
//! man pages under EXAMPLES; and what every man page says of exit statuses, the environment and
//! files.

pub const ENABLE: &str = "Examples:
  # Let support request readonly or operator access, each request approved by two owners
  kubectl supportaccess enable --enabled-roles readonly,operator --approval required --approvals 2

  # Who may ask and who may answer, and what a reason must look like
  kubectl supportaccess enable --requesters group:support --approvers user:alice --reason-pattern '^CASE-[0-9]+: '

  # What the API server and its guards make of it, storing nothing
  kubectl supportaccess enable --max-duration 12h --dry-run=server";

pub const DISABLE: &str = "Examples:
  # No new requests; running sessions drain to their credential's expiry
  kubectl supportaccess disable

  # Revoke every running session now, on every context of the kubeconfig
  kubectl supportaccess disable --now --all-contexts --yes";

pub const GET: &str = "Examples:
  # Whether support access is enabled, and who holds it now
  kubectl supportaccess get

  # Two requests only, and the ids of the active ones
  kubectl supportaccess get ab12cd34 ef56gh78 -o wide
  kubectl supportaccess get -o jsonpath='{.activeRequests[*].id}'

  # Be told at once when a request waits for an answer
  kubectl supportaccess get --watch";

pub const REQUEST: &str = "Examples:
  # Readonly access for two hours, cluster-wide
  kubectl supportaccess request --role readonly --reason 'CASE-4211: node drain stuck' --duration 2h

  # An allowed ClusterRole in one namespace, its kubeconfig written where you say
  kubectl supportaccess request --role edit --scope staging --reason 'CASE-4212' --duration 1h --kubeconfig-out ./support.kubeconfig";

pub const RENEW: &str = "Examples:
  # A fresh credential for a live request (waits again if it still needs approval)
  kubectl supportaccess renew ab12cd34";

pub const APPROVE: &str = "Examples:
  # See what waits, then answer it
  kubectl supportaccess get
  kubectl supportaccess approve ab12cd34";

pub const DENY: &str = "Examples:
  kubectl supportaccess deny ab12cd34 --reason 'no open case with that number'";

pub const EXTEND: &str = "Examples:
  # One more hour, within the policy's maximum from its start
  kubectl supportaccess extend ab12cd34 --by 1h";

pub const REVOKE: &str = "Examples:
  # Revoke two requests now
  kubectl supportaccess revoke ab12cd34 ef56gh78

  # Revoke every request, asking first on a terminal
  kubectl supportaccess revoke --all";

pub const END: &str = "Examples:
  # End your own request now
  kubectl supportaccess end ab12cd34";

pub const EXEC: &str = "Examples:
  kubectl supportaccess exec ab12cd34 -- kubectl get pods -A";

pub const SHELL: &str = "Examples:
  # A shell whose prompt starts with [support ab12cd34]
  kubectl supportaccess shell ab12cd34";

pub const SWEEP: &str = "Examples:
  kubectl supportaccess sweep";

pub const HISTORY: &str = "Examples:
  # The last week, as a table
  kubectl supportaccess history --since 7d -o table";

pub const ROLES: &str = "Examples:
  # What each role may do, then what the API server says each may do
  kubectl supportaccess roles
  kubectl supportaccess roles --verify";

pub const UNINSTALL: &str = "Examples:
  # See what would go, then remove everything but the history
  kubectl supportaccess uninstall --dry-run
  kubectl supportaccess uninstall --yes";

pub const COMPLETION: &str = "Examples:
  # Complete `kubectl supportaccess <TAB>` through kubectl
  kubectl supportaccess completion --install-kubectl-shim";

pub const VERSION: &str = "Examples:
  kubectl supportaccess version --client";

/// EXIT STATUS, as every command uses it.
pub const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "Success."),
    ("1", "The command failed (the cluster could not be reached, an object could not be read or written)."),
    ("2", "A usage error: a flag or argument is wrong, or a confirmation is needed without a terminal (--yes)."),
    ("3", "Refused by the policy: disabled, a role not enabled, a denial, a request that ended."),
    ("4", "Forbidden: the caller lacks an RBAC permission, or an admission guard refused the write."),
    ("126, 127", "exec: the command could not be executed, or was not found."),
    ("other", "exec and shell: the command's own exit status (128+N when killed by signal N)."),
];

/// ENVIRONMENT.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    ("KUBECONFIG", "The kubeconfig files to read, as kubectl reads them (--kubeconfig overrides it)."),
    ("KUBECTL_SUPPORTACCESS_ROLE", "request: the default of --role."),
    ("KUBECTL_SUPPORTACCESS_SCOPE", "request: the default of --scope."),
    ("XDG_CONFIG_HOME", "Where the credentials of requests are kept (default ~/.config)."),
    ("SHELL", "shell: the shell to start (default /bin/sh)."),
    ("NO_COLOR", "Set: no colour on a terminal."),
];

/// FILES.
pub const FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/kubectl-supportaccess/CONTEXT/ID.kubeconfig",
        "A request's credential, mode 0600 in a 0700 directory; removed when the request ends.",
    ),
    ("~/.kube/config", "The kubeconfig when KUBECONFIG is unset."),
];
