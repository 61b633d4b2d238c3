//! The files generated from the CLI definition — completion scripts in `completions/` and man
//! pages in `man/` — and the test that fails when they drift from the binary.
//! `make generate` (KSA_UPDATE_GENERATED=1) rewrites them.

use std::path::PathBuf;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionShell};
use crate::services::complete::script;

/// A man page: clap's sections, its examples (the help's `Examples:`) and what every command shares:
/// EXIT STATUS, ENVIRONMENT and FILES.
fn man_page(command: clap::Command) -> Vec<u8> {
    let examples = command.get_after_help().map(|h| h.to_string()).unwrap_or_default();
    let has_subcommands = command.get_subcommands().next().is_some();
    let has_version = command.get_version().is_some();
    let man = clap_mangen::Man::new(command);
    let mut out = Vec::new();
    let rendered = (|| -> std::io::Result<()> {
        man.render_title(&mut out)?;
        man.render_name_section(&mut out)?;
        man.render_synopsis_section(&mut out)?;
        man.render_description_section(&mut out)?;
        man.render_options_section(&mut out)?;
        if has_subcommands {
            man.render_subcommands_section(&mut out)?;
        }
        match examples.strip_prefix("Examples:\n") {
            Some(examples) => section(&mut out, "EXAMPLES", &[("", examples)], true),
            // The top command's note on how kubectl runs it.
            None if !examples.is_empty() => section(&mut out, "NOTES", &[("", &examples)], false),
            None => {}
        }
        section(&mut out, "EXIT STATUS", crate::examples::EXIT_STATUS, false);
        section(&mut out, "ENVIRONMENT", crate::examples::ENVIRONMENT, false);
        section(&mut out, "FILES", crate::examples::FILES, false);
        match has_version {
            true => man.render_version_section(&mut out),
            false => Ok(()),
        }
    })();
    rendered.expect("rendering to memory cannot fail");
    out
}

/// A roff section of tagged paragraphs (`name` empty: plain text), `literal` kept as typed.
fn section(out: &mut Vec<u8>, title: &str, rows: &[(&str, &str)], literal: bool) {
    let escape = |text: &str| {
        let text = text.replace('\\', "\\e").replace('-', "\\-");
        text.lines()
            .map(|l| if l.starts_with(['.', '\'']) { format!("\\&{l}") } else { l.to_string() })
            .collect::<Vec<_>>()
            .join("\n")
    };
    out.extend(format!(".SH \"{title}\"\n").bytes());
    for (name, what) in rows {
        let body = match literal {
            true => format!(".nf\n{}\n.fi\n", escape(what)),
            false => format!("{}\n", escape(what)),
        };
        match name.is_empty() {
            true => out.extend(format!(".PP\n{body}").bytes()),
            false => out.extend(format!(".TP\n\\fB{}\\fR\n{body}", escape(name)).bytes()),
        }
    }
}

/// Every generated file, by path relative to the repository.
pub fn files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = vec![
        (PathBuf::from("completions/kubectl-supportaccess.bash"), script(CompletionShell::Bash)),
        (PathBuf::from("completions/_kubectl-supportaccess"), script(CompletionShell::Zsh)),
        (PathBuf::from("completions/kubectl-supportaccess.fish"), script(CompletionShell::Fish)),
        (PathBuf::from("completions/kubectl-supportaccess.ps1"), script(CompletionShell::Powershell)),
    ];
    let mut root = Cli::command().name("kubectl-supportaccess");
    // Built, so that each command carries the global options (under their own heading).
    root.build();
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let name = format!("kubectl-supportaccess-{}", sub.get_name());
        // The synopsis names the command as it is typed.
        let typed = sub.clone().name(&name).bin_name(format!("kubectl supportaccess {}", sub.get_name()));
        files.push((PathBuf::from(format!("man/{name}.1")), man_page(typed)));
    }
    files.push((PathBuf::from("man/kubectl-supportaccess.1"), man_page(root.bin_name("kubectl supportaccess"))));
    files
}

#[test]
fn generated_files_are_current() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("KSA_UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (path, content) in files() {
        let full = repo.join(&path);
        if update {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, &content).unwrap();
        } else if std::fs::read(&full).ok().as_deref() != Some(content.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    assert!(stale.is_empty(), "generated files drifted from the CLI: {stale:?}; run `make generate`");
}

#[test]
fn every_man_page_has_examples_exit_status_environment_and_files_and_a_typed_synopsis() {
    for (path, content) in files().into_iter().filter(|(p, _)| p.starts_with("man")) {
        let page = String::from_utf8(content).unwrap();
        let sections: Vec<&str> = page.lines().filter_map(|l| l.strip_prefix(".SH ")).collect();
        for wanted in ["\"EXIT STATUS\"", "\"ENVIRONMENT\"", "\"FILES\""] {
            assert!(sections.contains(&wanted), "{}: {sections:?}", path.display());
        }
        let command = path.file_stem().unwrap().to_str().unwrap().strip_prefix("kubectl-supportaccess").unwrap();
        if let Some(command) = command.strip_prefix('-') {
            assert!(sections.contains(&"\"EXAMPLES\""), "{}: {sections:?}", path.display());
            let options = sections.iter().position(|s| *s == "OPTIONS");
            let global = sections.iter().position(|s| *s == "\"GLOBAL OPTIONS\"");
            assert!(
                global.is_some() && options < global,
                "{}: global options after the command's: {sections:?}",
                path.display()
            );
            assert!(page.contains(&format!("\\fBkubectl supportaccess {command}\\fR")), "{}: synopsis", path.display());
        }
    }
}

#[test]
fn each_commands_help_ends_with_global_options_then_examples() {
    use clap::CommandFactory;
    let mut root = Cli::command();
    root.build();
    for sub in root.get_subcommands_mut().filter(|s| s.get_name() != "help") {
        let help = sub.render_help().to_string();
        let (options, global, examples) = (help.find("Options:"), help.find("Global Options:"), help.find("Examples:"));
        assert!(options < global && global < examples, "{}: {help}", sub.get_name());
    }
    let request = root.find_subcommand_mut("request").unwrap().render_long_help().to_string();
    assert!(request.contains("may take as a whole"), "--request-timeout bounds the whole call: {request}");
}
