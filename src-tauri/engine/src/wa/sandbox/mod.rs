//! The sandbox network: a simulated WhatsApp for `wuse_test_` keys.
//!
//! It has people (who read, type, answer and react), groups, and any number of
//! sandbox accounts, which can also write to each other. Pairing shows real QR codes
//! that the sandbox "phone" scans after a short delay, then pushes a few thousand
//! messages of history, so agents and tests go through the same flow as on a live
//! account. Everything is seeded: the same seed gives the same people, groups,
//! history and answers.

mod behaviour;
mod client;
mod history;
pub mod media;
mod older;
pub mod synth;
mod text;
mod world;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use rand::Rng;
use tokio_util::sync::CancellationToken;

pub use world::{BUSINESS_PHONE, ECHO_PHONE, SILENT_PHONE};

use self::client::SandboxClient;
use self::world::{account_lid, World};
use super::{EventSink, PairMethod, WaClient, WaError, WaEvent, WaNetwork};
use crate::ids::AccountId;
use crate::model::AccountKind;
use crate::store::Store;
use crate::time::now_ms;

/// How the sandbox behaves. Tests speed time up and turn ambient traffic off.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    pub seed: u64,
    /// Multiplies every simulated delay (0.05 makes the world 20× faster).
    pub time_scale: f64,
    /// Whether people write, come online and react on their own every so often.
    pub ambient: bool,
    /// Whether the sandbox phone scans the QR code (or types the pairing code) by itself.
    pub auto_scan: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 2026,
            time_scale: 1.0,
            ambient: true,
            auto_scan: true,
        }
    }
}

impl SandboxConfig {
    /// Reads `WUSE_SANDBOX_TIME_SCALE`, `WUSE_SANDBOX_AMBIENT` (0/1), `WUSE_SANDBOX_SEED`
    /// and `WUSE_SANDBOX_AUTO_SCAN` (0/1) over the defaults.
    pub fn from_env() -> Self {
        let mut c = Self::default();
        let var = |k: &str| std::env::var(k).ok();
        if let Some(v) = var("WUSE_SANDBOX_TIME_SCALE").and_then(|v| v.parse::<f64>().ok()) {
            c.time_scale = v.clamp(0.001, 100.0);
        }
        if let Some(v) = var("WUSE_SANDBOX_AMBIENT") {
            c.ambient = v != "0";
        }
        if let Some(v) = var("WUSE_SANDBOX_SEED").and_then(|v| v.parse().ok()) {
            c.seed = v;
        }
        if let Some(v) = var("WUSE_SANDBOX_AUTO_SCAN") {
            c.auto_scan = v != "0";
        }
        c
    }
}

/// Simulated delays (at time scale 1).
mod delays {
    /// The phone answering a request of its companion (older messages, a re-upload).
    pub const PHONE: u64 = 800;
    pub const SCAN_MS: u64 = 3_000;
    pub const FIRST_QR_MS: u64 = 60_000;
    pub const NEXT_QR_MS: u64 = 20_000;
    pub const QR_CODES: usize = 6;
    pub const CONNECT_MS: u64 = 150;
    pub const AMBIENT_MS: u64 = 45_000;
}

/// A connected device of a sandbox account.
struct Device {
    sink: EventSink,
    client: Arc<SandboxClient>,
}

pub(crate) struct Net {
    world: Mutex<World>,
    devices: Mutex<HashMap<AccountId, Device>>,
    store: Store,
    config: SandboxConfig,
    shutdown: CancellationToken,
}

#[derive(Clone)]
pub struct SandboxNetwork {
    net: Arc<Net>,
}

impl SandboxNetwork {
    /// Loads the world from the store, or seeds a new one.
    pub fn open(store: Store, config: SandboxConfig) -> crate::store::StoreResult<Self> {
        let saved = store.read(crate::store::sandbox::world)?;
        let world = match saved.and_then(|s| serde_json::from_str::<World>(&s).ok()) {
            Some(w) => w,
            None => World::seeded(config.seed, now_ms()),
        };
        let net = Arc::new(Net {
            world: Mutex::new(world),
            devices: Mutex::default(),
            store,
            config,
            shutdown: CancellationToken::new(),
        });
        net.save();
        Ok(Self { net })
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.net.config
    }

    /// Stops background activity (ambient traffic, pending replies).
    pub fn shutdown(&self) {
        self.net.shutdown.cancel();
    }
}

impl Net {
    /// Persists the world (small: people, groups, accounts, offline queues).
    fn save(&self) {
        let state = match serde_json::to_string(&*self.world.lock()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "sandbox world not serializable");
                return;
            }
        };
        let saved = self.store.write(|tx| crate::store::sandbox::save_world(tx, &state));
        if let Err(e) = saved {
            tracing::error!(error = %e, "could not save the sandbox world");
        }
    }

    fn scaled(&self, ms: u64) -> Duration {
        Duration::from_secs_f64(ms as f64 / 1000.0 * self.config.time_scale)
    }

    /// Sleeps simulated time; false if the network shut down meanwhile.
    async fn sleep(&self, ms: u64) -> bool {
        tokio::select! {
            () = tokio::time::sleep(self.scaled(ms)) => true,
            () = self.shutdown.cancelled() => false,
        }
    }

    fn sink(&self, account: &AccountId) -> Option<EventSink> {
        self.devices.lock().get(account).map(|d| d.sink.clone())
    }

    /// Delivers an event to an account's connected device. Messages for an account with
    /// no device wait in its offline queue; other events are dropped, as on WhatsApp.
    async fn deliver(&self, account: &AccountId, event: WaEvent) {
        match self.sink(account) {
            Some(sink) => {
                sink.emit(event).await;
            }
            None => {
                if let WaEvent::Message(m) = event {
                    let queued = {
                        let mut w = self.world.lock();
                        w.accounts
                            .get_mut(account.as_str())
                            .map(|a| a.offline_queue.push(m))
                            .is_some()
                    };
                    if queued {
                        self.save();
                    }
                }
            }
        }
    }

    fn register(&self, account: &AccountId, sink: EventSink, client: Arc<SandboxClient>) {
        self.devices.lock().insert(account.clone(), Device { sink, client });
    }

    fn unregister(&self, account: &AccountId) {
        if let Some(d) = self.devices.lock().remove(account) {
            d.client.stop();
        }
    }

    /// The account's phone digits.
    fn phone_of(&self, account: &AccountId) -> Option<String> {
        self.world
            .lock()
            .accounts
            .get(account.as_str())
            .map(|a| a.phone.clone())
    }

    /// Brings a paired account online: connected, offline messages, ambient life.
    async fn go_online(self: &Arc<Self>, account: &AccountId, sink: EventSink, client: Arc<SandboxClient>) {
        self.register(account, sink.clone(), client.clone());
        client.set_connected(true);
        sink.emit(WaEvent::Connected).await;
        let queued = {
            let mut w = self.world.lock();
            w.accounts
                .get_mut(account.as_str())
                .map(|a| std::mem::take(&mut a.offline_queue))
                .unwrap_or_default()
        };
        if !queued.is_empty() {
            self.save();
            for m in queued {
                sink.emit(WaEvent::Message(m)).await;
            }
        }
        if self.config.ambient {
            behaviour::start_ambient(self.clone(), account.clone(), client.token());
        }
    }
}

#[async_trait]
impl WaNetwork for SandboxNetwork {
    fn kind(&self) -> AccountKind {
        AccountKind::Sandbox
    }

    async fn pair(
        &self,
        account: &AccountId,
        method: PairMethod,
        events: EventSink,
    ) -> Result<Arc<dyn WaClient>, WaError> {
        let net = self.net.clone();
        {
            let mut w = net.world.lock();
            let phone = match &method {
                PairMethod::PhoneCode(p) => p.digits().to_owned(),
                PairMethod::Qr => w
                    .accounts
                    .get(account.as_str())
                    .map(|a| a.phone.clone())
                    .or_else(|| w.free_account_phone())
                    .ok_or_else(|| {
                        WaError::Invalid(
                            "all 10 sandbox phone numbers are in use; delete a sandbox account first".into(),
                        )
                    })?,
            };
            if let Some((other, _)) = w.account_by_phone(&phone) {
                if other != account.as_str() {
                    return Err(WaError::Invalid(format!(
                        "+{phone} already has a paired sandbox account"
                    )));
                }
            }
            if w.users.contains_key(&phone) {
                return Err(WaError::Invalid(format!(
                    "+{phone} belongs to a simulated person in the sandbox; pick another number"
                )));
            }
            let n = phone
                .chars()
                .rev()
                .take(2)
                .collect::<String>()
                .chars()
                .rev()
                .collect::<String>();
            let lid = account_lid(w.seed, &phone);
            w.accounts.insert(
                account.as_str().to_owned(),
                world::AccountState {
                    phone,
                    lid,
                    push_name: format!("Sandbox {n}"),
                    about: "Testing WhatsApp-Use 🧪".into(),
                    paired: false,
                    offline_queue: Vec::new(),
                    picture_rev: 0,
                },
            );
        }
        net.save();
        let client = Arc::new(SandboxClient::new(net.clone(), account.clone()));
        let task_client = client.clone();
        let account = account.clone();
        tokio::spawn(async move {
            pairing_flow(net, account, method, events, task_client).await;
        });
        Ok(client)
    }

    async fn connect(&self, account: &AccountId, events: EventSink) -> Result<Arc<dyn WaClient>, WaError> {
        let paired = self
            .net
            .world
            .lock()
            .accounts
            .get(account.as_str())
            .is_some_and(|a| a.paired);
        if !paired {
            return Err(WaError::LoggedOut);
        }
        let client = Arc::new(SandboxClient::new(self.net.clone(), account.clone()));
        let net = self.net.clone();
        let c = client.clone();
        let account = account.clone();
        tokio::spawn(async move {
            if net.sleep(delays::CONNECT_MS).await {
                net.go_online(&account, events, c).await;
            }
        });
        Ok(client)
    }

    async fn forget(&self, account: &AccountId) -> Result<(), WaError> {
        self.net.unregister(account);
        let removed = {
            let mut w = self.net.world.lock();
            let phone = w.accounts.remove(account.as_str()).map(|a| a.phone);
            if let Some(phone) = &phone {
                for g in w.groups.values_mut() {
                    g.members.retain(|m| &m.phone != phone);
                }
            }
            phone.is_some()
        };
        if removed {
            self.net.save();
        }
        Ok(())
    }
}

/// QR codes in WhatsApp's shape: `2@ref,noise-key,identity-key,adv-secret`.
fn qr_code() -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut rng = rand::rng();
    let mut part = |n: usize| {
        let bytes: Vec<u8> = (0..n).map(|_| rng.random()).collect();
        b64.encode(bytes)
    };
    format!("2@{},{},{},{}", part(36), part(32), part(32), part(32))
}

fn pair_code() -> String {
    const A: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTVWXYZ";
    let mut rng = rand::rng();
    let s: String = (0..8).map(|_| A[rng.random_range(0..A.len())] as char).collect();
    format!("{}-{}", &s[..4], &s[4..])
}

async fn pairing_flow(
    net: Arc<Net>,
    account: AccountId,
    method: PairMethod,
    sink: EventSink,
    client: Arc<SandboxClient>,
) {
    let scanned = match method {
        PairMethod::Qr => {
            let mut scanned = false;
            for i in 0..delays::QR_CODES {
                let valid = if i == 0 {
                    delays::FIRST_QR_MS
                } else {
                    delays::NEXT_QR_MS
                };
                if !sink
                    .emit(WaEvent::PairingQr {
                        code: qr_code(),
                        valid_ms: net.scaled(valid).as_millis() as u64,
                    })
                    .await
                {
                    return;
                }
                if net.config.auto_scan && i == 0 {
                    scanned = net.sleep(delays::SCAN_MS).await;
                    break;
                }
                if !net.sleep(valid).await {
                    return;
                }
            }
            scanned
        }
        PairMethod::PhoneCode(_) => {
            if !sink.emit(WaEvent::PairingCode { code: pair_code() }).await {
                return;
            }
            net.config.auto_scan && net.sleep(delays::SCAN_MS).await
        }
    };
    if sink.is_closed() || client.token().is_cancelled() {
        return;
    }
    if !scanned {
        sink.emit(WaEvent::PairingExpired).await;
        return;
    }
    let (pn, lid, push_name, me) = {
        let mut w = net.world.lock();
        let Some(a) = w.accounts.get_mut(account.as_str()) else {
            return;
        };
        a.paired = true;
        let (phone, lid, push) = (a.phone.clone(), a.lid.clone(), a.push_name.clone());
        w.join_seeded_groups(&phone);
        (
            super::Jid::new(&phone, super::USER_SERVER),
            super::Jid::new(lid, super::LID_SERVER),
            push,
            phone,
        )
    };
    net.save();
    sink.emit(WaEvent::Paired {
        pn,
        lid: Some(lid),
        push_name: Some(push_name),
    })
    .await;
    net.go_online(&account, sink.clone(), client).await;
    let batches = {
        let w = net.world.lock();
        history::generate(&w, &me, now_ms())
    };
    for batch in batches {
        if !sink.emit(WaEvent::History(batch)).await {
            return;
        }
    }
}
