//! Connecting the way kubectl does: the kubeconfig (`--kubeconfig`, else the merged `KUBECONFIG`
//! list, else `~/.kube/config`), context selection, in-cluster config as a fallback, and one
//! place where every API call is bounded by `--request-timeout` and its errors become sentences.

pub mod access;
pub mod bindings;
pub mod credential;
pub mod credential_files;
pub mod history;
pub mod install;
pub mod kubeconfig;
pub mod policy;
pub mod protobuf;
pub mod records;
pub mod scan;
pub mod transport;

use std::future::Future;
use std::time::Duration;

use kube::api::{Api, PostParams};
use kube::config::KubeConfigOptions;
use kube::{Client, Config};

use crate::base::error::{Error, Result};
use crate::cli::GlobalArgs;
use transport::root_cause;

pub use kubeconfig::KubeconfigFiles;
use kubeconfig::choose_context;

/// A connected client and what is needed to explain its errors.
#[derive(Clone)]
pub struct Connection {
    pub client: Client,
    /// The API server's URL.
    pub server: String,
    /// The kubeconfig context in use (`in-cluster` without a kubeconfig).
    pub context: String,
    /// The system namespace (`-n`).
    pub namespace: String,
    /// How the server is trusted, for kubeconfigs written for support credentials.
    pub trust: ServerTrust,
    timeout: Option<Duration>,
    /// What the client was built from (for an impersonating copy).
    config: Config,
    /// `-v`, and whether every write is a server dry run.
    trace: crate::cluster::transport::Trace,
}

/// The cluster half of a kubeconfig: what a support credential's kubeconfig needs.
#[derive(Debug, Clone, Default)]
pub struct ServerTrust {
    /// The certificate authorities, DER-encoded.
    pub ca_certificates: Vec<Vec<u8>>,
    pub insecure_skip_tls_verify: bool,
    pub tls_server_name: Option<String>,
}

/// Which context a command acts on, beyond the global flags.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// The positional CLUSTER of enable/disable/get.
    pub cluster: Option<String>,
}

/// Builds the client, which runs the kubeconfig's `exec:` credential plugin (kube runs it while
/// it builds the authentication layer, blocking): on a blocking thread, bounded by
/// `--request-timeout`, and a plugin still running then is killed and named.
async fn build_client(
    config: &Config,
    context: &str,
    timeout: Option<Duration>,
    trace: crate::cluster::transport::Trace,
) -> Result<kube::Client> {
    let mut building = tokio::task::spawn_blocking({
        let config = config.clone();
        move || crate::cluster::transport::client(&config, trace)
    });
    let built = match timeout {
        Some(limit) => match tokio::time::timeout(limit, &mut building).await {
            Ok(built) => built,
            Err(_) => {
                // kube runs the plugin more than once while it builds the client: each run that
                // starts is stopped, until the blocking task gives up.
                let mut stopped = None;
                let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
                loop {
                    stopped = stop_credential_plugin(config).or(stopped);
                    if building.is_finished() || tokio::time::Instant::now() > deadline {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                return Err(match stopped {
                    Some(program) => plugin_timed_out(&program, context, limit),
                    None => Error::failed(format!(
                        "the client for context {context:?} was not ready within {}",
                        crate::base::duration::format_duration(limit)
                    )),
                });
            }
        },
        None => building.await,
    };
    built
        .map_err(|e| Error::failed(format!("cannot build a client for context {context:?}: {e}")))?
        .map_err(|e| Error::failed(format!("cannot build a client for context {context:?}: {}", root_cause(&e))))
}

/// Kills the context's credential plugin if it is still running; its command when it was.
fn stop_credential_plugin(config: &Config) -> Option<String> {
    let program = config.auth_info.exec.as_ref()?.command.clone()?;
    (crate::base::process::stop_children_running(&program) > 0).then_some(program)
}

fn plugin_timed_out(program: &str, context: &str, limit: Duration) -> Error {
    Error::failed(format!(
        "the credential plugin {:?} of context {context:?} did not finish within {}; it was stopped",
        crate::output::terminal(program),
        crate::base::duration::format_duration(limit)
    ))
    .with_hint("check the plugin (it may be waiting for a login), or raise --request-timeout")
}

impl Connection {
    /// Connects as kubectl would with these flags.
    pub async fn open(global: &GlobalArgs, target: &Target) -> Result<Connection> {
        let files = KubeconfigFiles::load(global.kubeconfig.as_deref())?;
        let Some(files) = files else {
            if target.cluster.is_some() || global.context.is_some() {
                return Err(Error::failed("no kubeconfig found, so no context can be selected")
                    .with_hint("set KUBECONFIG or pass --kubeconfig"));
            }
            let config = Config::incluster().map_err(|_| {
                Error::failed("no kubeconfig found (KUBECONFIG, ~/.kube/config) and not running in a cluster")
                    .with_hint("set KUBECONFIG or pass --kubeconfig")
            })?;
            return Connection::from_config(config, "in-cluster".into(), global).await;
        };
        let context = choose_context(&files, global.context.as_deref(), target.cluster.as_deref())?;
        Connection::for_context(&files, context, global).await
    }

    /// Connects to one named context of an already loaded kubeconfig (`None`: the current one).
    pub async fn for_context(
        files: &KubeconfigFiles,
        context: Option<String>,
        global: &GlobalArgs,
    ) -> Result<Connection> {
        let context = context.or_else(|| files.current_context()).ok_or_else(|| {
            Error::failed(format!(
                "the kubeconfig ({}) has no current context",
                files.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(":")
            ))
            .with_hint("pass --context NAME or run `kubectl config use-context NAME`")
        })?;
        if !files.context_names().contains(&context) {
            return Err(files.unknown_context(&context));
        }
        let options = KubeConfigOptions {
            context: Some(context.clone()),
            cluster: global.cluster.clone(),
            user: global.user.clone(),
        };
        let config = Config::from_custom_kubeconfig(files.config.clone(), &options)
            .await
            .map_err(|e| Error::failed(format!("context {context:?} cannot be used: {}", root_cause(&e))))?;
        Connection::from_config(config, context, global).await
    }

    async fn from_config(mut config: Config, context: String, global: &GlobalArgs) -> Result<Connection> {
        let timeout = global.request_timeout.0;
        config.connect_timeout = timeout;
        config.read_timeout = timeout;
        config.write_timeout = timeout;
        // A failed call is reported, not silently retried past the timeout.
        config.default_retry = false;
        let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
        let trust = ServerTrust {
            ca_certificates: config.root_cert.clone().unwrap_or_default(),
            insecure_skip_tls_verify: config.accept_invalid_certs,
            tls_server_name: config.tls_server_name.clone(),
        };
        if global.verbose > 0 {
            eprintln!("using context {context:?}: server {server}, system namespace {}", global.namespace);
        }
        let trace = crate::cluster::transport::Trace { verbosity: global.verbose, dry_run: false };
        let client = build_client(&config, &context, timeout, trace).await?;
        Ok(Connection { client, server, context, namespace: global.namespace.clone(), trust, timeout, config, trace })
    }

    /// The same connection, every write of it a server dry run (`dryRun=All`): the API server and
    /// its admission guards answer it, and nothing is stored.
    pub fn dry_run(&self) -> Result<Connection> {
        let trace = crate::cluster::transport::Trace { dry_run: true, ..self.trace };
        let client = crate::cluster::transport::client(&self.config, trace)
            .map_err(|e| Error::failed(format!("cannot build a dry-run client: {}", root_cause(&e))))?;
        Ok(Connection { client, trace, ..self.clone() })
    }

    /// Whether every write is a server dry run.
    pub fn is_dry_run(&self) -> bool {
        self.trace.dry_run
    }

    /// The same connection, acting as another user in these groups (impersonation): how
    /// `roles --verify` asks the API server what a support identity may write.
    pub fn impersonating(&self, user: &str, groups: &[String]) -> Result<Connection> {
        let mut config = self.config.clone();
        config.auth_info.impersonate = Some(user.to_string());
        config.auth_info.impersonate_groups = Some(groups.to_vec());
        let client = crate::cluster::transport::client(&config, self.trace)
            .map_err(|e| Error::failed(format!("cannot build an impersonating client: {}", root_cause(&e))))?;
        Ok(Connection { client, config, ..self.clone() })
    }

    /// `--request-timeout`, `None` for no limit.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Runs one API call, bounded by `--request-timeout`, and explains its failure.
    pub async fn call<T>(&self, request: impl Future<Output = kube::Result<T>>) -> Result<T> {
        match self.timeout {
            Some(limit) => match tokio::time::timeout(limit, request).await {
                Ok(result) => result.map_err(|e| self.explain(e)),
                Err(_) => Err(self.timed_out(limit)),
            },
            None => request.await.map_err(|e| self.explain(e)),
        }
    }

    /// The caller's user name, as the API server authenticates it (SelfSubjectReview).
    pub async fn whoami(&self) -> Result<String> {
        use k8s_openapi::api::authentication::v1::SelfSubjectReview;
        let api: Api<SelfSubjectReview> = Api::all(self.client.clone());
        let review = self.call(api.create(&PostParams::default(), &SelfSubjectReview::default())).await?;
        review
            .status
            .and_then(|s| s.user_info)
            .and_then(|u| u.username)
            .filter(|name| !name.is_empty())
            .ok_or_else(|| Error::failed("the API server did not say who the caller is (empty SelfSubjectReview)"))
    }

    /// Which of these namespaces exist, each asked by name (a cluster's every namespace is not
    /// this step's to read): a namespace created or deleted a moment ago only changes which
    /// companions are made or counted.
    pub async fn existing_namespaces(&self, wanted: &[String]) -> Result<Vec<String>> {
        use k8s_openapi::api::core::v1::Namespace;
        // Each by name, at once: not a list of every namespace of the cluster.
        let api: Api<Namespace> = Api::all(self.client.clone());
        let found = futures::future::try_join_all(wanted.iter().map(|ns| self.call(api.get_metadata_opt(ns)))).await?;
        Ok(wanted.iter().zip(found).filter(|(_, found)| found.is_some()).map(|(ns, _)| ns.clone()).collect())
    }

    /// Creates the system namespace when it does not exist; true when it was created.
    pub async fn ensure_namespace(&self) -> Result<bool> {
        use k8s_openapi::api::core::v1::Namespace;
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
        let api: Api<Namespace> = Api::all(self.client.clone());
        if self.call(api.get_opt(&self.namespace)).await?.is_some() {
            return Ok(false);
        }
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(self.namespace.clone()),
                labels: Some(crate::state::managed_labels()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        match self.call(api.create(&PostParams::default(), &namespace)).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_conflict() => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn timed_out(&self, limit: Duration) -> Error {
        // A token refresh runs the credential plugin again: one that hangs is what timed out.
        if let Some(stopped) = stop_credential_plugin(&self.config) {
            return plugin_timed_out(&stopped, &self.context, limit);
        }
        Error::failed(format!(
            "the Kubernetes API server at {} did not answer within {}",
            self.server,
            crate::base::duration::format_duration(limit)
        ))
        .with_hint("check that the cluster is up, or raise --request-timeout")
    }

    /// Turns a client error into a sentence for a person.
    pub fn explain(&self, error: kube::Error) -> Error {
        match error {
            kube::Error::Api(status) => match status.code {
                403 => {
                    let error = Error::forbidden(&status.message);
                    // `-n staging`, meant as the namespace one works in: say what -n is.
                    let here = format!("in the namespace \"{}\"", self.namespace);
                    match self.namespace != crate::state::DEFAULT_NAMESPACE && status.message.contains(&here) {
                        true => error.with_hint(format!(
                            "-n names the system namespace that holds support access (by default {}), not the \
                             namespace you work in; leave it out, and to ask for access in namespace {} only, use \
                             `request --scope {}`",
                            crate::state::DEFAULT_NAMESPACE,
                            self.namespace,
                            self.namespace
                        )),
                        false => error,
                    }
                }
                401 => Error::failed(format!(
                    "the API server at {} rejected the credentials of context {:?} (401 Unauthorized): they have expired or are not valid",
                    self.server, self.context
                ))
                .with_hint("refresh the credentials (log in again) or choose another context")
                .with_status(401),
                code => Error::failed(format!("the API server answered {code} {}: {}", status.reason, status.message))
                    .with_status(code),
            },
            kube::Error::Auth(e) => Error::failed(format!(
                "cannot get credentials for context {:?}: {}",
                self.context,
                root_cause(&e)
            ))
            .with_hint("check the user's exec plugin or certificate files in the kubeconfig"),
            other => {
                let cause = root_cause(&other);
                if (cause.contains("elapsed") || cause.contains("timed out"))
                    && let Some(limit) = self.timeout
                {
                    return self.timed_out(limit);
                }
                Error::failed(format!("cannot reach the Kubernetes API server at {}: {cause}", self.server))
                    .with_hint("check that the cluster is up and that the kubeconfig points at it")
            }
        }
    }
}
