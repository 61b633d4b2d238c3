//! Credentials on this machine: where a request's kubeconfig lives, in a directory refused (as ssh
//! refuses ~/.ssh) unless it is the user's own and nobody else can write it, and files written
//! 0600 through a new temporary file and a rename. Ids from the cluster become paths only here,
//! and only once they are DNS-1123 labels.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};
use crate::state::is_dns_label;

/// The plugin's own directory under `$XDG_CONFIG_HOME`.
const PLUGIN_DIR: &str = "kubectl-supportaccess";

/// Where a request's kubeconfig lives by default:
/// `$XDG_CONFIG_HOME/kubectl-supportaccess/<context>/<id>.kubeconfig`. The id must be a request
/// id (a DNS-1123 label: it comes from the cluster), and both directories, where they exist, must
/// be the user's own and writable by nobody else.
pub fn default_path(context: &str, id: &str) -> Result<PathBuf> {
    if !is_dns_label(id) {
        return Err(Error::failed(format!("{id:?} is not a request id, so it names no credential file")));
    }
    let base =
        dirs::config_dir().ok_or_else(|| Error::failed("no configuration directory (set XDG_CONFIG_HOME or HOME)"))?;
    let plugin_dir = base.join(PLUGIN_DIR);
    let dir = plugin_dir.join(context_dir(context));
    check_private_dir(&plugin_dir)?;
    check_private_dir(&dir)?;
    Ok(dir.join(format!("{id}.kubeconfig")))
}

/// The longest remembered `--kubeconfig-out` path read back.
const MAX_REMEMBERED: u64 = 4096;

/// The small file beside the default credential path that remembers a request's
/// `--kubeconfig-out`: `<id>.path`, holding one absolute path.
fn remembered(context: &str, id: &str) -> Result<PathBuf> {
    Ok(default_path(context, id)?.with_extension("path"))
}

/// Remembers where `request --kubeconfig-out` wrote the request's kubeconfig, so that `renew` and
/// `exec` write there again. Written 0600 in the private credential directory.
pub fn remember_path(context: &str, id: &str, path: &Path) -> Result<()> {
    let absolute = std::path::absolute(path)
        .map_err(|e| Error::failed(format!("cannot make {} absolute: {e}", path.display())))?;
    let text = absolute
        .to_str()
        .filter(|text| check_remembered(text).is_ok())
        .ok_or_else(|| Error::failed(format!("{} cannot be remembered for renew", absolute.display())))?;
    write_private(&remembered(context, id)?, &format!("{text}\n"))
}

/// Where a request's kubeconfig lives: the remembered `--kubeconfig-out`, or the default path.
/// The remembered path is read back as hostile input: a private regular file of the user's,
/// small, one absolute UTF-8 path without control characters or `..`; anything else is refused.
pub fn credential_path(context: &str, id: &str) -> Result<PathBuf> {
    let pointer = remembered(context, id)?;
    let shown = pointer.display();
    let metadata = match std::fs::symlink_metadata(&pointer) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return default_path(context, id),
        Err(e) => return Err(Error::failed(format!("cannot read {shown}: {e}"))),
    };
    let refuse = |why: &str| {
        Error::failed(format!("{shown} cannot be trusted: {why}")).with_hint(format!(
            "remove it; the request's kubeconfig is then written to {}",
            default_path_shown(context, id)
        ))
    };
    if !metadata.is_file() {
        return Err(refuse("it is not a regular file"));
    }
    if metadata.len() > MAX_REMEMBERED {
        return Err(refuse("it is too large"));
    }
    check_private_file(&metadata).map_err(|why| refuse(&why))?;
    let text = std::fs::read_to_string(&pointer).map_err(|e| refuse(&e.to_string()))?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    check_remembered(line).map_err(refuse)?;
    let remembered = PathBuf::from(line);
    check_destination(&remembered)?;
    Ok(remembered)
}

fn default_path_shown(context: &str, id: &str) -> String {
    default_path(context, id).map(|p| p.display().to_string()).unwrap_or_default()
}

/// A remembered path: absolute, one line, no control characters, no `..`.
fn check_remembered(text: &str) -> std::result::Result<(), &'static str> {
    let path = Path::new(text);
    if text.is_empty() || !path.is_absolute() {
        Err("it does not hold an absolute path")
    } else if text.chars().any(|c| c.is_control() || crate::output::disturbs_terminal(c)) {
        Err("it holds control characters")
    } else if path.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        Err("its path goes through `..`")
    } else {
        Ok(())
    }
}

/// A file of the user's that nobody else may read or write.
fn check_private_file(metadata: &std::fs::Metadata) -> std::result::Result<(), String> {
    check_owned(metadata, 0o077, "read or write")
}

/// A file of the user's that nobody else may write.
fn check_owned_file(metadata: &std::fs::Metadata) -> std::result::Result<(), String> {
    check_owned(metadata, 0o022, "write")
}

#[cfg(unix)]
fn check_owned(metadata: &std::fs::Metadata, others: u32, may: &str) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let uid = current_uid().map_err(|e| e.to_string())?;
    if metadata.uid() != uid {
        Err(format!("it belongs to user id {}, not to you ({uid})", metadata.uid()))
    } else if metadata.mode() & others != 0 {
        Err(format!("others may {may} it (mode {:o})", metadata.mode() & 0o7777))
    } else {
        Ok(())
    }
}

#[cfg(not(unix))]
fn check_owned(_metadata: &std::fs::Metadata, _others: u32, _may: &str) -> std::result::Result<(), String> {
    Ok(())
}

/// Refuses a credential file the plugin reads back or hands to a child unless nobody else could
/// have written it: a regular file (not a link) of the user's, writable by nobody else, in a
/// directory only the user (or root) can write, or in a sticky one. Otherwise another local user
/// could have put a kubeconfig there whose `exec:` credential plugin would run as this user.
pub fn check_for_use(path: &Path) -> Result<()> {
    let refuse = |why: String| {
        Error::failed(format!(
            "the credential file {} cannot be trusted: {why}",
            crate::output::terminal(&path.display().to_string())
        ))
        .with_hint("remove it, and write credentials to a directory only you can write (`request --kubeconfig-out`)")
    };
    let metadata = std::fs::symlink_metadata(path).map_err(|e| refuse(e.to_string()))?;
    if !metadata.is_file() {
        return Err(refuse("it is not a regular file".into()));
    }
    check_owned_file(&metadata).map_err(refuse)?;
    check_containing_dir(path, true).map_err(refuse)
}

/// Refuses to write a credential where another user could replace it afterwards: a directory
/// others may write, unless it is sticky (and then the file, once written, is the user's).
pub fn check_destination(path: &Path) -> Result<()> {
    check_containing_dir(path, true).map_err(|why| {
        Error::failed(format!(
            "cannot write a credential to {}: {why}",
            crate::output::terminal(&path.display().to_string())
        ))
        .with_hint("choose a directory only you can write, or leave out --kubeconfig-out")
    })
}

/// The directory holding `path`: owned by the user or root and writable by nobody else, or sticky
/// (others may then add files but not replace the user's). A directory that does not exist yet is
/// fine when `missing_ok` (it is created 0700).
#[cfg(unix)]
fn check_containing_dir(path: &Path, missing_ok: bool) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let absolute = std::path::absolute(path).map_err(|e| e.to_string())?;
    let dir = absolute.parent().unwrap_or(Path::new("/"));
    let shown = crate::output::terminal(&dir.display().to_string()).into_owned();
    let metadata = match std::fs::metadata(dir) {
        Ok(metadata) => metadata,
        Err(e) if missing_ok && e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot check its directory {shown}: {e}")),
    };
    let uid = current_uid().map_err(|e| e.to_string())?;
    let sticky = metadata.mode() & 0o1000 != 0;
    if sticky {
        Ok(())
    } else if metadata.uid() != uid && metadata.uid() != 0 {
        Err(format!("its directory {shown} belongs to user id {}, who could replace it", metadata.uid()))
    } else if metadata.mode() & 0o022 != 0 {
        Err(format!("other users may write its directory {shown} (mode {:o}) and replace it", metadata.mode() & 0o7777))
    } else {
        Ok(())
    }
}

#[cfg(not(unix))]
fn check_containing_dir(_path: &Path, _missing_ok: bool) -> std::result::Result<(), String> {
    Ok(())
}

/// Removes a request's local credential at its default path, and what remembered another path
/// (the user's own `--kubeconfig-out` file is theirs to remove).
pub fn forget(context: &str, id: &str) {
    for path in [default_path(context, id), remembered(context, id)].into_iter().flatten() {
        let _ = std::fs::remove_file(path);
    }
}

/// The directory name for a context: one path component, never `.` or `..`.
fn context_dir(context: &str) -> String {
    let name: String =
        context.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.@".contains(c) { c } else { '_' }).collect();
    match name.as_str() {
        "" | "." | ".." => format!("_{name}"),
        _ => name,
    }
}

/// Refuses a credential directory that another user owns or may write: they could swap the
/// kubeconfig, whose `exec:` credential plugin `exec` would then run. A missing one is fine (it is
/// created 0700).
#[cfg(unix)]
fn check_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let shown = dir.display();
    let metadata = match std::fs::metadata(dir) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::failed(format!("cannot check the credential directory {shown}: {e}"))),
    };
    let uid =
        current_uid().map_err(|e| Error::failed(format!("cannot check the credential directory {shown}: {e}")))?;
    if !metadata.is_dir() {
        Err(Error::failed(format!("the credential directory {shown} is not a directory; remove it")))
    } else if metadata.uid() != uid {
        Err(Error::failed(format!(
            "the credential directory {shown} belongs to user id {}, not to you ({uid}), so its credentials cannot be \
             trusted; remove it",
            metadata.uid()
        )))
    } else if metadata.mode() & 0o022 != 0 {
        Err(Error::failed(format!(
            "the credential directory {shown} can be written by other users (mode {:o}), so its credentials cannot \
             be trusted; run `chmod 700 {shown}`",
            metadata.mode() & 0o7777
        )))
    } else {
        Ok(())
    }
}

#[cfg(not(unix))]
fn check_private_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// The user this process runs as, without libc: the owner of a file it has just created.
#[cfg(unix)]
fn current_uid() -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    static UID: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    if let Some(uid) = UID.get() {
        return Ok(*uid);
    }
    let (probe, file) = create_new_beside(&std::env::temp_dir().join("kubectl-supportaccess-uid"))?;
    let metadata = file.metadata();
    drop(file);
    let _ = std::fs::remove_file(probe);
    let uid = metadata?.uid();
    Ok(*UID.get_or_init(|| uid))
}

/// A new file (never an existing one, never through a link), mode 0600, named after `path` with a
/// random suffix, in the same directory.
fn create_new_beside(path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let suffix = crate::state::new_id().map_err(|e| std::io::Error::other(e.message))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("kubeconfig");
    let temporary = path.with_file_name(format!(".{name}.{suffix}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&temporary)?;
    Ok((temporary, file))
}

/// Writes a file readable by its owner only, from its creation: a new temporary file in the
/// same directory (mode 0600), then renamed over the target. Nothing but that temporary file is
/// ever removed on failure.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    let failed = |e: std::io::Error| Error::failed(format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_private_dir(dir).map_err(failed)?;
    let (temporary, mut file) = create_new_beside(&dir.join(path.file_name().unwrap_or_default())).map_err(failed)?;
    let written = file.write_all(text.as_bytes()).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(e));
    }
    Ok(())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ksa-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn private_files_are_0600_and_replace_atomically() {
        let dir = scratch("private");
        let path = dir.join("nested").join("x.kubeconfig");
        write_private(&path, "one").unwrap();
        write_private(&path, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1, "no temporary file is left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_the_target_and_no_temporary_file() {
        let dir = scratch("failed-write");
        // Renaming a file over a directory that holds something fails.
        let target = dir.join("out.kubeconfig");
        std::fs::create_dir_all(target.join("inside")).unwrap();
        assert!(write_private(&target, "credential").is_err());
        assert!(target.join("inside").is_dir(), "the target is untouched");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "the temporary file is removed");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_remembered_path_is_read_back_only_when_it_is_one_clean_absolute_path() {
        for good in ["/home/a/support.kubeconfig", "/tmp/x y/k"] {
            assert!(check_remembered(good).is_ok(), "{good:?}");
        }
        for bad in ["", "relative/k", "/tmp/../etc/passwd", "/tmp/a\n/etc/x", "/tmp/\u{1b}[2Jk", "/tmp/\u{202e}k"] {
            assert!(check_remembered(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_that_are_not_request_ids_name_no_file() {
        for id in ["/tmp/x/victim", "../../victim", "a/b", "..", "", "Not_Dns", "x\ny"] {
            let error = default_path("local", id).unwrap_err();
            assert!(error.message.contains("is not a request id"), "{id:?}: {}", error.message);
        }
    }

    #[test]
    fn a_context_is_one_path_component_and_never_a_parent() {
        assert_eq!(context_dir("kind-kind"), "kind-kind");
        assert_eq!(context_dir("arn:aws:eks:us-east-1:1:cluster/prod"), "arn_aws_eks_us-east-1_1_cluster_prod");
        assert_eq!(context_dir(".."), "_..");
        assert_eq!(context_dir("."), "_.");
        assert_eq!(context_dir(""), "_");
        assert_eq!(context_dir("../../etc"), ".._.._etc");
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_can_write_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("perms");
        assert!(check_private_dir(&dir).is_ok(), "a missing directory is created private later");
        std::fs::create_dir_all(&dir).unwrap();
        for mode in [0o777, 0o770, 0o702] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
            let error = check_private_dir(&dir).unwrap_err();
            assert_eq!(error.exit_code(), 1);
            assert!(error.message.contains(&format!("run `chmod 700 {}`", dir.display())), "{}", error.message);
        }
        for mode in [0o700, 0o755] {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
            check_private_dir(&dir).unwrap();
        }
        let file = dir.join("file");
        std::fs::write(&file, "").unwrap();
        assert!(check_private_dir(&file).unwrap_err().message.contains("is not a directory"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn the_current_user_is_the_owner_of_what_this_process_creates() {
        use std::os::unix::fs::MetadataExt;
        let dir = scratch("uid");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(current_uid().unwrap(), std::fs::metadata(&dir).unwrap().uid());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
