//! `version`: the plugin's version and the API server's.

use k8s_openapi::apimachinery::pkg::version::Info;
use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat, VersionArgs};
use crate::cluster::{Connection, Target};
use crate::error::Result;
use crate::output::print_structured;

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

pub async fn run(global: &GlobalArgs, args: &VersionArgs) -> Result<()> {
    let server_version = if args.client {
        None
    } else {
        let conn = Connection::open(global, &Target::default()).await?;
        Some(conn.call(conn.client.apiserver_version()).await?)
    };
    let versions = Versions { client_version: ClientVersion { version: env!("CARGO_PKG_VERSION") }, server_version };
    match global.output {
        Some(format @ (OutputFormat::Json | OutputFormat::Yaml)) => print_structured(&versions, format),
        _ => {
            println!("Client Version: v{}", versions.client_version.version);
            if let Some(server) = &versions.server_version {
                // The API server says what its version is.
                println!("Server Version: {}", crate::output::terminal(&server.git_version));
            }
            Ok(())
        }
    }
}
