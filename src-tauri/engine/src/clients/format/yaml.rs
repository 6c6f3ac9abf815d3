//! YAML through `yaml-edit`'s lossless syntax tree: comments, order and spacing stay as
//! they were. Our entry is written in block style, every string quoted.

use std::str::FromStr;

use serde_json::Value;
use yaml_edit::YamlNode;

use super::{shape, DocError};

pub struct Doc {
    /// The file as read, when it holds no mapping yet (empty, or comments only).
    blank: Option<String>,
    doc: Option<yaml_edit::Document>,
}

/// `value` as block YAML at `indent` spaces (a map's keys one per line).
fn block(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(o) if !o.is_empty() => {
            for (k, v) in o {
                out.push_str(&format!("{pad}{}:", scalar(&Value::String(k.clone()))));
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push('\n');
                        block(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push('\n');
                        for item in a {
                            out.push_str(&format!("{pad}  - {}\n", scalar(item)));
                        }
                    }
                    _ => out.push_str(&format!(" {}\n", scalar(v))),
                }
            }
        }
        _ => out.push_str(&format!("{pad}{}\n", scalar(value))),
    }
}

/// A scalar, or an empty collection, in flow style. JSON strings are valid YAML
/// double-quoted strings; plain keys stay plain.
fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') => {
            s.clone()
        }
        Value::Object(o) if o.is_empty() => "{}".into(),
        Value::Array(a) if a.is_empty() => "[]".into(),
        other => other.to_string(),
    }
}

fn entry_text(root: &str, name: &str, value: &Value) -> String {
    let mut out = String::new();
    let wrapped = Value::Object(serde_json::Map::from_iter([(
        root.to_owned(),
        Value::Object(serde_json::Map::from_iter([(name.to_owned(), value.clone())])),
    )]));
    block(&wrapped, 0, &mut out);
    out
}

fn parse_fragment(text: &str) -> yaml_edit::Document {
    yaml_edit::Document::from_str(text).expect("our own YAML parses")
}

fn is_empty(node: Option<YamlNode>) -> bool {
    match node {
        None => true,
        Some(YamlNode::Scalar(s)) => s.is_null(),
        Some(_) => false,
    }
}

impl Doc {
    pub fn parse(text: &str) -> Result<Self, DocError> {
        let only_comments = text.lines().all(|l| {
            let l = l.trim();
            l.is_empty() || l.starts_with('#')
        });
        if only_comments {
            return Ok(Self {
                blank: Some(text.to_owned()),
                doc: None,
            });
        }
        let doc = yaml_edit::Document::from_str(text).map_err(|e| DocError::Syntax(e.to_string()))?;
        if doc.as_mapping().is_none() {
            return Err(shape("(the top level)"));
        }
        Ok(Self {
            blank: None,
            doc: Some(doc),
        })
    }

    pub fn has(&self, root: &str, name: &str) -> bool {
        let servers = self.doc.as_ref().and_then(|d| d.as_mapping()?.get_mapping(root));
        servers.is_some_and(|s| s.get(name).is_some())
    }

    pub fn set(&mut self, root: &str, name: &str, value: &Value) -> Result<(), DocError> {
        let Some(doc) = &self.doc else {
            let mut text = self.blank.take().unwrap_or_default();
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&entry_text(root, name, value));
            self.doc = Some(parse_fragment(&text));
            return Ok(());
        };
        let top = doc.as_mapping().ok_or_else(|| shape("(the top level)"))?;
        let ours = parse_fragment(&entry_text(root, name, value));
        let ours = ours
            .as_mapping()
            .and_then(|m| m.get_mapping(root))
            .expect("our own entry is a map");
        match top.get_mapping(root) {
            Some(servers) => servers.set(name, ours.get_mapping(name).expect("our own entry is a map")),
            // Missing, or `root:` with nothing under it (null): it becomes our map.
            None if is_empty(top.get(root)) => top.set(root, ours),
            None => return Err(shape(root)),
        }
        Ok(())
    }

    pub fn remove(&mut self, root: &str, name: &str) -> bool {
        let servers = self.doc.as_ref().and_then(|d| d.as_mapping()?.get_mapping(root));
        servers.is_some_and(|s| s.remove(name).is_some())
    }

    pub fn render(&self) -> String {
        match (&self.doc, &self.blank) {
            (Some(doc), _) => doc.to_string(),
            (None, blank) => blank.clone().unwrap_or_default(),
        }
    }
}
