//! Getting a data dir ready to measure: a connected sandbox account holding the
//! synthetic history, a key, generous rate limits; and the raw SQL floors, timed on
//! the same store in this process.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rand::Rng;
use wuse_engine::config::EngineConfig;
use wuse_engine::events::EventBus;
use wuse_engine::ids::{AccountId, ChatId, MessageId};
use wuse_engine::ingest::Ingest;
use wuse_engine::keys::Keys;
use wuse_engine::model::AccountKind;
use wuse_engine::policy::{Access, Policy};
use wuse_engine::store::api_keys::KeyMode;
use wuse_engine::store::messages::Direction;
use wuse_engine::store::{self, Store};
use wuse_engine::wa::sandbox::synth::{self, SynthReport, SynthSpec};
use wuse_engine::wa::Jid;
use wuse_engine::Engine;

use crate::stats::Samples;

/// The sandbox's Echo: answers every message at once.
pub const ECHO: &str = "+14155550199";

/// A random database key for this run, in the environment for the engine and the
/// server processes (unless one is set already).
pub fn db_key_for_this_run() -> String {
    if let Ok(k) = std::env::var(wuse_engine::secrets::DB_KEY_ENV) {
        return k;
    }
    let bytes: [u8; 32] = rand::rng().random();
    let key = hex(&bytes);
    // Single-threaded still: no runtime has started.
    std::env::set_var(wuse_engine::secrets::DB_KEY_ENV, &key);
    std::env::set_var("WUSE_SANDBOX_AMBIENT", "0");
    std::env::set_var("WUSE_SANDBOX_TIME_SCALE", "0.01");
    key
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub struct Prepared {
    pub account: AccountId,
    pub key: String,
    pub busiest_chat: ChatId,
    pub chats: usize,
    pub ingest: SynthReport,
}

impl Prepared {
    pub fn describe(&self) -> String {
        format!(
            "account {}: {} messages ({} new) in {} chats, ingested in {:.1} s ({:.0} msgs/s); test key {}",
            self.account,
            self.ingest.messages,
            self.ingest.new,
            self.chats,
            self.ingest.elapsed.as_secs_f64(),
            self.ingest.rate(),
            self.key
        )
    }
}

/// Starts the engine in this process on `dir`, pairs the sandbox account (first
/// start), writes `messages` messages of history into it and stops.
pub async fn prepare(dir: &Path, messages: usize) -> anyhow::Result<Prepared> {
    let engine = Engine::start(EngineConfig::new(dir.to_owned())).await?;
    // On a data dir made before, the account is there and its own history synced.
    let first_start = engine.bootstrap().await?.is_some();
    let (_, key) = engine.keys.create(KeyMode::Test, Some("bench"))?;
    engine
        .store
        .write(|tx| store::settings::set(tx, wuse_engine::policy::limits::CALLS_SETTING, &10_000_000u32))?;
    let account = engine
        .accounts
        .list(Some(AccountKind::Sandbox))?
        .into_iter()
        .next()
        .context("no sandbox account")?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while first_start && !engine.accounts.sync_status(&account.id).history.is_some_and(|h| h.done) {
        if Instant::now() > deadline {
            bail!("the sandbox account's own history did not finish");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let account = engine.accounts.get(&account.id)?.context("account vanished")?;
    let me = Jid::from_phone(account.phone.as_ref().context("account not paired")?);
    let ingest = Ingest {
        store: engine.store.clone(),
        // History raises no events; nobody listens to this bus.
        bus: EventBus::with_capacity(16),
        presence: engine.presence.clone(),
    };
    let spec = SynthSpec {
        messages,
        chats: None,
        seed: 7,
    };
    let report = tokio::task::block_in_place(|| {
        // One line per committed batch (the fault tests wait for these).
        synth::generate(&ingest, &account.id, &me, &spec, |n| eprintln!("  {n} messages"))
    })?;
    let busiest: String = engine.store.read(|c| {
        Ok(c.query_row(
            "SELECT chat_id FROM messages GROUP BY chat_id ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )?)
    })?;
    engine.shutdown().await;
    Ok(Prepared {
        account: account.id,
        key,
        busiest_chat: ChatId::parse(&busiest)?,
        chats: report.chats,
        ingest: report,
    })
}

/// The store queries the read tools run, timed without any protocol around them.
pub struct Floors {
    store: Store,
}

impl Floors {
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            store: wuse_engine::engine::open_store(dir)?.0,
        })
    }

    fn time(
        &self,
        n: usize,
        mut f: impl FnMut(&rusqlite::Connection, usize) -> store::StoreResult<()>,
    ) -> anyhow::Result<Samples> {
        let mut s = Samples::default();
        for i in 0..n + n / 10 {
            let t = Instant::now();
            self.store.read(|c| f(c, i))?;
            if i >= n / 10 {
                s.push(t.elapsed());
            }
        }
        Ok(s)
    }

    /// The gate alone, as every get_message call asks it before its handler: the key
    /// as it is now, the pause and the tool switches (one store read), and the rate
    /// limit. Timed in this process, on the same store the server is serving.
    pub fn gate(&self, secret: &str, n: usize) -> anyhow::Result<Samples> {
        let keys = Keys::new(self.store.clone());
        let who = keys.verify(secret)?;
        let policy = Policy::new(self.store.clone(), keys);
        let mut s = Samples::default();
        for i in 0..n + n / 10 {
            let t = Instant::now();
            let grant = policy
                .admit(&who, Access::Tool("get_message"))
                .map_err(|d| anyhow::anyhow!(d.message))?;
            grant.charge().map_err(|d| anyhow::anyhow!(d.message))?;
            if i >= n / 10 {
                s.push(t.elapsed());
            }
        }
        Ok(s)
    }

    pub fn sample_message_ids(&self, n: usize) -> anyhow::Result<Vec<MessageId>> {
        let ids: Vec<String> = self.store.read(|c| {
            let mut st = c.prepare("SELECT id FROM messages ORDER BY random() LIMIT ?1")?;
            let rows = st.query_map([n as i64], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })?;
        Ok(ids.iter().filter_map(|i| MessageId::parse(i).ok()).collect())
    }

    pub fn list_messages(&self, chat: &ChatId, n: usize) -> anyhow::Result<Samples> {
        self.time(n, |c, _| {
            store::messages::page(c, chat, None, Direction::Back, 50).map(drop)
        })
    }

    pub fn get_message(&self, ids: &[MessageId], n: usize) -> anyhow::Result<Samples> {
        self.time(n, |c, i| store::messages::get(c, &ids[i % ids.len()]).map(drop))
    }

    pub fn list_chats(&self, account: &AccountId, n: usize) -> anyhow::Result<Samples> {
        let accounts = [account.clone()];
        let q = store::chats::ChatQuery {
            accounts: &accounts,
            archived: Some(false),
            limit: 50,
            ..Default::default()
        };
        self.time(n, |c, _| store::chats::list(c, &q).map(drop))
    }

    pub fn search(&self, account: &AccountId, query: &str, n: usize) -> anyhow::Result<Samples> {
        let accounts = [account.clone()];
        let fts = store::search::fts_query(query).context("empty query")?;
        let q = store::search::SearchQuery {
            accounts: &accounts,
            limit: 20,
            ..Default::default()
        };
        self.time(n, |c, _| store::search::search(c, &fts, &q).map(drop))
    }
}

/// CPU model, cores and memory of this machine.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!(
        "{cpu}, {cores} cores, {mem_gb:.0} GiB, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
