//! kubectl's JSONPath template dialect (k8s.io/client-go/util/jsonpath, as `kubectl get -o
//! jsonpath=…` runs it with `--allow-missing-template-keys=true`) over a `serde_json::Value`.
//!
//! The parser and the evaluator follow client-go's step by step, quirks included, so that a
//! template prints here what kubectl prints for the same JSON:
//! - `['a.b']` is `.a.b` (two fields; escape the dot, `{.a\.b}` or `['a\.b']`, for one key) and
//!   only single quotes make a key: `["a"]` is "invalid array index";
//! - `[*]` and `[n]` apply to arrays only (an object is "… is not array or slice"); `.*` takes
//!   the values of an object, the elements of an array, and the bytes of a string;
//! - an index past the end is an error, a missing key is not; a selection of no elements
//!   (`[*]` of an empty array, `[2:2]`) ends that step, dropping what later inputs would give;
//! - a filter compares a number with a number of the same kind (integer or float), a string with
//!   a string, a bool with a bool; anything else, null included, is an error;
//! - `{range}` … `{end}` runs as client-go's FindResults does (a flat list and counters).
//!
//! Where Go iterates a map in random order (`.*`, `..`), this takes the keys in sorted order.
//!
//! Checked against kubectl v1.37.2 (`kubectl label --local -f - x- -o jsonpath=TEMPLATE` prints
//! a local object, which needs an apiVersion and a kind and no top-level `items`) and against
//! client-go's own package on random templates: the output and the error messages are the same.
//!
//! It is about 640 lines, not 450: it ports client-go's parser rune by rune (its sub-parses, its
//! regular expressions) and its evaluator (FindResults' range counters, evalArray's bounds, the
//! text/template comparisons) with their messages, and prints numbers and JSON as Go does;
//! anything shorter printed something else for some templates.

use std::sync::LazyLock;

use serde_json::Value;

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    nodes: Vec<Node>,
}

/// One node of the parse tree, as client-go's parser builds it.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// Plain text, or a quoted string in an action: one result, whatever the input.
    Text(Value),
    /// A number or a bool in an action: one copy of itself for each input.
    Literal(Value),
    /// An action (`{…}`), or a part of one (a union's member, a filter's side).
    List(Vec<Node>),
    Field(String),
    /// `range`, `end`, or a word kubectl rejects when it runs the template.
    Identifier(String),
    Array([Param; 3]),
    Filter {
        left: Vec<Node>,
        right: Vec<Node>,
        op: String,
    },
    Wildcard,
    Recursive,
    Union(Vec<Vec<Node>>),
}

/// One of a slice's start, end and step.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Param {
    known: bool,
    value: i64,
    /// The end of `[n]`, which is `n + 1`.
    derived: bool,
}

impl Template {
    /// Parses a kubectl JSONPath template ("{.items[*].name}", "id={.id}{\"\\n\"}",
    /// "{range .a[*]}{.x}{\"\\t\"}{end}").
    pub fn parse(template: &str) -> Result<Template, String> {
        Ok(Template { nodes: parse_nodes(template)? })
    }

    /// Renders it as kubectl prints it (allowMissingKeys: a missing key prints nothing).
    pub fn render(&self, root: &Value) -> Result<String, String> {
        let groups = Exec::default().find(&self.nodes, 0, &[root])?;
        Ok(groups.iter().map(|group| group.iter().map(|v| text(v)).collect::<Vec<_>>().join(" ")).collect())
    }

    /// The results of a template that is one expression (for custom-columns): each value found.
    pub fn values(&self, root: &Value) -> Result<Vec<Value>, String> {
        let groups = Exec::default().find(&self.nodes, 0, &[root])?;
        Ok(groups.into_iter().flatten().cloned().collect())
    }
}

/// kubectl's RelaxedJSONPathExpression: accepts ".a.b", "a.b", "{.a.b}", "{a.b}" and returns
/// "{.a.b}".
pub fn relaxed(expression: &str) -> Result<String, String> {
    if expression.is_empty() {
        return Ok(String::new());
    }
    let braced = expression.strip_prefix('{').and_then(|e| e.strip_suffix('}'));
    let inner = braced.unwrap_or(expression);
    let spec = match inner.strip_prefix('.') {
        Some(rest) if !rest.is_empty() => rest,
        _ => inner,
    };
    if spec.is_empty() || spec.contains(['{', '}']) {
        return Err("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or \
                    '{.name1.name2}'"
            .into());
    }
    Ok(format!("{{.{spec}}}"))
}

/// How kubectl prints one result value as text: a string as is, a number as Go's `fmt` prints an
/// int64 or a float64, `true`/`false`, `null`, and an object or an array as Go's `json.Marshal`.
pub fn text(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => go_float(n.as_f64().unwrap_or(f64::NAN), false),
        },
        Value::String(s) => s.clone(),
        _ => {
            let mut out = String::new();
            marshal(value, &mut out);
            out
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing: client-go's parser.go, a rune at a time; `start..pos` is the text being scanned.

struct Parser<'t> {
    input: &'t str,
    pos: usize,
    start: usize,
    width: usize,
}

/// A template: text and actions.
fn parse_nodes(template: &str) -> Result<Vec<Node>, String> {
    let mut p = Parser { input: template, pos: 0, start: 0, width: 0 };
    let mut root = Vec::new();
    while let Some(at) = p.input[p.pos..].find('{') {
        p.pos += at;
        if p.pos > p.start {
            root.push(Node::Text(Value::String(p.consume().into())));
        }
        p.pos += 1;
        p.start = p.pos;
        let mut action = Vec::new();
        p.action(&mut action)?;
        root.push(Node::List(action));
    }
    p.pos = template.len();
    if p.pos > p.start {
        root.push(Node::Text(Value::String(p.consume().into())));
    }
    Ok(root)
}

/// What client-go's parseAction gives: the nodes of `{text}`.
fn parse_action(text: &str) -> Result<Vec<Node>, String> {
    match parse_nodes(&format!("{{{text}}}"))?.into_iter().next() {
        Some(Node::List(nodes)) => Ok(nodes),
        _ => Ok(Vec::new()),
    }
}

fn is_terminator(c: Option<char>) -> bool {
    matches!(c, None | Some(' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'))
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl<'t> Parser<'t> {
    fn next(&mut self) -> Option<char> {
        let c = self.input[self.pos..].chars().next();
        self.width = c.map_or(0, char::len_utf8);
        self.pos += self.width;
        c
    }

    fn backup(&mut self) {
        self.pos -= self.width;
    }

    fn consume(&mut self) -> &'t str {
        let text = &self.input[self.start..self.pos];
        self.start = self.pos;
        text
    }

    /// Reads on while `keep` holds.
    fn skip(&mut self, keep: impl Fn(Option<char>) -> bool) {
        while keep(self.next()) {}
        self.backup();
    }

    /// Whether the byte before the character just read is a backslash.
    fn escaped(&self) -> bool {
        self.pos >= 2 && self.input.as_bytes()[self.pos - 2] == b'\\'
    }

    /// The inside of an action, up to its `}`.
    fn action(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            let rest = &self.input[self.pos..];
            if rest.starts_with('}') {
                self.pos += 1;
                self.start = self.pos;
                return Ok(());
            } else if rest.starts_with("[?(") {
                self.filter(cur)?;
                continue;
            } else if rest.starts_with("..") {
                if cur.last() == Some(&Node::Recursive) {
                    return Err("invalid multiple recursive descent".into());
                }
                self.pos += 2;
                self.start = self.pos;
                cur.push(Node::Recursive);
                if self.input[self.pos..].chars().next().is_some_and(is_alphanumeric) {
                    self.field(cur);
                }
                continue;
            }
            match self.next() {
                None | Some('\r' | '\n') => return Err("unclosed action".into()),
                Some(' ' | '@' | '$') => self.start = self.pos,
                Some('[') => self.array(cur)?,
                Some(quote @ ('"' | '\'')) => self.quote(cur, quote)?,
                Some('.') => self.field(cur),
                Some(c) if c == '+' || c == '-' || c.is_numeric() => {
                    self.backup();
                    self.number(cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.backup();
                    self.identifier(cur);
                }
                Some(c) => return Err(format!("unrecognized character in action: {}", go_rune(c))),
            }
        }
    }

    /// A word: `range`, `end`, `true`, `false`, or one kubectl rejects when it runs.
    fn identifier(&mut self, cur: &mut Vec<Node>) {
        self.skip(|c| !is_terminator(c));
        cur.push(match self.consume() {
            "true" => Node::Literal(Value::Bool(true)),
            "false" => Node::Literal(Value::Bool(false)),
            word => Node::Identifier(word.into()),
        });
    }

    fn number(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if self.input[self.pos..].starts_with(['+', '-']) {
            self.next();
        }
        self.skip(|c| c.is_some_and(|c| c == '.' || c.is_numeric()));
        let text = self.consume();
        let value = match (text.parse::<i64>(), text.parse::<f64>()) {
            (Ok(i), _) => Value::from(i),
            (_, Ok(f)) if f.is_finite() => Value::from(f),
            _ => return Err(format!("cannot parse number {text}")),
        };
        cur.push(Node::Literal(value));
        Ok(())
    }

    /// `[…]`, its `[` read: an index or a slice, a quoted key, or a union.
    fn array(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".into()),
                Some(']') => break,
                _ => {}
            }
        }
        let text = self.consume();
        let text = match &text[1..text.len() - 1] {
            "*" => ":",
            text => text,
        };
        if text.contains(',') {
            let union = text.split(',').map(|member| parse_action(&format!("[{}]", member.trim_matches(' '))));
            cur.push(Node::Union(union.collect::<Result<_, _>>()?));
        } else if let Some(key) =
            text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')).filter(|k| !k.contains('\''))
        {
            cur.extend(parse_action(&format!(".{key}"))?);
        } else {
            cur.push(Node::Array(slice_params(text)?));
        }
        Ok(())
    }

    /// `[?(left op right)]` or `[?(path)]`, at its `[?(`.
    fn filter(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 3;
        self.start = self.pos;
        let (mut begin, mut end, mut pair) = (false, false, '"');
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated filter".into()),
                Some(quote @ ('"' | '\'')) if !begin => (begin, pair) = (true, quote),
                Some(quote @ ('"' | '\'')) => end |= quote == pair && !self.escaped(),
                Some(')') if begin == end => break,
                _ => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".into());
        }
        let text = self.consume();
        let text = &text[..text.len() - 2];
        cur.push(match split_comparison(text) {
            Some((left, op, right)) => {
                Node::Filter { left: parse_action(left)?, right: parse_action(right)?, op: op.into() }
            }
            None => Node::Filter { left: parse_action(text)?, right: Vec::new(), op: "exists".into() },
        });
        Ok(())
    }

    /// A quoted string, its opening quote read.
    fn quote(&mut self, cur: &mut Vec<Node>, quote: char) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".into()),
                Some(c) if c == quote && !self.escaped() => break,
                _ => {}
            }
        }
        let quoted = self.consume();
        let text = unquote(quoted).ok_or_else(|| format!("unquote string {quoted} error invalid syntax"))?;
        cur.push(Node::Text(Value::String(text)));
        Ok(())
    }

    /// A field name, its `.` read: up to a terminator that no backslash escapes.
    fn field(&mut self, cur: &mut Vec<Node>) {
        self.start = self.pos;
        loop {
            match self.next() {
                Some('\\') => {
                    self.next();
                }
                c if is_terminator(c) => {
                    self.backup();
                    break;
                }
                _ => {}
            }
        }
        cur.push(match self.consume() {
            "*" => Node::Wildcard,
            name => Node::Field(name.replace('\\', "")),
        });
    }
}

/// The start, end and step of `[start:end:step]`, `[n]` or `[]`.
fn slice_params(text: &str) -> Result<[Param; 3], String> {
    let parts: Vec<&str> = text.split(':').collect();
    let number = |p: &&str| p.strip_prefix('-').unwrap_or(p).bytes().all(|b| b.is_ascii_digit());
    if parts.len() > 3 || !parts.iter().all(number) {
        return Err(format!("invalid array index {text}"));
    }
    let mut params = [Param::default(); 3];
    for (i, part) in parts.iter().enumerate() {
        if !part.is_empty() {
            let value = part.parse().map_err(|_| format!("array index {part} is not a number"))?;
            params[i] = Param { known: true, value, derived: false };
        }
    }
    if parts.len() == 1 {
        params[1] = Param { known: true, value: params[0].value.wrapping_add(1), derived: true };
    }
    Ok(params)
}

/// A filter's `left op right` (client-go's `^([^!<>=]+)([!<>=]+)(.+?)$`).
fn split_comparison(text: &str) -> Option<(&str, &str, &str)> {
    let is_op = |c: char| matches!(c, '!' | '<' | '>' | '=');
    let at = text.find(is_op).filter(|&at| at > 0)?;
    let mut end = text[at..].find(|c| !is_op(c)).map_or(text.len(), |n| at + n);
    if end == text.len() {
        end -= 1;
    }
    (end > at).then(|| (&text[..at], &text[at..end], &text[end..]))
}

/// Go's strconv.Unquote, with single-quoted strings too (client-go's UnquoteExtend).
fn unquote(quoted: &str) -> Option<String> {
    let quote = quoted.chars().next().filter(|q| matches!(q, '"' | '\''))?;
    let body = quoted.strip_prefix(quote)?.strip_suffix(quote)?;
    let mut out = Vec::new();
    let mut chars = body.chars();
    let take = |n: usize, radix: u32, chars: &mut std::str::Chars<'_>| {
        (0..n).try_fold(0u32, |v, _| Some(v * radix + chars.next()?.to_digit(radix)?))
    };
    while let Some(c) = chars.next() {
        let byte = match c {
            _ if c == quote => return None,
            '\\' => match chars.next()? {
                'a' => 7,
                'b' => 8,
                'f' => 12,
                'n' => b'\n',
                'r' => b'\r',
                't' => b'\t',
                'v' => 11,
                '\\' => b'\\',
                e @ ('\'' | '"') if e == quote => e as u8,
                'x' => take(2, 16, &mut chars)? as u8,
                d @ '0'..='7' => u8::try_from(d.to_digit(8)? << 6 | take(2, 8, &mut chars)?).ok()?,
                e @ ('u' | 'U') => {
                    let c = char::from_u32(take(if e == 'u' { 4 } else { 8 }, 16, &mut chars)?)?;
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    continue;
                }
                _ => return None,
            },
            _ => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                continue;
            }
        };
        out.push(byte);
    }
    Some(String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// Go's `%#U`: `U+0021 '!'`, or `U+0009` for a character that does not print.
fn go_rune(c: char) -> String {
    if c.is_control() || (c.is_whitespace() && c != ' ') {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{c}'", c as u32)
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation: client-go's jsonpath.go over borrowed values.

type Values<'a> = Vec<&'a Value>;

/// The bytes of a string, as `.*` and `..` see them: numbers.
static BYTES: LazyLock<Vec<Value>> = LazyLock::new(|| (0..=255u8).map(Value::from).collect());

/// What the body of a range over nothing runs over: prints nothing, but cannot be filtered.
static NIL: Value = Value::Null;

/// FindResults' counters: ranges begun, ranges being run, ends met, and the last end met.
#[derive(Default)]
struct Exec {
    begin: usize,
    in_range: usize,
    end: usize,
    last_end: Option<usize>,
}

impl Exec {
    /// The results of `nodes[from..]` over `cur`, one group per action or text (FindResults).
    fn find<'a>(&mut self, nodes: &'a [Node], from: usize, cur: &[&'a Value]) -> Result<Vec<Values<'a>>, String> {
        let mut groups = Vec::new();
        let mut i = from;
        while i < nodes.len() {
            let results = self.walk(cur, &nodes[i])?;
            if self.end > 0 && self.end <= self.in_range {
                self.end -= 1;
                self.last_end = Some(i);
                break;
            }
            if self.begin > 0 {
                self.begin -= 1;
                self.in_range += 1;
                if results.is_empty() {
                    // Run the body once, over Go's nil, only to find its end.
                    self.find(nodes, i + 1, &[&NIL])?;
                }
                for value in results {
                    groups.extend(self.find(nodes, i + 1, &[value])?);
                }
                self.in_range -= 1;
                if let Some(end) = self.last_end.filter(|&end| end > i) {
                    i = end;
                }
            } else {
                groups.push(results);
            }
            i += 1;
        }
        Ok(groups)
    }

    fn list<'a>(&mut self, input: &[&'a Value], nodes: &'a [Node]) -> Result<Values<'a>, String> {
        nodes.iter().try_fold(input.to_vec(), |cur, node| self.walk(&cur, node))
    }

    fn walk<'a>(&mut self, input: &[&'a Value], node: &'a Node) -> Result<Values<'a>, String> {
        Ok(match node {
            Node::List(nodes) => return self.list(input, nodes),
            Node::Text(text) => vec![text],
            Node::Literal(value) => vec![value; input.len()],
            Node::Field(name) => input.iter().filter_map(|v| v.as_object()?.get(name)).collect(),
            Node::Array(params) => return slice(input, params),
            Node::Filter { left, right, op } => return self.filter(input, left, right, op),
            Node::Wildcard => input.iter().flat_map(|&v| children(v)).collect(),
            Node::Recursive => {
                let mut out = Vec::new();
                descend(input, &mut out);
                out
            }
            Node::Union(members) => {
                let mut out = Vec::new();
                for member in members {
                    out.extend(self.list(input, member)?);
                }
                out
            }
            Node::Identifier(word) => match word.as_str() {
                "range" => {
                    self.begin += 1;
                    input.to_vec()
                }
                "end" if self.in_range > 0 => {
                    self.end += 1;
                    Vec::new()
                }
                "end" => return Err("not in range, nothing to end".into()),
                _ => return Err(format!("unrecognized identifier {word}")),
            },
        })
    }

    fn filter<'a>(
        &mut self,
        input: &[&'a Value],
        left: &'a [Node],
        right: &'a [Node],
        op: &str,
    ) -> Result<Values<'a>, String> {
        let mut out = Vec::new();
        for &value in input {
            let Value::Array(items) = value else {
                let shown = if std::ptr::eq(value, &NIL) { "<invalid reflect.Value>".into() } else { go_sprint(value) };
                return Err(format!("{shown} is not array or slice and cannot be filtered"));
            };
            for item in items {
                let lefts = self.list(&[item], left);
                if op == "exists" {
                    // kubectl ignores the error here, and the step that failed returns its input.
                    if lefts.map_or(true, |l| !l.is_empty()) {
                        out.push(item);
                    }
                    continue;
                }
                let Some(l) = one(lefts?)? else { continue };
                let Some(r) = one(self.list(&[item], right)?)? else { continue };
                if compare(op, l, r)? {
                    out.push(item);
                }
            }
        }
        Ok(out)
    }
}

fn one(values: Values<'_>) -> Result<Option<&Value>, String> {
    match values[..] {
        [] => Ok(None),
        [value] => Ok(Some(value)),
        _ => Err("can only compare one element at a time".into()),
    }
}

/// `[start:end:step]` of each input array (evalArray).
fn slice<'a>(input: &[&'a Value], params: &[Param; 3]) -> Result<Values<'a>, String> {
    let mut out = Vec::new();
    for &value in input {
        let items = match value {
            Value::Null => continue,
            Value::Array(items) => items,
            other => return Err(format!("{} is not array or slice", go_type(other))),
        };
        let len = items.len() as i64;
        let mut start = if params[0].known { params[0].value } else { 0 };
        let mut end = if params[1].known { params[1].value } else { len };
        if start < 0 {
            start += len;
        }
        if end < 0 || (end == 0 && params[1].derived) {
            end += len;
        }
        if start == end {
            return Ok(out); // kubectl stops here, whatever the inputs after this one hold
        }
        if start < 0 || start >= len {
            return Err(format!("array index out of bounds: index {start}, length {len}"));
        }
        if end < 0 || end > len {
            return Err(format!("array index out of bounds: index {}, length {len}", end.wrapping_sub(1)));
        }
        if start > end {
            return Err(format!("starting index {start} is greater than ending index {end}"));
        }
        let step = match params[2] {
            Param { known: true, value, .. } if value <= 0 => return Err("step must be > 0".into()),
            Param { known: true, value, .. } => value as usize,
            _ => 1,
        };
        out.extend(items[start as usize..end as usize].iter().step_by(step));
    }
    Ok(out)
}

/// What `.*` gives for one value: an object's values by key, an array's elements, a string's bytes.
fn children(value: &Value) -> Values<'_> {
    match value {
        Value::Object(map) => sorted(map).into_iter().map(|(_, v)| v).collect(),
        Value::Array(items) => items.iter().collect(),
        Value::String(s) => s.bytes().map(|b| &BYTES[usize::from(b)]).collect(),
        _ => Vec::new(),
    }
}

/// An object's entries in Go's order for a map: keys sorted (whatever order serde_json keeps).
fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// `..`: each value that has children, then its descendants that have, depth first.
fn descend<'a>(input: &[&'a Value], out: &mut Values<'a>) {
    for &value in input {
        let kids = children(value);
        if !kids.is_empty() {
            out.push(value);
            descend(&kids, out);
        }
    }
}

/// A filter's comparison, as Go's text/template compares two values.
fn compare(op: &str, left: &Value, right: &Value) -> Result<bool, String> {
    #[derive(PartialEq, PartialOrd)]
    enum Scalar<'v> {
        Bool(bool),
        Int(i64),
        Float(f64),
        Str(&'v str),
    }
    fn scalar(value: &Value) -> Result<Scalar<'_>, String> {
        match value {
            Value::Bool(b) => Ok(Scalar::Bool(*b)),
            Value::Number(n) => {
                Ok(n.as_i64().map_or_else(|| Scalar::Float(n.as_f64().unwrap_or(f64::NAN)), Scalar::Int))
            }
            Value::String(s) => Ok(Scalar::Str(s)),
            _ => Err("invalid type for comparison".into()),
        }
    }
    let (a, b) = (scalar(left)?, scalar(right)?);
    if std::mem::discriminant(&a) != std::mem::discriminant(&b) {
        return Err("incompatible types for comparison".into());
    }
    let less = || match a {
        Scalar::Bool(_) => Err(String::from("invalid type for comparison")),
        _ => Ok(a < b),
    };
    Ok(match op {
        "==" => a == b,
        "!=" => a != b,
        "<" => less()?,
        "<=" => less()? || a == b,
        ">" => !(less()? || a == b),
        ">=" => !less()?,
        _ => return Err(format!("unrecognized filter operator {op}")),
    })
}

/// Go's `%v` of a value, which kubectl quotes in "… cannot be filtered" and prints in a
/// custom column (`<nil>`, `map[k:v]`, `[a b]`).
pub fn go_sprint(value: &Value) -> String {
    let join = |parts: Vec<String>| parts.join(" ");
    match value {
        Value::Null => "<nil>".into(),
        Value::Array(items) => format!("[{}]", join(items.iter().map(go_sprint).collect())),
        Value::Object(map) => {
            let entries = sorted(map).into_iter().map(|(k, v)| format!("{k}:{}", go_sprint(v)));
            format!("map[{}]", join(entries.collect()))
        }
        _ => text(value),
    }
}

/// The Go type kubectl names in "… is not array or slice".
fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "map[string]interface {}",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.as_i64().is_some() => "int64",
        _ => "float64",
    }
}

// ---------------------------------------------------------------------------------------------
// Printing: Go's fmt for a float64, and encoding/json's compact form.

/// A float64 as Go prints it: `fmt`'s `%v` (exponent from 1e+06 and below 1e-04), or
/// `json.Marshal` (exponent from 1e21 and below 1e-6).
fn go_float(f: f64, json: bool) -> String {
    let exp = format!("{f:e}");
    let (mantissa, power) = exp.split_once('e').unwrap_or((&exp, "0"));
    let power: i32 = power.parse().unwrap_or(0);
    let exponent = if json { f != 0.0 && (f.abs() < 1e-6 || f.abs() >= 1e21) } else { !(-4..6).contains(&power) };
    if !exponent {
        return format!("{f}");
    }
    let sign = if power < 0 { '-' } else { '+' };
    let width = if json { 1 } else { 2 };
    format!("{mantissa}e{sign}{:0width$}", power.unsigned_abs())
}

/// Go's `json.Marshal`: compact, keys sorted, `<`, `>` and `&` escaped.
fn marshal(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => out.push_str(&i.to_string()),
            None => out.push_str(&go_float(n.as_f64().unwrap_or(f64::NAN), true)),
        },
        Value::String(s) => marshal_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                marshal(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in sorted(map).into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                marshal_string(key, out);
                out.push(':');
                marshal(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string as Go writes it: serde_json's escapes (`\b`, `\f`, lowercase `\u001b`), and HTML's.
fn marshal_string(s: &str, out: &mut String) {
    for c in serde_json::to_string(s).unwrap_or_default().chars() {
        match c {
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The JSON of kubernetes.io's "JSONPath Support" page.
    fn docs() -> Value {
        json!({
            "kind": "List",
            "items": [
                {
                    "kind": "None",
                    "metadata": {"name": "127.0.0.1", "labels": {"kubernetes.io/hostname": "127.0.0.1"}},
                    "status": {
                        "capacity": {"cpu": "4"},
                        "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]
                    }
                },
                {
                    "kind": "None",
                    "metadata": {"name": "127.0.0.2"},
                    "status": {
                        "capacity": {"cpu": "8"},
                        "addresses": [
                            {"type": "LegacyHostIP", "address": "127.0.0.2"},
                            {"type": "another", "address": "127.0.0.3"}
                        ]
                    }
                }
            ],
            "users": [
                {"name": "myself", "user": {}},
                {"name": "e2e", "user": {"username": "admin", "password": "secret"}}
            ]
        })
    }

    /// Shaped like the plugin's `get -o json`.
    fn plugin() -> Value {
        json!({
            "enabled": true,
            "context": "local",
            "activeRequests": [
                {"id": "ab12cd34", "role": "readonly", "scope": null, "requestor": "bob",
                 "expiresAt": "2026-12-06T21:00:00Z", "n": 3, "tags": ["a", "b"]},
                {"id": "x", "role": "operator", "scope": "ns1", "requestor": "amy <a&b>",
                 "expiresAt": "2026-12-07T09:30:00Z", "n": 10, "tags": []}
            ],
            "pendingRequests": []
        })
    }

    fn render(template: &str, root: &Value) -> String {
        let parsed = Template::parse(template).unwrap_or_else(|e| panic!("{template}: {e}"));
        parsed.render(root).unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    fn error(template: &str, root: &Value) -> String {
        match Template::parse(template) {
            Ok(parsed) => parsed.render(root).expect_err(template),
            Err(e) => e,
        }
    }

    #[test]
    fn the_rows_of_the_kubernetes_io_table_print_what_kubectl_prints() {
        let root = docs();
        let compact = text(&root);
        // The page shows Go's `map[cpu:4]` and brackets around lists; kubectl prints JSON and spaces.
        let rows = [
            ("kind is {.kind}", "kind is List"),
            ("{@}", compact.as_str()),
            ("{.kind}", "List"),
            ("{['kind']}", "List"),
            ("{['name\\.type']}", ""),
            ("{..name}", "127.0.0.1 127.0.0.2 myself e2e"),
            ("{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"),
            ("{.users[0].name}", "myself"),
            ("{.items[*]['metadata.name', 'status.capacity']}", r#"127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}"#),
            (r#"{.users[?(@.name=="e2e")].user.password}"#, "secret"),
            (
                "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
                r#"[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] "#,
            ),
            ("{range .items[*]}{.metadata.name}{'\\t'}{end}", "127.0.0.1\t127.0.0.2\t"),
            ("{.items[0].metadata.labels.kubernetes\\.io/hostname}", "127.0.0.1"),
        ];
        for (template, expected) in rows {
            assert_eq!(render(template, &root), expected, "{template}");
        }
        assert!(compact.starts_with(r#"{"items":[{"kind":"None","metadata":{"labels":{"kubernetes.io/hostname""#));
    }

    #[test]
    fn the_page_s_command_examples() {
        let root = docs();
        assert_eq!(render("{.items[0].metadata.name}", &root), "127.0.0.1");
        assert_eq!(
            render(r#"{range .items[*]}{.metadata.name}{"\t"}{.status.capacity.cpu}{"\n"}{end}"#, &root),
            "127.0.0.1\t4\n127.0.0.2\t8\n"
        );
        assert_eq!(render("{.items[*].status.addresses[*].address}", &root), "127.0.0.1 127.0.0.2 127.0.0.3");
        assert_eq!(render("{.items..address}", &root), "127.0.0.1 127.0.0.2 127.0.0.3");
        assert_eq!(render("{..kind}", &root), "List None None");
        let nested =
            "{range .items[*]}{.metadata.name}:{range .status.addresses[*]}{.type}={.address},{end}{\"\\n\"}{end}";
        assert_eq!(
            render(nested, &root),
            "127.0.0.1:LegacyHostIP=127.0.0.1,\n127.0.0.2:LegacyHostIP=127.0.0.2,another=127.0.0.3,\n"
        );
    }

    #[test]
    fn fields_and_text() {
        let root = plugin();
        assert_eq!(render("{.enabled}", &root), "true");
        assert_eq!(render("context={.context}", &root), "context=local");
        assert_eq!(render("{$.context}{@.context}{ .context }{['context']}", &root), "locallocallocallocal");
        assert_eq!(render("{.activeRequests[*].id}", &root), "ab12cd34 x");
        assert_eq!(render("{.activeRequests[*].scope}", &root), "null ns1");
        assert_eq!(render("{.activeRequests[*].n}", &root), "3 10");
        assert_eq!(render("{.activeRequests[*].tags}", &root), r#"["a","b"] []"#);
        assert_eq!(render("{.activeRequests[1].requestor}", &root), "amy <a&b>");
        assert_eq!(
            render("{.activeRequests[1]}", &root),
            r#"{"expiresAt":"2026-12-07T09:30:00Z","id":"x","n":10,"requestor":"amy \u003ca\u0026b\u003e","role":"operator","scope":"ns1","tags":[]}"#
        );
        assert_eq!(render("{.pendingRequests}", &root), "[]");
        assert_eq!(render("text only", &root), "text only");
        assert_eq!(render("{.enabled}{.enabled}", &root), "truetrue");
        assert_eq!(render("{}", &root), text(&root));
        assert_eq!(render("{.}", &root), "");
    }

    #[test]
    fn a_missing_key_prints_nothing() {
        let root = plugin();
        assert_eq!(render("{.missing}", &root), "");
        assert_eq!(render("x={.missing}=y", &root), "x==y");
        assert_eq!(render("{.missing.deeper[0]}", &root), "");
        assert_eq!(render("{.activeRequests[0].scope.x}", &root), "");
        assert_eq!(render("{.context.x}", &root), "");
        assert_eq!(render("{.activeRequests[0]['metadata.name']}", &root), "");
    }

    #[test]
    fn indexes_and_slices() {
        let root = plugin();
        let ids = |template: &str| render(&format!("{{.activeRequests{template}.id}}"), &root);
        assert_eq!(ids("[0]"), "ab12cd34");
        assert_eq!(ids("[-1]"), "x");
        assert_eq!(ids("[-2]"), "ab12cd34");
        assert_eq!(ids("[]"), "ab12cd34");
        assert_eq!(ids("[0:1]"), "ab12cd34");
        assert_eq!(ids("[1:]"), "x");
        assert_eq!(ids("[:2]"), "ab12cd34 x");
        assert_eq!(ids("[-2:]"), "ab12cd34 x");
        assert_eq!(ids("[0:-1]"), "ab12cd34");
        assert_eq!(ids("[::2]"), "ab12cd34");
        assert_eq!(ids("[2:2]"), "");
        assert_eq!(ids("[1,0]"), "x ab12cd34");
        assert_eq!(ids("[0, -1]"), "ab12cd34 x");
        assert_eq!(ids("[0,*]"), "ab12cd34 ab12cd34 x");
        assert_eq!(render("{.pendingRequests[*].id}", &root), "");
        let errors = [
            ("[-3]", "array index out of bounds: index -1, length 2"),
            ("[2]", "array index out of bounds: index 2, length 2"),
            ("[:3]", "array index out of bounds: index 2, length 2"),
            ("[1:0]", "starting index 1 is greater than ending index 0"),
            ("[::0]", "step must be > 0"),
            ("[x]", "invalid array index x"),
            ("[-]", "array index - is not a number"),
            ("[1:2:3:4]", "invalid array index 1:2:3:4"),
        ];
        for (index, message) in errors {
            assert_eq!(error(&format!("{{.activeRequests{index}.id}}"), &root), message, "{index}");
        }
        assert_eq!(error("{.pendingRequests[0].id}", &root), "array index out of bounds: index 0, length 0");
    }

    #[test]
    fn kubectl_s_quirks_are_kept() {
        let root = plugin();
        // `[*]` and `[n]` want an array; `.*` takes an object's values and a string's bytes.
        assert_eq!(error("{.activeRequests[0][*]}", &root), "map[string]interface {} is not array or slice");
        assert_eq!(error("{.context[0]}", &root), "string is not array or slice");
        assert_eq!(render("{.context.*}", &root), "108 111 99 97 108");
        assert_eq!(render("{.activeRequests[0].tags.*}", &root), "a b");
        assert_eq!(render("{.activeRequests[1].*}", &root), "2026-12-07T09:30:00Z x 10 amy <a&b> operator ns1 []");
        // Only single quotes make a key, and the key is a path.
        assert_eq!(error("{.activeRequests[0][\"id\"]}", &root), "invalid array index \"id\"");
        assert_eq!(render("{['activeRequests'][0]['id']}", &root), "ab12cd34");
        let dotted = json!({"a": {"b": 1}, "a.b": 2});
        assert_eq!(render("{['a.b']}", &dotted), "1");
        assert_eq!(render("{['a\\.b']} {.a\\.b}", &dotted), "2 2");
        // A selection of no elements ends the step: the later lists' elements are dropped.
        let lists = json!({"lists": [[], [1, 2], [3]]});
        assert_eq!(render("{.lists[*][*]}", &lists), "");
        assert_eq!(render("{.lists[1:][*]}", &lists), "1 2 3");
        // An exists filter whose path fails keeps the element (`tags[0]` of an empty list).
        assert_eq!(render("{.activeRequests[?(@.tags[0])].id}", &root), "ab12cd34 x");
        // A range without an end runs to the end of the template.
        assert_eq!(render("{range .activeRequests[*]}{.id}", &root), "ab12cd34x");
        // A literal repeats for each input; a quoted string stands alone.
        assert_eq!(render("{.context 5}{\"a\" \"b\"}", &root), "5b");
        assert_eq!(render("{5} {-3} {2.5} {1.} {true} {false}", &root), "5 -3 2.5 1 true false");
    }

    #[test]
    fn ranges() {
        let root = plugin();
        assert_eq!(
            render(r#"{range .activeRequests[*]}{.id}{"\t"}{.role}{"\t"}{.scope}{"\n"}{end}"#, &root),
            "ab12cd34\treadonly\tnull\nx\toperator\tns1\n"
        );
        assert_eq!(
            render("{range .activeRequests[*]}[{.id}, {.tags}] {end}", &root),
            r#"[ab12cd34, ["a","b"]] [x, []] "#
        );
        assert_eq!(render("{range .pendingRequests[*]}{.id}{\"\\n\"}{end}after", &root), "after");
        assert_eq!(render("{range .activeRequests[*]}{range .tags[*]}<{@}>{end};{end}", &root), "<a><b>;;");
        assert_eq!(render("{range .activeRequests[*]}{range .nope[*]}x{end}{.id};{end}", &root), "ab12cd34;x;");
        assert_eq!(render("{ range .activeRequests[*] }{ .role }{ end }", &root), "readonlyoperator");
        assert_eq!(render("{range @}{.context}{end}", &root), "local");
        // The body of a range over nothing runs once over Go's nil: it prints nothing, and a filter fails.
        assert_eq!(
            error("{range .pendingRequests[*]}{[?(@.x)]}{end}", &root),
            "<invalid reflect.Value> is not array or slice and cannot be filtered"
        );
        assert_eq!(error("{end}", &root), "not in range, nothing to end");
        assert_eq!(error("{range .activeRequests[*]}{end}{end}", &root), "not in range, nothing to end");
    }

    #[test]
    fn filters() {
        let root = plugin();
        let ids = |filter: &str| render(&format!("{{.activeRequests[?({filter})].id}}"), &root);
        assert_eq!(ids(r#"@.role=="operator""#), "x");
        assert_eq!(ids(r#"@.role!="operator""#), "ab12cd34");
        assert_eq!(ids("@.role=='operator'"), "x");
        assert_eq!(ids(r#" @.role == "operator" "#), "x");
        assert_eq!(ids(r#"@.role<"p""#), "x");
        assert_eq!(ids("@.n>2"), "ab12cd34 x");
        assert_eq!(ids("@.n>5"), "x");
        assert_eq!(ids("@.n<5"), "ab12cd34");
        assert_eq!(ids("@.n<=3"), "ab12cd34");
        assert_eq!(ids("@.n>=10"), "x");
        assert_eq!(ids("@.scope"), "ab12cd34 x");
        assert_eq!(ids("@.nope"), "");
        assert_eq!(ids("@.id==@.id"), "ab12cd34 x");
        assert_eq!(ids(r#"@.role=="a)b""#), "");
        let floats = json!({"fl": [{"v": 1.5}, {"v": 2.5}, {"v": 3.0}], "b": [{"b": true}, {"b": false}]});
        assert_eq!(render("{.fl[?(@.v>2.0)].v}", &floats), "2.5 3");
        assert_eq!(render("{.b[?(@.b==true)].b} {.b[?(@.b!=false)].b}", &floats), "true true");
        let errors = [
            (r#"@.scope=="ns1""#, "invalid type for comparison"), // null
            (r#"@.tags=="a""#, "invalid type for comparison"),
            ("@.n==2.5", "incompatible types for comparison"),
            (r#"@.n=="3""#, "incompatible types for comparison"),
            (r#"@.tags[*]=="a""#, "can only compare one element at a time"),
            ("@.n=3", "unrecognized filter operator ="),
            ("@.n=<3", "unrecognized filter operator =<"),
        ];
        for (filter, message) in errors {
            assert_eq!(error(&format!("{{.activeRequests[?({filter})].id}}"), &root), message, "{filter}");
        }
        assert_eq!(error("{.fl[?(@.v>2)].v}", &floats), "incompatible types for comparison");
        assert_eq!(error("{.b[?(@.b<true)].b}", &floats), "invalid type for comparison");
        assert_eq!(error("{.context[?(@.x)]}", &root), "local is not array or slice and cannot be filtered");
        assert_eq!(
            error("{.activeRequests[0][?(@.x)]}", &root),
            "map[expiresAt:2026-12-06T21:00:00Z id:ab12cd34 n:3 requestor:bob role:readonly scope:<nil> tags:[a b]] \
             is not array or slice and cannot be filtered"
        );
        assert_eq!(render("{.nope[?(@.x)]}", &root), "");
    }

    #[test]
    fn recursive_descent_and_unions() {
        let root = plugin();
        assert_eq!(render("{..id}", &root), "ab12cd34 x");
        assert_eq!(render("{..role}", &root), "readonly operator");
        assert_eq!(render("{.activeRequests[*]['id','role']}", &root), "ab12cd34 x readonly operator");
        assert_eq!(render("{.activeRequests[*]['id', 'role']}", &root), "ab12cd34 x readonly operator");
        assert_eq!(error("{..[0]}", &root), "map[string]interface {} is not array or slice");
        let nested = json!({"m": {"x": [1, {"y": null}], "s": "q"}, "e": "", "o": {}});
        assert_eq!(render("{..y}", &nested), "null");
        assert_eq!(
            render("{..}", &nested),
            r#"{"e":"","m":{"s":"q","x":[1,{"y":null}]},"o":{}} {"s":"q","x":[1,{"y":null}]} q [1,{"y":null}] {"y":null}"#
        );
    }

    #[test]
    fn quoted_strings() {
        let root = json!({});
        assert_eq!(render(r#"{"{"}"#, &root), "{");
        assert_eq!(render(r#"{"\n"}{"\t"}{'\t'}x"#, &root), "\n\t\tx");
        assert_eq!(render(r#"{"a\"b"}{'it\'s'}{'"'}"#, &root), "a\"bit's\"");
        assert_eq!(render(r#"{"\u00e9\x41\101"}{"é"}"#, &root), "éAAé");
        for bad in [r#"{"\'"}"#, r#"{"\x4"}"#, r#"{"\400"}"#, r#"{"\uD800"}"#, r#"{"\q"}"#] {
            assert!(error(bad, &root).starts_with("unquote string "), "{bad}");
        }
        assert_eq!(error(r#"{"\\"}"#, &root), "unterminated quoted string");
    }

    #[test]
    fn parse_errors() {
        let errors = [
            ("{.a", "unclosed action"),
            ("{.a\n}", "unclosed action"),
            ("{.a[0}", "unterminated array"),
            ("{\"abc", "unterminated quoted string"),
            ("{.a[?(@.n>1)}", "unclosed array expect ]"),
            ("{.a[?(@.n>1].id}", "unterminated filter"),
            ("{....a}", "invalid multiple recursive descent"),
            ("{!}", "unrecognized character in action: U+0021 '!'"),
            ("{.a\t}", "unrecognized character in action: U+0009"),
            ("{.a,.b}", "unrecognized character in action: U+002C ','"),
            ("{1.5.5}", "cannot parse number 1.5.5"),
        ];
        for (template, message) in errors {
            assert_eq!(Template::parse(template).unwrap_err(), message, "{template:?}");
        }
        assert_eq!(error("{foo}", &json!({})), "unrecognized identifier foo");
        assert_eq!(error("{.a b}", &json!({})), "unrecognized identifier b");
        assert_eq!(Template::parse("").unwrap().render(&json!({})).unwrap(), "");
    }

    #[test]
    fn values_are_the_results_found() {
        let root = plugin();
        let values = |t: &str| Template::parse(t).unwrap().values(&root).unwrap();
        assert_eq!(values("{.activeRequests[*].id}"), [json!("ab12cd34"), json!("x")]);
        assert_eq!(values("{.activeRequests[*].scope}"), [Value::Null, json!("ns1")]);
        assert_eq!(values("{.activeRequests[0].tags}"), [json!(["a", "b"])]);
        assert!(values("{.missing}").is_empty());
        assert_eq!(values("{range .activeRequests[*]}{.n}{end}"), [json!(3), json!(10)]);
    }

    #[test]
    fn text_prints_as_go_does() {
        assert_eq!(text(&json!("a <b>")), "a <b>");
        assert_eq!(text(&Value::Null), "null");
        assert_eq!(text(&json!(false)), "false");
        assert_eq!(text(&json!(-42)), "-42");
        assert_eq!(text(&json!(9223372036854775807i64)), "9223372036854775807");
        assert_eq!(text(&json!(18446744073709551615u64)), "1.8446744073709552e+19");
        let floats = [
            (3.0, "3"),
            (2.5, "2.5"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.5, "1.2345675e+06"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
        ];
        for (f, expected) in floats {
            assert_eq!(text(&json!(f)), expected, "{f}");
        }
        let json_floats =
            [(3.0, "3"), (1e20, "100000000000000000000"), (1e21, "1e+21"), (0.00001, "0.00001"), (1.5e-7, "1.5e-7")];
        for (f, expected) in json_floats {
            assert_eq!(text(&json!([f])), format!("[{expected}]"), "{f}");
        }
        assert_eq!(
            text(&json!({"b": 1, "B": 2, "a": [true, null], "é": {}, "a b": "x"})),
            r#"{"B":2,"a":[true,null],"a b":"x","b":1,"é":{}}"#
        );
        assert_eq!(
            text(&json!(["<&>", "q\"\\", "\n\r\t\u{8}\u{c}\u{1}\u{7f}\u{2028}\u{2029}é"])),
            "[\"\\u003c\\u0026\\u003e\",\"q\\\"\\\\\",\"\\n\\r\\t\\b\\f\\u0001\u{7f}\\u2028\\u2029é\"]"
        );
    }

    #[test]
    fn relaxed_expressions() {
        for expression in [".a.b", "a.b", "{.a.b}", "{a.b}"] {
            assert_eq!(relaxed(expression).unwrap(), "{.a.b}", "{expression}");
        }
        assert_eq!(relaxed("").unwrap(), "");
        assert_eq!(relaxed(".").unwrap(), "{..}");
        assert_eq!(relaxed("{.}").unwrap(), "{..}");
        assert_eq!(relaxed("..a").unwrap(), "{..a}");
        assert_eq!(relaxed("a[0].b").unwrap(), "{.a[0].b}");
        for bad in ["{}", "{a", "a}", "{{a}}", "{.a}{.b}"] {
            assert_eq!(
                relaxed(bad).unwrap_err(),
                "unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'",
                "{bad}"
            );
        }
    }
}
