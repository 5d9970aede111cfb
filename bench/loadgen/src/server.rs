//! Servers this process starts (emulator, ceiling) on 127.0.0.1, stopped by their own pid; cold
//! start (spawn → first signed 200) and memory (`/proc/PID/status`).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http::Conn;
use crate::run::Kind;
use crate::sign::{pairs, Scheme, Signer};

#[derive(Debug, Clone)]
pub struct Binaries {
    pub emulator: PathBuf,
    pub ceiling: Option<PathBuf>,
    /// The emulator's `--log-level`.
    pub log_level: String,
    pub seed: u64,
    /// Extra emulator flags (e.g. `--journal-size 0`).
    pub extra: Vec<String>,
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(18_099)
}

impl Server {
    /// Spawns without waiting. `ceiling_seed`: the ceiling's pre-loaded entries.
    pub fn spawn(bins: &Binaries, kind: Kind, ceiling_seed: usize) -> std::io::Result<Server> {
        let port = free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let child = match kind {
            Kind::Emulator => Command::new(&bins.emulator)
                .arg("--listen")
                .arg(addr.to_string())
                .args(["--transition-delay-ms", "0", "--seed", &bins.seed.to_string()])
                .args(["--log-level", &bins.log_level])
                .args(&bins.extra)
                .env_remove("NAT_EMULATOR_WORLD")
                .env_remove("NAT_EMULATOR_INIT")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
            Kind::Ceiling => {
                let bin = bins.ceiling.as_ref().ok_or_else(|| std::io::Error::other("no ceiling binary"))?;
                Command::new(bin)
                    .env("PORT", port.to_string())
                    .env("SEED", ceiling_seed.to_string())
                    .env("ACCESS_KEY_SECRET", "testsecret")
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()?
            }
        };
        Ok(Server { child, addr })
    }

    /// Spawns and waits until it answers a signed request.
    pub async fn start(bins: &Binaries, kind: Kind, ceiling_seed: usize) -> Result<Server, String> {
        let mut s = Server::spawn(bins, kind, ceiling_seed).map_err(|e| format!("spawn {kind:?}: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if first_signed_ok(s.addr, kind).await {
                return Ok(s);
            }
            if let Ok(Some(status)) = s.child.try_wait() {
                return Err(format!("{kind:?} exited at start: {status}"));
            }
            if Instant::now() > deadline {
                s.stop();
                return Err(format!("{kind:?} did not answer within 15 s"));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (VmRSS, VmHWM) in KiB.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        memory_kib(self.pid())
    }

    /// SIGTERM to its own pid, then SIGKILL after 3 s.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        terminate(self.child.id());
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// SIGTERM to a child this process spawned and has not reaped yet (so the pid is still its own).
fn terminate(pid: u32) {
    // SAFETY: kill(2) takes plain integers and touches no memory of this process.
    unsafe {
        libc::kill(pid as libc::pid_t, libc::SIGTERM);
    }
}

pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// One signed DescribeNatGateways (RPC v1) answered 200.
pub async fn first_signed_ok(addr: SocketAddr, _kind: Kind) -> bool {
    let Ok(mut c) = Conn::connect(addr).await else { return false };
    let signer = Signer::new("testid", "testsecret");
    let signed = signer.sign(Scheme::V1, "DescribeNatGateways", &pairs(&[("RegionId", "cn-hangzhou")]), c.host());
    matches!(c.send_signed(&signed).await, Ok((200, _)))
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ColdStart {
    /// spawn → first signed 200, in ms.
    pub ms: f64,
    /// VmRSS 500 ms after that first answer, in KiB.
    pub idle_rss_kib: u64,
}

/// Spawn → first signed 200, polling as fast as the loopback allows (a refused connect costs
/// microseconds; 100 µs between attempts).
pub fn cold_start(bins: &Binaries, kind: Kind) -> Result<ColdStart, String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async {
        let t0 = Instant::now();
        let mut s = Server::spawn(bins, kind, 10).map_err(|e| e.to_string())?;
        let ms = loop {
            if first_signed_ok(s.addr, kind).await {
                break t0.elapsed().as_secs_f64() * 1000.0;
            }
            if t0.elapsed() > Duration::from_secs(15) {
                return Err(format!("{kind:?} did not answer within 15 s"));
            }
            std::thread::sleep(Duration::from_micros(100));
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle_rss_kib = s.memory_kib().map(|m| m.0).unwrap_or(0);
        s.stop();
        Ok(ColdStart { ms, idle_rss_kib })
    })
}

pub fn exists(p: &Path) -> bool {
    p.is_file()
}
