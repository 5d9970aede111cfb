//! Concurrency (issue 11): 64 clients at once create, modify and delete NAT gateways, EIPs, DNAT
//! and SNAT entries of one account, one region and one VPC, conflicting on purpose — the same VPC
//! (5 gateways at most), the same EIP quota (20), the same EIPs to bind, the same external ports
//! (80, 443, 8080 …) and source CIDRs. Meanwhile a monitor takes state dumps (each one consistent
//! snapshot); every dump, and the last one, must keep the invariants:
//!
//! - ids are unique (across every kind, region and account) and every table key is its id;
//! - no DNAT/SNAT entry on a missing gateway, or in a table that is not its gateway's; an entry's
//!   addresses are EIPs bound to its gateway; no two DNAT entries of a gateway overlap (external
//!   or internal tuple);
//! - every bound EIP's gateway exists; addresses are unique; quotas hold: ≤ 5 gateways per VPC,
//!   ≤ 20 EIPs in the account's region, ≤ 100 DNAT and ≤ 40 SNAT entries per table;
//! - afterwards, each gateway's `IpLists` (DescribeNatGateways) are exactly the EIPs bound to it;
//! - every acknowledged write is visible: an id returned with a 200 is present unless an
//!   acknowledged delete (or a forced cascade: a gateway deleted with Force, an EIP unbound with
//!   Force) removed it; and nothing exists that no 200 acknowledged (no phantom writes).
//!
//! No answer may be a 5xx or missing. `NAT_EMULATOR_CONCURRENCY_SEED=N` replays the clients' choices
//! (the interleaving is the scheduler's).

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "http/harness.rs"]
mod harness;
#[path = "robustness/rng.rs"]
mod rng;
#[allow(dead_code)]
#[path = "http/signer.rs"]
mod signer;
use rng::Rng;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aliyun_nat_emulator::actions::forward_entry::{protocols_overlap, Port};
use aliyun_nat_emulator::config::ServeArgs;
use reqwest::Method;
use serde_json::Value;

use harness::Server;
use signer::{Req, Style};

const CLIENTS: usize = 64;
const OPS_PER_CLIENT: usize = 30;
const REGION: &str = "cn-hangzhou";

#[derive(Clone)]
struct Gw {
    id: String,
    ftb: String,
    stb: String,
}

/// What the clients know (to pick targets from) and what was acknowledged.
#[derive(Default)]
struct Shared {
    gateways: Vec<Gw>,
    eips: Vec<(String, String)>,
    /// (table, entry id)
    fwd: Vec<(String, String)>,
    snat: Vec<(String, String)>,
    /// Ids acknowledged as created, with their kind and (entries) their gateway.
    created: Vec<(&'static str, String, Option<String>)>,
    /// Ids acknowledged as deleted (gateways, EIPs, entries).
    deleted: HashSet<String>,
    /// Gateways whose entries may have gone by a cascade (deleted with Force, or an EIP unbound
    /// from them with Force).
    cascaded: HashSet<String>,
    /// EIP id → (gateway, address), as acknowledged by AssociateEipAddress (and undone by
    /// Unassociate, a forced gateway delete and Release): to aim entries at usable addresses.
    bound: HashMap<String, (String, String)>,
    /// Answers by action and Code.
    outcomes: BTreeMap<String, usize>,
}

struct Ctx {
    server: Server,
    client: reqwest::Client,
    vpc: String,
    vswitches: Vec<String>,
    shared: Mutex<Shared>,
}

impl Ctx {
    /// Sends a signed call; (status, JSON body). Never a 5xx, never no answer.
    async fn call(&self, req: Req) -> (u16, Value) {
        let action = req.action.clone().unwrap_or_default();
        let p = req.prepare(&self.server.authority());
        let mut rb = self.client.request(p.method.clone(), self.server.url(&p.path_and_query));
        for (k, v) in &p.headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        if let Some(b) = &p.body {
            rb = rb.body(b.clone());
        }
        let r = rb.send().await.unwrap_or_else(|e| panic!("{action}: no answer: {e}"));
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert!(status < 500, "{action} answered {status}: {text}");
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{action}: not JSON ({e}): {text}"));
        let code = v["Code"].as_str().unwrap_or("ok");
        *self.shared.lock().unwrap().outcomes.entry(format!("{action} {code}")).or_default() += 1;
        (status, v)
    }
}

fn req(rng: &mut Rng, action: &str) -> Req {
    let style = Style::ALL[rng.below(Style::ALL.len())];
    Req::new(style, action).region(REGION)
}

fn pick<T: Clone>(rng: &mut Rng, v: &[T]) -> Option<T> {
    (!v.is_empty()).then(|| v[rng.below(v.len())].clone())
}

const PORTS: &[&str] = &["80", "443", "8080", "22", "3389", "1000/1010", "1005/1015"];
const CIDRS: &[&str] = &["172.16.1.0/24", "172.16.2.0/24", "172.16.3.0/24", "172.16.0.0/16"];

/// One client: `OPS_PER_CLIENT` random operations on the shared targets.
async fn run_client(ctx: Arc<Ctx>, seed: u64) {
    let mut rng = Rng(seed);
    for _ in 0..OPS_PER_CLIENT {
        let (gws, eips, fwd, snat, bound) = {
            let s = ctx.shared.lock().unwrap();
            let bound: Vec<(String, String, String)> =
                s.bound.iter().map(|(e, (g, ip))| (e.clone(), g.clone(), ip.clone())).collect();
            (s.gateways.clone(), s.eips.clone(), s.fwd.clone(), s.snat.clone(), bound)
        };
        // An address bound to a gateway (as far as acknowledged), mostly; else any pair.
        let target = |rng: &mut Rng| -> Option<(String, Gw)> {
            if rng.chance(85) {
                let (_, g, ip) = pick(rng, &bound)?;
                let gw = gws.iter().find(|x| x.id == g)?.clone();
                Some((ip, gw))
            } else {
                Some((pick(rng, &eips)?.1, pick(rng, &gws)?))
            }
        };
        match rng.below(100) {
            0..=7 => {
                let vsw = ctx.vswitches[rng.below(ctx.vswitches.len())].clone();
                let r = req(&mut rng, "CreateNatGateway")
                    .p("VpcId", &ctx.vpc)
                    .p("VSwitchId", &vsw)
                    .p("NatType", "Enhanced");
                let (status, v) = ctx.call(r).await;
                if status == 200 {
                    let gw = Gw {
                        id: v["NatGatewayId"].as_str().unwrap().to_owned(),
                        ftb: v["ForwardTableIds"]["ForwardTableId"][0].as_str().unwrap().to_owned(),
                        stb: v["SnatTableIds"]["SnatTableId"][0].as_str().unwrap().to_owned(),
                    };
                    let mut s = ctx.shared.lock().unwrap();
                    s.created.push(("nat_gateway", gw.id.clone(), None));
                    s.gateways.push(gw);
                }
            }
            8..=10 => {
                let Some(gw) = pick(&mut rng, &gws) else { continue };
                let force = rng.chance(70);
                let r = req(&mut rng, "DeleteNatGateway")
                    .p("NatGatewayId", &gw.id)
                    .p("Force", if force { "true" } else { "false" });
                if ctx.call(r).await.0 == 200 {
                    let mut s = ctx.shared.lock().unwrap();
                    s.deleted.insert(gw.id.clone());
                    s.cascaded.insert(gw.id.clone());
                    s.gateways.retain(|g| g.id != gw.id);
                    s.bound.retain(|_, (g, _)| *g != gw.id);
                }
            }
            11..=18 => {
                let (status, v) = ctx.call(req(&mut rng, "AllocateEipAddress")).await;
                if status == 200 {
                    let id = v["AllocationId"].as_str().unwrap().to_owned();
                    let ip = v["EipAddress"].as_str().unwrap().to_owned();
                    let mut s = ctx.shared.lock().unwrap();
                    s.created.push(("eip", id.clone(), None));
                    s.eips.push((id, ip));
                }
            }
            19..=20 => {
                let Some((id, _)) = pick(&mut rng, &eips) else { continue };
                if ctx.call(req(&mut rng, "ReleaseEipAddress").p("AllocationId", &id)).await.0 == 200 {
                    let mut s = ctx.shared.lock().unwrap();
                    s.deleted.insert(id.clone());
                    s.eips.retain(|(e, _)| *e != id);
                    s.bound.remove(&id);
                }
            }
            21..=34 => {
                let (Some((id, ip)), Some(gw)) = (pick(&mut rng, &eips), pick(&mut rng, &gws)) else { continue };
                let r = req(&mut rng, "AssociateEipAddress")
                    .p("AllocationId", &id)
                    .p("InstanceId", &gw.id)
                    .p("InstanceType", "Nat");
                if ctx.call(r).await.0 == 200 {
                    ctx.shared.lock().unwrap().bound.insert(id, (gw.id.clone(), ip));
                }
            }
            35..=38 => {
                let Some((id, gw, _)) = pick(&mut rng, &bound) else { continue };
                let force = rng.chance(50);
                let r = req(&mut rng, "UnassociateEipAddress")
                    .p("AllocationId", &id)
                    .p("InstanceId", &gw)
                    .p("InstanceType", "Nat")
                    .p("Force", if force { "true" } else { "false" });
                if ctx.call(r).await.0 == 200 {
                    let mut s = ctx.shared.lock().unwrap();
                    s.bound.remove(&id);
                    if force {
                        s.cascaded.insert(gw.clone());
                    }
                }
            }
            39..=62 => {
                let Some((ip, gw)) = target(&mut rng) else { continue };
                let port = PORTS[rng.below(PORTS.len())];
                let internal = format!("172.16.{}.{}", rng.below(4), 10 + rng.below(5));
                let proto = if rng.chance(50) { "TCP" } else { "UDP" };
                let r = req(&mut rng, "CreateForwardEntry")
                    .p("ForwardTableId", &gw.ftb)
                    .p("ExternalIp", &ip)
                    .p("ExternalPort", port)
                    .p("InternalIp", &internal)
                    .p("InternalPort", port)
                    .p("IpProtocol", proto);
                let (status, v) = ctx.call(r).await;
                if status == 200 {
                    let id = v["ForwardEntryId"].as_str().unwrap().to_owned();
                    let mut s = ctx.shared.lock().unwrap();
                    s.created.push(("forward_entry", id.clone(), Some(gw.id.clone())));
                    s.fwd.push((gw.ftb.clone(), id));
                }
            }
            63..=67 => {
                let Some((table, id)) = pick(&mut rng, &fwd) else { continue };
                let r = req(&mut rng, "DeleteForwardEntry").p("ForwardTableId", &table).p("ForwardEntryId", &id);
                if ctx.call(r).await.0 == 200 {
                    let mut s = ctx.shared.lock().unwrap();
                    s.deleted.insert(id.clone());
                    s.fwd.retain(|(_, e)| *e != id);
                }
            }
            68..=73 => {
                let Some((table, id)) = pick(&mut rng, &fwd) else { continue };
                let port = PORTS[rng.below(PORTS.len())];
                let r = req(&mut rng, "ModifyForwardEntry")
                    .p("ForwardTableId", &table)
                    .p("ForwardEntryId", &id)
                    .p("ExternalPort", port)
                    .p("InternalPort", port);
                ctx.call(r).await;
            }
            74..=87 => {
                let Some((ip, gw)) = target(&mut rng) else { continue };
                let r = req(&mut rng, "CreateSnatEntry")
                    .p("SnatTableId", &gw.stb)
                    .p("SnatIp", &ip)
                    .p("SourceCIDR", CIDRS[rng.below(CIDRS.len())]);
                let (status, v) = ctx.call(r).await;
                if status == 200 {
                    let id = v["SnatEntryId"].as_str().unwrap().to_owned();
                    let mut s = ctx.shared.lock().unwrap();
                    s.created.push(("snat_entry", id.clone(), Some(gw.id.clone())));
                    s.snat.push((gw.stb.clone(), id));
                }
            }
            88..=90 => {
                let Some((table, id)) = pick(&mut rng, &snat) else { continue };
                let r = req(&mut rng, "DeleteSnatEntry").p("SnatTableId", &table).p("SnatEntryId", &id);
                if ctx.call(r).await.0 == 200 {
                    let mut s = ctx.shared.lock().unwrap();
                    s.deleted.insert(id.clone());
                    s.snat.retain(|(_, e)| *e != id);
                }
            }
            _ => {
                let Some(gw) = pick(&mut rng, &gws) else { continue };
                let name = format!("gw-{}", rng.below(1000));
                ctx.call(req(&mut rng, "ModifyNatGatewayAttribute").p("NatGatewayId", &gw.id).p("Name", &name)).await;
            }
        }
    }
}

/// A DNAT entry's (external IP, external port, internal IP, internal port, protocol).
type Tuple = (String, Port, String, Port, String);

/// The invariants of one state dump.
fn check(dump: &Value) -> Result<(), String> {
    let mut ids: HashSet<String> = HashSet::new();
    let mut addresses: HashSet<String> = HashSet::new();
    for account in dump["accounts"].as_array().ok_or("no accounts")? {
        for (region, rs) in account["regions"].as_object().ok_or("no regions")? {
            let table = |k: &str| rs[k].as_object().cloned().unwrap_or_default();
            let (vpcs, gws, eips, fwds, snats) =
                (table("vpcs"), table("nat_gateways"), table("eips"), table("forward_entries"), table("snat_entries"));
            for kind in
                ["vpcs", "vswitches", "nat_gateways", "eips", "forward_entries", "snat_entries", "bandwidth_packages"]
            {
                for (key, v) in table(kind) {
                    if v["id"] != key.as_str() {
                        return Err(format!("{kind} key {key} holds {}", v["id"]));
                    }
                    if !ids.insert(key.clone()) {
                        return Err(format!("duplicate id {key}"));
                    }
                }
            }
            let mut per_vpc: HashMap<&str, usize> = HashMap::new();
            for gw in gws.values() {
                let vpc = gw["vpc_id"].as_str().unwrap_or("");
                if !vpcs.contains_key(vpc) {
                    return Err(format!("gateway {} in a missing VPC {vpc}", gw["id"]));
                }
                *per_vpc.entry(vpc).or_default() += 1;
            }
            if let Some((vpc, n)) = per_vpc.iter().find(|(_, n)| **n > 5) {
                return Err(format!("{n} gateways in {vpc}"));
            }
            if eips.len() > 20 {
                return Err(format!("{} EIPs in {region}", eips.len()));
            }
            // Addresses bound to each gateway.
            let mut bound: HashMap<String, HashSet<String>> = HashMap::new();
            for e in eips.values() {
                let ip = e["ip"].as_str().unwrap_or("").to_owned();
                if !addresses.insert(ip.clone()) {
                    return Err(format!("address {ip} held twice"));
                }
                if let Some(b) = e["binding"].as_object() {
                    let gw = b["instance_id"].as_str().unwrap_or("");
                    if !gws.contains_key(gw) {
                        return Err(format!("EIP {} bound to a missing gateway {gw}", e["id"]));
                    }
                    bound.entry(gw.to_owned()).or_default().insert(ip);
                }
            }
            let mut per_table: HashMap<String, usize> = HashMap::new();
            let mut tuples: HashMap<String, Vec<Tuple>> = HashMap::new();
            for f in fwds.values() {
                let gw_id = f["nat_gateway_id"].as_str().unwrap_or("");
                let gw = gws.get(gw_id).ok_or(format!("DNAT entry {} on a missing gateway {gw_id}", f["id"]))?;
                if gw["forward_table_id"] != f["table_id"] {
                    return Err(format!(
                        "DNAT entry {} in {} but its gateway's table is {}",
                        f["id"], f["table_id"], gw["forward_table_id"]
                    ));
                }
                let ext = f["external_ip"].as_str().unwrap_or("");
                if !bound.get(gw_id).is_some_and(|b| b.contains(ext)) {
                    return Err(format!("DNAT entry {} on {ext}, which {gw_id} does not hold", f["id"]));
                }
                *per_table.entry(f["table_id"].as_str().unwrap_or("").to_owned()).or_default() += 1;
                let port = |k: &str| Port::parse(f[k].as_str().unwrap_or("")).ok_or(format!("bad port in {f}"));
                let t = (
                    ext.to_owned(),
                    port("external_port")?,
                    f["internal_ip"].as_str().unwrap_or("").to_owned(),
                    port("internal_port")?,
                    f["ip_protocol"].as_str().unwrap_or("").to_owned(),
                );
                let seen = tuples.entry(gw_id.to_owned()).or_default();
                for o in seen.iter() {
                    if protocols_overlap(&o.4, &t.4)
                        && ((o.0 == t.0 && o.1.overlaps(t.1)) || (o.2 == t.2 && o.3.overlaps(t.3)))
                    {
                        return Err(format!("DNAT entries of {gw_id} overlap: {o:?} and {t:?}"));
                    }
                }
                seen.push(t);
            }
            if let Some((t, n)) = per_table.iter().find(|(_, n)| **n > 100) {
                return Err(format!("{n} DNAT entries in {t}"));
            }
            let mut per_table: HashMap<String, usize> = HashMap::new();
            for e in snats.values() {
                let gw_id = e["nat_gateway_id"].as_str().unwrap_or("");
                let gw = gws.get(gw_id).ok_or(format!("SNAT entry {} on a missing gateway {gw_id}", e["id"]))?;
                if gw["snat_table_id"] != e["table_id"] {
                    return Err(format!(
                        "SNAT entry {} in {} but its gateway's table is {}",
                        e["id"], e["table_id"], gw["snat_table_id"]
                    ));
                }
                for ip in e["snat_ips"].as_array().cloned().unwrap_or_default() {
                    let ip = ip.as_str().unwrap_or("");
                    if !bound.get(gw_id).is_some_and(|b| b.contains(ip)) {
                        return Err(format!("SNAT entry {} uses {ip}, which {gw_id} does not hold", e["id"]));
                    }
                }
                *per_table.entry(e["table_id"].as_str().unwrap_or("").to_owned()).or_default() += 1;
            }
            if let Some((t, n)) = per_table.iter().find(|(_, n)| **n > 40) {
                return Err(format!("{n} SNAT entries in {t}"));
            }
        }
    }
    Ok(())
}

async fn dump(server: &Server) -> Value {
    let r = server.raw(Method::GET, "/_emulator/state", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_conflicting_on_purpose_keep_every_invariant() {
    let seed: u64 =
        std::env::var("NAT_EMULATOR_CONCURRENCY_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
    eprintln!("concurrency: seed {seed} (replay the clients' choices with NAT_EMULATOR_CONCURRENCY_SEED={seed})");
    let server = Server::with(ServeArgs { journal_size: 100, ..ServeArgs::for_tests() }).await;
    let initial = dump(&server).await;
    let region = initial["accounts"].as_array().unwrap().iter().find(|a| a["access_key_id"] == "testid").unwrap()
        ["regions"][REGION]
        .clone();
    let vpc = region["vpcs"].as_object().unwrap().keys().next().unwrap().clone();
    let vswitches: Vec<String> = region["vswitches"].as_object().unwrap().keys().cloned().collect();
    let client = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(CLIENTS).build().unwrap();
    let ctx = Arc::new(Ctx { server, client, vpc, vswitches, shared: Mutex::default() });

    // The monitor: invariants on dumps taken while the clients run.
    let done = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicUsize::new(0));
    let monitor = {
        let (ctx, done, checked) = (ctx.clone(), done.clone(), checked.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                let d = dump(&ctx.server).await;
                if let Err(e) = check(&d) {
                    panic!("seed {seed}: an invariant broke while the clients ran: {e}");
                }
                checked.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        clients.spawn(run_client(ctx.clone(), seed.wrapping_add(i as u64 * 0x1000_0001)));
    }
    while let Some(r) = clients.join_next().await {
        if let Err(e) = r {
            done.store(true, Ordering::SeqCst);
            panic!("seed {seed}: a client failed: {e}");
        }
    }
    let elapsed = started.elapsed();
    done.store(true, Ordering::SeqCst);
    monitor.await.unwrap_or_else(|e| panic!("seed {seed}: the monitor failed: {e}"));

    let last = dump(&ctx.server).await;
    check(&last).unwrap_or_else(|e| panic!("seed {seed}: an invariant broke: {e}"));
    let rs = &last["accounts"].as_array().unwrap().iter().find(|a| a["access_key_id"] == "testid").unwrap()["regions"]
        [REGION];
    let present = |kind: &str, id: &str| rs[kind].get(id).is_some();
    {
        let shared = ctx.shared.lock().unwrap();
        // Every acknowledged write is visible.
        let mut acked: HashSet<&str> = HashSet::new();
        for (kind, id, gw) in &shared.created {
            acked.insert(id);
            let gone_by_cascade = gw.as_ref().is_some_and(|g| shared.cascaded.contains(g));
            if !shared.deleted.contains(id) && !gone_by_cascade {
                let table = format!("{kind}s").replace("entrys", "entries");
                assert!(
                    present(&table, id),
                    "seed {seed}: {kind} {id} was created (200) and never deleted, but is gone"
                );
            }
            if shared.deleted.contains(id) {
                assert!(
                    !present(&format!("{kind}s").replace("entrys", "entries"), id),
                    "seed {seed}: {id} was deleted (200) but is there"
                );
            }
        }
        // Nothing that no 200 acknowledged.
        for kind in ["nat_gateways", "eips", "forward_entries", "snat_entries"] {
            for id in rs[kind].as_object().unwrap().keys() {
                assert!(acked.contains(id.as_str()), "seed {seed}: {id} exists but no create was acknowledged");
            }
        }
    }
    // IpLists are the EIPs bound to each gateway.
    let mut bound: HashMap<String, HashSet<String>> = HashMap::new();
    for e in rs["eips"].as_object().unwrap().values() {
        if let Some(g) = e["binding"]["instance_id"].as_str() {
            bound.entry(g.to_owned()).or_default().insert(e["id"].as_str().unwrap().to_owned());
        }
    }
    let (status, v) = ctx.call(Req::get("DescribeNatGateways").region(REGION).p("PageSize", "50")).await;
    assert_eq!(status, 200, "{v}");
    let listed = v["NatGateways"]["NatGateway"].as_array().unwrap();
    assert_eq!(listed.len(), rs["nat_gateways"].as_object().unwrap().len());
    for g in listed {
        let id = g["NatGatewayId"].as_str().unwrap();
        let ips: HashSet<String> = g["IpLists"]["IpList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["AllocationId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ips, bound.get(id).cloned().unwrap_or_default(), "seed {seed}: IpLists of {id}");
    }
    // Bursts on one account (testid2, untouched so far): one EIP bound by 64 clients at once (one
    // wins), then 64 clients × 3 DNAT entries with distinct ports on one table (exactly 100 win).
    let as2 = |r: Req| r.creds("testid2", "testsecret2");
    let d = dump(&ctx.server).await;
    let rs2 =
        &d["accounts"].as_array().unwrap().iter().find(|a| a["access_key_id"] == "testid2").unwrap()["regions"][REGION];
    let vpc2 = rs2["vpcs"].as_object().unwrap().keys().next().unwrap().clone();
    let vsw2 = rs2["vswitches"].as_object().unwrap().keys().next().unwrap().clone();
    let (status, gw) =
        ctx.call(as2(Req::get("CreateNatGateway").region(REGION).p("VpcId", &vpc2).p("VSwitchId", &vsw2))).await;
    assert_eq!(status, 200, "{gw}");
    let gw_id = gw["NatGatewayId"].as_str().unwrap().to_owned();
    let ftb = gw["ForwardTableIds"]["ForwardTableId"][0].as_str().unwrap().to_owned();
    let (status, eip) = ctx.call(as2(Req::get("AllocateEipAddress").region(REGION))).await;
    assert_eq!(status, 200, "{eip}");
    let (eip_id, eip_ip) =
        (eip["AllocationId"].as_str().unwrap().to_owned(), eip["EipAddress"].as_str().unwrap().to_owned());
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        let (ctx, eip_id, gw_id) = (ctx.clone(), eip_id.clone(), gw_id.clone());
        let style = Style::ALL[i % Style::ALL.len()];
        burst.spawn(async move {
            let r = Req::new(style, "AssociateEipAddress").region(REGION).creds("testid2", "testsecret2");
            ctx.call(r.p("AllocationId", &eip_id).p("InstanceId", &gw_id).p("InstanceType", "Nat")).await.0
        });
    }
    let won = burst.join_all().await.iter().filter(|s| **s == 200).count();
    assert_eq!(won, 1, "seed {seed}: one EIP bound by {won} concurrent calls");
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..CLIENTS {
        let (ctx, ftb, ip) = (ctx.clone(), ftb.clone(), eip_ip.clone());
        burst.spawn(async move {
            let mut won = 0;
            for k in 0..3 {
                let port = (10_000 + i * 3 + k).to_string();
                let r = Req::get("CreateForwardEntry").region(REGION).creds("testid2", "testsecret2");
                let r = r.p("ForwardTableId", &ftb).p("ExternalIp", &ip).p("ExternalPort", &port);
                let r = r.p("InternalIp", "172.16.0.9").p("InternalPort", &port).p("IpProtocol", "TCP");
                let (status, v) = ctx.call(r).await;
                assert!(status == 200 || v["Code"] == "QuotaExceeded", "{v}");
                won += usize::from(status == 200);
            }
            won
        });
    }
    let won: usize = burst.join_all().await.iter().sum();
    assert_eq!(won, 100, "seed {seed}: {won} DNAT entries accepted on one table");
    let last = dump(&ctx.server).await;
    check(&last).unwrap_or_else(|e| panic!("seed {seed}: an invariant broke after the bursts: {e}"));
    let rs2 = &last["accounts"].as_array().unwrap().iter().find(|a| a["access_key_id"] == "testid2").unwrap()
        ["regions"][REGION];
    assert_eq!(rs2["forward_entries"].as_object().unwrap().len(), 100);

    let shared = ctx.shared.lock().unwrap();
    let total: usize = shared.outcomes.values().sum();
    let accepted: usize = shared.outcomes.iter().filter(|(k, _)| k.ends_with(" ok")).map(|(_, n)| n).sum();
    eprintln!(
        "concurrency: seed {seed} — {CLIENTS} clients, {total} calls ({accepted} accepted) in {:.1} s, {} dumps checked while \
         running; final: {} gateways, {} EIPs, {} DNAT, {} SNAT\n  {:?}",
        elapsed.as_secs_f64(),
        checked.load(Ordering::SeqCst),
        rs["nat_gateways"].as_object().unwrap().len(),
        rs["eips"].as_object().unwrap().len(),
        rs["forward_entries"].as_object().unwrap().len(),
        rs["snat_entries"].as_object().unwrap().len(),
        shared.outcomes
    );
    // The conflicts happened: quotas were hit and ports collided.
    let hit = |code: &str| shared.outcomes.keys().any(|k| k.ends_with(code));
    assert!(hit("OperationFailed.EnhancedQuotaExceed"), "the VPC's gateway quota was contended");
    assert!(hit("OperationUnsupported.PortConflict"), "ports collided");
    assert!(accepted > 300, "{accepted} accepted calls");
    assert!(checked.load(Ordering::SeqCst) >= 3, "the monitor ran");
}
