//! Answers to the IQs clients send: prekey uploads, counts and bundles, user
//! lookups (usync), groups, app-state sync and media hosts. Anything else gets
//! an empty result, as most of WhatsApp's bookkeeping IQs do.

use std::sync::Arc;

use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::Node;
use whatsapp_rust::waproto::whatsapp as wa;

use crate::directory::{device_key, split_jid, Group, Keys};
use crate::route::attr;
use crate::wire::Conn;
use crate::{noise, Network};

pub(crate) fn answer(net: &Network, conn: &Arc<Conn>, from: Option<&str>, node: &Node) {
    let kind = attr(node, "type");
    if kind.as_deref() == Some("result") || kind.as_deref() == Some("error") {
        return;
    }
    let Some(id) = attr(node, "id") else { return };
    let xmlns = attr(node, "xmlns").unwrap_or_default();
    let result = NodeBuilder::new("iq")
        .attr("from", "s.whatsapp.net")
        .attr("type", "result")
        .attr("id", id.as_str());
    if let Some(code) = net.take_iq_failure(&xmlns, from) {
        return refuse(conn, &id, code);
    }
    let answer = if let Some(reg) = node.get_optional_child("link_code_companion_reg") {
        // A phone-number link: the server hands back a pairing ref; the code
        // itself is the device's own.
        let jid = attr(reg, "jid").unwrap_or_default();
        net.note(format!("pair-code:{jid}"));
        result.children([NodeBuilder::new("link_code_companion_reg")
            .children([NodeBuilder::new("link_code_pairing_ref")
                .bytes(format!("code-ref-{}", conn.id).into_bytes())
                .build()])
            .build()])
    } else {
        match xmlns.as_str() {
            "usync" => result.children([usync(net, node)]),
            "encrypt" => encrypt(net, from, node, kind.as_deref(), result),
            "w:g2" => match groups(net, from, node, result) {
                Ok(answer) => answer,
                Err(code) => return refuse(conn, &id, code),
            },
            "w:sync:app:state" => net.app_state_answer(from, node, result),
            "w:m" if node.get_optional_child("media_conn").is_some() => result.children([net.media_conn()]),
            // A companion unlinks itself (a logout): the device that asks.
            "md" => match (node.get_optional_child("remove-companion-device"), from) {
                (Some(_), Some(device)) => {
                    net.remove_device(device);
                    result
                }
                _ => result,
            },
            _ => result,
        }
    };
    conn.send(&answer.build());
}

/// Prekeys: an upload (set), the count left (get count), bundles (get key), the digest.
fn encrypt(net: &Network, from: Option<&str>, node: &Node, kind: Option<&str>, result: NodeBuilder) -> NodeBuilder {
    if kind == Some("set") {
        if let (Some(from), Some(keys)) = (from, Keys::from_upload(node)) {
            net.with_dir(|d| {
                let entry = d.keys.entry(from.to_owned()).or_default();
                let mut prekeys = std::mem::take(&mut entry.prekeys);
                prekeys.extend(keys.prekeys.iter().cloned());
                *entry = Keys { prekeys, ..keys };
            });
        }
        return result;
    }
    if node.get_optional_child("count").is_some() {
        let left = from
            .and_then(|f| net.with_dir(|d| d.keys.get(f).map(|k| k.prekeys.len())))
            .unwrap_or(0);
        return result.children([NodeBuilder::new("count").attr("value", left.to_string()).build()]);
    }
    if node.get_optional_child("digest").is_some() {
        // No digest: the client uploads its keys again, which keeps ours current.
        return NodeBuilder::new("iq")
            .attr("from", "s.whatsapp.net")
            .attr("type", "error")
            .attr("id", attr(node, "id").unwrap_or_default())
            .children([NodeBuilder::new("error")
                .attr("code", "404")
                .attr("text", "item-not-found")
                .build()]);
    }
    let Some(key) = node.get_optional_child("key") else {
        return result;
    };
    let bundles: Vec<Node> = key
        .get_children_by_tag("user")
        .filter_map(|u| attr(u, "jid"))
        .map(|jid| bundle(net, &jid))
        .collect();
    result.children([NodeBuilder::new("list").children(bundles).build()])
}

/// A device's bundle; a number nobody simulates gets keys no one holds the
/// private half of (a phone that is never online).
fn bundle(net: &Network, jid: &str) -> Node {
    net.with_dir(|d| {
        let pn = match d.pn_of(jid) {
            Some(pn) => pn,
            None => {
                let user = split_jid(jid).0.to_owned();
                d.add_person(&user, &format!("7{user}"), "").pn.clone()
            }
        };
        let (_, device, _) = split_jid(jid);
        let key = device_key(&pn, device);
        let signed = d.people[&pn]
            .devices
            .get(&device)
            .and_then(|i| i.signed_identity.clone());
        let keys = d.keys.entry(key).or_insert_with(unheld_keys);
        keys.bundle(jid, signed.as_deref())
    })
}

fn unheld_keys() -> Keys {
    let identity = noise::random_key();
    let signed = noise::random_key();
    let signature = identity
        .private_key
        .calculate_signature(&signed.public_key.serialize(), &mut rand010::rng())
        .expect("signing with a valid key")
        .to_vec();
    Keys {
        registration: (rand::random::<u32>() & 0x3fff).to_be_bytes().to_vec(),
        identity: identity.public_key.public_key_bytes().to_vec(),
        signed_prekey: (vec![0, 0, 1], signed.public_key.public_key_bytes().to_vec(), signature),
        prekeys: [(
            vec![0, 0, 7],
            noise::random_key().public_key.public_key_bytes().to_vec(),
        )]
        .into(),
    }
}

/// A user lookup: each user asked about is on WhatsApp, with the devices they
/// have and their LID. Answers the protocols the query names.
fn usync(net: &Network, node: &Node) -> Node {
    let asked: Vec<String> = node
        .get_optional_child_by_tag(&["usync", "query"])
        .and_then(|q| q.children())
        .map(|cs| cs.iter().map(|c| c.tag.to_string()).collect())
        .unwrap_or_default();
    let jids: Vec<String> = node
        .get_optional_child_by_tag(&["usync", "list"])
        .map(|l| {
            l.get_children_by_tag("user")
                .filter_map(|u| {
                    attr(u, "jid").or_else(|| {
                        let phone = u.get_optional_child("contact")?.content_as_string()?;
                        Some(format!("{}@s.whatsapp.net", phone.trim_start_matches('+')))
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let users = jids.into_iter().map(|jid| {
        let (user, _, server) = split_jid(&jid);
        let (devices, lid) = net.with_dir(|d| {
            let pn = d.pn_of(&jid).unwrap_or_else(|| {
                let user = user.to_owned();
                d.add_person(&user, &format!("7{user}"), "").pn.clone()
            });
            let p = &d.people[&pn];
            (p.devices.keys().copied().collect::<Vec<_>>(), p.lid.clone())
        });
        let mut children = Vec::new();
        for p in &asked {
            children.push(match p.as_str() {
                "devices" => devices_node(&devices),
                "contact" => NodeBuilder::new("contact").attr("type", "in").build(),
                "lid" if server != "lid" => NodeBuilder::new("lid").attr("val", format!("{lid}@lid")).build(),
                _ => continue,
            });
        }
        NodeBuilder::new("user")
            .attr("jid", jid.as_str())
            .children(children)
            .build()
    });
    NodeBuilder::new("usync")
        .children([NodeBuilder::new("list").children(users.collect::<Vec<_>>()).build()])
        .build()
}

/// A group as a `<group>` node: what queries answer and creations announce.
pub(crate) fn group_node(id: &str, g: &Group) -> Node {
    NodeBuilder::new("group")
        .attr("id", id)
        .attr("subject", g.subject.as_str())
        .attr("creation", g.created.to_string())
        .attr("creator", format!("{}@s.whatsapp.net", g.creator))
        .children(g.members.iter().map(|(pn, role)| {
            let p = NodeBuilder::new("participant").attr("jid", format!("{pn}@s.whatsapp.net"));
            if role == "member" {
                p.build()
            } else {
                p.attr("type", role.as_str()).build()
            }
        }))
        .build()
}

/// An IQ error, as WhatsApp's server words it.
fn refuse(conn: &Conn, id: &str, code: u16) {
    let text = match code {
        401 => "not-authorized",
        403 => "forbidden",
        404 => "item-not-found",
        _ => "internal-server-error",
    };
    conn.send(
        &NodeBuilder::new("iq")
            .attr("from", "s.whatsapp.net")
            .attr("type", "error")
            .attr("id", id)
            .children([NodeBuilder::new("error")
                .attr("code", code.to_string())
                .attr("text", text)
                .build()])
            .build(),
    );
}

/// Group IQs: the groups the asking account is in, or one group's metadata, which
/// only its members may read or change (others are refused, 401, as by WhatsApp).
fn groups(net: &Network, from: Option<&str>, node: &Node, result: NodeBuilder) -> Result<NodeBuilder, u16> {
    let groups = net.with_dir(|d| d.groups.clone());
    let asker = from.map(|f| split_jid(f).0.to_owned()).unwrap_or_default();
    let member = |g: &Group| g.members.iter().any(|(m, _)| *m == asker);
    let to = attr(node, "to").unwrap_or_default();
    if node.get_optional_child("participating").is_some() {
        return Ok(result.children([NodeBuilder::new("groups")
            .children(
                groups
                    .iter()
                    .filter(|(_, g)| member(g))
                    .map(|(id, g)| group_node(id, g)),
            )
            .build()]));
    }
    match to.strip_suffix("@g.us").and_then(|u| groups.get(u).map(|g| (u, g))) {
        Some((id, g)) if member(g) => Ok(result.attr("from", to.as_str()).children([group_node(id, g)])),
        Some(_) => Err(401),
        None => Ok(result),
    }
}

/// A user's device list. Companions carry their key index, and the list comes
/// with the account's key-index list, without which clients ignore companions.
/// (Clients read the indexes, not the list's signature, which only the
/// account's phone could make.)
fn devices_node(devices: &[u32]) -> Node {
    let list = NodeBuilder::new("device-list")
        .children(devices.iter().map(|d| {
            let b = NodeBuilder::new("device").attr("id", d.to_string());
            if *d == 0 {
                b.build()
            } else {
                b.attr("key-index", d.to_string()).build()
            }
        }))
        .build();
    let companions: Vec<u32> = devices.iter().copied().filter(|d| *d != 0).collect();
    if companions.is_empty() {
        return NodeBuilder::new("devices").children([list]).build();
    }
    NodeBuilder::new("devices")
        .children([list, key_index_list(&companions)])
        .build()
}

/// The account's list of valid companion key indexes (one per linked device).
pub(crate) fn key_index_list(companions: &[u32]) -> Node {
    let details = wa::ADVKeyIndexList {
        raw_id: Some(1),
        timestamp: Some(crate::now_secs()),
        current_index: companions.iter().copied().max(),
        valid_indexes: companions.to_vec(),
        account_type: Some(wa::ADVEncryptionType::E2EE),
    }
    .encode_to_vec();
    let signed = wa::ADVSignedKeyIndexList {
        details: Some(details),
        account_signature: Some(vec![0; 64]),
        account_signature_key: None,
    }
    .encode_to_vec();
    NodeBuilder::new("key-index-list")
        .attr("ts", crate::now_secs().to_string())
        .bytes(signed)
        .build()
}
