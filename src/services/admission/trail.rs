//! The record's whole writes, as `crusoe-support-requesters` holds everyone but the owner to them:
//! a new chunk of the trail (its shape, its day) or an append to one (nothing else of it changes),
//! each line bounded and of the writer's party, and a Kubernetes Event of the plugin's (its shape,
//! in the writer's own name). The old single history ConfigMap is no party's to write any more.

use crate::base::text::{MAX_REASON, MAX_REQUESTOR};
use crate::services::admission::cel;
use crate::state::history;
use crate::state::history::EventKind;
use crate::state::trail;
use crate::state::{self, annotations as ann};

/// The longest history line a party may append (a reason of [`MAX_REASON`] characters, the
/// requestor, ids and a detail fit many times over).
pub(super) const MAX_LINE: usize = 8 * 1024;

/// The most one write of a party may add to the history, in bytes: a sweep's lines for many
/// requests at once fit.
pub(super) const MAX_WRITE: usize = 64 * 1024;

/// The CEL variables the trail's rules read: a chunk's data before and after the write (empty
/// maps where there is none: a CREATE has no old object, a DELETE no new one).
pub(super) fn data_variables() -> [(&'static str, String); 2] {
    [
        (
            "oldData",
            "request.operation == 'UPDATE' && has(oldObject.data) && oldObject.data != null ? oldObject.data : {}"
                .into(),
        ),
        (
            "newData",
            "request.operation != 'DELETE' && has(object.data) && object.data != null ? object.data : {}".into(),
        ),
    ]
}

/// The events a requester (or anyone without `approve`) records: only about its own requests.
const REQUESTER_EVENTS: [EventKind; 5] =
    [EventKind::Requested, EventKind::Renewed, EventKind::Extended, EventKind::Ended, EventKind::Expired];

/// The events an approver records: its answers, its revocations, a sweep's findings, its own
/// requests, an export of the trail. Never the policy's (enabled, disabled, drained, removed) or a
/// prune: those are the owner's.
const APPROVER_EVENTS: [EventKind; 12] = [
    EventKind::Requested,
    EventKind::Renewed,
    EventKind::Extended,
    EventKind::Revoked,
    EventKind::Ended,
    EventKind::Expired,
    EventKind::Approved,
    EventKind::Denied,
    EventKind::RemovedOutOfBand,
    EventKind::ChangedOutOfBand,
    EventKind::Invalid,
    EventKind::Exported,
];

/// An RE2 alternation of these events' names.
fn alternation(events: &[EventKind]) -> String {
    events.iter().map(|e| e.name()).collect::<Vec<_>>().join("|")
}

/// CEL: a list of these events' names.
fn names(events: &[EventKind]) -> String {
    cel::list(&events.iter().map(|e| e.name()).collect::<Vec<_>>())
}

/// CEL: `field` of `object`'s metadata, or `empty` when it is absent.
fn meta(object: &str, field: &str, empty: &str) -> String {
    format!("(has({object}.metadata.{field}) ? {object}.metadata.{field} : {empty})")
}

/// CEL: a party's write of a ConfigMap is a new chunk of the trail or an append to one: named as
/// a chunk, created or updated (never deleted), every existing value kept as its new value's start.
pub(super) fn chunk_write() -> String {
    format!(
        "request.operation in ['CREATE', 'UPDATE'] && object.metadata.name.matches({pattern}) && \
         variables.oldData.all(k, k in variables.newData && variables.newData[k].startsWith(variables.oldData[k]))",
        pattern = cel::string(trail::CHUNK_NAME_PATTERN),
    )
}

/// CEL, on a write of a chunk: a new one has exactly the plugin's shape (the managed labels and
/// the trail's, nothing else in its metadata); an update changes nothing of it but its data: its
/// labels, annotations, owners, finalizers and `immutable` stay as they were. No binaryData.
pub(super) fn chunk_metadata() -> String {
    let same =
        |field: &str, empty: &str| format!("{} == {}", meta("object", field, empty), meta("oldObject", field, empty));
    let mut labels = state::managed_labels();
    labels.insert(trail::CHUNK_LABEL.into(), trail::CHUNK_VALUE.into());
    let labels = labels.iter().map(|(k, v)| format!("{}: {}", cel::string(k), cel::string(v))).collect::<Vec<_>>();
    let created = [
        format!("{} == {{{}}}", meta("object", "labels", "{}"), labels.join(", ")),
        format!("{}.size() == 0", meta("object", "annotations", "{}")),
        format!("{}.size() == 0", meta("object", "ownerReferences", "[]")),
        format!("{}.size() == 0", meta("object", "finalizers", "[]")),
        "!has(object.immutable)".into(),
    ];
    let updated = [
        same("labels", "{}"),
        same("annotations", "{}"),
        same("ownerReferences", "[]"),
        same("finalizers", "[]"),
        "(has(object.immutable) ? object.immutable : false) == (has(oldObject.immutable) ? oldObject.immutable : false)"
            .into(),
    ];
    format!(
        "(request.operation == 'CREATE' ? ({}) : ({})) && \
         (!has(object.binaryData) || object.binaryData == null || object.binaryData.size() == 0)",
        created.join(" && "),
        updated.join(" && ")
    )
}

/// CEL, on a party's CREATE of a chunk: its day is the API server's (a day either side, for a
/// writer's clock), so no party opens chunks for days to come.
pub(super) fn chunk_day() -> String {
    let start = trail::CHUNK_PREFIX.len();
    format!(
        "request.operation != 'CREATE' || (has(object.metadata.creationTimestamp) && \
         timestamp(object.metadata.name.substring({start}, {end}) + 'T00:00:00Z') >= \
          timestamp(string(object.metadata.creationTimestamp)) - duration('48h') && \
         timestamp(object.metadata.name.substring({start}, {end}) + 'T00:00:00Z') <= \
          timestamp(string(object.metadata.creationTimestamp)) + duration('24h'))",
        end = start + 10,
    )
}

/// CEL: what a write added to a chunk's key `k` (all of it for a new key).
pub(super) fn appended(k: &str) -> String {
    format!(
        "({k} in variables.oldData ? variables.newData[{k}].substring(variables.oldData[{k}].size()) : \
         variables.newData[{k}])"
    )
}

/// CEL: the text a write adds to a chunk, all keys together (each key's new value starts with
/// its old one: another validation holds that first).
fn added() -> String {
    format!("variables.newData.map(k, {}).join('')", appended("k"))
}

/// CEL, on a write of a chunk: lines go only under its key `lines` (another key, planted before
/// by the owner's side, never changes), and each line and the write are bounded.
pub(super) fn chunk_bounded() -> String {
    let added = added();
    format!(
        "variables.newData.all(k, k == {key} || (k in variables.oldData && variables.newData[k] == variables.oldData[k])) && \
         bytes({added}).size() <= {MAX_WRITE} && {added}.split('\\n').all(l, l.size() <= {MAX_LINE})",
        key = cel::string(trail::CHUNK_KEY),
    )
}

/// CEL, on a write of a chunk: it stays within a chunk's size, as the plugin's own appends do.
pub(super) fn chunk_below_ceiling() -> String {
    format!(
        "bytes(variables.newData.map(k, variables.newData[k]).join('')).size() <= {}",
        trail::CHUNK_MAX_BYTES - trail::CHUNK_KEY.len()
    )
}

/// CEL: every line the write adds records an event of the writer's party (`approver`, a CEL
/// bool, asked once: RBAC is not asked per line), and a requester's only its own requests
/// (`"requestedBy":<the writer>`). Each line already starts `{"by":<the writer>,` (another
/// validation holds that first).
pub(super) fn history_events(approver: &str) -> String {
    let writer = super::build::writer_json();
    let start = format!("('{{\"by\":' + {writer} + ',')");
    let time = r#""at":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z","event":"#;
    let pattern = |events: &[EventKind]| cel::string(&format!("^{time}\"({})\",", alternation(events)));
    let each = |pattern: String, own: &str| {
        format!(
            "{added}.split('\\n').all(l, l == '' || (l.startsWith({start}) && \
             l.substring({start}.size()).matches({pattern}){own}))",
            added = added(),
        )
    };
    let own = format!(" && l.contains(',\"requestedBy\":' + {writer} + ',')");
    format!("({approver}) ? {} : {}", each(pattern(&APPROVER_EVENTS), ""), each(pattern(&REQUESTER_EVENTS), &own))
}

/// CEL: whether `object` (an Event, never null here) carries the plugin's mark: its reason, its
/// reporting component, a label or annotation of its prefix, or the history as its object.
fn marked(object: &str) -> String {
    let managed = cel::string(state::MANAGED_BY_VALUE);
    let prefix = cel::string(state::PREFIX);
    format!(
        "((has({object}.reason) && {object}.reason.lowerAscii().startsWith('supportaccess')) || \
          (has({object}.reportingComponent) && {object}.reportingComponent == {managed}) || \
          (has({object}.source) && has({object}.source.component) && {object}.source.component == {managed}) || \
          ({by}) == {managed} || {labels}.exists(k, k.startsWith({prefix})) || {annotations}.exists(k, k.startsWith({prefix})) || \
          (has({object}.involvedObject.name) && {object}.involvedObject.name in [{history}, {policy}]))",
        labels = meta(object, "labels", "{}"),
        annotations = meta(object, "annotations", "{}"),
        by = super::build::label(object, state::MANAGED_BY_LABEL),
        history = cel::string(state::HISTORY_CONFIGMAP),
        policy = cel::string(state::POLICY_CONFIGMAP),
    )
}

/// CEL for a match condition: the write is of the record in the system namespace `ns` (a CEL
/// string): its history or policy ConfigMap, or an Event that carries the plugin's mark before or
/// after. Such writes are held to the parties' rules whoever makes them, but the owner.
pub(super) fn is_record(ns: &str) -> String {
    format!(
        "request.namespace == {ns} && ((request.resource.resource == 'configmaps' && \
          ((request.operation == 'CREATE' ? object.metadata.name : request.name) in [{history}, {policy}] || \
           (request.operation == 'CREATE' ? object.metadata.name : request.name).startsWith({prefix}))) || \
          (request.resource.resource == 'events' && ((request.operation != 'DELETE' && {new}) || \
           (request.operation != 'CREATE' && {old}))))",
        history = cel::string(state::HISTORY_CONFIGMAP),
        policy = cel::string(state::POLICY_CONFIGMAP),
        prefix = cel::string(trail::CHUNK_PREFIX),
        new = marked("object"),
        old = marked("oldObject"),
    )
}

/// CEL: an Event is one the plugin writes, created in the writer's own name about an event of the
/// writer's party (`approver`, a CEL bool), a requester's only about its own request: the
/// `event` label names the event, and its reason, action, message, `by` annotation and object
/// agree with it; only the plugin's labels and annotations, each bounded; no owner, no finalizer.
pub(super) fn event_write(namespace: &str, approver: &str) -> String {
    let label = |key: &str| super::build::label("object", key);
    let annotation = |key: &str| super::build::annotation("object", key);
    let event = label(&format!("{}event", state::PREFIX));
    let by = annotation(&format!("{}by", state::PREFIX));
    let mut kinds = APPROVER_EVENTS.to_vec();
    kinds.extend(REQUESTER_EVENTS.iter().filter(|e| !APPROVER_EVENTS.contains(e)));
    let reasons: Vec<String> = kinds
        .iter()
        .map(|e| format!("{}: {}", cel::string(&e.name()), cel::string(&history::event_reason(*e))))
        .collect();
    let labels = [
        state::MANAGED_BY_LABEL.to_string(),
        state::MANAGED_LABEL.to_string(),
        format!("{}event", state::PREFIX),
        format!("{}state", state::PREFIX),
        state::REQUEST_ID_LABEL.to_string(),
        state::ROLE_LABEL.to_string(),
    ];
    let annotations = [
        format!("{}by", state::PREFIX),
        ann::REQUESTOR.into(),
        ann::REQUESTED_BY.into(),
        ann::REASON.into(),
        ann::CLUSTER_ROLE.into(),
    ];
    let head = format!("(({event}) + ' by ' + request.userInfo.username)");
    let id = label(state::REQUEST_ID_LABEL);
    let max_annotation = MAX_REASON.max(MAX_REQUESTOR);
    format!(
        "request.operation == 'CREATE' && \
         (({approver}) ? ({event}) in {approvers} : (({event}) in {requesters} && ({requested_by}) == request.userInfo.username && ({id}) != '')) && \
         has(object.reason) && object.reason == {{{reasons}}}[{event}] && \
         has(object.action) && object.action == ({event}) && \
         ({by}) == request.userInfo.username && has(object.message) && object.message.size() <= 4096 && \
         object.message.startsWith({head}) && (object.message == {head} || \
          object.message.substring({head}.size()).startsWith(': ') || \
          object.message.substring({head}.size()).startsWith(' (request ' + ({id}) + ')') || \
          object.message.substring({head}.size()).startsWith(' (request ' + ({id}) + ',')) && \
         has(object.involvedObject.kind) && object.involvedObject.kind == 'ConfigMap' && \
         has(object.involvedObject.name) && object.involvedObject.name == {history} && \
         has(object.involvedObject.namespace) && object.involvedObject.namespace == {ns} && \
         (!has(object.type) || object.type == 'Normal') && !has(object.series) && !has(object.related) && \
         (!has(object.count) || object.count <= 1) && \
         {label_map}.all(k, k in {labels}) && {annotation_map}.all(k, k in {annotations} && \
          {annotation_map}[k].size() <= {max_annotation}) && \
         {owners}.size() == 0 && {finalizers}.size() == 0",
        approvers = names(&APPROVER_EVENTS),
        requesters = names(&REQUESTER_EVENTS),
        requested_by = annotation(ann::REQUESTED_BY),
        reasons = reasons.join(", "),
        history = cel::string(state::HISTORY_CONFIGMAP),
        ns = cel::string(namespace),
        label_map = meta("object", "labels", "{}"),
        labels = cel::list(&labels),
        annotation_map = meta("object", "annotations", "{}"),
        annotations = cel::list(&annotations),
        owners = meta("object", "ownerReferences", "[]"),
        finalizers = meta("object", "finalizers", "[]"),
    )
}
