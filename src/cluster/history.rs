//! The history ConfigMap and the Kubernetes Events, written and read: each event appended as a
//! line, and emitted as an Event.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::{ConfigMap, Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{Api, ListParams, PartialObjectMeta, Patch, PatchParams, PostParams};

use crate::base::error::Result;
use crate::cluster::Connection;
use crate::output;
use crate::state;
use crate::state::history::*;
use crate::state::trail::*;

/// Appends events to the trail, chained to the line before, and emits a Kubernetes Event for each.
pub async fn record(conn: &Connection, events: &[HistoryEvent]) -> Result<()> {
    // Many events (a `disable --now` of hundreds) go in writes that each fit a part.
    let mut batch = Vec::new();
    let mut size = 0;
    for event in events {
        let line = serde_json::to_string(event).map(|l| l.len()).unwrap_or_default() + LINE_CHAIN_BYTES;
        if !batch.is_empty() && size + line > CHUNK_MAX_BYTES / 2 {
            append_events(conn, &std::mem::take(&mut batch)).await?;
            size = 0;
        }
        batch.push(event.clone());
        size += line;
    }
    if !batch.is_empty() {
        append_events(conn, &batch).await?;
    }
    for event in events {
        emit_event(conn, event).await;
    }
    Ok(())
}

/// What `seq` and `prev` add to a line, at most.
const LINE_CHAIN_BYTES: usize = 100;

/// Appends events to the trail's newest chunk (or opens the next one), retrying on conflict.
async fn append_events(conn: &Connection, events: &[HistoryEvent]) -> Result<()> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    // The part a conflicting write aimed at: where the next try looks first (two reads, not the
    // day's probe), so that writers racing for it retry quickly.
    let mut aimed: Option<Chunk> = None;
    for attempt in 0.. {
        let found = match aimed {
            Some(chunk) => again(conn, &api, chunk, events).await?,
            None => None,
        };
        let next = match found {
            Some(next) => next,
            None => newest(conn, &api, events).await?,
        };
        let result = match next {
            Newest::Room(map) => {
                let name = map.metadata.name.clone().unwrap_or_default();
                aimed = Chunk::parse(&name);
                conn.call(api.replace(&name, &PostParams::default(), &map)).await
            }
            Newest::Open(chunk, text) => {
                conn.call(api.create(&PostParams::default(), &chunk_object(chunk, text))).await
            }
            Newest::Full => {
                output::warn(&format!(
                    "the trail has no part left for today ({MAX_PARTS} of {} KiB each), so this event was not \
                     written there; the Kubernetes Event records it",
                    CHUNK_MAX_BYTES / 1024
                ));
                break;
            }
        };
        match result {
            Ok(_) => break,
            Err(e) if e.is_conflict() && attempt < 100 => crate::base::retry::backoff_doubling(attempt, 2).await,
            Err(e) if e.message.contains(crate::state::refusals::HISTORY_FULL_FOR_PARTIES) => {
                output::warn(&format!(
                    "the trail has no room left for a requester's or approver's lines today, so this event was not \
                     written there; the Kubernetes Event records it: {}",
                    e.message
                ));
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Where `events` go after a conflict on `chunk`: onto it again, or into the part after it,
/// when it is still the newest of its day; `None` to look anew.
async fn again(
    conn: &Connection,
    api: &Api<ConfigMap>,
    chunk: Chunk,
    events: &[HistoryEvent],
) -> Result<Option<Newest>> {
    let Some(next) = chunk.next() else {
        return Ok(None);
    };
    let (name, after) = (chunk.name(), next.name());
    let (map, later) = tokio::try_join!(conn.call(api.get_opt(&name)), conn.call(api.get_metadata_opt(&after)))?;
    Ok(match (map, later) {
        (Some(map), None) => Some(match append(&map, events) {
            (Some(appended), _) => Newest::Room(Box::new(appended)),
            (None, text) => Newest::Open(next, text),
        }),
        _ => None,
    })
}

/// Where the next lines go.
enum Newest {
    /// The newest chunk with the lines appended.
    Room(Box<ConfigMap>),
    /// A chunk to open, with these lines.
    Open(Chunk, String),
    /// Today's parts are all full.
    Full,
}

/// The events chained after `map`'s lines, appended to it when they fit.
fn append(map: &ConfigMap, events: &[HistoryEvent]) -> (Option<ConfigMap>, String) {
    let (text, _) = chain(&head_of(Some(map)), events);
    let size: usize = map.data.iter().flatten().map(|(k, v)| k.len() + v.len()).sum();
    if size + text.len() > CHUNK_MAX_BYTES {
        return (None, text);
    }
    let mut map = map.clone();
    map.data.get_or_insert_default().entry(CHUNK_KEY.into()).or_default().push_str(&text);
    (Some(map), text)
}

/// Where `events` go: today's newest part when it has room, else the next part; on today's first
/// line, a new chunk chained to the newest chunk of an earlier day (or to the old history), or
/// appended to a later day's newest chunk should there be one (a clock behind).
async fn newest(conn: &Connection, api: &Api<ConfigMap>, events: &[HistoryEvent]) -> Result<Newest> {
    let today = Chunk::first(Utc::now().date_naive());
    let (chunk, found) = match newest_part(conn, api, today).await? {
        Some((chunk, map)) if chunk >= today => (chunk, map),
        Some((_, before)) => return Ok(Newest::Open(today, chain(&head_of(Some(&before)), events).0)),
        None => return Ok(Newest::Open(today, chain(&legacy_head(conn, api).await?, events).0)),
    };
    match append(&found, events) {
        (Some(appended), _) => Ok(Newest::Room(Box::new(appended))),
        (None, text) => Ok(chunk.next().map_or(Newest::Full, |next| Newest::Open(next, text))),
    }
}

/// How many days before today are asked for by name, before the trail's whole list is read.
const DAYS_BACK: u64 = 7;

/// The trail's newest part and its place: today's last; else tomorrow's (a writer's clock ahead)
/// or the nearest earlier day's of the last week, their first parts asked for by name in one
/// round trip; else the newest the list of every chunk names (a trail idle for longer). What it
/// costs does not grow with the trail's length but on a day after a week without a line.
async fn newest_part(conn: &Connection, api: &Api<ConfigMap>, today: Chunk) -> Result<Option<(Chunk, ConfigMap)>> {
    if let Some(found) = last_of_day(conn, api, today).await? {
        return Ok(Some(found));
    }
    let near: Vec<Chunk> = std::iter::once(today.day.succ_opt())
        .chain((1..=DAYS_BACK).map(|back| today.day.checked_sub_days(chrono::Days::new(back))))
        .flatten()
        .map(Chunk::first)
        .collect();
    let asked = near.iter().map(|chunk| async move { conn.call(api.get_metadata_opt(&chunk.name())).await });
    let answers = futures::future::try_join_all(asked).await?;
    let day = match near.iter().zip(&answers).find(|(_, answer)| answer.is_some()) {
        Some((chunk, _)) => Some(*chunk),
        None => chunks(conn).await?.last().map(|c| Chunk::first(c.day)),
    };
    match day {
        Some(day) => last_of_day(conn, api, day).await,
        None => Ok(None),
    }
}

/// How many of a day's parts are asked for at once.
const PROBE: u32 = 8;

/// A day's parts, each asked for by name with `ask`, `PROBE` at a time in one round trip, up to
/// the first missing one.
async fn probe_day<T, F, Fut>(day: Chunk, ask: F) -> Result<Vec<(Chunk, T)>>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let mut found = Vec::new();
    let mut start = Some(day);
    while let Some(first) = start {
        let batch: Vec<Chunk> = std::iter::successors(Some(first), |c| c.next()).take(PROBE as usize).collect();
        let answers = futures::future::try_join_all(batch.iter().map(|chunk| ask(chunk.name()))).await?;
        let present = answers.iter().take_while(|a| a.is_some()).count();
        found.extend(batch.iter().copied().zip(answers.into_iter().flatten()).take(present));
        start = (present == batch.len()).then(|| batch.last().and_then(|c| c.next())).flatten();
    }
    Ok(found)
}

/// A day's parts, each read in full.
async fn parts_of_day(conn: &Connection, api: &Api<ConfigMap>, day: Chunk) -> Result<Vec<(Chunk, ConfigMap)>> {
    probe_day(day, |name| async move { conn.call(api.get_opt(&name)).await }).await
}

/// A day's parts' metadata.
async fn metadata_of_day(
    conn: &Connection,
    api: &Api<ConfigMap>,
    day: Chunk,
) -> Result<Vec<(Chunk, PartialObjectMeta<ConfigMap>)>> {
    probe_day(day, |name| async move { conn.call(api.get_metadata_opt(&name)).await }).await
}

/// The last of a day's parts, if the day has one: the parts' metadata tells which it is, and only
/// it is read in full (what this reads is one part, however many the day has).
async fn last_of_day(conn: &Connection, api: &Api<ConfigMap>, day: Chunk) -> Result<Option<(Chunk, ConfigMap)>> {
    let Some((last, _)) = metadata_of_day(conn, api, day).await?.pop() else {
        return Ok(None);
    };
    Ok(conn.call(api.get_opt(&last.name())).await?.map(|map| (last, map)))
}

/// Makes the trail's closed parts of the last week immutable (`sweep`, as the owner), so that no
/// one, cluster-admin included, rewrites a line of them but by deleting and making the part again
/// (which `history --verify` names). Closed: every part of a day before yesterday, and each of
/// yesterday's and today's but the day's last (a writer whose clock is a day behind still appends
/// to yesterday's last). A part already immutable, as its managed fields tell, is left alone; a
/// week of days asked for by name costs the same however long the trail is. Returns the parts
/// made immutable.
pub async fn seal_closed(conn: &Connection) -> Result<Vec<String>> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let today = Utc::now().date_naive();
    let days: Vec<chrono::NaiveDate> =
        (0..=DAYS_BACK).filter_map(|back| today.checked_sub_days(chrono::Days::new(back))).collect();
    let found =
        futures::future::try_join_all(days.iter().map(|day| metadata_of_day(conn, &api, Chunk::first(*day)))).await?;
    let mut closed = Vec::new();
    for (day, parts) in days.iter().zip(found) {
        let open = usize::from((today - *day).num_days() <= 1);
        let keep = parts.len().saturating_sub(open);
        closed.extend(parts.into_iter().take(keep).filter(|(_, meta)| !is_immutable(meta)).map(|(c, _)| c.name()));
    }
    let (seal, params) = (Patch::Merge(serde_json::json!({ "immutable": true })), PatchParams::default());
    futures::future::try_join_all(closed.iter().map(|name| conn.call(api.patch(name, &params, &seal)))).await?;
    Ok(closed)
}

/// Whether a part was made immutable: its managed fields own `immutable` (a metadata-only read
/// does not carry the field itself).
fn is_immutable(meta: &PartialObjectMeta<ConfigMap>) -> bool {
    meta.metadata
        .managed_fields
        .iter()
        .flatten()
        .any(|entry| entry.fields_v1.as_ref().is_some_and(|fields| fields.0.get("f:immutable").is_some()))
}

/// The head at the end of a chunk (the genesis for none).
fn head_of(map: Option<&ConfigMap>) -> Head {
    Head::after(&Head::genesis(), lines(map))
}

/// The lines of a chunk (the one key [`CHUNK_KEY`]).
fn lines(map: Option<&ConfigMap>) -> impl Iterator<Item = &str> {
    map.and_then(|m| m.data.as_ref()).and_then(|d| d.get(CHUNK_KEY)).into_iter().flat_map(|text| text.lines())
}

/// The head of the old single history ConfigMap (its month keys in order), or the genesis.
async fn legacy_head(conn: &Connection, api: &Api<ConfigMap>) -> Result<Head> {
    let old = conn.call(api.get_opt(state::HISTORY_CONFIGMAP)).await?;
    Ok(Head::after(&Head::genesis(), legacy_lines(old.as_ref())))
}

/// The lines of the old history ConfigMap: its month keys, oldest first.
fn legacy_lines(map: Option<&ConfigMap>) -> impl Iterator<Item = &str> {
    map.and_then(|m| m.data.as_ref())
        .into_iter()
        .flat_map(|d| d.iter())
        .filter(|(k, _)| is_month(k))
        .flat_map(|(_, text)| text.lines())
}

/// A new chunk holding `text`.
fn chunk_object(chunk: Chunk, text: String) -> ConfigMap {
    let mut labels = state::managed_labels();
    labels.insert(CHUNK_LABEL.into(), CHUNK_VALUE.into());
    ConfigMap {
        metadata: ObjectMeta { name: Some(chunk.name()), labels: Some(labels), ..ObjectMeta::default() },
        data: Some(BTreeMap::from([(CHUNK_KEY.to_string(), text)])),
        ..ConfigMap::default()
    }
}

/// The trail's chunks, oldest first, by name (one metadata-only list).
pub async fn chunks(conn: &Connection) -> Result<Vec<Chunk>> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let list = conn.call(api.list_metadata(&ListParams::default().labels(&chunk_selector()))).await?;
    let mut chunks: Vec<Chunk> =
        list.items.iter().filter_map(|m| m.metadata.name.as_deref().and_then(Chunk::parse)).collect();
    chunks.sort();
    Ok(chunks)
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

/// Where the trail's chain stands: today's last part (found by name: the day's parts' metadata,
/// then the last in full), else the newest part of an earlier day (or the old history). `None`:
/// no trail at all.
pub async fn head(conn: &Connection) -> Result<Option<Head>> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    let head = match newest_part(conn, &api, Chunk::first(Utc::now().date_naive())).await? {
        Some((_, map)) => head_of(Some(&map)),
        None => legacy_head(conn, &api).await?,
    };
    Ok((head.seq > 0).then_some(head))
}

/// The trail's newest chunk, if it has one.
pub async fn newest_chunk(conn: &Connection) -> Result<Option<ConfigMap>> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    Ok(newest_part(conn, &api, Chunk::first(Utc::now().date_naive())).await?.map(|(_, map)| map))
}

/// Windows of fewer days than this are read day by day, by name, every day at once: the sweeps'
/// window (eight days, or the policy's longest request and a day) costs the same however long the
/// trail is. Longer windows list the trail's chunks first.
const BY_NAME_DAYS: i64 = 16;

/// The trail's parts, oldest first: the old history ConfigMap, then every chunk, or with `since`
/// only the chunks that may hold lines from then on (the day before, against a writer's clock
/// behind), and the old history only when no chunk is that old. Keys of a chunk but its lines,
/// and of the old history but its months, are returned apart (escaped), never dropped silently.
pub async fn read_parts(conn: &Connection, since: Option<DateTime<Utc>>) -> Result<(Vec<Part>, Vec<String>)> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), &conn.namespace);
    // A line is in a part of its own day or later (a part is named by its writer's day, which is
    // never before the line's own time).
    let from = since.map(|at| at.date_naive());
    let mut maps: Vec<ConfigMap> = Vec::new();
    let legacy_needed = match from {
        None => {
            let mut params = ListParams::default().labels(&chunk_selector()).limit(100);
            loop {
                let page = conn.call(api.list(&params)).await?;
                maps.extend(page.items);
                match page.metadata.continue_.filter(|c| !c.is_empty()) {
                    Some(token) => params = params.continue_token(&token),
                    None => break,
                }
            }
            true
        }
        // A few days: each day's parts by name, every day at once (no list of the whole trail).
        Some(from) if (Utc::now().date_naive() - from).num_days() < BY_NAME_DAYS => {
            let days = from.iter_days().take_while(|d| *d <= Utc::now().date_naive()).map(Chunk::first);
            let read = futures::future::try_join_all(days.map(|day| parts_of_day(conn, &api, day))).await?;
            maps.extend(read.into_iter().flatten().map(|(_, map)| map));
            // The old history only matters while the trail's chunks do not reach back that far.
            conn.call(api.get_metadata_opt(state::HISTORY_CONFIGMAP)).await?.is_some()
                && chunks(conn).await?.first().is_none_or(|c| c.day >= from)
        }
        Some(from) => {
            let names = chunks(conn).await?;
            let wanted = names.iter().filter(|c| c.day >= from).map(|chunk| {
                let (api, name) = (&api, chunk.name());
                async move { conn.call(api.get_opt(&name)).await }
            });
            maps.extend(futures::future::try_join_all(wanted).await?.into_iter().flatten());
            names.first().is_none_or(|c| c.day >= from)
        }
    };
    let mut parts = Vec::new();
    let mut unreadable = Vec::new();
    if legacy_needed && let Some(old) = conn.call(api.get_opt(state::HISTORY_CONFIGMAP)).await? {
        for (key, value) in old.data.iter().flatten().filter(|(k, _)| !is_month(k)) {
            unreadable.push(format!(
                "{}: key {} ({} bytes) is not a month (YYYY-MM), so not history; it was left alone",
                state::HISTORY_CONFIGMAP,
                crate::base::text::terminal(&format!("{key:?}")),
                value.len()
            ));
        }
        parts.push(Part {
            name: state::HISTORY_CONFIGMAP.into(),
            lines: legacy_lines(Some(&old)).map(str::to_string).collect(),
            unchained: true,
            created: None,
        });
    }
    let mut chunked: Vec<(Chunk, ConfigMap)> =
        maps.into_iter().filter_map(|m| Some((Chunk::parse(m.metadata.name.as_deref()?)?, m))).collect();
    chunked.sort_by_key(|(c, _)| *c);
    for (chunk, map) in chunked {
        for (key, value) in map.data.iter().flatten().filter(|(k, _)| *k != CHUNK_KEY) {
            unreadable.push(format!(
                "{}: key {} ({} bytes) holds no lines of the trail; it was left alone",
                chunk.name(),
                crate::base::text::terminal(&format!("{key:?}")),
                value.len()
            ));
        }
        if map.binary_data.as_ref().is_some_and(|b| !b.is_empty()) {
            unreadable.push(format!("{}: binaryData holds no lines of the trail; it was left alone", chunk.name()));
        }
        let created = map.metadata.creation_timestamp.as_ref().and_then(|t| state::parse_time(&t.0.to_string()));
        parts.push(Part {
            name: chunk.name(),
            lines: lines(Some(&map)).map(str::to_string).collect(),
            unchained: false,
            created,
        });
    }
    Ok((parts, unreadable))
}

/// The trail's events, oldest first (see [`read_parts`]), plus what does not parse.
pub async fn read(conn: &Connection, since: Option<DateTime<Utc>>) -> Result<(Vec<HistoryEvent>, Vec<String>)> {
    let (parts, mut unreadable) = read_parts(conn, since).await?;
    let mut events = Vec::new();
    for part in &parts {
        for (index, line) in part.lines.iter().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            match serde_json::from_str::<HistoryEvent>(line) {
                Ok(event) => events.push(event),
                Err(e) => unreadable.push(format!("line {} of {}: {e}", index + 1, part.name)),
            }
        }
    }
    events.sort_by_key(|e| e.at);
    if let Some(since) = since {
        events.retain(|e| e.at >= since);
    }
    Ok((events, unreadable))
}
