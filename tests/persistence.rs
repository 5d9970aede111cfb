//! Persistence (`--data-dir`, docs/persistence.md), in-process over real HTTP: replay to the exact
//! state, compaction (automatic and manual), format versions, corruption and `--repair`, a torn
//! tail, the lock file, export/import, named snapshots, `--init` on a data directory, and writes
//! refused once the journal has failed. The crash test (`kill -9` of the binary) is tests/crash.rs;
//! the signer and the in-process server are tests/support.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use aliyun_nat_emulator::config::{ServeArgs, SyncMode};
use aliyun_nat_emulator::App;
use reqwest::Method;
use serde_json::{json, Value};

use support::{call, Resp, Server};

const REGION: &str = "cn-hangzhou";

/// A fresh data directory, removed (with the files beside it) when the test ends.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(self.0.with_extension("init.json"));
    }
}

fn dir(name: &str) -> TempDir {
    let p = std::env::temp_dir().join(format!("nat-persist-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    TempDir(p)
}

fn args(data: &Path) -> ServeArgs {
    ServeArgs { data_dir: Some(data.to_owned()), transition_delay_ms: 5000, ..ServeArgs::for_tests() }
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned()
}

async fn post(server: &Server, path: &str, body: Value) -> Resp {
    server.raw(Method::POST, path, Some(&body.to_string())).await
}

async fn ok(r: Resp) -> Value {
    assert!(r.status < 300, "{} {}", r.status, r.text);
    r.json()
}

async fn export(server: &Server) -> String {
    let r = server.raw(Method::GET, "/_emulator/state/export", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.text
}

/// A document with its `seq` set to 0 (it counts journal records, which a rewind does not undo).
fn without_seq(doc: &str) -> String {
    let mut v: Value = serde_json::from_str(doc).unwrap();
    v["seq"] = json!(0);
    v.to_string()
}

#[track_caller]
fn assert_same(a: &str, b: &str) {
    if a != b {
        let at = a.bytes().zip(b.bytes()).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
        let from = at.saturating_sub(200);
        panic!(
            "the documents differ at byte {at}:\n before: …{}…\n after:  …{}…",
            &a[from..(at + 200).min(a.len())],
            &b[from..(at + 200).min(b.len())]
        );
    }
}

/// A world with something of everything: VPCs and vSwitches in their lifecycles, a gateway (with a
/// ClientToken, sent twice), EIPs allocated, bound and released, DNAT and SNAT entries, tags,
/// settings, an added account, init data and a refused request. The clock is frozen first.
async fn build_world(server: &Server) -> Vec<String> {
    ok(post(server, "/_emulator/clock", json!({"freeze": true})).await).await;
    let d = call("DescribeVpcs").p("IsDefault", "true").send(server).await.ok();
    let vpc0 = s(&d["Vpcs"]["Vpc"][0], "VpcId");
    let vsw0 = d["Vpcs"]["Vpc"][0]["VSwitchIds"]["VSwitchId"][0].as_str().unwrap().to_owned();
    let vpc1 = s(&call("CreateVpc").p("CidrBlock", "10.0.0.0/8").send(server).await.ok(), "VpcId");
    ok(post(server, "/_emulator/clock", json!({"advance_seconds": 5})).await).await;
    let vsw1 = s(
        &call("CreateVSwitch")
            .p("VpcId", &vpc1)
            .p("ZoneId", "cn-hangzhou-h")
            .p("CidrBlock", "10.1.0.0/24")
            .send(server)
            .await
            .ok(),
        "VSwitchId",
    );
    let nat = || {
        call("CreateNatGateway")
            .p("VpcId", &vpc0)
            .p("VSwitchId", &vsw0)
            .p("NatType", "Enhanced")
            .p("ClientToken", "persist-token-1")
    };
    let gw = nat().send(server).await.ok();
    let again = nat().send(server).await.ok();
    assert_eq!(gw["NatGatewayId"], again["NatGatewayId"], "ClientToken");
    let eip1 = call("AllocateEipAddress").send(server).await.ok();
    let eip2 = call("AllocateEipAddress").send(server).await.ok();
    call("ReleaseEipAddress").p("AllocationId", &s(&eip2, "AllocationId")).send(server).await.ok();
    ok(post(server, "/_emulator/clock", json!({"advance_seconds": 5})).await).await;
    let gw_id = s(&gw, "NatGatewayId");
    call("AssociateEipAddress")
        .p("AllocationId", &s(&eip1, "AllocationId"))
        .p("InstanceId", &gw_id)
        .p("InstanceType", "Nat")
        .send(server)
        .await
        .ok();
    ok(post(server, "/_emulator/clock", json!({"advance_seconds": 5})).await).await;
    let stb = gw["SnatTableIds"]["SnatTableId"][0].as_str().unwrap().to_owned();
    let ftb = gw["ForwardTableIds"]["ForwardTableId"][0].as_str().unwrap().to_owned();
    let ip = s(&eip1, "EipAddress");
    let snat = call("CreateSnatEntry")
        .p("SnatTableId", &stb)
        .p("SourceVSwitchId", &vsw0)
        .p("SnatIp", &ip)
        .send(server)
        .await
        .ok();
    let dnat = call("CreateForwardEntry")
        .p("ForwardTableId", &ftb)
        .p("ExternalIp", &ip)
        .p("ExternalPort", "80")
        .p("InternalIp", "172.16.0.10")
        .p("InternalPort", "8080")
        .p("IpProtocol", "TCP")
        .p("PortBreak", "true")
        .send(server)
        .await
        .ok();
    call("TagResources")
        .p("ResourceType", "VPC")
        .p("ResourceId.1", &vpc1)
        .p("Tag.1.Key", "env")
        .p("Tag.1.Value", "test")
        .send(server)
        .await
        .ok();
    // Refused: changes nothing and is not journaled.
    call("CreateVpc").p("CidrBlock", "not-a-cidr").send(server).await.err(400, "InvalidParameter");
    ok(post(server, "/_emulator/config", json!({"quotas": {"vpcs_per_region": 12}})).await).await;
    ok(post(server, "/_emulator/accounts", json!({"access_key_id": "k3", "access_key_secret": "s3"})).await).await;
    call("CreateVpc").creds("k3", "s3").p("CidrBlock", "192.168.0.0/16").send(server).await.ok();
    let init = ok(post(
        server,
        "/_emulator/init",
        json!([{"action": "CreateVpc", "params": {"RegionId": REGION, "CidrBlock": "172.20.0.0/16"}, "as": "v"}]),
    )
    .await)
    .await;
    let vpc2 = init["results"]["v"]["VpcId"].as_str().unwrap().to_owned();
    vec![vpc1, vsw1, gw_id, s(&eip1, "AllocationId"), s(&snat, "SnatEntryId"), s(&dnat, "ForwardEntryId"), vpc2]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_replays_to_the_exact_state_and_ids_keep_increasing() {
    let data = dir("replay");
    let server = Server::start(args(&data)).await;
    let ids = build_world(&server).await;
    let before = export(&server).await;
    let eip_ips: Vec<String> = {
        let v = call("DescribeEipAddresses").send(&server).await.ok();
        v["EipAddresses"]["EipAddress"].as_array().unwrap().iter().map(|e| s(e, "IpAddress")).collect()
    };
    server.stop().await;

    // Another seed and other delays on the command line: the data directory's win.
    let restarted = Server::start(ServeArgs { seed: Some(99), transition_delay_ms: 0, ..args(&data) }).await;
    let after = export(&restarted).await;
    assert_same(&before, &after);
    for id in &ids {
        assert!(after.contains(id.as_str()), "{id}");
    }
    let config = ok(restarted.raw(Method::GET, "/_emulator/config", None).await).await;
    assert_eq!(config["delays"]["vpc_create_ms"], 5000);
    assert_eq!(config["quotas"]["vpcs_per_region"], 12);
    let clock = ok(restarted.raw(Method::GET, "/_emulator/clock", None).await).await;
    assert_eq!(clock["frozen"], true);
    // The gateway made with a ClientToken still answers the retry with the same id.
    let g = call("DescribeNatGateways").send(&restarted).await.ok();
    assert_eq!(g["TotalCount"], 1);
    // New resources get fresh ids and a fresh address.
    let vpc = s(&call("CreateVpc").p("CidrBlock", "10.0.0.0/8").send(&restarted).await.ok(), "VpcId");
    assert!(!before.contains(vpc.as_str()), "{vpc} was handed out before the restart");
    let eip = call("AllocateEipAddress").send(&restarted).await.ok();
    assert!(!before.contains(s(&eip, "AllocationId").as_str()));
    assert!(!eip_ips.contains(&s(&eip, "EipAddress")));
    // The added account survived, with its key.
    call("DescribeVpcs").creds("k3", "s3").send(&restarted).await.ok();
    restarted.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshots_compact_the_journal_automatically_and_on_demand() {
    let data = dir("compact");
    let quick = || ServeArgs { snapshot_after_bytes: 2048, transition_delay_ms: 0, ..args(&data) };
    let server = Server::start(quick()).await;
    ok(post(&server, "/_emulator/clock", json!({"freeze": true})).await).await;
    for i in 0..30 {
        let vpc = s(&call("CreateVpc").p("VpcName", &format!("v{i}")).send(&server).await.ok(), "VpcId");
        call("DeleteVpc").p("VpcId", &vpc).send(&server).await.ok();
    }
    // Compaction runs in the background once the journal passes 2 KiB.
    let mut status = Value::Null;
    for _ in 0..200 {
        status = ok(server.raw(Method::GET, "/_emulator/snapshot", None).await).await;
        if status["journal_bytes"].as_u64().unwrap() < 2048 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(status["journal_bytes"].as_u64().unwrap() < 2048, "{status}");
    assert!(status["seq"].as_u64().unwrap() >= 60, "{status}");
    let snapshot_len = std::fs::metadata(data.join("snapshot.bin")).unwrap().len();
    assert!(snapshot_len > 1000);
    // On demand: the journal is left with its header only.
    call("CreateVpc").p("VpcName", "after").send(&server).await.ok();
    let snap = ok(post(&server, "/_emulator/snapshot", json!({})).await).await;
    let status = ok(server.raw(Method::GET, "/_emulator/snapshot", None).await).await;
    assert_eq!(status["journal_bytes"], 20, "{status}");
    assert_eq!(status["seq"], snap["seq"]);
    let before = export(&server).await;
    server.stop().await;
    let restarted = Server::start(quick()).await;
    assert_same(&before, &export(&restarted).await);
    restarted.stop().await;

    // Without a data directory there is nothing to compact.
    let memory = Server::start(ServeArgs::for_tests()).await;
    assert_eq!(post(&memory, "/_emulator/snapshot", json!({})).await.status, 409);
    let status = ok(memory.raw(Method::GET, "/_emulator/snapshot", None).await).await;
    assert_eq!(status["data_dir"], Value::Null);
}

/// Writes three VPCs (one record each, after the start's snapshot) and stops.
async fn three_vpcs(data: &Path) -> Vec<String> {
    let server = Server::start(args(data)).await;
    let mut ids = vec![];
    for name in ["a", "b", "c"] {
        ids.push(s(&call("CreateVpc").p("VpcName", name).send(&server).await.ok(), "VpcId"));
    }
    server.stop().await;
    ids
}

fn journal_records(data: &Path) -> Vec<(usize, usize)> {
    let bytes = std::fs::read(data.join("journal.log")).unwrap();
    let mut pos = 20;
    let mut v = vec![];
    while pos + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[pos..pos + 4].try_into().unwrap()) as usize;
        v.push((pos, len));
        pos += 8 + len;
    }
    v
}

async fn vpc_names(server: &Server) -> Vec<String> {
    let v = call("DescribeVpcs").p("PageSize", "50").send(server).await.ok();
    let mut names: Vec<String> = v["Vpcs"]["Vpc"].as_array().unwrap().iter().map(|x| s(x, "VpcName")).collect();
    names.retain(|n| !n.is_empty());
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread")]
async fn corruption_refuses_to_start_and_repair_keeps_the_valid_prefix() {
    let data = dir("corrupt");
    three_vpcs(&data).await;
    let records = journal_records(&data);
    assert_eq!(records.len(), 3);
    let mut bytes = std::fs::read(data.join("journal.log")).unwrap();
    bytes[records[1].0 + 12] ^= 0x55; // inside the second record's payload
    std::fs::write(data.join("journal.log"), &bytes).unwrap();
    let e = App::new(&args(&data)).err().expect("a damaged journal refuses to start");
    assert!(e.contains("damaged") && e.contains("--repair") && e.contains("keep the 1 records"), "{e}");
    assert!(e.contains("at least 1 valid records"), "{e}");
    // --repair: the first record is kept, the rest is lost, and the directory is clean again.
    let repaired = Server::start(ServeArgs { repair: true, ..args(&data) }).await;
    assert_eq!(vpc_names(&repaired).await, ["a"]);
    call("CreateVpc").p("VpcName", "d").send(&repaired).await.ok();
    repaired.stop().await;
    let again = Server::start(args(&data)).await;
    assert_eq!(vpc_names(&again).await, ["a", "d"]);
    again.stop().await;

    // A damaged snapshot: refused; --repair starts from the world file.
    let data = dir("corrupt-snapshot");
    three_vpcs(&data).await;
    let mut snap = std::fs::read(data.join("snapshot.bin")).unwrap();
    let n = snap.len();
    snap[n - 5] ^= 1;
    std::fs::write(data.join("snapshot.bin"), &snap).unwrap();
    let e = App::new(&args(&data)).err().unwrap();
    assert!(e.contains("checksum") && e.contains("--repair"), "{e}");
    let repaired = Server::start(ServeArgs { repair: true, ..args(&data) }).await;
    assert!(vpc_names(&repaired).await.is_empty());
    repaired.stop().await;

    // A journal whose snapshot is gone.
    let data = dir("missing-snapshot");
    three_vpcs(&data).await;
    std::fs::remove_file(data.join("snapshot.bin")).unwrap();
    let e = App::new(&args(&data)).err().unwrap();
    assert!(e.contains("missing") && e.contains("--repair"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_torn_final_record_is_dropped() {
    let data = dir("torn");
    three_vpcs(&data).await;
    let len = std::fs::metadata(data.join("journal.log")).unwrap().len();
    // A crash in the middle of writing the last record (it was never acknowledged).
    let f = std::fs::OpenOptions::new().write(true).open(data.join("journal.log")).unwrap();
    f.set_len(len - 7).unwrap();
    drop(f);
    let server = Server::start(args(&data)).await;
    assert_eq!(vpc_names(&server).await, ["a", "b"]);
    call("CreateVpc").p("VpcName", "c2").send(&server).await.ok();
    server.stop().await;
    let server = Server::start(args(&data)).await;
    assert_eq!(vpc_names(&server).await, ["a", "b", "c2"]);
    server.stop().await;
    // A zero-filled tail (what some file systems leave after a power cut) is a torn tail too.
    let mut bytes = std::fs::read(data.join("journal.log")).unwrap();
    bytes.extend_from_slice(&[0; 64]);
    std::fs::write(data.join("journal.log"), &bytes).unwrap();
    let server = Server::start(args(&data)).await;
    assert_eq!(vpc_names(&server).await, ["a", "b", "c2"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_format_version_refuses_to_start_with_a_message() {
    let data = dir("version");
    three_vpcs(&data).await;
    for file in ["snapshot.bin", "journal.log"] {
        let path = data.join(file);
        let good = std::fs::read(&path).unwrap();
        let mut v = good.clone();
        v[8] = 2;
        std::fs::write(&path, &v).unwrap();
        let e = App::new(&args(&data)).err().unwrap();
        assert!(e.contains("format version 2") && e.contains("reads version 1") && e.contains("export"), "{e}");
        std::fs::write(&path, &good).unwrap();
    }
    // A file that is not ours.
    std::fs::write(data.join("journal.log"), b"hello, world: not a journal").unwrap();
    let e = App::new(&args(&data)).err().unwrap();
    assert!(e.contains("not an aliyun-nat-emulator data file"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_process_on_the_same_directory_refuses_to_start() {
    let data = dir("lock");
    let server = Server::start(args(&data)).await;
    let e = App::new(&args(&data)).err().unwrap();
    assert!(e.contains("another aliyun-nat-emulator process"), "{e}");
    server.stop().await;
    let server = Server::start(args(&data)).await;
    server.stop().await;
    #[cfg(unix)]
    for f in ["snapshot.bin", "journal.log"] {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(data.join(f)).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{f} holds secrets: {mode:o}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_and_import_round_trip() {
    let a = Server::start(ServeArgs { transition_delay_ms: 5000, ..ServeArgs::for_tests() }).await;
    let ids = build_world(&a).await;
    let doc = export(&a).await;
    let b = Server::start(ServeArgs { seed: Some(5), ..ServeArgs::for_tests() }).await;
    let r = post(&b, "/_emulator/state/import", serde_json::from_str(&doc).unwrap()).await;
    let imported = ok(r).await;
    assert_eq!(imported["imported"], json!(["k3", "testid", "testid2"]));
    assert_same(&doc, &export(&b).await);
    // Both continue alike: the same request gives the same id and address on both.
    for server in [&a, &b] {
        assert!(!doc.contains(&s(&call("CreateVpc").send(server).await.ok(), "VpcId")));
    }
    assert_same(&export(&a).await, &export(&b).await);
    assert!(ids.iter().all(|id| doc.contains(id.as_str())));

    // Into a data directory: it survives a restart.
    let data = dir("import");
    let c = Server::start(args(&data)).await;
    ok(post(&c, "/_emulator/state/import", serde_json::from_str(&doc).unwrap()).await).await;
    let expected = export(&c).await;
    c.stop().await;
    let c = Server::start(args(&data)).await;
    assert_same(&expected, &export(&c).await);
    c.stop().await;

    // Refusals change nothing.
    let mut v: Value = serde_json::from_str(&doc).unwrap();
    let refusals = [("format", json!("something/else"), "not a state document"), ("version", json!(2), "version 2")];
    for (field, value, message) in refusals {
        let mut bad = v.clone();
        bad[field] = value;
        let r = post(&b, "/_emulator/state/import", bad).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert!(r.text.contains(message), "{}", r.text);
    }
    let states = v["states"].as_array_mut().unwrap();
    let regions = states[0]["regions"].as_object_mut().unwrap();
    let one = regions.values().next().unwrap().clone();
    regions.insert("mars-north-1".into(), one);
    let before = export(&b).await;
    let r = post(&b, "/_emulator/state/import", v).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("mars-north-1"), "{}", r.text);
    assert_same(&before, &export(&b).await);
    let r = b.raw(Method::POST, "/_emulator/state/import", Some("{")).await;
    assert_eq!(r.status, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn named_snapshots_fork_a_world_and_rewind_to_it() {
    for data in [None, Some(dir("named"))] {
        let server = match &data {
            Some(d) => Server::start(args(d)).await,
            None => Server::start(ServeArgs::for_tests()).await,
        };
        ok(post(&server, "/_emulator/clock", json!({"freeze": true})).await).await;
        call("CreateVpc").p("VpcName", "base").send(&server).await.ok();
        let base = export(&server).await;
        let saved = ok(post(&server, "/_emulator/snapshots/prepared", json!({})).await).await;
        assert_eq!(saved["name"], "prepared");
        call("CreateVpc").p("VpcName", "scratch").send(&server).await.ok();
        assert_eq!(vpc_names(&server).await, ["base", "scratch"]);
        ok(post(&server, "/_emulator/snapshots/prepared/restore", json!({})).await).await;
        assert_eq!(vpc_names(&server).await, ["base"]);
        assert_same(&without_seq(&base), &without_seq(&export(&server).await));
        let list = ok(server.raw(Method::GET, "/_emulator/snapshots", None).await).await;
        assert_eq!(list["snapshots"][0]["name"], "prepared", "{list}");
        for bad in ["..", ".hidden", "a%2Fb"] {
            let r = post(&server, &format!("/_emulator/snapshots/{bad}"), json!({})).await;
            assert!(r.status == 400 || r.status == 404, "{bad}: {} {}", r.status, r.text);
        }
        assert_eq!(post(&server, "/_emulator/snapshots/nope/restore", json!({})).await.status, 404);
        if let Some(d) = &data {
            // Named snapshots live in the data directory: they survive a restart.
            server.stop().await;
            let server = Server::start(args(d)).await;
            call("CreateVpc").p("VpcName", "later").send(&server).await.ok();
            ok(post(&server, "/_emulator/snapshots/prepared/restore", json!({})).await).await;
            assert_eq!(vpc_names(&server).await, ["base"]);
            let r = server.raw(Method::DELETE, "/_emulator/snapshots/prepared", None).await;
            assert_eq!(r.status, 200, "{}", r.text);
            let list = ok(server.raw(Method::GET, "/_emulator/snapshots", None).await).await;
            assert_eq!(list["snapshots"], json!([]));
            server.stop().await;
        } else {
            let r = server.raw(Method::DELETE, "/_emulator/snapshots/prepared", None).await;
            assert_eq!(r.status, 200, "{}", r.text);
            assert_eq!(server.raw(Method::DELETE, "/_emulator/snapshots/prepared", None).await.status, 404);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn init_data_applies_to_a_new_directory_only() {
    let data = dir("init");
    std::fs::create_dir_all(&*data).unwrap();
    let init = data.with_extension("init.json");
    std::fs::write(
        &init,
        r#"[{"action": "CreateVpc", "params": {"RegionId": "cn-hangzhou", "VpcName": "from-init"}}]"#,
    )
    .unwrap();
    let with_init = || ServeArgs { init: Some(init.clone()), ..args(&data) };
    let server = Server::start(with_init()).await;
    assert_eq!(vpc_names(&server).await, ["from-init"]);
    server.stop().await;
    let server = Server::start(with_init()).await;
    assert_eq!(vpc_names(&server).await, ["from-init"], "--init is not applied twice");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sync_mode_keeps_the_state_across_a_restart() {
    for mode in [SyncMode::Always, SyncMode::Batch, SyncMode::Never] {
        let data = dir(&format!("sync-{mode:?}"));
        let server = Server::start(ServeArgs { sync: mode, ..args(&data) }).await;
        call("CreateVpc").p("VpcName", "kept").send(&server).await.ok();
        let status = ok(server.raw(Method::GET, "/_emulator/snapshot", None).await).await;
        assert_eq!(status["sync"], format!("{mode:?}").to_lowercase());
        server.stop().await;
        let server = Server::start(args(&data)).await;
        assert_eq!(vpc_names(&server).await, ["kept"], "{mode:?}");
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_journal_refuses_every_write_until_a_restart() {
    let data = dir("failed");
    let server = Server::start(args(&data)).await;
    call("CreateVpc").p("VpcName", "before").send(&server).await.ok();
    server.app.persist.disk().unwrap().fail("disk full (simulated)".into());
    call("CreateVpc").p("VpcName", "refused").send(&server).await.err(503, "ServiceUnavailable");
    assert_eq!(vpc_names(&server).await, ["before"], "reads still work");
    let r = post(&server, "/_emulator/reset", json!({})).await;
    assert_eq!(r.status, 503, "{}", r.text);
    let status = ok(server.raw(Method::GET, "/_emulator/snapshot", None).await).await;
    assert!(status["failed"].as_str().unwrap().contains("disk full"));
    server.stop().await;
    let server = Server::start(args(&data)).await;
    call("CreateVpc").p("VpcName", "after").send(&server).await.ok();
    assert_eq!(vpc_names(&server).await, ["after", "before"]);
    server.stop().await;
}
