//! Rendering shared by the commands: times (RFC3339 UTC, relative), JSON/YAML, tables, and text
//! from the cluster made safe for a terminal.

use std::io::IsTerminal;

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::base::error::{Error, Result};

pub use crate::base::text::{disturbs_terminal, terminal};
pub use crate::state::rfc3339;

/// "in 3h12m", "5m ago", "now".
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (at - now).num_seconds();
    let span = span(seconds.unsigned_abs());
    match seconds {
        0 => "now".to_string(),
        s if s > 0 => format!("in {span}"),
        _ => format!("{span} ago"),
    }
}

/// "45s", "12m", "3h5m", "2d4h".
pub fn span(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86400, seconds / 3600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h{m}m"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}

/// `-o`, spelled as kubectl spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Table,
    /// The table with more columns.
    Wide,
    /// `KIND/NAME` of each listed item, one a line.
    Name,
    Json,
    Yaml,
    /// `jsonpath=TEMPLATE`: kubectl's JSONPath over the JSON `-o json` prints.
    JsonPath(String),
    /// `custom-columns=HEADER:EXPR,…`: one row per listed item.
    CustomColumns(String),
}

impl OutputFormat {
    /// The spellings `-o` takes (the last two with their template), for help and completion.
    pub const SPELLINGS: [&str; 8] = ["text", "table", "wide", "name", "json", "yaml", "jsonpath=", "custom-columns="];

    /// Printed from the command's JSON, not from its own text or table.
    pub fn is_structured(&self) -> bool {
        !matches!(self, OutputFormat::Text | OutputFormat::Table | OutputFormat::Wide)
    }
}

pub fn parse_output(text: &str) -> Result<OutputFormat, String> {
    let format = match text.split_once('=') {
        Some(("jsonpath", template)) => {
            crate::base::jsonpath::Template::parse(template)
                .map_err(|e| format!("jsonpath template {template:?}: {e}"))?;
            OutputFormat::JsonPath(template.to_string())
        }
        Some(("custom-columns", spec)) => {
            columns(spec)?;
            OutputFormat::CustomColumns(spec.to_string())
        }
        _ => match text {
            "text" => OutputFormat::Text,
            "table" => OutputFormat::Table,
            "wide" => OutputFormat::Wide,
            "name" => OutputFormat::Name,
            "json" => OutputFormat::Json,
            "yaml" => OutputFormat::Yaml,
            _ => {
                return Err(format!(
                    "unknown output format {text:?}: one of {}",
                    OutputFormat::SPELLINGS
                        .map(|s| if s.ends_with('=') { format!("{s}…") } else { s.into() })
                        .join(", ")
                ));
            }
        },
    };
    Ok(format)
}

/// A table row whose cells hold text from the cluster.
pub fn row<I: IntoIterator<Item = String>>(cells: I) -> Vec<String> {
    cells.into_iter().map(|cell| terminal(&cell).into_owned()).collect()
}

/// Whether a reader closed stdout (EPIPE): later output is dropped.
static STDOUT_CLOSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Writes to stdout, flushed. A closed stdout (the reader stopped reading, as `| head -n 1` does)
/// is remembered and every later write dropped, silently: the command finishes what it does and
/// exits as it would (0 for a reader), as kubectl's output does. Any other failure to write is
/// said once on stderr.
pub fn stdout_write(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            warn(&format!("cannot write the output: {e}"));
        }
    }
}

/// Whether stdout was closed by its reader: a command that would print on forever (a watch) ends.
pub fn stdout_closed() -> bool {
    STDOUT_CLOSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Prints a value as JSON or YAML.
pub fn print_structured<T: Serialize>(value: &T, format: &OutputFormat) -> Result<()> {
    print_listing(value, None, format)
}

/// What a listing command lists: the items of `-o name` and `-o custom-columns`, their kind and
/// the key that names each (kind `request`, key `id`: `request/ab12cd34`).
pub struct Items {
    pub kind: &'static str,
    pub key: &'static str,
    pub items: Vec<serde_json::Value>,
}

/// Prints `value` as `-o json|yaml|jsonpath=…` asks; `-o name` and `-o custom-columns=…` over
/// `items` (a command that lists none has its value as its one item).
pub fn print_listing<T: Serialize>(value: &T, items: Option<Items>, format: &OutputFormat) -> Result<()> {
    let failed = |e: String| Error::failed(format!("cannot render the output: {e}"));
    let json = || serde_json::to_value(value).map_err(|e| failed(e.to_string()));
    let items = || -> Result<Items> {
        match items {
            Some(items) => Ok(items),
            None => Ok(Items { kind: "request", key: "id", items: vec![json()?] }),
        }
    };
    let text = match format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(value).map(|s| s + "\n").map_err(|e| failed(e.to_string()))?
        }
        OutputFormat::Yaml => serde_yaml::to_string(value).map_err(|e| failed(e.to_string()))?,
        OutputFormat::JsonPath(template) => {
            let template = crate::base::jsonpath::Template::parse(template).map_err(Error::usage)?;
            template.render(&json()?).map_err(|e| Error::failed(format!("-o jsonpath: {e}")))?
        }
        OutputFormat::CustomColumns(spec) => custom_columns(spec, &items()?.items)?,
        OutputFormat::Name => names(&items()?),
        OutputFormat::Text | OutputFormat::Table | OutputFormat::Wide => {
            unreachable!("only structured formats are printed here")
        }
    };
    crate::out!("{text}");
    Ok(())
}

/// `-o name`: `KIND/NAME` a line, each name once.
fn names(items: &Items) -> String {
    let name = |item: &serde_json::Value| item.get(items.key).and_then(|v| v.as_str()).map(str::to_string);
    let mut seen = std::collections::BTreeSet::new();
    items
        .items
        .iter()
        .filter_map(name)
        .filter(|name| seen.insert(name.clone()))
        .map(|name| format!("{}/{}\n", items.kind, terminal(&name)))
        .collect()
}

/// The columns of `-o custom-columns=HEADER:EXPR,…`, each expression as kubectl relaxes it.
pub fn columns(spec: &str) -> std::result::Result<Vec<(String, crate::base::jsonpath::Template)>, String> {
    if spec.is_empty() {
        return Err("custom-columns format specified but no custom columns given".into());
    }
    spec.split(',')
        .map(|column| {
            let (header, expression) =
                column.split_once(':').filter(|(header, _)| !header.is_empty()).ok_or_else(|| {
                    format!("unexpected custom-columns spec: {column}, expected <header>:<json-path-expr>")
                })?;
            let template = crate::base::jsonpath::Template::parse(&crate::base::jsonpath::relaxed(expression)?)?;
            Ok((header.to_string(), template))
        })
        .collect()
}

/// `-o custom-columns=…` as kubectl prints it (its tabwriter: each column but the last at least
/// 10 wide and 3 past its longest cell), several results of one cell joined by commas, `<none>`
/// for none.
fn custom_columns(spec: &str, items: &[serde_json::Value]) -> Result<String> {
    let columns = columns(spec).map_err(Error::usage)?;
    let mut rows = vec![columns.iter().map(|(header, _)| header.clone()).collect::<Vec<_>>()];
    for item in items {
        let mut row = Vec::new();
        for (_, template) in &columns {
            let found = template.values(item).map_err(|e| Error::failed(format!("-o custom-columns: {e}")))?;
            let cells: Vec<String> = found.iter().map(crate::base::jsonpath::go_sprint).collect();
            row.push(if cells.is_empty() { "<none>".to_string() } else { terminal(&cells.join(",")).into_owned() });
        }
        rows.push(row);
    }
    let last = columns.len() - 1;
    let widths: Vec<usize> =
        (0..last).map(|i| (rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0) + 3).max(10)).collect();
    let mut text = String::new();
    for row in rows {
        for (cell, width) in row.iter().zip(&widths) {
            text += &format!("{cell:<width$}");
        }
        text += &row[last];
        text += "\n";
    }
    Ok(text)
}

/// A table in the house style.
pub fn table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header(header.to_vec());
    if !stdout_is_tty() {
        table.force_no_tty();
    }
    table
}

/// A table whose cells wrap to fit the terminal, or 120 columns off a terminal: for a summary
/// whose last column is free text (the fleet's DETAIL).
pub fn wrapped_table(header: &[&str]) -> Table {
    let mut table = table(header);
    table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
    if !stdout_is_tty() {
        table.set_width(SUMMARY_WIDTH);
    }
    table
}

/// The width a wrapped table keeps to off a terminal.
pub const SUMMARY_WIDTH: u16 = 120;

pub fn stdout_is_tty() -> bool {
    std::io::stdout().is_terminal()
}

pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

/// Colour only on a terminal and never with `NO_COLOR`.
pub fn stderr_wants_color() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

tokio::task_local! {
    /// The warnings of a task run by [`capturing`].
    static CAPTURED: std::cell::RefCell<Vec<String>>;
}

/// Keeps `message` when this task runs under [`capturing`]; false when it does not.
pub fn capture(message: &str) -> bool {
    CAPTURED.try_with(|kept| kept.borrow_mut().push(message.to_string())).is_ok()
}

/// Runs `work`, keeping the warnings it would print (a fleet's summary shows them per context).
pub async fn capturing<T>(work: impl std::future::Future<Output = T>) -> (T, Vec<String>) {
    CAPTURED
        .scope(std::cell::RefCell::new(Vec::new()), async {
            let ran = work.await;
            (ran, CAPTURED.with(|kept| kept.take()))
        })
        .await
}

/// Prints a warning to stderr; the message, which often quotes the cluster, is escaped here.
pub fn warn(message: &str) {
    // A fleet keeps each context's warnings for its summary.
    if capture(message) {
        return;
    }
    let message = terminal(message);
    if stderr_wants_color() {
        eprintln!("\x1b[33mwarning:\x1b[0m {message}");
    } else {
        eprintln!("warning: {message}");
    }
}

/// A spinner on stderr while waiting, only on a terminal.
pub struct Spinner {
    stop: Option<(std::sync::Arc<std::sync::atomic::AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl Spinner {
    pub fn start(message: &str) -> Spinner {
        if !std::io::stderr().is_terminal() {
            return Spinner { stop: None };
        }
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let running = flag.clone();
        let message = message.to_string();
        let thread = std::thread::spawn(move || {
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut frame = 0;
            while !running.load(std::sync::atomic::Ordering::Relaxed) {
                eprint!("\r{} {message}", frames[frame % frames.len()]);
                frame += 1;
                std::thread::sleep(std::time::Duration::from_millis(80));
            }
            eprint!("\r\x1b[2K");
        });
        Spinner { stop: Some((flag, thread)) }
    }

    pub fn stop(self) {
        if let Some((flag, thread)) = self.stop {
            flag.store(true, std::sync::atomic::Ordering::Relaxed);
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn custom_columns_print_as_kubectls_tabwriter_and_values_as_go_does() {
        let items = [
            serde_json::json!({"id": "ab12cd34", "role": "readonly", "scope": null, "tags": ["a", "b"]}),
            serde_json::json!({"id": "x", "role": "operator", "scope": "ns1", "m": {"k": "v"}}),
        ];
        let text = custom_columns("ID:.id,SCOPE:.scope,TAGS:.tags,M:{.m},NONE:missing", &items).unwrap();
        // Each column but the last: at least 10 wide, 3 past its longest cell.
        assert_eq!(
            text,
            "ID         SCOPE     TAGS      M          NONE\n\
             ab12cd34   <nil>     [a b]     <none>     <none>\n\
             x          ns1       <none>    map[k:v]   <none>\n"
        );
        assert!(columns("ID").is_err() && columns("").is_err() && columns(":.id").is_err());
    }

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn times_are_rfc3339_utc_seconds_with_z() {
        assert_eq!(rfc3339(at("2026-03-30T23:12:53.734Z")), "2026-03-30T23:12:53Z");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = at("2026-01-01T00:00:00Z");
        assert_eq!(relative(at("2026-01-01T03:12:00Z"), now), "in 3h12m");
        assert_eq!(relative(at("2025-12-31T23:55:00Z"), now), "5m ago");
        assert_eq!(relative(at("2026-01-01T00:00:40Z"), now), "in 40s");
        assert_eq!(relative(at("2026-01-03T05:00:00Z"), now), "in 2d5h");
        assert_eq!(relative(now, now), "now");
    }

    #[test]
    fn text_that_would_disturb_a_terminal_is_shown_escaped() {
        assert_eq!(terminal("a\x1b[2Kb"), "a\\u{1b}[2Kb");
        assert_eq!(terminal("\x1b]0;pwned\x07"), "\\u{1b}]0;pwned\\u{7}");
        assert_eq!(terminal("line\nnext\ttab\rret\x7f"), "line\\u{a}next\\u{9}tab\\u{d}ret\\u{7f}");
        assert_eq!(terminal("c1\u{85}\u{9b}"), "c1\\u{85}\\u{9b}");
        for bidi in
            ['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}', '\u{2028}', '\u{2029}']
        {
            assert_eq!(terminal(&format!("x{bidi}y")), format!("x\\u{{{:x}}}y", bidi as u32));
        }
    }

    #[test]
    fn ordinary_text_is_borrowed_unchanged() {
        for text in ["", "This is a test!", "Investigating \"GPU\" node 'n1'", "naïve 日本語 🚀 \\u{1b}"] {
            assert!(matches!(terminal(text), Cow::Borrowed(t) if t == text), "{text:?}");
        }
    }
}
