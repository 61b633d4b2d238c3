//! The whole command-line surface in one place: global flags named as kubectl names them, and one
//! variant per command of DESIGN.md's table.
//!
//! Longer than 450 lines on purpose: it is declarations only (each flag with its help text, which
//! `--help`, the man pages and completion are generated from), and one file is where a reader
//! looks up every flag; splitting it per command would scatter the help that must read as one.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::base::duration::parse_duration;
use crate::state::DEFAULT_NAMESPACE;

pub use crate::output::OutputFormat;
use crate::output::parse_output;

/// Grant a provider's support engineers time-bound, audited, revocable access to this cluster,
/// with no server component.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-supportaccess",
    bin_name = "kubectl supportaccess",
    version,
    propagate_version = true,
    after_help = "Run as `kubectl supportaccess <command>`. kubectl does not pass its own global \
                  flags to plugins, so give --context, --kubeconfig, -n … after `supportaccess`.\n\n\
                  Read on: README.md and docs/ (owner-guide, support-guide, enforcement, state-format, \
                  many-clusters, development) at https://github.com/kubectl-supportaccess/kubectl-supportaccess"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The kubectl global flags the plugin understands, accepted anywhere after the plugin's name:
/// each command's help lists them after its own options.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global Options")]
pub struct GlobalArgs {
    /// Path to the kubeconfig file to use (otherwise $KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// The name of the kubeconfig context to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// The name of the kubeconfig cluster to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,

    /// The name of the kubeconfig user to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// The system namespace that holds the policy, history and support bindings.
    #[arg(short = 'n', long, global = true, value_name = "NS", default_value = DEFAULT_NAMESPACE)]
    pub namespace: String,

    /// How long each call to the API server may take as a whole: connecting, sending, and waiting
    /// for and reading the answer (e.g. 10s, 1m; 0 waits forever). A command that makes several
    /// calls may take longer.
    #[arg(long, global = true, value_name = "DURATION", default_value = "30s", value_parser = parse_timeout)]
    pub request_timeout: Timeout,

    /// Output format: text, table, wide, name, json, yaml, jsonpath=TEMPLATE (kubectl's JSONPath,
    /// over the JSON -o json prints) or custom-columns=HEADER:.path,... (over the listed items).
    #[arg(short = 'o', long, global = true, value_name = "FORMAT", value_parser = parse_output)]
    pub output: Option<OutputFormat>,

    /// Answer yes to every confirmation prompt.
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,

    /// How much to log, as kubectl's -v: 1 and above says which context and server; 6 and above
    /// logs each API call (method, URL, status, milliseconds).
    #[arg(short = 'v', long = "v", global = true, value_name = "LEVEL", default_value_t = 0,
          value_parser = clap::value_parser!(u8).range(0..=10))]
    pub verbose: u8,
}

/// `--request-timeout`: `None` means no limit, as kubectl's `0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout(pub Option<Duration>);

/// The longest `--request-timeout`: a day (each call is bounded by it).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

fn parse_timeout(text: &str) -> Result<Timeout, String> {
    // kubectl accepts a bare number of seconds here.
    let duration = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => parse_duration(text)?,
    };
    if duration > MAX_TIMEOUT {
        return Err(format!("{text:?} is too long: at most 24h (or 0 for no limit)"));
    }
    Ok(Timeout((!duration.is_zero()).then_some(duration)))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Enable support access: install the support roles and flow control, write the policy.
    #[command(after_help = crate::examples::ENABLE)]
    Enable(EnableArgs),
    /// Disable support access: no new requests or renewals; running sessions drain.
    #[command(after_help = crate::examples::DISABLE)]
    Disable(DisableArgs),
    /// Show whether support access is enabled, which roles, and the active requests.
    ///
    /// `get` first sweeps: it deletes the records of requests whose end has
    /// passed and writes their `expired` lines to the history (what `sweep` does), so what it
    /// shows is what is in force.
    #[command(after_help = crate::examples::GET)]
    Get(GetArgs),
    /// Request support access: create the grant and mint a short-lived credential for it.
    ///
    /// Where the owner approves each request (`enable --approval required`), it waits for the
    /// answer; if interrupted, `renew ID` waits again and mints the credential once approved.
    #[command(after_help = crate::examples::REQUEST)]
    Request(RequestArgs),
    /// Mint a fresh credential for a live request, never past its end.
    ///
    /// A request still waiting for approval (its `request` was interrupted) is waited for again,
    /// then minted.
    #[command(after_help = crate::examples::RENEW)]
    Renew(IdArg),
    /// Approve a pending request or extension (the cluster owner; never one's own).
    #[command(after_help = crate::examples::APPROVE)]
    Approve(IdArg),
    /// Deny a pending request or extension, saying why.
    #[command(after_help = crate::examples::DENY)]
    Deny(DenyArgs),
    /// Move a live request's end later, within the policy's maximum from its start.
    #[command(after_help = crate::examples::EXTEND)]
    Extend(ExtendArgs),
    /// Revoke requests now: their bindings, then their ServiceAccounts, are deleted.
    ///
    /// The credential is refused from its next API call (403), and its token stops
    /// authenticating at all within about 10 seconds (401: the API server caches a token's
    /// authentication that long) — unlike a client certificate, of which Crusoe's document says
    /// "already minted certificates will not be invalidated".
    #[command(after_help = crate::examples::REVOKE)]
    Revoke(RevokeArgs),
    /// End one's own request now.
    #[command(after_help = crate::examples::END)]
    End(IdArg),
    /// Run a command with KUBECONFIG pointing at a request's credential.
    ///
    /// The request is watched meanwhile: warnings 10 minutes and 1 minute before it ends, and when
    /// it is revoked, ended, drained out or expired the command and everything it started are
    /// stopped (SIGHUP and SIGTERM, SIGKILL 10s later) and the plugin exits 3.
    #[command(after_help = crate::examples::EXEC)]
    Exec(ExecArgs),
    /// Start $SHELL with KUBECONFIG pointing at a request's credential.
    ///
    /// Watched like `exec`: the shell is stopped when the request ends.
    #[command(after_help = crate::examples::SHELL)]
    Shell(IdArg),
    /// Delete expired and invalid support bindings, and record it.
    #[command(after_help = crate::examples::SWEEP)]
    Sweep(SweepArgs),
    /// Show the audit trail: every request, how and when it ended.
    #[command(after_help = crate::examples::HISTORY)]
    History(HistoryArgs),
    /// Show what each support role may do; --verify asks the API server.
    #[command(after_help = crate::examples::ROLES)]
    Roles(RolesArgs),
    /// Remove every support binding, the roles, the flow control and the policy.
    #[command(after_help = crate::examples::UNINSTALL)]
    Uninstall(UninstallArgs),
    /// Print a shell completion script.
    #[command(after_help = crate::examples::COMPLETION)]
    Completion(CompletionArgs),
    /// Print the plugin's version and the API server's version.
    #[command(after_help = crate::examples::VERSION)]
    Version(VersionArgs),
}

/// The contexts a fleet command acts on: every context of the kubeconfig, or those whose names
/// match shell globs; each is asked on its own, at most `--parallel` at once.
#[derive(Debug, Clone, Default, Args)]
pub struct FleetArgs {
    /// Act on every context of the kubeconfig (contexts with the same cluster and user once).
    #[arg(long, conflicts_with = "contexts")]
    pub all_contexts: bool,

    /// Act on the contexts whose names match these shell globs (e.g. 'prod-*,eu-?').
    #[arg(long, value_delimiter = ',', value_name = "PATTERNS")]
    pub contexts: Option<Vec<String>>,

    /// How many contexts to ask at once, with --all-contexts or --contexts (1 to 256).
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallel: u16,
}

impl FleetArgs {
    /// True when the command acts on several contexts.
    pub fn selected(&self) -> bool {
        self.all_contexts || self.contexts.is_some()
    }
}

/// The optional positional CLUSTER of enable/disable/get: a context or cluster name.
#[derive(Debug, Clone, Default, Args)]
pub struct ClusterArg {
    /// The kubeconfig context (by context name or cluster name) to act on.
    #[arg(id = "target_cluster", value_name = "CLUSTER")]
    pub cluster: Option<String>,
}

#[derive(Debug, Args)]
pub struct EnableArgs {
    #[command(flatten)]
    pub dry_run: DryRunArg,

    #[command(flatten)]
    pub target: ClusterArg,

    #[command(flatten)]
    pub fleet: FleetArgs,

    /// Roles support may request: readonly, operator (operator implies readonly).
    #[arg(long, value_delimiter = ',', value_name = "ROLES")]
    pub enabled_roles: Option<Vec<String>>,

    /// The longest a single request may last (e.g. 8h, 24h).
    #[arg(long, value_name = "DURATION")]
    pub max_duration: Option<String>,

    /// The lifetime of each minted credential (at least 10m, at most --max-duration).
    #[arg(long, value_name = "DURATION")]
    pub credential_ttl: Option<String>,

    /// Namespaces where support may read logs (and, for operator, exec).
    #[arg(long, value_delimiter = ',', value_name = "NAMESPACES")]
    pub system_namespaces: Option<Vec<String>>,

    /// Namespaces where only operator requests may read logs and exec (default slurm).
    #[arg(long, value_delimiter = ',', value_name = "NAMESPACES")]
    pub operator_namespaces: Option<Vec<String>>,

    /// Whether the API server refuses a support identity's changes to pod templates, nodes
    /// (beyond cordon) and GPU/network operator images (default on).
    #[arg(long, value_enum, value_name = "on|off")]
    pub guardrails: Option<Switch>,

    /// Whether each request waits for the owner's `approve` (default none: enabled means any
    /// support engineer may get in, as Crusoe's).
    #[arg(long, value_enum, value_name = "none|required")]
    pub approval: Option<Approval>,

    /// Whose identity a request grants: `serviceaccount` (the default: a ServiceAccount per request,
    /// whose short-lived tokens the API server itself expires) or `own` (the requester's own user,
    /// as its kubeconfig logs in, e.g. through OIDC: the audit log names the engineer and no token
    /// is made; a record past its end then grants until a sweep deletes it). Switched only while
    /// no request is live.
    #[arg(long, value_enum, value_name = "own|serviceaccount")]
    pub identity: Option<Identity>,

    /// How long a request waits for approval before it expires (default 1h).
    #[arg(long, value_name = "DURATION")]
    pub pending_ttl: Option<String>,

    /// How many distinct approvers, none of them its requester, a request (and an extension)
    /// needs before it grants anything, with --approval required (1 to 5, default 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub approvals: Option<u8>,

    /// A regular expression (RE2) every request's --reason must match, checked by `request` and
    /// by the API server, e.g. '^CASE-[0-9]+: '. Kept when left out; "" allows any reason.
    #[arg(long, value_name = "REGEX")]
    pub reason_pattern: Option<String>,

    /// How many lines the trail may hold before `get` warns that it is time to export and prune
    /// (at least 1000; default 500000). Kept when left out.
    #[arg(long, value_name = "N", value_parser = crate::state::policy::parse_trail_warn_lines)]
    pub trail_warn_lines: Option<u64>,

    /// Existing ClusterRoles support may request besides readonly and operator (jitsudo's model):
    /// NAME (cluster-wide or in one namespace) or NAME/namespaced (in a namespace only), e.g.
    /// view,edit/namespaced. Kept when left out; "" allows none.
    #[arg(long = "clusterroles", value_delimiter = ',', value_name = "NAMES")]
    pub cluster_roles: Option<Vec<String>>,

    /// The namespace a request without --scope is made in (jitsudo's default_namespace); ""
    /// (the default) makes it cluster-wide.
    #[arg(long, value_name = "NS")]
    pub default_scope: Option<String>,

    /// Who may request support access without holding more (the crusoe-support-requester roles):
    /// user:NAME, group:NAME, serviceaccount:NS/NAME. Kept when left out; "" removes them.
    #[arg(long, value_delimiter = ',', value_name = "SUBJECTS")]
    pub requesters: Option<Vec<String>>,

    /// Who may approve, deny and revoke requests (the crusoe-support-approver roles), spelled as
    /// --requesters. Kept when left out; "" removes them.
    #[arg(long, value_delimiter = ',', value_name = "SUBJECTS")]
    pub approvers: Option<Vec<String>>,
}

/// `--dry-run`, as kubectl spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    None,
    /// Say what would be done; write nothing.
    Client,
    /// Send every write with the API server's dry run: the API server and its admission guards
    /// answer each, and nothing is stored.
    Server,
}

/// `--dry-run[=client|server|none]` (bare: client, as kubectl's).
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct DryRunArg {
    /// Only say what would be done (client), or have the API server and its admission guards
    /// answer every write without storing it (server).
    #[arg(long, value_enum, value_name = "none|client|server", num_args = 0..=1, require_equals = true,
          default_missing_value = "client")]
    pub dry_run: Option<DryRun>,
}

impl DryRunArg {
    pub fn get(&self) -> DryRun {
        self.dry_run.unwrap_or(DryRun::None)
    }
}

impl DryRun {
    /// What a dry run adds to each sentence that says what was done.
    pub fn note(self) -> &'static str {
        match self {
            DryRun::None => "",
            DryRun::Client => " (dry run)",
            DryRun::Server => " (server dry run)",
        }
    }
}

/// `none` or `required`, as the policy ConfigMap spells key `approval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Approval {
    None,
    Required,
}

/// `own` or `serviceaccount`, as the policy ConfigMap spells key `identity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Identity {
    Own,
    Serviceaccount,
}

/// `on` or `off`, as the policy ConfigMap spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct DisableArgs {
    #[command(flatten)]
    pub dry_run: DryRunArg,

    #[command(flatten)]
    pub target: ClusterArg,

    #[command(flatten)]
    pub fleet: FleetArgs,

    /// Also delete every support binding and ServiceAccount now (immediate revocation: 403 at
    /// once, every token 401 within about 10s); asks first on a terminal.
    #[arg(long)]
    pub now: bool,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// A kubeconfig context (by context or cluster name) to ask, and request ids to show only
    /// those (as `kubectl get NAME`); a name that is no context or cluster is an id.
    #[arg(value_name = "CLUSTER|ID")]
    pub names: Vec<String>,

    #[command(flatten)]
    pub fleet: FleetArgs,

    /// Stay open and print one line as each request is made, waits for an answer, is approved
    /// or denied, extended, revoked or ends (a watch on the support bindings); on a terminal the
    /// bell rings for a request that waits. With -o json, one JSON object per line.
    #[arg(short = 'w', long)]
    pub watch: bool,

    /// With --watch: run CMD (with sh -c) for each event, the event as JSON on its stdin
    /// ($SUPPORTACCESS_EVENT and $SUPPORTACCESS_ID name it); a failure is reported and the
    /// watch goes on. E.g. 'notify-send "support access" "$SUPPORTACCESS_EVENT"'.
    #[arg(long, value_name = "CMD", requires = "watch")]
    pub exec: Option<String>,

    /// How long --exec's command may run for one event before it is stopped.
    #[arg(long, value_name = "DURATION", default_value = "10s", requires = "exec")]
    pub exec_timeout: String,
}

#[derive(Debug, Args)]
pub struct RequestArgs {
    #[command(flatten)]
    pub dry_run: DryRunArg,

    /// The role to request: readonly, operator, or an existing ClusterRole the owner allows
    /// (`enable --clusterroles`; `get` lists them).
    #[arg(long, value_name = "ROLE", env = "KUBECTL_SUPPORTACCESS_ROLE")]
    pub role: String,

    /// Why access is needed (recorded on the grant and in the history).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,

    /// How long the access lasts (e.g. 2h), at most the policy's maximum: the request ends this long
    /// after it is made. The shortest request lasts 11m, so that its first credential (the
    /// TokenRequest API issues none shorter than 10m) fits with a minute to mint it: `--duration 10m` ends 11m later.
    #[arg(long, value_name = "DURATION")]
    pub duration: String,

    /// Limit the grant to one namespace (a RoleBinding instead of a ClusterRoleBinding), which
    /// becomes the kubeconfig's namespace; '*' or '' is cluster-wide. Without it, the owner's
    /// default scope (`enable --default-scope`), else cluster-wide.
    #[arg(long, value_name = "NS", env = "KUBECTL_SUPPORTACCESS_SCOPE")]
    pub scope: Option<String>,

    /// Who the access is for (default: the caller's identity).
    #[arg(long, value_name = "ID")]
    pub requestor: Option<String>,

    /// Where to write the credential's kubeconfig.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct IdArg {
    /// The request id (see `get`).
    #[arg(value_name = "ID")]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct DenyArgs {
    /// The pending request's id (see `get`).
    #[arg(value_name = "ID")]
    pub id: String,

    /// Why it is denied (recorded, and shown to the requester).
    #[arg(long, value_name = "TEXT")]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct ExtendArgs {
    /// The live request's id (see `get`).
    #[arg(value_name = "ID")]
    pub id: String,

    /// How much later it ends (e.g. 1h).
    #[arg(long, value_name = "DURATION")]
    pub by: String,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub dry_run: DryRunArg,

    /// The request ids to revoke.
    #[arg(value_name = "ID", required_unless_present = "all", conflicts_with = "all")]
    pub ids: Vec<String>,

    /// Revoke every request.
    #[arg(long)]
    pub all: bool,

    /// With --all only: every request of each of these contexts.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The request id (see `get`).
    #[arg(value_name = "ID")]
    pub id: String,

    /// The command to run, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only events newer than this (e.g. 24h, 7d).
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,

    /// Check the trail's hash chain and name each line that does not hold (exit 1).
    #[arg(long, conflicts_with_all = ["since", "export", "prune"])]
    pub verify: bool,

    /// With --verify: also prove that every line of this export is still in the cluster, unchanged.
    #[arg(long, value_name = "FILE", requires = "verify")]
    pub against: Option<std::path::PathBuf>,

    /// Write every line of the trail to FILE (JSON lines, a new file, 0600) and record the export.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["since", "prune"])]
    pub export: Option<std::path::PathBuf>,

    /// Delete the trail's parts from before --before (the owner's; refused unless they were exported).
    #[arg(long, requires = "before", conflicts_with = "since")]
    pub prune: bool,

    /// With --prune: the first day (YYYY-MM-DD, UTC) to keep.
    #[arg(long, value_name = "DATE", requires = "prune")]
    pub before: Option<String>,

    /// With --prune: prune lines that were never exported.
    #[arg(long, requires = "prune")]
    pub force: bool,

    #[command(flatten)]
    pub fleet: FleetArgs,
}

#[derive(Debug, Args)]
pub struct RolesArgs {
    /// Ask the API server what each support identity can and cannot do.
    #[arg(long)]
    pub verify: bool,

    /// With --verify only.
    #[command(flatten)]
    pub fleet: FleetArgs,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub dry_run: DryRunArg,

    /// Also delete the audit history.
    #[arg(long)]
    pub purge: bool,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to print a completion script for.
    #[arg(value_enum, required_unless_present = "install_kubectl_shim")]
    pub shell: Option<CompletionShell>,

    /// Link `kubectl_complete-supportaccess` next to the plugin (default: krew's bin directory), so
    /// that `kubectl supportaccess <TAB>` completes through kubectl.
    #[arg(long, value_name = "DIR", num_args = 0..=1, conflicts_with = "shell")]
    pub install_kubectl_shim: Option<Option<PathBuf>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print only the plugin's version; do not contact the cluster.
    #[arg(long)]
    pub client: bool,

    #[command(flatten)]
    pub fleet: FleetArgs,
}

#[derive(Debug, Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub fleet: FleetArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_are_accepted_after_the_command() {
        let cli = Cli::try_parse_from([
            "kubectl-supportaccess",
            "get",
            "--context",
            "prod",
            "-n",
            "support",
            "--request-timeout",
            "5s",
            "-o",
            "json",
        ])
        .unwrap();
        assert_eq!(cli.global.context.as_deref(), Some("prod"));
        assert_eq!(cli.global.namespace, "support");
        assert_eq!(cli.global.request_timeout, Timeout(Some(Duration::from_secs(5))));
        assert_eq!(cli.global.output, Some(OutputFormat::Json));
    }

    #[test]
    fn the_cluster_positional_is_not_the_cluster_flag() {
        let cli = Cli::try_parse_from(["kubectl-supportaccess", "get", "prod"]).unwrap();
        assert_eq!(cli.global.cluster, None);
        let Command::Get(args) = cli.command else { panic!("get") };
        assert_eq!(args.names, ["prod"]);
    }

    #[test]
    fn namespace_defaults_to_crusoe_system() {
        let cli = Cli::try_parse_from(["kubectl-supportaccess", "get"]).unwrap();
        assert_eq!(cli.global.namespace, "crusoe-system");
    }

    #[test]
    fn request_timeout_takes_kubectl_spellings() {
        assert_eq!(parse_timeout("0"), Ok(Timeout(None)));
        assert_eq!(parse_timeout("7"), Ok(Timeout(Some(Duration::from_secs(7)))));
        assert_eq!(parse_timeout("1m30s"), Ok(Timeout(Some(Duration::from_secs(90)))));
        assert!(parse_timeout("soon").is_err());
        assert_eq!(parse_timeout("24h"), Ok(Timeout(Some(MAX_TIMEOUT))));
        assert_eq!(parse_timeout("86400"), Ok(Timeout(Some(MAX_TIMEOUT))));
    }

    #[test]
    fn an_absurd_request_timeout_is_a_usage_error() {
        for absurd in ["18446744073709551615", "10000000000000", "86401", "25h", "100000000h", "99999999999999999999"] {
            let error = Cli::try_parse_from(["kubectl-supportaccess", "get", "--request-timeout", absurd]).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{absurd}");
            assert!(error.to_string().contains("--request-timeout"), "{absurd}: {error}");
        }
    }

    #[test]
    fn revoke_wants_ids_or_all() {
        assert!(Cli::try_parse_from(["kubectl-supportaccess", "revoke"]).is_err());
        assert!(Cli::try_parse_from(["kubectl-supportaccess", "revoke", "--all"]).is_ok());
        assert!(Cli::try_parse_from(["kubectl-supportaccess", "revoke", "abc", "--all"]).is_err());
    }
}
