//! `wuse-loopback --port P`: a WhatsApp network on 127.0.0.1:P for testing the
//! live path (chat WebSocket at `/ws/chat`, control API at `/control/*`).

use clap::Parser;

#[derive(Parser)]
#[command(
    name = "wuse-loopback",
    about = "A loopback WhatsApp network for testing WhatsApp-Use"
)]
struct Args {
    /// The port on 127.0.0.1 (0 picks a free one; the address is printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// QR refs shown to each new device.
    #[arg(long, default_value_t = 6)]
    refs: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("WUSE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    // Loopback only: the network is for tests on this machine.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    let addr = listener.local_addr()?;
    println!("wuse-loopback listening on http://{addr} (chat: ws://{addr}/ws/chat)");
    wuse_loopback::http::serve_on(wuse_loopback::Network::new(args.refs), listener).await?;
    Ok(())
}
