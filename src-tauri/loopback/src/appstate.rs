//! App-state sync as WhatsApp's server keeps it: per account and collection
//! (`regular`, `regular_high`, …), an ordered list of patches. Devices upload a
//! patch on top of the version they have (a stale base is a 409 conflict); the
//! server numbers it, tells the account's other devices (`server_sync`), and
//! hands out the patches after a device's version when it syncs. The patches are
//! the clients' own: encrypted and MAC'd with the account's sync keys, which the
//! phone shares with its companions. The server never reads them.

use std::collections::HashMap;

use whatsapp_rust::buffa::{Message as _, MessageField};
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::{Node, NodeContent};
use whatsapp_rust::waproto::whatsapp as wa;

use crate::route::attr;

/// Patches by (account number, collection), version `i + 1` at index `i`.
#[derive(Default)]
pub struct Patches {
    by: HashMap<(String, String), Vec<Vec<u8>>>,
}

/// What an app-state IQ did.
pub enum Outcome {
    /// The answer's `<sync>`, and the collections that moved (to announce).
    Answer(Node, Vec<(String, u64)>),
}

/// `sync` (an answer) with its regular collections (not the `critical_*` ones a
/// device needs to come online) refused with `code`, as WhatsApp's server answers a
/// collection it cannot serve: `<collection type="error">` inside a result.
pub fn refuse_regular(sync: Node, code: u16) -> Node {
    let children = sync.children().map(|c| c.to_vec()).unwrap_or_default();
    NodeBuilder::new("sync")
        .children(children.into_iter().map(|c| {
            let name = attr(&c, "name").unwrap_or_default();
            if name.starts_with("critical") {
                return c;
            }
            NodeBuilder::new("collection")
                .attr("name", name)
                .attr("type", "error")
                .children([NodeBuilder::new("error")
                    .attr("code", code.to_string())
                    .attr("text", "internal-server-error")
                    .build()])
                .build()
        }))
        .build()
}

/// Whether a sync asks for a regular collection.
pub fn asks_regular(iq: &Node) -> bool {
    iq.get_optional_child("sync").is_some_and(|s| {
        s.get_children_by_tag("collection")
            .any(|c| !attr(c, "name").unwrap_or_default().starts_with("critical"))
    })
}

/// Whether the IQ only asks for patches (uploads none).
pub fn is_download(iq: &Node) -> bool {
    iq.get_optional_child("sync").is_some_and(|s| {
        s.get_children_by_tag("collection")
            .all(|c| c.get_optional_child("patch").is_none())
    })
}

impl Patches {
    /// Answers `<iq xmlns="w:sync:app:state">` from a device of `pn`.
    pub fn answer(&mut self, pn: &str, iq: &Node) -> Outcome {
        let mut out = Vec::new();
        let mut moved = Vec::new();
        let collections = iq
            .get_optional_child("sync")
            .map(|s| s.get_children_by_tag("collection").cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        for c in collections {
            let name = attr(&c, "name").unwrap_or_default();
            let have: u64 = attr(&c, "version").and_then(|v| v.parse().ok()).unwrap_or(0);
            let list = self.by.entry((pn.to_owned(), name.clone())).or_default();
            let latest = list.len() as u64;
            match c.get_optional_child("patch").and_then(bytes) {
                // An upload on top of `have`.
                Some(patch) if have == latest => {
                    list.push(patch);
                    moved.push((name.clone(), latest + 1));
                    out.push(
                        NodeBuilder::new("collection")
                            .attr("name", name.as_str())
                            .attr("version", (latest + 1).to_string())
                            .build(),
                    );
                }
                Some(_) => out.push(
                    NodeBuilder::new("collection")
                        .attr("name", name.as_str())
                        .attr("type", "error")
                        .children([NodeBuilder::new("error")
                            .attr("code", "409")
                            .attr("text", "conflict")
                            .build()])
                        .build(),
                ),
                // A sync: every patch after `have`, numbered.
                None => {
                    let patches = list
                        .iter()
                        .enumerate()
                        .skip(have as usize)
                        .map(|(i, p)| NodeBuilder::new("patch").bytes(numbered(p, i as u64 + 1)).build())
                        .collect::<Vec<_>>();
                    out.push(
                        NodeBuilder::new("collection")
                            .attr("name", name.as_str())
                            .attr("version", latest.to_string())
                            .attr("has_more_patches", "false")
                            .children([NodeBuilder::new("patches").children(patches).build()])
                            .build(),
                    );
                }
            }
        }
        Outcome::Answer(NodeBuilder::new("sync").children(out).build(), moved)
    }
}

fn bytes(n: &Node) -> Option<Vec<u8>> {
    match &n.content {
        Some(NodeContent::Bytes(b)) => Some(b.clone()),
        _ => None,
    }
}

/// A stored patch with the version the server gave it.
fn numbered(patch: &[u8], version: u64) -> Vec<u8> {
    let Ok(mut p) = wa::SyncdPatch::decode_from_slice(patch) else {
        return patch.to_vec();
    };
    p.version = MessageField::some(wa::SyncdVersion { version: Some(version) });
    p.encode_to_vec()
}
