//! The audit history's lines: one JSON object per event, `by` first, chained by `seq` and `prev`.
//! Where they are kept (the trail's chunks, and the single ConfigMap of earlier releases) is
//! the trail (state/trail.rs); each event is also a Kubernetes Event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::state::rfc3339;

/// One line of the history. `by`, its writer, comes first: the admission guard admits a bound
/// requester's or approver's line only when it starts `{"by":"<the writing user>",`, so a line
/// cannot be written in another's name (a second `by` makes the line unreadable, never trusted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEvent {
    pub by: String,
    #[serde(with = "time_format")]
    pub at: DateTime<Utc>,
    pub event: EventKind,
    pub id: Option<String>,
    pub role: Option<String>,
    pub requestor: Option<String>,
    /// The user who made the request, as the API server saw it (its record's `requested-by`).
    #[serde(rename = "requestedBy", default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<String>,
    pub reason: Option<String>,
    pub detail: String,
    /// Its place in the whole trail, 1 for the first line ever (the trail's chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The SHA-256 of the line before it (the trail's chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
    /// What the request is after this event (`pending`, `active`, `denied`, `revoked`, `ended`,
    /// …), for the Kubernetes Event's label: not a part of the history line.
    #[serde(skip)]
    pub state: Option<&'static str>,
    /// The ClusterRole a request of an allowed ClusterRole binds, for the Kubernetes Event.
    #[serde(skip)]
    pub cluster_role: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    Enabled,
    Disabled,
    Requested,
    Renewed,
    Revoked,
    /// Its requester ended it (`end`).
    Ended,
    Expired,
    Drained,
    RemovedOutOfBand,
    /// A live record's state was written by someone else (plain kubectl), as its managed fields say.
    ChangedOutOfBand,
    Invalid,
    Removed,
    Approved,
    Denied,
    Extended,
    /// Someone wrote the trail to a file (`history --export`).
    Exported,
    /// The owner removed the trail's oldest parts (`history --prune`).
    Pruned,
}

impl EventKind {
    pub fn name(self) -> String {
        serde_json::to_value(self).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }
}

mod time_format {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::state::rfc3339(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        crate::state::record::parse_time(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not RFC3339")))
    }
}

impl HistoryEvent {
    /// An event about the policy (no request).
    pub fn policy(event: EventKind, by: &str, detail: impl Into<String>) -> HistoryEvent {
        HistoryEvent {
            at: Utc::now(),
            event,
            id: None,
            role: None,
            requestor: None,
            reason: None,
            by: by.to_string(),
            requested_by: None,
            detail: detail.into(),
            seq: None,
            prev: None,
            state: None,
            cluster_role: None,
        }
    }

    /// An event about one request.
    pub fn request(
        event: EventKind,
        grant: &crate::state::record::Grant,
        by: &str,
        detail: impl Into<String>,
    ) -> HistoryEvent {
        HistoryEvent {
            id: Some(grant.id.clone()),
            role: Some(grant.role.name().to_string()),
            requestor: Some(grant.requestor.clone()),
            requested_by: Some(grant.requested_by.clone()).filter(|by| !by.is_empty()),
            reason: Some(grant.reason.clone()),
            state: Some(match event {
                EventKind::Requested if grant.pending => "pending",
                EventKind::Requested
                | EventKind::Renewed
                | EventKind::Approved
                | EventKind::Extended
                | EventKind::ChangedOutOfBand => "active",
                EventKind::Denied if grant.pending => "denied",
                EventKind::Denied => "active",
                EventKind::Revoked => "revoked",
                EventKind::Expired | EventKind::Ended => "ended",
                EventKind::Drained => "draining",
                _ => "removed",
            }),
            cluster_role: match &grant.role {
                crate::state::roles::GrantRole::Cluster(name) => Some(name.clone()),
                crate::state::roles::GrantRole::Support(_) => None,
            },
            ..HistoryEvent::policy(event, by, detail)
        }
    }

    /// The same event, the request then in `state`.
    pub fn in_state(self, state: &'static str) -> HistoryEvent {
        HistoryEvent { state: Some(state), ..self }
    }
}

/// Whether a key of the old history ConfigMap is a month (`YYYY-MM`): only those hold history.
pub fn is_month(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.len() == 7
        && bytes[4] == b'-'
        && bytes.iter().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit())
        && matches!(&key[5..], "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12")
}

/// The reason of the Kubernetes Event of `event`: `SupportAccess` and its name in CamelCase.
pub fn event_reason(event: EventKind) -> String {
    format!("SupportAccess{}", event.name().split('-').map(capitalize).collect::<String>())
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// One line of text for a person, escaped for the terminal: anyone who may edit the history
/// ConfigMap writes what it says.
pub fn describe(event: &HistoryEvent) -> String {
    let mut text = format!("{}  {:<18} by {}", rfc3339(event.at), event.event.name(), event.by);
    if let Some(id) = &event.id {
        text.push_str(&format!("  request {id}"));
        if let Some(role) = &event.role {
            text.push_str(&format!(" ({role})"));
        }
        if let Some(requestor) = &event.requestor {
            text.push_str(&format!(" for {requestor}"));
        }
        if let Some(reason) = event.reason.as_ref().filter(|r| !r.is_empty()) {
            text.push_str(&format!(", reason {reason:?}"));
        }
    }
    if !event.detail.is_empty() {
        text.push_str(&format!(": {}", event.detail));
    }
    crate::base::text::terminal(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(at: &str, detail: &str) -> HistoryEvent {
        HistoryEvent { at: at.parse().unwrap(), ..HistoryEvent::policy(EventKind::Enabled, "alice", detail) }
    }

    #[test]
    fn lines_round_trip_with_every_field() {
        let first = event("2026-10-31T23:59:59Z", "roles readonly");
        let second = event("2026-11-01T00:00:00Z", "quotes \" and\nnewlines");
        let (text, _) =
            crate::state::trail::chain(&crate::state::trail::Head::genesis(), &[first.clone(), second.clone()]);
        let line = text.lines().next().unwrap();
        assert!(line.starts_with(r#"{"by":"alice","at":"2026-10-31T23:59:59Z","event":"enabled","#), "{line}");
        let keys: Vec<String> =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line).unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 10, "{line}");
        let read: Vec<HistoryEvent> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(read[1], HistoryEvent { seq: Some(2), prev: Some(crate::state::trail::hash(line)), ..second });
    }

    #[test]
    fn a_planted_line_is_described_on_one_escaped_line() {
        let planted = HistoryEvent {
            id: Some("../../victim".into()),
            requestor: Some("\u{202e}nimda".into()),
            ..event("2026-11-01T00:00:00Z", "ok\x1b[2K\n2026-11-01T00:00:01Z  revoked")
        };
        assert_eq!(
            describe(&planted),
            "2026-11-01T00:00:00Z  enabled            by alice  request ../../victim for \\u{202e}nimda: \
             ok\\u{1b}[2K\\u{a}2026-11-01T00:00:01Z  revoked"
        );
    }

    #[test]
    fn months_are_exactly_yyyy_mm() {
        for good in ["2026-11", "1999-01", "2026-12"] {
            assert!(is_month(good), "{good}");
        }
        for bad in ["zzzz", "2026-13", "2026-00", "2026-1", "2026_11", "２０２６-11", "2026-11 ", ""] {
            assert!(!is_month(bad), "{bad}");
        }
    }
}
