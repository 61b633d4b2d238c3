//! The trail's layout and chain (issues 43 and 45). The history is spread over chunk ConfigMaps
//! `support-access-history-YYYY-MM-DD-NN` (the UTC day a chunk was opened, and its part that day,
//! `00` to `99`), labelled [`CHUNK_LABEL`]`=chunk`, each holding its lines under the one key
//! [`CHUNK_KEY`] and at most [`CHUNK_MAX_BYTES`] (64 KiB): an append writes one small object, whatever the
//! trail's length, and nothing is ever dropped to make room. The single ConfigMap of earlier
//! releases (`support-access-history`, a key per month) is read as the trail's oldest part and
//! never written again.
//!
//! Each line carries `seq`, its place in the whole trail (1 for the first line ever), and `prev`,
//! the SHA-256 (lowercase hex) of the exact text of the line before it (the first line's is
//! [`GENESIS`]; the first of a chunk chains to the last of the chunk before; the first written
//! after an old history's lines chains to its last line, and counts them). Lines of old releases
//! carry neither and are counted, not checked.

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::state::history::{EventKind, HistoryEvent};

/// The name of every chunk starts so; the day and part follow.
pub const CHUNK_PREFIX: &str = "support-access-history-";
/// The label every chunk carries, with value [`CHUNK_VALUE`]: readers list chunks by it.
pub const CHUNK_LABEL: &str = "support-access.crusoe.ai/trail";
pub const CHUNK_VALUE: &str = "chunk";
/// The one key of a chunk that holds lines.
pub const CHUNK_KEY: &str = "lines";
/// The most a chunk holds: the next line goes to a new part. An append reads and writes one part,
/// so this bounds its cost (a day at 100 requests, ~165 KB, is three parts).
pub const CHUNK_MAX_BYTES: usize = 64 * 1024;
/// Parts a day may have (`00` to `99`).
pub const MAX_PARTS: u32 = 100;
/// The `prev` of the first line of a trail.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `support-access.crusoe.ai/trail=chunk`.
pub fn chunk_selector() -> String {
    format!("{CHUNK_LABEL}={CHUNK_VALUE}")
}

/// A chunk's place: the day it was opened and its part that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Chunk {
    pub day: NaiveDate,
    pub part: u32,
}

impl Chunk {
    pub fn first(day: NaiveDate) -> Chunk {
        Chunk { day, part: 0 }
    }

    /// The next part of the same day, if the day has one left.
    pub fn next(self) -> Option<Chunk> {
        (self.part + 1 < MAX_PARTS).then_some(Chunk { part: self.part + 1, ..self })
    }

    pub fn name(self) -> String {
        format!("{CHUNK_PREFIX}{}-{:02}", self.day.format("%Y-%m-%d"), self.part)
    }

    /// The chunk a ConfigMap's name names, or none (the old history, or any other name).
    pub fn parse(name: &str) -> Option<Chunk> {
        let rest = name.strip_prefix(CHUNK_PREFIX)?;
        let (day, part) = rest.rsplit_once('-')?;
        if day.len() != 10 || part.len() != 2 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
        (day.format("%Y-%m-%d").to_string() == rest[..10]).then_some(Chunk { day, part: part.parse().ok()? })
    }
}

/// The RE2 pattern a chunk's name matches (the guards hold every chunk to it).
pub const CHUNK_NAME_PATTERN: &str = "^support-access-history-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}$";

/// SHA-256 of a line's exact text, lowercase hex.
pub fn hash(line: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(64);
    for byte in Sha256::digest(line.as_bytes()) {
        text.push(HEX[usize::from(byte >> 4)] as char);
        text.push(HEX[usize::from(byte & 15)] as char);
    }
    text
}

/// Where the chain stands: how many lines it has and the hash of the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

impl Head {
    pub fn genesis() -> Head {
        Head { seq: 0, hash: GENESIS.into() }
    }

    /// The head after these lines of a chunk (or an old history), given the head before them:
    /// the last line's own `seq` when it says one, else the lines counted on.
    pub fn after<'a>(before: &Head, lines: impl IntoIterator<Item = &'a str>) -> Head {
        // Only the last line is hashed, and read back only to the last that says its `seq`.
        let lines: Vec<&str> = lines.into_iter().filter(|l| !l.trim().is_empty()).collect();
        let Some(last) = lines.last() else {
            return before.clone();
        };
        let seq = lines
            .iter()
            .rev()
            .enumerate()
            .find_map(|(back, line)| seq_of(line).map(|seq| seq + back as u64))
            .unwrap_or(before.seq + lines.len() as u64);
        Head { seq, hash: hash(last) }
    }

    /// A short form for people: the first 12 hex digits.
    pub fn short(&self) -> &str {
        &self.hash[..self.hash.len().min(12)]
    }
}

/// The `seq` a line says it has.
pub fn seq_of(line: &str) -> Option<u64> {
    serde_json::from_str::<serde_json::Value>(line).ok()?.get("seq")?.as_u64()
}

/// The events as lines chained after `head` (each ending in a newline), and the head after them.
pub fn chain(head: &Head, events: &[HistoryEvent]) -> (String, Head) {
    let mut text = String::new();
    let mut head = head.clone();
    for event in events {
        let line = serde_json::to_string(&HistoryEvent {
            seq: Some(head.seq + 1),
            prev: Some(head.hash.clone()),
            ..event.clone()
        })
        .expect("history events always serialize");
        head = Head { seq: head.seq + 1, hash: hash(&line) };
        text.push_str(&line);
        text.push('\n');
    }
    (text, head)
}

/// One part of the trail as read: its name and its lines, in order.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub lines: Vec<String>,
    /// Whether lines of this part carry no chain (the old single ConfigMap).
    pub unchained: bool,
    /// When the API server made the object (a chunk is made on its day, a day either side).
    pub created: Option<chrono::DateTime<chrono::Utc>>,
}

/// The detail of a `pruned` line: what it removed, so that `history --verify` accepts the trail
/// starting after it.
pub fn prune_detail(through: &Head, before: &str, exported: &str) -> String {
    format!("removed lines 1 to {} (every part before {before}), last hash {}; {exported}", through.seq, through.hash)
}

/// The head a `pruned` line's detail names.
fn pruned_through(detail: &str) -> Option<Head> {
    let rest = detail.strip_prefix("removed lines 1 to ")?;
    let (seq, rest) = rest.split_once(' ')?;
    let hash = rest.split_once("last hash ")?.1.get(..64)?;
    Some(Head { seq: seq.parse().ok()?, hash: hash.into() })
}

/// What `history --verify` found.
#[derive(Debug, Default)]
pub struct Verified {
    pub lines: u64,
    /// The last line's place and hash.
    pub head: Option<Head>,
    /// Every line counted but not checked (an old release's lines).
    pub unchained: u64,
    /// Where the trail starts after a recorded prune.
    pub pruned: Option<Head>,
    /// What does not hold, first found first: one sentence each.
    pub problems: Vec<String>,
    /// What holds but a reader should know: a chunk made days after its day (deleted and made
    /// again, or planted), whose lines still chain.
    pub notes: Vec<String>,
}

/// Walks the trail's parts in order and checks the chain: every chained line's `prev` is the hash
/// of the line before and its `seq` one more; a chunk part missing from a day's run; a line that
/// does not parse. A trail that starts after line 1 holds only if a `pruned` line says where.
pub fn verify(parts: &[Part]) -> Verified {
    let mut found = Verified::default();
    let all = || parts.iter().flat_map(|p| p.lines.iter().map(String::as_str));
    // Only the lines that can be a prune are parsed twice.
    let prunes: Vec<Head> = all()
        .filter(|l| l.contains(r#""event":"pruned""#))
        .filter_map(|l| serde_json::from_str::<HistoryEvent>(l).ok())
        .filter(|e| e.event == EventKind::Pruned)
        .filter_map(|e| pruned_through(&e.detail))
        .collect();
    let mut head: Option<Head> = None;
    let mut last_chunk: Option<Chunk> = None;
    for part in parts {
        if let Some(chunk) = Chunk::parse(&part.name) {
            let latest = chunk.day.and_hms_opt(0, 0, 0).map(|t| t.and_utc() + chrono::TimeDelta::days(2));
            if let Some(created) = part.created.filter(|c| latest.is_some_and(|l| *c > l)) {
                found.notes.push(format!(
                    "chunk {} was made at {}, days after its day: it was deleted and made again, or planted",
                    part.name,
                    crate::state::rfc3339(created)
                ));
            }
            if let Some(before) = last_chunk.filter(|b| b.day == chunk.day && b.part + 1 < chunk.part) {
                found.problems.push(format!(
                    "chunk {} is missing (between {} and {})",
                    Chunk { part: before.part + 1, ..before }.name(),
                    before.name(),
                    part.name
                ));
            } else if last_chunk.is_none_or(|b| b.day != chunk.day) && chunk.part > 0 {
                found.problems.push(format!(
                    "chunk {} is missing (before {})",
                    Chunk::first(chunk.day).name(),
                    part.name
                ));
            }
            last_chunk = Some(chunk);
        }
        for (index, line) in part.lines.iter().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let at = format!("line {} of {}", index + 1, part.name);
            found.lines += 1;
            let before = head.clone().unwrap_or_else(Head::genesis);
            if part.unchained {
                found.unchained += 1;
                head = Some(Head { seq: before.seq + 1, hash: hash(line) });
                continue;
            }
            let Ok(event) = serde_json::from_str::<HistoryEvent>(line) else {
                found.problems.push(format!("{at} does not parse as a history line"));
                head = Some(Head { seq: before.seq + 1, hash: hash(line) });
                continue;
            };
            let (Some(seq), Some(prev)) = (event.seq, event.prev.as_deref()) else {
                found.problems.push(format!("{at} carries no seq and prev: it is not chained"));
                head = Some(Head { seq: before.seq + 1, hash: hash(line) });
                continue;
            };
            let start = head.is_none();
            if start && seq > 1 {
                match prunes.iter().find(|p| p.seq + 1 == seq && p.hash == prev) {
                    Some(p) => found.pruned = Some(p.clone()),
                    None => found.problems.push(format!(
                        "{at} is line {seq}, but no pruned line says lines 1 to {} were removed: they are missing",
                        seq - 1
                    )),
                }
            } else if seq != before.seq + 1 {
                found.problems.push(match seq > before.seq + 1 {
                    true => format!("lines {} to {} are missing before {at}", before.seq + 1, seq - 1),
                    false => format!("{at} says it is line {seq}, but line {} came before it", before.seq),
                });
            } else if prev != before.hash {
                found.problems.push(format!(
                    "{at} (line {seq}, {} by {}) does not chain: the line before it was changed, removed or \
                     reordered (it names {}, the line before hashes to {})",
                    event.event.name(),
                    crate::base::text::terminal(&event.by),
                    &prev[..prev.len().min(12)],
                    &before.hash[..12]
                ));
            }
            head = Some(Head { seq, hash: hash(line) });
        }
    }
    found.head = head;
    found
}

/// What `history --verify --against FILE` found: every line of an export still in the trail,
/// unchanged, in its place.
pub fn against(parts: &[Part], exported: &[String], pruned: Option<&Head>) -> Vec<String> {
    let mut trail = std::collections::BTreeMap::new();
    let mut unchained = Vec::new();
    let mut seq = 0;
    for part in parts {
        for line in part.lines.iter().filter(|l| !l.trim().is_empty()) {
            seq = match part.unchained {
                true => seq + 1,
                false => seq_of(line).unwrap_or(seq + 1),
            };
            if part.unchained {
                unchained.push(line.as_str());
            }
            trail.entry(seq).or_insert(line.as_str());
        }
    }
    let mut problems = Vec::new();
    let mut place = 0;
    for (index, line) in exported.iter().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        place = seq_of(line).unwrap_or(place + 1);
        let at = format!("line {} of the export (line {place} of the trail)", index + 1);
        match trail.get(&place) {
            Some(kept) if *kept == line => {}
            Some(_) => problems.push(format!("{at} was changed in the cluster")),
            None if pruned.is_some_and(|p| place <= p.seq) => {}
            None => problems.push(format!("{at} is missing from the cluster")),
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(detail: &str) -> HistoryEvent {
        HistoryEvent::policy(EventKind::Enabled, "alice", detail)
    }

    fn part(name: &str, text: &str) -> Part {
        Part { name: name.into(), lines: text.lines().map(str::to_string).collect(), unchained: false, created: None }
    }

    #[test]
    fn a_head_counts_on_from_the_last_line_that_says_its_place() {
        let (text, head) = chain(&Head { seq: 41, hash: GENESIS.into() }, &[event("a"), event("b")]);
        assert_eq!(Head::after(&Head::genesis(), text.lines()), head);
        let planted = format!("{text}{{\"by\":\"x\"}}\n{{\"by\":\"y\"}}\n");
        let after = Head::after(&Head::genesis(), planted.lines());
        assert_eq!((after.seq, after.hash), (45, hash(r#"{"by":"y"}"#)));
        assert_eq!(Head::after(&Head { seq: 7, hash: "h".into() }, ["", " "]), Head { seq: 7, hash: "h".into() });
    }

    #[test]
    fn hashes_are_sha256_in_lowercase_hex() {
        assert_eq!(hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn chunk_names_round_trip_and_sort_in_time() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let chunk = Chunk { day, part: 7 };
        assert_eq!(chunk.name(), "support-access-history-2026-12-06-07");
        assert_eq!(Chunk::parse(&chunk.name()), Some(chunk));
        for bad in [
            "support-access-history",
            "support-access-history-2026-12-06",
            "support-access-history-2026-12-06-7",
            "support-access-history-2026-13-06-00",
            "support-access-history-2026-2-06-000",
            "support-access-history-2026-12-06-0a",
        ] {
            assert_eq!(Chunk::parse(bad), None, "{bad}");
        }
        assert!(Chunk { day, part: 99 }.next().is_none());
        assert!(Chunk::first(day).name() < Chunk { day, part: 10 }.name());
        assert!(Chunk { day, part: 99 }.name() < Chunk::first(day.succ_opt().unwrap()).name());
    }

    #[test]
    fn a_chain_across_parts_verifies_and_any_edit_is_named() {
        let (first, head) = chain(&Head::genesis(), &[event("a"), event("b")]);
        let (second, head) = chain(&head, &[event("c")]);
        assert_eq!(head.seq, 3);
        let parts = vec![
            part("support-access-history-2026-12-06-00", &first),
            part("support-access-history-2026-12-06-01", &second),
        ];
        let ok = verify(&parts);
        assert!(ok.problems.is_empty(), "{:?}", ok.problems);
        assert_eq!((ok.lines, ok.head.as_ref()), (3, Some(&head)));

        let changed =
            vec![part("support-access-history-2026-12-06-00", &first.replace("\"a\"", "\"x\"")), parts[1].clone()];
        let found = verify(&changed).problems;
        assert!(
            found[0].contains("line 2 of support-access-history-2026-12-06-00") && found[0].contains("does not chain"),
            "{found:?}"
        );

        let dropped =
            vec![part("support-access-history-2026-12-06-00", first.lines().next().unwrap()), parts[1].clone()];
        assert!(
            verify(&dropped).problems[0].starts_with("lines 2 to 2 are missing"),
            "{:?}",
            verify(&dropped).problems
        );

        let missing = vec![parts[1].clone()];
        let found = verify(&missing).problems;
        assert!(found.iter().any(|p| p.contains("chunk support-access-history-2026-12-06-00 is missing")), "{found:?}");

        let remade = Part { created: Some("2026-12-09T10:00:00Z".parse().unwrap()), ..parts[1].clone() };
        let found = verify(&[parts[0].clone(), remade]);
        assert!(found.problems.is_empty());
        assert_eq!(
            found.notes,
            [
                "chunk support-access-history-2026-12-06-01 was made at 2026-12-09T10:00:00Z, days after its day: it was \
                 deleted and made again, or planted"
            ]
        );
        let on_time = Part { created: Some("2026-12-07T23:59:00Z".parse().unwrap()), ..parts[1].clone() };
        assert!(verify(&[parts[0].clone(), on_time]).problems.is_empty());

        let swapped: String = first.lines().rev().map(|l| format!("{l}\n")).collect();
        let found = verify(&[part("support-access-history-2026-12-06-00", &swapped)]).problems;
        assert!(!found.is_empty(), "reordered lines are named");
    }

    #[test]
    fn old_lines_are_counted_and_the_first_chained_line_continues_them() {
        let old = r#"{"by":"a","at":"2026-11-01T00:00:00Z","event":"enabled","id":null,"role":null,"requestor":null,"reason":null,"detail":""}"#;
        let legacy =
            Part { name: "support-access-history".into(), lines: vec![old.into()], unchained: true, created: None };
        let (text, _) = chain(&Head::after(&Head::genesis(), [old]), &[event("new")]);
        assert!(text.contains("\"seq\":2"), "{text}");
        let found = verify(&[legacy.clone(), part("support-access-history-2026-12-06-00", &text)]);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!((found.lines, found.unchained), (2, 1));
        // An export of both finds them; a changed old line is named.
        let exported: Vec<String> = [old.to_string()].into_iter().chain(text.lines().map(str::to_string)).collect();
        let parts = [legacy, part("support-access-history-2026-12-06-00", &text)];
        assert!(against(&parts, &exported, None).is_empty());
        let edited = Part { lines: vec![old.replace("enabled", "disabled")], ..parts[0].clone() };
        let found = against(&[edited, parts[1].clone()], &exported, None);
        assert_eq!(found, ["line 1 of the export (line 1 of the trail) was changed in the cluster"]);
    }

    #[test]
    fn a_recorded_prune_is_where_the_trail_may_start() {
        let (first, head) = chain(&Head::genesis(), &[event("a"), event("b")]);
        let pruned = HistoryEvent::policy(EventKind::Pruned, "owner", prune_detail(&head, "2026-12-07", "forced"));
        let (second, _) = chain(&head, &[event("c"), pruned]);
        let kept = [part("support-access-history-2026-12-07-00", &second)];
        let found = verify(&kept);
        assert!(found.problems.is_empty(), "{:?}", found.problems);
        assert_eq!(found.pruned, Some(head));
        assert!(
            against(&kept, &first.lines().map(str::to_string).collect::<Vec<_>>(), found.pruned.as_ref()).is_empty()
        );
        let unrecorded = [part("support-access-history-2026-12-07-00", second.lines().next().unwrap())];
        assert!(
            verify(&unrecorded).problems[0].contains("lines 1 to 2 were removed"),
            "{:?}",
            verify(&unrecorded).problems
        );
    }
}
