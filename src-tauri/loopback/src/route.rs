//! Carrying stanzas between devices, as WhatsApp's server does: a message's
//! encrypted payloads each to the device they are for (a group's sender-key
//! payload to every member device), receipts and chat states to the other
//! side's devices, and an ack to the sender.

use std::collections::BTreeMap;
use std::sync::Arc;

use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::{Attrs, Node, NodeContent};

use crate::directory::{device_key, split_jid, DeviceKey};
use crate::wire::Conn;
use crate::{now_secs, Network, Sent};

pub(crate) fn attr(node: &Node, key: &str) -> Option<String> {
    node.attrs().optional_string(key).map(|s| s.to_string())
}

/// A device's JID in one address space: `user[:device]@server`.
fn device_jid(user: &str, device: u32, server: &str) -> String {
    if device == 0 {
        format!("{user}@{server}")
    } else {
        format!("{user}:{device}@{server}")
    }
}

/// Who sent: the device's number, LID, device id and name.
struct Sender {
    pn: String,
    lid: String,
    device: u32,
    name: String,
}

impl Sender {
    fn of(net: &Network, from: &str) -> Option<Self> {
        let (pn, device, _) = split_jid(from);
        let person = net.person(pn)?;
        Some(Self {
            pn: person.pn,
            lid: person.lid,
            device,
            name: person.name,
        })
    }

    fn jid(&self, lid: bool) -> String {
        if lid {
            device_jid(&self.lid, self.device, "lid")
        } else {
            device_jid(&self.pn, self.device, "s.whatsapp.net")
        }
    }
}

pub(crate) fn message(net: &Network, conn: &Arc<Conn>, from: &str, node: &Node) {
    let to = attr(node, "to").unwrap_or_default();
    let id = attr(node, "id").unwrap_or_default();
    let kind = attr(node, "type").unwrap_or_else(|| "text".into());
    let Some(sender) = Sender::of(net, from) else { return };
    let ack = |error: Option<u16>| {
        let mut b = NodeBuilder::new("ack")
            .attr("class", "message")
            .attr("id", id.as_str())
            .attr("from", to.as_str())
            .attr("t", now_secs().to_string());
        if let Some(code) = error {
            b = b.attr("error", code.to_string());
        }
        b.build()
    };
    if let Some(code) = net.take_nack(&sender.pn) {
        net.record(Sent {
            from: from.into(),
            to: to.clone(),
            id: id.clone(),
            kind,
            payloads: vec![],
        });
        conn.send(&ack(Some(code)));
        return;
    }
    let (_, _, server) = split_jid(&to);
    let group = server == "g.us";
    let lid_mode = server == "lid";

    // Each device's payloads: those addressed to it, plus (groups) the sender-key one.
    let mut per_device: BTreeMap<DeviceKey, Vec<Node>> = BTreeMap::new();
    let mut payloads = Vec::new();
    if let Some(ps) = node.get_optional_child("participants") {
        for p in ps.get_children_by_tag("to") {
            let jid = attr(p, "jid").unwrap_or_default();
            let Some(pn) = net.pn_of(&jid) else { continue };
            let (_, device, _) = split_jid(&jid);
            for enc in p.get_children_by_tag("enc") {
                payloads.push((attr(enc, "type").unwrap_or_default(), jid.clone()));
                per_device.entry(device_key(&pn, device)).or_default().push(enc.clone());
            }
        }
    }
    let direct: Vec<Node> = node.get_children_by_tag("enc").cloned().collect();
    if !direct.is_empty() {
        for enc in &direct {
            payloads.push((attr(enc, "type").unwrap_or_default(), to.clone()));
        }
        let targets: Vec<DeviceKey> = if group {
            net.group_devices(&to)
        } else {
            let (_, device, _) = split_jid(&to);
            let all = net.devices_of(&to);
            if to.contains(':') {
                all.into_iter().filter(|(_, d)| *d == device).map(|(k, _)| k).collect()
            } else {
                all.into_iter().map(|(k, _)| k).collect()
            }
        };
        for key in targets {
            per_device.entry(key).or_default().extend(direct.iter().cloned());
        }
    }
    per_device.remove(&device_key(&sender.pn, sender.device));
    net.record(Sent {
        from: from.into(),
        to: to.clone(),
        id: id.clone(),
        kind: kind.clone(),
        payloads,
    });

    let identity = node.get_optional_child("device-identity").cloned();
    let t = now_secs().to_string();
    for (key, encs) in per_device {
        let (recipient_pn, _, _) = split_jid(&key);
        let mut b = NodeBuilder::new("message")
            .attr("id", id.as_str())
            .attr("t", t.as_str())
            .attr("type", kind.as_str())
            .attr("notify", sender.name.as_str());
        if group {
            b = b
                .attr("from", to.as_str())
                .attr("participant", sender.jid(false))
                .attr("addressing_mode", "pn")
                .attr("participant_lid", sender.jid(true));
        } else {
            b = b.attr("from", sender.jid(lid_mode));
            b = if lid_mode {
                b.attr("addressing_mode", "lid").attr("sender_pn", sender.jid(false))
            } else {
                b.attr("addressing_mode", "pn").attr("sender_lid", sender.jid(true))
            };
            if recipient_pn == sender.pn {
                // One of the sender's own devices: the chat is the recipient.
                b = b.attr("recipient", to.as_str());
            }
        }
        let pkmsg = encs.iter().any(|e| attr(e, "type").as_deref() == Some("pkmsg"));
        let mut children = encs;
        if net.take_corrupt(&key) {
            children.iter_mut().for_each(damage);
        }
        if pkmsg {
            children.extend(identity.clone());
        }
        net.deliver(&key, b.children(children).build());
    }
    conn.send(&ack(None));
}

/// A receipt (delivered, read, played, retry…) goes to the devices of whom it is to.
pub(crate) fn receipt(net: &Network, conn: &Arc<Conn>, from: &str, node: &Node) {
    let to = attr(node, "to").unwrap_or_default();
    let id = attr(node, "id").unwrap_or_default();
    if attr(node, "type").as_deref() == Some("server-error") && node.get_optional_child("rmr").is_some() {
        return media_retry(net, conn, from, &id, &to, node);
    }
    let Some(sender) = Sender::of(net, from) else { return };
    net.note(format!(
        "receipt:{}",
        attr(node, "type").unwrap_or_else(|| "delivery".into())
    ));
    let (_, _, server) = split_jid(&to);
    let mut ack = NodeBuilder::new("ack")
        .attr("class", "receipt")
        .attr("id", id.as_str())
        .attr("from", to.as_str());
    if let Some(kind) = attr(node, "type") {
        ack = ack.attr("type", kind);
    }
    conn.send(&ack.build());
    // In a group the receipt names the message's author as participant.
    let (target, chat) = match (server, attr(node, "participant")) {
        ("g.us", Some(p)) => (p, Some(to.clone())),
        _ => (to.clone(), None),
    };
    let lid = split_jid(&target).2 == "lid";
    let (_, target_device, _) = split_jid(&target);
    for (key, device) in net.devices_of(&target) {
        if target.contains(':') && device != target_device {
            continue;
        }
        let mut relayed = node.clone();
        relayed.attrs = Attrs::new();
        for (k, v) in node.attrs.iter() {
            if k != "to" && k != "participant" {
                relayed.attrs.insert(k.clone(), v.clone());
            }
        }
        match &chat {
            Some(group) => {
                relayed.attrs.insert("from", group.as_str());
                relayed.attrs.insert("participant", sender.jid(lid));
            }
            None => relayed.attrs.insert("from", sender.jid(lid)),
        }
        if !relayed.attrs.contains_key("t") {
            relayed.attrs.insert("t", now_secs().to_string());
        }
        net.deliver(&key, relayed);
    }
}

/// Typing and recording: relayed to the other side's devices as they are.
pub(crate) fn chatstate(net: &Network, from: &str, node: &Node) {
    let to = attr(node, "to").unwrap_or_default();
    let Some(sender) = Sender::of(net, from) else { return };
    let children: Vec<Node> = node.children().map(|c| c.to_vec()).unwrap_or_default();
    let lid = split_jid(&to).2 == "lid";
    for (key, _) in net.devices_of(&to) {
        net.deliver(
            &key,
            NodeBuilder::new("chatstate")
                .attr("from", sender.jid(lid))
                .children(children.clone())
                .build(),
        );
    }
}

/// Flips the last byte of an encrypted payload: its MAC no longer matches.
fn damage(enc: &mut Node) {
    if let Some(NodeContent::Bytes(b)) = enc.content.as_mut() {
        if let Some(last) = b.last_mut() {
            *last ^= 0xFF;
        }
    }
}

/// A device's `<presence>`: its own availability (told to whoever subscribed to
/// its account), or a subscription to someone's (answered with their state now).
pub(crate) fn presence(net: &Network, from: &str, node: &Node) {
    let Some(sender) = Sender::of(net, from) else { return };
    match attr(node, "type").as_deref() {
        Some("subscribe") => {
            let Some(to) = attr(node, "to") else { return };
            let Some(pn) = net.pn_of(&to) else { return };
            let (online, last) = net.subscribe_presence(&pn, from);
            net.deliver(from, presence_node(&to, online, last));
        }
        Some(kind @ ("available" | "unavailable")) => {
            let online = kind == "available";
            let jid = format!("{}@s.whatsapp.net", sender.pn);
            for device in net.set_presence(&sender.pn, online) {
                net.deliver(&device, presence_node(&jid, online, now_secs()));
            }
        }
        _ => {}
    }
}

fn presence_node(from: &str, online: bool, last: u64) -> Node {
    let b = NodeBuilder::new("presence").attr("from", from);
    if online {
        b.build()
    } else {
        b.attr("type", "unavailable").attr("last", last.to_string()).build()
    }
}

/// A companion asks for a message's media again (`<receipt type="server-error">`
/// with `<rmr>`): the account's phone answers, and the answer goes back to the
/// device that asked.
fn media_retry(net: &Network, conn: &Arc<Conn>, from: &str, id: &str, to: &str, node: &Node) {
    conn.send(
        &NodeBuilder::new("ack")
            .attr("class", "receipt")
            .attr("type", "server-error")
            .attr("id", id)
            .attr("from", to)
            .build(),
    );
    let part = |tag: &str| {
        node.get_optional_child("encrypt")
            .and_then(|e| e.get_optional_child(tag))
            .and_then(|n| match &n.content {
                Some(whatsapp_rust::wacore_binary::NodeContent::Bytes(b)) => Some(b.clone()),
                _ => None,
            })
            .unwrap_or_default()
    };
    let (enc_p, enc_iv) = (part("enc_p"), part("enc_iv"));
    let (pn, _, _) = split_jid(from);
    let Some(phone) = net.phone(pn) else { return };
    let (net, device, id, to) = (net.clone(), from.to_owned(), id.to_owned(), to.to_owned());
    tokio::spawn(async move {
        let answer = phone.media_retry(&id, &to, &enc_p, &enc_iv).await;
        net.deliver(&device, answer);
    });
}
