//! The `shell` command's shell, its prompt marked `[support ID] ` in a way the user's and the
//! distribution's startup files cannot undo: bash reads an rc file of ours (`--rcfile`) that reads
//! theirs first and marks the prompt before each one (`PROMPT_COMMAND`); zsh reads ours through
//! `ZDOTDIR` the same way (`precmd`); fish wraps `fish_prompt` (`--init-command`); any other shell
//! gets `PS1`. The rc files live beside the request's credential (a private directory) and are
//! removed when the shell ends.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use tokio::process::Command;

use crate::base::error::Result;

/// The shell to start, and the files made for it (removed by [`Made::clean`]).
pub struct Marked {
    pub command: Command,
    pub made: Made,
}

/// The rc files made for a shell.
pub struct Made(Vec<PathBuf>);

impl Made {
    pub fn clean(&self) {
        for path in self.0.iter().rev() {
            let _ = match path.is_dir() {
                true => std::fs::remove_dir(path),
                false => std::fs::remove_file(path),
            };
        }
    }
}

/// The mark at the start of every prompt; `id` is a request id (a DNS label), safe in any quoting.
fn mark(id: &str) -> String {
    format!("[support {id}] ")
}

/// `shell` (a path, as $SHELL) with its prompt marked for request `id`; its rc files go beside
/// `credential` (the request's default credential path).
pub fn marked(shell: &OsStr, id: &str, credential: &Path) -> Result<Marked> {
    let name = Path::new(shell).file_name().and_then(OsStr::to_str).unwrap_or_default();
    let mut command = Command::new(shell);
    let mut made = Vec::new();
    match name {
        "bash" => {
            let rc = credential.with_extension("bashrc");
            crate::cluster::credential::write_private(&rc, &bash_rc(id))?;
            made.push(rc.clone());
            command.arg("--rcfile").arg(&rc).arg("-i");
        }
        "zsh" => {
            let dir = credential.with_extension("zsh");
            let home = std::env::var("ZDOTDIR").or_else(|_| std::env::var("HOME")).unwrap_or_default();
            made.push(dir.clone());
            for (file, text) in zsh_rc(id, &home, &dir.display().to_string()) {
                crate::cluster::credential::write_private(&dir.join(file), &text)?;
                made.push(dir.join(file));
            }
            command.env("ZDOTDIR", &dir);
        }
        "fish" => {
            command.arg("--init-command").arg(fish_init(id));
        }
        _ => {
            command.env("PS1", format!("{}\\w $ ", mark(id)));
        }
    }
    Ok(Marked { command, made: Made(made) })
}

/// bash: the distribution's and the user's rc files, then the mark, put back before each prompt
/// (after the user's own PROMPT_COMMAND, string or array).
fn bash_rc(id: &str) -> String {
    let mark = mark(id);
    format!(
        r#"[ -f /etc/bash.bashrc ] && . /etc/bash.bashrc
[ -f ~/.bashrc ] && . ~/.bashrc
__supportaccess_mark() {{ case "$PS1" in '{mark}'*) ;; *) PS1='{mark}'"$PS1" ;; esac; }}
if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
  PROMPT_COMMAND+=(__supportaccess_mark)
else
  PROMPT_COMMAND="${{PROMPT_COMMAND:+$PROMPT_COMMAND;}}__supportaccess_mark"
fi
__supportaccess_mark
"#
    )
}

/// zsh: `.zshenv` and `.zshrc` (in `ours`) that read the user's (from `home`, their ZDOTDIR) and
/// leave ZDOTDIR theirs, then mark the prompt before each one.
fn zsh_rc(id: &str, home: &str, ours: &str) -> [(&'static str, String); 2] {
    let mark = mark(id);
    let quoted = |path: &str| format!("'{}'", path.replace('\'', r"'\''"));
    let (home, ours) = (quoted(home), quoted(ours));
    let env = format!("ZDOTDIR={home}\n[ -f \"$ZDOTDIR/.zshenv\" ] && . \"$ZDOTDIR/.zshenv\"\nZDOTDIR={ours}\n");
    let rc = format!(
        "ZDOTDIR={home}\n[ -f \"$ZDOTDIR/.zshrc\" ] && . \"$ZDOTDIR/.zshrc\"\n\
         __supportaccess_mark() {{ [[ $PROMPT == '{mark}'* ]] || PROMPT='{mark}'$PROMPT }}\n\
         precmd_functions+=(__supportaccess_mark)\n__supportaccess_mark\n"
    );
    [(".zshenv", env), (".zshrc", rc)]
}

/// fish: `fish_prompt` as the user's config defines it, with the mark before it.
fn fish_init(id: &str) -> String {
    format!(
        "functions -q fish_prompt; and functions -c fish_prompt __supportaccess_prompt; \
         function fish_prompt; printf '%s' '{}'; functions -q __supportaccess_prompt; and __supportaccess_prompt; end",
        mark(id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shell_reads_its_users_files_first_and_marks_the_prompt_after() {
        let bash = bash_rc("ab12cd34");
        let user = bash.find("~/.bashrc").unwrap();
        assert!(bash.find("__supportaccess_mark()").unwrap() > user, "{bash}");
        assert!(bash.contains("PROMPT_COMMAND+=(__supportaccess_mark)"), "an array PROMPT_COMMAND is kept");
        let [(_, env), (_, rc)] = zsh_rc("ab12cd34", "/home/o'neil", "/c/ab12cd34.zsh");
        assert!(env.contains(r"ZDOTDIR='/home/o'\''neil'") && env.ends_with("ZDOTDIR='/c/ab12cd34.zsh'\n"), "{env}");
        assert!(rc.contains("precmd_functions+=(__supportaccess_mark)") && rc.contains("'[support ab12cd34] '"));
        assert!(fish_init("ab12cd34").contains("functions -c fish_prompt __supportaccess_prompt"));
    }
}
