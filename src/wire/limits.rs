//! Limits on connections and on how requests arrive (issue 11): how many connections are served at
//! once (`--max-connections`), how long a request may take to arrive (`--request-timeout-ms`),
//! and how large its header fields may be (`--max-header-bytes`). Each answers with an
//! Alibaba-shaped error and a 4xx; none lets a client hold the server's resources without bound.
//!
//! - [`Limited`] wraps any `axum::serve` listener (plain TCP or TLS): a connection beyond
//!   `--max-connections` is accepted, answered 400 `Throttling` and closed at once (never queued:
//!   a client pool's idle connections would otherwise make new ones wait without end). Each
//!   served connection is a [`LimitedIo`]: a request head (request line and header fields) that
//!   has started to arrive, or the first one of a new connection, must be complete within the
//!   request timeout, else the client gets 408 `RequestTimeout` and the connection is closed —
//!   hyper on its own (as `axum::serve` runs it) has no header timeout, so a client trickling a
//!   head would hold its connection forever. An idle keep-alive connection between requests is
//!   kept until the client closes it (it counts against `--max-connections`).
//! - [`guard`], a middleware on every route: header fields larger than `--max-header-bytes` → 431
//!   `RequestHeaderFieldsTooLarge`; the body must then arrive within the request timeout
//!   ([`DeadlineBody`]; `wire::handle` answers 408 `RequestTimeout` when it does not). An answer
//!   given before its request's body was read to the end (413, 408, 431, a handler that ignores
//!   bodies) closes the connection: hyper would otherwise drain the rest to reuse it, and those
//!   bytes would look like the start of a request head that never ends.
//!
//! What hyper refuses before any of this runs: a head larger than about 408 KiB or with more than
//! 100 header fields (431, empty body), a URI longer than 65,534 bytes (414, empty body),
//! malformed HTTP (400, empty body); each closes the connection.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::Listener;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use super::render::{self, Format};
use crate::app::App;
use crate::error::ApiError;

/// The host named in answers written before a request was read.
const HOST: &str = "vpc.aliyuncs.com";

/// At most this many refused connections are being answered at once; beyond, they are closed
/// without an answer (a flood must not turn refusals into a resource of its own).
const MAX_REFUSING: usize = 64;

/// How long a refused connection may take to read its answer.
const REFUSAL_LINGER: Duration = Duration::from_secs(2);

/// The network limits of a running emulator (from `ServeArgs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetLimits {
    /// Connections served at once per listener (0: no limit).
    pub max_connections: usize,
    /// How long a request head, and then its body, may take to arrive (None: no limit).
    pub request_timeout: Option<Duration>,
    /// Total bytes of header field names and values (0: no limit beyond hyper's).
    pub max_header_bytes: usize,
    /// Whether the API listener serves `/_emulator/*` (not with `--control off` or
    /// `--control-listen`; `/_emulator/health` is always served).
    pub control_on_api: bool,
}

impl NetLimits {
    pub fn new(max_connections: usize, request_timeout_ms: u64, max_header_bytes: usize) -> NetLimits {
        NetLimits {
            max_connections,
            request_timeout: (request_timeout_ms > 0).then(|| Duration::from_millis(request_timeout_ms)),
            max_header_bytes,
            control_on_api: true,
        }
    }

    pub fn from_args(args: &crate::config::ServeArgs) -> NetLimits {
        NetLimits {
            control_on_api: args.control == crate::config::ControlMode::On && args.control_listen.is_none(),
            ..NetLimits::new(args.max_connections, args.request_timeout_ms, args.max_header_bytes)
        }
    }

    pub fn timeout_ms(&self) -> u64 {
        self.request_timeout.map(|d| d.as_millis() as u64).unwrap_or(0)
    }
}

/// A whole HTTP/1.1 error answer with an Alibaba-shaped JSON body, for connections answered
/// outside hyper (refused, or timed out before a request head was complete).
pub fn raw_error(app: &App, err: &ApiError) -> Vec<u8> {
    let request_id = app.request_ids.next();
    let code = err.code();
    let body = serde_json::json!({
        "RequestId": request_id,
        "HostId": HOST,
        "Code": code,
        "Message": err.message(),
        "Recommend": render::recommend(&code, &request_id),
    })
    .to_string();
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let retry_after = if code.contains("Throttling") { "x-acs-retry-after: 1\r\n" } else { "" };
    tracing::info!(target: "request", request_id = %request_id, status = status.as_u16(), code = %code, "answered before a request was read");
    format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {}\r\nx-acs-request-id: {request_id}\r\n{retry_after}connection: close\r\n\
         content-length: {}\r\n\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        render::JSON_CT,
        body.len()
    )
    .into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Connections

/// A listener serving at most `max_connections` connections at once.
pub struct Limited<L> {
    inner: L,
    app: Arc<App>,
    slots: Option<Arc<Semaphore>>,
    refusing: Arc<Semaphore>,
}

impl<L: Listener> Limited<L> {
    pub fn new(inner: L, app: Arc<App>) -> Limited<L> {
        let max = app.net.max_connections;
        Limited {
            inner,
            app,
            slots: (max > 0).then(|| Arc::new(Semaphore::new(max))),
            refusing: Arc::new(Semaphore::new(MAX_REFUSING)),
        }
    }

    fn refuse(&self, mut io: L::Io) {
        let Ok(permit) = self.refusing.clone().try_acquire_owned() else {
            return; // dropped: closed without an answer
        };
        let answer = raw_error(&self.app, &ApiError::TooManyConnections { limit: self.app.net.max_connections });
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tokio::time::timeout(REFUSAL_LINGER, async {
                io.write_all(&answer).await?;
                io.flush().await?;
                io.shutdown().await?;
                // Read what the client sent until it closes, so that closing does not reset the
                // connection before the client has read the answer.
                let mut sink = [0u8; 4096];
                while tokio::io::AsyncReadExt::read(&mut io, &mut sink).await? > 0 {}
                Ok::<_, io::Error>(())
            })
            .await;
        });
    }
}

impl<L: Listener> Listener for Limited<L> {
    type Io = LimitedIo<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (io, addr) = self.inner.accept().await;
            let permit = match &self.slots {
                None => None,
                Some(s) => match s.clone().try_acquire_owned() {
                    Ok(p) => Some(p),
                    Err(_) => {
                        self.refuse(io);
                        continue;
                    }
                },
            };
            return (LimitedIo::new(io, permit, self.app.clone()), addr);
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A served connection: holds its slot, and times out a request head that does not arrive.
pub struct LimitedIo<I> {
    io: I,
    _permit: Option<OwnedSemaphorePermit>,
    app: Arc<App>,
    timeout: Option<Duration>,
    /// Waiting for a request head (true from accept, and again once a response starts).
    awaiting_head: bool,
    /// When the awaited head must be complete (armed at accept and at a head's first byte).
    deadline: Option<Instant>,
    /// Line feeds in a row at the end of what was read (a head ends with an empty line).
    newlines: u8,
    sleep: Option<Pin<Box<Sleep>>>,
    /// The 408 being written when the head timed out.
    timed_out: Option<(Vec<u8>, usize)>,
}

impl<I> LimitedIo<I> {
    fn new(io: I, permit: Option<OwnedSemaphorePermit>, app: Arc<App>) -> LimitedIo<I> {
        let timeout = app.net.request_timeout;
        LimitedIo {
            io,
            _permit: permit,
            app,
            timeout,
            awaiting_head: true,
            // The first request: from the accept, so that a connection that sends nothing does
            // not hold its slot either.
            deadline: timeout.map(|t| Instant::now() + t),
            newlines: 0,
            sleep: None,
            timed_out: None,
        }
    }

    /// Notes bytes read: a head's first byte arms the deadline, its empty line disarms it.
    fn saw(&mut self, bytes: &[u8]) {
        if !self.awaiting_head || bytes.is_empty() {
            return;
        }
        if self.deadline.is_none() {
            self.deadline = self.timeout.map(|t| Instant::now() + t);
        }
        for &b in bytes {
            match b {
                b'\n' => {
                    self.newlines += 1;
                    // `\r\n\r\n` or `\n\n` after a request line (a bare leading empty line is
                    // allowed by HTTP and counts as a head here: harmless).
                    if self.newlines >= 2 {
                        self.awaiting_head = false;
                        self.deadline = None;
                        self.sleep = None;
                        return;
                    }
                }
                b'\r' => {}
                _ => self.newlines = 0,
            }
        }
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> LimitedIo<I> {
    /// A response (not `100 Continue`) starts: the next bytes read are the next request's head.
    /// Only its first byte arms the deadline: an idle keep-alive connection is not timed.
    fn note_write(&mut self, buf: &[u8]) {
        if buf.starts_with(b"HTTP/1.") && buf.get(9).is_some_and(|&c| c != b'1') {
            self.awaiting_head = true;
            self.deadline = None;
            self.newlines = 0;
        }
    }

    /// Writes the 408 (best effort), then fails the read so that hyper closes the connection.
    fn poll_time_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.timed_out.is_none() {
            let limit_ms = self.timeout.map(|t| t.as_millis() as u64).unwrap_or(0);
            self.timed_out = Some((raw_error(&self.app, &ApiError::RequestTimeout { limit_ms }), 0));
        }
        if let Some((answer, written)) = &mut self.timed_out {
            while *written < answer.len() {
                match Pin::new(&mut self.io).poll_write(cx, &answer[*written..]) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => break,
                    Poll::Ready(Ok(n)) => *written += n,
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
        Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "the request head did not arrive in time")))
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> AsyncRead for LimitedIo<I> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.timed_out.is_some() {
            return this.poll_time_out(cx);
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let filled = buf.filled();
                let new = &filled[before..];
                if this.awaiting_head {
                    this.saw(new);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                let Some(deadline) = this.deadline.filter(|_| this.awaiting_head) else {
                    return Poll::Pending;
                };
                let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                if sleep.deadline() != deadline {
                    sleep.as_mut().reset(deadline);
                }
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => this.poll_time_out(cx),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<I: AsyncRead + AsyncWrite + Unpin> AsyncWrite for LimitedIo<I> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.note_write(buf);
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    /// Vectored writes let hyper send the head and a large body without copying the body into its
    /// buffer first (a page of 50 gateways is ~65 KB).
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(first) = bufs.iter().find(|b| !b.is_empty()) {
            this.note_write(first);
        }
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

// ---------------------------------------------------------------------------------------------
// Requests

/// Marks an answer given before the request body was read in full: hyper then closes the
/// connection instead of draining the rest of the body to reuse it (whose bytes would otherwise
/// look like a new request head that never ends).
pub fn close_after(response: &mut Response) {
    response.headers_mut().insert(axum::http::header::CONNECTION, axum::http::HeaderValue::from_static("close"));
}

/// Bytes of header field names and values, plus `: ` and CRLF per field.
pub fn header_bytes(headers: &HeaderMap) -> usize {
    headers.iter().map(|(k, v)| k.as_str().len() + v.as_bytes().len() + 4).sum()
}

/// The middleware in front of every route: header size, then a deadline on the body.
pub async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let limits = app.net;
    if limits.max_header_bytes > 0 && header_bytes(req.headers()) > limits.max_header_bytes {
        let request_id = app.request_ids.next();
        let host = req.headers().get("host").and_then(|v| v.to_str().ok()).filter(|h| !h.is_empty()).unwrap_or(HOST);
        let err = ApiError::HeadersTooLarge { limit: limits.max_header_bytes };
        tracing::info!(target: "request", request_id = %request_id, status = err.status(), code = %err.code(), "refused before routing");
        let mut response = render::error(Format::Json, &request_id, host, &err).into_response();
        close_after(&mut response);
        return response;
    }
    let (parts, body) = req.into_parts();
    let had_body = !body.is_end_stream();
    let ended = Arc::new(AtomicBool::new(false));
    let sleep = limits.request_timeout.map(|t| Box::pin(tokio::time::sleep(t)));
    let body = Body::new(DeadlineBody { inner: body, sleep, ended: ended.clone() });
    let mut response = next.run(Request::from_parts(parts, body)).await;
    // Answered before its body was read in full (too large, too slow, or not wanted).
    if had_body && !ended.load(Ordering::Relaxed) {
        close_after(&mut response);
    }
    response
}

/// A body that fails with [`BodyTimedOut`] once its deadline (if any) has passed, and notes
/// whether it was read to its end.
pub struct DeadlineBody {
    inner: Body,
    sleep: Option<Pin<Box<Sleep>>>,
    ended: Arc<AtomicBool>,
}

/// The error of a body that did not arrive in time.
#[derive(Debug)]
pub struct BodyTimedOut;

impl std::fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Pending => match this.sleep.as_mut().map(|s| s.as_mut().poll(cx)) {
                Some(Poll::Ready(())) => Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut)))),
                _ => Poll::Pending,
            },
            Poll::Ready(None) => {
                this.ended.store(true, Ordering::Relaxed);
                Poll::Ready(None)
            }
            ready => {
                if this.inner.is_end_stream() {
                    this.ended.store(true, Ordering::Relaxed);
                }
                ready
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// Whether a body error is [`BodyTimedOut`] (through axum's wrapping).
pub fn is_timeout(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.is::<BodyTimedOut>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_from_flags() {
        let l = NetLimits::new(10, 0, 100);
        assert_eq!(l.request_timeout, None);
        assert_eq!(NetLimits::new(0, 1500, 0).timeout_ms(), 1500);
    }

    /// A body whose data never comes.
    struct Never;

    impl HttpBody for Never {
        type Data = Bytes;
        type Error = axum::Error;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn a_slow_body_times_out() {
        let ended = Arc::new(AtomicBool::new(false));
        let slow = DeadlineBody {
            inner: Body::new(Never),
            sleep: Some(Box::pin(tokio::time::sleep(Duration::from_millis(20)))),
            ended: ended.clone(),
        };
        let err = axum::body::to_bytes(Body::new(slow), 1 << 20).await.expect_err("times out");
        assert!(is_timeout(&err), "{err:?}");
        assert!(!ended.load(Ordering::Relaxed));
        let quick = DeadlineBody { inner: Body::from("a=b"), sleep: None, ended: ended.clone() };
        assert_eq!(axum::body::to_bytes(Body::new(quick), 1 << 20).await.expect("in time"), "a=b");
        assert!(ended.load(Ordering::Relaxed), "read to its end");
    }

    #[test]
    fn header_bytes_count_names_and_values() {
        let mut h = HeaderMap::new();
        h.insert("host", "a".parse().expect("a value"));
        assert_eq!(header_bytes(&h), 4 + 1 + 4);
    }
}
