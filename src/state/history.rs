//! The audit history: ConfigMap `support-access-history`, one key per month (`2026-11`) of JSON
//! lines, bounded to 900 KiB by dropping the oldest months (never the current one, never a key
//! that is not a month), appended with optimistic concurrency so nothing is lost; each event is
//! also a Kubernetes Event, which still records it when the history has no room.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::state::rfc3339;

/// The most the history ConfigMap may hold (a ConfigMap is limited to 1 MiB).
pub const MAX_BYTES: usize = 900 * 1024;

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
    Invalid,
    Removed,
    Approved,
    Denied,
    Extended,
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
                EventKind::Requested | EventKind::Renewed | EventKind::Approved | EventKind::Extended => "active",
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

    fn month(&self) -> String {
        self.at.format("%Y-%m").to_string()
    }
}

/// Whether a key of the history ConfigMap is a month (`YYYY-MM`): only those hold history.
pub fn is_month(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.len() == 7
        && bytes[4] == b'-'
        && bytes.iter().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit())
        && matches!(&key[5..], "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12")
}

/// Parses the history ConfigMap's data. Lines that do not parse, and keys that are not months,
/// are returned apart (escaped), never dropped silently.
pub fn parse(data: &BTreeMap<String, String>) -> (Vec<HistoryEvent>, Vec<String>) {
    let mut events = Vec::new();
    let mut unreadable = Vec::new();
    for (month, lines) in data {
        if !is_month(month) {
            unreadable.push(format!(
                "key {} ({} bytes) is not a month (YYYY-MM), so not history; it was left alone",
                crate::base::text::terminal(&format!("{month:?}")),
                lines.len()
            ));
            continue;
        }
        for line in lines.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<HistoryEvent>(line) {
                Ok(event) => events.push(event),
                Err(e) => unreadable.push(format!("{month}: {e}")),
            }
        }
    }
    events.sort_by_key(|e| e.at);
    (events, unreadable)
}

/// Adds lines to the data, dropping whole months older than the oldest month written to stay
/// bounded. Never removes a line of a month it writes to, nor a key that is not a month: when the
/// events cannot fit so, the data is left as it was and the months it would have dropped (none)
/// are not touched; returns whether the events were added.
pub fn append_lines(data: &mut BTreeMap<String, String>, events: &[HistoryEvent]) -> bool {
    let mut updated = data.clone();
    for event in events {
        let line = serde_json::to_string(event).expect("history events always serialize");
        let month = updated.entry(event.month()).or_default();
        month.push_str(&line);
        month.push('\n');
    }
    let written = events.iter().map(HistoryEvent::month).min().unwrap_or_default();
    let size = |data: &BTreeMap<String, String>| data.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
    while size(&updated) > MAX_BYTES {
        match updated.keys().find(|k| is_month(k) && **k < written).cloned() {
            Some(oldest) => {
                updated.remove(&oldest);
            }
            None => return false,
        }
    }
    *data = updated;
    true
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
        let mut data = BTreeMap::new();
        let first = event("2026-10-31T23:59:59Z", "roles readonly");
        let second = event("2026-11-01T00:00:00Z", "quotes \" and\nnewlines");
        append_lines(&mut data, &[first.clone(), second.clone()]);
        assert_eq!(data.keys().collect::<Vec<_>>(), ["2026-10", "2026-11"]);
        let line = data["2026-10"].lines().next().unwrap();
        let keys: Vec<String> =
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line).unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 8, "{line}");
        assert_eq!(parse(&data), (vec![first, second], vec![]));
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
    fn unreadable_lines_are_reported_not_dropped() {
        let data = BTreeMap::from([("2026-11".to_string(), "{not json\n".to_string())]);
        let (events, unreadable) = parse(&data);
        assert!(events.is_empty());
        assert_eq!(unreadable.len(), 1);
    }

    #[test]
    fn stays_under_the_bound_by_dropping_the_oldest_months() {
        let mut data = BTreeMap::new();
        let long = "x".repeat(2000);
        for month in 1..=12 {
            let events: Vec<_> = (0..60).map(|_| event(&format!("2026-{month:02}-01T00:00:00Z"), &long)).collect();
            assert!(append_lines(&mut data, &events));
        }
        let size: usize = data.iter().map(|(k, v)| k.len() + v.len()).sum();
        assert!(size <= MAX_BYTES);
        assert!(data.contains_key("2026-12") && !data.contains_key("2026-01"));
    }

    #[test]
    fn a_key_that_is_not_a_month_is_never_trimmed_and_never_costs_the_event_just_written() {
        // The review's attack: one extra key of 1,045,000 bytes.
        let mut data = BTreeMap::from([
            (
                "2026-10".to_string(),
                format!("{}\n", serde_json::to_string(&event("2026-10-01T00:00:00Z", "old")).unwrap()),
            ),
            ("zzzz".to_string(), "z".repeat(1_045_000)),
        ]);
        let before = data.clone();
        assert!(!append_lines(&mut data, &[event("2026-11-02T00:00:00Z", "new")]));
        assert_eq!(data, before, "nothing is removed when the event cannot fit");
        let (events, unreadable) = parse(&data);
        assert_eq!(events.len(), 1);
        assert!(unreadable[0].contains("\"zzzz\"") && unreadable[0].contains("not a month"), "{unreadable:?}");
        // A full current month is never trimmed either.
        let mut full = BTreeMap::from([("2026-11".to_string(), "y".repeat(MAX_BYTES))]);
        assert!(!append_lines(&mut full, &[event("2026-11-03T00:00:00Z", "new")]));
        assert_eq!(full["2026-11"].len(), MAX_BYTES);
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
