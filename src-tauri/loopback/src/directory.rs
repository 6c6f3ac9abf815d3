//! What the server knows about accounts: people (a phone number, a LID, a name),
//! their devices, the Signal keys each device uploaded, groups, and the stanzas
//! waiting for a device that is offline.

use std::collections::{BTreeMap, HashMap, VecDeque};

use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::{Node, NodeContent};

/// A device address, `user:device`, always by phone number.
pub type DeviceKey = String;

pub fn device_key(pn: &str, device: u32) -> DeviceKey {
    format!("{pn}:{device}")
}

/// The user and device of a JID like `1555:7@s.whatsapp.net`, `900:3@lid` or `1555@s.whatsapp.net`.
pub fn split_jid(jid: &str) -> (&str, u32, &str) {
    let (addr, server) = jid.split_once('@').unwrap_or((jid, "s.whatsapp.net"));
    let (user, device) = match addr.split_once(':') {
        Some((u, d)) => (u, d.parse().unwrap_or(0)),
        None => (addr, 0),
    };
    let user = user.split_once('_').map(|(u, _)| u).unwrap_or(user);
    (user, device, server)
}

/// A person's account: their number, LID and name, and the devices they have
/// (0 is the primary phone).
#[derive(Debug, Clone)]
pub struct Person {
    pub pn: String,
    pub lid: String,
    pub name: String,
    pub devices: BTreeMap<u32, DeviceInfo>,
}

#[derive(Debug, Clone, Default)]
pub struct DeviceInfo {
    /// Companions: the identity the phone signed when it linked them.
    pub signed_identity: Option<Vec<u8>>,
    /// Companions: what they said they are when they registered.
    pub props: DeviceProps,
}

/// What a companion tells the phone about itself at registration: the phone's
/// Linked devices list shows its name, and how much history it wants decides what
/// the phone sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceProps {
    /// The name under Linked devices (`DeviceProps.os`).
    pub name: String,
    /// The kind of client (`DESKTOP`, `CHROME`, …).
    pub platform: String,
    /// All of the history, not the last months only.
    pub full_sync: bool,
}

impl DeviceProps {
    /// From a registration's `device_props` bytes.
    pub fn decode(bytes: Option<&[u8]>) -> Self {
        use whatsapp_rust::buffa::Message as _;
        let Some(p) = bytes.and_then(|b| whatsapp_rust::waproto::whatsapp::DeviceProps::decode_from_slice(b).ok())
        else {
            return Self::default();
        };
        Self {
            name: p.os.unwrap_or_default(),
            platform: p.platform_type.map(|t| format!("{t:?}")).unwrap_or_default(),
            full_sync: p.require_full_sync.unwrap_or(false),
        }
    }
}

/// The public keys a device uploaded, handed out as prekey bundles.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    pub registration: Vec<u8>,
    pub identity: Vec<u8>,
    /// (3-byte id, key, signature)
    pub signed_prekey: (Vec<u8>, Vec<u8>, Vec<u8>),
    /// One-time prekeys: (3-byte id, key); each is handed out once.
    pub prekeys: VecDeque<(Vec<u8>, Vec<u8>)>,
}

impl Keys {
    /// Reads a prekey upload (`<iq xmlns="encrypt" type="set">`).
    pub fn from_upload(iq: &Node) -> Option<Self> {
        let bytes = |n: &Node| match &n.content {
            Some(NodeContent::Bytes(b)) => Some(b.clone()),
            _ => None,
        };
        let child = |n: &Node, tag: &str| n.get_optional_child(tag).and_then(bytes);
        let skey = iq.get_optional_child("skey")?;
        let prekeys = iq
            .get_optional_child("list")
            .map(|l| {
                l.get_children_by_tag("key")
                    .filter_map(|k| Some((child(k, "id")?, child(k, "value")?)))
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            registration: child(iq, "registration")?,
            identity: child(iq, "identity")?,
            signed_prekey: (child(skey, "id")?, child(skey, "value")?, child(skey, "signature")?),
            prekeys,
        })
    }

    /// A bundle for `jid`, taking one one-time prekey if any is left.
    pub fn bundle(&mut self, jid: &str, signed_identity: Option<&[u8]>) -> Node {
        let leaf = |tag: &'static str, bytes: Vec<u8>| NodeBuilder::new(tag).bytes(bytes).build();
        let mut children = vec![
            leaf("registration", self.registration.clone()),
            leaf("type", vec![5]),
            leaf("identity", self.identity.clone()),
        ];
        if let Some((id, key)) = self.prekeys.pop_front() {
            children.push(
                NodeBuilder::new("key")
                    .children([leaf("id", id), leaf("value", key)])
                    .build(),
            );
        }
        let (id, key, sig) = self.signed_prekey.clone();
        children.push(
            NodeBuilder::new("skey")
                .children([leaf("id", id), leaf("value", key), leaf("signature", sig)])
                .build(),
        );
        if let Some(identity) = signed_identity {
            children.push(leaf("device-identity", identity.to_vec()));
        }
        NodeBuilder::new("user").attr("jid", jid).children(children).build()
    }
}

#[derive(Debug, Clone)]
pub struct Group {
    pub subject: String,
    pub creator: String,
    pub created: u64,
    /// Members by phone number, with their role ("member", "admin", "superadmin").
    pub members: Vec<(String, String)>,
}

/// Everything the server holds.
#[derive(Default)]
pub struct Directory {
    pub people: BTreeMap<String, Person>,
    /// LID user → phone number.
    pub lids: HashMap<String, String>,
    pub keys: HashMap<DeviceKey, Keys>,
    pub groups: BTreeMap<String, Group>,
    /// Stanzas for devices that are not connected (or whose queue is held).
    pub queues: HashMap<DeviceKey, VecDeque<Node>>,
}

impl Directory {
    /// The phone number behind a JID's user part (a number or a LID).
    pub fn pn_of(&self, jid: &str) -> Option<String> {
        let (user, _, server) = split_jid(jid);
        if server == "lid" {
            self.lids.get(user).cloned()
        } else if self.people.contains_key(user) {
            Some(user.to_owned())
        } else {
            None
        }
    }

    pub fn add_person(&mut self, pn: &str, lid: &str, name: &str) -> &mut Person {
        self.lids.insert(lid.to_owned(), pn.to_owned());
        self.people.entry(pn.to_owned()).or_insert_with(|| Person {
            pn: pn.to_owned(),
            lid: lid.to_owned(),
            name: name.to_owned(),
            devices: BTreeMap::from([(0, DeviceInfo::default())]),
        })
    }

    /// The devices of the user a JID names, as `(device key, device id)`.
    pub fn devices_of(&self, jid: &str) -> Vec<(DeviceKey, u32)> {
        let Some(pn) = self.pn_of(jid) else { return vec![] };
        self.people[&pn]
            .devices
            .keys()
            .map(|d| (device_key(&pn, *d), *d))
            .collect()
    }
}
