//! Support credentials: ServiceAccount tokens. A request's bindings name its ServiceAccount
//! `crusoe-support-<id>-<end>` in the system namespace; `request` and `renew` mint a token for it
//! through the TokenRequest API, never past the request's end, and write a kubeconfig 0600 from its
//! creation. Deleting the ServiceAccount kills every token it has (401 within the API server's
//! 10 s token cache), which no client certificate allows.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, PostParams};

use crate::base::error::{Error, Result};
use crate::cluster::Connection;
use crate::state;
use crate::state::record::Grant;

pub use crate::cluster::credential_files::{
    check_destination, check_for_use, credential_path, default_path, remember_path, write_private,
};

/// Removes a request's local credential files (they are worthless once it ended); a server dry
/// run ends nothing, so it keeps them.
pub fn forget(conn: &Connection, id: &str) {
    if !conn.is_dry_run() {
        crate::cluster::credential_files::forget(&conn.context, id);
    }
}

/// A minted credential: the token and when the API server says it expires.
pub struct Credential {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The request ServiceAccount as `request` and `approve` create it: managed labels and the
/// request id, its requester and end in its name, no token mounted into pods, no secrets.
pub fn account(id: &str, end: DateTime<Utc>, requester: &str) -> Result<ServiceAccount> {
    let name = state::request_account(id, end, requester)
        .ok_or_else(|| Error::refused(state::uncarried_requester(requester)))?;
    let mut labels = state::managed_labels();
    labels.insert(state::REQUEST_ID_LABEL.into(), id.into());
    Ok(ServiceAccount {
        metadata: ObjectMeta { name: Some(name), labels: Some(labels), ..ObjectMeta::default() },
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    })
}

/// Creates the ServiceAccount of `requester`'s request whose tokens may last until `end`; one
/// already there is kept. Returns its name.
pub async fn create_account(conn: &Connection, id: &str, end: DateTime<Utc>, requester: &str) -> Result<String> {
    let api: Api<ServiceAccount> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let account = account(id, end, requester)?;
    let name = account.metadata.name.clone().unwrap_or_default();
    match conn.call(api.create(&PostParams::default(), &account)).await {
        Ok(_) => Ok(name),
        Err(e) if e.is_conflict() => Ok(name),
        Err(e) => Err(step(&format!("creating ServiceAccount {name}"), e)),
    }
}

/// Deletes every ServiceAccount of these requests (by label, and by name); one already gone is
/// fine. Their tokens get 401 once the API server's token cache (10 s) lets go.
pub async fn delete_accounts(conn: &Connection, ids: &[&str]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    delete_accounts_where(conn, |account| ids.contains(&account.id)).await
}

/// Deletes the ServiceAccounts of request `id` that carry `requester`: what a requester may
/// delete of its own request.
pub async fn delete_accounts_of(conn: &Connection, id: &str, requester: &str) -> Result<()> {
    delete_accounts_where(conn, |account| account.id == id && account.requester.as_deref() == Some(requester)).await
}

/// Deletes the request ServiceAccounts of the system namespace that `doomed` picks.
async fn delete_accounts_where(conn: &Connection, doomed: impl Fn(&state::RequestAccount) -> bool) -> Result<()> {
    let api: Api<ServiceAccount> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let listed = conn.call(api.list_metadata(&ListParams::default())).await?;
    let names: Vec<String> = listed
        .items
        .iter()
        .filter_map(|sa| sa.metadata.name.clone())
        .filter(|name| state::read_request_account(name).is_some_and(|account| doomed(&account)))
        .collect();
    futures::future::try_join_all(names.iter().map(|name| delete_account(conn, name))).await?;
    Ok(())
}

/// Deletes one ServiceAccount; one already gone is fine.
pub async fn delete_account(conn: &Connection, name: &str) -> Result<()> {
    let api: Api<ServiceAccount> = Api::namespaced(conn.client.clone(), &conn.namespace);
    match conn.call(api.delete(name, &DeleteParams::default())).await {
        Err(e) if !e.is_not_found() => Err(e),
        _ => Ok(()),
    }
}

/// Deletes every request ServiceAccount in the system namespace.
pub async fn delete_all_accounts(conn: &Connection) -> Result<()> {
    let api: Api<ServiceAccount> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let listed = conn.call(api.list_metadata(&ListParams::default())).await?;
    let ids: Vec<&str> = listed
        .items
        .iter()
        .filter_map(|sa| sa.metadata.name.as_deref())
        .filter_map(state::parse_request_account)
        .map(|(id, _)| id)
        .collect();
    delete_accounts(conn, &ids).await
}

fn step(what: &str, error: Error) -> Error {
    Error { message: format!("{what} failed: {}", error.message), ..error }
}

/// Mints a token of `account` lasting `lifetime`, for the API server's own audience only.
async fn mint(conn: &Connection, account: &str, lifetime: Duration) -> Result<Credential> {
    let api: Api<ServiceAccount> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let request = TokenRequest {
        metadata: ObjectMeta::default(),
        spec: TokenRequestSpec {
            audiences: Vec::new(),
            bound_object_ref: None,
            expiration_seconds: Some(lifetime.as_secs().try_into().unwrap_or(i64::MAX)),
        },
        status: None,
    };
    let minted = conn
        .call(api.create_token_request(account, &PostParams::default(), &request))
        .await
        .map_err(|e| step(&format!("minting a token of ServiceAccount {account}"), e))?;
    let status =
        minted.status.ok_or_else(|| Error::failed("the API server returned a TokenRequest without a token"))?;
    let expires_at = DateTime::from_timestamp(status.expiration_timestamp.0.as_second(), 0)
        .ok_or_else(|| Error::failed("the API server returned a token with an unreadable expiry"))?;
    Ok(Credential { token: status.token, expires_at })
}

/// The audiences the API server gives a token that asks for none (its `--api-audiences`): learned
/// from a short token of a throwaway ServiceAccount, deleted at once with it.
pub async fn api_audiences(conn: &Connection) -> Result<Vec<String>> {
    let api: Api<ServiceAccount> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let account = ServiceAccount {
        metadata: ObjectMeta {
            generate_name: Some("supportaccess-audiences-".into()),
            labels: Some(state::managed_labels()),
            ..ObjectMeta::default()
        },
        automount_service_account_token: Some(false),
        ..ServiceAccount::default()
    };
    let created = conn
        .call(api.create(&PostParams::default(), &account))
        .await
        .map_err(|e| step("creating a ServiceAccount to learn the token audiences", e))?;
    let throwaway = created.metadata.name.unwrap_or_default();
    let request = TokenRequest {
        spec: TokenRequestSpec {
            expiration_seconds: Some(MIN_LIFETIME.as_secs() as i64),
            ..TokenRequestSpec::default()
        },
        ..TokenRequest::default()
    };
    let minted = conn.call(api.create_token_request(&throwaway, &PostParams::default(), &request)).await;
    delete_account(conn, &throwaway).await?;
    let minted = minted.map_err(|e| step("learning the API server's token audiences", e))?;
    let audiences = minted.spec.audiences;
    if audiences.is_empty() {
        return Err(Error::failed("the API server named no audience for a ServiceAccount token"));
    }
    Ok(audiences)
}

/// What minting needs of the caller: checked before anything is created.
pub fn minting_permissions(namespace: &str) -> Vec<crate::cluster::access::Permission> {
    use crate::cluster::access::Permission;
    vec![
        Permission::new("create", "", "serviceaccounts").within(namespace),
        Permission::new("create", "", "serviceaccounts/token").within(namespace),
    ]
}

/// How late after it is asked for a token may be created, at most (the API server counts its
/// lifetime from then), for its expiry to stay within the request's end.
pub const MINTING_MARGIN: Duration = Duration::from_secs(30);

/// The shortest token the TokenRequest API issues.
pub const MIN_LIFETIME: Duration = Duration::from_secs(state::MIN_CREDENTIAL_TTL_SECONDS);

/// Mints a credential for a live request — for the credential TTL, never past the request's
/// end nor its ServiceAccount's — writes its kubeconfig and records its expiry on the request.
pub async fn issue(conn: &Connection, grant: &Grant, ttl: Duration, path: &Path) -> Result<DateTime<Utc>> {
    let Some((account, account_end)) = grant
        .account
        .as_deref()
        .and_then(|name| state::parse_request_account(name).map(|(_, end)| (name.to_string(), end)))
    else {
        return Err(Error::failed(format!(
            "request {} names no ServiceAccount of its own; nothing was minted",
            grant.id
        )));
    };
    let end = grant.expires_at.min(account_end);
    let left = (end - Utc::now()).to_std().unwrap_or_default().saturating_sub(MINTING_MARGIN);
    if left < MIN_LIFETIME {
        return Err(Error::refused(format!(
            "request {} ends in {}s; the shortest credential (10m, minted within {}s) would outlive it",
            grant.id,
            (left + MINTING_MARGIN).as_secs(),
            MINTING_MARGIN.as_secs()
        )));
    }
    let revoked_meanwhile =
        || Error::failed(format!("request {} was revoked while its credential was minted; nothing was kept", grant.id));
    // Checked right before minting, so a request revoked meanwhile gets no new token.
    if !crate::cluster::records::record_exists(conn, grant).await? {
        return Err(revoked_meanwhile());
    }
    // A policy edited by hand below the TokenRequest API's minimum still gets a valid request.
    let credential = mint(conn, &account, ttl.max(MIN_LIFETIME).min(left)).await?;
    // Recorded before it is written: a credential the record (and its admission guard) refuses —
    // the request was drained, disabled or revoked meanwhile — is dropped, unwritten.
    let annotations = [(state::annotations::CREDENTIAL_EXPIRES_AT, crate::output::rfc3339(credential.expires_at))];
    if let Err(e) = crate::cluster::records::annotate(conn, grant, &annotations).await {
        return Err(if e.is_not_found() {
            revoked_meanwhile()
        } else {
            Error { message: format!("the new credential was dropped unwritten: {}", e.message), ..e }
        });
    }
    write_private(path, &kubeconfig_text(conn, grant, &credential))?;
    Ok(credential.expires_at)
}

/// The kubeconfig for a credential; a scoped request's context has its scope as namespace.
pub fn kubeconfig_text(conn: &Connection, grant: &Grant, credential: &Credential) -> String {
    let name = state::binding_name(&grant.id);
    let mut context = serde_json::json!({ "cluster": name, "user": name });
    if let Some(scope) = &grant.scope {
        context["namespace"] = scope.clone().into();
    }
    let mut cluster = serde_json::json!({ "server": conn.server });
    if !conn.trust.ca_certificates.is_empty() {
        let pem: String = conn
            .trust
            .ca_certificates
            .iter()
            .map(|der| {
                let body = BASE64.encode(der);
                let lines: Vec<&str> =
                    body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
                format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", lines.join("\n"))
            })
            .collect();
        cluster["certificate-authority-data"] = BASE64.encode(pem).into();
    }
    if conn.trust.insecure_skip_tls_verify {
        cluster["insecure-skip-tls-verify"] = true.into();
    }
    if let Some(server_name) = &conn.trust.tls_server_name {
        cluster["tls-server-name"] = server_name.clone().into();
    }
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": name,
        "clusters": [{ "name": name, "cluster": cluster }],
        "users": [{ "name": name, "user": { "token": credential.token } }],
        "contexts": [{ "name": name, "context": context }],
    });
    serde_yaml::to_string(&config).unwrap_or_default()
}
