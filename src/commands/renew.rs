//! `renew`: a fresh credential for a live request, never past its end; refused when access or
//! the role is disabled, or the request is over.

use chrono::Utc;

use crate::access::require;
use crate::bindings::is_dns_label;
use crate::cli::{GlobalArgs, IdArg, OutputFormat};
use crate::cluster::{Connection, Target};
use crate::credential;
use crate::error::{Error, Result};
use crate::grant::{Grant, Grants, Scan};
use crate::history::{self, EventKind, HistoryEvent};
use crate::output::{print_structured, rfc3339, terminal};
use crate::policy::read_policy;
use crate::sweep;

pub fn check_id(id: &str) -> Result<()> {
    if is_dns_label(id) {
        Ok(())
    } else {
        Err(Error::usage(format!("{id:?} is not a request id (lowercase letters and digits, see `get`)")))
    }
}

/// Checks the id, connects, runs the lazy sweep and finds the live request: how every command
/// about one request starts.
pub async fn open_live(global: &GlobalArgs, id: &str) -> Result<(Connection, Grant)> {
    check_id(id)?;
    let conn = Connection::open(global, &Target::default()).await?;
    let swept = sweep::lazy(&conn).await?;
    if let Some((_, problem)) = swept.untrusted.iter().find(|(untrusted, _)| untrusted == id) {
        return Err(untrusted(id, problem));
    }
    let grant = find_live(&conn, id).await?;
    Ok((conn, grant))
}

fn untrusted(id: &str, problem: &str) -> Error {
    Error::refused(format!("refused: the record of request {id} cannot be trusted: {problem}"))
        .with_hint("the sweep removes untrusted bindings; a new request is needed")
}

/// The live request with this id, or an error naming it.
pub async fn find_live(conn: &Connection, id: &str) -> Result<Grant> {
    let grants = Grants::read(conn, Scan::Managed).await?;
    let now = Utc::now();
    match grants.find(id) {
        Some(grant) if grant.is_live(now) => Ok(grant.clone()),
        Some(grant) => Err(Error::refused(format!("refused: request {id} ended at {}", rfc3339(grant.end())))),
        None if let Some(invalid) = grants.invalid.iter().find(|g| g.id.as_deref() == Some(id)) => {
            Err(untrusted(id, &invalid.problem))
        }
        None => Err(Error::failed(format!("there is no request {id} on context {:?}", conn.context))
            .with_hint("`kubectl supportaccess get` lists the live requests")),
    }
}

/// Renews the request's credential, writing the kubeconfig where it was first written.
pub async fn renew(conn: &Connection, grant: &Grant, by: &str) -> Result<chrono::DateTime<Utc>> {
    let policy = read_policy(conn).await.map_err(|e| Error::refused(format!("refused: {}", e.message)))?;
    let policy = match policy {
        Some(policy) if policy.enabled => policy,
        _ => return Err(Error::refused(format!("refused: support access is disabled on context {:?}", conn.context))),
    };
    if !policy.allows(grant.role) {
        return Err(Error::refused(format!(
            "refused: role {} is no longer enabled; request {} drains",
            grant.role, grant.id
        )));
    }
    require(conn, by, &credential::minting_permissions()).await?;
    let path = credential::credential_path(&conn.context, &grant.id)?;
    let at = credential::issue(conn, grant, policy.credential_ttl, &path).await?;
    let detail = format!("credential until {}", rfc3339(at));
    history::record(conn, &[HistoryEvent::request(EventKind::Renewed, grant, by, detail)]).await?;
    Ok(at)
}

pub async fn run(global: &GlobalArgs, args: &IdArg) -> Result<()> {
    let (conn, mut grant) = open_live(global, &args.id).await?;
    // A `request` interrupted while it waited for approval is picked up here.
    if grant.pending {
        let policy = read_policy(&conn).await?.unwrap_or_default();
        grant = crate::commands::request::await_approval(&conn, &grant, &policy).await?;
    }
    let by = conn.whoami().await?;
    let at = renew(&conn, &grant, &by).await?;
    let path = credential::credential_path(&conn.context, &grant.id)?;
    match global.output {
        Some(format @ (OutputFormat::Json | OutputFormat::Yaml)) => print_structured(
            &serde_json::json!({ "id": grant.id, "credentialExpiresAt": rfc3339(at), "kubeconfig": path }),
            format,
        ),
        _ => {
            println!("Renewed request {}: credential expires at {}.", terminal(&grant.id), rfc3339(at));
            println!("Kubeconfig: {}", terminal(&path.display().to_string()));
            Ok(())
        }
    }
}
