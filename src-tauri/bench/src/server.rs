//! The server under test: the real `whatsapp-use serve` binary in a child process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts `serve` on `data_dir` and waits for its port (from owner.json).
    pub fn start(bin: &Path, data_dir: &Path, db_key: &str) -> anyhow::Result<Self> {
        let _ = std::fs::remove_file(data_dir.join("owner.json"));
        let log = std::fs::File::create(data_dir.with_extension("serve.log"))?;
        let child = Command::new(bin)
            .args(["serve", "--port", "0", "--data-dir"])
            .arg(data_dir)
            .env("WUSE_DB_KEY", db_key)
            .env("WUSE_SANDBOX_AMBIENT", "0")
            .env("WUSE_SANDBOX_TIME_SCALE", "0.01")
            .env("WUSE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut s = Self { child, port: 0 };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = s.child.try_wait()? {
                bail!(
                    "serve exited ({status}); see {}",
                    data_dir.with_extension("serve.log").display()
                );
            }
            if let Ok(text) = std::fs::read_to_string(data_dir.join("owner.json")) {
                if let Some(port) = serde_json::from_str::<serde_json::Value>(&text)
                    .ok()
                    .and_then(|v| v["port"].as_u64())
                {
                    s.port = port as u16;
                    return Ok(s);
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        bail!("serve did not publish its port within 60 s")
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/mcp", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident and peak memory in MB, from /proc (Linux).
    /// (RSS, peak RSS, private RSS) in MB. RSS counts the shared libraries' pages
    /// too (WebKitGTK and friends are linked for the window even when serving
    /// headless); the private part (`RssAnon`) is what this process alone costs.
    pub fn memory_mb(&self) -> (f64, f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"), field("RssAnon:"))
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `whatsapp-use` binary next to this one (they build together).
pub fn default_bin() -> PathBuf {
    let me = std::env::current_exe().unwrap_or_default();
    me.with_file_name(format!("whatsapp-use{}", std::env::consts::EXE_SUFFIX))
}
