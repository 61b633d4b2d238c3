//! Label-selected lists of bindings in the API server's protobuf form. `get` reads every record
//! (hundreds on a busy cluster, most of their bytes their managed fields): the API server
//! encodes protobuf in about half the time it takes for JSON, sends about half the bytes, and
//! decoding it here skips the JSON's text and field names (BENCHMARKS.md). Only what the
//! plugin reads of a binding is decoded; the messages below carry the field numbers of
//! Kubernetes' `generated.proto` (rbac/v1, meta/v1 and runtime), which never change.
//!
//! Anything but a successful protobuf answer that decodes in full, the list is read again as
//! JSON, the client library's way: its errors then say what went wrong, as every other call's.
//! `SUPPORTACCESS_JSON=1` reads JSON only (benchmarks and tests compare the two).

use std::collections::BTreeMap;

use bytes::Bytes;
use http_body_util::BodyExt;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{FieldsV1, ManagedFieldsEntry, ObjectMeta, OwnerReference};
use kube::Resource;
use kube::api::{Api, ListParams};
use prost::Message;
use serde::de::DeserializeOwned;

use crate::base::error::Result;
use crate::cluster::Connection;

/// A kind of binding, made from what the protobuf form carries.
pub trait Parts:
    Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug + Send + Sync + 'static
{
    fn from_parts(metadata: ObjectMeta, role_ref: RoleRef, subjects: Option<Vec<Subject>>) -> Self;
}

impl Parts for ClusterRoleBinding {
    fn from_parts(metadata: ObjectMeta, role_ref: RoleRef, subjects: Option<Vec<Subject>>) -> Self {
        ClusterRoleBinding { metadata, role_ref, subjects }
    }
}

impl Parts for RoleBinding {
    fn from_parts(metadata: ObjectMeta, role_ref: RoleRef, subjects: Option<Vec<Subject>>) -> Self {
        RoleBinding { metadata, role_ref, subjects }
    }
}

/// The protobuf media type, and the four bytes every protobuf answer starts with.
const PROTOBUF: &str = "application/vnd.kubernetes.protobuf";
const MAGIC: &[u8] = b"k8s\0";

/// `runtime.Unknown`: the envelope around the list.
#[derive(Message)]
struct Unknown {
    #[prost(bytes = "bytes", optional, tag = "2")]
    raw: Option<Bytes>,
    #[prost(string, optional, tag = "3")]
    content_encoding: Option<String>,
}

/// `ClusterRoleBindingList` and `RoleBindingList`.
#[derive(Message)]
struct List {
    #[prost(message, repeated, tag = "2")]
    items: Vec<BindingMessage>,
}

/// `ClusterRoleBinding` and `RoleBinding`.
#[derive(Message)]
struct BindingMessage {
    #[prost(message, optional, tag = "1")]
    metadata: Option<Meta>,
    #[prost(message, repeated, tag = "2")]
    subjects: Vec<SubjectMessage>,
    #[prost(message, optional, tag = "3")]
    role_ref: Option<RoleRefMessage>,
}

#[derive(Message)]
struct SubjectMessage {
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "2")]
    api_group: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    namespace: Option<String>,
}

#[derive(Message)]
struct RoleRefMessage {
    #[prost(string, optional, tag = "1")]
    api_group: Option<String>,
    #[prost(string, optional, tag = "2")]
    kind: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
}

/// `ObjectMeta`, without `selfLink` (deprecated, never set).
#[derive(Message)]
struct Meta {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    generate_name: Option<String>,
    #[prost(string, optional, tag = "3")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "5")]
    uid: Option<String>,
    #[prost(string, optional, tag = "6")]
    resource_version: Option<String>,
    #[prost(int64, optional, tag = "7")]
    generation: Option<i64>,
    #[prost(message, optional, tag = "8")]
    creation_timestamp: Option<TimeMessage>,
    #[prost(message, optional, tag = "9")]
    deletion_timestamp: Option<TimeMessage>,
    #[prost(int64, optional, tag = "10")]
    deletion_grace_period_seconds: Option<i64>,
    #[prost(btree_map = "string, string", tag = "11")]
    labels: BTreeMap<String, String>,
    #[prost(btree_map = "string, string", tag = "12")]
    annotations: BTreeMap<String, String>,
    #[prost(message, repeated, tag = "13")]
    owner_references: Vec<OwnerMessage>,
    #[prost(string, repeated, tag = "14")]
    finalizers: Vec<String>,
    #[prost(message, repeated, tag = "17")]
    managed_fields: Vec<ManagedMessage>,
}

#[derive(Message)]
struct TimeMessage {
    #[prost(int64, optional, tag = "1")]
    seconds: Option<i64>,
    #[prost(int32, optional, tag = "2")]
    nanos: Option<i32>,
}

#[derive(Message)]
struct OwnerMessage {
    #[prost(string, optional, tag = "1")]
    kind: Option<String>,
    #[prost(string, optional, tag = "3")]
    name: Option<String>,
    #[prost(string, optional, tag = "4")]
    uid: Option<String>,
    #[prost(string, optional, tag = "5")]
    api_version: Option<String>,
    #[prost(bool, optional, tag = "6")]
    controller: Option<bool>,
    #[prost(bool, optional, tag = "7")]
    block_owner_deletion: Option<bool>,
}

#[derive(Message)]
struct ManagedMessage {
    #[prost(string, optional, tag = "1")]
    manager: Option<String>,
    #[prost(string, optional, tag = "2")]
    operation: Option<String>,
    #[prost(string, optional, tag = "3")]
    api_version: Option<String>,
    #[prost(message, optional, tag = "4")]
    time: Option<TimeMessage>,
    #[prost(string, optional, tag = "6")]
    fields_type: Option<String>,
    /// `FieldsV1`: its one field, `Raw` (1), holds JSON.
    #[prost(message, optional, tag = "7")]
    fields_v1: Option<RawMessage>,
    #[prost(string, optional, tag = "8")]
    subresource: Option<String>,
}

#[derive(Message)]
struct RawMessage {
    #[prost(bytes = "bytes", optional, tag = "1")]
    raw: Option<Bytes>,
}

/// The bindings of this kind the label selector picks, as a consistent read (`cached`: as the
/// API server's watch cache holds them).
pub async fn list<K: Parts>(conn: &Connection, selector: &str, cached: bool) -> Result<Vec<K>> {
    let query = format!("labelSelector={}{}", escape(selector), if cached { "&resourceVersion=0" } else { "" });
    let request = http::Request::get(format!("{}?{query}", K::url_path(&(), None)))
        .header(http::header::ACCEPT, PROTOBUF)
        .body(kube::client::Body::empty());
    let json_only = std::env::var("SUPPORTACCESS_JSON").is_ok_and(|v| v == "1");
    let answer = async {
        let Some(request) = request.ok().filter(|_| !json_only) else { return Ok(None) };
        let response = conn.client.send(request).await?;
        let protobuf = response
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with(PROTOBUF));
        if !response.status().is_success() || !protobuf {
            return Ok(None);
        }
        Ok(Some(response.into_body().collect().await?.to_bytes()))
    };
    if let Some(items) = conn.call(answer).await?.and_then(decode) {
        return Ok(items);
    }
    let params = ListParams::default().labels(selector);
    let params = if cached { params.match_any() } else { params };
    Ok(conn.call(Api::<K>::all(conn.client.clone()).list(&params)).await?.items)
}

/// The list's bindings; `None` when the bytes are not a whole list of them. The envelope's and
/// the managed fields' bytes are slices of the answer, not copies.
fn decode<K: Parts>(bytes: Bytes) -> Option<Vec<K>> {
    if !bytes.starts_with(MAGIC) {
        return None;
    }
    let envelope = Unknown::decode(bytes.slice(MAGIC.len()..)).ok()?;
    if envelope.content_encoding.is_some_and(|e| !e.is_empty()) {
        return None;
    }
    let list = List::decode(envelope.raw?).ok()?;
    list.items.into_iter().map(binding).collect()
}

fn binding<K: Parts>(message: BindingMessage) -> Option<K> {
    let role = message.role_ref?;
    let role_ref = RoleRef { api_group: role.api_group.unwrap_or_default(), kind: role.kind?, name: role.name? };
    let subjects = message
        .subjects
        .into_iter()
        .map(|s| {
            Some(Subject { kind: s.kind?, api_group: text(s.api_group), name: s.name?, namespace: text(s.namespace) })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(K::from_parts(meta(message.metadata?)?, role_ref, (!subjects.is_empty()).then_some(subjects)))
}

fn meta(m: Meta) -> Option<ObjectMeta> {
    let owners = m.owner_references.into_iter().map(|o| {
        Some(OwnerReference {
            api_version: o.api_version?,
            kind: o.kind?,
            name: o.name?,
            uid: o.uid?,
            controller: o.controller,
            block_owner_deletion: o.block_owner_deletion,
        })
    });
    let owners = owners.collect::<Option<Vec<_>>>()?;
    let managed = m.managed_fields.into_iter().map(|e| {
        let fields = match e.fields_v1.and_then(|f| f.raw) {
            Some(raw) => Some(FieldsV1(serde_json::from_slice(&raw).ok()?)),
            None => None,
        };
        Some(ManagedFieldsEntry {
            manager: text(e.manager),
            operation: text(e.operation),
            api_version: text(e.api_version),
            time: time(e.time)?,
            fields_type: text(e.fields_type),
            fields_v1: fields,
            subresource: text(e.subresource),
        })
    });
    let managed = managed.collect::<Option<Vec<_>>>()?;
    let some_map = |map: BTreeMap<String, String>| (!map.is_empty()).then_some(map);
    Some(ObjectMeta {
        name: text(m.name),
        generate_name: text(m.generate_name),
        namespace: text(m.namespace),
        uid: text(m.uid),
        resource_version: text(m.resource_version),
        generation: m.generation.filter(|g| *g != 0),
        creation_timestamp: time(m.creation_timestamp)?,
        deletion_timestamp: time(m.deletion_timestamp)?,
        deletion_grace_period_seconds: m.deletion_grace_period_seconds,
        labels: some_map(m.labels),
        annotations: some_map(m.annotations),
        owner_references: (!owners.is_empty()).then_some(owners),
        finalizers: (!m.finalizers.is_empty()).then_some(m.finalizers),
        managed_fields: (!managed.is_empty()).then_some(managed),
        self_link: None,
    })
}

/// A string the JSON form leaves out when it is empty (Go's `omitempty`), as the JSON reads it.
fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

/// A time (`Some(None)` when there is none; `None` when it is not one).
fn time(t: Option<TimeMessage>) -> Option<Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>> {
    let Some(t) = t else { return Some(None) };
    let at = k8s_openapi::jiff::Timestamp::new(t.seconds.unwrap_or_default(), t.nanos.unwrap_or_default()).ok()?;
    Some(Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(at)))
}

/// A query value, percent-encoded but for the unreserved characters.
fn escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::rbac::v1::ClusterRoleBinding;

    #[test]
    fn a_list_that_is_not_whole_protobuf_is_not_taken() {
        assert!(decode::<ClusterRoleBinding>(Bytes::from_static(b"{\"kind\":\"ClusterRoleBindingList\"}")).is_none());
        assert!(decode::<ClusterRoleBinding>(Bytes::from_static(b"k8s\0\x12\x03abc")).is_none());
        // A binding without its roleRef is not a binding.
        let list = List { items: vec![BindingMessage { metadata: None, subjects: vec![], role_ref: None }] };
        let envelope = Unknown { raw: Some(list.encode_to_vec().into()), content_encoding: None };
        let bytes = [MAGIC, envelope.encode_to_vec().as_slice()].concat();
        assert!(decode::<ClusterRoleBinding>(bytes.into()).is_none());
    }

    #[test]
    fn selectors_are_escaped() {
        assert_eq!(escape("a/b!=true,c"), "a%2Fb%21%3Dtrue%2Cc");
    }
}
