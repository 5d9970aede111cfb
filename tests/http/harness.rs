//! The emulator, started in-process on 127.0.0.1:0, and the assertions every test shares.

use std::net::SocketAddr;
use std::sync::Arc;

use aliyun_nat_emulator::config::ServeArgs;
use aliyun_nat_emulator::App;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;
use tokio::sync::oneshot;

use crate::signer::Prepared;

pub const JSON_CT: &str = "application/json;charset=utf-8";
pub const XML_CT: &str = "text/xml;charset=utf-8";

/// A running emulator; stopped (graceful shutdown) when dropped.
pub struct Server {
    pub app: Arc<App>,
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Server {
    /// `ServeArgs::for_tests()`: strict auth, no lifecycle delays.
    pub async fn start() -> Server {
        Server::with(ServeArgs::for_tests()).await
    }

    pub async fn with(args: ServeArgs) -> Server {
        let app = App::new(&args).expect("the default world loads");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind an ephemeral port");
        let addr = listener.local_addr().expect("a local address");
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(aliyun_nat_emulator::serve(app.clone(), listener, async {
            let _ = rx.await;
        }));
        let client = reqwest::Client::builder().no_proxy().build().expect("a reqwest client");
        Server { app, addr, client, shutdown: Some(tx) }
    }

    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    pub fn url(&self, path_and_query: &str) -> String {
        format!("http://{}{path_and_query}", self.addr)
    }

    pub async fn send(&self, p: &Prepared) -> Resp {
        let mut rb = self.client.request(p.method.clone(), self.url(&p.path_and_query));
        let mut host = self.authority();
        for (k, v) in &p.headers {
            if k.eq_ignore_ascii_case("host") {
                host = v.clone();
            }
            rb = rb.header(
                HeaderName::from_bytes(k.as_bytes()).expect("a valid header name"),
                HeaderValue::from_bytes(v.as_bytes()).expect("a valid header value"),
            );
        }
        if let Some(body) = &p.body {
            rb = rb.body(body.clone());
        }
        let r = rb.send().await.expect("the emulator answers");
        Resp::read(r, host, p.signed_text.clone()).await
    }

    /// An unsigned request to the control plane or a raw path.
    pub async fn raw(&self, method: reqwest::Method, path: &str, body: Option<&str>) -> Resp {
        let mut rb = self.client.request(method, self.url(path));
        if let Some(b) = body {
            rb = rb.header("content-type", "application/json").body(b.to_owned());
        }
        let r = rb.send().await.expect("the emulator answers");
        Resp::read(r, self.authority(), String::new()).await
    }
}

/// Writes raw bytes on a new connection and reads one HTTP/1.1 response with a Content-Length:
/// (status, headers, body). A failed write is tolerated: the server may answer and close before
/// reading everything, and its answer is still readable.
pub async fn raw_exchange(server: &Server, request: &[u8]) -> (u16, Vec<(String, String)>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(server.addr).await.expect("connect to the emulator");
    let _ = s.write_all(request).await;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = out.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&out[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let status: u16 =
                lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|c| c.parse().ok()).expect("a status line");
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse().ok())
                .expect("a Content-Length");
            if out.len() >= end + 4 + len {
                let body = String::from_utf8_lossy(&out[end + 4..end + 4 + len]).into_owned();
                return (status, headers, body);
            }
        }
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => panic!("connection closed before a whole response: {}", String::from_utf8_lossy(&out)),
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    /// The Host header the request carried.
    pub sent_host: String,
    /// The signer's string-to-sign (v1) or canonical request (ACS3).
    pub signed_text: String,
}

impl Resp {
    async fn read(r: reqwest::Response, sent_host: String, signed_text: String) -> Resp {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("a readable body");
        Resp { status, headers, text, sent_host, signed_text }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The `Code` of a JSON error body (`""` when absent).
    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or_default().to_owned()
    }

    pub fn message(&self) -> String {
        self.json()["Message"].as_str().unwrap_or_default().to_owned()
    }

    /// A 200 JSON success: the exact content type, `RequestId` = `x-acs-request-id`, no `Code`.
    #[track_caller]
    pub fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "expected success, got {}", self.text);
        assert_eq!(self.header("content-type"), Some(JSON_CT));
        let v = self.json();
        let rid = v["RequestId"].as_str().expect("RequestId");
        assert_request_id(rid);
        assert_eq!(self.header("x-acs-request-id"), Some(rid));
        assert!(v.get("Code").is_none(), "no top-level Code in a success");
        v
    }

    /// A JSON error with this status and code, in the documented shape.
    #[track_caller]
    pub fn err(&self, status: u16, code: &str) -> Value {
        assert_eq!((self.status, self.code().as_str()), (status, code), "body: {}", self.text);
        assert_eq!(self.header("content-type"), Some(JSON_CT));
        let v = self.json();
        let obj = v.as_object().expect("an object");
        let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["Code", "HostId", "Message", "Recommend", "RequestId"], "{}", self.text);
        let rid = v["RequestId"].as_str().expect("RequestId");
        assert_request_id(rid);
        assert_eq!(self.header("x-acs-request-id"), Some(rid));
        assert_eq!(v["HostId"], self.sent_host.as_str());
        assert!(!self.message().is_empty());
        let rec = v["Recommend"].as_str().expect("Recommend");
        assert!(rec.starts_with("https://") && rec.contains(code) && rec.contains(rid), "{rec}");
        v
    }

    /// The text of the first `<tag>…</tag>` of an XML body (CDATA unwrapped).
    pub fn xml_field(&self, tag: &str) -> Option<String> {
        xml_field(&self.text, tag)
    }

    /// An XML error with this status and code: root `<Error>`, the five children.
    #[track_caller]
    pub fn xml_err(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.header("content-type"), Some(XML_CT));
        assert_eq!(xml_root(&self.text), "Error", "{}", self.text);
        assert!(self.text.trim_end().ends_with("</Error>"), "{}", self.text);
        assert_eq!(self.xml_field("Code").as_deref(), Some(code));
        let rid = self.xml_field("RequestId").expect("RequestId");
        assert_request_id(&rid);
        assert_eq!(self.header("x-acs-request-id"), Some(rid.as_str()));
        assert_eq!(self.xml_field("HostId"), Some(self.sent_host.clone()));
        assert!(!self.xml_field("Message").unwrap_or_default().is_empty());
        assert!(self.xml_field("Recommend").unwrap_or_default().contains(code));
    }
}

/// The name of the root element (after an optional `<?xml …?>` declaration).
pub fn xml_root(text: &str) -> String {
    let t = text.trim_start();
    let t = match t.strip_prefix("<?xml") {
        Some(rest) => &rest[rest.find("?>").expect("a closed declaration") + 2..],
        None => t,
    };
    let t = t.trim_start().strip_prefix('<').expect("an element");
    t[..t.find(['>', ' ', '/']).expect("a tag end")].to_owned()
}

pub fn xml_field(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find(&close)?;
    let inner = &text[start..end];
    Some(match inner.strip_prefix("<![CDATA[") {
        Some(cdata) => cdata.strip_suffix("]]>").unwrap_or(cdata).to_owned(),
        None => xml_unescape(inner),
    })
}

/// The five predefined XML entities.
fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// An upper-case UUID: 8-4-4-4-12 hex digits, no lower-case letters.
#[track_caller]
pub fn assert_request_id(rid: &str) {
    let groups: Vec<&str> = rid.split('-').collect();
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    assert_eq!(lens, [8, 4, 4, 4, 12], "{rid}");
    assert!(rid.chars().all(|c| c == '-' || c.is_ascii_digit() || ('A'..='F').contains(&c)), "{rid}");
}

/// A response body without its RequestId (to compare two reads of the same state).
pub fn without_request_id(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("RequestId");
    }
    v
}
