//! HTTPS (`--tls`, `--listen-tls`): the server certificate, and a TLS listener for `axum::serve`.
//!
//! **Certificates.** `--tls-cert FILE --tls-key FILE` serve the caller's own chain and key (PEM).
//! Otherwise the emulator is its own small CA: at first start it generates (rcgen, ECDSA P-256) a
//! local CA and a server certificate signed by it for `localhost`, `127.0.0.1`, `::1`,
//! `vpc.aliyuncs.com` and `vpc.<region>.aliyuncs.com` for every region of the world file and of
//! Alibaba Cloud ([`ALIBABA_CLOUD_REGIONS`]), plus every `--tls-name`. The CA is **name-constrained**
//! to exactly those names (`localhost`, `aliyuncs.com` and its subdomains, 127.0.0.0/8, ::1, the
//! extras), so trusting it cannot let it vouch for any other site.
//!
//! With a data dir the files live in `<data_dir>/tls/` (`ca.pem`, `ca.key`, `ca.json`, `server.pem`,
//! `server.key`, `server.json`; keys mode 0600) and are reused: clients trust the CA once. The
//! server certificate is reissued from the same CA when the wanted names change or it is within
//! 30 days of expiry; only a `--tls-name` outside the CA's constraints (or its expiry) makes a new
//! CA, with a warning. Without a data dir both are generated per process; `--tls-ca-out FILE`
//! writes the CA where clients read it, and `GET /_emulator/tls/ca.pem` serves it.
//!
//! **Listener.** [`TlsListener`] implements `axum::serve::Listener`: a task accepts TCP
//! connections and runs each handshake in its own task (with a timeout), so a slow client never
//! holds up others, and hands finished streams to `axum::serve`, whose graceful shutdown is
//! unchanged. ALPN offers `http/1.1` only. A plain-HTTP request arriving on the HTTPS port is
//! answered `400` with a line saying to use `https://`.
//!
//! Depends on `config` and `world` only.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, CidrSubnet, DistinguishedName, DnType, ExtendedKeyUsagePurpose,
    GeneralSubtree, IsCa, Issuer, KeyPair, KeyUsagePurpose, NameConstraints, SanType, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::ServerConfig;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::config::ServeArgs;
use crate::world::World;

/// Midnight UTC of the day of `ms` (certificates carry dates; a day of slack either side).
macro_rules! date {
    ($ms:expr) => {{
        let (y, m, d) = ymd($ms);
        rcgen::date_time_ymd(y, m, d)
    }};
}

/// Public Alibaba Cloud region ids: the server certificate names `vpc.<region>.aliyuncs.com` for
/// each (and for every region of the world file), so a client configured for any real region can
/// be pointed at the emulator by name.
pub const ALIBABA_CLOUD_REGIONS: &[&str] = &[
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-hangzhou",
    "cn-shanghai",
    "cn-nanjing",
    "cn-fuzhou",
    "cn-wuhan-lr",
    "cn-shenzhen",
    "cn-heyuan",
    "cn-guangzhou",
    "cn-chengdu",
    "cn-hongkong",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-south-1",
    "us-east-1",
    "us-west-1",
    "eu-west-1",
    "eu-central-1",
    "me-east-1",
    "me-central-1",
    "na-south-1",
    "cn-shanghai-finance-1",
    "cn-shenzhen-finance-1",
    "cn-beijing-finance-1",
    "cn-north-2-gov-1",
];

/// Lifetime of a generated CA and server certificate, in days (the server's stays under the 398
/// days some clients accept).
pub const CA_DAYS: i64 = 3650;
pub const SERVER_DAYS: i64 = 397;
/// A certificate this close to its end is replaced at start.
pub const RENEW_DAYS: i64 = 30;
/// A TLS handshake not done in this time is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshakes in progress at once (more wait for a slot before being accepted).
pub const MAX_HANDSHAKES: usize = 1024;

/// The HTTPS side of a running emulator.
pub struct Tls {
    pub config: Arc<ServerConfig>,
    /// The CA clients should trust (PEM); `None` with `--tls-cert`.
    pub ca_pem: Option<String>,
    /// The names of the server certificate (generated certificates only).
    pub names: Vec<String>,
    /// Where the certificate comes from, for the start-up log and the control API.
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// `--tls-cert` / `--tls-key`.
    Provided { cert: PathBuf },
    /// Generated; kept in `dir` when there is a data dir. `new_ca`: the CA was made at this start.
    Generated { dir: Option<PathBuf>, new_ca: bool, new_server: bool },
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("names", &self.names.len()).field("origin", &self.origin).finish()
    }
}

/// What the certificate set-up needs from the command line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub extra_names: Vec<String>,
    /// Where generated files are kept (`<data_dir>/tls`); `None`: per process.
    pub dir: Option<PathBuf>,
    pub ca_out: Option<PathBuf>,
}

impl Tls {
    /// The TLS set-up the command line asks for: `None` when neither `--tls` nor `--listen-tls`.
    pub fn from_args(args: &ServeArgs, world: &World, data_dir: Option<&Path>) -> Result<Option<Tls>, String> {
        if !args.serves_tls() {
            return Ok(None);
        }
        let opts = Options {
            cert: args.tls_cert.clone(),
            key: args.tls_key.clone(),
            extra_names: args.tls_name.clone(),
            dir: data_dir.map(|d| d.join("tls")),
            ca_out: args.tls_ca_out.clone(),
        };
        let regions: Vec<&str> = world.regions.iter().map(|r| r.region_id.as_str()).collect();
        Tls::load(&opts, &regions).map(Some)
    }

    /// Loads the caller's certificate or generates (or reuses) the emulator's own.
    pub fn load(opts: &Options, world_regions: &[&str]) -> Result<Tls, String> {
        let tls = match (&opts.cert, &opts.key) {
            (Some(cert), Some(key)) => {
                if opts.ca_out.is_some() {
                    return Err("--tls-ca-out needs the emulator's own CA; with --tls-cert there is none".into());
                }
                let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                    .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
                if chain.is_empty() {
                    return Err(format!("--tls-cert {}: no CERTIFICATE in the file", cert.display()));
                }
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
                Tls {
                    config: server_config(chain, key)?,
                    ca_pem: None,
                    names: vec![],
                    origin: Origin::Provided { cert: cert.clone() },
                }
            }
            (None, None) => generated(opts, world_regions)?,
            _ => return Err("--tls-cert and --tls-key go together".into()),
        };
        if let (Some(out), Some(pem)) = (&opts.ca_out, &tls.ca_pem) {
            write_file(out, pem.as_bytes(), false).map_err(|e| format!("--tls-ca-out {}: {e}", out.display()))?;
        }
        Ok(tls)
    }
}

/// The names of the server certificate: fixed ones, `vpc.<region>.aliyuncs.com` per region (the
/// world's and Alibaba Cloud's), and the extras; deduplicated, in a stable order.
pub fn server_names(world_regions: &[&str], extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> =
        ["localhost", "127.0.0.1", "::1", "vpc.aliyuncs.com"].iter().map(|s| s.to_string()).collect();
    let mut regions: Vec<&str> = ALIBABA_CLOUD_REGIONS.iter().copied().chain(world_regions.iter().copied()).collect();
    regions.sort_unstable();
    regions.dedup();
    names.extend(regions.iter().map(|r| format!("vpc.{r}.aliyuncs.com")));
    for e in extra {
        let e = e.trim().trim_end_matches('.').to_ascii_lowercase();
        if !e.is_empty() && !names.contains(&e) {
            names.push(e);
        }
    }
    names
}

/// The CA's permitted subtrees: enough for every name of [`server_names`].
fn constraint_names(extra: &[String]) -> Vec<String> {
    let mut out: Vec<String> = vec!["localhost".into(), "aliyuncs.com".into(), "127.0.0.0/8".into(), "::1/128".into()];
    for e in server_names(&[], extra) {
        let c = match e.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => format!("{ip}/32"),
            Ok(IpAddr::V6(ip)) => format!("{ip}/128"),
            Err(_) => e.trim_start_matches("*.").to_owned(),
        };
        if !constraint_covers(&out, &e) && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Whether a list of constraints (DNS names, `ip/prefix`) permits `name`.
fn constraint_covers(constraints: &[String], name: &str) -> bool {
    match name.parse::<IpAddr>() {
        Ok(ip) => constraints.iter().any(|c| {
            let Some((net, prefix)) = c.split_once('/') else { return false };
            let (Ok(net), Ok(prefix)) = (net.parse::<IpAddr>(), prefix.parse::<u8>()) else { return false };
            match (net, ip) {
                (IpAddr::V4(n), IpAddr::V4(a)) => {
                    prefix <= 32 && (u32::from(n) ^ u32::from(a)).checked_shr(32 - prefix as u32).unwrap_or(0) == 0
                }
                (IpAddr::V6(n), IpAddr::V6(a)) => {
                    prefix <= 128 && (u128::from(n) ^ u128::from(a)).checked_shr(128 - prefix as u32).unwrap_or(0) == 0
                }
                _ => false,
            }
        }),
        Err(_) => {
            let name = name.trim_start_matches("*.");
            constraints.iter().filter(|c| !c.contains('/')).any(|c| name == c || name.ends_with(&format!(".{c}")))
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct CaMeta {
    common_name: String,
    constraints: Vec<String>,
    not_after_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ServerMeta {
    names: Vec<String>,
    ca_common_name: String,
    not_after_ms: u64,
}

const DAY_MS: u64 = 86_400_000;

fn generated(opts: &Options, world_regions: &[&str]) -> Result<Tls, String> {
    let names = server_names(world_regions, &opts.extra_names);
    let now = crate::clock::wall_ms();
    let renew_before = now + RENEW_DAYS as u64 * DAY_MS;
    let dir = opts.dir.as_deref();
    if let Some(d) = dir {
        std::fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let read = |f: &str| dir.and_then(|d| std::fs::read_to_string(d.join(f)).ok());

    // The CA: the stored one if it is whole, valid long enough and permits every name.
    let stored_ca = (|| {
        let meta: CaMeta = serde_json::from_str(&read("ca.json")?).ok()?;
        let pem = read("ca.pem")?;
        let key = KeyPair::from_pem(&read("ca.key")?).ok()?;
        Some((meta, pem, key))
    })();
    let (ca_meta, ca_pem, ca_key, new_ca) = match stored_ca {
        Some((meta, pem, key))
            if meta.not_after_ms > renew_before && names.iter().all(|n| constraint_covers(&meta.constraints, n)) =>
        {
            (meta, pem, key, false)
        }
        old => {
            if old.is_some() {
                tracing::warn!(
                    target: "tls",
                    "the stored CA expires soon or does not cover every --tls-name: a NEW CA is generated; \
                     clients must trust the new one (GET /_emulator/tls/ca.pem)"
                );
            }
            let key = KeyPair::generate().map_err(|e| format!("cannot generate the CA key: {e}"))?;
            let meta = CaMeta {
                common_name: format!("aliyun-nat-emulator local CA {}", hex(&random::<4>())),
                constraints: constraint_names(&opts.extra_names),
                not_after_ms: now + CA_DAYS as u64 * DAY_MS,
            };
            let mut params = ca_params(&meta);
            params.not_before = date!(now - DAY_MS);
            params.serial_number = Some(SerialNumber::from_slice(&serial()));
            let cert = params.self_signed(&key).map_err(|e| format!("cannot sign the CA: {e}"))?;
            let pem = cert.pem();
            if let Some(d) = dir {
                write_file(&d.join("ca.key"), key.serialize_pem().as_bytes(), true).map_err(|e| e.to_string())?;
                write_file(&d.join("ca.pem"), pem.as_bytes(), false).map_err(|e| e.to_string())?;
                let meta_json = serde_json::to_string_pretty(&meta).map_err(|e| e.to_string())?;
                write_file(&d.join("ca.json"), meta_json.as_bytes(), false).map_err(|e| e.to_string())?;
            }
            (meta, pem, key, true)
        }
    };

    // The server certificate: the stored one if it has the same names, the same CA and time left.
    let stored_server = (|| {
        let meta: ServerMeta = serde_json::from_str(&read("server.json")?).ok()?;
        let pem = read("server.pem")?;
        let key = read("server.key")?;
        Some((meta, pem, key))
    })();
    let (server_pem, server_key_pem, new_server) = match stored_server {
        Some((meta, pem, key))
            if !new_ca
                && meta.names == names
                && meta.ca_common_name == ca_meta.common_name
                && meta.not_after_ms > renew_before =>
        {
            (pem, key, false)
        }
        _ => {
            let key = KeyPair::generate().map_err(|e| format!("cannot generate the server key: {e}"))?;
            let mut params = CertificateParams::default();
            params.distinguished_name = DistinguishedName::new();
            params.distinguished_name.push(DnType::CommonName, "aliyun-nat-emulator");
            params.distinguished_name.push(DnType::OrganizationName, "aliyun-nat-emulator");
            params.subject_alt_names = names
                .iter()
                .map(|n| match n.parse::<IpAddr>() {
                    Ok(ip) => Ok(SanType::IpAddress(ip)),
                    Err(_) => n
                        .clone()
                        .try_into()
                        .map(SanType::DnsName)
                        .map_err(|e| format!("--tls-name {n:?} is not a valid DNS name: {e}")),
                })
                .collect::<Result<_, String>>()?;
            params.is_ca = IsCa::ExplicitNoCa;
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            params.use_authority_key_identifier_extension = true;
            params.not_before = date!(now - DAY_MS);
            let not_after_ms = now + SERVER_DAYS as u64 * DAY_MS;
            params.not_after = date!(not_after_ms);
            params.serial_number = Some(SerialNumber::from_slice(&serial()));
            let issuer = Issuer::new(ca_params(&ca_meta), &ca_key);
            let cert =
                params.signed_by(&key, &issuer).map_err(|e| format!("cannot sign the server certificate: {e}"))?;
            let pem = cert.pem();
            let key_pem = key.serialize_pem();
            if let Some(d) = dir {
                write_file(&d.join("server.key"), key_pem.as_bytes(), true).map_err(|e| e.to_string())?;
                write_file(&d.join("server.pem"), pem.as_bytes(), false).map_err(|e| e.to_string())?;
                let meta =
                    ServerMeta { names: names.clone(), ca_common_name: ca_meta.common_name.clone(), not_after_ms };
                let meta_json = serde_json::to_string_pretty(&meta).map_err(|e| e.to_string())?;
                write_file(&d.join("server.json"), meta_json.as_bytes(), false).map_err(|e| e.to_string())?;
            }
            (pem, key_pem, true)
        }
    };

    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(server_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|e| format!("the server certificate: {e}"))?;
    let key = PrivateKeyDer::from_pem_slice(server_key_pem.as_bytes()).map_err(|e| format!("the server key: {e}"))?;
    Ok(Tls {
        config: server_config(chain, key)?,
        ca_pem: Some(ca_pem),
        names,
        origin: Origin::Generated { dir: opts.dir.clone(), new_ca, new_server },
    })
}

/// The CA's parameters, rebuilt the same way from its metadata each time (the subject and key
/// identifier method must match the stored certificate for the chain to verify).
fn ca_params(meta: &CaMeta) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, meta.common_name.as_str());
    params.distinguished_name.push(DnType::OrganizationName, "aliyun-nat-emulator");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    params.name_constraints = Some(NameConstraints {
        permitted_subtrees: meta
            .constraints
            .iter()
            .map(|c| match c.split_once('/') {
                Some((ip, prefix)) => match (ip.parse::<IpAddr>(), prefix.parse::<u8>()) {
                    (Ok(ip), Ok(p)) => GeneralSubtree::IpAddress(CidrSubnet::from_addr_prefix(ip, p)),
                    _ => GeneralSubtree::DnsName(c.clone()),
                },
                None => GeneralSubtree::DnsName(c.clone()),
            })
            .collect(),
        excluded_subtrees: vec![],
    });
    params.not_after = date!(meta.not_after_ms);
    params
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, String> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS certificate and key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn ymd(ms: u64) -> (i32, u8, u8) {
    let iso = crate::clock::format_iso(ms);
    let num = |r: std::ops::Range<usize>| iso.get(r).and_then(|s| s.parse::<i32>().ok()).unwrap_or(1);
    (num(0..4), num(5..7) as u8, num(8..10) as u8)
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    // The ring provider's system randomness; on failure the clock still makes values differ.
    if rustls::crypto::ring::default_provider().secure_random.fill(&mut b).is_err() {
        let t = crate::clock::wall_ms().to_le_bytes();
        for (i, x) in b.iter_mut().enumerate() {
            *x = t[i % 8] ^ (i as u8).wrapping_mul(151);
        }
    }
    b
}

/// A positive 16-byte serial number.
fn serial() -> [u8; 16] {
    let mut s = random::<16>();
    s[0] &= 0x7f;
    s[0] |= 0x01;
    s
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Writes a whole file atomically (temporary file, then rename); `secret`: mode 0600.
fn write_file(path: &Path, data: &[u8], secret: bool) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if secret {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = secret;
        let mut f = opts.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))
}

// ---------------------------------------------------------------------------------------------
// The listener.

/// What a client that speaks plain HTTP to the HTTPS port gets.
const PLAIN_HTTP_ANSWER: &str = "This port speaks HTTPS: use an https:// URL (the emulator was started with --tls).\n";

/// A TLS listener for `axum::serve`. Dropping it (graceful shutdown does) stops accepting.
pub struct TlsListener {
    rx: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    acceptor: tokio::task::JoinHandle<()>,
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl TlsListener {
    /// Starts accepting on `listener` (call inside a tokio runtime).
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<TlsListener> {
        let local = listener.local_addr()?;
        let (tx, rx) = mpsc::channel(64);
        let acceptor = tokio::spawn(accept_loop(listener, TlsAcceptor::from(config), tx));
        Ok(TlsListener { rx, local, acceptor })
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else { return };
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: wait, as axum's own listener does.
                tracing::debug!(target: "tls", error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        if tx.is_closed() {
            return;
        }
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            if let Ok(Ok(tls)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(&acceptor, stream)).await {
                let _ = tx.send((tls, peer)).await;
            }
        });
    }
}

async fn handshake(acceptor: &TlsAcceptor, mut stream: TcpStream) -> Result<TlsStream<TcpStream>, ()> {
    let mut first = [0u8; 1];
    if matches!(stream.peek(&mut first).await, Ok(1) if first[0].is_ascii_uppercase()) {
        // `GET /…`, `POST /…`: plain HTTP on the HTTPS port.
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\
             content-length: {}\r\n\r\n{PLAIN_HTTP_ANSWER}",
            PLAIN_HTTP_ANSWER.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
        return Err(());
    }
    acceptor.accept(stream).await.map_err(|e| tracing::debug!(target: "tls", error = %e, "TLS handshake failed"))
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(c) => c,
            // The accept task ended (it never does on its own): accept nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

// ---------------------------------------------------------------------------------------------
// The client side, for the binary's own subcommands (`healthcheck`, `state`, …).

/// Opens a TLS connection for the binary's client subcommands **without verifying the
/// certificate**: they only talk to the emulator (loopback, a container's own port), carry no
/// secret, and the emulator's CA may live in a data dir the client cannot read.
pub async fn connect_unverified(
    stream: TcpStream,
    host: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned()).map_err(std::io::Error::other)?;
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, stream).await
}

/// Accepts any certificate; still checks the handshake signatures (so the peer holds the key).
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cover_the_real_host_names() {
        let names = server_names(&["cn-hangzhou", "xx-test-1"], &["nat-emulator".into(), "10.0.0.5".into()]);
        for n in ["localhost", "127.0.0.1", "::1", "vpc.aliyuncs.com", "vpc.cn-hangzhou.aliyuncs.com"] {
            assert!(names.contains(&n.to_string()), "{n}");
        }
        assert!(names.contains(&"vpc.xx-test-1.aliyuncs.com".to_string()), "a region of the world file");
        assert!(names.contains(&"vpc.eu-west-1.aliyuncs.com".to_string()), "a real region");
        assert!(names.contains(&"nat-emulator".to_string()) && names.contains(&"10.0.0.5".to_string()));
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "no duplicates");
    }

    #[test]
    fn constraints_cover_every_name_and_nothing_else() {
        let extra = vec!["nat-emulator".to_string(), "10.0.0.5".to_string(), "*.example.test".to_string()];
        let c = constraint_names(&extra);
        for n in server_names(&["cn-hangzhou"], &extra) {
            assert!(constraint_covers(&c, &n), "{n} in {c:?}");
        }
        for n in ["example.com", "aliyuncs.com.evil.test", "evilaliyuncs.com", "10.0.0.6", "8.8.8.8", "::2"] {
            assert!(!constraint_covers(&c, n), "{n}");
        }
        assert!(constraint_covers(&c, "127.0.0.2"));
        assert!(!constraint_covers(&constraint_names(&[]), "nat-emulator"), "an extra is not covered by default");
    }

    #[test]
    fn generates_and_reuses_in_a_dir() {
        let dir = std::env::temp_dir().join(format!("nat-emulator-tls-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let opts = Options { dir: Some(dir.clone()), ..Options::default() };
        let a = Tls::load(&opts, &["cn-hangzhou"]).expect("generated");
        assert!(matches!(a.origin, Origin::Generated { new_ca: true, new_server: true, .. }));
        let b = Tls::load(&opts, &["cn-hangzhou"]).expect("reused");
        assert!(matches!(b.origin, Origin::Generated { new_ca: false, new_server: false, .. }));
        assert_eq!(a.ca_pem, b.ca_pem);
        // A new region of the world: same CA, new server certificate.
        let c = Tls::load(&opts, &["cn-hangzhou", "xx-new-1"]).expect("reissued");
        assert!(matches!(c.origin, Origin::Generated { new_ca: false, new_server: true, .. }));
        assert_eq!(a.ca_pem, c.ca_pem);
        // An extra name outside the CA's constraints: a new CA.
        let opts2 = Options { extra_names: vec!["nat-emulator".into()], ..opts.clone() };
        let d = Tls::load(&opts2, &["cn-hangzhou"]).expect("new CA");
        assert!(matches!(d.origin, Origin::Generated { new_ca: true, .. }));
        assert_ne!(a.ca_pem, d.ca_pem);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("ca.key")).expect("ca.key").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
