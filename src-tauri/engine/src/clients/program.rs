//! Client programs on PATH: found the way a shell finds them, and run with a time
//! limit (a hung client must not hang the window).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{ClientError, Env, Os};

/// How long a client's command may take.
const LIMIT: Duration = Duration::from_secs(60);

fn executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// `program` on the environment's PATH (with PATHEXT's endings on Windows).
pub fn which(env: &Env, program: &str) -> Option<PathBuf> {
    let path = env.vars.get("PATH")?;
    let (sep, endings) = match env.os {
        Os::Windows => (
            ';',
            env.vars
                .get("PATHEXT")
                .map(|e| e.split(';').map(str::to_owned).collect())
                .unwrap_or_else(|| vec![".EXE".into(), ".CMD".into(), ".BAT".into()]),
        ),
        _ => (':', vec![String::new()]),
    };
    path.split(sep)
        .filter(|d| !d.is_empty())
        .flat_map(|dir| {
            endings
                .iter()
                .map(move |e| Path::new(dir).join(format!("{program}{e}")))
        })
        .find(|p| executable(p))
}

/// Runs `argv` (no shell), returning what it printed; an error names the program and
/// says what it printed when it fails or outlives the limit.
pub fn run(argv: &[String]) -> Result<String, ClientError> {
    run_within(argv, LIMIT)
}

pub fn run_within(argv: &[String], limit: Duration) -> Result<String, ClientError> {
    let program = argv.first().cloned().unwrap_or_default();
    let failed = |status: String, output: String| ClientError::Program {
        program: program.clone(),
        status,
        output: super::mask_keys(output.trim()),
    };
    let mut child = Command::new(&program)
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed("not started".into(), e.to_string()))?;
    // Read both pipes on threads so a chatty program cannot fill one and stall.
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            s
        })
    };
    let out = read(Box::new(child.stdout.take().expect("piped")));
    let err = read(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(failed(format!("no answer in {} s", limit.as_secs()), String::new()));
            }
        }
    };
    let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    if status.success() {
        Ok(out)
    } else {
        Err(failed(status.to_string(), format!("{out}{err}")))
    }
}

/// Opens a file with the program the system gives its type (Claude Desktop for a
/// .mcpb), without waiting for it.
pub fn open_with_system(path: &Path) -> std::io::Result<()> {
    let mut command = if cfg!(target_os = "macos") {
        Command::new("open")
    } else if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        Command::new("xdg-open")
    };
    command
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
}
