//! CEL literals for the values the admission guards carry (DESIGN.md, "Admission"). The values come
//! from flags and from a ConfigMap that anyone who may write the system namespace can edit, so
//! they are untrusted input for CEL text: only letters, digits and ` ._:/,=-` are written as they
//! are, every other code point as a `\U` escape, so no value can end its literal or start an
//! expression. The parsers read back only what these functions write.

/// Whether a character is written into a string literal as it is.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || " ._:/,=-".contains(c)
}

/// `text` as a single-quoted CEL string literal.
pub fn string(text: &str) -> String {
    let mut literal = String::with_capacity(text.len() + 2);
    literal.push('\'');
    for c in text.chars() {
        if plain(c) {
            literal.push(c);
        } else {
            literal.push_str(&format!("\\U{:08x}", u32::from(c)));
        }
    }
    literal.push('\'');
    literal
}

/// A CEL list of string literals: `['a', 'b']`.
pub fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|item| string(item.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

/// Reads one string literal as [`string`] writes it at the start of `text`; returns it and the rest.
pub fn parse_string_prefix(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('\'')?.char_indices();
    let body = &text[1..];
    let mut value = String::new();
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' => return Some((value, &body[at + 1..])),
            '\\' => {
                let hex = body.get(at + 2..at + 10)?;
                if body.get(at + 1..at + 2)? != "U" || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    return None;
                }
                value.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
                for _ in 0..9 {
                    chars.next();
                }
            }
            c if plain(c) => value.push(c),
            _ => return None,
        }
    }
    None
}

/// Reads back a whole string literal as [`string`] writes it.
pub fn parse_string(text: &str) -> Option<String> {
    match parse_string_prefix(text.trim())? {
        (value, "") => Some(value),
        _ => None,
    }
}

/// Reads back a list as [`list`] writes it.
pub fn parse_list(text: &str) -> Option<Vec<String>> {
    match parse_list_prefix(text.trim())? {
        (items, rest) if rest.trim().is_empty() => Some(items),
        _ => None,
    }
}

/// Reads one list as [`list`] writes it at the start of `text`; returns it and the rest.
pub fn parse_list_prefix(text: &str) -> Option<(Vec<String>, &str)> {
    let mut rest = text.strip_prefix('[')?.trim_start();
    let mut items = Vec::new();
    if let Some(after) = rest.strip_prefix(']') {
        return Some((items, after));
    }
    loop {
        let (item, after) = parse_string_prefix(rest)?;
        items.push(item);
        let after = after.trim_start();
        if let Some(after) = after.strip_prefix(']') {
            return Some((items, after));
        }
        rest = after.strip_prefix(',')?.trim_start();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_cannot_leave_its_literal() {
        for hostile in
            ["x' || true || '", "a\\' + 'b", "line\nbreak", "\u{202e}evil", "'", "\\", "\"", "😀", "", "crusoe-system"]
        {
            let literal = string(hostile);
            let inner = &literal[1..literal.len() - 1];
            assert!(!inner.contains('\'') && !inner.contains('\n'), "{literal}");
            assert!(inner.chars().all(|c| c.is_ascii() && !c.is_ascii_control()), "{literal}");
            assert_eq!(parse_string(&literal).as_deref(), Some(hostile), "{literal}");
        }
        assert_eq!(
            string("x' || true || '"),
            r"'x\U00000027 \U0000007c\U0000007c true \U0000007c\U0000007c \U00000027'"
        );
    }

    #[test]
    fn lists_round_trip_and_anything_else_is_not_read() {
        let items = ["kube-system", "it's", ""];
        assert_eq!(parse_list(&list(&items)).unwrap(), items);
        assert_eq!(parse_list("[]").unwrap(), Vec::<String>::new());
        assert_eq!(list::<&str>(&[]), "[]");
        for bad in ["['a'] + ['b']", "['a',]", "'a'", "['a' 'b']", "[\"a\"]", "['a\\x41']", "['a'", "['\\U0000d800']"] {
            assert_eq!(parse_list(bad), None, "{bad}");
        }
        assert_eq!(parse_string("'a' + 'b'"), None);
    }
}
