//! Shell completion. Standalone scripts come from clap_complete; completion *through kubectl*
//! (`kubectl supportaccess <TAB>`) uses Cobra's protocol: kubectl runs `kubectl_complete-supportaccess
//! WORDS… CURRENT` and reads one candidate per line (optionally `\t` description), then
//! `:<directive>`. The binary answers it when called `kubectl-supportaccess __complete …` or by
//! that name through a link. Live candidates (request ids, contexts) are read with a short timeout,
//! so a cluster that is down just gives none.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Arg, ArgAction, CommandFactory};

use crate::base::error::{Error, Result};
use crate::cli::{Cli, CompletionShell, GlobalArgs, OutputFormat, Timeout};
use crate::cluster::{Connection, KubeconfigFiles, Target};
use crate::output;
use crate::services::census::Grants;
use crate::state::DEFAULT_NAMESPACE;
use crate::state::is_dns_label;
use crate::state::record::Grant;
use crate::state::roles::Role;

/// The name kubectl looks for on PATH to complete `kubectl supportaccess`.
pub const KUBECTL_SHIM: &str = "kubectl_complete-supportaccess";
const BIN: &str = "kubectl-supportaccess";

/// Cobra's directives.
const DIRECTIVE_DEFAULT: u32 = 0;
const DIRECTIVE_NO_FILE: u32 = 4;

/// How long live candidates may take: completion must never make the shell wait.
const LIVE_TIMEOUT: Duration = Duration::from_millis(500);

/// What is being completed, worked out from the words typed so far.
#[derive(Debug, PartialEq, Eq)]
enum Slot {
    /// A subcommand name (or a flag, when the word starts with `-`).
    Subcommand,
    /// The value of the flag with this id.
    FlagValue(String),
    /// The n-th positional argument of the subcommand.
    Positional(usize),
    /// After `--` of `exec`: a command line of its own.
    Free,
}

/// The result: candidates with descriptions, and the directive.
#[derive(Debug, PartialEq, Eq)]
pub struct Completion {
    pub candidates: Vec<(String, String)>,
    pub directive: u32,
}

impl Completion {
    pub fn render(&self) -> String {
        let mut text: String = self
            .candidates
            .iter()
            .map(|(value, help)| if help.is_empty() { format!("{value}\n") } else { format!("{value}\t{help}\n") })
            .collect();
        text.push_str(&format!(":{}\n", self.directive));
        text
    }
}

/// The kubectl-style flags typed so far, so that live candidates come from the same cluster.
#[derive(Debug, Default)]
struct Typed {
    kubeconfig: Option<PathBuf>,
    context: Option<String>,
    namespace: Option<String>,
}

struct Parsed {
    path: Vec<String>,
    slot: Slot,
    typed: Typed,
}

fn takes_value(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Set | ArgAction::Append)
}

fn find_flag<'a>(command: &'a clap::Command, word: &str) -> Option<&'a Arg> {
    let name = word.split('=').next().unwrap_or(word);
    command.get_arguments().find(|arg| {
        name.strip_prefix("--").is_some_and(|long| arg.get_long() == Some(long))
            || (name.len() == 2 && name.strip_prefix('-').is_some_and(|s| arg.get_short() == s.chars().next()))
    })
}

fn parse(words: &[String]) -> Parsed {
    let mut root = Cli::command();
    root.build();
    let mut command = &root;
    let mut path = Vec::new();
    let mut typed = Typed::default();
    let mut positional = 0;
    let mut iter = words.iter().peekable();
    let mut pending: Option<String> = None;
    while let Some(word) = iter.next() {
        let last = iter.peek().is_none();
        if let Some(flag) = pending.take() {
            if last {
                return Parsed { path, slot: Slot::FlagValue(flag), typed };
            }
            remember(&mut typed, &flag, word);
            continue;
        }
        if last {
            break;
        }
        if word == "--" {
            return Parsed { path, slot: Slot::Free, typed };
        }
        if word.starts_with('-') && word.len() > 1 {
            if let Some(arg) = find_flag(command, word) {
                let id = arg.get_id().to_string();
                match word.split_once('=') {
                    Some((_, value)) => remember(&mut typed, &id, value),
                    None if takes_value(arg) => pending = Some(id),
                    None => {}
                }
            }
            continue;
        }
        if let Some(sub) = command.find_subcommand(word) {
            command = sub;
            path.push(sub.get_name().to_string());
            positional = 0;
        } else {
            positional += 1;
        }
    }
    let current = words.last().map(String::as_str).unwrap_or("");
    let slot = if current.starts_with('-') || command.has_subcommands() {
        Slot::Subcommand
    } else {
        Slot::Positional(positional)
    };
    Parsed { path, slot, typed }
}

fn remember(typed: &mut Typed, id: &str, value: &str) {
    match id {
        "kubeconfig" => typed.kubeconfig = Some(PathBuf::from(value)),
        "context" => typed.context = Some(value.to_string()),
        "namespace" => typed.namespace = Some(value.to_string()),
        _ => {}
    }
}

fn subcommand_of<'a>(root: &'a clap::Command, path: &[String]) -> &'a clap::Command {
    path.iter().fold(root, |command, name| command.find_subcommand(name).unwrap_or(command))
}

/// Completes the last word; `live` reads the cluster for request ids and the kubeconfig for contexts.
pub async fn complete(words: &[String], live: bool) -> Completion {
    let words: Vec<String> = if words.is_empty() { vec![String::new()] } else { words.to_vec() };
    let current = words.last().cloned().unwrap_or_default();
    let parsed = parse(&words);
    let mut root = Cli::command();
    root.build();
    let command = subcommand_of(&root, &parsed.path);
    let mut directive = DIRECTIVE_NO_FILE;
    let candidates: Vec<(String, String)> = match &parsed.slot {
        Slot::Free => {
            directive = DIRECTIVE_DEFAULT;
            Vec::new()
        }
        Slot::Subcommand if current.starts_with('-') => command
            .get_arguments()
            .filter(|arg| !arg.is_hide_set() && !arg.is_positional())
            .filter_map(|arg| arg.get_long().map(|long| (format!("--{long}"), help(arg.get_help()))))
            .collect(),
        Slot::Subcommand => command
            .get_subcommands()
            .filter(|sub| !sub.is_hide_set())
            .map(|sub| (sub.get_name().to_string(), help(sub.get_about())))
            .collect(),
        Slot::FlagValue(flag) => match flag.as_str() {
            "kubeconfig" | "kubeconfig_out" => {
                directive = DIRECTIVE_DEFAULT;
                Vec::new()
            }
            "output" => OutputFormat::SPELLINGS.map(|s| (s.to_string(), String::new())).into(),
            "role" => requestable_roles(&parsed.typed, live).await,
            "enabled_roles" => {
                ["readonly", "operator", "readonly,operator"].map(|r| (r.to_string(), String::new())).into()
            }
            "context" if live => contexts(&parsed.typed),
            // A comma-separated list: the names already typed stay, the last one is completed.
            "contexts" if live => {
                let typed = current.rfind(',').map_or("", |comma| &current[..=comma]);
                contexts(&parsed.typed).into_iter().map(|(name, help)| (format!("{typed}{name}"), help)).collect()
            }
            _ => Vec::new(),
        },
        Slot::Positional(0) => match parsed.path.first().map(String::as_str) {
            Some("revoke" | "renew" | "end" | "exec" | "shell" | "extend") if live => {
                request_ids(&parsed.typed, false).await
            }
            // The owner answers only what waits for an answer.
            Some("approve" | "deny") if live => request_ids(&parsed.typed, true).await,
            Some("enable" | "disable") if live => contexts(&parsed.typed),
            // `get [CLUSTER] [ID…]`: a context, or the request ids.
            Some("get") if live => {
                let mut both = contexts(&parsed.typed);
                both.extend(request_ids(&parsed.typed, false).await);
                both
            }
            Some("completion") => values::<CompletionShell>(),
            _ => Vec::new(),
        },
        // `revoke` and `get` take several ids.
        Slot::Positional(_) if parsed.path.first().is_some_and(|p| p == "revoke" || p == "get") && live => {
            request_ids(&parsed.typed, false).await
        }
        Slot::Positional(_) => Vec::new(),
    };
    Completion { candidates: offered(candidates, &current), directive }
}

/// The candidates that start with the word being completed, fit for Cobra's protocol and the
/// terminal: a value holding a newline, tab or other control or bidi code point (a context name,
/// say) would be a wrong completion, so it is dropped; a description is escaped.
fn offered(candidates: Vec<(String, String)>, current: &str) -> Vec<(String, String)> {
    candidates
        .into_iter()
        .filter(|(value, _)| value.starts_with(current) && !value.chars().any(output::disturbs_terminal))
        .map(|(value, help)| (value, output::terminal(&help).into_owned()))
        .collect()
}

fn help(text: Option<&clap::builder::StyledStr>) -> String {
    text.map(|t| t.to_string().lines().next().unwrap_or_default().trim_end_matches('.').to_string()).unwrap_or_default()
}

fn values<E: clap::ValueEnum>() -> Vec<(String, String)> {
    E::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|v| (v.get_name().to_string(), String::new()))
        .collect()
}

fn contexts(typed: &Typed) -> Vec<(String, String)> {
    let Ok(Some(files)) = KubeconfigFiles::load(typed.kubeconfig.as_deref()) else {
        return Vec::new();
    };
    files
        .config
        .contexts
        .iter()
        .map(|c| (c.name.clone(), c.context.as_ref().map(|ctx| format!("cluster {}", ctx.cluster)).unwrap_or_default()))
        .collect()
}

/// A connection for live completion, and the time left of its budget; `None` when the cluster
/// cannot be reached in time.
async fn live_connection(typed: &Typed) -> Option<(Connection, std::time::Duration)> {
    let global = GlobalArgs {
        kubeconfig: typed.kubeconfig.clone(),
        context: typed.context.clone(),
        cluster: None,
        user: None,
        namespace: typed.namespace.clone().unwrap_or_else(|| DEFAULT_NAMESPACE.to_string()),
        request_timeout: Timeout(Some(LIVE_TIMEOUT)),
        output: None,
        yes: false,
        verbose: 0,
    };
    let started = std::time::Instant::now();
    // Bounded by its own timeout (the request timeout above), which stops a credential plugin
    // that hangs; cancelling it from outside would leave the plugin running.
    let conn = Connection::open(&global, &Target::default()).await.ok()?;
    Some((conn, LIVE_TIMEOUT.saturating_sub(started.elapsed())))
}

/// Live request ids; with `waiting`, only those waiting for the owner's answer (a pending request
/// or an extension).
async fn request_ids(typed: &Typed, waiting: bool) -> Vec<(String, String)> {
    let Some((conn, left)) = live_connection(typed).await else {
        return Vec::new();
    };
    let read = Grants::read(&conn, crate::services::census::Scan::Managed);
    let Ok(Ok(grants)) = tokio::time::timeout(left, read).await else {
        return Vec::new();
    };
    let live = grants.live(chrono::Utc::now());
    id_candidates(
        &live.into_iter().filter(|g| !waiting || g.pending || g.extension_requested.is_some()).collect::<Vec<_>>(),
    )
}

/// The roles `request --role` takes: Crusoe's two, and with a cluster at hand, the ClusterRoles
/// its policy allows.
async fn requestable_roles(typed: &Typed, live: bool) -> Vec<(String, String)> {
    let mut roles: Vec<(String, String)> = Role::ALL.iter().map(|r| (r.name().to_string(), String::new())).collect();
    if !live {
        return roles;
    }
    let Some((conn, left)) = live_connection(typed).await else {
        return roles;
    };
    if let Ok(Ok(Some(policy))) = tokio::time::timeout(left, crate::cluster::policy::read_policy(&conn)).await {
        roles.extend(policy.cluster_roles.iter().map(|allowed| {
            let help = if allowed.namespaced_only { "ClusterRole, in a namespace only" } else { "ClusterRole" };
            (allowed.name.clone(), help.to_string())
        }));
    }
    roles
}

/// A request id is offered only when it is one: a DNS-1123 label, as `revoke` and `renew` accept.
fn id_candidates(live: &[&Grant]) -> Vec<(String, String)> {
    live.iter()
        .filter(|g| is_dns_label(&g.id))
        .map(|g| (g.id.clone(), format!("{} for {}: {}", g.role, g.requestor, g.reason)))
        .collect()
}

/// `completion SHELL`: the script for the standalone binary.
pub fn script(shell: CompletionShell) -> Vec<u8> {
    use clap_complete::Shell;
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
        CompletionShell::Powershell => Shell::PowerShell,
    };
    let mut command = Cli::command().bin_name(BIN);
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut out);
    out
}

/// `completion --install-kubectl-shim [DIR]`: links `kubectl_complete-supportaccess` to the plugin
/// in DIR (default: the directory kubectl finds the plugin in — krew's bin directory).
pub fn install_shim(dir: Option<&Path>) -> Result<PathBuf> {
    let dir = match dir {
        Some(dir) => dir.to_path_buf(),
        None => plugin_dir()?,
    };
    let target = {
        let beside = dir.join(if cfg!(windows) { "kubectl-supportaccess.exe" } else { BIN });
        if beside.exists() {
            beside
        } else {
            std::env::current_exe().map_err(|e| Error::failed(format!("cannot find this binary: {e}")))?
        }
    };
    let link = dir.join(KUBECTL_SHIM);
    let failed = |e: std::io::Error| Error::failed(format!("cannot create {}: {e}", link.display()));
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link).map_err(failed)?;
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &link).map_err(failed)?;
    #[cfg(not(unix))]
    std::fs::write(&link.with_extension("cmd"), format!("@\"{}\" __complete %*\r\n", target.display()))
        .map_err(failed)?;
    Ok(link)
}

/// krew's bin directory when the plugin is installed there, else the directory of the plugin on
/// PATH, else this binary's.
fn plugin_dir() -> Result<PathBuf> {
    let krew_bin = std::env::var_os("KREW_ROOT")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".krew")))
        .map(|root| root.join("bin"));
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|d| d.join(BIN).exists());
    krew_bin
        .filter(|d| d.join(BIN).exists())
        .or(on_path)
        .or_else(|| std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)))
        .ok_or_else(|| Error::failed("cannot tell where the plugin is installed").with_hint("name the directory"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &[&str]) -> Vec<String> {
        text.iter().map(|s| s.to_string()).collect()
    }

    async fn offline(text: &[&str]) -> Completion {
        complete(&words(text), false).await
    }

    fn names(completion: &Completion) -> Vec<&str> {
        completion.candidates.iter().map(|(v, _)| v.as_str()).collect()
    }

    #[tokio::test]
    async fn subcommands_complete_by_prefix() {
        let all = offline(&[""]).await;
        assert!(names(&all).contains(&"enable") && names(&all).contains(&"version"));
        assert_eq!(all.directive, 4);
        assert_eq!(names(&offline(&["re"]).await), ["request", "renew", "revoke"]);
        assert!(all.render().ends_with("\n:4\n"));
        assert!(all.render().contains("enable\tEnable support access"));
    }

    #[tokio::test]
    async fn flags_and_flag_values_complete() {
        let flags = offline(&["get", "--"]).await;
        assert!(names(&flags).contains(&"--all-contexts") && names(&flags).contains(&"--context"));
        assert_eq!(
            names(&offline(&["get", "-o", ""]).await),
            ["text", "table", "wide", "name", "json", "yaml", "jsonpath=", "custom-columns="]
        );
        assert_eq!(names(&offline(&["request", "--role", "o"]).await), ["operator"]);
        assert_eq!(names(&offline(&["completion", "z"]).await), ["zsh"]);
        assert_eq!(offline(&["get", "--kubeconfig", ""]).await.directive, 0, "files for --kubeconfig");
        assert_eq!(offline(&["exec", "abc", "--", "kub"]).await.directive, 0, "the command line after --");
    }

    #[test]
    fn planted_ids_and_descriptions_never_break_the_protocol() {
        let grant = |id: &str, reason: &str| Grant {
            id: id.into(),
            role: Role::Readonly.into(),
            scope: None,
            requestor: "mallory\tx".into(),
            reason: reason.into(),
            requested_at: chrono::Utc::now(),
            expires_at: chrono::Utc::now(),
            credential_expires_at: None,
            requested_by: "admin".into(),
            ..Grant::default()
        };
        let (good, upper, path) =
            (grant("abc123", "fix\n:0\nevil\x1b[2K\u{202e}"), grant("Not_Dns", "r"), grant("../x", "r"));
        let candidates = id_candidates(&[&good, &upper, &path]);
        let completion = Completion { candidates: offered(candidates, ""), directive: DIRECTIVE_NO_FILE };
        assert_eq!(
            completion.render(),
            "abc123\treadonly for mallory\\u{9}x: fix\\u{a}:0\\u{a}evil\\u{1b}[2K\\u{202e}\n:4\n"
        );
        let contexts =
            vec![("prod\nevil".to_string(), String::new()), ("prod".to_string(), "cluster \x1b".to_string())];
        assert_eq!(offered(contexts, "pr"), [("prod".to_string(), "cluster \\u{1b}".to_string())]);
    }

    #[test]
    fn the_words_so_far_are_understood() {
        let parsed = parse(&words(&["--context", "prod", "revoke", "-n", "ns", ""]));
        assert_eq!(parsed.path, ["revoke"]);
        assert_eq!(parsed.slot, Slot::Positional(0));
        assert_eq!(parsed.typed.context.as_deref(), Some("prod"));
        assert_eq!(parsed.typed.namespace.as_deref(), Some("ns"));
        assert_eq!(parse(&words(&["revoke", "a1", ""])).slot, Slot::Positional(1));
        assert_eq!(parse(&words(&["get", "--context", ""])).slot, Slot::FlagValue("context".into()));
    }
}
