//! A minimal HTTP/1.1 client: one kept-alive connection per worker (like wrk), hyper underneath.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::sign::Signed;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

pub struct Conn {
    sender: SendRequest<Full<Bytes>>,
    host: String,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Result<Conn, Error> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { sender, host: addr.to_string() })
    }

    /// Connects, retrying for up to `within` (a server that is still starting).
    pub async fn connect_retry(addr: SocketAddr, within: Duration) -> Result<Conn, Error> {
        let deadline = std::time::Instant::now() + within;
        loop {
            match Conn::connect(addr).await {
                Ok(c) => return Ok(c),
                Err(e) if std::time::Instant::now() >= deadline => return Err(e),
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// Sends one request; returns the status and the whole body.
    pub async fn send(
        &mut self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, String)],
        content_type: Option<&str>,
        body: Bytes,
    ) -> Result<(u16, Bytes), Error> {
        self.sender.ready().await?;
        let mut b = hyper::Request::builder().method(method).uri(path_and_query).header("host", &self.host);
        for (k, v) in headers {
            b = b.header(*k, v);
        }
        if let Some(ct) = content_type {
            b = b.header("content-type", ct);
        }
        let req = b.body(Full::new(body))?;
        let resp = self.sender.send_request(req).await?;
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }

    pub async fn send_signed(&mut self, s: &Signed) -> Result<(u16, Bytes), Error> {
        self.send(s.method, &s.path_and_query, &s.headers, None, Bytes::new()).await
    }

    /// An unsigned control-plane call (`/_emulator/...`) with an optional JSON body.
    pub async fn control(&mut self, method: &str, path: &str, json: Option<&str>) -> Result<(u16, Bytes), Error> {
        let body = json.map(|j| Bytes::copy_from_slice(j.as_bytes())).unwrap_or_default();
        let ct = json.map(|_| "application/json");
        self.send(method, path, &[], ct, body).await
    }
}

/// `Code` of an error body (JSON), for error tallies.
pub fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("Code").and_then(|c| c.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "-".into())
}
