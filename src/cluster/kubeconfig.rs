//! The kubeconfig as kubectl reads it: `--kubeconfig`, else the merged `KUBECONFIG` list (first
//! file wins, missing files skipped), else `~/.kube/config`; each file bounded and a regular file;
//! and which context a command acts on.

use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

use crate::base::error::{Error, Result};
use crate::cluster::transport::root_cause;

/// The merged kubeconfig and the files it came from.
#[derive(Debug, Clone, Default)]
pub struct KubeconfigFiles {
    pub config: Kubeconfig,
    pub paths: Vec<PathBuf>,
}

impl KubeconfigFiles {
    /// Reads the kubeconfig as kubectl does. `None` when no file exists at all.
    pub fn load(explicit: Option<&Path>) -> Result<Option<KubeconfigFiles>> {
        if let Some(path) = explicit {
            if !path.exists() {
                return Err(Error::failed(format!("the kubeconfig {} does not exist", path.display()))
                    .with_hint("check the path given to --kubeconfig"));
            }
            return read_files(&[path.to_path_buf()]).map(Some);
        }
        let listed: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
            Some(list) => std::env::split_paths(&list).filter(|p| !p.as_os_str().is_empty()).collect(),
            None => Vec::new(),
        };
        let candidates = if listed.is_empty() {
            dirs::home_dir().map(|home| vec![home.join(".kube").join("config")]).unwrap_or_default()
        } else {
            listed
        };
        // kubectl skips files of the KUBECONFIG list that do not exist.
        let existing: Vec<PathBuf> = candidates.into_iter().filter(|p| p.exists()).collect();
        if existing.is_empty() {
            return Ok(None);
        }
        read_files(&existing).map(Some)
    }

    pub fn context_names(&self) -> Vec<String> {
        self.config.contexts.iter().map(|c| c.name.clone()).collect()
    }

    /// Finds the context a CLUSTER argument names: a context name first, else the context whose
    /// cluster has that name.
    /// Whether `wanted` names a context or a cluster of the kubeconfig.
    pub fn names_a_cluster(&self, wanted: &str) -> bool {
        self.config
            .contexts
            .iter()
            .any(|c| c.name == wanted || c.context.as_ref().is_some_and(|ctx| ctx.cluster == wanted))
    }

    pub fn resolve_context(&self, wanted: &str) -> Result<String> {
        let contexts = &self.config.contexts;
        if contexts.iter().any(|c| c.name == wanted) {
            return Ok(wanted.to_string());
        }
        let by_cluster: Vec<&str> = contexts
            .iter()
            .filter(|c| c.context.as_ref().is_some_and(|ctx| ctx.cluster == wanted))
            .map(|c| c.name.as_str())
            .collect();
        match by_cluster.as_slice() {
            [only] => Ok(only.to_string()),
            [] => Err(self.unknown_context(wanted)),
            several => Err(Error::failed(format!(
                "cluster {wanted:?} is used by several contexts ({}); name one of them",
                several.join(", ")
            ))),
        }
    }

    pub(super) fn unknown_context(&self, wanted: &str) -> Error {
        let names = self.context_names();
        let available = if names.is_empty() { "none".to_string() } else { names.join(", ") };
        Error::failed(format!(
            "no context or cluster named {wanted:?} in the kubeconfig; available contexts: {available}"
        ))
    }

    /// The kubeconfig cut down to one context and the cluster and user it names: a fleet builds
    /// each context's client from this, never from a copy of the whole file.
    pub fn only(&self, context: &str) -> KubeconfigFiles {
        let config = &self.config;
        let named = config.contexts.iter().find(|c| c.name == context);
        let entry = named.and_then(|c| c.context.as_ref());
        let cluster = entry.map(|c| c.cluster.as_str());
        let user = entry.and_then(|c| c.user.as_deref());
        KubeconfigFiles {
            config: Kubeconfig {
                preferences: config.preferences.clone(),
                clusters: config.clusters.iter().filter(|c| Some(c.name.as_str()) == cluster).cloned().collect(),
                auth_infos: config.auth_infos.iter().filter(|u| Some(u.name.as_str()) == user).cloned().collect(),
                contexts: named.into_iter().cloned().collect(),
                current_context: Some(context.to_string()),
                kind: config.kind.clone(),
                api_version: config.api_version.clone(),
                ..Kubeconfig::default()
            },
            paths: self.paths.clone(),
        }
    }

    /// The server URL of a kubeconfig cluster entry.
    pub fn server_of(&self, cluster: &str) -> Option<&str> {
        self.config.clusters.iter().find(|c| c.name == cluster)?.cluster.as_ref()?.server.as_deref()
    }

    /// The context in use when none is named.
    pub fn current_context(&self) -> Option<String> {
        self.config.current_context.clone().filter(|c| !c.is_empty())
    }
}

/// The largest kubeconfig read (a kubeconfig of 1,000 contexts is well under 1 MiB).
const MAX_KUBECONFIG: u64 = 16 * 1024 * 1024;

/// A kubeconfig is read only when it is a regular file of bounded size: `/dev/zero` would be read
/// until memory runs out, and a FIFO would block forever.
fn check_readable(path: &Path) -> Result<()> {
    let shown = crate::output::terminal(&path.display().to_string()).into_owned();
    let metadata =
        std::fs::metadata(path).map_err(|e| Error::failed(format!("cannot read the kubeconfig {shown}: {e}")))?;
    let refuse = |why: String| {
        Error::failed(format!("the kubeconfig {shown} {why}"))
            .with_hint("point --kubeconfig/KUBECONFIG at a kubeconfig file")
    };
    if !metadata.is_file() {
        return Err(refuse("is not a regular file".into()));
    }
    if metadata.len() > MAX_KUBECONFIG {
        return Err(refuse(format!("is {} bytes, more than the {MAX_KUBECONFIG} a kubeconfig may be", metadata.len())));
    }
    Ok(())
}

fn read_files(paths: &[PathBuf]) -> Result<KubeconfigFiles> {
    let mut merged = Kubeconfig::default();
    for path in paths {
        check_readable(path)?;
        let next = Kubeconfig::read_from(path).map_err(|e| {
            Error::failed(format!("the kubeconfig {} is not valid: {}", path.display(), root_cause(&e)))
                .with_hint("fix the file or point --kubeconfig/KUBECONFIG at another one")
        })?;
        merged = merged.merge(next).map_err(|e| {
            Error::failed(format!("the kubeconfig {} cannot be merged with the others: {e}", path.display()))
        })?;
    }
    Ok(KubeconfigFiles { config: merged, paths: paths.to_vec() })
}

/// `--context` and the positional CLUSTER name the same thing; both may be given only if equal.
pub(super) fn choose_context(
    files: &KubeconfigFiles,
    flag: Option<&str>,
    positional: Option<&str>,
) -> Result<Option<String>> {
    let from_positional = positional.map(|name| files.resolve_context(name)).transpose()?;
    match (flag, from_positional) {
        (Some(flag), Some(named)) if flag != named => Err(Error::usage(format!(
            "--context {flag:?} and CLUSTER {:?} name different contexts; give one of them",
            positional.unwrap_or_default()
        ))),
        (Some(flag), _) => Ok(Some(flag.to_string())),
        (None, named) => Ok(named),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(yaml: &str) -> KubeconfigFiles {
        KubeconfigFiles { config: Kubeconfig::from_yaml(yaml).unwrap(), paths: vec![] }
    }

    const TWO_CONTEXTS: &str = r#"
apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev-cluster
  cluster: {server: "https://127.0.0.1:1"}
- name: prod-cluster
  cluster: {server: "https://127.0.0.1:2"}
users:
- name: me
  user: {token: abc}
contexts:
- name: dev
  context: {cluster: dev-cluster, user: me}
- name: prod
  context: {cluster: prod-cluster, user: me}
"#;

    #[test]
    fn a_cluster_argument_selects_by_context_then_by_cluster_name() {
        let files = files(TWO_CONTEXTS);
        assert_eq!(files.resolve_context("prod").unwrap(), "prod");
        assert_eq!(files.resolve_context("prod-cluster").unwrap(), "prod");
        let error = files.resolve_context("staging").unwrap_err();
        assert!(error.message.contains("available contexts: dev, prod"), "{}", error.message);
    }

    #[test]
    fn context_flag_and_cluster_argument_must_agree() {
        let files = files(TWO_CONTEXTS);
        assert_eq!(choose_context(&files, Some("prod"), Some("prod-cluster")).unwrap(), Some("prod".into()));
        assert_eq!(choose_context(&files, Some("dev"), Some("prod")).unwrap_err().exit_code(), 2);
        assert_eq!(choose_context(&files, None, None).unwrap(), None);
    }
}
