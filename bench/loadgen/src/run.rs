//! Workloads and the runner: N workers (one connection each) for a fixed duration or a fixed number
//! of requests, every request signed afresh; requests/s, latency percentiles, errors by code.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::http::{error_code, Conn};
use crate::sign::{Scheme, Signer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Workload {
    /// DescribeNatGateways with one NatGatewayId (rotating over the prefilled ids).
    ById,
    /// DescribeNatGateways, PageSize=50, in a region with exactly 50 gateways.
    Page50,
    /// CreateNatGateway into one VPC and vSwitch (the world grows while it runs).
    CreateGw,
    /// CreateForwardEntry then DeleteForwardEntry of it (2 requests an iteration), emulator only.
    DnatCd,
    /// DescribeForwardTableEntries, PageSize=50, of a 50-entry table, emulator only.
    DnatPage50,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::ById => "describe-by-id",
            Workload::Page50 => "page-of-50 gateways",
            Workload::CreateGw => "create gateway",
            Workload::DnatCd => "create+delete DNAT",
            Workload::DnatPage50 => "page-of-50 DNAT",
        }
    }

    /// Whether the ceiling server can run it (it has DescribeNatGateways and CreateNatGateway).
    pub fn on_ceiling(self) -> bool {
        matches!(self, Workload::ById | Workload::Page50 | Workload::CreateGw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Emulator,
    Ceiling,
}

/// The ids a workload needs (from the prefill, or given on the command line).
#[derive(Debug, Clone, Default, Serialize)]
pub struct World {
    pub region: String,
    pub gateway_ids: Vec<String>,
    pub vpc_id: String,
    /// The vSwitches the create workload rotates over (a /16 holds 65,532 gateways; a fast
    /// server fills one within a cell).
    pub vswitch_ids: Vec<String>,
    pub table_id: String,
    pub external_ip: String,
}

impl World {
    /// The ceiling's pre-loaded ids (`ngw-{n:020x}`, n < SEED) and placeholders it does not check.
    pub fn ceiling(seed: usize) -> World {
        World {
            region: "cn-hangzhou".into(),
            gateway_ids: (0..seed.min(1000)).map(|n| format!("ngw-{n:020x}")).collect(),
            vpc_id: "vpc-bench".into(),
            vswitch_ids: vec!["vsw-bench".into()],
            table_id: String::new(),
            external_ip: String::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub workload: Workload,
    pub scheme: Scheme,
    pub concurrency: usize,
    pub duration: Option<Duration>,
    pub requests: Option<u64>,
    pub warmup: Duration,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Requests completed in the measured window.
    pub requests: u64,
    pub ok: u64,
    /// Non-2xx answers by "STATUS Code", transport errors by "io".
    pub errors: BTreeMap<String, u64>,
    pub seconds: f64,
    pub rps: f64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl Stats {
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn errors_text(&self) -> String {
        if self.errors.is_empty() {
            return "0".into();
        }
        self.errors.iter().map(|(k, v)| format!("{v}× {k}")).collect::<Vec<_>>().join(", ")
    }
}

struct Sample {
    started: Instant,
    us: u64,
    ok: bool,
    err: Option<String>,
}

/// The parameters of one request of a workload (besides the signature's).
fn params(w: Workload, world: &World, worker: usize, iter: u64) -> (&'static str, Vec<(String, String)>) {
    let s = |x: &str| x.to_owned();
    let region = ("RegionId".to_owned(), world.region.clone());
    match w {
        Workload::ById => {
            let id = &world.gateway_ids[(worker + iter as usize) % world.gateway_ids.len().max(1)];
            ("DescribeNatGateways", vec![region, (s("NatGatewayId"), id.clone())])
        }
        Workload::Page50 => ("DescribeNatGateways", vec![region, (s("PageSize"), s("50"))]),
        Workload::CreateGw => (
            "CreateNatGateway",
            vec![
                region,
                (s("VpcId"), world.vpc_id.clone()),
                (
                    s("VSwitchId"),
                    world
                        .vswitch_ids
                        .get((worker + iter as usize) % world.vswitch_ids.len().max(1))
                        .cloned()
                        .unwrap_or_default(),
                ),
                (s("NatType"), s("Enhanced")),
            ],
        ),
        Workload::DnatPage50 => (
            "DescribeForwardTableEntries",
            vec![region, (s("ForwardTableId"), world.table_id.clone()), (s("PageSize"), s("50"))],
        ),
        Workload::DnatCd => unreachable!("two steps"),
    }
}

/// The DNAT tuple of a create+delete worker: its own external port and internal address.
fn dnat_params(world: &World, worker: usize) -> Vec<(String, String)> {
    let port = (20_000 + worker).to_string();
    let s = |x: &str| x.to_owned();
    vec![
        (s("RegionId"), world.region.clone()),
        (s("ForwardTableId"), world.table_id.clone()),
        (s("ExternalIp"), world.external_ip.clone()),
        (s("ExternalPort"), port.clone()),
        (s("InternalIp"), format!("10.2.{}.{}", worker / 250, worker % 250 + 1)),
        (s("InternalPort"), port),
        (s("IpProtocol"), s("tcp")),
    ]
}

async fn one(
    conn: &mut Option<Conn>,
    addr: SocketAddr,
    signed: &crate::sign::Signed,
) -> (bool, Option<String>, bytes::Bytes) {
    if conn.as_ref().is_none_or(|c| c.is_closed()) {
        match Conn::connect(addr).await {
            Ok(c) => *conn = Some(c),
            Err(_) => return (false, Some("io connect".into()), bytes::Bytes::new()),
        }
    }
    let c = conn.as_mut().expect("connected");
    match c.send_signed(signed).await {
        Ok((status, body)) if (200..300).contains(&status) => (true, None, body),
        Ok((status, body)) => (false, Some(format!("{status} {}", error_code(&body))), body),
        Err(_) => {
            *conn = None;
            (false, Some("io".into()), bytes::Bytes::new())
        }
    }
}

async fn worker(
    id: usize,
    addr: SocketAddr,
    signer: Arc<Signer>,
    world: Arc<World>,
    spec: Arc<Spec>,
    deadline: Option<Instant>,
    budget: Arc<AtomicU64>,
) -> Vec<Sample> {
    let mut conn = Conn::connect(addr).await.ok();
    let host = addr.to_string();
    let mut samples = Vec::with_capacity(4096);
    let mut iter = 0u64;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        if let Some(n) = spec.requests {
            if budget.fetch_add(1, Ordering::Relaxed) >= n {
                break;
            }
        }
        if spec.workload == Workload::DnatCd {
            let p = dnat_params(&world, id);
            let signed = signer.sign(spec.scheme, "CreateForwardEntry", &p, &host);
            let t0 = Instant::now();
            let (ok, err, body) = one(&mut conn, addr, &signed).await;
            samples.push(Sample { started: t0, us: t0.elapsed().as_micros() as u64, ok, err });
            let entry = ok
                .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
                .flatten()
                .and_then(|v| v.get("ForwardEntryId").and_then(|x| x.as_str()).map(str::to_owned));
            if let Some(entry) = entry {
                let p = vec![
                    ("RegionId".to_owned(), world.region.clone()),
                    ("ForwardTableId".to_owned(), world.table_id.clone()),
                    ("ForwardEntryId".to_owned(), entry),
                ];
                let signed = signer.sign(spec.scheme, "DeleteForwardEntry", &p, &host);
                let t0 = Instant::now();
                let (ok, err, _) = one(&mut conn, addr, &signed).await;
                samples.push(Sample { started: t0, us: t0.elapsed().as_micros() as u64, ok, err });
            }
        } else {
            let (action, p) = params(spec.workload, &world, id, iter);
            let signed = signer.sign(spec.scheme, action, &p, &host);
            let t0 = Instant::now();
            let (ok, err, _) = one(&mut conn, addr, &signed).await;
            samples.push(Sample { started: t0, us: t0.elapsed().as_micros() as u64, ok, err });
        }
        iter += 1;
    }
    samples
}

/// Runs a workload against `addr`. With a duration, the first `warmup` is not counted; with a
/// request count, every request counts.
pub async fn run(addr: SocketAddr, signer: &Signer, world: &World, spec: &Spec) -> Stats {
    let start = Instant::now();
    let (deadline, measure_from) = match (spec.requests, spec.duration) {
        (Some(_), _) => (None, start),
        (None, d) => {
            let d = d.unwrap_or(Duration::from_secs(3));
            (Some(start + spec.warmup + d), start + spec.warmup)
        }
    };
    let signer = Arc::new(signer.clone());
    let world = Arc::new(world.clone());
    let spec_a = Arc::new(spec.clone());
    let budget = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..spec.concurrency)
        .map(|i| tokio::spawn(worker(i, addr, signer.clone(), world.clone(), spec_a.clone(), deadline, budget.clone())))
        .collect();
    let mut all = Vec::new();
    for h in handles {
        if let Ok(s) = h.await {
            all.extend(s);
        }
    }
    let end = Instant::now();
    let measured_end = deadline.map(|d| d.min(end)).unwrap_or(end);
    let window: Vec<&Sample> = all
        .iter()
        .filter(|s| s.started >= measure_from && s.started + Duration::from_micros(s.us) <= measured_end)
        .collect();
    summarize(&window, measured_end.saturating_duration_since(measure_from))
}

fn summarize(samples: &[&Sample], window: Duration) -> Stats {
    let mut st = Stats::default();
    let mut lat: Vec<u64> = samples.iter().map(|s| s.us).collect();
    lat.sort_unstable();
    st.requests = samples.len() as u64;
    st.ok = samples.iter().filter(|s| s.ok).count() as u64;
    for s in samples {
        if let Some(e) = &s.err {
            *st.errors.entry(e.clone()).or_default() += 1;
        }
    }
    st.seconds = window.as_secs_f64();
    st.rps = if st.seconds > 0.0 { st.requests as f64 / st.seconds } else { 0.0 };
    if !lat.is_empty() {
        let pct = |p: f64| lat[((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1];
        st.p50_us = pct(0.50);
        st.p90_us = pct(0.90);
        st.p99_us = pct(0.99);
        st.max_us = *lat.last().unwrap_or(&0);
        st.mean_us = lat.iter().sum::<u64>() as f64 / lat.len() as f64;
    }
    st
}
