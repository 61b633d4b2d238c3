//! `version`: the plugin's version and the API server's.

use k8s_openapi::apimachinery::pkg::version::Info;
use serde::Serialize;

use crate::base::error::{Error, Result};
use crate::cli::{GlobalArgs, OutputFormat, VersionArgs};
use crate::cluster::{Connection, Target};
use crate::output::print_structured;
use crate::services::fleet::{Outcome, Plan};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Versions {
    client_version: ClientVersion,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_version: Option<Info>,
}

#[derive(Serialize)]
struct ClientVersion {
    version: &'static str,
}

impl Outcome for Versions {
    fn detail(&self) -> String {
        self.server_version.as_ref().map(|server| server.git_version.clone()).unwrap_or_default()
    }
}

pub async fn run(global: &GlobalArgs, args: &VersionArgs) -> Result<()> {
    if args.fleet.selected() {
        if args.client {
            return Err(Error::usage("--client does not contact a cluster; leave out --all-contexts/--contexts"));
        }
        return crate::services::fleet::run(global, &args.fleet, Plan { command: "version", destructive: None }, |conn| {
            async move { Ok(Versions { server_version: Some(server_version(&conn).await?), ..Versions::client() }) }
        })
        .await;
    }
    let structured = global.output.as_ref().is_some_and(OutputFormat::is_structured);
    // As kubectl: the client's version first, whether or not the server answers.
    if !structured {
        crate::outln!("Client Version: v{}", Versions::client().client_version.version);
    }
    let server_version = match args.client {
        true => None,
        false => Some(server_version(&Connection::open(global, &Target::default()).await?).await?),
    };
    let versions = Versions { server_version, ..Versions::client() };
    match &global.output {
        Some(format) if format.is_structured() => print_structured(&versions, format),
        _ => {
            if let Some(server) = &versions.server_version {
                // The API server says what its version is.
                crate::outln!("Server Version: {}", crate::output::terminal(&server.git_version));
            }
            Ok(())
        }
    }
}

impl Versions {
    fn client() -> Versions {
        Versions { client_version: ClientVersion { version: env!("CARGO_PKG_VERSION") }, server_version: None }
    }
}

async fn server_version(conn: &Connection) -> Result<Info> {
    conn.call(conn.client.apiserver_version()).await
}
