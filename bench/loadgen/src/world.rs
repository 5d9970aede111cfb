//! Building worlds in the emulator through its API (signed RPC v1 calls) and its control plane
//! (`POST /_emulator/config` raises the quotas): the small world every throughput cell runs on,
//! and the large ones of the growth, memory and reset measurements.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::{error_code, Conn};
use crate::run::World;
use crate::sign::{Scheme, Signer};

pub const REGION: &str = "cn-hangzhou";
pub const ZONE: &str = "cn-hangzhou-h";

/// A signed-call client for building worlds.
pub struct Api {
    conn: Conn,
    signer: Signer,
    pub region: String,
}

impl Api {
    pub async fn connect(addr: SocketAddr) -> Result<Api, String> {
        Api::connect_region(addr, REGION).await
    }

    pub async fn connect_region(addr: SocketAddr, region: &str) -> Result<Api, String> {
        let conn = Conn::connect_retry(addr, Duration::from_secs(5)).await.map_err(|e| e.to_string())?;
        Ok(Api { conn, signer: Signer::new("testid", "testsecret"), region: region.to_owned() })
    }

    pub async fn call(&mut self, action: &str, p: &[(&str, String)]) -> Result<Value, String> {
        let mut params: Vec<(String, String)> = vec![("RegionId".into(), self.region.clone())];
        params.extend(p.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let signed = self.signer.sign(Scheme::V1, action, &params, self.conn.host());
        let (status, body) = self.conn.send_signed(&signed).await.map_err(|e| format!("{action}: {e}"))?;
        if status != 200 {
            return Err(format!(
                "{action}: {status} {} {}",
                error_code(&body),
                String::from_utf8_lossy(&body).chars().take(300).collect::<String>()
            ));
        }
        serde_json::from_slice(&body).map_err(|e| format!("{action}: {e}"))
    }

    pub async fn control(&mut self, method: &str, path: &str, json: Option<&str>) -> Result<(u16, Value), String> {
        let (status, body) = self.conn.control(method, path, json).await.map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
    }
}

fn str_at(v: &Value, path: &[&str]) -> Result<String, String> {
    let mut x = v;
    for p in path {
        x = match x {
            Value::Array(a) => p.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => x.get(*p),
        }
        .ok_or_else(|| format!("no {path:?} in {v}"))?;
    }
    x.as_str().map(str::to_owned).ok_or_else(|| format!("{path:?} is not a string in {v}"))
}

/// Raises the quotas the benchmark worlds exceed (5 gateways per VPC, 100 DNAT entries per
/// table, 20 EIPs per region, 150 vSwitches per VPC) through `POST /_emulator/config`.
pub async fn raise_quotas(api: &mut Api) -> Result<(), String> {
    let body = r#"{"quotas":{"nat_gateways_per_vpc":1000000,"forward_entries_per_table":1000000,
        "eips_per_region":1000,"vswitches_per_vpc":100000,"vpcs_per_region":1000}}"#;
    match api.control("POST", "/_emulator/config", Some(body)).await? {
        (200, _) => Ok(()),
        (s, v) => Err(format!("POST /_emulator/config answered {s} {v}: the quotas cannot be raised")),
    }
}

/// The VPC (10.0.0.0/8) the benchmark worlds live in.
pub async fn create_vpc(api: &mut Api) -> Result<String, String> {
    let v = api.call("CreateVpc", &[("CidrBlock", "10.0.0.0/8".into()), ("VpcName", "bench".into())]).await?;
    str_at(&v, &["VpcId"])
}

pub async fn create_vswitch(api: &mut Api, vpc: &str, zone: &str, cidr: &str) -> Result<String, String> {
    let v = api
        .call("CreateVSwitch", &[("VpcId", vpc.into()), ("ZoneId", zone.into()), ("CidrBlock", cidr.into())])
        .await?;
    str_at(&v, &["VSwitchId"])
}

pub async fn create_gateway(api: &mut Api, vpc: &str, vsw: &str) -> Result<(String, String), String> {
    let v = api
        .call("CreateNatGateway", &[("VpcId", vpc.into()), ("VSwitchId", vsw.into()), ("NatType", "Enhanced".into())])
        .await?;
    Ok((str_at(&v, &["NatGatewayId"])?, str_at(&v, &["ForwardTableIds", "ForwardTableId", "0"])?))
}

/// An EIP associated with the gateway; its address.
pub async fn eip_for(api: &mut Api, gateway: &str) -> Result<String, String> {
    let v = api.call("AllocateEipAddress", &[]).await?;
    let (id, ip) = (str_at(&v, &["AllocationId"])?, str_at(&v, &["EipAddress"])?);
    api.call(
        "AssociateEipAddress",
        &[("AllocationId", id), ("InstanceId", gateway.into()), ("InstanceType", "Nat".into())],
    )
    .await?;
    Ok(ip)
}

/// DNAT entry `n` of a table: external port n (1..=65535, tcp), internal address derived from n
/// (inside 10.0.0.0/8, the VPCs' block).
pub fn entry_params(table: &str, ip: &str, n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("ForwardTableId", table.into()),
        ("ExternalIp", ip.into()),
        ("ExternalPort", n.to_string()),
        ("InternalIp", format!("10.1.{}.{}", n / 250, n % 250 + 1)),
        ("InternalPort", n.to_string()),
        ("IpProtocol", "tcp".into()),
    ]
}

/// The throughput cells' world: quotas raised, one VPC 10.0.0.0/8 with a /16 vSwitch, 50
/// gateways in it, an EIP on the first and 50 DNAT entries in its table; 32 more /16 vSwitches
/// for the create workload.
pub async fn small_world(addr: SocketAddr) -> Result<World, String> {
    let mut api = Api::connect(addr).await?;
    raise_quotas(&mut api).await?;
    let vpc = create_vpc(&mut api).await?;
    let vsw = create_vswitch(&mut api, &vpc, ZONE, "10.0.0.0/16").await?;
    let mut ids = Vec::new();
    let mut table = String::new();
    for i in 0..50 {
        let (id, ftb) = create_gateway(&mut api, &vpc, &vsw).await?;
        if i == 0 {
            table = ftb;
        }
        ids.push(id);
    }
    let ip = eip_for(&mut api, &ids[0]).await?;
    // Room for the create workload: 32 more /16 vSwitches (10.32.0.0/16 …), 2 million addresses.
    let mut vswitch_ids = vec![vsw];
    for k in 32..64 {
        vswitch_ids.push(create_vswitch(&mut api, &vpc, ZONE, &format!("10.{k}.0.0/16")).await?);
    }
    for n in 1..=50 {
        api.call("CreateForwardEntry", &entry_params(&table, &ip, n)).await?;
    }
    // Check what the workloads will see.
    let v = api.call("DescribeNatGateways", &[("PageSize", "50".into())]).await?;
    let total = v.get("TotalCount").and_then(Value::as_u64).unwrap_or(0);
    if total != 50 {
        return Err(format!("expected 50 gateways in {REGION}, the emulator lists {total}"));
    }
    let v = api
        .call("DescribeForwardTableEntries", &[("ForwardTableId", table.clone()), ("PageSize", "50".into())])
        .await?;
    let total = v.get("TotalCount").and_then(Value::as_u64).unwrap_or(0);
    if total != 50 {
        return Err(format!("expected 50 DNAT entries, the emulator lists {total}"));
    }
    Ok(World { region: REGION.into(), gateway_ids: ids, vpc_id: vpc, vswitch_ids, table_id: table, external_ip: ip })
}

/// A world that grows in steps (growth, memory and reset measurements) in one region: gateways in
/// VPCs of [`PER_VPC`] (each VPC 10.0.0.0/8 with one /24 vSwitch), DNAT entries in tables of given
/// sizes, each table on its own gateway with its own EIP.
pub struct Grower {
    pub addr: SocketAddr,
    pub region: String,
    zone: String,
    /// (VPC, its vSwitch)
    pub vpcs: Vec<(String, String)>,
    pub gateways: Vec<(String, String)>,
    /// (gateway index, table, external IP, next entry number, entries in it)
    pub tables: Vec<(usize, String, String, usize, usize)>,
    pub entries: usize,
    pub concurrency: usize,
    /// Filling stops here (the world reached is then measured and reported as it is).
    pub deadline: Option<Instant>,
}

/// Gateways per VPC (and vSwitch) when growing: realistic sizes, so that building a world does not
/// hit the per-VPC and per-vSwitch costs that the create-gateway throughput cell measures.
pub const PER_VPC: usize = 100;

impl Grower {
    pub async fn new(addr: SocketAddr, region: &str, concurrency: usize) -> Result<Grower, String> {
        let mut api = Api::connect_region(addr, region).await?;
        raise_quotas(&mut api).await?;
        let zones = api.call("DescribeZones", &[]).await?;
        let zone = str_at(&zones, &["Zones", "Zone", "0", "ZoneId"])?;
        Ok(Grower {
            addr,
            region: region.to_owned(),
            zone,
            vpcs: vec![],
            gateways: vec![],
            tables: vec![],
            entries: 0,
            concurrency,
            deadline: None,
        })
    }

    fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Adds gateways until there are `n`; returns the seconds it took.
    pub async fn gateways_to(&mut self, n: usize) -> Result<f64, String> {
        let t0 = Instant::now();
        if n <= self.gateways.len() {
            return Ok(0.0);
        }
        let mut api = Api::connect_region(self.addr, &self.region).await?;
        while self.vpcs.len() < n.div_ceil(PER_VPC) {
            let vpc = create_vpc(&mut api).await?;
            let vsw = create_vswitch(&mut api, &vpc, &self.zone, "10.0.1.0/24").await?;
            self.vpcs.push((vpc, vsw));
        }
        let start = self.gateways.len();
        let next = Arc::new(AtomicUsize::new(start));
        let vpcs = Arc::new(self.vpcs.clone());
        let mut tasks = Vec::new();
        for _ in 0..self.concurrency {
            let (next, vpcs, addr, region) = (next.clone(), vpcs.clone(), self.addr, self.region.clone());
            tasks.push(tokio::spawn(async move {
                let mut api = Api::connect_region(addr, &region).await?;
                let mut made = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let (vpc, vsw) = &vpcs[i / PER_VPC];
                    made.push((i, create_gateway(&mut api, vpc, vsw).await?));
                }
                Ok::<_, String>(made)
            }));
        }
        let mut made = Vec::new();
        for t in tasks {
            made.extend(t.await.map_err(|e| e.to_string())??);
        }
        made.sort_by_key(|(i, _)| *i);
        self.gateways.extend(made.into_iter().map(|(_, g)| g));
        Ok(t0.elapsed().as_secs_f64())
    }

    /// A table on gateway `gw` (with its own EIP) filled up to `n` entries, or as far as the
    /// deadline allows; returns its index.
    pub async fn table_with(&mut self, gw: usize, n: usize) -> Result<usize, String> {
        let idx = match self.tables.iter().position(|t| t.0 == gw) {
            Some(i) => i,
            None => {
                let mut api = Api::connect_region(self.addr, &self.region).await?;
                let ip = eip_for(&mut api, &self.gateways[gw].0).await?;
                self.tables.push((gw, self.gateways[gw].1.clone(), ip, 1, 0));
                self.tables.len() - 1
            }
        };
        let (_, table, ip, first, have) = self.tables[idx].clone();
        if n <= have || self.past_deadline() {
            return Ok(idx);
        }
        let want = n - have;
        let next = Arc::new(AtomicUsize::new(first));
        let last = first + want - 1;
        let mut tasks = Vec::new();
        for _ in 0..self.concurrency {
            let (next, table, ip, addr, region, deadline) =
                (next.clone(), table.clone(), ip.clone(), self.addr, self.region.clone(), self.deadline);
            tasks.push(tokio::spawn(async move {
                let mut api = Api::connect_region(addr, &region).await?;
                let mut made = 0usize;
                loop {
                    if deadline.is_some_and(|d| Instant::now() >= d) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i > last {
                        break;
                    }
                    api.call("CreateForwardEntry", &entry_params(&table, &ip, i)).await?;
                    made += 1;
                }
                Ok::<_, String>(made)
            }));
        }
        let mut made = 0;
        for t in tasks {
            made += t.await.map_err(|e| e.to_string())??;
        }
        self.entries += made;
        let t = &mut self.tables[idx];
        t.3 = next.load(Ordering::Relaxed).min(last + 1);
        t.4 += made;
        Ok(idx)
    }

    pub fn world(&self, table: usize) -> World {
        let ids: Vec<String> = {
            // 50 ids spread over the whole world (not only the oldest).
            let n = self.gateways.len();
            (0..50.min(n)).map(|k| self.gateways[k * n / 50.min(n)].0.clone()).collect()
        };
        let t = self.tables.get(table);
        World {
            region: self.region.clone(),
            gateway_ids: ids,
            vpc_id: self.vpcs.first().map(|v| v.0.clone()).unwrap_or_default(),
            vswitch_ids: self.vpcs.first().map(|v| v.1.clone()).into_iter().collect(),
            table_id: t.map(|t| t.1.clone()).unwrap_or_default(),
            external_ip: t.map(|t| t.2.clone()).unwrap_or_default(),
        }
    }
}
