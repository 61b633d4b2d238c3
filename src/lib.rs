//! kubectl-supportaccess: time-bound, audited, revocable support access to a Kubernetes cluster,
//! with every piece of state in the cluster itself and no server component.
//!
//! # Layers
//!
//! Each module imports only from its own layer or those below it, and no module reaches itself
//! through others (`cargo test --lib layers` checks both, from every file's `crate::` and
//! `super::` paths). From the bottom:
//!
//! 1. `base/`: errors, durations, text checks and terminal escaping, retries, kubectl's JSONPath,
//!    child processes. Knows nothing of support access.
//! 2. `state/`: the public state format as plain data, no I/O: names, labels, annotations, the
//!    time format and ids (`mod.rs`), the policy ConfigMap's keys (`policy.rs`), the roles
//!    (`roles.rs`), a request record (`record.rs`), history lines (`history.rs`).
//! 3. `output.rs`: rendering (tables, `-o` formats, stdout that a closed pipe ends quietly).
//! 4. `cli.rs`, `examples.rs`: the command line, declared.
//! 5. `cluster/`: the connection (kubeconfig, transport, `--request-timeout`, errors as sentences)
//!    and the typed reads and writes of bindings, records, ServiceAccounts and credentials, the
//!    policy and history ConfigMaps and Events, installed objects, permission checks.
//! 6. `services/`: what the product does: the census of records, approval, enabling, the
//!    lifecycle of requests, parties, roles, the admission guards (`admission/`), the proofs
//!    (`proof/`), the sweep, `exec`'s supervision, the status `get` shows, the fleet.
//! 7. `commands/`: one thin file per command: arguments, calls into the services, output.
//! 8. `lib.rs`, `main.rs`: parse, run, report.

/// `println!` for what a command prints on stdout: once a reader stops reading (a closed pipe,
/// `| head -n 1`), the rest of the output is dropped quietly and the command finishes its work and
/// exits as it would have; never a panic, never a message (`output::stdout_write`).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::stdout_write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::stdout_write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for stdout, as [`outln!`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::stdout_write(format_args!($($arg)*))
    };
}

pub mod base;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod examples;
#[cfg(test)]
mod generated;
#[cfg(test)]
mod layers;
pub mod output;
pub mod services;
pub mod state;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs the command and reports an error as a sentence and a hint.
pub fn main_entry() -> ExitCode {
    // Lossy, not `args()`: an argument that is not UTF-8 must be an error from clap, never a panic.
    let args: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return report(&base::error::Error::failed(format!("cannot start the async runtime: {e}"))),
    };
    if let Some((words, descriptions)) = completion_words(&args) {
        let mut completion = runtime.block_on(services::complete::complete(words, true));
        runtime.shutdown_timeout(std::time::Duration::from_millis(100));
        if !descriptions {
            completion.candidates.iter_mut().for_each(|(_, help)| help.clear());
        }
        out!("{}", completion.render());
        return ExitCode::SUCCESS;
    }
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            let hint = dashes_hint(&args, &e);
            let _ = e.print();
            if let Some(hint) = hint {
                eprintln!("hint: {hint}");
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = runtime.block_on(commands::run(cli));
    // Never wait on a blocking task left behind (a credential plugin that was given up on).
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

/// `exec ID kubectl get pods` without `--`: clap finds an unexpected argument; say what is missing.
fn dashes_hint(args: &[String], error: &clap::Error) -> Option<&'static str> {
    let exec = args.iter().skip(1).any(|a| a == "exec") && !args.iter().any(|a| a == "--");
    (exec && error.kind() == clap::error::ErrorKind::UnknownArgument)
        .then_some("put `--` before the command to run: `kubectl supportaccess exec ID -- kubectl get pods`")
}

/// The words to complete when kubectl asks in Cobra's protocol: as `kubectl_complete-supportaccess
/// WORDS…` (a link to this binary) or as `kubectl-supportaccess __complete WORDS…`; and whether
/// descriptions are wanted (not for `__completeNoDesc`).
fn completion_words(args: &[String]) -> Option<(&[String], bool)> {
    let invoked_as = std::path::Path::new(args.first()?).file_name()?.to_str()?;
    let invoked_as = invoked_as.strip_suffix(".exe").unwrap_or(invoked_as);
    let rest = &args[1..];
    match rest.first().map(String::as_str) {
        Some("__complete") => Some((&rest[1..], true)),
        Some("__completeNoDesc") => Some((&rest[1..], false)),
        _ if invoked_as == services::complete::KUBECTL_SHIM => Some((rest, true)),
        _ => None,
    }
}

fn report(error: &base::error::Error) -> ExitCode {
    if let base::error::ErrorKind::ChildExit(code) = error.kind {
        // The child's own status, passed through silently, unless the plugin has something to say.
        if !error.message.is_empty() {
            eprint!("{}", report_text(error, output::stderr_wants_color()));
        }
        return ExitCode::from(code);
    }
    eprint!("{}", report_text(error, output::stderr_wants_color()));
    ExitCode::from(error.exit_code())
}

/// The error as printed: its sentence and hint, which quote the cluster (names, annotations, the
/// API server's own words), escaped for the terminal.
fn report_text(error: &base::error::Error, color: bool) -> String {
    let prefix = if color { "\x1b[31merror:\x1b[0m" } else { "error:" };
    let mut text = format!("{prefix} {}\n", output::terminal(&error.message));
    if let Some(hint) = &error.hint {
        text.push_str(&format!("hint: {}\n", output::terminal(hint)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_quoting_the_cluster_is_one_escaped_line_and_a_hint() {
        let error =
            base::error::Error::refused("request abc belongs to evil\x1b[2K\nroot").with_hint("ask \u{202e}them");
        assert_eq!(
            report_text(&error, false),
            "error: request abc belongs to evil\\u{1b}[2K\\u{a}root\nhint: ask \\u{202e}them\n"
        );
    }
}
