//! The files generated from the CLI definition — completion scripts in `completions/` and man
//! pages in `man/` — and the test that fails when they drift from the binary.
//! `make generate` (KSA_UPDATE_GENERATED=1) rewrites them.

use std::path::PathBuf;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionShell};
use crate::complete::script;

fn man_page(command: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out).expect("rendering to memory cannot fail");
    out
}

/// Every generated file, by path relative to the repository.
pub fn files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = vec![
        (PathBuf::from("completions/kubectl-supportaccess.bash"), script(CompletionShell::Bash)),
        (PathBuf::from("completions/_kubectl-supportaccess"), script(CompletionShell::Zsh)),
        (PathBuf::from("completions/kubectl-supportaccess.fish"), script(CompletionShell::Fish)),
        (PathBuf::from("completions/kubectl-supportaccess.ps1"), script(CompletionShell::Powershell)),
    ];
    let root = Cli::command().name("kubectl-supportaccess");
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("kubectl-supportaccess-{}", sub.get_name());
        files.push((PathBuf::from(format!("man/{name}.1")), man_page(sub.clone().name(name))));
    }
    files.push((PathBuf::from("man/kubectl-supportaccess.1"), man_page(root)));
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
