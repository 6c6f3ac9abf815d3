//! Pointing an engine's live accounts at the loopback WhatsApp network
//! (`wuse-loopback`), in process or over its WebSocket on 127.0.0.1.

#![allow(dead_code)]

pub mod linked;

use std::sync::Arc;

use wuse_engine::wa::live::LiveOptions;
use wuse_loopback::Network;

/// WhatsApp Web's version, pinned: the network does not answer the version check.
const VERSION: (u32, u32, u32) = (2, 3000, 1_000_000_000);

/// Live accounts that connect to `net` in process (no socket).
pub fn in_process(net: &Network) -> LiveOptions {
    LiveOptions {
        transport: Some(net.transport()),
        http: Some(Arc::new(wuse_loopback::cdn::LoopbackHttp::default())),
        version: Some(VERSION),
    }
}

/// Serves `net` (chat WebSocket and CDN) on a free port of 127.0.0.1.
pub async fn serve(net: &Network) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    tokio::spawn(wuse_loopback::http::serve_on(net.clone(), listener));
    while net.http_addr().is_none() {
        tokio::task::yield_now().await;
    }
}

/// Live accounts that connect to `net`'s WebSocket, as the app does to WhatsApp's.
pub fn over_websocket(net: &Network) -> LiveOptions {
    let url = format!("ws://{}/ws/chat", net.http_addr().expect("the network is served"));
    LiveOptions {
        transport: Some(Arc::new(
            whatsapp_rust::transport::TokioWebSocketTransportFactory::new().with_url(url),
        )),
        ..in_process(net)
    }
}

/// `WUSE_LOG=debug` shows what the library, the network and the engine did.
pub fn logs() {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("WUSE_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
}
