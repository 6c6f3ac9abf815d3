//! The WhatsApp library's storage traits on our encrypted store (`SessionStore`)
//! against the library's own in-memory backend, the reference: the same seeded
//! sequences of calls give the same answers. Then a writer killed with SIGKILL in
//! the middle of batches: every batch is there whole or not at all.

use std::sync::Arc;

use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use wacore::appstate::hash::HashState;
use wacore::appstate::processor::AppStateMutationMAC;
use wacore::store::traits::*;
use wacore::store::InMemoryBackend;
use wuse_engine::ids::AccountId;
use wuse_engine::model::AccountKind;
use wuse_engine::secrets::DbKey;
use wuse_engine::store::{accounts, Store, DB_FILE};
use wuse_engine::wa::live::SessionStore;

fn open(dir: &std::path::Path, key: DbKey, account: &AccountId) -> SessionStore {
    let store = Store::open(&dir.join(DB_FILE), key).unwrap();
    store
        .write(|tx| {
            if accounts::get(tx, account)?.is_none() {
                accounts::insert(tx, account, AccountKind::Live, None)?;
            }
            Ok(())
        })
        .unwrap();
    SessionStore::new(store, account.clone())
}

fn js<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

const ADDRESSES: &[&str] = &[
    "15550001111@s.whatsapp.net",
    "15550001111:3@s.whatsapp.net",
    "15550002222@s.whatsapp.net",
    "81234567890123@lid",
];
const USERS: &[&str] = &["15550001111", "1555000", "15550002222", "81234567890123"];
const GROUPS: &[&str] = &["120363001@g.us", "120363002@g.us"];

fn bytes(rng: &mut StdRng) -> Vec<u8> {
    (0..rng.random_range(0..6)).map(|_| rng.random()).collect()
}

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

/// One random call on both stores; the answers (as JSON) must match.
async fn step(rng: &mut StdRng, ours: &SessionStore, reference: &InMemoryBackend) -> (String, Value, Value) {
    macro_rules! both {
        ($name:expr, |$s:ident| $call:expr) => {{
            let a = {
                let $s = ours;
                $call.await.unwrap()
            };
            let b = {
                let $s = reference;
                $call.await.unwrap()
            };
            ($name.to_string(), js(&a), js(&b))
        }};
    }
    let addr = pick(rng, ADDRESSES);
    let id: u32 = rng.random_range(0..6);
    let blob = bytes(rng);
    let group = pick(rng, GROUPS);
    let n = rng.random_range(0..34);
    match n {
        0 => {
            let key: [u8; 32] = rng.random();
            both!("put_identity", |s| s.put_identity(addr, key))
        }
        1 => both!("load_identity", |s| s.load_identity(addr)),
        2 => both!("delete_identity", |s| s.delete_identity(addr)),
        3 => {
            let batch: Vec<(Arc<str>, Bytes)> = ADDRESSES[..rng.random_range(0..4)]
                .iter()
                .map(|a| (Arc::from(*a), Bytes::from(blob.clone())))
                .collect();
            both!("put_sessions_batch", |s| s.put_sessions_batch(&batch))
        }
        4 => both!("get_session", |s| async {
            s.get_session(addr).await.map(|o| o.map(|b| b.to_vec()))
        }),
        5 => both!("delete_session", |s| s.delete_session(addr)),
        6 => {
            let user = pick(rng, USERS);
            both!("has_signal_state_for_user", |s| s.has_signal_state_for_user(user))
        }
        7 => {
            let uploaded = rng.random_bool(0.5);
            both!("store_prekey", |s| s.store_prekey(id, &blob, uploaded))
        }
        8 => both!("load_prekey", |s| async {
            s.load_prekey(id).await.map(|o| o.map(|b| b.to_vec()))
        }),
        9 => both!("remove_prekey", |s| s.remove_prekey(id)),
        10 => both!("get_max_prekey_id", |s| s.get_max_prekey_id()),
        11 => both!("mark_prekeys_uploaded", |s| s.mark_prekeys_uploaded(&[id, id + 1])),
        12 => both!("store_signed_prekey", |s| s.store_signed_prekey(id, &blob)),
        13 => {
            let (name, mut a, b) = both!("load_all_signed_prekeys", |s| s.load_all_signed_prekeys());
            let mut b = b;
            sort(&mut a);
            sort(&mut b);
            (name, a, b)
        }
        14 => both!("remove_signed_prekey", |s| s.remove_signed_prekey(id)),
        15 => both!("put_sender_key", |s| s.put_sender_key(addr, &blob)),
        16 => both!("get_sender_key", |s| s.get_sender_key(addr)),
        17 => both!("delete_sender_key", |s| s.delete_sender_key(addr)),
        18 => {
            let key = AppStateSyncKey {
                key_data: blob.clone(),
                fingerprint: vec![id as u8],
                timestamp: id as i64,
            };
            let key_id = [id as u8];
            both!("set_sync_key", |s| s.set_sync_key(&key_id, key.clone()))
        }
        19 => {
            let key_id = [id as u8];
            let (name, a, b) = both!("get_sync_key", |s| s.get_sync_key(&key_id));
            let (_, la, lb) = both!("get_latest_sync_key_id", |s| s.get_latest_sync_key_id());
            (name, Value::Array(vec![a, la]), Value::Array(vec![b, lb]))
        }
        20 => {
            let state = HashState {
                version: id as u64,
                ..Default::default()
            };
            let name = pick(rng, &["regular", "critical_block"]);
            both!("set_version", |s| s.set_version(name, state.clone()))
        }
        21 => {
            let name = pick(rng, &["regular", "critical_block"]);
            both!("get_version", |s| s.get_version(name))
        }
        22 => {
            let macs: Vec<AppStateMutationMAC> = (0..rng.random_range(0..3))
                .map(|i| AppStateMutationMAC {
                    index_mac: vec![(id + i) as u8],
                    value_mac: blob.clone(),
                })
                .collect();
            both!("put_mutation_macs", |s| s
                .put_mutation_macs("regular", id as u64, &macs))
        }
        23 => {
            let index = [id as u8];
            both!("get_mutation_mac", |s| s.get_mutation_mac("regular", &index))
        }
        24 => {
            let gone = vec![vec![id as u8]];
            if rng.random_bool(0.8) {
                both!("delete_mutation_macs", |s| s.delete_mutation_macs("regular", &gone))
            } else {
                both!("clear_mutation_macs", |s| s.clear_mutation_macs("regular"))
            }
        }
        25 => {
            let entries = [
                (addr, rng.random_bool(0.5)),
                (pick(rng, ADDRESSES), rng.random_bool(0.5)),
            ];
            both!("set_sender_key_status", |s| s.set_sender_key_status(group, &entries))
        }
        26 => {
            let (name, mut a, mut b) = both!("get_sender_key_devices", |s| s.get_sender_key_devices(group));
            sort(&mut a);
            sort(&mut b);
            match rng.random_range(0..4) {
                0 => drop(both!("clear", |s| s.clear_sender_key_devices(group))),
                1 => drop(both!("delete_rows", |s| s.delete_sender_key_device_rows(&[addr]))),
                2 => drop(both!("clear_all", |s| s.clear_all_sender_key_devices())),
                _ => {}
            }
            (name, a, b)
        }
        27 => {
            let entry = LidPnMappingEntry {
                lid: pick(rng, &["8101", "8102", "8103"]).to_owned(),
                phone_number: pick(rng, &["1555", "1666"]).to_owned(),
                created_at: id as i64,
                updated_at: id as i64 + 1,
                learning_source: "usync".into(),
            };
            both!("put_lid_mapping", |s| s.put_lid_mapping(&entry))
        }
        28 => {
            let lid = pick(rng, &["8101", "8102", "8103"]);
            let pn = pick(rng, &["1555", "1666"]);
            let (name, a, b) = both!("get_lid_mapping", |s| s.get_lid_mapping(lid));
            let (_, mut pa, pb) = both!("get_pn_mapping", |s| s.get_pn_mapping(pn));
            let (_, mut all_a, mut all_b) = both!("get_all_lid_mappings", |s| s.get_all_lid_mappings());
            // A known difference: when a LID moves to another number, the reference
            // forgets the old number's reverse entry even if another LID still maps
            // to it. We answer with that other LID (as the library's SQLite store
            // does); check it is a real mapping, then compare the rest.
            if pb.is_null() && !pa.is_null() {
                assert_eq!(pa["phone_number"], pn);
                assert!(all_a.as_array().unwrap().contains(&pa));
                pa = Value::Null;
            }
            sort(&mut all_a);
            sort(&mut all_b);
            (name, Value::Array(vec![a, pa, all_a]), Value::Array(vec![b, pb, all_b]))
        }
        29 => {
            let msg = pick(rng, &["M1", "M2"]);
            let key = [id as u8];
            match rng.random_range(0..3) {
                0 => both!("save_base_key", |s| s.save_base_key(addr, msg, &key)),
                1 => both!("has_same_base_key", |s| s.has_same_base_key(addr, msg, &key)),
                _ => both!("delete_base_key", |s| s.delete_base_key(addr, msg)),
            }
        }
        30 => {
            let user = pick(rng, USERS);
            match rng.random_range(0..3) {
                0 => {
                    let record = DeviceListRecord {
                        user: user.to_owned(),
                        devices: vec![],
                        timestamp: id as i64,
                        phash: None,
                        raw_id: Some(id),
                    };
                    both!("update_device_list", |s| s.update_device_list(record.clone()))
                }
                1 => both!("get_devices", |s| s.get_devices(user)),
                _ => both!("delete_devices", |s| s.delete_devices(user)),
            }
        }
        31 => {
            let jid = pick(rng, ADDRESSES);
            let ts = rng.random_range(0..10);
            match rng.random_range(0..7) {
                0 => {
                    let entry = TcTokenEntry {
                        token: blob.clone(),
                        token_timestamp: ts,
                        sender_timestamp: rng.random_bool(0.5).then_some(ts),
                    };
                    both!("put_tc_token", |s| s.put_tc_token(jid, &entry))
                }
                1 => both!("touch_tc_token_sender_timestamp", |s| s
                    .touch_tc_token_sender_timestamp(jid, ts)),
                2 => both!("store_received_tc_token", |s| s.store_received_tc_token(jid, &blob, ts)),
                3 => both!("delete_tc_token", |s| s.delete_tc_token(jid)),
                4 => {
                    let (name, mut a, mut b) = both!("get_all_tc_token_jids", |s| s.get_all_tc_token_jids());
                    sort(&mut a);
                    sort(&mut b);
                    (name, a, b)
                }
                5 => {
                    let sender_cutoff = rng.random_range(0..10);
                    both!("delete_expired_tc_tokens", |s| s
                        .delete_expired_tc_tokens(ts, sender_cutoff))
                }
                _ => both!("get_tc_token", |s| s.get_tc_token(jid)),
            }
        }
        32 => {
            let chat = pick(rng, GROUPS);
            let msg = pick(rng, &["M1", "M2"]);
            match rng.random_range(0..6) {
                0 => both!("store_sent_message", |s| s.store_sent_message(chat, msg, &blob)),
                1 => both!("take_sent_message", |s| s.take_sent_message(chat, msg)),
                2 => both!("delete_expired_sent_messages (none old)", |s| s
                    .delete_expired_sent_messages(0)),
                3 => both!("store_pending_inbound", |s| s
                    .store_pending_inbound(chat, addr, msg, &blob)),
                4 => both!("get_pending_inbound", |s| s.get_pending_inbound(chat, addr, msg)),
                _ => both!("delete_pending_inbound", |s| s.delete_pending_inbound(chat, addr, msg)),
            }
        }
        _ => {
            let chat = pick(rng, GROUPS);
            let msg = pick(rng, &["M1", "M2"]);
            match rng.random_range(0..3) {
                0 => {
                    let entries: Vec<MsgSecretEntry> = (0..rng.random_range(1..3))
                        .map(|_| MsgSecretEntry {
                            chat: Arc::from(chat),
                            sender: Arc::from(addr),
                            msg_id: Arc::from(msg),
                            secret: rng.random(),
                            expires_at: rng.random_range(0..4) * 10,
                            message_ts: rng.random_range(0..4),
                        })
                        .collect();
                    both!("put_msg_secrets", |s| s.put_msg_secrets(entries.clone()))
                }
                1 => both!("get_msg_secret_with_ts", |s| s.get_msg_secret_with_ts(chat, addr, msg)),
                _ => {
                    let cutoff = rng.random_range(0..40);
                    both!("delete_expired_msg_secrets", |s| s.delete_expired_msg_secrets(cutoff))
                }
            }
        }
    }
}

fn sort(v: &mut Value) {
    if let Value::Array(items) = v {
        items.sort_by_key(|i| i.to_string());
    }
}

#[tokio::test]
async fn same_calls_same_answers_as_the_library_reference() {
    for seed in 0..40u64 {
        let dir = tempfile::tempdir().unwrap();
        let ours = open(dir.path(), DbKey::generate(), &AccountId::random());
        let reference = InMemoryBackend::new();
        let mut rng = StdRng::seed_from_u64(seed);
        for i in 0..150 {
            let (name, a, b) = step(&mut rng, &ours, &reference).await;
            assert_eq!(a, b, "seed {seed}, call {i}: {name}");
        }
    }
}

#[tokio::test]
async fn the_device_round_trips_and_accounts_are_apart() {
    let dir = tempfile::tempdir().unwrap();
    let key = DbKey::generate();
    let (a, b) = (AccountId::random(), AccountId::random());
    let one = open(dir.path(), key.clone(), &a);
    assert!(!one.exists().await.unwrap());
    assert!(one.load().await.unwrap().is_none());
    one.create().await.unwrap();
    assert!(one.exists().await.unwrap());
    let device = one.load().await.unwrap().expect("created");
    one.save(&device).await.unwrap();
    assert_eq!(js(&one.load().await.unwrap().unwrap()), js(&device));
    // Creating again keeps the keys.
    one.create().await.unwrap();
    assert_eq!(js(&one.load().await.unwrap().unwrap()), js(&device));

    one.put_session("x@s.whatsapp.net", b"one").await.unwrap();
    let two = open(dir.path(), key.clone(), &b);
    assert!(!two.exists().await.unwrap());
    assert!(two.get_session("x@s.whatsapp.net").await.unwrap().is_none());

    // Deleting the account takes its protocol state with it.
    let store = Store::open(&dir.path().join(DB_FILE), key).unwrap();
    store.write(|tx| accounts::delete(tx, &a)).unwrap();
    assert!(!one.exists().await.unwrap());
    assert!(one.get_session("x@s.whatsapp.net").await.unwrap().is_none());
}

/// Run by `a_killed_writer_leaves_whole_batches` in a child process.
#[tokio::test]
#[ignore = "the child half of a_killed_writer_leaves_whole_batches"]
async fn crash_writer_child() {
    let Ok(dir) = std::env::var("WUSE_CRASH_DIR") else {
        return;
    };
    let key = DbKey::from_hex(&std::env::var("WUSE_CRASH_KEY").unwrap()).unwrap();
    let account = AccountId::parse(&std::env::var("WUSE_CRASH_ACCOUNT").unwrap()).unwrap();
    let s = open(std::path::Path::new(&dir), key, &account);
    for generation in 0u32.. {
        let batch: Vec<(Arc<str>, Bytes)> = (0..50)
            .map(|i| {
                (
                    Arc::from(format!("{i}@s.whatsapp.net")),
                    Bytes::from(generation.to_be_bytes().repeat(64)),
                )
            })
            .collect();
        s.put_sessions_batch(&batch).await.unwrap();
        println!("generation {generation}");
    }
}

#[tokio::test]
async fn a_killed_writer_leaves_whole_batches() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let key = DbKey::generate();
    let account = AccountId::random();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash_writer_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WUSE_CRASH_DIR", dir.path())
        .env("WUSE_CRASH_KEY", key.to_hex().as_str())
        .env("WUSE_CRASH_ACCOUNT", account.as_str())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let out = std::io::BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        if line.unwrap() == "generation 30" {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let s = open(dir.path(), key, &account);
    let mut generations = std::collections::BTreeSet::new();
    for i in 0..50 {
        let record = s
            .get_session(&format!("{i}@s.whatsapp.net"))
            .await
            .unwrap()
            .expect("present");
        assert_eq!(record.len(), 256);
        generations.insert(u32::from_be_bytes(record[..4].try_into().unwrap()));
    }
    assert_eq!(generations.len(), 1, "one batch, whole: {generations:?}");
    assert!(*generations.first().unwrap() >= 30);
}
