//! JSON and JSONC through `jsonc-parser`'s concrete syntax tree: comments, trailing
//! commas, indentation and key order stay as they were.

use jsonc_parser::cst::{CstInputValue, CstObject, CstRootNode};
use jsonc_parser::ParseOptions;
use serde_json::Value;

use super::{shape, DocError};

pub struct Doc(CstRootNode);

fn input(v: &Value) -> CstInputValue {
    match v {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(a) => CstInputValue::Array(a.iter().map(input).collect()),
        Value::Object(o) => CstInputValue::Object(o.iter().map(|(k, v)| (k.clone(), input(v))).collect()),
    }
}

impl Doc {
    pub fn parse(text: &str) -> Result<Self, DocError> {
        let root = CstRootNode::parse(text, &ParseOptions::default()).map_err(|e| DocError::Syntax(e.to_string()))?;
        if root.value().is_some_and(|v| v.as_object().is_none()) {
            return Err(shape("(the top level)"));
        }
        Ok(Self(root))
    }

    fn servers(&self, root: &str) -> Option<CstObject> {
        self.0.object_value()?.get(root)?.value()?.as_object()
    }

    pub fn has(&self, root: &str, name: &str) -> bool {
        self.servers(root).and_then(|s| s.get(name)).is_some()
    }

    pub fn set(&mut self, root: &str, name: &str, value: &Value) -> Result<(), DocError> {
        let top = self.0.object_value_or_set();
        let servers = top.object_value_or_create(root).ok_or_else(|| shape(root))?;
        match servers.get(name) {
            Some(prop) => prop.set_value(input(value)),
            None => {
                servers.append(name, input(value));
            }
        }
        Ok(())
    }

    pub fn remove(&mut self, root: &str, name: &str) -> bool {
        match self.servers(root).and_then(|s| s.get(name)) {
            Some(prop) => {
                prop.remove();
                true
            }
            None => false,
        }
    }

    pub fn render(&self) -> String {
        let mut text = self.0.to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }
}
