//! A client's config file, edited in its own format so that nothing outside our entry
//! changes, byte for byte: JSON and JSONC (comments, trailing commas) through a
//! concrete syntax tree, TOML through `toml_edit`, YAML through `yaml-edit`. A UTF-8
//! byte-order mark is kept.

mod json;
mod toml;
mod yaml;

use serde::Serialize;
use serde_json::Value;

/// How a client's file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// JSON, comments and trailing commas allowed (every JSON file: most clients
    /// tolerate them, and a strict file stays strict because we add neither).
    Json,
    Toml,
    Yaml,
}

impl Format {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Json => "JSON",
            Self::Toml => "TOML",
            Self::Yaml => "YAML",
        }
    }
}

/// Why a file cannot be edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocError {
    /// Not valid in its format.
    Syntax(String),
    /// Valid, but the top level or the servers' table is not a map (named).
    Shape(String),
}

enum Tree {
    Json(json::Doc),
    Toml(toml::Doc),
    Yaml(yaml::Doc),
}

/// A parsed config file.
pub struct Doc {
    bom: bool,
    tree: Tree,
}

const BOM: char = '\u{feff}';

impl Doc {
    pub fn parse(format: Format, text: &str) -> Result<Self, DocError> {
        let (bom, body) = match text.strip_prefix(BOM) {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let tree = match format {
            Format::Json => Tree::Json(json::Doc::parse(body)?),
            Format::Toml => Tree::Toml(toml::Doc::parse(body)?),
            Format::Yaml => Tree::Yaml(yaml::Doc::parse(body)?),
        };
        Ok(Self { bom, tree })
    }

    /// Our entry (`root.name`) is there.
    pub fn has(&self, root: &str, name: &str) -> bool {
        match &self.tree {
            Tree::Json(d) => d.has(root, name),
            Tree::Toml(d) => d.has(root, name),
            Tree::Yaml(d) => d.has(root, name),
        }
    }

    /// Adds or replaces `root.name`, creating `root` when missing.
    pub fn set(&mut self, root: &str, name: &str, value: &Value) -> Result<(), DocError> {
        match &mut self.tree {
            Tree::Json(d) => d.set(root, name, value),
            Tree::Toml(d) => d.set(root, name, value),
            Tree::Yaml(d) => d.set(root, name, value),
        }
    }

    /// Removes `root.name`; false when it was not there.
    pub fn remove(&mut self, root: &str, name: &str) -> bool {
        match &mut self.tree {
            Tree::Json(d) => d.remove(root, name),
            Tree::Toml(d) => d.remove(root, name),
            Tree::Yaml(d) => d.remove(root, name),
        }
    }

    pub fn render(&self) -> String {
        let body = match &self.tree {
            Tree::Json(d) => d.render(),
            Tree::Toml(d) => d.render(),
            Tree::Yaml(d) => d.render(),
        };
        if self.bom {
            format!("{BOM}{body}")
        } else {
            body
        }
    }
}

/// `root.name = value` alone, in the format: what a person would paste by hand.
pub fn snippet(format: Format, root: &str, name: &str, value: &Value) -> String {
    let mut doc = Doc::parse(format, "").expect("an empty file parses in every format");
    doc.set(root, name, value).expect("an empty file takes any entry");
    doc.render()
}

fn shape(what: &str) -> DocError {
    DocError::Shape(format!("`{what}` is not a table of entries"))
}
