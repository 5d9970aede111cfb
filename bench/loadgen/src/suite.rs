//! `loadgen suite`: the whole benchmark of issue 10, against servers it starts itself.
//!
//! 1. throughput: every (workload, concurrency) cell against the emulator and the ceiling, each
//!    on a fresh server (a fresh small world), interleaved in rounds (the order of the two flips
//!    every round), medians over rounds and the emulator/ceiling ratio of every round;
//! 2. cold start (spawn → first signed 200) and idle RSS, interleaved;
//! 3. growth: describe-by-id and page-of-50 latency (c=1) as the account grows, DNAT page of a
//!    50-entry and of a 10k-entry table, RSS with 10k gateways + 100k DNAT entries, reset of it;
//! 4. reset of a 10k-gateway world, timed client-side (and by the server if its answer says).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

use crate::run::{self, Kind, Spec, Stats, Workload, World};
use crate::server::{self, Binaries, ColdStart, Server};
use crate::sign::{Scheme, Signer};
use crate::world::{self, Api, Grower};

#[derive(clap::Args, Debug, Clone)]
pub struct SuiteArgs {
    /// The emulator binary (release build).
    #[arg(long)]
    emulator: PathBuf,
    /// The ceiling binary; without it the ratios are not measured.
    #[arg(long)]
    ceiling: Option<PathBuf>,
    /// Rounds of the throughput cells (and cold-start pairs per round × 3).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds measured per cell (after the warm-up).
    #[arg(long, default_value_t = 2.0)]
    duration: f64,
    #[arg(long, default_value_t = 0.5)]
    warmup: f64,
    /// Concurrencies of the throughput cells.
    #[arg(long, value_delimiter = ',', default_value = "1,32")]
    concurrency: Vec<usize>,
    /// Workloads of the throughput cells (default: all five).
    #[arg(long, value_delimiter = ',', value_enum)]
    workloads: Vec<Workload>,
    /// Also run describe-by-id signed with ACS3 (emulator only).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    acs3: bool,
    /// Client runtime threads (1: a single-threaded client, like `wrk -t1`).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// The emulator's --log-level during the benchmark (its default is info).
    #[arg(long, default_value = "info")]
    log_level: String,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// An extra emulator flag (repeatable), e.g. --emulator-arg=--journal-size=0.
    #[arg(long = "emulator-arg", allow_hyphen_values = true)]
    emulator_args: Vec<String>,
    /// Cold starts per server.
    #[arg(long, default_value_t = 10)]
    coldstart_runs: usize,
    /// Resources in the account at each growth step (gateways up to --max-gateways, DNAT entries beyond).
    #[arg(long, value_delimiter = ',', default_value = "10,50,1000,10000,100000")]
    growth_levels: Vec<usize>,
    /// DNAT entries per table when filling the account with entries (one gateway and EIP each).
    #[arg(long, default_value_t = 1000)]
    table_size: usize,
    #[arg(long, default_value_t = 10_000)]
    max_gateways: usize,
    /// Entries of the large table of the DNAT page-size comparison (against a 50-entry table).
    #[arg(long, default_value_t = 10_000)]
    big_table: usize,
    /// DNAT entries of the big-world memory measurement (with --max-gateways gateways).
    #[arg(long, default_value_t = 100_000)]
    big_entries: usize,
    /// Seconds allowed for filling DNAT entries at a growth level (and again for the big world);
    /// when it runs out, the world reached is measured and the shortfall reported.
    #[arg(long, default_value_t = 120.0)]
    fill_budget: f64,
    /// Seconds measured per growth point (c=1), three times (the median run is kept).
    #[arg(long, default_value_t = 1.0)]
    growth_duration: f64,
    /// Gateways of the reset measurement's world, and how many times it is built and reset.
    #[arg(long, default_value_t = 10_000)]
    reset_gateways: usize,
    #[arg(long, default_value_t = 3)]
    reset_runs: usize,
    /// Connections used to build worlds.
    #[arg(long, default_value_t = 8)]
    prefill_concurrency: usize,
    /// Phases to run.
    #[arg(long, value_delimiter = ',', default_value = "throughput,coldstart,growth,reset")]
    phases: Vec<String>,
    /// The commit measured (scripts/bench passes `git describe`), for the report.
    #[arg(long, default_value = "")]
    commit: String,
    /// Where results.json and results.md go.
    #[arg(long, default_value = "out/bench")]
    out: PathBuf,
}

#[derive(Debug, Clone, Serialize)]
struct Cell {
    workload: Workload,
    scheme: &'static str,
    concurrency: usize,
    emulator: Vec<Stats>,
    ceiling: Vec<Stats>,
}

#[derive(Debug, Clone, Default, Serialize)]
struct GrowthPoint {
    label: String,
    gateways: usize,
    entries: usize,
    by_id: Option<Stats>,
    page50: Option<Stats>,
    /// The server's VmRSS at this point, KiB.
    rss_kib: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
struct DnatPoint {
    label: String,
    table_entries: usize,
    region_entries: usize,
    stats: Stats,
}

#[derive(Debug, Default, Serialize)]
struct Results {
    machine: Value,
    config: Value,
    cells: Vec<Cell>,
    coldstart_emulator: Vec<ColdStart>,
    coldstart_ceiling: Vec<ColdStart>,
    growth: Vec<GrowthPoint>,
    growth_ceiling: Vec<GrowthPoint>,
    dnat_growth: Vec<DnatPoint>,
    prefill_seconds: Vec<(String, f64)>,
    big_world: Option<Value>,
    reset: Vec<Value>,
    reset_default_world_ms: Vec<f64>,
    notes: Vec<String>,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn minmax(v: &[f64]) -> (f64, f64) {
    v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(*x), b.max(*x)))
}

fn ms(us: f64) -> String {
    if us >= 100_000.0 {
        format!("{:.0}", us / 1000.0)
    } else if us >= 10_000.0 {
        format!("{:.1}", us / 1000.0)
    } else {
        format!("{:.2}", us / 1000.0)
    }
}

fn ratio(a: f64, b: f64) -> String {
    if a.is_finite() && b.is_finite() && b > 0.0 {
        format!("{:.2}×", a / b)
    } else {
        "–".into()
    }
}

fn rt(threads: usize) -> tokio::runtime::Runtime {
    let mut b = if threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    };
    b.enable_all().build().expect("tokio runtime")
}

pub fn main(a: SuiteArgs) -> i32 {
    let bins = Binaries {
        emulator: a.emulator.clone(),
        ceiling: a.ceiling.clone().filter(|p| server::exists(p)),
        log_level: a.log_level.clone(),
        seed: a.seed,
        extra: a.emulator_args.clone(),
    };
    if !server::exists(&bins.emulator) {
        eprintln!("loadgen suite: no emulator binary at {}", bins.emulator.display());
        return 2;
    }
    let mut res = Results {
        machine: machine(&a.commit),
        config: json!({
            "rounds": a.rounds, "duration_s": a.duration, "warmup_s": a.warmup, "concurrency": a.concurrency,
            "client_threads": a.threads, "emulator_log_level": a.log_level, "seed": a.seed,
            "prefill_concurrency": a.prefill_concurrency, "table_size": a.table_size, "fill_budget_s": a.fill_budget,
            "emulator_args": a.emulator_args, "ceiling": bins.ceiling.is_some(),
        }),
        ..Default::default()
    };
    if bins.ceiling.is_none() {
        res.notes.push("ceiling binary absent: ratios not measured (scripts/bench builds it from ../shared/bench/ceiling when present)".into());
    }
    let phase = |p: &str| a.phases.iter().any(|x| x == p);
    let started = Instant::now();
    let mut failed = false;
    if phase("throughput") {
        if let Err(e) = rt(a.threads).block_on(throughput(&a, &bins, &mut res)) {
            eprintln!("throughput: {e}");
            res.notes.push(format!("throughput phase failed: {e}"));
            failed = true;
        }
    }
    if phase("coldstart") {
        coldstart(&a, &bins, &mut res);
    }
    if phase("growth") {
        if let Err(e) = rt(a.threads).block_on(growth(&a, &bins, &mut res)) {
            eprintln!("growth: {e}");
            res.notes.push(format!("growth phase failed: {e}"));
            failed = true;
        }
    }
    if phase("reset") {
        if let Err(e) = rt(a.threads).block_on(reset(&a, &bins, &mut res)) {
            eprintln!("reset: {e}");
            res.notes.push(format!("reset phase failed: {e}"));
            failed = true;
        }
    }
    res.config["wall_seconds"] = json!(started.elapsed().as_secs_f64());
    let md = report(&res);
    println!("{md}");
    if let Err(e) = std::fs::create_dir_all(&a.out).and_then(|_| {
        std::fs::write(a.out.join("results.md"), &md)?;
        std::fs::write(a.out.join("results.json"), serde_json::to_string_pretty(&res).unwrap_or_default())
    }) {
        eprintln!("cannot write {}: {e}", a.out.display());
    } else {
        eprintln!("results: {}/results.md, results.json", a.out.display());
    }
    i32::from(failed)
}

fn log(msg: impl AsRef<str>) {
    eprintln!("[bench] {}", msg.as_ref());
}

async fn throughput(a: &SuiteArgs, bins: &Binaries, res: &mut Results) -> Result<(), String> {
    let workloads = if a.workloads.is_empty() {
        vec![Workload::ById, Workload::Page50, Workload::CreateGw, Workload::DnatCd, Workload::DnatPage50]
    } else {
        a.workloads.clone()
    };
    let mut cells: Vec<Cell> = Vec::new();
    for w in &workloads {
        for c in &a.concurrency {
            cells.push(Cell { workload: *w, scheme: "v1", concurrency: *c, emulator: vec![], ceiling: vec![] });
        }
    }
    if a.acs3 && workloads.contains(&Workload::ById) {
        for c in &a.concurrency {
            cells.push(Cell {
                workload: Workload::ById,
                scheme: "acs3",
                concurrency: *c,
                emulator: vec![],
                ceiling: vec![],
            });
        }
    }
    let signer = Signer::new("testid", "testsecret");
    for round in 0..a.rounds {
        log(format!("throughput round {}/{}", round + 1, a.rounds));
        for cell in cells.iter_mut() {
            let mut targets = vec![Kind::Emulator];
            if cell.workload.on_ceiling() && cell.scheme == "v1" && bins.ceiling.is_some() {
                targets.push(Kind::Ceiling);
            }
            if round % 2 == 1 {
                targets.reverse();
            }
            for kind in targets {
                let mut srv = Server::start(bins, kind, 50).await?;
                let world = match kind {
                    Kind::Emulator => world::small_world(srv.addr).await?,
                    Kind::Ceiling => World::ceiling(50),
                };
                let spec = Spec {
                    workload: cell.workload,
                    scheme: if cell.scheme == "acs3" { Scheme::Acs3 } else { Scheme::V1 },
                    concurrency: cell.concurrency,
                    duration: Some(Duration::from_secs_f64(a.duration)),
                    requests: None,
                    warmup: Duration::from_secs_f64(a.warmup),
                };
                let st = run::run(srv.addr, &signer, &world, &spec).await;
                log(format!(
                    "  {:<22} {:<4} c={:<3} {:<8} {:>8.0} req/s  p50 {} ms  p99 {} ms  errors {}",
                    cell.workload.name(),
                    cell.scheme,
                    cell.concurrency,
                    format!("{kind:?}").to_lowercase(),
                    st.rps,
                    ms(st.p50_us as f64),
                    ms(st.p99_us as f64),
                    st.errors_text()
                ));
                srv.stop();
                match kind {
                    Kind::Emulator => cell.emulator.push(st),
                    Kind::Ceiling => cell.ceiling.push(st),
                }
            }
        }
    }
    res.cells = cells;
    Ok(())
}

fn coldstart(a: &SuiteArgs, bins: &Binaries, res: &mut Results) {
    log(format!("cold start × {} each", a.coldstart_runs));
    for i in 0..a.coldstart_runs {
        let mut kinds = vec![Kind::Emulator];
        if bins.ceiling.is_some() {
            kinds.push(Kind::Ceiling);
        }
        if i % 2 == 1 {
            kinds.reverse();
        }
        for k in kinds {
            match server::cold_start(bins, k) {
                Ok(c) => match k {
                    Kind::Emulator => res.coldstart_emulator.push(c),
                    Kind::Ceiling => res.coldstart_ceiling.push(c),
                },
                Err(e) => res.notes.push(format!("cold start {k:?}: {e}")),
            }
        }
    }
}

/// Three c=1 runs of `secs` each; the one with the median p50 (a shared machine's bursts of other
/// load hit single runs).
async fn c1_median(addr: std::net::SocketAddr, signer: &Signer, w: &World, workload: Workload, secs: f64) -> Stats {
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(run::run(addr, signer, w, &c1(workload, secs)).await);
    }
    runs.sort_by_key(|s| s.p50_us);
    runs.swap_remove(1)
}

fn c1(workload: Workload, secs: f64) -> Spec {
    Spec {
        workload,
        scheme: Scheme::V1,
        concurrency: 1,
        duration: Some(Duration::from_secs_f64(secs)),
        requests: None,
        warmup: Duration::from_millis(200),
    }
}

async fn growth(a: &SuiteArgs, bins: &Binaries, res: &mut Results) -> Result<(), String> {
    let signer = Signer::new("testid", "testsecret");
    // The ceiling's by-id at the smallest and largest level, for reference.
    if bins.ceiling.is_some() {
        let mut levels =
            vec![*a.growth_levels.iter().min().unwrap_or(&10), *a.growth_levels.iter().max().unwrap_or(&10)];
        levels.dedup();
        for n in levels {
            let mut srv = Server::start(bins, Kind::Ceiling, n).await?;
            let w = World::ceiling(n);
            let st = c1_median(srv.addr, &signer, &w, Workload::ById, a.growth_duration).await;
            let rss_kib = srv.memory_kib().map(|m| m.0).unwrap_or(0);
            srv.stop();
            res.growth_ceiling.push(GrowthPoint {
                label: n.to_string(),
                gateways: n,
                entries: 0,
                by_id: Some(st),
                page50: None,
                rss_kib,
            });
        }
    }
    let mut srv = Server::start(bins, Kind::Emulator, 0).await?;
    let mut g = Grower::new(srv.addr, world::REGION, a.prefill_concurrency).await?;
    let mut levels = a.growth_levels.clone();
    levels.sort_unstable();
    // Gateway 0 holds the 50-entry table, gateway 1 the 10k-entry one; 2, 3, … the bulk tables.
    let mut next_gw = 2usize;
    let mut dnat_done = false;
    for &level in &levels {
        let gws = level.min(a.max_gateways);
        let t = g.gateways_to(gws).await?;
        res.prefill_seconds.push((format!("{}: gateways → {gws}", g.region), t));
        log(format!("growth: {gws} gateways ({t:.1} s)"));
        let want_entries = level - gws;
        if want_entries > g.entries {
            let t0 = Instant::now();
            g.deadline = Some(t0 + Duration::from_secs_f64(a.fill_budget));
            fill_entries(&mut g, want_entries, a.table_size, &mut next_gw).await?;
            g.deadline = None;
            let t = t0.elapsed().as_secs_f64();
            res.prefill_seconds.push((format!("{}: DNAT entries → {}", g.region, g.entries), t));
            log(format!("growth: {} DNAT entries ({t:.1} s)", g.entries));
            if g.entries < want_entries {
                res.notes.push(format!(
                    "growth level {level}: the fill budget ({:.0} s, --fill-budget) ran out at {} DNAT entries \
                     ({} resources instead of {level}); measured there",
                    a.fill_budget,
                    g.entries,
                    g.gateways.len() + g.entries
                ));
            }
        }
        let w = g.world(0);
        let by_id = c1_median(srv.addr, &signer, &w, Workload::ById, a.growth_duration).await;
        let page = c1_median(srv.addr, &signer, &w, Workload::Page50, a.growth_duration).await;
        log(format!(
            "growth {level}: by-id p50 {} ms, page-of-50 p50 {} ms",
            ms(by_id.p50_us as f64),
            ms(page.p50_us as f64)
        ));
        res.growth.push(GrowthPoint {
            label: level.to_string(),
            gateways: g.gateways.len(),
            entries: g.entries,
            by_id: Some(by_id),
            page50: Some(page),
            rss_kib: srv.memory_kib().map(|m| m.0).unwrap_or(0),
        });
        if gws >= a.max_gateways && !dnat_done && g.gateways.len() > 2 {
            // DNAT pages: a 50-entry table alone in the region, a 10k-entry table, and the
            // 50-entry table again with the 10k entries beside it.
            dnat_done = true;
            let ta = g.table_with(0, 50).await?;
            let st = c1_median(srv.addr, &signer, &g.world(ta), Workload::DnatPage50, a.growth_duration).await;
            res.dnat_growth.push(DnatPoint {
                label: "50-entry table".into(),
                table_entries: 50,
                region_entries: g.entries,
                stats: st,
            });
            let t0 = Instant::now();
            let tb = g.table_with(1, a.big_table).await?;
            let t = t0.elapsed().as_secs_f64();
            res.prefill_seconds.push((format!("{}: one table → {} DNAT entries", g.region, a.big_table), t));
            log(format!("growth: one table with {} DNAT entries ({t:.1} s)", a.big_table));
            let st = c1_median(srv.addr, &signer, &g.world(tb), Workload::DnatPage50, a.growth_duration).await;
            res.dnat_growth.push(DnatPoint {
                label: format!("{}-entry table", a.big_table),
                table_entries: a.big_table,
                region_entries: g.entries,
                stats: st,
            });
            let st = c1_median(srv.addr, &signer, &g.world(ta), Workload::DnatPage50, a.growth_duration).await;
            res.dnat_growth.push(DnatPoint {
                label: format!("50-entry table, beside the {}-entry one", a.big_table),
                table_entries: 50,
                region_entries: g.entries,
                stats: st,
            });
        }
    }
    // The big world: --max-gateways gateways here, then DNAT entries up to --big-entries, topped up
    // in the account's other regions (a few gateways each), where the per-region scans of the
    // current code make filling much faster. Memory does not care which region holds them.
    if a.big_entries > 0 {
        g.gateways_to(a.max_gateways).await?;
        let mut total_gateways = g.gateways.len();
        let mut total_entries = g.entries;
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs_f64(a.fill_budget);
        let mut api = Api::connect(srv.addr).await?;
        let regions = api.call("DescribeRegions", &[]).await?;
        let regions: Vec<String> = regions["Regions"]["Region"]
            .as_array()
            .map(|v| v.iter().filter_map(|r| r["RegionId"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        let others: Vec<&String> = regions.iter().filter(|r| r.as_str() != world::REGION).collect();
        for (i, region) in others.iter().enumerate() {
            if total_entries >= a.big_entries || Instant::now() >= deadline {
                break;
            }
            let share = (a.big_entries - total_entries).div_ceil(others.len() - i);
            let mut rg = Grower::new(srv.addr, region, a.prefill_concurrency).await?;
            rg.deadline = Some(deadline);
            let tables = share.div_ceil(a.table_size);
            rg.gateways_to(tables).await?;
            let mut next = 0usize;
            fill_entries(&mut rg, share, a.table_size, &mut next).await?;
            total_gateways += rg.gateways.len();
            total_entries += rg.entries;
            log(format!("big world: {region}: {} gateways, {} DNAT entries", rg.gateways.len(), rg.entries));
        }
        res.prefill_seconds
            .push((format!("other regions: DNAT entries → {} in all", total_entries), t0.elapsed().as_secs_f64()));
        if total_entries < a.big_entries {
            res.notes.push(format!(
                "big world: the fill budget ran out at {total_entries} DNAT entries (wanted {})",
                a.big_entries
            ));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (rss, hwm) = srv.memory_kib().unwrap_or((0, 0));
        log(format!("big world: {total_gateways} gateways + {total_entries} DNAT entries: RSS {} MiB", rss / 1024));
        let t0 = Instant::now();
        let (status, answer) = api.control("POST", "/_emulator/reset", Some("{}")).await?;
        let reset_ms = t0.elapsed().as_secs_f64() * 1000.0;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let after = srv.memory_kib().map(|m| m.0).unwrap_or(0);
        res.big_world = Some(json!({
            "gateways": total_gateways, "entries": total_entries,
            "entries_in_growth_region": g.entries, "rss_kib": rss, "hwm_kib": hwm,
            "reset_ms": reset_ms, "reset_status": status, "reset_answer": answer, "rss_after_reset_kib": after,
        }));
    }
    srv.stop();
    Ok(())
}

/// DNAT entries up to `total` (in tables of `size` on gateways `next`, `next+1`, …; the tables
/// made before count), or as many as the grower's deadline allows.
async fn fill_entries(g: &mut Grower, total: usize, size: usize, next: &mut usize) -> Result<(), String> {
    let t0 = Instant::now();
    let mut logged = g.entries;
    while g.entries < total {
        if g.deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let gw = *next;
        if gw >= g.gateways.len() {
            return Err(format!("not enough gateways in {} for {total} DNAT entries", g.region));
        }
        let have = g.tables.iter().find(|t| t.0 == gw).map(|t| t.4).unwrap_or(0);
        let add = size.saturating_sub(have).min(total - g.entries);
        g.table_with(gw, have + add).await?;
        *next += 1;
        if g.entries >= logged + 10_000 {
            logged = g.entries;
            log(format!("  {}: {} DNAT entries ({:.1} s)", g.region, g.entries, t0.elapsed().as_secs_f64()));
        }
    }
    Ok(())
}

async fn reset(a: &SuiteArgs, bins: &Binaries, res: &mut Results) -> Result<(), String> {
    let mut srv = Server::start(bins, Kind::Emulator, 0).await?;
    let mut api = Api::connect(srv.addr).await?;
    for _ in 0..5 {
        let t0 = Instant::now();
        api.control("POST", "/_emulator/reset", Some("{}")).await?;
        res.reset_default_world_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    for run in 0..a.reset_runs {
        let mut g = Grower::new(srv.addr, world::REGION, a.prefill_concurrency).await?;
        let build = g.gateways_to(a.reset_gateways).await?;
        let resources = g.gateways.len() + 2 * g.vpcs.len();
        let t0 = Instant::now();
        let (status, answer) = api.control("POST", "/_emulator/reset", Some("{}")).await?;
        let t = t0.elapsed().as_secs_f64() * 1000.0;
        let server = answer
            .get("duration_us")
            .and_then(Value::as_u64)
            .map_or(String::new(), |us| format!(" (server: {:.3} ms)", us as f64 / 1000.0));
        log(format!(
            "reset {}/{}: {} gateways (built in {build:.1} s) reset in {t:.2} ms{server}",
            run + 1,
            a.reset_runs,
            g.gateways.len()
        ));
        res.reset.push(json!({
            "gateways": g.gateways.len(), "resources": resources, "build_s": build, "reset_ms": t,
            "status": status, "answer": answer,
        }));
    }
    srv.stop();
    Ok(())
}

/// nproc, CPU model, memory, date and commit.
fn machine(commit: &str) -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu": model,
        "memory_gib": (mem_kib as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "date": crate::sign::iso8601(secs),
        "commit": commit,
        "loadavg_at_start": load.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    })
}

fn report(r: &Results) -> String {
    let mut s = String::new();
    let m = &r.machine;
    let _ = writeln!(
        s,
        "Machine: {} CPUs ({}), {} GiB; {}; commit {}; load average at start {}; whole run {:.0} s\n",
        m["nproc"],
        m["cpu"].as_str().unwrap_or(""),
        m["memory_gib"],
        m["date"].as_str().unwrap_or(""),
        m["commit"].as_str().filter(|c| !c.is_empty()).unwrap_or("?"),
        m["loadavg_at_start"].as_str().unwrap_or(""),
        r.config["wall_seconds"].as_f64().unwrap_or(0.0)
    );
    if !r.cells.is_empty() {
        let _ = writeln!(
            s,
            "## Throughput (median of {} rounds; ratio = emulator / ceiling, per-round range in brackets)\n",
            r.config["rounds"]
        );
        let _ = writeln!(
        s,
        "| workload | c | emulator req/s | ceiling req/s | ratio | emulator p50 / p99 / max ms | ceiling p50 / p99 / max ms | errors (emulator; ceiling) |"
    );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
        for c in &r.cells {
            let med = |v: &[Stats], f: fn(&Stats) -> f64| median(v.iter().map(f).collect());
            let e_rps = med(&c.emulator, |x| x.rps);
            let name =
                if c.scheme == "acs3" { format!("{} (ACS3)", c.workload.name()) } else { c.workload.name().to_owned() };
            let lat = |v: &[Stats]| {
                if v.is_empty() {
                    return "–".to_owned();
                }
                format!(
                    "{} / {} / {}",
                    ms(med(v, |x| x.p50_us as f64)),
                    ms(med(v, |x| x.p99_us as f64)),
                    ms(v.iter().map(|x| x.max_us).max().unwrap_or(0) as f64)
                )
            };
            let errs = |v: &[Stats]| {
                let mut m = std::collections::BTreeMap::<String, u64>::new();
                for x in v {
                    for (k, n) in &x.errors {
                        *m.entry(k.clone()).or_default() += n;
                    }
                }
                if m.is_empty() {
                    "0".to_owned()
                } else {
                    m.iter().map(|(k, n)| format!("{n}× {k}")).collect::<Vec<_>>().join(", ")
                }
            };
            let (c_rps, ratio) = if c.ceiling.is_empty() {
                ("–".to_owned(), "–".to_owned())
            } else {
                let c_rps = med(&c.ceiling, |x| x.rps);
                let per_round: Vec<f64> = c
                    .emulator
                    .iter()
                    .zip(&c.ceiling)
                    .map(|(e, k)| if k.rps > 0.0 { e.rps / k.rps } else { f64::NAN })
                    .collect();
                let (lo, hi) = minmax(&per_round);
                (format!("{c_rps:.0}"), format!("**{:.2}×** [{lo:.2}–{hi:.2}]", median(per_round.clone())))
            };
            let extra = if c.workload == Workload::DnatCd { " (2 requests per iteration)" } else { "" };
            let _ = writeln!(
                s,
                "| {name}{extra} | {} | {e_rps:.0} | {c_rps} | {ratio} | {} | {} | {}{} |",
                c.concurrency,
                lat(&c.emulator),
                lat(&c.ceiling),
                errs(&c.emulator),
                if c.ceiling.is_empty() { String::new() } else { format!("; {}", errs(&c.ceiling)) }
            );
        }
    }
    if !r.coldstart_emulator.is_empty() {
        let _ = writeln!(
            s,
            "\n## Cold start and idle memory (median [min–max] of {} starts each)\n",
            r.coldstart_emulator.len()
        );
        let _ = writeln!(s, "| | emulator | ceiling | ratio |\n|---|---|---|---|");
        let f = |v: &[ColdStart], g: fn(&ColdStart) -> f64| -> (f64, String) {
            let xs: Vec<f64> = v.iter().map(g).collect();
            let (lo, hi) = minmax(&xs);
            let m = median(xs);
            (m, format!("{m:.1} [{lo:.1}–{hi:.1}]"))
        };
        let (em, et) = f(&r.coldstart_emulator, |c| c.ms);
        let (cm, ct) =
            if r.coldstart_ceiling.is_empty() { (f64::NAN, "–".into()) } else { f(&r.coldstart_ceiling, |c| c.ms) };
        let _ = writeln!(s, "| spawn → first signed 200 (ms) | {et} | {ct} | {} |", ratio(em, cm));
        let (em, et) = f(&r.coldstart_emulator, |c| c.idle_rss_kib as f64 / 1024.0);
        let (cm, ct) = if r.coldstart_ceiling.is_empty() {
            (f64::NAN, "–".into())
        } else {
            f(&r.coldstart_ceiling, |c| c.idle_rss_kib as f64 / 1024.0)
        };
        let _ = writeln!(s, "| idle RSS (MiB) | {et} | {ct} | {} |", ratio(em, cm));
    }
    if !r.growth.is_empty() {
        let _ = writeln!(
            s,
            "\n## Growth (c=1, one account, one region; describe-by-id ratio to the smallest world, page-of-50 ratio to the first world with ≥ 50 gateways)\n"
        );
        let _ = writeln!(s, "| resources | gateways | DNAT entries | describe-by-id p50 / p99 ms | ratio | page-of-50 p50 / p99 ms | ratio | RSS MiB |");
        let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
        let base_id = r.growth[0].by_id.as_ref().map(|x| x.p50_us as f64).unwrap_or(f64::NAN);
        let base_pg = r
            .growth
            .iter()
            .find(|p| p.gateways >= 50)
            .unwrap_or(&r.growth[0])
            .page50
            .as_ref()
            .map(|x| x.p50_us as f64)
            .unwrap_or(f64::NAN);
        for p in &r.growth {
            let (bi, pg) = (p.by_id.as_ref(), p.page50.as_ref());
            let cell = |x: Option<&Stats>| {
                x.map(|x| format!("{} / {}", ms(x.p50_us as f64), ms(x.p99_us as f64))).unwrap_or("–".into())
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.2}× | {} | {:.2}× | {:.1} |",
                p.label,
                p.gateways,
                p.entries,
                cell(bi),
                bi.map(|x| x.p50_us as f64).unwrap_or(f64::NAN) / base_id,
                cell(pg),
                pg.map(|x| x.p50_us as f64).unwrap_or(f64::NAN) / base_pg,
                p.rss_kib as f64 / 1024.0
            );
        }
        for p in &r.growth_ceiling {
            if let Some(x) = &p.by_id {
                let _ = writeln!(
                    s,
                    "| ceiling, {} entries | | | {} / {} | | | | {:.1} |",
                    p.label,
                    ms(x.p50_us as f64),
                    ms(x.p99_us as f64),
                    p.rss_kib as f64 / 1024.0
                );
            }
        }
    }
    if !r.dnat_growth.is_empty() {
        let _ = writeln!(s, "\n## DNAT page of 50 by table size (c=1)\n");
        let _ = writeln!(
            s,
            "| table | entries in table | entries in region | p50 / p99 ms | ratio |\n|---|---|---|---|---|"
        );
        let base = r.dnat_growth[0].stats.p50_us as f64;
        for d in &r.dnat_growth {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} / {} | {:.2}× |",
                d.label,
                d.table_entries,
                d.region_entries,
                ms(d.stats.p50_us as f64),
                ms(d.stats.p99_us as f64),
                d.stats.p50_us as f64 / base
            );
        }
    }
    if let Some(b) = &r.big_world {
        let _ = writeln!(s, "\n## Big world\n");
        let _ = writeln!(
            s,
            "{} gateways + {} DNAT entries ({} of them in {}, the rest in the account's other regions): RSS {:.1} MiB (peak {:.1} MiB); `POST /_emulator/reset` {:.2} ms (answer {}); RSS after reset {:.1} MiB",
            b["gateways"],
            b["entries"],
            b["entries_in_growth_region"],
            world::REGION,
            b["rss_kib"].as_f64().unwrap_or(0.0) / 1024.0,
            b["hwm_kib"].as_f64().unwrap_or(0.0) / 1024.0,
            b["reset_ms"].as_f64().unwrap_or(0.0),
            b["reset_answer"],
            b["rss_after_reset_kib"].as_f64().unwrap_or(0.0) / 1024.0
        );
    }
    if !r.reset.is_empty() || !r.reset_default_world_ms.is_empty() {
        let _ = writeln!(s, "\n## Reset (client-side, POST /_emulator/reset over a kept-alive connection)\n");
        let (lo, hi) = minmax(&r.reset_default_world_ms);
        let _ = writeln!(
            s,
            "- default world only: median {:.3} ms [{lo:.3}–{hi:.3}]",
            median(r.reset_default_world_ms.clone())
        );
        for x in &r.reset {
            let _ = writeln!(
                s,
                "- {} gateways ({} resources with their VPCs and vSwitches; built in {:.1} s): {:.2} ms; answer {}",
                x["gateways"],
                x["resources"],
                x["build_s"].as_f64().unwrap_or(0.0),
                x["reset_ms"].as_f64().unwrap_or(0.0),
                x["answer"]
            );
        }
    }
    if !r.prefill_seconds.is_empty() {
        let _ = writeln!(s, "\n## World building (through the API, {} connections)\n", r.config["prefill_concurrency"]);
        for (k, t) in &r.prefill_seconds {
            let _ = writeln!(s, "- {k}: {t:.1} s");
        }
    }
    for n in &r.notes {
        let _ = writeln!(s, "\nNote: {n}");
    }
    s
}
