//! Shared by tests/persistence.rs and tests/crash.rs: a small RPC v1 signer written independently
//! of the server's `wire` module (so that one bug cannot hide itself on both sides), signed calls
//! with their answers, and the emulator started in-process on 127.0.0.1:0 and stopped for good
//! (its data directory unlocked) so that a test can start it again.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aliyun_nat_emulator::config::ServeArgs;
use aliyun_nat_emulator::App;
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::Value;
use sha1::Sha1;
use tokio::sync::oneshot;

/// RFC 3986: unreserved bytes kept, everything else `%XX`.
pub fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `YYYY-MM-DDThh:mm:ssZ`, now (UTC).
pub fn iso_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A `GET /?…` URL signed with RPC v1 (HMAC-SHA1), as pop-core sends it.
pub fn signed_url(base: &str, key: (&str, &str), action: &str, params: &[(String, String)]) -> String {
    static NONCE: AtomicU64 = AtomicU64::new(0);
    let nonce = format!("{}-{}-{}", std::process::id(), NONCE.fetch_add(1, Ordering::Relaxed), iso_now());
    let mut p: Vec<(String, String)> = vec![
        ("Action".into(), action.into()),
        ("Version".into(), "2016-04-28".into()),
        ("Format".into(), "JSON".into()),
        ("AccessKeyId".into(), key.0.into()),
        ("SignatureMethod".into(), "HMAC-SHA1".into()),
        ("SignatureVersion".into(), "1.0".into()),
        ("SignatureNonce".into(), nonce),
        ("Timestamp".into(), iso_now()),
    ];
    p.extend(params.iter().cloned());
    p.sort();
    let canonical = p.iter().map(|(k, v)| format!("{}={}", pct(k), pct(v))).collect::<Vec<_>>().join("&");
    let sts = format!("GET&%2F&{}", pct(&canonical));
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{}&", key.1).as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    format!("{base}/?{canonical}&Signature={}", pct(&sig))
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(30)).build().unwrap()
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub text: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// A 2xx answer's JSON.
    #[track_caller]
    pub fn ok(&self) -> Value {
        assert!((200..300).contains(&self.status), "expected success, got {} {}", self.status, self.text);
        self.json()
    }

    /// An RPC error with this status and Code.
    #[track_caller]
    pub fn err(&self, status: u16, code: &str) -> Value {
        let v = self.json();
        assert_eq!((self.status, v["Code"].as_str().unwrap_or_default()), (status, code), "{}", self.text);
        v
    }
}

/// A signed call, built up then sent.
#[derive(Debug, Clone)]
pub struct Call {
    pub action: String,
    pub params: Vec<(String, String)>,
    pub key: (String, String),
}

/// A call of `action` by `testid` in cn-hangzhou.
pub fn call(action: &str) -> Call {
    Call {
        action: action.into(),
        params: vec![("RegionId".into(), "cn-hangzhou".into())],
        key: ("testid".into(), "testsecret".into()),
    }
}

impl Call {
    pub fn p(mut self, k: &str, v: &str) -> Call {
        self.params.retain(|(n, _)| n != k);
        self.params.push((k.into(), v.into()));
        self
    }

    pub fn creds(mut self, id: &str, secret: &str) -> Call {
        self.key = (id.into(), secret.into());
        self
    }

    pub fn url(&self, base: &str) -> String {
        signed_url(base, (&self.key.0, &self.key.1), &self.action, &self.params)
    }

    pub async fn send(&self, server: &Server) -> Resp {
        let r = server.client.get(self.url(&server.base())).send().await.expect("the emulator answers");
        Resp { status: r.status().as_u16(), text: r.text().await.expect("a body") }
    }
}

/// The emulator in-process; [`Server::stop`] waits until it is gone.
pub struct Server {
    pub app: Arc<App>,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    pub async fn start(args: ServeArgs) -> Server {
        let app = App::new(&args).unwrap_or_else(|e| panic!("the emulator starts: {e}"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(aliyun_nat_emulator::serve(app.clone(), listener, async {
            let _ = rx.await;
        }));
        Server { app, addr, client: client(), shutdown: Some(tx), task: Some(task) }
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// An unsigned request (the control plane).
    pub async fn raw(&self, method: Method, path: &str, body: Option<&str>) -> Resp {
        let mut rb = self.client.request(method, format!("{}{path}", self.base()));
        if let Some(b) = body {
            rb = rb.header("content-type", "application/json").body(b.to_owned());
        }
        let r = rb.send().await.expect("the emulator answers");
        Resp { status: r.status().as_u16(), text: r.text().await.expect("a body") }
    }

    /// Stops serving and waits until the `App` (and so the data directory's lock) is gone.
    pub async fn stop(mut self) {
        let Server { app, client, shutdown, task, .. } = &mut self;
        drop(std::mem::replace(client, reqwest::Client::new()));
        if let Some(tx) = shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = task.take() {
            let _ = t.await;
        }
        for _ in 0..500 {
            if Arc::strong_count(app) == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the emulator did not stop");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
