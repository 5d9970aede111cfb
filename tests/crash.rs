//! The crash test: the real binary with `--data-dir`, concurrent writers making signed RPC calls
//! (RPC v1, as the SDKs send them), `kill -9` at random moments, a restart, and then:
//!
//! - every write that was acknowledged (200) is there, and every acknowledged delete stayed done;
//! - nothing is half-applied: every vSwitch has its VPC, every gateway its VPC and vSwitch (and its
//!   private IP in that vSwitch), every EIP binding its gateway, every SNAT entry its gateway and an
//!   address bound to it, no address is held twice, and each gateway's `IpLists` (as
//!   DescribeNatGateways shows them) are exactly the EIPs bound to it;
//! - ids never repeat: a resource created after a restart never gets an id seen before.
//!
//! `NAT_CRASH_SEED` repeats a run (the seed is printed), `NAT_CRASH_ROUNDS` (default 20) sets the
//! number of kills. A small `--snapshot-after-bytes` makes kills land during compactions too.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[path = "robustness/rng.rs"]
mod rng;
mod support;
use rng::Rng;

const REGION: &str = "cn-hangzhou";
const WRITERS: [(&str, &str); 4] =
    [("testid", "testsecret"), ("testid2", "testsecret2"), ("crash3", "secret3"), ("crash4", "secret4")];

/// What a call came to: an answer (status, body), no answer (the process died under it), or no
/// connection (it was dead already: the call was never sent).
enum Outcome {
    Answer(u16, Value),
    Lost,
    Down,
}

async fn rpc(
    client: &reqwest::Client,
    base: &str,
    key: (&str, &str),
    action: &str,
    params: &[(&str, String)],
) -> Outcome {
    let mut p: Vec<(String, String)> = vec![("RegionId".into(), REGION.into())];
    p.extend(params.iter().map(|(k, v)| (k.to_string(), v.clone())));
    let url = support::signed_url(base, key, action, &p);
    match client.get(url).send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            match r.text().await {
                Ok(t) => Outcome::Answer(status, serde_json::from_str(&t).unwrap_or(Value::Null)),
                Err(_) => Outcome::Lost,
            }
        }
        Err(e) if e.is_connect() => Outcome::Down,
        Err(_) => Outcome::Lost,
    }
}

// ---- the emulator process ---------------------------------------------------------------------

struct Emulator {
    child: Child,
    base: String,
    stderr: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start(data: &Path, round: usize) -> Emulator {
    let port = free_port();
    let stderr = data.with_extension(format!("round{round}.log"));
    let log = std::fs::File::create(&stderr).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_aliyun-nat-emulator"))
        .args(["--listen", &format!("127.0.0.1:{port}"), "--transition-delay-ms", "0", "--log-level", "warn"])
        .arg("--data-dir")
        .arg(data)
        .args(["--snapshot-after-bytes", "32768", "--seed", "7"])
        .env_remove("NAT_EMULATOR_SYNC")
        .env_remove("NAT_EMULATOR_REPAIR")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("the binary starts");
    let mut emu = Emulator { child, base: format!("http://127.0.0.1:{port}"), stderr };
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(2)).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{}/_emulator/health", emu.base)).send().await {
            if r.status().is_success() {
                return emu;
            }
        }
        if let Some(status) = emu.child.try_wait().unwrap() {
            panic!("round {round}: the emulator exited ({status}):\n{}", std::fs::read_to_string(&emu.stderr).unwrap());
        }
        assert!(Instant::now() < deadline, "round {round}: the emulator did not answer within 60 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Emulator {
    fn kill9(&mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
    }
}

// ---- what the writers were told --------------------------------------------------------------

#[derive(Debug, Default, Clone)]
struct Gw {
    vsw: String,
    stb: String,
}

/// One account's acknowledged world.
#[derive(Debug, Default)]
struct Model {
    vpcs: BTreeMap<String, u32>,         // id → next vSwitch CIDR index
    vswitches: BTreeMap<String, String>, // id → VPC
    gws: BTreeMap<String, Gw>,
    eips: BTreeMap<String, (String, Option<String>)>, // id → (address, gateway)
    snats: BTreeMap<String, String>,                  // id → gateway
    /// Acknowledged deletes.
    gone: BTreeSet<String>,
    /// Ids an unanswered call was about: either outcome is allowed.
    maybe: BTreeSet<String>,
    next_cidr: u32,
}

impl Model {
    fn present(&self) -> BTreeSet<String> {
        let mut s: BTreeSet<String> = BTreeSet::new();
        s.extend(self.vpcs.keys().cloned());
        s.extend(self.vswitches.keys().cloned());
        s.extend(self.gws.keys().cloned());
        s.extend(self.eips.keys().cloned());
        s.extend(self.snats.keys().cloned());
        s
    }
}

impl Rng {
    fn pick<'a, T>(&mut self, v: &'a [T]) -> Option<&'a T> {
        if v.is_empty() {
            None
        } else {
            Some(&v[self.below(v.len())])
        }
    }
}

#[derive(Default)]
struct Stats {
    acked: u64,
    refused: u64,
    lost: u64,
}

/// Every id an acknowledged create returned, ever (across restarts).
type Seen = Arc<Mutex<BTreeSet<String>>>;

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned()
}

#[track_caller]
fn fresh(seen: &Seen, id: &str, round: usize) {
    assert!(seen.lock().unwrap().insert(id.to_owned()), "round {round}: the id {id} was handed out before");
}

/// One writer: random calls on its own account until the emulator dies under it.
async fn writer(
    base: String,
    key: (&'static str, &'static str),
    model: Arc<Mutex<Model>>,
    seed: u64,
    seen: Seen,
    round: usize,
) -> Stats {
    let client = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();
    let mut rng = Rng(seed);
    let mut stats = Stats::default();
    loop {
        // Choose a call from what the model holds.
        let (action, params, about): (&str, Vec<(&str, String)>, Vec<String>) = {
            let m = model.lock().unwrap();
            let vpcs: Vec<String> = m.vpcs.keys().cloned().collect();
            let vsws: Vec<(String, String)> = m.vswitches.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let gws: Vec<(String, Gw)> = m.gws.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let free_eips: Vec<String> =
                m.eips.iter().filter(|(_, (_, g))| g.is_none()).map(|(k, _)| k.clone()).collect();
            let bound: Vec<(String, String, String)> = m
                .eips
                .iter()
                .filter_map(|(k, (ip, g))| g.as_ref().map(|g| (k.clone(), ip.clone(), g.clone())))
                .collect();
            let snats: Vec<(String, String)> = m.snats.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let none = ("", vec![], vec![]);
            match rng.below(12) {
                0 | 1 if vpcs.len() < 6 => ("CreateVpc", vec![("CidrBlock", "10.0.0.0/8".to_owned())], vec![]),
                2 | 3 => match rng.pick(&vpcs) {
                    Some(vpc) => {
                        let n = m.next_cidr;
                        (
                            "CreateVSwitch",
                            vec![
                                ("VpcId", vpc.clone()),
                                ("ZoneId", "cn-hangzhou-h".into()),
                                ("CidrBlock", format!("10.{}.{}.0/24", n / 256 % 256, n % 256)),
                            ],
                            vec![],
                        )
                    }
                    None => none,
                },
                4 => match rng.pick(&vsws) {
                    Some((vsw, vpc)) => (
                        "CreateNatGateway",
                        vec![("VpcId", vpc.clone()), ("VSwitchId", vsw.clone()), ("NatType", "Enhanced".into())],
                        vec![],
                    ),
                    None => none,
                },
                5 if m.eips.len() < 8 => ("AllocateEipAddress", vec![], vec![]),
                6 => match (rng.pick(&free_eips), rng.pick(&gws)) {
                    (Some(e), Some((g, _))) => (
                        "AssociateEipAddress",
                        vec![("AllocationId", e.clone()), ("InstanceId", g.clone()), ("InstanceType", "Nat".into())],
                        vec![e.clone(), g.clone()],
                    ),
                    _ => none,
                },
                7 => match rng.pick(&bound) {
                    Some((_, ip, g)) => {
                        let stb = m.gws[g].stb.clone();
                        let n = m.next_cidr;
                        (
                            "CreateSnatEntry",
                            vec![
                                ("SnatTableId", stb),
                                ("SourceCIDR", format!("192.168.{}.0/24", n % 256)),
                                ("SnatIp", ip.clone()),
                            ],
                            vec![g.clone()],
                        )
                    }
                    None => none,
                },
                8 => match rng.pick(&snats) {
                    Some((id, g)) => (
                        "DeleteSnatEntry",
                        vec![("SnatTableId", m.gws[g].stb.clone()), ("SnatEntryId", id.clone())],
                        vec![id.clone()],
                    ),
                    None => none,
                },
                9 => match rng.pick(&gws) {
                    Some((g, _)) => {
                        ("DeleteNatGateway", vec![("NatGatewayId", g.clone()), ("Force", "true".into())], {
                            let mut about = vec![g.clone()];
                            about.extend(m.snats.iter().filter(|(_, sg)| *sg == g).map(|(k, _)| k.clone()));
                            about.extend(
                                m.eips.iter().filter(|(_, (_, eg))| eg.as_ref() == Some(g)).map(|(k, _)| k.clone()),
                            );
                            about
                        })
                    }
                    None => none,
                },
                10 => match rng.pick(&free_eips) {
                    Some(e) => ("ReleaseEipAddress", vec![("AllocationId", e.clone())], vec![e.clone()]),
                    None => none,
                },
                _ => {
                    // Delete a vSwitch without gateways, or else a VPC without vSwitches.
                    let idle_vsw = vsws.iter().find(|(v, _)| !gws.iter().any(|(_, g)| &g.vsw == v));
                    let empty_vpc = vpcs.iter().find(|v| !vsws.iter().any(|(_, p)| p == *v));
                    match (idle_vsw, empty_vpc) {
                        (Some((v, _)), _) if rng.below(2) == 0 => {
                            ("DeleteVSwitch", vec![("VSwitchId", v.clone())], vec![v.clone()])
                        }
                        (_, Some(v)) => ("DeleteVpc", vec![("VpcId", v.clone())], vec![v.clone()]),
                        _ => none,
                    }
                }
            }
        };
        if action.is_empty() {
            continue;
        }
        let out = rpc(&client, &base, key, action, &params).await;
        let mut m = model.lock().unwrap();
        let v = match out {
            Outcome::Lost => {
                stats.lost += 1;
                m.maybe.extend(about);
                return stats;
            }
            Outcome::Down => {
                m.maybe.extend(about);
                return stats;
            }
            Outcome::Answer(200, v) => v,
            Outcome::Answer(status, v) => {
                assert!(status < 500, "round {round}: {action} answered {status}: {v}");
                stats.refused += 1;
                if action == "CreateVSwitch" {
                    m.next_cidr += 1;
                }
                continue;
            }
        };
        stats.acked += 1;
        let p = |k: &str| params.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        match action {
            "CreateVpc" => {
                let id = s(&v, "VpcId");
                fresh(&seen, &id, round);
                m.vpcs.insert(id, 0);
            }
            "CreateVSwitch" => {
                let id = s(&v, "VSwitchId");
                fresh(&seen, &id, round);
                m.next_cidr += 1;
                m.vswitches.insert(id, p("VpcId"));
            }
            "CreateNatGateway" => {
                let id = s(&v, "NatGatewayId");
                fresh(&seen, &id, round);
                let stb = v["SnatTableIds"]["SnatTableId"][0].as_str().unwrap().to_owned();
                m.gws.insert(id, Gw { vsw: p("VSwitchId"), stb });
            }
            "AllocateEipAddress" => {
                let id = s(&v, "AllocationId");
                fresh(&seen, &id, round);
                m.eips.insert(id, (s(&v, "EipAddress"), None));
            }
            "AssociateEipAddress" => {
                let gw = p("InstanceId");
                m.eips.get_mut(&p("AllocationId")).unwrap().1 = Some(gw);
            }
            "CreateSnatEntry" => {
                let id = s(&v, "SnatEntryId");
                fresh(&seen, &id, round);
                m.next_cidr += 1;
                let gw = about[0].clone();
                m.snats.insert(id, gw);
            }
            "DeleteSnatEntry" => {
                let id = p("SnatEntryId");
                m.snats.remove(&id);
                m.gone.insert(id);
            }
            "DeleteNatGateway" => {
                let g = p("NatGatewayId");
                m.gws.remove(&g);
                let snats: Vec<String> = m.snats.iter().filter(|(_, sg)| **sg == g).map(|(k, _)| k.clone()).collect();
                for id in snats {
                    m.snats.remove(&id);
                    m.gone.insert(id);
                }
                for e in m.eips.values_mut().filter(|(_, eg)| eg.as_ref() == Some(&g)) {
                    e.1 = None;
                }
                m.gone.insert(g);
            }
            "ReleaseEipAddress" => {
                let id = p("AllocationId");
                m.eips.remove(&id);
                m.gone.insert(id);
            }
            "DeleteVSwitch" => {
                let id = p("VSwitchId");
                m.vswitches.remove(&id);
                m.gone.insert(id);
            }
            "DeleteVpc" => {
                let id = p("VpcId");
                m.vpcs.remove(&id);
                m.gone.insert(id);
            }
            other => unreachable!("{other}"),
        }
    }
}

// ---- checks after a restart --------------------------------------------------------------------

fn ids(region: &Value, table: &str) -> BTreeSet<String> {
    region[table].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

/// Checks one account's state against what was acknowledged and against the invariants, then
/// makes the model what the state is (calls that got no answer may have landed or not).
fn check_account(round: usize, key: &str, state: &Value, model: &mut Model, seen: &Seen) {
    let acc = state["accounts"].as_array().unwrap().iter().find(|a| a["access_key_id"] == key).unwrap();
    let r = &acc["regions"][REGION];
    let (vpcs, vsws, gws, eips, snats) =
        (ids(r, "vpcs"), ids(r, "vswitches"), ids(r, "nat_gateways"), ids(r, "eips"), ids(r, "snat_entries"));
    let all: BTreeSet<String> = [&vpcs, &vsws, &gws, &eips, &snats].into_iter().flatten().cloned().collect();
    for id in model.present() {
        assert!(all.contains(&id) || model.maybe.contains(&id), "round {round}: {key}: acknowledged {id} is missing");
    }
    for (id, (ip, _)) in model.eips.iter().filter(|(id, _)| !model.maybe.contains(*id)) {
        assert_eq!(&s(&r["eips"][id], "ip"), ip, "round {round}: {key}: acknowledged {id} changed its address");
    }
    for id in &model.gone {
        assert!(
            !all.contains(id) || model.maybe.contains(id),
            "round {round}: {key}: {id} was deleted (acknowledged) but is back"
        );
    }
    // Nothing half-applied.
    for (id, v) in r["vswitches"].as_object().unwrap() {
        assert!(vpcs.contains(&s(v, "vpc_id")), "round {round}: {key}: vSwitch {id} without its VPC");
    }
    for (id, g) in r["nat_gateways"].as_object().unwrap() {
        assert!(vpcs.contains(&s(g, "vpc_id")), "round {round}: {key}: gateway {id} without its VPC");
        let vsw = &r["vswitches"][s(g, "vswitch_id")];
        assert!(vsw.is_object(), "round {round}: {key}: gateway {id} without its vSwitch");
        if let Some(ip) = g["private_ip"].as_str() {
            assert!(vsw["used_ips"].as_array().unwrap().iter().any(|u| u == ip), "round {round}: {key}: {id}'s {ip}");
        }
    }
    let mut bound: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, e) in r["eips"].as_object().unwrap() {
        if let Some(gw) = e["binding"]["instance_id"].as_str() {
            assert!(gws.contains(gw), "round {round}: {key}: EIP {id} bound to a missing gateway {gw}");
            bound.entry(gw.to_owned()).or_default().insert(s(e, "ip"));
        }
    }
    for (id, e) in r["snat_entries"].as_object().unwrap() {
        let gw = s(e, "nat_gateway_id");
        assert!(gws.contains(&gw), "round {round}: {key}: SNAT entry {id} on a missing gateway");
        for ip in e["snat_ips"].as_array().unwrap() {
            assert!(
                bound.get(&gw).is_some_and(|b| b.contains(ip.as_str().unwrap())),
                "round {round}: {key}: SNAT entry {id} uses {ip}, not bound to {gw}"
            );
        }
    }
    // The model becomes the state (adopting what unanswered calls did).
    let eip_of = |id: &str| {
        let e = &r["eips"][id];
        (s(e, "ip"), e["binding"]["instance_id"].as_str().map(str::to_owned))
    };
    let next = model.next_cidr;
    *model = Model {
        vpcs: vpcs.iter().filter(|v| r["vpcs"][v.as_str()]["is_default"] != true).map(|v| (v.clone(), 0)).collect(),
        vswitches: r["vswitches"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, v)| v["is_default"] != true)
            .map(|(k, v)| (k.clone(), s(v, "vpc_id")))
            .collect(),
        gws: r["nat_gateways"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, g)| (k.clone(), Gw { vsw: s(g, "vswitch_id"), stb: s(g, "snat_table_id") }))
            .collect(),
        eips: eips.iter().map(|id| (id.clone(), eip_of(id))).collect(),
        snats: r["snat_entries"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, e)| (k.clone(), s(e, "nat_gateway_id")))
            .collect(),
        gone: model.gone.clone(),
        maybe: BTreeSet::new(),
        next_cidr: next + 7,
    };
    seen.lock().unwrap().extend(all);
}

/// Each gateway's IpLists, as the API shows them, are exactly the EIPs bound to it.
async fn check_ip_lists(base: &str, key: (&str, &str), model: &Model, round: usize) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let v = match rpc(&client, base, key, "DescribeNatGateways", &[("PageSize", "50".into())]).await {
        Outcome::Answer(200, v) => v,
        Outcome::Answer(s, v) => panic!("round {round}: DescribeNatGateways {s}: {v}"),
        Outcome::Lost | Outcome::Down => panic!("round {round}: no answer"),
    };
    for g in v["NatGateways"]["NatGateway"].as_array().unwrap() {
        let id = s(g, "NatGatewayId");
        let listed: BTreeSet<String> =
            g["IpLists"]["IpList"].as_array().unwrap().iter().map(|i| s(i, "AllocationId")).collect();
        let bound: BTreeSet<String> = model
            .eips
            .iter()
            .filter(|(_, (_, eg))| eg.as_deref() == Some(id.as_str()))
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(listed, bound, "round {round}: {}: IpLists of {id}", key.0);
    }
}

/// A second process on the same data directory refuses to start (the lock file), with a message.
fn second_process_refuses(data: &Path) {
    let out = data.with_extension("second.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_aliyun-nat-emulator"))
        .args(["--listen", &format!("127.0.0.1:{}", free_port()), "--log-level", "warn"])
        .arg("--data-dir")
        .arg(data)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&out).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("a second process on the same data directory kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(!status.success() && text.contains("another aliyun-nat-emulator process"), "{status}: {text}");
    let _ = std::fs::remove_file(out);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill_9() {
    let seed: u64 = std::env::var("NAT_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    let rounds: usize = std::env::var("NAT_CRASH_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    eprintln!("crash test: seed {seed} (NAT_CRASH_SEED={seed} repeats it), {rounds} rounds");
    let data = std::env::temp_dir().join(format!("nat-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut rng = Rng(seed);
    let models: Vec<Arc<Mutex<Model>>> = WRITERS.iter().map(|_| Arc::new(Mutex::new(Model::default()))).collect();
    let seen: Seen = Arc::default();
    let mut totals = Stats::default();
    let started = Instant::now();
    for round in 0..=rounds {
        let mut emu = start(&data, round).await;
        let control = reqwest::Client::builder().no_proxy().build().unwrap();
        if round == 0 {
            second_process_refuses(&data);
            // Two more accounts, through the control plane (journaled like everything else).
            for (k, s) in &WRITERS[2..] {
                let r = control
                    .post(format!("{}/_emulator/accounts", emu.base))
                    .body(json!({"access_key_id": k, "access_key_secret": s}).to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201);
            }
        }
        let state: Value =
            control.get(format!("{}/_emulator/state", emu.base)).send().await.unwrap().json().await.unwrap();
        for (i, key) in WRITERS.iter().enumerate() {
            let mut m = models[i].lock().unwrap();
            check_account(round, key.0, &state, &mut m, &seen);
        }
        for (i, key) in WRITERS.iter().enumerate() {
            let snapshot = Model { eips: models[i].lock().unwrap().eips.clone(), ..Model::default() };
            check_ip_lists(&emu.base, *key, &snapshot, round).await;
        }
        // No address is held twice, across accounts.
        let mut addresses = BTreeSet::new();
        for acc in state["accounts"].as_array().unwrap() {
            for e in acc["regions"][REGION]["eips"].as_object().unwrap().values() {
                assert!(addresses.insert(s(e, "ip")), "round {round}: {} is held twice", e["ip"]);
            }
        }
        if round == rounds {
            emu.kill9();
            break;
        }
        let handles: Vec<_> = WRITERS
            .iter()
            .zip(&models)
            .map(|(key, m)| tokio::spawn(writer(emu.base.clone(), *key, m.clone(), rng.next(), seen.clone(), round)))
            .collect();
        tokio::time::sleep(Duration::from_millis(100 + rng.below(500) as u64)).await;
        emu.kill9();
        for h in handles {
            let st = h.await.unwrap();
            totals.acked += st.acked;
            totals.refused += st.refused;
            totals.lost += st.lost;
        }
    }
    eprintln!(
        "crash test: {rounds} kills in {:.1} s; {} writes acknowledged, {} refused, {} lost in flight (allowed either way)",
        started.elapsed().as_secs_f64(),
        totals.acked,
        totals.refused,
        totals.lost
    );
    assert!(totals.acked > rounds as u64, "too few writes to mean anything");
    let _ = std::fs::remove_dir_all(&data);
    for round in 0..=rounds {
        let _ = std::fs::remove_file(data.with_extension(format!("round{round}.log")));
    }
}
