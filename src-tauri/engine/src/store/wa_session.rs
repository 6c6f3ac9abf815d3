//! A live account's protocol state in our encrypted store: the WhatsApp library's
//! storage traits (`wacore::store::traits`, together its `Backend`) on the
//! `wa_*` tables of migration 0003, one instance per account.
//!
//! Every method is one statement or one transaction, so a crash between two
//! writes never leaves half a change: the Signal protocol's state is either as it
//! was or as it became. The library's own in-memory backend is the reference; the
//! conformance test (`tests/wa_session_store.rs`) runs the same calls on both.
//!
//! The queries are short and indexed, so they run on the caller's task like the
//! rest of the store's calls.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use wacore::appstate::hash::HashState;
use wacore::appstate::processor::AppStateMutationMAC;
use wacore::store::error::{Result, StoreError as WaError};
use wacore::store::traits::{
    merge_msg_secret_expiry, merge_msg_secret_message_ts, AppStateSyncKey, AppSyncStore, DeviceListRecord, DeviceStore,
    LidPnMappingEntry, MsgSecretEntry, MsgSecretStore, PendingInboundKey, PendingInboundRow, ProtocolStore,
    SignalStore, TcTokenEntry,
};
use wacore::store::Device;

use crate::ids::AccountId;
use crate::store::{Cached, Store, StoreError, StoreResult};

/// One account's protocol state.
#[derive(Clone)]
pub struct SessionStore {
    store: Store,
    account: AccountId,
    /// Shared by the clones a client holds: once the session is closed (logged out),
    /// nothing it still does writes its state back.
    closed: Arc<std::sync::atomic::AtomicBool>,
}

impl SessionStore {
    pub fn new(store: Store, account: AccountId) -> Self {
        Self {
            store,
            account,
            closed: Arc::default(),
        }
    }

    /// Ends this session's writes (this instance and its clones). The library runs
    /// detached tasks (a prekey upload retrying, say) that outlive its client: after
    /// a logout they must not write the keys back that the logout purged.
    pub fn close(&self) {
        self.closed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Forgets the account's device identity and every key and record of its
    /// sessions, in one transaction (logout, deletion, a fresh pairing).
    pub fn purge(&self) -> StoreResult<()> {
        self.store.write(|tx| {
            for table in TABLES {
                tx.exec(
                    &format!("DELETE FROM {table} WHERE account_id = ?1"),
                    [self.account.as_str()],
                )?;
            }
            Ok(())
        })
    }

    /// Whether the account holds a device the phone accepted (so it can connect
    /// without pairing).
    pub fn is_paired(&self) -> Result<bool> {
        let data: Option<String> = self.read(|c, acc| {
            c.one("SELECT data FROM wa_device WHERE account_id = ?1", [acc], |r| r.get(0))
                .optional()
        })?;
        Ok(from_json::<Device>(data)?.is_some_and(|d| d.pn.is_some()))
    }

    fn read<T>(&self, f: impl FnOnce(&Connection, &str) -> rusqlite::Result<T>) -> Result<T> {
        self.store.read(|c| Ok(f(c, self.account.as_str())?)).map_err(wa_error)
    }

    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>, &str) -> StoreResult<T>) -> Result<T> {
        if self.closed.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(WaError::Database(
                "this session was logged out; its state is no longer kept".into(),
            ));
        }
        self.store.write(|tx| f(tx, self.account.as_str())).map_err(wa_error)
    }
}

/// Every table of migration 0003: one account's whole protocol state.
const TABLES: [&str; 18] = [
    "wa_device",
    "wa_identities",
    "wa_sessions",
    "wa_prekeys",
    "wa_signed_prekeys",
    "wa_sender_keys",
    "wa_app_state_keys",
    "wa_app_state_versions",
    "wa_app_state_macs",
    "wa_sender_key_devices",
    "wa_lid_pn",
    "wa_base_keys",
    "wa_device_lists",
    "wa_group_metadata",
    "wa_tc_tokens",
    "wa_sent_messages",
    "wa_pending_inbound",
    "wa_msg_secrets",
];

fn wa_error(e: StoreError) -> WaError {
    WaError::Database(Box::new(e))
}

fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    Ok(serde_json::to_string(v)?)
}

fn from_json<T: serde::de::DeserializeOwned>(s: Option<String>) -> Result<Option<T>> {
    s.map(|s| serde_json::from_str(&s).map_err(|e| WaError::Serialization(Box::new(e))))
        .transpose()
}

fn now_secs() -> i64 {
    crate::time::now_ms() / 1000
}

fn put_blob(
    tx: &Transaction<'_>,
    table: &str,
    column: &str,
    account: &str,
    key: &str,
    value: &[u8],
) -> StoreResult<()> {
    tx.exec(
        &format!(
            "INSERT INTO {table} (account_id, {column}, record) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET record = excluded.record"
        ),
        params![account, key, value],
    )?;
    Ok(())
}

#[async_trait]
impl SignalStore for SessionStore {
    async fn put_identity(&self, address: &str, key: [u8; 32]) -> Result<()> {
        self.put_identities_batch(&[(Arc::from(address), key)]).await
    }

    async fn put_identities_batch(&self, identities: &[(Arc<str>, [u8; 32])]) -> Result<()> {
        self.write(|tx, acc| {
            for (address, key) in identities {
                tx.exec(
                    "INSERT INTO wa_identities (account_id, address, key) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO UPDATE SET key = excluded.key",
                    params![acc, address.as_ref(), &key[..]],
                )?;
            }
            Ok(())
        })
    }

    async fn load_identity(&self, address: &str) -> Result<Option<[u8; 32]>> {
        let key: Option<Vec<u8>> = self.read(|c, acc| {
            c.one(
                "SELECT key FROM wa_identities WHERE account_id = ?1 AND address = ?2",
                params![acc, address],
                |r| r.get(0),
            )
            .optional()
        })?;
        key.map(|k| {
            <[u8; 32]>::try_from(k.as_slice())
                .map_err(|_| WaError::Validation(format!("identity key of {address} is not 32 bytes")))
        })
        .transpose()
    }

    async fn delete_identity(&self, address: &str) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_identities WHERE account_id = ?1 AND address = ?2",
                params![acc, address],
            )?;
            Ok(())
        })
    }

    async fn get_session(&self, address: &str) -> Result<Option<Bytes>> {
        let record: Option<Vec<u8>> = self.read(|c, acc| {
            c.one(
                "SELECT record FROM wa_sessions WHERE account_id = ?1 AND address = ?2",
                params![acc, address],
                |r| r.get(0),
            )
            .optional()
        })?;
        Ok(record.map(Bytes::from))
    }

    async fn put_session(&self, address: &str, session: &[u8]) -> Result<()> {
        self.write(|tx, acc| put_blob(tx, "wa_sessions", "address", acc, address, session))
    }

    async fn put_sessions_batch(&self, sessions: &[(Arc<str>, Bytes)]) -> Result<()> {
        self.write(|tx, acc| {
            for (address, record) in sessions {
                put_blob(tx, "wa_sessions", "address", acc, address, record)?;
            }
            Ok(())
        })
    }

    async fn delete_session(&self, address: &str) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_sessions WHERE account_id = ?1 AND address = ?2",
                params![acc, address],
            )?;
            Ok(())
        })
    }

    async fn has_signal_state_for_user(&self, user: &str) -> Result<bool> {
        // Addresses are `user@server` or `user:device@server`.
        let (at, colon) = (format!("{user}@"), format!("{user}:"));
        self.read(|c, acc| {
            c.one(
                "SELECT EXISTS (SELECT 1 FROM wa_sessions WHERE account_id = ?1
                                 AND (substr(address, 1, length(?2)) = ?2 OR substr(address, 1, length(?3)) = ?3))
                     OR EXISTS (SELECT 1 FROM wa_identities WHERE account_id = ?1
                                 AND (substr(address, 1, length(?2)) = ?2 OR substr(address, 1, length(?3)) = ?3))",
                params![acc, at, colon],
                |r| r.get(0),
            )
        })
    }

    async fn store_prekey(&self, id: u32, record: &[u8], uploaded: bool) -> Result<()> {
        self.store_prekeys_batch(&[(id, Bytes::copy_from_slice(record))], uploaded)
            .await
    }

    async fn store_prekeys_batch(&self, keys: &[(u32, Bytes)], uploaded: bool) -> Result<()> {
        self.write(|tx, acc| {
            for (id, record) in keys {
                tx.exec(
                    "INSERT INTO wa_prekeys (account_id, id, record, uploaded) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT DO UPDATE SET record = excluded.record, uploaded = excluded.uploaded",
                    params![acc, id, &record[..], uploaded],
                )?;
            }
            Ok(())
        })
    }

    async fn load_prekey(&self, id: u32) -> Result<Option<Bytes>> {
        let record: Option<Vec<u8>> = self.read(|c, acc| {
            c.one(
                "SELECT record FROM wa_prekeys WHERE account_id = ?1 AND id = ?2",
                params![acc, id],
                |r| r.get(0),
            )
            .optional()
        })?;
        Ok(record.map(Bytes::from))
    }

    async fn mark_prekeys_uploaded(&self, ids: &[u32]) -> Result<()> {
        // An UPDATE only: a key consumed (deleted) meanwhile must not come back.
        self.write(|tx, acc| {
            for id in ids {
                tx.exec(
                    "UPDATE wa_prekeys SET uploaded = 1 WHERE account_id = ?1 AND id = ?2",
                    params![acc, id],
                )?;
            }
            Ok(())
        })
    }

    async fn remove_prekey(&self, id: u32) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_prekeys WHERE account_id = ?1 AND id = ?2",
                params![acc, id],
            )?;
            Ok(())
        })
    }

    async fn get_max_prekey_id(&self) -> Result<u32> {
        self.read(|c, acc| {
            c.one(
                "SELECT COALESCE(max(id), 0) FROM wa_prekeys WHERE account_id = ?1",
                [acc],
                |r| r.get(0),
            )
        })
    }

    async fn store_signed_prekey(&self, id: u32, record: &[u8]) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_signed_prekeys (account_id, id, record) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET record = excluded.record",
                params![acc, id, record],
            )?;
            Ok(())
        })
    }

    async fn load_signed_prekey(&self, id: u32) -> Result<Option<Vec<u8>>> {
        self.read(|c, acc| {
            c.one(
                "SELECT record FROM wa_signed_prekeys WHERE account_id = ?1 AND id = ?2",
                params![acc, id],
                |r| r.get(0),
            )
            .optional()
        })
    }

    async fn load_all_signed_prekeys(&self) -> Result<Vec<(u32, Vec<u8>)>> {
        self.read(|c, acc| {
            let mut st =
                c.prepare_cached("SELECT id, record FROM wa_signed_prekeys WHERE account_id = ?1 ORDER BY id")?;
            let rows = st.query_map([acc], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    async fn remove_signed_prekey(&self, id: u32) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_signed_prekeys WHERE account_id = ?1 AND id = ?2",
                params![acc, id],
            )?;
            Ok(())
        })
    }

    async fn put_sender_key(&self, address: &str, record: &[u8]) -> Result<()> {
        self.write(|tx, acc| put_blob(tx, "wa_sender_keys", "address", acc, address, record))
    }

    async fn put_sender_keys_batch(&self, sender_keys: &[(Arc<str>, Bytes)]) -> Result<()> {
        self.write(|tx, acc| {
            for (address, record) in sender_keys {
                put_blob(tx, "wa_sender_keys", "address", acc, address, record)?;
            }
            Ok(())
        })
    }

    async fn get_sender_key(&self, address: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c, acc| {
            c.one(
                "SELECT record FROM wa_sender_keys WHERE account_id = ?1 AND address = ?2",
                params![acc, address],
                |r| r.get(0),
            )
            .optional()
        })
    }

    async fn delete_sender_key(&self, address: &str) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_sender_keys WHERE account_id = ?1 AND address = ?2",
                params![acc, address],
            )?;
            Ok(())
        })
    }
}

#[async_trait]
impl AppSyncStore for SessionStore {
    async fn get_sync_key(&self, key_id: &[u8]) -> Result<Option<AppStateSyncKey>> {
        let data = self.read(|c, acc| {
            c.one(
                "SELECT data FROM wa_app_state_keys WHERE account_id = ?1 AND key_id = ?2",
                params![acc, key_id],
                |r| r.get(0),
            )
            .optional()
        })?;
        from_json(data)
    }

    async fn set_sync_key(&self, key_id: &[u8], key: AppStateSyncKey) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_app_state_keys (account_id, key_id, data, set_seq)
                 VALUES (?1, ?2, ?3, (SELECT COALESCE(max(set_seq), 0) + 1 FROM wa_app_state_keys WHERE account_id = ?1))
                 ON CONFLICT DO UPDATE SET data = excluded.data, set_seq = excluded.set_seq",
                params![acc, key_id, json(&key)?],
            )?;
            Ok(())
        })
    }

    async fn get_latest_sync_key_id(&self) -> Result<Option<Vec<u8>>> {
        self.read(|c, acc| {
            c.one(
                "SELECT key_id FROM wa_app_state_keys WHERE account_id = ?1 ORDER BY set_seq DESC LIMIT 1",
                [acc],
                |r| r.get(0),
            )
            .optional()
        })
    }

    async fn get_version(&self, name: &str) -> Result<HashState> {
        let state = self.read(|c, acc| {
            c.one(
                "SELECT state FROM wa_app_state_versions WHERE account_id = ?1 AND name = ?2",
                params![acc, name],
                |r| r.get(0),
            )
            .optional()
        })?;
        Ok(from_json(state)?.unwrap_or_default())
    }

    async fn set_version(&self, name: &str, state: HashState) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_app_state_versions (account_id, name, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET state = excluded.state",
                params![acc, name, json(&state)?],
            )?;
            Ok(())
        })
    }

    async fn put_mutation_macs(&self, name: &str, version: u64, mutations: &[AppStateMutationMAC]) -> Result<()> {
        self.write(|tx, acc| {
            for m in mutations {
                tx.exec(
                    "INSERT INTO wa_app_state_macs (account_id, name, index_mac, version, value_mac)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT DO UPDATE SET version = excluded.version, value_mac = excluded.value_mac",
                    params![acc, name, m.index_mac, version as i64, m.value_mac],
                )?;
            }
            Ok(())
        })
    }

    async fn get_mutation_mac(&self, name: &str, index_mac: &[u8]) -> Result<Option<Vec<u8>>> {
        self.read(|c, acc| {
            c.one(
                "SELECT value_mac FROM wa_app_state_macs WHERE account_id = ?1 AND name = ?2 AND index_mac = ?3",
                params![acc, name, index_mac],
                |r| r.get(0),
            )
            .optional()
        })
    }

    async fn delete_mutation_macs(&self, name: &str, index_macs: &[Vec<u8>]) -> Result<()> {
        self.write(|tx, acc| {
            for index_mac in index_macs {
                tx.exec(
                    "DELETE FROM wa_app_state_macs WHERE account_id = ?1 AND name = ?2 AND index_mac = ?3",
                    params![acc, name, index_mac],
                )?;
            }
            Ok(())
        })
    }

    async fn clear_mutation_macs(&self, name: &str) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_app_state_macs WHERE account_id = ?1 AND name = ?2",
                params![acc, name],
            )?;
            Ok(())
        })
    }
}

fn lid_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<LidPnMappingEntry> {
    Ok(LidPnMappingEntry {
        lid: r.get(0)?,
        phone_number: r.get(1)?,
        created_at: r.get(2)?,
        updated_at: r.get(3)?,
        learning_source: r.get(4)?,
    })
}

const LID_COLUMNS: &str = "lid, phone_number, created_at, updated_at, learning_source";

fn put_lid(tx: &Transaction<'_>, acc: &str, e: &LidPnMappingEntry) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO wa_lid_pn (account_id, lid, phone_number, created_at, updated_at, learning_source, put_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT COALESCE(max(put_seq), 0) + 1 FROM wa_lid_pn WHERE account_id = ?1))
         ON CONFLICT DO UPDATE SET phone_number = excluded.phone_number, created_at = excluded.created_at,
             updated_at = excluded.updated_at, learning_source = excluded.learning_source, put_seq = excluded.put_seq",
        params![
            acc,
            e.lid,
            e.phone_number,
            e.created_at,
            e.updated_at,
            e.learning_source
        ],
    )?;
    Ok(())
}

fn put_device_list(tx: &Transaction<'_>, acc: &str, record: &DeviceListRecord) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO wa_device_lists (account_id, user, record) VALUES (?1, ?2, ?3)
         ON CONFLICT DO UPDATE SET record = excluded.record",
        params![acc, record.user, json(record)?],
    )?;
    Ok(())
}

fn put_pending(tx: &Transaction<'_>, acc: &str, chat: &str, sender: &str, id: &str, message: &[u8]) -> StoreResult<()> {
    tx.exec(
        "INSERT INTO wa_pending_inbound (account_id, chat, sender, id, message, inserted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT DO UPDATE SET message = excluded.message, inserted_at = excluded.inserted_at",
        params![acc, chat, sender, id, message, now_secs()],
    )?;
    Ok(())
}

fn delete_pending(tx: &Transaction<'_>, acc: &str, chat: &str, sender: &str, id: &str) -> StoreResult<()> {
    tx.exec(
        "DELETE FROM wa_pending_inbound WHERE account_id = ?1 AND chat = ?2 AND sender = ?3 AND id = ?4",
        params![acc, chat, sender, id],
    )?;
    Ok(())
}

#[async_trait]
impl ProtocolStore for SessionStore {
    async fn get_sender_key_devices(&self, group_jid: &str) -> Result<Vec<(String, bool)>> {
        self.read(|c, acc| {
            let mut st = c.prepare_cached(
                "SELECT device_jid, has_key FROM wa_sender_key_devices WHERE account_id = ?1 AND group_jid = ?2
                 ORDER BY device_jid",
            )?;
            let rows = st.query_map(params![acc, group_jid], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    async fn set_sender_key_status(&self, group_jid: &str, entries: &[(&str, bool)]) -> Result<()> {
        self.write(|tx, acc| {
            for (device, has_key) in entries {
                tx.exec(
                    "INSERT INTO wa_sender_key_devices (account_id, group_jid, device_jid, has_key) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT DO UPDATE SET has_key = excluded.has_key",
                    params![acc, group_jid, device, has_key],
                )?;
            }
            Ok(())
        })
    }

    async fn clear_sender_key_devices(&self, group_jid: &str) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_sender_key_devices WHERE account_id = ?1 AND group_jid = ?2",
                params![acc, group_jid],
            )?;
            Ok(())
        })
    }

    async fn delete_sender_key_device_rows(&self, device_jids: &[&str]) -> Result<()> {
        self.write(|tx, acc| {
            for device in device_jids {
                tx.exec(
                    "DELETE FROM wa_sender_key_devices WHERE account_id = ?1 AND device_jid = ?2",
                    params![acc, device],
                )?;
            }
            Ok(())
        })
    }

    async fn clear_all_sender_key_devices(&self) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec("DELETE FROM wa_sender_key_devices WHERE account_id = ?1", [acc])?;
            Ok(())
        })
    }

    async fn get_lid_mapping(&self, lid: &str) -> Result<Option<LidPnMappingEntry>> {
        self.read(|c, acc| {
            c.one(
                &format!("SELECT {LID_COLUMNS} FROM wa_lid_pn WHERE account_id = ?1 AND lid = ?2"),
                params![acc, lid],
                lid_entry,
            )
            .optional()
        })
    }

    async fn get_pn_mapping(&self, phone: &str) -> Result<Option<LidPnMappingEntry>> {
        self.read(|c, acc| {
            c.one(
                &format!(
                    "SELECT {LID_COLUMNS} FROM wa_lid_pn WHERE account_id = ?1 AND phone_number = ?2
                     ORDER BY put_seq DESC LIMIT 1"
                ),
                params![acc, phone],
                lid_entry,
            )
            .optional()
        })
    }

    async fn put_lid_mapping(&self, entry: &LidPnMappingEntry) -> Result<()> {
        self.write(|tx, acc| put_lid(tx, acc, entry))
    }

    async fn put_lid_mappings(&self, entries: &[LidPnMappingEntry]) -> Result<()> {
        self.write(|tx, acc| entries.iter().try_for_each(|e| put_lid(tx, acc, e)))
    }

    async fn get_all_lid_mappings(&self) -> Result<Vec<LidPnMappingEntry>> {
        self.read(|c, acc| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {LID_COLUMNS} FROM wa_lid_pn WHERE account_id = ?1 ORDER BY lid"
            ))?;
            let rows = st.query_map([acc], lid_entry)?;
            rows.collect()
        })
    }

    async fn save_base_key(&self, address: &str, message_id: &str, base_key: &[u8]) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_base_keys (account_id, address, message_id, base_key) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO UPDATE SET base_key = excluded.base_key",
                params![acc, address, message_id, base_key],
            )?;
            Ok(())
        })
    }

    async fn has_same_base_key(&self, address: &str, message_id: &str, current_base_key: &[u8]) -> Result<bool> {
        self.read(|c, acc| {
            c.one(
                "SELECT EXISTS (SELECT 1 FROM wa_base_keys
                                WHERE account_id = ?1 AND address = ?2 AND message_id = ?3 AND base_key = ?4)",
                params![acc, address, message_id, current_base_key],
                |r| r.get(0),
            )
        })
    }

    async fn delete_base_key(&self, address: &str, message_id: &str) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_base_keys WHERE account_id = ?1 AND address = ?2 AND message_id = ?3",
                params![acc, address, message_id],
            )?;
            Ok(())
        })
    }

    async fn update_device_list(&self, record: DeviceListRecord) -> Result<()> {
        self.write(|tx, acc| put_device_list(tx, acc, &record))
    }

    async fn update_device_lists(&self, records: Vec<DeviceListRecord>) -> Result<()> {
        self.write(|tx, acc| records.iter().try_for_each(|r| put_device_list(tx, acc, r)))
    }

    async fn get_devices(&self, user: &str) -> Result<Option<DeviceListRecord>> {
        let record = self.read(|c, acc| {
            c.one(
                "SELECT record FROM wa_device_lists WHERE account_id = ?1 AND user = ?2",
                params![acc, user],
                |r| r.get(0),
            )
            .optional()
        })?;
        from_json(record)
    }

    async fn delete_devices(&self, user: &str) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_device_lists WHERE account_id = ?1 AND user = ?2",
                params![acc, user],
            )?;
            Ok(())
        })
    }

    async fn get_group_metadata(&self, group_jid: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c, acc| {
            c.one(
                "SELECT blob FROM wa_group_metadata WHERE account_id = ?1 AND group_jid = ?2",
                params![acc, group_jid],
                |r| r.get(0),
            )
            .optional()
        })
    }

    async fn put_group_metadata(&self, group_jid: &str, blob: &[u8]) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_group_metadata (account_id, group_jid, blob) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO UPDATE SET blob = excluded.blob",
                params![acc, group_jid, blob],
            )?;
            Ok(())
        })
    }

    async fn delete_group_metadata(&self, group_jid: &str) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_group_metadata WHERE account_id = ?1 AND group_jid = ?2",
                params![acc, group_jid],
            )?;
            Ok(())
        })
    }

    async fn get_tc_token(&self, jid: &str) -> Result<Option<TcTokenEntry>> {
        self.read(|c, acc| {
            c.one(
                "SELECT token, token_timestamp, sender_timestamp FROM wa_tc_tokens WHERE account_id = ?1 AND jid = ?2",
                params![acc, jid],
                |r| {
                    Ok(TcTokenEntry {
                        token: r.get(0)?,
                        token_timestamp: r.get(1)?,
                        sender_timestamp: r.get(2)?,
                    })
                },
            )
            .optional()
        })
    }

    async fn put_tc_token(&self, jid: &str, entry: &TcTokenEntry) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_tc_tokens (account_id, jid, token, token_timestamp, sender_timestamp)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO UPDATE SET token = excluded.token, token_timestamp = excluded.token_timestamp,
                     sender_timestamp = excluded.sender_timestamp",
                params![acc, jid, entry.token, entry.token_timestamp, entry.sender_timestamp],
            )?;
            Ok(())
        })
    }

    async fn delete_tc_token(&self, jid: &str) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "DELETE FROM wa_tc_tokens WHERE account_id = ?1 AND jid = ?2",
                params![acc, jid],
            )?;
            Ok(())
        })
    }

    async fn get_all_tc_token_jids(&self) -> Result<Vec<String>> {
        self.read(|c, acc| {
            let mut st = c.prepare_cached("SELECT jid FROM wa_tc_tokens WHERE account_id = ?1 ORDER BY jid")?;
            let rows = st.query_map([acc], |r| r.get(0))?;
            rows.collect()
        })
    }

    async fn delete_expired_tc_tokens(&self, token_cutoff: i64, sender_cutoff: i64) -> Result<u32> {
        // Kept while either the token or our own sending is recent enough.
        self.write(|tx, acc| {
            Ok(tx.exec(
                "DELETE FROM wa_tc_tokens WHERE account_id = ?1
                   AND NOT (length(token) > 0 AND token_timestamp >= ?2)
                   AND NOT (sender_timestamp IS NOT NULL AND sender_timestamp >= ?3)",
                params![acc, token_cutoff, sender_cutoff],
            )? as u32)
        })
    }

    async fn touch_tc_token_sender_timestamp(&self, jid: &str, sender_timestamp: i64) -> Result<()> {
        // One upsert: the sender time only moves forward; a missing row is created
        // with an empty token, which `put_tc_token` fills in later.
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_tc_tokens (account_id, jid, token, token_timestamp, sender_timestamp)
                 VALUES (?1, ?2, x'', ?3, ?3)
                 ON CONFLICT DO UPDATE SET sender_timestamp = max(COALESCE(sender_timestamp, excluded.sender_timestamp),
                                                                  excluded.sender_timestamp)",
                params![acc, jid, sender_timestamp],
            )?;
            Ok(())
        })
    }

    async fn store_received_tc_token(&self, jid: &str, token: &[u8], token_timestamp: i64) -> Result<()> {
        // One upsert: a newer (or first real) token wins; our sender time stays.
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_tc_tokens (account_id, jid, token, token_timestamp, sender_timestamp)
                 VALUES (?1, ?2, ?3, ?4, NULL)
                 ON CONFLICT DO UPDATE SET
                     token = CASE WHEN length(token) = 0 OR excluded.token_timestamp >= token_timestamp
                                  THEN excluded.token ELSE token END,
                     token_timestamp = CASE WHEN length(token) = 0 OR excluded.token_timestamp >= token_timestamp
                                  THEN excluded.token_timestamp ELSE token_timestamp END",
                params![acc, jid, token, token_timestamp],
            )?;
            Ok(())
        })
    }

    async fn store_sent_message(&self, chat_jid: &str, message_id: &str, payload: &[u8]) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_sent_messages (account_id, chat_jid, message_id, payload, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT DO UPDATE SET payload = excluded.payload, created_at = excluded.created_at",
                params![acc, chat_jid, message_id, payload, now_secs()],
            )?;
            Ok(())
        })
    }

    async fn take_sent_message(&self, chat_jid: &str, message_id: &str) -> Result<Option<Vec<u8>>> {
        // Read and delete in one statement, so a retry receipt consumes it once.
        self.write(|tx, acc| {
            Ok(tx
                .one(
                    "DELETE FROM wa_sent_messages WHERE account_id = ?1 AND chat_jid = ?2 AND message_id = ?3
                     RETURNING payload",
                    params![acc, chat_jid, message_id],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    async fn delete_expired_sent_messages(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.write(|tx, acc| {
            Ok(tx.exec(
                "DELETE FROM wa_sent_messages WHERE account_id = ?1 AND created_at < ?2",
                params![acc, cutoff_timestamp],
            )? as u32)
        })
    }

    async fn store_pending_inbound(&self, chat: &str, sender: &str, id: &str, message: &[u8]) -> Result<()> {
        self.write(|tx, acc| put_pending(tx, acc, chat, sender, id, message))
    }

    async fn store_pending_inbound_batch(&self, rows: &[PendingInboundRow<'_>]) -> Result<()> {
        self.write(|tx, acc| {
            rows.iter()
                .try_for_each(|r| put_pending(tx, acc, r.chat, r.sender, r.id, r.message))
        })
    }

    async fn get_pending_inbound(&self, chat: &str, sender: &str, id: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c, acc| {
            c.one(
                "SELECT message FROM wa_pending_inbound WHERE account_id = ?1 AND chat = ?2 AND sender = ?3 AND id = ?4",
                params![acc, chat, sender, id],
                |r| r.get(0),
            )
            .optional()
        })
    }

    async fn delete_pending_inbound(&self, chat: &str, sender: &str, id: &str) -> Result<()> {
        self.write(|tx, acc| delete_pending(tx, acc, chat, sender, id))
    }

    async fn delete_pending_inbound_batch(&self, keys: &[PendingInboundKey<'_>]) -> Result<()> {
        self.write(|tx, acc| {
            keys.iter()
                .try_for_each(|k| delete_pending(tx, acc, k.chat, k.sender, k.id))
        })
    }

    async fn delete_expired_pending_inbound(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.write(|tx, acc| {
            Ok(tx.exec(
                "DELETE FROM wa_pending_inbound WHERE account_id = ?1 AND inserted_at < ?2",
                params![acc, cutoff_timestamp],
            )? as u32)
        })
    }
}

#[async_trait]
impl MsgSecretStore for SessionStore {
    async fn put_msg_secrets(&self, entries: Vec<MsgSecretEntry>) -> Result<usize> {
        let stored = entries.len();
        self.write(|tx, acc| {
            for e in &entries {
                let existing: Option<(i64, i64)> = tx
                    .one(
                        "SELECT expires_at, message_ts FROM wa_msg_secrets
                         WHERE account_id = ?1 AND chat = ?2 AND sender = ?3 AND msg_id = ?4",
                        params![acc, e.chat.as_ref(), e.sender.as_ref(), e.msg_id.as_ref()],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .optional()?;
                let (expires_at, message_ts) = match existing {
                    Some((x, t)) => (
                        merge_msg_secret_expiry(x, e.expires_at),
                        merge_msg_secret_message_ts(t, e.message_ts),
                    ),
                    None => (e.expires_at, e.message_ts),
                };
                tx.exec(
                    "INSERT INTO wa_msg_secrets (account_id, chat, sender, msg_id, secret, expires_at, message_ts)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT DO UPDATE SET secret = excluded.secret, expires_at = excluded.expires_at,
                         message_ts = excluded.message_ts",
                    params![
                        acc,
                        e.chat.as_ref(),
                        e.sender.as_ref(),
                        e.msg_id.as_ref(),
                        &e.secret[..],
                        expires_at,
                        message_ts
                    ],
                )?;
            }
            Ok(())
        })?;
        Ok(stored)
    }

    async fn get_msg_secret(&self, chat: &str, sender: &str, msg_id: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .get_msg_secret_with_ts(chat, sender, msg_id)
            .await?
            .map(|(secret, _)| secret))
    }

    async fn get_msg_secret_with_ts(&self, chat: &str, sender: &str, msg_id: &str) -> Result<Option<(Vec<u8>, i64)>> {
        self.read(|c, acc| {
            c.one(
                "SELECT secret, message_ts FROM wa_msg_secrets
                 WHERE account_id = ?1 AND chat = ?2 AND sender = ?3 AND msg_id = ?4",
                params![acc, chat, sender, msg_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
    }

    async fn delete_expired_msg_secrets(&self, cutoff_timestamp: i64) -> Result<u32> {
        self.write(|tx, acc| {
            Ok(tx.exec(
                "DELETE FROM wa_msg_secrets WHERE account_id = ?1 AND expires_at != 0 AND expires_at <= ?2",
                params![acc, cutoff_timestamp],
            )? as u32)
        })
    }
}

#[async_trait]
impl DeviceStore for SessionStore {
    async fn save(&self, device: &Device) -> Result<()> {
        self.write(|tx, acc| {
            tx.exec(
                "INSERT INTO wa_device (account_id, data) VALUES (?1, ?2)
                 ON CONFLICT DO UPDATE SET data = excluded.data",
                params![acc, json(device)?],
            )?;
            Ok(())
        })
    }

    async fn load(&self) -> Result<Option<Device>> {
        let data = self.read(|c, acc| {
            c.one("SELECT data FROM wa_device WHERE account_id = ?1", [acc], |r| r.get(0))
                .optional()
        })?;
        from_json(data)
    }

    async fn exists(&self) -> Result<bool> {
        self.read(|c, acc| {
            c.one(
                "SELECT EXISTS (SELECT 1 FROM wa_device WHERE account_id = ?1)",
                [acc],
                |r| r.get(0),
            )
        })
    }

    /// A fresh, unpaired device (new keys) unless this account has one already.
    async fn create(&self) -> Result<i32> {
        if !self.exists().await? {
            let device = Device::new();
            self.write(|tx, acc| {
                tx.exec(
                    "INSERT INTO wa_device (account_id, data) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![acc, json(&device)?],
                )?;
                Ok(())
            })?;
        }
        // One device per account: its number within this store is always 1.
        Ok(1)
    }
}
