//! `WUSE_WA_URL`: which WhatsApp network live accounts connect to.

#[cfg(feature = "loopback")]
use std::sync::Arc;

#[cfg(feature = "loopback")]
use anyhow::Context;

/// Where live accounts connect: WhatsApp, or (a `loopback` build only) the loopback
/// network that `WUSE_WA_URL` names. A normal build refuses the variable rather
/// than ignore it, and a loopback build connects to nothing else.
pub fn live_options() -> anyhow::Result<wuse_engine::wa::live::LiveOptions> {
    let url = std::env::var("WUSE_WA_URL").ok().filter(|u| !u.is_empty());
    #[cfg(feature = "loopback")]
    {
        let url = url.context(
            "this is a loopback build: set WUSE_WA_URL to the loopback network's chat URL (ws://127.0.0.1:P/ws/chat)",
        )?;
        tracing::warn!(%url, "live accounts connect to a loopback WhatsApp network (test build)");
        wuse_engine::wa::live::LiveOptions::loopback(&url, Arc::new(wuse_loopback::cdn::LoopbackHttp::default()))
            .map_err(anyhow::Error::msg)
    }
    #[cfg(not(feature = "loopback"))]
    {
        if url.is_some() {
            anyhow::bail!(
                "WUSE_WA_URL is set, but this build connects to WhatsApp only; \
                 a test network needs a build with `--features loopback` (see README, \"Testing the live path\")"
            );
        }
        Ok(Default::default())
    }
}
