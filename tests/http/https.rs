//! HTTPS (`--tls`, `--listen-tls`): the generated CA and server certificate (names, persistence in
//! the data dir), signed calls over TLS by a client that trusts only the emulator's CA and reaches
//! `vpc.aliyuncs.com` through a resolver override, both listeners at once, plain HTTP on the HTTPS
//! port, `--tls-cert`, and the binary (healthcheck over TLS, graceful stop).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aliyun_nat_emulator::config::ServeArgs;
use aliyun_nat_emulator::App;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::harness::Resp;
use crate::signer::{Prepared, Req, Style};

/// An emulator with an HTTPS listener (and optionally a plain one), stopped on `stop()`.
struct TlsServer {
    app: Arc<App>,
    https: SocketAddr,
    http: Option<SocketAddr>,
    stops: Vec<oneshot::Sender<()>>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl TlsServer {
    /// `args.tls` is set here; `with_plain` adds a plain HTTP listener (as `--listen-tls` does).
    async fn start(mut args: ServeArgs, with_plain: bool) -> TlsServer {
        args.tls = true;
        let app = App::new(&args).expect("the emulator starts");
        let config = app.tls.as_ref().expect("TLS is set up").config.clone();
        let mut stops = vec![];
        let mut tasks = vec![];
        let tls_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let https = tls_listener.local_addr().expect("an address");
        let (tx, rx) = oneshot::channel::<()>();
        stops.push(tx);
        tasks.push(tokio::spawn(aliyun_nat_emulator::serve_tls(app.clone(), tls_listener, config, async {
            let _ = rx.await;
        })));
        let http = if with_plain {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = l.local_addr().expect("an address");
            let (tx, rx) = oneshot::channel::<()>();
            stops.push(tx);
            tasks.push(tokio::spawn(aliyun_nat_emulator::serve(app.clone(), l, async {
                let _ = rx.await;
            })));
            Some(addr)
        } else {
            None
        };
        TlsServer { app, https, http, stops, tasks }
    }

    fn ca(&self) -> String {
        self.app.tls.as_ref().and_then(|t| t.ca_pem.clone()).expect("a generated CA")
    }

    /// A client that trusts only `ca_pem` and resolves `names` to 127.0.0.1.
    fn client(&self, ca_pem: &str, names: &[&str]) -> reqwest::Client {
        let mut b = reqwest::Client::builder()
            .no_proxy()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("a PEM certificate"))
            .https_only(true);
        for n in names {
            b = b.resolve(n, SocketAddr::from(([127, 0, 0, 1], 0)));
        }
        b.build().expect("a client")
    }

    /// Sends a signed request to `https://<host>:<port>` (`host` resolved to 127.0.0.1).
    async fn send(&self, client: &reqwest::Client, host: &str, p: &Prepared) -> Resp {
        let url = format!("https://{host}:{}{}", self.https.port(), p.path_and_query);
        let mut rb = client.request(p.method.clone(), url);
        let mut sent_host = format!("{host}:{}", self.https.port());
        for (k, v) in &p.headers {
            if k.eq_ignore_ascii_case("host") {
                sent_host = v.clone();
            }
            rb = rb.header(
                HeaderName::from_bytes(k.as_bytes()).expect("a header name"),
                HeaderValue::from_bytes(v.as_bytes()).expect("a header value"),
            );
        }
        if let Some(b) = &p.body {
            rb = rb.body(b.clone());
        }
        let r = rb.send().await.expect("the emulator answers over TLS");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.expect("a body");
        Resp { status, headers, text, sent_host, signed_text: p.signed_text.clone() }
    }

    /// Stops every listener (graceful shutdown) and waits until each has returned.
    async fn stop(mut self) {
        for tx in self.stops.drain(..) {
            let _ = tx.send(());
        }
        for t in self.tasks.drain(..) {
            let done = tokio::time::timeout(Duration::from_secs(5), t).await.expect("stops within 5 s");
            done.expect("no panic").expect("served without error");
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("nat-emulator-{name}-{}-{}", std::process::id(), crate::signer::nonce()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[tokio::test(flavor = "multi_thread")]
async fn the_generated_certificate_names_the_real_hosts() {
    let mut args = ServeArgs::for_tests();
    args.tls_name = vec!["nat-emulator.test".into()];
    let server = TlsServer::start(args, false).await;
    let ca = server.ca();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    let names = ["vpc.aliyuncs.com", "vpc.cn-hangzhou.aliyuncs.com", "vpc.eu-west-1.aliyuncs.com", "localhost"];
    let client = server.client(&ca, &[&names[..], &["nat-emulator.test", "example.com", "evil.aliyuncs.com"]].concat());
    let port = server.https.port();
    for host in names.iter().chain(&["nat-emulator.test", "127.0.0.1"]) {
        let r = client.get(format!("https://{host}:{port}/_emulator/health")).send().await;
        let r = r.unwrap_or_else(|e| panic!("{host}: {e:?}"));
        assert_eq!(r.status(), 200, "{host}");
    }
    // A name the certificate does not carry is refused by a verifying client.
    for host in ["example.com", "evil.aliyuncs.com"] {
        let e = client.get(format!("https://{host}:{port}/_emulator/health")).send().await;
        assert!(e.is_err(), "{host} must not verify");
    }
    // The CA is served, the same as the one in memory.
    let r = client.get(format!("https://localhost:{port}/_emulator/tls/ca.pem")).send().await.expect("answers");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-pem-file");
    assert_eq!(r.text().await.expect("a body"), ca);
    // Another emulator's CA does not vouch for this one.
    let other = App::new(&ServeArgs { tls: true, ..ServeArgs::for_tests() }).expect("starts");
    let other_ca = other.tls.as_ref().and_then(|t| t.ca_pem.clone()).expect("a CA");
    assert_ne!(other_ca, ca);
    let stranger = server.client(&other_ca, &["vpc.aliyuncs.com"]);
    assert!(stranger.get(format!("https://vpc.aliyuncs.com:{port}/_emulator/health")).send().await.is_err());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn signed_calls_over_tls_keep_the_host_in_errors() {
    let server = TlsServer::start(ServeArgs::for_tests(), false).await;
    let client = server.client(&server.ca(), &["vpc.aliyuncs.com", "vpc.cn-shanghai.aliyuncs.com"]);
    let port = server.https.port();
    for style in [Style::V1Get, Style::V1PostForm, Style::Acs3Py, Style::Acs3Node] {
        for host in ["vpc.aliyuncs.com", "vpc.cn-shanghai.aliyuncs.com"] {
            let authority = format!("{host}:{port}");
            let ok = Req::new(style, "DescribeVpcs").region("cn-hangzhou").prepare(&authority);
            let v = server.send(&client, host, &ok).await.ok();
            assert!(v["TotalCount"].as_u64().is_some_and(|n| n >= 1), "{style:?}: {v}");
            // An error names the host the client used (REAL-SERVICE §4.1), over TLS as over HTTP.
            let bad = Req::new(style, "DescribeVpcAttribute")
                .region("cn-hangzhou")
                .p("VpcId", "vpc-bp1000000000000000000")
                .prepare(&authority);
            let r = server.send(&client, host, &bad).await;
            let e = r.err(404, "InvalidVpcId.NotFound");
            assert_eq!(e["HostId"], authority.as_str());
        }
    }
    // A wrong secret is still refused over TLS.
    let p =
        Req::get("DescribeVpcs").region("cn-hangzhou").creds("testid", "wrong").prepare(&format!("localhost:{port}"));
    let client = server.client(&server.ca(), &[]);
    server.send(&client, "localhost", &p).await.err(400, "SignatureDoesNotMatch");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn http_and_https_at_once_and_both_stop() {
    let server = TlsServer::start(ServeArgs::for_tests(), true).await;
    let http = server.http.expect("a plain listener");
    // The same emulator on both: a VPC created over HTTPS is seen over HTTP.
    let client = server.client(&server.ca(), &["vpc.aliyuncs.com"]);
    let created =
        Req::get("CreateVpc").region("cn-hangzhou").prepare(&format!("vpc.aliyuncs.com:{}", server.https.port()));
    let vpc =
        server.send(&client, "vpc.aliyuncs.com", &created).await.ok()["VpcId"].as_str().expect("VpcId").to_owned();
    let plain = reqwest::Client::builder().no_proxy().build().expect("a client");
    let p = Req::get("DescribeVpcs").region("cn-hangzhou").p("VpcId", &vpc).prepare(&http.to_string());
    let r = plain.get(format!("http://{http}{}", p.path_and_query)).send().await.expect("answers");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("a body").contains(&vpc));
    // Plain HTTP on the HTTPS port: a clear 400, not a hang or a TLS alert.
    let r = plain.get(format!("http://127.0.0.1:{}/_emulator/health", server.https.port())).send().await;
    let r = r.expect("an HTTP answer");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("a body").contains("https://"));
    // TLS on the plain port fails.
    let e = client.get(format!("https://vpc.aliyuncs.com:{}/_emulator/health", http.port())).send().await;
    assert!(e.is_err());
    // A keep-alive connection is open on each; graceful shutdown still ends both promptly.
    let idle = client.get(format!("https://vpc.aliyuncs.com:{}/_emulator/health", server.https.port())).send().await;
    assert_eq!(idle.expect("answers").status(), 200);
    server.stop().await;
    let gone = reqwest::Client::builder().no_proxy().build().expect("a client");
    assert!(gone.get(format!("http://{http}/_emulator/health")).send().await.is_err(), "stopped");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ca_persists_in_the_data_dir() {
    let dir = temp_dir("tls-persist");
    let args = ServeArgs { data_dir: Some(dir.clone()), ..ServeArgs::for_tests() };
    let first = TlsServer::start(args.clone(), false).await;
    let ca = first.ca();
    for f in ["ca.pem", "ca.key", "server.pem", "server.key"] {
        assert!(dir.join("tls").join(f).is_file(), "{f}");
    }
    assert_eq!(std::fs::read_to_string(dir.join("tls/ca.pem")).expect("ca.pem"), ca);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["ca.key", "server.key"] {
            let mode = std::fs::metadata(dir.join("tls").join(f)).expect("a key").permissions().mode();
            assert_eq!(mode & 0o077, 0, "{f} is private: {mode:o}");
        }
    }
    let server_pem = std::fs::read_to_string(dir.join("tls/server.pem")).expect("server.pem");
    first.stop().await;
    // Restart on the same directory: the same CA, the same server certificate.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = TlsServer::start(args.clone(), false).await;
    assert_eq!(second.ca(), ca, "a client trusts the CA once");
    assert_eq!(std::fs::read_to_string(dir.join("tls/server.pem")).expect("server.pem"), server_pem);
    let client = second.client(&ca, &["vpc.aliyuncs.com"]);
    let r = client.get(format!("https://vpc.aliyuncs.com:{}/_emulator/health", second.https.port())).send().await;
    assert_eq!(r.expect("the old CA verifies the restarted emulator").status(), 200);
    second.stop().await;
    // A new name within the CA's constraints: same CA, a new server certificate for it.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let third = TlsServer::start(ServeArgs { tls_name: vec!["127.0.0.9".into()], ..args }, false).await;
    assert_eq!(third.ca(), ca);
    assert_ne!(std::fs::read_to_string(dir.join("tls/server.pem")).expect("server.pem"), server_pem);
    third.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn bring_your_own_certificate() {
    let dir = temp_dir("tls-own");
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let key = rcgen::KeyPair::generate().expect("a key");
    let params = rcgen::CertificateParams::new(vec!["vpc.aliyuncs.com".to_string()]).expect("params");
    let cert = params.self_signed(&key).expect("a certificate");
    std::fs::write(dir.join("cert.pem"), cert.pem()).expect("write");
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).expect("write");
    let args = ServeArgs {
        tls_cert: Some(dir.join("cert.pem")),
        tls_key: Some(dir.join("key.pem")),
        ..ServeArgs::for_tests()
    };
    let server = TlsServer::start(args.clone(), false).await;
    assert!(server.app.tls.as_ref().expect("TLS").ca_pem.is_none());
    let client = server.client(&cert.pem(), &["vpc.aliyuncs.com"]);
    let p = Req::get("DescribeRegions").prepare(&format!("vpc.aliyuncs.com:{}", server.https.port()));
    server.send(&client, "vpc.aliyuncs.com", &p).await.ok();
    let r = client
        .get(format!("https://vpc.aliyuncs.com:{}/_emulator/tls/ca.pem", server.https.port()))
        .send()
        .await
        .expect("answers");
    assert_eq!(r.status(), 404);
    server.stop().await;
    // --tls-ca-out has no CA to write then: refused at start.
    let e = App::new(&ServeArgs { tls: true, tls_ca_out: Some(dir.join("ca.pem")), ..args }).err();
    assert!(e.is_some_and(|e| e.contains("--tls-ca-out")));
    // A missing file is a start-up error naming it.
    let e = App::new(&ServeArgs {
        tls: true,
        tls_cert: Some(dir.join("nope.pem")),
        tls_key: Some(dir.join("key.pem")),
        ..ServeArgs::for_tests()
    })
    .err();
    assert!(e.is_some_and(|e| e.contains("nope.pem")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn ca_pem_is_404_without_tls() {
    let server = crate::harness::Server::start().await;
    let r = server.raw(Method::GET, "/_emulator/tls/ca.pem", None).await;
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].as_str().is_some_and(|e| e.contains("--tls")), "{}", r.text);
}

/// The binary: `--tls` writes the CA with `--tls-ca-out`, `healthcheck` probes the TLS port,
/// `--listen-tls` serves both, and SIGTERM stops it with status 0.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_binary_serves_https_and_its_healthcheck_follows() {
    let dir = temp_dir("tls-bin");
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let free = || std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("addr").port();
    let bin = env!("CARGO_BIN_EXE_aliyun-nat-emulator");
    let run = |args: Vec<String>, env: Vec<(&'static str, String)>| {
        let mut c = std::process::Command::new(bin);
        c.args(args).env_remove("NAT_EMULATOR_URL").env("NAT_EMULATOR_LOG_LEVEL", "warn");
        for k in ["NAT_EMULATOR_TLS", "NAT_EMULATOR_LISTEN_TLS", "NAT_EMULATOR_LISTEN", "NAT_EMULATOR_DATA_DIR"] {
            c.env_remove(k);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c
    };
    let wait_for = |path: &std::path::Path| {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !path.exists() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let stop = |child: &mut std::process::Child| {
        let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "the emulator stops on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let healthy = |env: Vec<(&'static str, String)>| {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let out = run(vec!["healthcheck".into()], env.clone()).output().expect("healthcheck runs");
            if out.status.success() {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "healthcheck: {}", String::from_utf8_lossy(&out.stderr));
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    // TLS only, on --listen (given through the environment, as in a container).
    let port = free();
    let ca_out = dir.join("ca-out.pem");
    let env = vec![("NAT_EMULATOR_LISTEN", format!("127.0.0.1:{port}")), ("NAT_EMULATOR_TLS", "true".into())];
    let mut child = run(vec!["--tls-ca-out".into(), ca_out.display().to_string()], env.clone())
        .spawn()
        .expect("the emulator starts");
    wait_for(&ca_out);
    healthy(env.clone());
    let ca = std::fs::read_to_string(&ca_out).expect("--tls-ca-out wrote the CA");
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("PEM"))
        .build()
        .expect("a client");
    let r = client.get(format!("https://localhost:{port}/_emulator/tls/ca.pem")).send().await.expect("answers");
    assert_eq!(r.text().await.expect("a body"), ca);
    // The client subcommands follow the scheme too.
    let out = run(vec!["seed".into()], env.clone()).output().expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let status = tokio::task::spawn_blocking(move || stop(&mut child)).await.expect("joined");
    assert!(status.success(), "{status:?}");

    // HTTP on --listen and HTTPS on --listen-tls: the healthcheck probes the plain one.
    let (p1, p2) = (free(), free());
    let env = vec![
        ("NAT_EMULATOR_LISTEN", format!("127.0.0.1:{p1}")),
        ("NAT_EMULATOR_LISTEN_TLS", format!("127.0.0.1:{p2}")),
    ];
    let ca_out2 = dir.join("ca-out-2.pem");
    let mut child =
        run(vec!["--tls-ca-out".into(), ca_out2.display().to_string()], env.clone()).spawn().expect("starts");
    wait_for(&ca_out2);
    healthy(env.clone());
    let ca2 = std::fs::read_to_string(&ca_out2).expect("the CA");
    assert_ne!(ca2, ca, "no data dir: a CA per process");
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca2.as_bytes()).expect("PEM"))
        .build()
        .expect("a client");
    let r = client.get(format!("https://127.0.0.1:{p2}/_emulator/health")).send().await.expect("HTTPS answers");
    assert_eq!(r.status(), 200);
    let plain = reqwest::Client::builder().no_proxy().build().expect("a client");
    let r = plain.get(format!("http://127.0.0.1:{p1}/_emulator/health")).send().await.expect("HTTP answers");
    assert_eq!(r.status(), 200);
    let status = tokio::task::spawn_blocking(move || stop(&mut child)).await.expect("joined");
    assert!(status.success(), "{status:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
