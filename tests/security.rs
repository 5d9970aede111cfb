//! Security and limits (issue 11), over real HTTP:
//!
//! - no secret (`testsecret`, `testsecret2`, a secret added at run time), no signature (the
//!   values clients sent, `Signature=`) and no security token ever appears in the log (captured at
//!   `trace`), the request journal (list and every entry), the state dump or an answer;
//! - signatures are compared in constant time (`subtle`), in both schemes;
//! - `--auth off` warns at start (the binary, its stderr read);
//! - `--control off` and `--control-listen`: `/_emulator/*` answers like any unknown RPC path
//!   except `/_emulator/health`, and the control plane answers on its own address;
//! - each limit answers a clear 4xx: header size (ours: 431 with an Alibaba-shaped body; hyper's
//!   for huge heads: 431), request timeout for slow heads and slow bodies (408), concurrent
//!   connections (400 `Throttling`, and served again once a slot frees), body size, parameter
//!   count and value length; the request journal, the nonce cache and the fault report stay within
//!   their capacities.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "http/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "http/signer.rs"]
mod signer;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aliyun_nat_emulator::config::{ControlMode, ServeArgs};
use aliyun_nat_emulator::App;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use harness::Server;
use signer::{rfc3986, Req, Style};

// ----------------------------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------------------------

/// Everything the in-process servers of this test binary log, at `trace`.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .init();
        buf
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One HTTP exchange on a new connection: (status, head, body), or why there was none.
async fn exchange(addr: std::net::SocketAddr, request: &[u8], wait: Duration) -> Result<(u16, String, String), String> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let _ = s.write_all(request).await;
    read_response(&mut s, wait).await
}

/// Reads one response (Content-Length framed, or up to EOF).
async fn read_response(s: &mut TcpStream, wait: Duration) -> Result<(u16, String, String), String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some(end) = out.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&out[..end]).into_owned();
            let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or(format!("no status: {head}"))?;
            let len = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok());
            if let Some(len) = len {
                if out.len() >= end + 4 + len {
                    return Ok((status, head, String::from_utf8_lossy(&out[end + 4..end + 4 + len]).into_owned()));
                }
            }
        }
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return Err(format!("no whole answer in {wait:?}: {:?}", String::from_utf8_lossy(&out))),
            Ok(Ok(0)) | Ok(Err(_)) => {
                let Some(end) = out.windows(4).position(|w| w == b"\r\n\r\n") else {
                    return Err(format!("closed without an answer: {:?}", String::from_utf8_lossy(&out)));
                };
                let head = String::from_utf8_lossy(&out[..end]).into_owned();
                let status = head.split(' ').nth(1).and_then(|c| c.parse().ok()).ok_or(format!("no status: {head}"))?;
                return Ok((status, head, String::from_utf8_lossy(&out[end + 4..]).into_owned()));
            }
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// An Alibaba-shaped JSON error body with this Code.
#[track_caller]
fn alibaba(body: &str, code: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(v["Code"], code, "{v}");
    for k in ["RequestId", "HostId", "Message", "Recommend"] {
        assert!(v[k].as_str().is_some_and(|s| !s.is_empty()), "{k} in {v}");
    }
    v
}

fn args() -> ServeArgs {
    ServeArgs::for_tests()
}

async fn get_json(server: &Server, path: &str) -> Value {
    let r = server.raw(Method::GET, path, None).await;
    assert_eq!(r.status, 200, "{path}: {}", r.text);
    r.json()
}

// ----------------------------------------------------------------------------------------------
// Secrets, signatures and tokens stay inside
// ----------------------------------------------------------------------------------------------

const TOKEN: &str = "CAIS-sts+token/with=odd*chars~AbCdEf0123456789";
const TOKEN2: &str = "acs3-security-token-9f8e7d6c5b4a";
const NEW_SECRET: &str = "run-time-added-secret-XYZ";

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_signature_or_token_in_logs_journal_state_or_answers() {
    let logs = logs();
    let server = Server::with(ServeArgs { journal_size: 10_000, ..args() }).await;
    let mut answers = String::new();
    let mut signatures: Vec<String> = Vec::new();
    // Every style, right and wrong secrets, with a security token, for both accounts.
    for style in Style::ALL {
        for (id, secret) in [("testid", "testsecret"), ("testid2", "testsecret2"), ("testid", "wrong-secret")] {
            for token in [None, Some(TOKEN)] {
                let mut r = Req::new(style, "DescribeVpcs").region("cn-hangzhou").creds(id, secret);
                if let Some(t) = token {
                    r = if style.is_acs3() {
                        r.header_after("x-acs-security-token", TOKEN2)
                    } else {
                        r.set("SecurityToken", t)
                    };
                }
                let p = r.prepare(&server.authority());
                // What the client sent as its signature (v1 parameter or ACS3 header).
                if style.is_acs3() {
                    let authz = p.headers.iter().find(|(k, _)| k == "Authorization").map(|(_, v)| v.clone()).unwrap();
                    signatures.push(authz.rsplit_once("Signature=").unwrap().1.to_owned());
                } else {
                    let text =
                        format!("{}&{}", p.path_and_query, String::from_utf8_lossy(p.body.as_deref().unwrap_or(&[])));
                    let sig = text.split(['?', '&']).find_map(|kv| kv.strip_prefix("Signature=")).unwrap();
                    signatures.push(sig.to_owned());
                }
                let resp = server.send(&p).await;
                assert!(resp.status == 200 || resp.status == 400, "{}", resp.text);
                answers.push_str(&resp.text);
            }
        }
    }
    // A token the signer signs as a header (so the request is accepted) and a replay.
    let signed_token = Req::new(Style::Acs3Node, "DescribeVpcs").region("cn-hangzhou").set("SecurityToken", TOKEN);
    let p = signed_token.prepare(&server.authority());
    answers.push_str(&server.send(&p).await.text);
    answers.push_str(&server.send(&p).await.text); // SignatureNonceUsed
                                                   // Clock skew and a body hash mismatch (diagnoses of their own).
    answers.push_str(
        &Req::get("DescribeVpcs")
            .timestamp("2001-01-01T00:00:00Z")
            .set("SecurityToken", TOKEN)
            .send(&server)
            .await
            .text,
    );
    let bad_hash = Req { content_sha256: Some("00".repeat(32)), ..Req::new(Style::Acs3Py, "DescribeVpcs") };
    answers.push_str(&bad_hash.header_after("x-acs-security-token", TOKEN2).send(&server).await.text);
    // A key pair added at run time.
    let r = server
        .raw(
            Method::POST,
            "/_emulator/accounts",
            Some(&json!({"access_key_id": "newkey", "access_key_secret": NEW_SECRET}).to_string()),
        )
        .await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text);
    answers.push_str(&r.text);
    let r = Req::get("DescribeVpcs").region("cn-hangzhou").creds("newkey", NEW_SECRET).send(&server).await;
    r.ok();
    answers.push_str(&r.text);
    answers.push_str(&Req::get("DescribeVpcs").creds("newkey", "nope").send(&server).await.text);

    // Everything the emulator tells anyone.
    let mut told = answers;
    let list = get_json(&server, "/_emulator/requests?limit=100000").await;
    told.push_str(&list.to_string());
    for e in list["requests"].as_array().unwrap() {
        let id = e["request_id"].as_str().unwrap();
        told.push_str(&get_json(&server, &format!("/_emulator/requests/{id}")).await.to_string());
    }
    for path in [
        "/_emulator/state",
        "/_emulator/accounts",
        "/_emulator/config",
        "/_emulator/health",
        "/_emulator/faults/report",
    ] {
        told.push_str(&get_json(&server, path).await.to_string());
    }
    told.push_str(&String::from_utf8_lossy(&logs.lock().unwrap()));
    assert!(list["requests"].as_array().unwrap().len() >= 40, "{list}");
    assert!(told.contains("secret_mismatch"), "the diagnoses are there");

    for secret in ["testsecret", "testsecret2", NEW_SECRET, TOKEN, TOKEN2, "Signature="] {
        assert!(!told.contains(secret), "{secret:?} leaked");
        let encoded = rfc3986(secret);
        assert!(!told.contains(&encoded), "{encoded:?} leaked");
        assert!(!told.contains(&rfc3986(&encoded)), "{secret:?} (encoded twice) leaked");
    }
    for sig in &signatures {
        assert!(!told.contains(sig.as_str()) && !told.contains(&rfc3986(sig)), "signature {sig} leaked");
    }
    assert!(told.contains("masked-security-token"), "the token is masked in the string to sign");
}

#[test]
fn signatures_are_compared_in_constant_time() {
    let v1 = include_str!("../src/wire/signature_v1.rs");
    let auth = include_str!("../src/wire/auth.rs");
    assert!(v1.contains("use subtle::ConstantTimeEq") && v1.contains(".ct_eq("), "signature_v1::matches uses subtle");
    // Both schemes compare through it (the length check leaks only the length, which is public).
    assert_eq!(auth.matches("signature_v1::matches(&expected").count(), 2, "v1 and ACS3 use the constant-time compare");
    assert!(!auth.contains("expected == ") && !auth.contains("== expected"));
}

// ----------------------------------------------------------------------------------------------
// The binary: --auth off warns; nothing secret on stderr at trace
// ----------------------------------------------------------------------------------------------

struct Child {
    child: std::process::Child,
    addr: std::net::SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on an ephemeral port and waits for its "listening on" line.
fn spawn(args: &[&str]) -> Child {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aliyun-nat-emulator"))
        .args(["--listen", "127.0.0.1:0", "--transition-delay-ms", "0"])
        .args(args)
        .env_remove("NAT_EMULATOR_AUTH")
        .env_remove("NAT_EMULATOR_LOG_LEVEL")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stderr = Arc::new(Mutex::new(String::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let pipe = child.stderr.take().unwrap();
    let sink = stderr.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if let Some(at) = line.split("listening on http://").nth(1) {
                let _ = tx.send(at.split_whitespace().next().unwrap_or("").to_owned());
            }
            sink.lock().unwrap().push_str(&line);
            sink.lock().unwrap().push('\n');
        }
    });
    let at = rx.recv_timeout(Duration::from_secs(20)).expect("the binary says where it listens");
    Child { child, addr: at.parse().expect("an address"), stderr }
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_off_warns_at_start_and_the_binary_logs_no_secret() {
    let off = spawn(&["--auth", "off"]);
    let text = off.stderr.lock().unwrap().clone();
    assert!(text.contains("WARN") && text.contains("--auth off") && text.contains("NOT checked"), "{text}");
    drop(off);

    let strict = spawn(&["--log-level", "trace"]);
    let url = format!("http://{}", strict.addr);
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut sent = Vec::new();
    for style in Style::ALL {
        for secret in ["testsecret", "bad-secret"] {
            let p = Req::new(style, "DescribeVpcs")
                .region("cn-hangzhou")
                .creds("testid", secret)
                .set("SecurityToken", TOKEN)
                .prepare(&strict.addr.to_string());
            let mut rb = client.request(p.method.clone(), format!("{url}{}", p.path_and_query));
            for (k, v) in &p.headers {
                rb = rb.header(k.as_str(), v.as_str());
            }
            if let Some(b) = &p.body {
                rb = rb.body(b.clone());
            }
            let r = rb.send().await.unwrap();
            assert!(r.status().as_u16() < 500);
            sent.push(p);
        }
    }
    let r = client
        .post(format!("{url}/_emulator/accounts"))
        .body(json!({"access_key_id": "k2", "access_key_secret": NEW_SECRET}).to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = strict.stderr.lock().unwrap().clone();
    assert!(
        text.contains("DescribeVpcs") && text.contains("SignatureDoesNotMatch"),
        "request lines are logged: {text}"
    );
    for secret in ["testsecret", NEW_SECRET, TOKEN, "Signature="] {
        assert!(!text.contains(secret) && !text.contains(&rfc3986(secret)), "{secret:?} in the log: {text}");
    }
    for p in &sent {
        let sig = p
            .headers
            .iter()
            .find(|(k, _)| k == "Authorization")
            .and_then(|(_, v)| v.rsplit_once("Signature="))
            .map(|(_, s)| s.to_owned());
        if let Some(sig) = sig {
            assert!(!text.contains(&sig));
        }
    }
}

// ----------------------------------------------------------------------------------------------
// --control off and --control-listen
// ----------------------------------------------------------------------------------------------

const CONTROL_PATHS: &[(&str, &str)] = &[
    ("GET", "/_emulator/state"),
    ("GET", "/_emulator/requests"),
    ("GET", "/_emulator/config"),
    ("POST", "/_emulator/reset"),
    ("POST", "/_emulator/clock"),
    ("GET", "/_emulator/openapi.json"),
    ("GET", "/_emulator/accounts"),
    ("GET", "/_emulator/nothing"),
];

#[tokio::test(flavor = "multi_thread")]
async fn control_off_leaves_only_health() {
    let server = Server::with(ServeArgs { control: ControlMode::Off, ..args() }).await;
    for (m, path) in CONTROL_PATHS {
        let r = server.raw(m.parse().unwrap(), path, Some("{}")).await;
        assert_eq!((r.status, r.code().as_str()), (404, "InvalidAction.NotFound"), "{m} {path}: {}", r.text);
    }
    assert_eq!(server.raw(Method::GET, "/_emulator/health", None).await.status, 200);
    assert_eq!(server.raw(Method::HEAD, "/_emulator/health", None).await.status, 200);
    // The API is untouched.
    Req::get("DescribeRegions").send(&server).await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn control_listen_serves_the_control_plane_elsewhere() {
    let args = ServeArgs { control_listen: Some("127.0.0.1:0".parse().unwrap()), ..args() };
    let server = Server::with(args.clone()).await;
    for (m, path) in CONTROL_PATHS {
        let r = server.raw(m.parse().unwrap(), path, Some("{}")).await;
        assert_eq!((r.status, r.code().as_str()), (404, "InvalidAction.NotFound"), "{m} {path}: {}", r.text);
    }
    assert_eq!(server.raw(Method::GET, "/_emulator/health", None).await.status, 200);
    // The control plane on its own listener, over the same App.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = listener.local_addr().unwrap();
    tokio::spawn(aliyun_nat_emulator::serve_control(server.app.clone(), listener, std::future::pending()));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let state = client.get(format!("http://{at}/_emulator/state")).send().await.unwrap();
    assert_eq!(state.status(), 200);
    let health = client.get(format!("http://{at}/_emulator/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let rpc = client.get(format!("http://{at}/?Action=DescribeRegions")).send().await.unwrap();
    assert_eq!(rpc.status(), 404, "the control listener serves no API");
    // Control changes act on the API's state.
    Req::get("CreateVpc").region("cn-hangzhou").send(&server).await.ok();
    let r = client.post(format!("http://{at}/_emulator/reset")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v = Req::get("DescribeVpcs").region("cn-hangzhou").send(&server).await.ok();
    assert_eq!(v["TotalCount"], 1, "{v}");
}

// ----------------------------------------------------------------------------------------------
// Limits
// ----------------------------------------------------------------------------------------------

fn signed_get(server: &Server, extra_header: Option<(&str, String)>) -> Vec<u8> {
    let p = Req::get("DescribeRegions").prepare(&server.authority());
    let mut head =
        format!("GET {} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n", p.path_and_query, server.authority());
    if let Some((k, v)) = extra_header {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    head.into_bytes()
}

#[tokio::test(flavor = "multi_thread")]
async fn header_size_limits_answer_431() {
    let server = Server::with(ServeArgs { max_header_bytes: 2048, ..args() }).await;
    let wait = Duration::from_secs(10);
    // Within the limit: served.
    let (status, _, body) =
        exchange(server.addr, &signed_get(&server, Some(("x-pad", "a".repeat(1000)))), wait).await.unwrap();
    assert_eq!(status, 200, "{body}");
    // Over --max-header-bytes: ours, Alibaba-shaped.
    let (status, head, body) =
        exchange(server.addr, &signed_get(&server, Some(("x-pad", "a".repeat(3000)))), wait).await.unwrap();
    assert_eq!(status, 431, "{head}");
    alibaba(&body, "RequestHeaderFieldsTooLarge");
    // Over hyper's own limits (100 fields; a head of ~408 KiB): hyper's bare 431, then close.
    let mut many = String::from("GET / HTTP/1.1\r\nhost: a\r\n");
    for i in 0..120 {
        many.push_str(&format!("x-h{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let (status, head, _) = exchange(server.addr, many.as_bytes(), wait).await.unwrap();
    assert_eq!(status, 431, "{head}");
    let huge = format!("GET / HTTP/1.1\r\nhost: a\r\nx-pad: {}\r\n\r\n", "a".repeat(500 * 1024));
    match exchange(server.addr, huge.as_bytes(), wait).await {
        Ok((status, head, _)) => assert_eq!(status, 431, "{head}"),
        // The client may still be writing when hyper answers and closes: a reset can then beat
        // the answer to the client. The server is fine either way (checked below).
        Err(e) => assert!(e.contains("closed without an answer"), "{e}"),
    }
    // And the default limit (64 KiB) is ours too.
    let default = Server::start().await;
    let (status, _, body) =
        exchange(default.addr, &signed_get(&default, Some(("x-pad", "a".repeat(100 * 1024)))), wait).await.unwrap();
    assert_eq!(status, 431);
    alibaba(&body, "RequestHeaderFieldsTooLarge");
    Req::get("DescribeRegions").send(&server).await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_heads_and_bodies_get_408() {
    let server = Server::with(ServeArgs { request_timeout_ms: 300, ..args() }).await;
    let wait = Duration::from_secs(5);
    // A head that never ends.
    let t = Instant::now();
    let (status, head, body) = exchange(server.addr, b"POST / HTTP/1.1\r\nhost: a\r\nx-slow: ", wait).await.unwrap();
    assert_eq!(status, 408, "{head}");
    alibaba(&body, "RequestTimeout");
    assert!(head.to_ascii_lowercase().contains("connection: close"));
    assert!(t.elapsed() >= Duration::from_millis(250) && t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // A connection that sends nothing.
    let (status, _, body) = exchange(server.addr, b"", wait).await.unwrap();
    assert_eq!(status, 408);
    alibaba(&body, "RequestTimeout");
    // A head trickled byte by byte, each byte in time but not the whole.
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    for b in b"GET /?Action=DescribeRegions HTTP/1.1\r\nhost: a\r\nx-a: b\r\n".iter() {
        if s.write_all(&[*b]).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, _, body) = read_response(&mut s, wait).await.unwrap();
    assert_eq!(status, 408);
    alibaba(&body, "RequestTimeout");
    // A body that stops short of its Content-Length: 408 from the API, Alibaba-shaped.
    let p = Req::new(Style::V1PostForm, "DescribeRegions").prepare(&server.authority());
    let body_bytes = p.body.clone().unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nhost: {}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n",
        server.authority(),
        body_bytes.len()
    );
    let mut partial = req.into_bytes();
    partial.extend_from_slice(&body_bytes[..body_bytes.len() / 2]);
    let (status, _, body) = exchange(server.addr, &partial, wait).await.unwrap();
    assert_eq!(status, 408);
    let v = alibaba(&body, "RequestTimeout");
    let rid = v["RequestId"].as_str().unwrap();
    let j = get_json(&server, &format!("/_emulator/requests/{rid}")).await;
    assert_eq!(j["code"], "RequestTimeout", "journaled: {j}");
    // A keep-alive connection idle between requests is not timed out.
    let mut s = TcpStream::connect(server.addr).await.unwrap();
    for _ in 0..2 {
        let p = Req::get("DescribeRegions").prepare(&server.authority());
        let req = format!("GET {} HTTP/1.1\r\nhost: {}\r\n\r\n", p.path_and_query, server.authority());
        s.write_all(req.as_bytes()).await.unwrap();
        let (status, _, body) = read_response(&mut s, wait).await.unwrap();
        assert_eq!(status, 200, "{body}");
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    // The server is fine.
    Req::get("DescribeRegions").send(&server).await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_limit_are_throttled_then_served_again() {
    let server = Server::with(ServeArgs { max_connections: 4, ..args() }).await;
    let wait = Duration::from_secs(5);
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        // One request each, so that every connection is surely being served.
        let p = Req::get("DescribeRegions").prepare(&server.authority());
        let req = format!("GET {} HTTP/1.1\r\nhost: a\r\n\r\n", p.path_and_query);
        s.write_all(req.as_bytes()).await.unwrap();
        assert_eq!(read_response(&mut s, wait).await.unwrap().0, 200);
        held.push(s);
    }
    let (status, head, body) = exchange(server.addr, &signed_get(&server, None), wait).await.unwrap();
    assert_eq!(status, 400, "{head}");
    alibaba(&body, "Throttling");
    assert!(head.to_ascii_lowercase().contains("x-acs-retry-after: 1"), "{head}");
    // A slot frees when a client leaves.
    drop(held.pop());
    let mut served = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if exchange(server.addr, &signed_get(&server, None), wait).await.unwrap().0 == 200 {
            served = true;
            break;
        }
    }
    assert!(served, "a freed slot is used again");
}

#[tokio::test(flavor = "multi_thread")]
async fn body_parameter_and_value_limits_answer_4xx() {
    let server = Server::with(ServeArgs { max_body_bytes: 4096, max_params: 20, max_value_bytes: 64, ..args() }).await;
    let big = Req { raw_body: Some(vec![b'a'; 5000]), ..Req::new(Style::V1PostQuery, "DescribeRegions") };
    let r = big.send(&server).await;
    r.err(413, "RequestEntityTooLarge");
    assert_eq!(r.header("connection"), Some("close"), "a body left unread ends the connection");
    let mut many = Req::get("DescribeRegions");
    for i in 0..25 {
        many = many.p(&format!("P{i}"), "x");
    }
    many.send(&server).await.err(400, "InvalidParameter.TooMany");
    Req::get("DescribeRegions")
        .p("AcceptLanguage", &"x".repeat(65))
        .send(&server)
        .await
        .err(400, "InvalidParameter.TooLong");
}

#[tokio::test(flavor = "multi_thread")]
async fn journal_nonces_and_fault_report_stay_within_their_capacities() {
    let server = Server::with(ServeArgs { journal_size: 10, nonce_capacity: 32, fault_report_size: 5, ..args() }).await;
    let app: &Arc<App> = &server.app;
    let r = server
        .raw(
            Method::POST,
            "/_emulator/faults",
            Some(r#"{"match": {"action": "DescribeZones"}, "error": "Throttling"}"#),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    for i in 0..60 {
        Req::get("DescribeVpcs").region("cn-hangzhou").p("PageNumber", &(i + 1).to_string()).send(&server).await.ok();
        // Distinct requests, each an episode of its own.
        let z = Req::get("DescribeZones")
            .region("cn-hangzhou")
            .p("AcceptLanguage", if i % 2 == 0 { "zh-CN" } else { "en-US" });
        z.p("ZoneType", &format!("t{i}")).send(&server).await;
    }
    assert_eq!(app.journal.len(), 10);
    let list = get_json(&server, "/_emulator/requests?limit=1000").await;
    assert_eq!((list["stored"].as_u64(), list["capacity"].as_u64()), (Some(10), Some(10)), "{list}");
    assert!(app.nonces.len() <= 32, "{} nonces", app.nonces.len());
    let report = get_json(&server, "/_emulator/faults/report").await;
    let episodes = report["episodes"].as_array().unwrap();
    assert!(!episodes.is_empty() && episodes.len() <= 5, "{} episodes", episodes.len());
}
