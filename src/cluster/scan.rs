//! Reading every binding that has anything to do with support without reading every binding.
//!
//! What the plugin wrote wears the managed label, and bindings others wrote that claim a request id
//! wear the request-id label: the server selects both. Everything else that matters to support is
//! a binding whose subjects include a support identity, or whose role is a support ClusterRole
//! (the chart's). Those are found in the server-side Table form of every binding: no objects, only
//! the name, the role as `Kind/name` and the user and group names; about a sixth of the full
//! list's bytes and a third of its time on the server. A row whose role, users or groups contain
//! `crusoe-support` is a candidate, read in full unless a selected list already holds it.
//! Every support subject's name and every support ClusterRole's starts with `crusoe-support`,
//! which holds no comma or space, and the API server's RBAC printers join the names whole with
//! ", " (no truncation, no abbreviation): no support subject can hide from the scan. A server
//! whose Table lacks those columns has its full list read instead (fail closed). Every read but
//! [`Scan::ManagedCached`]'s is a consistent one: a binding written before the command started is
//! seen.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use futures::future::try_join_all;
use k8s_openapi::api::rbac::v1::{ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use kube::api::{Api, ListParams};
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::base::error::{Error, Result};
use crate::cluster::{Connection, protobuf};
use crate::state;

/// What every support subject's name, and every support ClusterRole's, starts with.
const MARK: &str = "crusoe-support";

/// How many candidates are read by name at most; beyond that, the full list is read.
const MOST_BY_NAME: usize = 32;

/// Which bindings to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The bindings carrying the managed label, selected by the server: records, companions, and
    /// anything else wearing the label (cheap; enough to find what the sweep deletes).
    Managed,
    /// The same, as the API server's watch cache holds them: no wait for the cache to catch up
    /// with a write made a moment ago (a consistent list waits up to about 100 ms for it). Only
    /// to decide whether there is anything to do; what is done is decided on a consistent read.
    ManagedCached,
    /// Also every other binding that claims a request id, names a support subject or binds a
    /// support ClusterRole: foreign grants, the chart's bindings, and every binding of a request's
    /// group whatever its name or labels (what revocation deletes).
    All,
}

/// The bindings of the cluster that have anything to do with support.
#[derive(Debug, Default)]
pub struct Bindings {
    pub cluster: Vec<ClusterRoleBinding>,
    pub namespaced: Vec<RoleBinding>,
}

impl Bindings {
    /// The bindings of one request (its record and companions: the managed label and its id),
    /// both kinds at once: what a command about one request reads, whatever else the cluster holds.
    pub async fn read_request(conn: &Connection, id: &str) -> Result<Bindings> {
        let selector = format!("{},{}={id}", state::MANAGED_SELECTOR, state::REQUEST_ID_LABEL);
        let (cluster, namespaced) =
            tokio::try_join!(protobuf::list(conn, &selector, false), protobuf::list(conn, &selector, false))?;
        Ok(Bindings { cluster, namespaced })
    }

    /// Reads both kinds at once.
    pub async fn read(conn: &Connection, scan: Scan) -> Result<Bindings> {
        let (cluster, namespaced) =
            tokio::try_join!(read::<ClusterRoleBinding>(conn, scan), read::<RoleBinding>(conn, scan))?;
        Ok(Bindings { cluster, namespaced })
    }
}

/// A kind of binding, as the scan needs to see it.
pub trait Binding: protobuf::Parts {
    fn role_ref(&self) -> &RoleRef;
    fn subjects(&self) -> &[Subject];

    /// Whether this binding's Table row would be a candidate: the same test on the object.
    fn is_candidate(&self) -> bool {
        let role = self.role_ref();
        format!("{}/{}", role.kind, role.name).contains(MARK)
            || self
                .subjects()
                .iter()
                .any(|s| matches!(s.kind.as_str(), "User" | "Group" | "ServiceAccount") && s.name.contains(MARK))
    }

    fn key(&self) -> (Option<String>, String) {
        let meta = self.meta();
        (meta.namespace.clone(), meta.name.clone().unwrap_or_default())
    }
}

impl Binding for ClusterRoleBinding {
    fn role_ref(&self) -> &RoleRef {
        &self.role_ref
    }
    fn subjects(&self) -> &[Subject] {
        self.subjects.as_deref().unwrap_or_default()
    }
}

impl Binding for RoleBinding {
    fn role_ref(&self) -> &RoleRef {
        &self.role_ref
    }
    fn subjects(&self) -> &[Subject] {
        self.subjects.as_deref().unwrap_or_default()
    }
}

async fn read<K: Binding>(conn: &Connection, scan: Scan) -> Result<Vec<K>> {
    let api: Api<K> = Api::all(conn.client.clone());
    let managed = protobuf::list::<K>(conn, state::MANAGED_SELECTOR, scan == Scan::ManagedCached);
    if scan != Scan::All {
        return managed.await;
    }
    let claimed = ListParams::default().labels(&format!("{},{}!=true", state::REQUEST_ID_LABEL, state::MANAGED_LABEL));
    let (managed, claimed, rows) =
        tokio::try_join!(managed, conn.call(api.list(&claimed)), candidate_names::<K>(conn))?;
    let every = || async { Ok(conn.call(api.list(&ListParams::default())).await?.items) };
    let Some(rows) = rows else {
        // No usable Table: every binding, in full.
        return every().await;
    };
    let mut found: Vec<K> = managed.into_iter().chain(claimed.items).collect();
    // A name is accounted for when the lists hold as many candidates of that name as the Table has
    // rows (names are unique per namespace; a RoleBinding's row does not say its namespace).
    let mut held: BTreeMap<&str, usize> = BTreeMap::new();
    for binding in found.iter().filter(|b| b.is_candidate()) {
        *held.entry(binding.meta().name.as_deref().unwrap_or_default()).or_default() += 1;
    }
    let missing: Vec<String> = rows
        .iter()
        .filter(|(name, count)| held.get(name.as_str()).copied().unwrap_or(0) < **count)
        .map(|(name, _)| name.clone())
        .collect();
    if missing.len() > MOST_BY_NAME {
        // Many bindings others wrote name support: one full list costs less than a read per name.
        return every().await;
    }
    let fetched = try_join_all(missing.iter().map(|name| {
        let by_name = ListParams::default().fields(&format!("metadata.name={name}"));
        let api = api.clone();
        async move { conn.call(api.list(&by_name)).await }
    }))
    .await?;
    let known: BTreeSet<_> = found.iter().map(Binding::key).collect();
    let mut extra: Vec<K> =
        fetched.into_iter().flat_map(|list| list.items).filter(|b| !known.contains(&b.key())).collect();
    extra.sort_by_key(Binding::key);
    extra.dedup_by_key(|b| b.key());
    found.extend(extra);
    Ok(found)
}

/// The server-side Table of every binding of this kind, without objects. Its cells are read in
/// place (borrowed from the answer): a Table of thousands of bindings is most of what `get` reads.
#[derive(Deserialize)]
struct Table<'a> {
    #[serde(rename = "columnDefinitions", default)]
    columns: Vec<Column>,
    #[serde(borrow, default)]
    rows: Vec<Row<'a>>,
}

#[derive(Deserialize)]
struct Column {
    name: String,
}

#[derive(Deserialize)]
struct Row<'a> {
    #[serde(borrow, default)]
    cells: Vec<Cell<'a>>,
}

/// A cell as the candidate test reads it: its text, or `None` when it is not text.
struct Cell<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Cell<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(cell: D) -> std::result::Result<Self, D::Error> {
        struct Text<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for Text<'a> {
            type Value = Cell<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a table cell")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> std::result::Result<Cell<'a>, E> {
                Ok(Cell(Some(Cow::Borrowed(text))))
            }
            fn visit_str<E>(self, text: &str) -> std::result::Result<Cell<'a>, E> {
                Ok(Cell(Some(Cow::Owned(text.to_string()))))
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Cell<'a>, E> {
                Ok(Cell(None))
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<Cell<'a>, E> {
                Ok(Cell(None))
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<Cell<'a>, E> {
                Ok(Cell(None))
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Cell<'a>, E> {
                Ok(Cell(None))
            }
            fn visit_unit<E>(self) -> std::result::Result<Cell<'a>, E> {
                Ok(Cell(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Cell<'a>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Cell(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<Cell<'a>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Cell(None))
            }
        }
        cell.deserialize_any(Text(std::marker::PhantomData))
    }
}

const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// The names of the candidate rows, with how many rows have each name; `None` when the answer is
/// not a Table with the columns the test needs.
async fn candidate_names<K: Binding>(conn: &Connection) -> Result<Option<BTreeMap<String, usize>>> {
    let request = http::Request::get(format!("{}?includeObject=None", K::url_path(&(), None)))
        .header(http::header::ACCEPT, TABLE)
        .body(Vec::new())
        .map_err(|e| Error::failed(format!("cannot build the request for the binding table: {e}")))?;
    let text = conn.call(conn.client.request_text(request)).await?;
    Ok(candidates(&text))
}

fn candidates(text: &str) -> Option<BTreeMap<String, usize>> {
    let table: Table = serde_json::from_str(text).ok()?;
    let column = |name: &str| table.columns.iter().position(|c| c.name == name);
    let (name, tested) =
        (column("Name")?, [column("Role")?, column("Users")?, column("Groups")?, column("ServiceAccounts")?]);
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for row in &table.rows {
        let cell = |i: usize| row.cells.get(i).and_then(|c| c.0.as_deref());
        // A row without the cells the columns promise is read in full.
        let candidate = tested.iter().any(|&i| cell(i).is_none_or(|text| text.contains(MARK)));
        if candidate {
            *names.entry(cell(name)?.to_string()).or_default() += 1;
        }
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns(names: &[&str]) -> Vec<serde_json::Value> {
        names.iter().map(|name| serde_json::json!({ "name": name })).collect()
    }

    fn table(rows: &[[&str; 6]]) -> String {
        let columns = columns(&["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]);
        let rows: Vec<_> = rows.iter().map(|cells| serde_json::json!({ "cells": cells })).collect();
        serde_json::json!({ "columnDefinitions": columns, "rows": rows }).to_string()
    }

    #[test]
    fn a_support_subject_anywhere_in_a_long_subject_list_makes_a_candidate() {
        let many = (0..500).map(|i| format!("user-{i}")).collect::<Vec<_>>().join(", ");
        let last = format!("{many}, crusoe-support:someone");
        let rows = [
            ["tenant", "ClusterRole/view", "1d", many.as_str(), "", ""],
            ["hidden", "ClusterRole/view", "1d", last.as_str(), "", ""],
            ["group", "ClusterRole/edit", "1d", "", "team, crusoe-support:request:abc", ""],
            ["chart", "ClusterRole/crusoe-support-readonly", "1d", "", "ops", ""],
            ["sa", "ClusterRole/view", "1d", "", "", "crusoe-system/crusoe-support-ab12-1796000000"],
            ["other-sa", "ClusterRole/view", "1d", "", "", "kube-system/coredns"],
        ];
        let names = candidates(&table(&rows)).unwrap();
        assert_eq!(names.keys().collect::<Vec<_>>(), ["chart", "group", "hidden", "sa"]);
    }

    #[test]
    fn rows_of_one_name_in_many_namespaces_are_counted() {
        let rows = [
            ["same", "Role/x", "1d", "crusoe-support:a", "", ""],
            ["same", "Role/x", "1d", "", "crusoe-support", ""],
            ["same", "Role/x", "1d", "someone", "", ""],
        ];
        assert_eq!(candidates(&table(&rows)).unwrap()["same"], 2);
    }

    #[test]
    fn a_table_without_the_subject_columns_or_cells_fails_closed() {
        let json = serde_json::json!({ "columnDefinitions": columns(&["Name", "Age"]), "rows": [] });
        assert!(candidates(&json.to_string()).is_none());
        assert!(candidates("{\"rows\": [").is_none(), "an answer that is not JSON is not a Table");
        let json = serde_json::json!({
            "columnDefinitions": columns(&["Name", "Role", "Age", "Users", "Groups", "ServiceAccounts"]),
            "rows": [
                { "cells": ["short", "Role/x", "1d"] },
                { "cells": ["number", "Role/x", "1d", 7, "", ""], "object": { "kind": "x" } },
                { "cells": ["list", "Role/x", "1d", "", ["a"], { "b": 1 }] },
                { "cells": ["plain", "Role/x", "1d", "", "", ""] },
            ],
        });
        let names = candidates(&json.to_string()).unwrap();
        assert_eq!(names.keys().collect::<Vec<_>>(), ["list", "number", "short"]);
        // Text the answer escapes is read whole.
        let escaped = r#"{"columnDefinitions": [{"name": "Name"}, {"name": "Role"}, {"name": "Users"},
            {"name": "Groups"}, {"name": "ServiceAccounts"}],
            "rows": [{"cells": ["esc", "Role/x", "crusoe\u002dsupport:x", "", ""]}]}"#;
        assert_eq!(candidates(escaped).unwrap()["esc"], 1);
    }
}
