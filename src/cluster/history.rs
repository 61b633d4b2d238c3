//! The history ConfigMap and the Kubernetes Events, written and read: each event appended as a
//! line, and emitted as an Event.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Api, PostParams};

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::output;
use crate::state;
use crate::state::history::*;

/// Appends events to the history, retrying on conflict, and emits a Kubernetes Event for each.
pub async fn record(conn: &Connection, events: &[HistoryEvent]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    for attempt in 0.. {
        let current = conn.call(api.get_opt(state::HISTORY_CONFIGMAP)).await?;
        let result = match current {
            Some(mut map) => {
                let mut data = map.data.take().unwrap_or_default();
                if !append_lines(&mut data, events) {
                    output::warn(&format!(
                        "the history ConfigMap {}/{} has no room for this event (its current month and keys that \
                         are not months fill it), so it was not written there; the Kubernetes Event records it",
                        conn.namespace,
                        state::HISTORY_CONFIGMAP
                    ));
                    break;
                }
                map.data = Some(data);
                conn.call(api.replace(state::HISTORY_CONFIGMAP, &PostParams::default(), &map)).await
            }
            None => {
                let mut data = BTreeMap::new();
                append_lines(&mut data, events);
                let map = ConfigMap {
                    metadata: ObjectMeta {
                        name: Some(state::HISTORY_CONFIGMAP.into()),
                        labels: Some(state::managed_labels()),
                        ..ObjectMeta::default()
                    },
                    data: Some(data),
                    ..ConfigMap::default()
                };
                conn.call(api.create(&PostParams::default(), &map)).await
            }
        };
        match result {
            Ok(_) => break,
            Err(e) if e.is_conflict() && attempt < 100 => crate::base::retry::backoff(attempt).await,
            Err(e) if e.message.contains(crate::state::refusals::HISTORY_FULL_FOR_PARTIES) => {
                output::warn(&format!(
                    "the history ConfigMap {}/{} has no room left for a requester's or approver's lines (its \
                     last 100 KiB are the owner's), so this event was not written there; the Kubernetes Event \
                     records it, and the owner exports and trims the history",
                    conn.namespace,
                    state::HISTORY_CONFIGMAP
                ));
                break;
            }
            Err(e) => return Err(e),
        }
    }
    for event in events {
        emit_event(conn, event).await;
    }
    Ok(())
}

/// A Kubernetes Event beside the history line; failing to emit it only warns, as the history
/// ConfigMap is the record.
async fn emit_event(conn: &Connection, event: &HistoryEvent) {
    let api: Api<Event> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let reason = event_reason(event.event);
    let mut message = format!("{} by {}", event.event.name(), event.by);
    if let Some(id) = &event.id {
        message.push_str(&format!(" (request {id}"));
        if let Some(role) = &event.role {
            message.push_str(&format!(", {role}"));
        }
        if let Some(requestor) = &event.requestor {
            message.push_str(&format!(", requestor {requestor}"));
        }
        if let Some(state) = event.state {
            message.push_str(&format!(", state {state}"));
        }
        message.push(')');
    }
    if !event.detail.is_empty() {
        message.push_str(&format!(": {}", event.detail));
    }
    let Ok(stamp) = k8s_openapi::jiff::Timestamp::from_second(event.at.timestamp()) else {
        return;
    };
    let time = Time(stamp);
    // What a tool selects on besides `reason` and the message: labels for the request, the event
    // and the state it leaves the request in; annotations for the free text (never a label value).
    let mut labels = state::managed_labels();
    let mut annotations = BTreeMap::from([(format!("{}by", state::PREFIX), event.by.clone())]);
    labels.insert(format!("{}event", state::PREFIX), event.event.name());
    if let Some(id) = &event.id {
        labels.insert(state::REQUEST_ID_LABEL.into(), id.clone());
    }
    if let Some(at) = event.state {
        labels.insert(format!("{}state", state::PREFIX), at.into());
    }
    if let Some(role) = &event.role {
        let value = if event.cluster_role.is_some() { state::CLUSTER_ROLE_LABEL_VALUE } else { role.as_str() };
        labels.insert(state::ROLE_LABEL.into(), value.into());
    }
    for (key, value) in [
        (state::annotations::REQUESTOR, &event.requestor),
        (state::annotations::REQUESTED_BY, &event.requested_by),
        (state::annotations::REASON, &event.reason),
        (state::annotations::CLUSTER_ROLE, &event.cluster_role),
    ] {
        if let Some(value) = value {
            annotations.insert(key.into(), value.clone());
        }
    }
    let object = Event {
        metadata: ObjectMeta {
            generate_name: Some("support-access-".into()),
            labels: Some(labels),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some("v1".into()),
            kind: Some("ConfigMap".into()),
            name: Some(state::HISTORY_CONFIGMAP.into()),
            namespace: Some(conn.namespace.clone()),
            ..ObjectReference::default()
        },
        reason: Some(reason),
        message: Some(message),
        action: Some(event.event.name()),
        reporting_component: Some(state::MANAGED_BY_VALUE.into()),
        reporting_instance: Some(state::MANAGED_BY_VALUE.into()),
        type_: Some("Normal".into()),
        first_timestamp: Some(time.clone()),
        last_timestamp: Some(time),
        count: Some(1),
        source: Some(EventSource { component: Some(state::MANAGED_BY_VALUE.into()), host: None }),
        ..Event::default()
    };
    if let Err(e) = conn.call(api.create(&PostParams::default(), &object)).await {
        output::warn(&format!("the history was written, but its Kubernetes Event was not: {}", e.message));
    }
}

/// Reads the whole history, oldest first, plus the lines that do not parse.
pub async fn read(conn: &Connection) -> Result<(Vec<HistoryEvent>, Vec<String>)> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let map = conn.call(api.get_opt(state::HISTORY_CONFIGMAP)).await?;
    Ok(parse(&map.and_then(|m| m.data).unwrap_or_default()))
}
