//! `wuse-bench`: the numbers behind WhatsApp-Use. Fills a data dir with a synthetic
//! history (default 1,000,000 messages), starts the real `whatsapp-use serve` on it
//! and measures what agents feel over HTTP, next to the raw SQL floor of each read.
//!
//!     cargo run --release --bin wuse-bench -- run [--messages N] [--calls N]
//!     cargo run --release --bin wuse-bench -- generate --data-dir DIR [--messages N]
//!
//! It prints one Markdown table. Benchmarks, not tests: nothing here passes or fails
//! on time; CI runs a small smoke (`--messages 20000 --calls 30`).

mod mcp;
mod server;
mod setup;
mod stats;

/// glibc's malloc took 13–24% of a read's CPU in `serve` (README, "Where a read's time
/// goes"): a call makes many small, short-lived allocations, which mimalloc serves from
/// per-thread pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use serde_json::{json, Value};

use mcp::Mcp;
use server::Server;
use stats::Samples;
use wuse_engine::wa::sandbox::synth;

#[derive(Parser)]
#[command(name = "wuse-bench", about = "Benchmarks WhatsApp-Use on a large synthetic history")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Fill a data dir (with a connected sandbox account) with N messages.
    Generate {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
    },
    /// Generate into a temporary data dir, then measure the real server on it.
    Run {
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
        /// Calls per measured tool.
        #[arg(long, default_value_t = 1000)]
        calls: usize,
        /// The `whatsapp-use` binary (default: next to this one).
        #[arg(long)]
        bin: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Benchmarks use an explicit database key, not the keychain: nothing to unlock.
    let db_key = setup::db_key_for_this_run();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match cli.command {
        Cmd::Generate { data_dir, messages } => {
            let prepared = rt.block_on(setup::prepare(&data_dir, messages))?;
            println!("{}", prepared.describe());
            println!("WUSE_DB_KEY={db_key}");
            Ok(())
        }
        Cmd::Run { messages, calls, bin } => {
            let dir = std::env::temp_dir().join(format!("wuse-bench-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            let result = rt.block_on(run(
                &dir,
                messages,
                calls,
                bin.unwrap_or_else(server::default_bin),
                &db_key,
            ));
            let _ = std::fs::remove_dir_all(&dir);
            let _ = std::fs::remove_file(dir.with_extension("serve.log"));
            result
        }
    }
}

struct Row {
    what: String,
    p50: f64,
    p99: f64,
    per_s: f64,
    floor_p50: Option<f64>,
}

async fn run(dir: &std::path::Path, messages: usize, calls: usize, bin: PathBuf, db_key: &str) -> anyhow::Result<()> {
    eprintln!("generating {messages} messages…");
    let p = setup::prepare(dir, messages).await?;
    eprintln!("{}", p.describe());
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;

    // Cold start: process start to the first answered tools/list, five times.
    let mut cold = Samples::default();
    let mut server = None;
    for i in 0..5 {
        let t = Instant::now();
        let s = Server::start(&bin, dir, db_key)?;
        let mut c = loop {
            match Mcp::connect(&http, &s.url(), &p.key).await {
                Ok(c) => break c,
                Err(_) if t.elapsed() < Duration::from_secs(30) => tokio::time::sleep(Duration::from_millis(1)).await,
                Err(e) => return Err(e),
            }
        };
        c.request("tools/list", json!({})).await?;
        cold.push(t.elapsed());
        if i < 4 {
            s.stop();
        } else {
            server = Some(s);
        }
    }
    let server = server.context("no server")?;
    let url = server.url();
    let mut agent = Mcp::connect(&http, &url, &p.key).await?;
    // The account reconnects after each start; sends need it connected.
    wait_connected(&mut agent, &p.account).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (idle_rss, _, idle_private) = server.memory_mb();

    let mut rows = Vec::new();
    let floors = setup::Floors::open(dir)?;
    let chat = p.busiest_chat.as_str().to_owned();
    let ids = floors.sample_message_ids(calls.max(1))?;

    rows.push(
        measure(
            &mut agent,
            "list_messages (50)",
            calls,
            |_| json!({"chat": chat, "limit": 50}),
            Some(floors.list_messages(&p.busiest_chat, calls)?),
        )
        .await?,
    );
    rows.push(
        measure(
            &mut agent,
            "get_message",
            calls,
            |i| json!({"message_id": ids[i % ids.len()].as_str()}),
            Some(floors.get_message(&ids, calls)?),
        )
        .await?,
    );
    let get_p50 = rows.last().map_or(f64::NAN, |r| r.p50);
    let gate = floors.gate(&p.key, calls.max(1000))?;
    rows.push(Row {
        what: format!(
            "policy gate per call ({:.1}% of get_message p50)",
            100.0 * gate.p50() / get_p50
        ),
        p50: gate.p50(),
        p99: gate.p99(),
        per_s: 1000.0 / gate.p50(),
        floor_p50: None,
    });
    rows.push(
        measure(
            &mut agent,
            "list_chats (50)",
            calls,
            |_| json!({"limit": 50}),
            Some(floors.list_chats(&p.account, calls)?),
        )
        .await?,
    );
    for (label, q) in [
        ("common word", "tomorrow"),
        ("rare word", synth::RARE_WORD),
        ("phrase", "\"see you at the station\""),
    ] {
        let floor = floors.search(&p.account, q, calls)?;
        let mut row = measure(
            &mut agent,
            "search_messages",
            calls,
            |_| json!({"query": q, "limit": 20}),
            Some(floor),
        )
        .await?;
        row.what = format!("search_messages ({label})");
        rows.push(row);
    }
    let sends = (calls / 4).max(10);
    rows.push(
        measure(
            &mut agent,
            "send_message (sandbox)",
            sends,
            |i| json!({"account_id": p.account.as_str(), "chat": setup::ECHO, "text": format!("bench {i}")}),
            None,
        )
        .await?,
    );

    let (concurrent_rate, concurrent) = concurrent_gets(&http, &url, &p.key, &ids, 32, calls).await?;
    let notify = notification_latency(&http, &url, &p.key, &p.account, (calls / 10).clamp(10, 200)).await?;
    let (loaded_rss, peak_rss, loaded_private) = server.memory_mb();
    server.stop();

    println!(
        "\n### WhatsApp-Use benchmark — {messages} messages, {} chats\n",
        p.chats
    );
    println!("Machine: {}\n", setup::machine());
    println!("| measure | p50 | p99 | throughput | raw SQL p50 | ratio |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        let (floor, ratio) = match r.floor_p50 {
            Some(f) => (format!("{f:.3} ms"), format!("{:.1}×", r.p50 / f)),
            None => ("".into(), "".into()),
        };
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.0}/s | {floor} | {ratio} |",
            r.what, r.p50, r.p99, r.per_s
        );
    }
    println!(
        "| get_message, 32 sessions at once | {:.2} ms | {:.2} ms | {:.0}/s | | |",
        concurrent.p50(),
        concurrent.p99(),
        concurrent_rate
    );
    println!(
        "| event → notification (GET stream) | {:.2} ms | {:.2} ms | {} events | | |",
        notify.p50(),
        notify.p99(),
        notify.len()
    );
    println!(
        "| history ingest ({} msgs, encrypted store) | | | {:.0} msgs/s | | |",
        p.ingest.new,
        p.ingest.rate()
    );
    println!(
        "| cold start to MCP ready | {:.0} ms | {:.0} ms (max of 5) | | | |",
        cold.p50(),
        cold.quantile(1.0)
    );
    println!(
        "| `serve` RSS idle / loaded / peak | {idle_rss:.1} MB | {loaded_rss:.1} MB | {peak_rss:.1} MB peak | | |\n\
         | `serve` private memory (RssAnon) idle / loaded | {idle_private:.1} MB | {loaded_private:.1} MB | | | |"
    );
    Ok(())
}

async fn wait_connected(agent: &mut Mcp, account: &wuse_engine::ids::AccountId) -> anyhow::Result<()> {
    for _ in 0..600 {
        let v = agent
            .call("get_account", json!({"account_id": account.as_str()}))
            .await?;
        if v["account"]["status"] == "connected" || v["status"] == "connected" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the sandbox account did not reconnect")
}

async fn measure(
    agent: &mut Mcp,
    tool: &str,
    calls: usize,
    args: impl Fn(usize) -> Value,
    floor: Option<Samples>,
) -> anyhow::Result<Row> {
    let tool_name = tool.split(' ').next().unwrap_or(tool);
    for i in 0..(calls / 10).max(3) {
        agent.call(tool_name, args(i)).await?;
    }
    let mut s = Samples::default();
    let start = Instant::now();
    for i in 0..calls {
        let t = Instant::now();
        agent.call(tool_name, args(i)).await?;
        s.push(t.elapsed());
    }
    Ok(Row {
        what: tool.to_owned(),
        p50: s.p50(),
        p99: s.p99(),
        per_s: calls as f64 / start.elapsed().as_secs_f64(),
        floor_p50: floor.map(|f| f.p50()),
    })
}

/// `sessions` agents calling get_message at once: overall calls/s and latencies.
async fn concurrent_gets(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    ids: &[wuse_engine::ids::MessageId],
    sessions: usize,
    calls: usize,
) -> anyhow::Result<(f64, Samples)> {
    let per = (calls / 2).max(20);
    let mut agents = Vec::new();
    for _ in 0..sessions {
        agents.push(Mcp::connect(http, url, key).await?);
    }
    let start = Instant::now();
    let tasks: Vec<_> = agents
        .into_iter()
        .enumerate()
        .map(|(n, mut a)| {
            let ids: Vec<String> = ids.iter().map(|i| i.as_str().to_owned()).collect();
            tokio::spawn(async move {
                let mut s = Samples::default();
                for i in 0..per {
                    let t = Instant::now();
                    a.call("get_message", json!({"message_id": ids[(n * 7919 + i) % ids.len()]}))
                        .await?;
                    s.push(t.elapsed());
                }
                anyhow::Ok(s)
            })
        })
        .collect();
    let mut all = Samples::default();
    for t in tasks {
        for ms in t.await??.into_ms() {
            all.push_ms(ms);
        }
    }
    Ok(((sessions * per) as f64 / start.elapsed().as_secs_f64(), all))
}

/// From an event's `received_at` (the engine stored it) to the notification arriving
/// on a subscribed session's GET stream. Millisecond clock on both ends.
async fn notification_latency(
    http: &reqwest::Client,
    url: &str,
    key: &str,
    account: &wuse_engine::ids::AccountId,
    count: usize,
) -> anyhow::Result<Samples> {
    let mut listener = Mcp::connect(http, url, key).await?;
    listener
        .call("subscribe_events", json!({"types": ["message.received"]}))
        .await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let l = listener.clone();
    let task = tokio::spawn(async move {
        l.listen(|msg| {
            if msg["method"] == wuse_engine::mcp::session::EVENT_METHOD {
                let at = msg["params"]["event"]["received_at"]
                    .as_str()
                    .and_then(wuse_engine::time::parse_iso);
                if let Some(at) = at {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default();
                    let _ = tx.send(now.as_secs_f64() * 1000.0 - at as f64);
                }
            }
            true
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut sender = Mcp::connect(http, url, key).await?;
    let mut s = Samples::default();
    for i in 0..count {
        sender
            .call(
                "send_message",
                json!({"account_id": account.as_str(), "chat": setup::ECHO, "text": format!("echo {i}")}),
            )
            .await?;
        // Echo answers each message; wait for that event.
        if let Ok(Some(ms)) = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            s.push_ms(ms.max(0.0));
        }
    }
    task.abort();
    Ok(s)
}
