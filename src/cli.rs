//! The binary's client subcommands (`state`, `clock`, `config`, `seed`, `reset`, `faults`,
//! `requests`, `accounts`) and `healthcheck`: thin HTTP clients of `/_emulator/`, over a tiny
//! HTTP/1.1 client (no client library, no curl needed in the image). Each prints the JSON answer
//! (pretty) on stdout and exits 0 on a 2xx; otherwise prints the error on stderr and exits 1.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::config::{
    AccountsArgs, AccountsCommand, ClockArgs, ConfigArgs, FaultAddArgs, FaultsArgs, FaultsCommand, HealthcheckArgs,
    RequestsArgs, ResetArgs, SeedArgs, StateArgs, Target,
};

/// One HTTP/1.1 exchange: (status, body). `https://` URLs go over TLS **without verifying the
/// certificate** (`tls::connect_unverified`: these commands only talk to the emulator itself).
pub async fn http(method: &str, url: &str, body: Option<&str>, timeout: Duration) -> Result<(u16, String), String> {
    let (https, rest) = match (url.strip_prefix("http://"), url.strip_prefix("https://")) {
        (Some(r), _) => (false, r),
        (_, Some(r)) => (true, r),
        _ => return Err(format!("only http:// and https:// URLs are supported: {url}")),
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut req =
        format!("{method} {path} HTTP/1.1\r\nHost: {hostport}\r\nConnection: close\r\nAccept: application/json\r\n");
    if let Some(b) = body {
        req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
    } else if method != "GET" && method != "HEAD" {
        req.push_str("Content-Length: 0\r\n");
    }
    req.push_str("\r\n");
    if let Some(b) = body {
        req.push_str(b);
    }
    let exchange = async {
        let stream = tokio::net::TcpStream::connect(hostport).await?;
        if https {
            let host = match hostport.rsplit_once(':') {
                Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
                _ => hostport,
            };
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let tls = crate::tls::connect_unverified(stream, host).await?;
            exchange(tls, req.as_bytes()).await
        } else {
            exchange(stream, req.as_bytes()).await
        }
    };
    let buf = match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(buf)) => buf,
        Ok(Err(e)) => return Err(format!("{url}: {e}")),
        Err(_) => return Err(format!("{url}: no answer in {} s", timeout.as_secs())),
    };
    parse_response(&buf).ok_or_else(|| format!("{url}: not an HTTP response"))
}

async fn exchange<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
) -> std::io::Result<Vec<u8>> {
    stream.write_all(request).await?;
    let mut buf = Vec::new();
    match stream.read_to_end(&mut buf).await {
        Ok(_) => Ok(buf),
        // A TLS peer that closes without close_notify still sent a whole response.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !buf.is_empty() => Ok(buf),
        Err(e) => Err(e),
    }
}

fn parse_response(buf: &[u8]) -> Option<(u16, String)> {
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let chunked = lines.any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("transfer-encoding") && v.to_ascii_lowercase().contains("chunked")
        })
    });
    let raw = &buf[end + 4..];
    let body = if chunked { dechunk(raw)? } else { raw.to_vec() };
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

/// Whether the `--listen` address speaks HTTPS (`--tls` without `--listen-tls`), set once by the
/// binary from its configuration: the default URLs below then use `https://`.
static DEFAULT_HTTPS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

pub fn set_default_https(on: bool) {
    DEFAULT_HTTPS.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// `http://127.0.0.1:8080` from `--listen`/`NAT_EMULATOR_LISTEN` (0.0.0.0 → 127.0.0.1; `https://`
/// when that address speaks TLS).
pub fn default_base(listen: SocketAddr) -> String {
    let mut addr = listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let scheme = if DEFAULT_HTTPS.load(std::sync::atomic::Ordering::Relaxed) { "https" } else { "http" };
    format!("{scheme}://{addr}")
}

/// Exit 0 when `/_emulator/health` answers 200 (for container `HEALTHCHECK`s).
pub async fn healthcheck(args: HealthcheckArgs, listen: SocketAddr) -> ExitCode {
    let url = args.url.clone().unwrap_or_else(|| format!("{}/_emulator/health", default_base(listen)));
    let url = if url.strip_prefix("http://").or(url.strip_prefix("https://")).is_some_and(|r| !r.contains('/')) {
        format!("{url}/_emulator/health")
    } else {
        url
    };
    match http("GET", &url, None, Duration::from_secs(args.timeout)).await {
        Ok((200, _)) => ExitCode::SUCCESS,
        Ok((status, _)) => {
            eprintln!("healthcheck: {url} answered {status}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("healthcheck: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Client {
    base: String,
    timeout: Duration,
    name: &'static str,
}

impl Client {
    fn new(target: &Target, listen: SocketAddr, name: &'static str) -> Client {
        let base = target.url.clone().unwrap_or_else(|| default_base(listen));
        Client { base: base.trim_end_matches('/').to_owned(), timeout: Duration::from_secs(target.timeout), name }
    }

    /// Sends, prints, and turns the answer into an exit code.
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> ExitCode {
        let url = format!("{}/_emulator{path}", self.base);
        let text = body.map(|b| b.to_string());
        match http(method, &url, text.as_deref(), self.timeout).await {
            Ok((status, body)) => {
                let pretty = serde_json::from_str::<Value>(&body)
                    .ok()
                    .and_then(|v| serde_json::to_string_pretty(&v).ok())
                    .unwrap_or(body);
                if (200..300).contains(&status) {
                    println!("{pretty}");
                    ExitCode::SUCCESS
                } else {
                    eprintln!("{}: {method} {url} answered {status}: {pretty}", self.name);
                    ExitCode::FAILURE
                }
            }
            Err(e) => {
                eprintln!("{}: {e}", self.name);
                ExitCode::FAILURE
            }
        }
    }
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", crate::wire::encoding::pct_string(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

fn usage(name: &str, message: &str) -> ExitCode {
    eprintln!("{name}: {message}");
    ExitCode::from(2)
}

pub async fn state(a: StateArgs, listen: SocketAddr) -> ExitCode {
    let c = Client::new(&a.target, listen, "state");
    let q = query(&[("account", a.account), ("region", a.region), ("type", a.kind)]);
    c.call("GET", &format!("/state{q}"), None).await
}

pub async fn clock(a: ClockArgs, listen: SocketAddr) -> ExitCode {
    let c = Client::new(&a.target, listen, "clock");
    let mut body = serde_json::Map::new();
    if a.freeze {
        body.insert("freeze".into(), json!(true));
    }
    if a.unfreeze {
        body.insert("freeze".into(), json!(false));
    }
    if let Some(s) = a.advance {
        body.insert("advance_seconds".into(), json!(s));
    }
    if body.is_empty() {
        c.call("GET", "/clock", None).await
    } else {
        c.call("POST", "/clock", Some(Value::Object(body))).await
    }
}

pub async fn config(a: ConfigArgs, listen: SocketAddr) -> ExitCode {
    let c = Client::new(&a.target, listen, "config");
    let mut patch = match &a.set {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            _ => return usage("config", "--set takes a JSON object, e.g. '{\"delays\":{\"nat_create_ms\":0}}'"),
        },
        None => serde_json::Map::new(),
    };
    if let Some(ms) = a.transition_delay_ms {
        patch.insert("transition_delay_ms".into(), json!(ms));
    }
    if patch.is_empty() {
        c.call("GET", "/config", None).await
    } else {
        c.call("POST", "/config", Some(Value::Object(patch))).await
    }
}

pub async fn seed(a: SeedArgs, listen: SocketAddr) -> ExitCode {
    let c = Client::new(&a.target, listen, "seed");
    match a.seed {
        Some(s) => c.call("POST", "/seed", Some(json!({ "seed": s }))).await,
        None => c.call("GET", "/seed", None).await,
    }
}

pub async fn reset(a: ResetArgs, listen: SocketAddr) -> ExitCode {
    let c = Client::new(&a.target, listen, "reset");
    let body = a.account.map(|acc| json!({ "account": acc }));
    c.call("POST", "/reset", body).await
}

fn fault_body(a: &FaultAddArgs) -> Result<Value, String> {
    if let Some(text) = &a.json {
        return serde_json::from_str(text).map_err(|e| format!("--json: {e}"));
    }
    let mut m = serde_json::Map::new();
    for (k, v) in
        [("action", &a.action), ("resource_id", &a.resource_id), ("account", &a.account), ("region", &a.region)]
    {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    let mut body = json!({ "match": m });
    if let Some(code) = &a.error {
        let mut e = json!({ "code": code });
        if crate::faults::preset(code).is_some() {
            e = json!({ "preset": code });
        }
        if let Some(s) = a.status {
            e["status"] = json!(s);
        }
        if let Some(msg) = &a.message {
            e["message"] = json!(msg);
        }
        body["error"] = e;
    }
    if let Some(l) = a.latency_ms {
        body["latency_ms"] = json!(l);
    }
    let mut when = serde_json::Map::new();
    if let Some(n) = a.nth {
        when.insert("nth".into(), json!(n));
    }
    if let Some(n) = a.first {
        when.insert("first".into(), json!(n));
    }
    if let Some(p) = a.probability {
        when.insert("probability".into(), json!(p));
    }
    if let Some(s) = a.seed {
        when.insert("seed".into(), json!(s));
    }
    if !when.is_empty() {
        body["when"] = Value::Object(when);
    }
    Ok(body)
}

pub async fn faults(a: FaultsArgs, listen: SocketAddr) -> ExitCode {
    let c = Client::new(&a.target, listen, "faults");
    match a.command.unwrap_or(FaultsCommand::List) {
        FaultsCommand::List => c.call("GET", "/faults", None).await,
        FaultsCommand::Add(add) => match fault_body(&add) {
            Ok(body) => c.call("POST", "/faults", Some(body)).await,
            Err(e) => usage("faults add", &e),
        },
        FaultsCommand::Delete { id: Some(id), .. } => {
            c.call("DELETE", &format!("/faults/{}", crate::wire::encoding::pct_string(&id)), None).await
        }
        FaultsCommand::Delete { id: None, all: true } => c.call("DELETE", "/faults", None).await,
        FaultsCommand::Delete { id: None, all: false } => usage("faults delete", "give a rule id or --all"),
        FaultsCommand::Report => c.call("GET", "/faults/report", None).await,
    }
}

pub async fn requests(a: RequestsArgs, listen: SocketAddr) -> ExitCode {
    let c = Client::new(&a.target, listen, "requests");
    if let Some(id) = a.id {
        return c.call("GET", &format!("/requests/{}", crate::wire::encoding::pct_string(&id)), None).await;
    }
    let q = query(&[
        ("limit", a.limit.map(|l| l.to_string())),
        ("action", a.action),
        ("code", a.code),
        ("account", a.account),
    ]);
    c.call("GET", &format!("/requests{q}"), None).await
}

pub async fn accounts(a: AccountsArgs, listen: SocketAddr) -> ExitCode {
    let c = Client::new(&a.target, listen, "accounts");
    match a.command.unwrap_or(AccountsCommand::List) {
        AccountsCommand::List => c.call("GET", "/accounts", None).await,
        AccountsCommand::Add { access_key_id, access_key_secret, account_id, name } => {
            let mut body = json!({ "access_key_id": access_key_id, "access_key_secret": access_key_secret });
            if let Some(id) = account_id {
                body["account_id"] = json!(id);
            }
            if let Some(n) = name {
                body["name"] = json!(n);
            }
            c.call("POST", "/accounts", Some(body)).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_plain_and_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain), Some((200, "{}".into())));
        let chunked =
            b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((404, "{\"a\":1}".into())));
        assert_eq!(parse_response(b"garbage"), None);
    }
}
