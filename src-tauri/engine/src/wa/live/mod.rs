//! Live WhatsApp accounts on the `whatsapp-rust` library: one client per account,
//! its protocol state in our encrypted store ([`SessionStore`]), its events turned
//! into ours ([`convert`]), every [`WaClient`] call mapped to the library.

mod acks;
mod certificate;
mod client;
pub mod convert;
mod pump;

use std::sync::Arc;

use async_trait::async_trait;
use whatsapp_rust::bot::Bot;
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::store::traits::DeviceStore;
use whatsapp_rust::wacore::store::device::DevicePropsOverride;

pub use crate::store::wa_session::SessionStore;
pub use client::LiveClient;

use crate::ids::AccountId;
use crate::model::AccountKind;
use crate::store::Store;
use crate::wa::{EventSink, HistoryOnLink, PairMethod, WaClient, WaError, WaEvent, WaNetwork, HISTORY_ON_LINK_SETTING};
use whatsapp_rust::transport::TransportFactory;

/// Log directives that keep the WhatsApp library at `warn`: at `info` it writes
/// pairing codes and names. Its crates log under their module paths and under
/// these targets of their own.
pub const QUIET_LOGS: &str = "whatsapp_rust=warn,wacore=warn,wacore_binary=warn,wacore_libsignal=warn,\
wacore_noise=warn,wacore_appstate=warn,whatsapp_rust_tokio_transport=warn,whatsapp_rust_ureq_http_client=warn,\
AppState=warn,Blocking=warn,Bot=warn,Chatstate=warn,ChatstateHandler=warn,Client=warn,MessageQueue=warn,\
Mex=warn,PresenceHandler=warn,TcToken=warn,UnifiedSession=warn,blocklist=warn,usync=warn";

/// The name this device shows under the phone's Linked devices: the app and the OS.
pub fn device_name() -> String {
    let os = match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "macOS",
        "windows" => "Windows",
        other => other,
    };
    format!("WhatsApp-Use ({os})")
}

/// What this device tells the phone it is when it links: a desktop companion
/// under [`device_name`], asking for the recent history or all of it. A full sync
/// also says how much it takes (ten years, 100 GB), as WhatsApp's desktop clients do.
pub fn device_props(history: HistoryOnLink) -> DevicePropsOverride {
    use whatsapp_rust::wacore::store::device::default_history_sync_config;
    use whatsapp_rust::waproto::whatsapp::device_props::PlatformType;
    let props = DevicePropsOverride::new()
        .with_os(device_name())
        .with_platform_type(PlatformType::DESKTOP);
    match history {
        HistoryOnLink::Recent => props.with_require_full_sync(false),
        HistoryOnLink::Everything => props.with_require_full_sync(true).with_history_sync_config(
            whatsapp_rust::waproto::whatsapp::device_props::HistorySyncConfig {
                full_sync_days_limit: Some(3650),
                full_sync_size_mb_limit: Some(102_400),
                storage_quota_mb: Some(102_400),
                on_demand_ready: Some(true),
                ..default_history_sync_config()
            },
        ),
    }
}

/// How live clients reach WhatsApp. The defaults are WhatsApp's own servers; tests
/// put an in-process server in their place.
#[derive(Clone, Default)]
pub struct LiveOptions {
    /// The connection to WhatsApp (default: its WebSocket endpoint).
    pub transport: Option<Arc<dyn TransportFactory>>,
    /// HTTP for media and the version check (default: ureq with TLS).
    pub http: Option<Arc<dyn whatsapp_rust::http::HttpClient>>,
    /// Pin the WhatsApp Web version instead of asking WhatsApp for the current one.
    pub version: Option<(u32, u32, u32)>,
}

impl LiveOptions {
    /// Live accounts on a loopback WhatsApp network at `url` (`ws://127.0.0.1:P/ws/chat`),
    /// fetching media with `http`. Only in a build with the `loopback` feature, whose
    /// clients skip the check of WhatsApp's server certificate.
    #[cfg(feature = "loopback")]
    pub fn loopback(url: &str, http: Arc<dyn whatsapp_rust::http::HttpClient>) -> Result<Self, String> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| format!("WUSE_WA_URL must be a ws:// URL on 127.0.0.1, not {url:?}"))?;
        let host = rest.split(['/', ':']).next().unwrap_or_default();
        if host != "127.0.0.1" && host != "localhost" {
            return Err(format!(
                "WUSE_WA_URL must point at 127.0.0.1 (a loopback network), not {host:?}"
            ));
        }
        Ok(Self {
            transport: Some(Arc::new(
                whatsapp_rust::transport::TokioWebSocketTransportFactory::new().with_url(url),
            )),
            http: Some(http),
            // The loopback network does not answer WhatsApp Web's version check.
            version: Some((2, 3000, 1_000_000_000)),
        })
    }
}

impl std::fmt::Debug for LiveOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveOptions")
            .field("transport", &self.transport.as_ref().map(|_| "custom"))
            .field("http", &self.http.as_ref().map(|_| "custom"))
            .field("version", &self.version)
            .finish()
    }
}

/// The real WhatsApp network.
#[derive(Clone)]
pub struct LiveNetwork {
    store: Store,
    options: LiveOptions,
    /// The protocol state each account's current client writes through.
    sessions: Arc<parking_lot::Mutex<std::collections::HashMap<AccountId, SessionStore>>>,
}

impl LiveNetwork {
    pub fn new(store: Store, options: LiveOptions) -> Self {
        Self {
            store,
            options,
            sessions: Arc::default(),
        }
    }

    /// Ends the writes of the account's last client and purges its keys.
    fn purge(&self, account: &AccountId) -> Result<(), WaError> {
        if let Some(old) = self.sessions.lock().remove(account) {
            old.close();
        }
        SessionStore::new(self.store.clone(), account.clone())
            .purge()
            .map_err(|e| WaError::Other(format!("could not forget the session keys: {e}")))
    }

    /// Builds and starts the account's client. With no paired device in the store
    /// the library makes a fresh one and pairs (QR codes, or `phone_code`).
    async fn start(
        &self,
        account: &AccountId,
        phone_code: Option<String>,
        sink: EventSink,
    ) -> Result<Arc<LiveClient>, WaError> {
        // WhatsApp's own network (no transport of a test's): only with its certificate checked.
        if self.options.transport.is_none() && !certificate::checked() {
            return Err(WaError::Other(certificate::UNCHECKED.into()));
        }
        let backend = SessionStore::new(self.store.clone(), account.clone());
        if let Some(old) = self.sessions.lock().insert(account.clone(), backend.clone()) {
            // A new client of the account: the old one stopped writing.
            old.close();
        }
        let history: HistoryOnLink = self
            .store
            .read(|c| crate::store::settings::get(c, HISTORY_ON_LINK_SETTING))
            .map_err(|e| WaError::Other(format!("could not read the settings: {e}")))?
            .unwrap_or_default();
        let acks = Arc::new(acks::Acks::default());
        let (forwarder, events) = pump::Forwarder::new(acks.clone());
        let transport: Arc<dyn TransportFactory> = match &self.options.transport {
            Some(t) => t.clone(),
            None => Arc::new(whatsapp_rust::transport::TokioWebSocketTransportFactory::new()),
        };
        let mut builder = Bot::builder()
            .with_backend(backend)
            .with_event_handler(forwarder)
            .with_device_props(device_props(history))
            .with_transport_factory(Watched {
                inner: transport,
                sink: sink.clone(),
            })
            .with_inbound_durability_hook(pump::Durable { sink: sink.clone() });
        if let Some(h) = &self.options.http {
            builder = builder.with_http_client(Shared(h.clone()));
        }
        if let Some(v) = self.options.version {
            builder = builder.with_version(v);
        }
        if let Some(phone_number) = phone_code {
            builder = builder.with_pair_code(PairCodeOptions {
                phone_number,
                ..Default::default()
            });
        }
        let bot = builder
            .build()
            .await
            .map_err(|e| WaError::Other(format!("could not start the WhatsApp client: {e}")))?;
        let client = bot.client();
        pump::spawn(events, Arc::downgrade(&client), sink.clone());
        let handle = bot.spawn();
        Ok(Arc::new(LiveClient::new(
            client,
            handle,
            self.store.clone(),
            sink,
            acks,
        )))
    }
}

#[async_trait]
impl WaNetwork for LiveNetwork {
    fn kind(&self) -> AccountKind {
        AccountKind::Live
    }

    async fn pair(
        &self,
        account: &AccountId,
        method: PairMethod,
        events: EventSink,
    ) -> Result<Arc<dyn WaClient>, WaError> {
        // Pairing again (after a logout or an expired attempt) starts from a new device.
        let backend = SessionStore::new(self.store.clone(), account.clone());
        if backend.exists().await.map_err(store_error)? {
            self.purge(account)?;
        }
        let phone = match method {
            PairMethod::Qr => None,
            PairMethod::PhoneCode(p) => Some(p.digits().to_owned()),
        };
        Ok(self.start(account, phone, events).await?)
    }

    async fn connect(&self, account: &AccountId, events: EventSink) -> Result<Arc<dyn WaClient>, WaError> {
        let backend = SessionStore::new(self.store.clone(), account.clone());
        if !backend.is_paired().map_err(store_error)? {
            return Err(WaError::LoggedOut);
        }
        Ok(self.start(account, None, events).await?)
    }

    async fn forget(&self, account: &AccountId) -> Result<(), WaError> {
        self.purge(account)
    }
}

fn store_error(e: whatsapp_rust::wacore::store::error::StoreError) -> WaError {
    WaError::Other(format!("the session store failed: {e}"))
}

/// The connection to WhatsApp, reporting attempts that fail before reaching it
/// (the library only retries them), so the account can say why it waits.
struct Watched {
    inner: Arc<dyn TransportFactory>,
    sink: EventSink,
}

#[async_trait]
impl TransportFactory for Watched {
    async fn create_transport(
        &self,
    ) -> anyhow::Result<(
        Arc<dyn whatsapp_rust::transport::Transport>,
        whatsapp_rust::async_channel::Receiver<whatsapp_rust::transport::TransportEvent>,
    )> {
        self.sink.emit(WaEvent::Connecting).await;
        let made = self.inner.create_transport().await;
        if let Err(e) = &made {
            let detail = e.root_cause().to_string();
            tracing::warn!(account = %self.sink.account, error = %detail, "cannot reach WhatsApp");
            let detail = crate::wa::redact::redact(&detail).into_owned();
            self.sink.emit(WaEvent::Unreachable { detail }).await;
        }
        made
    }
}

/// A shared HTTP client handed to each new client.
struct Shared<T: ?Sized>(Arc<T>);

#[async_trait]
impl whatsapp_rust::http::HttpClient for Shared<dyn whatsapp_rust::http::HttpClient> {
    async fn execute(
        &self,
        request: whatsapp_rust::http::HttpRequest,
    ) -> anyhow::Result<whatsapp_rust::http::HttpResponse> {
        self.0.execute(request).await
    }
}
