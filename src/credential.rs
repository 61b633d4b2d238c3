//! Support credentials: a key generated here, a CertificateSigningRequest for the client signer,
//! approved through its approval subresource, the certificate awaited by watch, and a kubeconfig
//! written 0600 from its creation. The private key never leaves this machine.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::ByteString;
use k8s_openapi::api::certificates::v1::{
    CertificateSigningRequest, CertificateSigningRequestCondition, CertificateSigningRequestSpec,
    CertificateSigningRequestStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams, WatchEvent, WatchParams};
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair, PKCS_ECDSA_P256_SHA256};

use crate::cluster::Connection;
use crate::error::{Error, Result};
use crate::state;

pub use crate::credential_files::{
    check_destination, check_for_use, credential_path, default_path, forget, remember_path, write_private,
};

/// The client signer every support credential comes from.
pub const SIGNER: &str = "kubernetes.io/kube-apiserver-client";
/// X.509 organizationName: each O becomes a Kubernetes group.
const ORGANIZATION: &[u64] = &[2, 5, 4, 10];

/// A minted credential: PEM certificate and key, and the certificate's own notAfter.
pub struct Credential {
    pub certificate_pem: Vec<u8>,
    pub key_pem: String,
    pub not_after: DateTime<Utc>,
}

/// Builds the key and the CSR: CN `crusoe-support:<requestor>`, O `crusoe-support:request:<id>`
/// and O `crusoe-support`.
pub fn key_and_request(requestor: &str, id: &str) -> Result<(KeyPair, String)> {
    let failed = |e: rcgen::Error| Error::failed(format!("cannot build the certificate request: {e}"));
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, format!("crusoe-support:{requestor}"));
    // rcgen keeps one value per attribute type; the same OID under two keys gives two O values.
    name.push(DnType::OrganizationName, state::request_group(id));
    name.push(DnType::CustomDnType(ORGANIZATION.to_vec()), DnValue::Utf8String(state::SUPPORT_GROUP.into()));
    params.distinguished_name = name;
    let csr = params.serialize_request(&key).map_err(failed)?;
    Ok((key, csr.pem().map_err(failed)?))
}

/// The certificate's notAfter.
pub fn not_after(certificate_pem: &[u8]) -> Result<DateTime<Utc>> {
    let unreadable = |what: String| Error::failed(format!("the issued certificate cannot be read: {what}"));
    let (_, pem) = x509_parser::pem::parse_x509_pem(certificate_pem).map_err(|e| unreadable(e.to_string()))?;
    let certificate = pem.parse_x509().map_err(|e| unreadable(e.to_string()))?;
    DateTime::from_timestamp(certificate.validity().not_after.timestamp(), 0)
        .ok_or_else(|| unreadable("notAfter is out of range".into()))
}

/// Submits, approves and awaits a certificate for the request; the CSR object is deleted
/// afterwards whatever happened.
pub async fn mint(conn: &Connection, id: &str, requestor: &str, lifetime: Duration) -> Result<Credential> {
    let (key, csr_pem) = key_and_request(requestor, id)?;
    let api: Api<CertificateSigningRequest> = Api::all(conn.client.clone());
    let mut labels = state::managed_labels();
    labels.insert(state::REQUEST_ID_LABEL.into(), id.into());
    let csr = CertificateSigningRequest {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", state::binding_name(id))),
            labels: Some(labels),
            ..ObjectMeta::default()
        },
        spec: CertificateSigningRequestSpec {
            request: ByteString(csr_pem.into_bytes()),
            signer_name: SIGNER.into(),
            usages: Some(vec!["client auth".into()]),
            expiration_seconds: Some(lifetime.as_secs().try_into().unwrap_or(i32::MAX)),
            ..CertificateSigningRequestSpec::default()
        },
        status: None,
    };
    let created = conn
        .call(api.create(&PostParams::default(), &csr))
        .await
        .map_err(|e| step("submitting the CertificateSigningRequest", e))?;
    let name = created.metadata.name.clone().unwrap_or_default();
    let issued = approve_and_wait(conn, &api, created).await;
    let deleted = conn.call(api.delete(&name, &DeleteParams::default())).await;
    let certificate_pem = issued?;
    if let Err(e) = deleted
        && !e.is_not_found()
    {
        crate::output::warn(&format!("the CertificateSigningRequest {name} could not be deleted: {}", e.message));
    }
    let not_after = not_after(&certificate_pem)?;
    Ok(Credential { certificate_pem, key_pem: key.serialize_pem(), not_after })
}

fn step(what: &str, error: Error) -> Error {
    Error { message: format!("{what} failed: {}", error.message), ..error }
}

async fn approve_and_wait(
    conn: &Connection,
    api: &Api<CertificateSigningRequest>,
    mut csr: CertificateSigningRequest,
) -> Result<Vec<u8>> {
    let name = csr.metadata.name.clone().unwrap_or_default();
    csr.status = Some(CertificateSigningRequestStatus {
        conditions: Some(vec![CertificateSigningRequestCondition {
            type_: "Approved".into(),
            status: "True".into(),
            reason: Some("SupportAccessRequest".into()),
            message: Some(format!("approved by {} for a support request", state::MANAGED_BY_VALUE)),
            ..CertificateSigningRequestCondition::default()
        }]),
        certificate: None,
    });
    let approved = conn
        .call(api.replace_subresource("approval", &name, &PostParams::default(), &csr))
        .await
        .map_err(|e| step("approving the CertificateSigningRequest", e))?;
    let version = approved.metadata.resource_version.clone().unwrap_or_default();
    if let Some(certificate) = issued(&approved)? {
        return Ok(certificate);
    }
    let params = WatchParams::default().fields(&format!("metadata.name={name}"));
    let wait = async {
        let mut events = conn
            .call(api.watch(&params, &version))
            .await
            .map_err(|e| step("watching the CertificateSigningRequest", e))?
            .boxed();
        while let Some(event) =
            events.try_next().await.map_err(|e| step("watching for the certificate", conn.explain(e)))?
        {
            match event {
                WatchEvent::Added(csr) | WatchEvent::Modified(csr) => {
                    if let Some(certificate) = issued(&csr)? {
                        return Ok(certificate);
                    }
                }
                WatchEvent::Deleted(_) => {
                    return Err(Error::failed("the CertificateSigningRequest was deleted before it was signed"));
                }
                WatchEvent::Bookmark(_) | WatchEvent::Error(_) => {}
            }
        }
        Err(Error::failed("the API server ended the watch before the certificate was issued"))
    };
    let spinner = crate::output::Spinner::start("waiting for the certificate to be issued");
    let result = match conn.timeout() {
        Some(limit) => tokio::time::timeout(limit, wait).await.unwrap_or_else(|_| Err(not_issued(limit))),
        None => wait.await,
    };
    spinner.stop();
    result
}

fn not_issued(limit: Duration) -> Error {
    Error::failed(format!(
        "the CertificateSigningRequest was approved but no certificate was issued within {}: the signer {SIGNER} \
         is not issuing certificates",
        crate::duration::format_duration(limit)
    ))
    .with_hint("check that kube-controller-manager runs its csrsigning controller with a cluster signing key")
}

/// The certificate, once issued; an error when the request was denied or failed.
fn issued(csr: &CertificateSigningRequest) -> Result<Option<Vec<u8>>> {
    let status = csr.status.as_ref();
    for condition in status.and_then(|s| s.conditions.as_ref()).into_iter().flatten() {
        if (condition.type_ == "Denied" || condition.type_ == "Failed") && condition.status == "True" {
            return Err(Error::failed(format!(
                "the CertificateSigningRequest was {}: {}",
                condition.type_.to_lowercase(),
                condition.message.clone().or(condition.reason.clone()).unwrap_or_default()
            )));
        }
    }
    Ok(status.and_then(|s| s.certificate.as_ref()).map(|c| c.0.clone()).filter(|c| !c.is_empty()))
}

/// What minting needs of the caller: checked before anything is created.
pub fn minting_permissions() -> Vec<crate::access::Permission> {
    use crate::access::Permission;
    let certificates = "certificates.k8s.io";
    vec![
        Permission::new("create", certificates, "certificatesigningrequests"),
        Permission::new("update", certificates, "certificatesigningrequests/approval"),
        Permission::new("approve", certificates, "signers").named(SIGNER),
        Permission::new("delete", certificates, "certificatesigningrequests"),
    ]
}

/// How late after its request a certificate may be signed, at most, for its notAfter to stay
/// within the request's end.
pub const SIGNING_MARGIN: Duration = Duration::from_secs(30);

/// The shortest credential the CSR API issues.
pub const MIN_LIFETIME: Duration = Duration::from_secs(state::MIN_CREDENTIAL_TTL_SECONDS);

/// Mints a credential for a live request — for the credential TTL, never past the request's
/// end — writes its kubeconfig and records its expiry on the request.
pub async fn issue(
    conn: &Connection,
    grant: &crate::grant::Grant,
    ttl: Duration,
    path: &Path,
) -> Result<DateTime<Utc>> {
    // The signer counts the lifetime from when it signs, a moment from now: asking for the time
    // left less a margin keeps the certificate inside the request.
    let left = (grant.expires_at - Utc::now()).to_std().unwrap_or_default().saturating_sub(SIGNING_MARGIN);
    if left < MIN_LIFETIME {
        return Err(Error::refused(format!(
            "request {} ends in {}s; the shortest credential (10m, signed within {}s) would outlive it",
            grant.id,
            (left + SIGNING_MARGIN).as_secs(),
            SIGNING_MARGIN.as_secs()
        )));
    }
    let revoked_meanwhile =
        || Error::failed(format!("request {} was revoked while its credential was minted; nothing was kept", grant.id));
    // Checked right before minting, so a request revoked meanwhile gets no new certificate.
    if !crate::bindings::record_exists(conn, grant).await? {
        return Err(revoked_meanwhile());
    }
    // A policy edited by hand below the CSR API's minimum still gets a valid request.
    let credential = mint(conn, &grant.id, &grant.requestor, ttl.max(MIN_LIFETIME).min(left)).await?;
    // Recorded before it is written: a credential the record (and its admission guard) refuses —
    // the request was drained, disabled or revoked meanwhile — is dropped with its key, unwritten.
    let annotations = [(state::annotations::CREDENTIAL_EXPIRES_AT, crate::output::rfc3339(credential.not_after))];
    if let Err(e) = crate::bindings::annotate(conn, grant, &annotations).await {
        return Err(if e.is_not_found() {
            revoked_meanwhile()
        } else {
            Error { message: format!("the new credential was dropped unwritten: {}", e.message), ..e }
        });
    }
    write_private(path, &kubeconfig_text(conn, grant, &credential))?;
    Ok(credential.not_after)
}

/// The kubeconfig for a credential; a scoped request's context has its scope as namespace.
pub fn kubeconfig_text(conn: &Connection, grant: &crate::grant::Grant, credential: &Credential) -> String {
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
        "users": [{ "name": name, "user": {
            "client-certificate-data": BASE64.encode(&credential.certificate_pem),
            "client-key-data": BASE64.encode(&credential.key_pem),
        }}],
        "contexts": [{ "name": name, "context": context }],
    });
    serde_yaml::to_string(&config).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_the_requestor_and_both_groups() {
        let (_, pem) = key_and_request("alice@example.com", "abc123xy").unwrap();
        let (_, der) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).unwrap();
        use x509_parser::prelude::FromDer;
        let (_, csr) = x509_parser::certification_request::X509CertificationRequest::from_der(&der.contents).unwrap();
        let subject = &csr.certification_request_info.subject;
        let cn: Vec<_> = subject.iter_common_name().map(|a| a.as_str().unwrap().to_string()).collect();
        let mut o: Vec<_> = subject.iter_organization().map(|a| a.as_str().unwrap().to_string()).collect();
        o.sort();
        assert_eq!(cn, ["crusoe-support:alice@example.com"]);
        assert_eq!(o, ["crusoe-support", "crusoe-support:request:abc123xy"]);
    }
}
