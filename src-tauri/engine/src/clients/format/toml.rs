//! TOML through `toml_edit`: comments, order and spacing stay as they were. Our entry
//! becomes a `[root.name]` table; maps inside it stay inline (`http_headers = { … }`).

use serde_json::Value;
use toml_edit::{Array, DocumentMut, InlineTable, Item, Table};

use super::{shape, DocError};

pub struct Doc(DocumentMut);

fn inline(v: &Value) -> toml_edit::Value {
    match v {
        // TOML has no null; our entries never hold one.
        Value::Null => toml_edit::Value::from(""),
        Value::Bool(b) => (*b).into(),
        Value::Number(n) => match n.as_i64() {
            Some(i) => i.into(),
            None => n.as_f64().unwrap_or_default().into(),
        },
        Value::String(s) => s.as_str().into(),
        Value::Array(a) => toml_edit::Value::Array(a.iter().map(inline).collect::<Array>()),
        Value::Object(o) => {
            let mut t = InlineTable::new();
            for (k, v) in o {
                t.insert(k, inline(v));
            }
            toml_edit::Value::InlineTable(t)
        }
    }
}

impl Doc {
    pub fn parse(text: &str) -> Result<Self, DocError> {
        text.parse::<DocumentMut>()
            .map(Self)
            .map_err(|e| DocError::Syntax(e.to_string().trim().to_owned()))
    }

    pub fn has(&self, root: &str, name: &str) -> bool {
        self.0
            .get(root)
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.contains_key(name))
    }

    pub fn set(&mut self, root: &str, name: &str, value: &Value) -> Result<(), DocError> {
        let servers = self.0.entry(root).or_insert_with(|| {
            let mut t = Table::new();
            // No bare `[root]` header: only `[root.name]` tables.
            t.set_implicit(true);
            Item::Table(t)
        });
        let servers = servers.as_table_like_mut().ok_or_else(|| shape(root))?;
        let fill = |t: &mut dyn toml_edit::TableLike| {
            t.clear();
            if let Value::Object(o) = value {
                for (k, v) in o {
                    t.insert(k, Item::Value(inline(v)));
                }
            }
        };
        match servers.get_mut(name).and_then(Item::as_table_like_mut) {
            // Refilled in place: it keeps its position and the comments around it.
            Some(existing) => fill(existing),
            None => {
                let mut entry = Table::new();
                fill(&mut entry);
                servers.insert(name, Item::Table(entry));
            }
        }
        Ok(())
    }

    pub fn remove(&mut self, root: &str, name: &str) -> bool {
        self.0
            .get_mut(root)
            .and_then(Item::as_table_like_mut)
            .and_then(|t| t.remove(name))
            .is_some()
    }

    pub fn render(&self) -> String {
        self.0.to_string()
    }
}
