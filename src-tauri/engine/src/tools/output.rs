//! What a tool returns: JSON (structured content plus its text rendering), and
//! optionally images (QR codes, pictures) or embedded binary resources.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::ToolError;
use crate::model::UNTRUSTED_NOTE;

#[derive(Debug, Clone)]
pub struct Image {
    pub mime: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Blob {
    pub uri: String,
    pub mime: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Output {
    pub value: Value,
    pub images: Vec<Image>,
    pub blobs: Vec<Blob>,
}

impl Output {
    pub fn json<T: Serialize>(v: T) -> Result<Self, ToolError> {
        let value =
            serde_json::to_value(v).map_err(|e| ToolError::server(format!("could not serialize the result: {e}")))?;
        Ok(Self {
            value,
            images: Vec::new(),
            blobs: Vec::new(),
        })
    }

    /// Marks the result as carrying text written by other people.
    pub fn untrusted(mut self) -> Self {
        if let Value::Object(map) = &mut self.value {
            map.insert("untrusted_content".into(), Value::String(UNTRUSTED_NOTE.into()));
        }
        self
    }

    pub fn with_image(mut self, mime: &str, bytes: Vec<u8>) -> Self {
        self.images.push(Image {
            mime: mime.into(),
            bytes,
        });
        self
    }

    pub fn with_blob(mut self, uri: String, mime: &str, bytes: Vec<u8>) -> Self {
        self.blobs.push(Blob {
            uri,
            mime: mime.into(),
            bytes,
        });
        self
    }
}

/// Keeps only the requested fields of each item (dotted paths reach into objects:
/// `sender.name`); `id` always stays so items can be referred to.
pub fn project<T: Serialize>(items: &[T], fields: Option<&[String]>) -> Vec<Value> {
    let values = items.iter().map(|i| serde_json::to_value(i).unwrap_or(Value::Null));
    let Some(fields) = fields.filter(|f| !f.is_empty()) else {
        return values.collect();
    };
    values
        .map(|v| {
            let mut out = Map::new();
            if let Some(id) = v.get("id") {
                out.insert("id".into(), id.clone());
            }
            for f in fields {
                copy_path(&v, &mut out, f);
            }
            Value::Object(out)
        })
        .collect()
}

fn copy_path(from: &Value, to: &mut Map<String, Value>, path: &str) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let Some(v) = from.get(head) else { return };
    match rest {
        None => {
            to.insert(head.into(), v.clone());
        }
        Some(rest) => {
            let entry = to.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if let (Value::Object(inner), true) = (entry, v.is_object()) {
                copy_path(v, inner, rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn projection_keeps_id_and_dotted_paths() {
        let items = vec![json!({"id": "m1", "text": "hi", "sender": {"name": "Ana", "phone": "+1"}, "type": "text"})];
        let fields = vec!["text".to_owned(), "sender.name".to_owned(), "missing".to_owned()];
        let out = project(&items, Some(&fields));
        assert_eq!(out, vec![json!({"id": "m1", "text": "hi", "sender": {"name": "Ana"}})]);
        assert_eq!(project(&items, None), items);
    }
}
