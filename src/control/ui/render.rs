//! The dashboard's HTML, from a [`View`]: pure functions, no I/O, no locks. maud escapes every
//! spliced value (text and attributes); only the embedded CSS and script go in unescaped.
//!
//! The page is made of static parts (the filter, the NAT trace and fault forms) and "slots"
//! (`data-slot="…"`): counts, world, clock, faults, requests. [`fragment`] renders the slots alone;
//! the script swaps them in every 2 s, so what the user typed in a form stays.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::{AccountView, UiFilter, View, CSS, JS};
use crate::actions::nat_gateway::{ip_list, using_status};
use crate::actions::snat_entry::source_cidr;
use crate::clock::{format_iso, Millis};
use crate::journal::Entry;
use crate::model::{NatGateway, Vpc};
use crate::store::RegionState;

/// Rows shown per table before "… and N more".
pub const MAX_ROWS: usize = 200;

/// The page's slots, in page order: (name, content).
pub fn slots(v: &View) -> Vec<(&'static str, Markup)> {
    vec![
        ("counts", counts(v)),
        ("world", world(v)),
        ("clock", clock(v)),
        ("requests", requests(v)),
        ("faults", faults(v)),
    ]
}

fn slot<'a>(all: &'a [(&'static str, Markup)], name: &str) -> &'a Markup {
    &all.iter().find(|(n, _)| *n == name).expect("a known slot").1
}

/// The whole page.
pub fn page(v: &View) -> Markup {
    let s = slots(v);
    let title = match (&v.filter.account, &v.filter.region) {
        (None, None) => "NAT emulator".to_owned(),
        (a, r) => format!(
            "NAT emulator · {}",
            [a.as_deref(), r.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" · ")
        ),
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(&title))
            body data-refresh-ms="2000" {
                header.top {
                    h1 { "aliyun-nat-emulator" }
                    span.muted {
                        "v" (env!("CARGO_PKG_VERSION")) " · auth " (if v.auth_strict { "strict" } else { "off" })
                    }
                    (filter_form(v))
                    label.auto title="Fetch the live parts every 2 s" {
                        input #autorefresh type="checkbox" checked;
                        " auto-refresh"
                    }
                    span #status .muted role="status" { "rendered by the server" }
                    span #flash role="status" {}
                }
                main.grid {
                    div.main-col {
                        div data-slot="counts" { (slot(&s, "counts")) }
                        div data-slot="world" { (slot(&s, "world")) }
                    }
                    aside.side-col {
                        section.card #clock-card {
                            h2 { "Virtual clock" }
                            div data-slot="clock" { (slot(&s, "clock")) }
                        }
                        section.card #requests-card {
                            h2 { "Requests" }
                            div.scroll data-slot="requests" { (slot(&s, "requests")) }
                        }
                        section.card #trace-card {
                            h2 { "NAT trace" }
                            (trace_form())
                            div #trace-result {}
                        }
                        section.card #faults-card {
                            h2 { "Fault rules" }
                            div data-slot="faults" { (slot(&s, "faults")) }
                            (fault_form(v))
                        }
                    }
                }
                script { (PreEscaped(JS)) }
            }
        }
    }
}

/// The slots alone (what the script polls).
pub fn fragment(v: &View) -> Markup {
    html! {
        @for (name, m) in slots(v) {
            div data-slot=(name) { (m) }
        }
    }
}

fn filter_form(v: &View) -> Markup {
    html! {
        form #filters method="get" {
            label {
                "account "
                select name="account" {
                    option value="" { "all" }
                    @for a in &v.all_accounts {
                        option value=(a) selected[v.filter.account.as_deref() == Some(a.as_str())] { (a) }
                    }
                }
            }
            label {
                " region "
                select name="region" {
                    option value="" { "all" }
                    @for r in &v.all_regions {
                        option value=(r) selected[v.filter.region.as_deref() == Some(r.as_str())] { (r) }
                    }
                }
            }
            " "
            button type="submit" { "Filter" }
        }
    }
}

// ---- helpers -----------------------------------------------------------------------------------

/// A status word, coloured by what it means: settled, in transition, or on its way out.
fn badge(status: &str) -> Markup {
    let class = match status {
        "Available" | "InUse" | "Active" | "running" => "ok",
        "Deleting" | "Unassociating" | "Releasing" => "bad",
        "idle" | "Idle" => "idle",
        _ => "busy",
    };
    html! { span class={ "badge " (class) } { (status) } }
}

fn dash(s: &str) -> &str {
    if s.is_empty() {
        "—"
    } else {
        s
    }
}

/// `21:31:49.123` (UTC).
fn hms(ms: Millis) -> String {
    let iso = format_iso(ms);
    format!("{}.{:03}", iso.get(11..19).unwrap_or(&iso), ms % 1000)
}

fn more(n: usize, cols: usize) -> Markup {
    html! {
        @if n > MAX_ROWS {
            tr.more { td colspan=(cols) { "… and " (n - MAX_ROWS) " more (GET /_emulator/state has them all)" } }
        }
    }
}

/// Whether a region holds anything besides its default VPC and default vSwitches.
fn busy_region(rs: &RegionState) -> bool {
    rs.vpcs.values().any(|v| !v.is_default)
        || rs.vswitches.values().any(|v| !v.is_default)
        || !rs.nat_gateways.is_empty()
        || !rs.eips.is_empty()
        || !rs.bandwidth_packages.is_empty()
}

/// The regions of an account the filter selects.
fn regions<'a>(v: &View, a: &'a AccountView) -> impl Iterator<Item = (&'a String, &'a RegionState)> {
    let want = v.filter.region.clone();
    a.state.regions.iter().filter(move |(rid, _)| want.as_deref().is_none_or(|w| w == rid.as_str()))
}

// ---- counts ------------------------------------------------------------------------------------

/// Resources per type in what the filter selects: (label, slot key, count).
pub fn count_rows(v: &View) -> Vec<(&'static str, &'static str, usize)> {
    let mut c = [0usize; 7];
    for a in &v.accounts {
        for (_, rs) in regions(v, a) {
            c[0] += rs.vpcs.len();
            c[1] += rs.vswitches.len();
            c[2] += rs.nat_gateways.len();
            c[3] += rs.eips.len();
            c[4] += rs.forward_entries.len();
            c[5] += rs.snat_entries.len();
            c[6] += rs.bandwidth_packages.len();
        }
    }
    vec![
        ("VPCs", "vpcs", c[0]),
        ("vSwitches", "vswitches", c[1]),
        ("NAT gateways", "nat_gateways", c[2]),
        ("EIPs", "eips", c[3]),
        ("DNAT entries", "forward_entries", c[4]),
        ("SNAT entries", "snat_entries", c[5]),
        ("bandwidth packages", "bandwidth_packages", c[6]),
    ]
}

fn counts(v: &View) -> Markup {
    html! {
        div.counts {
            span.chip { b { (v.accounts.len()) } " accounts" }
            @for (label, key, n) in count_rows(v) {
                span.chip data-count=(key) { b { (n) } " " (label) }
            }
            span.chip { b { (v.faults.len()) } " fault rules" }
        }
    }
}

// ---- world -------------------------------------------------------------------------------------

fn world(v: &View) -> Markup {
    html! {
        @if let Some(n) = &v.notice {
            p.notice { (n) " Pick another filter above." }
        }
        datalist #gateway-ids {
            @for a in &v.accounts {
                @for (rid, rs) in regions(v, a) {
                    @for g in rs.nat_gateways.in_order() {
                        option value=(g.id) data-account=(a.state.access_key_id) data-region=(rid) {
                            (a.state.access_key_id) " · " (rid) " · " (dash(&g.name))
                        }
                    }
                }
            }
        }
        @for a in &v.accounts {
            (account(v, a))
        }
    }
}

fn account(v: &View, a: &AccountView) -> Markup {
    let st = &a.state;
    let ak = &st.access_key_id;
    let (shown, quiet): (Vec<_>, Vec<_>) =
        regions(v, a).partition(|(_, rs)| v.filter.region.is_some() || busy_region(rs));
    html! {
        section.account data-account=(ak) {
            div.account-head {
                h2 {
                    (if a.name.is_empty() { ak.as_str() } else { a.name.as_str() })
                    " "
                    span.muted { "AccessKeyId " code { (ak) } " · account " (st.owner_id) }
                }
                span.muted.pending {
                    (st.timers.len()) " pending transitions"
                    @if let Some(next) = st.timers.next_deadline() { " (next " (format_iso(next)) ")" }
                }
                button.danger type="button" data-op="reset" data-account=(ak)
                    title="POST /_emulator/reset with this account: back to the world file's state" {
                    "Reset " (ak)
                }
            }
            @for (rid, rs) in &shown {
                (region(ak, rid, rs))
            }
            @if !quiet.is_empty() {
                p.muted.quiet {
                    (quiet.len()) " regions with only the default VPC: "
                    (quiet.iter().map(|(r, _)| r.as_str()).collect::<Vec<_>>().join(", "))
                }
            }
        }
    }
}

fn region(ak: &str, rid: &str, rs: &RegionState) -> Markup {
    let eips: Vec<_> = rs.eips.in_order().collect();
    let packages: Vec<_> = rs.bandwidth_packages.in_order().collect();
    html! {
        div.region data-region=(rid) {
            h3 {
                (rid)
                span.muted {
                    " " (rs.vpcs.len()) " VPCs · " (rs.nat_gateways.len()) " NAT gateways · " (rs.eips.len()) " EIPs"
                }
            }
            @for vpc in rs.vpcs.in_order() {
                (vpc_block(ak, rid, rs, vpc))
            }
            @if !eips.is_empty() {
                h4 { "EIPs" }
                table.t {
                    thead { tr { th { "AllocationId" } th { "IP" } th { "name" } th { "status" } th { "Mbps" } th { "ISP" } th { "bound to" } } }
                    tbody {
                        @for e in eips.iter().take(MAX_ROWS) {
                            tr data-eip=(e.id) {
                                td { code { (e.id) } }
                                td { code { (e.ip) } }
                                td { (dash(&e.name)) }
                                td { (badge(e.status.as_str())) }
                                td.num { (e.bandwidth) }
                                td { (e.isp) }
                                td {
                                    @match &e.binding {
                                        Some(b) => { span.muted { (b.instance_type) " " } code { (b.instance_id) } }
                                        None => { "—" }
                                    }
                                }
                            }
                        }
                        (more(eips.len(), 7))
                    }
                }
            }
            @if !packages.is_empty() {
                h4 { "Bandwidth packages" }
                table.t {
                    thead { tr { th { "package" } th { "name" } th { "NAT gateway" } th { "Mbps" } th { "ISP" } th { "IPs" } } }
                    tbody {
                        @for p in packages.iter().take(MAX_ROWS) {
                            tr data-package=(p.id) {
                                td { code { (p.id) } }
                                td { (dash(&p.name)) }
                                td { code { (p.nat_gateway_id) } }
                                td.num { (p.bandwidth) }
                                td { (p.isp) }
                                td {
                                    @for i in &p.ips {
                                        span.ip { code { (i.ip) } " " (badge(using_status(rs, &p.nat_gateway_id, &i.ip.to_string()).0)) }
                                    }
                                }
                            }
                        }
                        (more(packages.len(), 6))
                    }
                }
            }
        }
    }
}

fn vpc_block(ak: &str, rid: &str, rs: &RegionState, vpc: &Vpc) -> Markup {
    let vswitches: Vec<_> = rs.vswitches.group(&vpc.id).collect();
    let user_vswitches = vswitches.iter().any(|s| !s.is_default);
    html! {
        div.vpc data-vpc=(vpc.id) {
            div.vpc-head {
                span.kind { "VPC" }
                code { (vpc.id) }
                " " strong { (vpc.name) } " "
                code.muted { (vpc.cidr) } " "
                (badge(vpc.status.as_str()))
                @if vpc.is_default { " " span.tag { "default" } }
            }
            details data-key={ "vsw/" (vpc.id) } open[user_vswitches] {
                summary { (vswitches.len()) " vSwitches" }
                table.t {
                    thead { tr { th { "vSwitch" } th { "name" } th { "zone" } th { "CIDR" } th { "status" } th { "free IPs" } } }
                    tbody {
                        @for s in vswitches.iter().take(MAX_ROWS) {
                            tr data-vswitch=(s.id) {
                                td { code { (s.id) } @if s.is_default { " " span.tag { "default" } } }
                                td { (dash(&s.name)) }
                                td { (s.zone_id) }
                                td { code { (s.cidr) } }
                                td { (badge(s.status.as_str())) }
                                td.num { (s.available_ip_count()) }
                            }
                        }
                        (more(vswitches.len(), 6))
                    }
                }
            }
            @for g in rs.nat_gateways.group(&vpc.id) {
                (gateway(ak, rid, rs, g))
            }
        }
    }
}

fn gateway(ak: &str, rid: &str, rs: &RegionState, g: &NatGateway) -> Markup {
    let ips = ip_list(rs, g);
    let dnat = rs.forward_entries_of(&g.id);
    let snat = rs.snat_entries_of(&g.id);
    html! {
        div.gw data-gateway=(g.id) {
            div.gw-head {
                span.kind.nat { "NAT" }
                code { (g.id) }
                " " strong { (g.name) } " "
                (badge(g.status.as_str()))
                button.small type="button" data-op="trace-fill" data-gateway=(g.id) data-account=(ak) data-region=(rid)
                    title="Fill the NAT trace form with this gateway" { "Trace…" }
            }
            div.props {
                span { "spec " b { (dash(&g.spec)) } }
                span { "type " b { (g.nat_type) } }
                span { "network " b { (g.network_type) } }
                span { "vSwitch " code { (g.vswitch_id) } }
                span { "zone " (g.zone_id) }
                @if let Some(ip) = g.private_ip { span { "private IP " code { (ip) } } }
                span { "EIP mode " (g.eip_bind_mode) }
                @if g.deletion_protection { span.tag { "deletion protection" } }
                span.muted { "created " (format_iso(g.created_ms)) }
            }
            @if ips.is_empty() {
                p.muted.small { "No public IPs." }
            } @else {
                table.t.ips {
                    thead { tr { th { "public IP" } th { "AllocationId" } th { "UsingStatus" } th { "SNAT" } } }
                    tbody {
                        @for i in &ips {
                            tr { td { code { (i.ip_address) } } td { code { (i.allocation_id) } } td { (badge(i.using_status)) } td { (if i.snat_entry_enabled { "yes" } else { "no" }) } }
                        }
                    }
                }
            }
            h4 { "DNAT entries " span.muted { (g.forward_table_id) " · " (dnat.len()) } }
            @if !dnat.is_empty() {
                table.t {
                    thead { tr { th { "entry" } th { "name" } th { "protocol" } th { "external" } th { "" } th { "internal" } th { "status" } } }
                    tbody {
                        @for e in dnat.iter().take(MAX_ROWS) {
                            tr data-entry=(e.id) {
                                td { code { (e.id) } }
                                td { (dash(&e.name)) }
                                td { (e.ip_protocol) @if e.port_break { " " span.tag { "PortBreak" } } }
                                td { code { (e.external_ip) ":" (e.external_port) } }
                                td.arrow { "→" }
                                td { code { (e.internal_ip) ":" (e.internal_port) } }
                                td { (badge(e.status.as_str())) }
                            }
                        }
                        (more(dnat.len(), 7))
                    }
                }
            }
            h4 { "SNAT entries " span.muted { (g.snat_table_id) " · " (snat.len()) } }
            @if !snat.is_empty() {
                table.t {
                    thead { tr { th { "entry" } th { "name" } th { "source" } th { "" } th { "SNAT IPs" } th { "status" } } }
                    tbody {
                        @for e in snat.iter().take(MAX_ROWS) {
                            tr data-entry=(e.id) {
                                td { code { (e.id) } }
                                td { (dash(&e.name)) }
                                td {
                                    @if e.source_vswitch_id.is_empty() {
                                        code { (e.source_cidr) }
                                    } @else {
                                        code { (e.source_vswitch_id) }
                                        @if let Some(c) = source_cidr(rs, e) { span.muted { " " (c) } }
                                    }
                                }
                                td.arrow { "→" }
                                td { code { (e.snat_ips.join(",")) } @if e.eip_affinity == 1 { " " span.tag { "affinity" } } }
                                td { (badge(e.status.as_str())) }
                            }
                        }
                        (more(snat.len(), 6))
                    }
                }
            }
        }
    }
}

// ---- clock, faults, requests -------------------------------------------------------------------

fn clock(v: &View) -> Markup {
    let c = &v.clock;
    let offset = c.offset_ms as f64 / 1000.0;
    html! {
        div.clock {
            div.now { code #virtual-time { (format_iso(c.virtual_ms)) } " " (if c.frozen { badge("frozen") } else { badge("running") }) }
            div.muted.small { "wall " (format_iso(c.wall_ms)) " · offset " (format!("{offset:+.3}")) " s · lifecycles run on this clock" }
            div.buttons {
                button type="button" data-op="clock" data-body=r#"{"advance_seconds":1}"# { "+1 s" }
                button type="button" data-op="clock" data-body=r#"{"advance_seconds":10}"# { "+10 s" }
                button type="button" data-op="clock" data-body=r#"{"advance_seconds":60}"# { "+60 s" }
                @if c.frozen {
                    button type="button" data-op="clock" data-body=r#"{"freeze":false}"# { "Unfreeze" }
                } @else {
                    button type="button" data-op="clock" data-body=r#"{"freeze":true}"# { "Freeze" }
                }
            }
        }
    }
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    }
}

/// `{"action": "X", "account": "Y"}` → `["action=X", "account=Y"]`.
fn pairs(v: &serde_json::Value) -> Vec<String> {
    v.as_object()
        .map(|m| m.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| format!("{k}={}", json_text(x))).collect())
        .unwrap_or_default()
}

/// One line per pair; `empty` when there is none.
fn pair_lines(v: &serde_json::Value, empty: &str) -> Markup {
    let p = pairs(v);
    html! {
        @if p.is_empty() { (empty) }
        @for x in &p { div { (x) } }
    }
}

fn faults(v: &View) -> Markup {
    html! {
        @if v.faults.is_empty() {
            p.muted.small { "No fault rules: every request runs." }
        } @else {
            table.t {
                thead { tr { th { "rule" } th { "match" } th { "answer" } th { "when" } th.num title="matching calls" { "hits" } th.num title="faults injected" { "inj." } th {} } }
                tbody {
                    @for f in &v.faults {
                        @let id = json_text(&f["id"]);
                        tr data-fault=(id) {
                            td { code { (id) } }
                            td.m { (pair_lines(&f["match"], "every request")) }
                            td {
                                @if f["error"].is_object() {
                                    (json_text(&f["error"]["code"])) " " span.muted { (json_text(&f["error"]["status"])) }
                                }
                                @if f["latency_ms"].as_u64().unwrap_or(0) > 0 {
                                    " +" (json_text(&f["latency_ms"])) " ms"
                                }
                            }
                            td { (pair_lines(&f["when"], "always")) }
                            td.num { (json_text(&f["matched"])) }
                            td.num { (json_text(&f["injected"])) }
                            td { button.small type="button" data-op="delete-fault" data-id=(id) title="DELETE /_emulator/faults/{id}" { "✕" } }
                        }
                    }
                }
            }
        }
    }
}

fn fault_form(v: &View) -> Markup {
    html! {
        form #fault-form.form autocomplete="off" {
            div.row {
                label { "action" input name="action" list="action-names" placeholder="any"; }
                label { "resource id" input name="resource_id" placeholder="any"; }
            }
            div.row {
                label { "account" input name="account" list="account-ids" placeholder="any"; }
                label { "region" input name="region" list="region-ids" placeholder="any"; }
            }
            div.row {
                label {
                    "error"
                    select name="error" {
                        option value="" { "none (latency only)" }
                        @for (code, status, _) in crate::faults::PRESETS {
                            option value=(code) selected[*code == "Throttling"] { (code) " (" (status) ")" }
                        }
                    }
                }
                label { "latency ms" input name="latency_ms" type="number" min="0" max="600000" placeholder="0"; }
            }
            div.row {
                label {
                    "when"
                    select name="when" {
                        option value="" { "every matching call" }
                        option value="first" { "the first N" }
                        option value="nth" { "only the Nth" }
                        option value="probability" { "with probability P" }
                    }
                }
                label { "N or P" input name="when_value" placeholder="2"; }
            }
            div.row { label.wide { "message" input name="message" placeholder="the preset's message"; } }
            button type="submit" { "Add fault rule" }
            datalist #action-names { @for a in crate::dispatch::ACTIONS { option value=(a.name) {} } }
            datalist #account-ids { @for a in &v.all_accounts { option value=(a) {} } }
            datalist #region-ids { @for r in &v.all_regions { option value=(r) {} } }
        }
    }
}

fn trace_form() -> Markup {
    html! {
        form #trace-form.form autocomplete="off" {
            div.row { label.wide { "NAT gateway" input name="nat_gateway_id" list="gateway-ids" placeholder="ngw-… (pick or type)" required; } }
            div.row {
                label {
                    "direction"
                    select name="direction" {
                        option value="inbound" { "inbound: Internet → VPC (DNAT)" }
                        option value="outbound" { "outbound: VPC → Internet (SNAT)" }
                    }
                }
                label {
                    "protocol"
                    select name="protocol" { option value="tcp" { "tcp" } option value="udp" { "udp" } option value="icmp" { "icmp" } }
                }
            }
            div.row {
                label { "source IP" input name="src_ip" placeholder="203.0.113.7" required; }
                label.port { "port" input name="src_port" type="number" min="0" max="65535" placeholder="40000"; }
            }
            div.row {
                label { "destination IP" input name="dst_ip" placeholder="the EIP (inbound)" required; }
                label.port { "port" input name="dst_port" type="number" min="0" max="65535" placeholder="80"; }
            }
            button type="submit" { "Trace" }
        }
    }
}

/// Where the journal's detail view of a request is, relative to the page.
pub fn request_href(request_id: &str, filter: &UiFilter) -> String {
    format!("ui/requests/{}{}", crate::wire::encoding::pct_string(request_id), filter.query())
}

fn requests(v: &View) -> Markup {
    html! {
        p.muted.small {
            (v.journal_stored) " of " (v.journal_capacity) " kept · newest first"
            @if v.filter.account.is_some() || v.filter.region.is_some() { " · filtered" }
        }
        @if v.requests.is_empty() {
            p.muted.small { "No requests yet." }
        } @else {
            table.t.journal {
                thead { tr { th { "time" } th { "action" } th { "status" } th.num { "ms" } } }
                tbody {
                    @for e in &v.requests {
                        tr class=[(e.status >= 400).then_some("fail")] data-request=(e.request_id) {
                            td.small { (hms(e.wall_ms)) }
                            td {
                                a href=(request_href(&e.request_id, &v.filter)) { (e.action.as_deref().unwrap_or("(no action)")) }
                                div.muted.small.sub title=(e.method) {
                                    (e.account.as_deref().unwrap_or("—")) " · " (e.region.as_deref().unwrap_or("—"))
                                }
                            }
                            td {
                                b { (e.status) }
                                @if let Some(c) = &e.code { " " span.code { (c) } }
                                @if let Some(f) = &e.fault { " " span.tag title={ "fault rules " (f.rules.join(", ")) } { "injected" } }
                            }
                            td.num { (format!("{:.2}", e.duration_us as f64 / 1000.0)) }
                        }
                    }
                }
            }
        }
    }
}

// ---- one request -------------------------------------------------------------------------------

/// The `<head>` every page shares: the title and the embedded CSS.
fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            link rel="icon" href="data:,";
            title { (title) }
            style { (PreEscaped(CSS)) }
        }
    }
}

fn small_page(title: &str, filter: &UiFilter, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.detail {
                header.top {
                    h1 { "aliyun-nat-emulator" }
                    a href={ "../../ui" (filter.query()) } { "← dashboard" }
                }
                main.single { (body) }
            }
        }
    }
}

pub fn not_found_page(message: &str, filter: &UiFilter) -> Markup {
    small_page("Not found", filter, html! { p.notice { (message) } })
}

/// `GET /_emulator/ui/requests/{RequestId}`: the summary, the parameters (no secrets: the journal
/// never holds them), the message, and for a refused signature the diagnosis.
pub fn request_page(e: &Entry, filter: &UiFilter) -> Markup {
    let title = format!("{} {}", e.action.as_deref().unwrap_or("request"), e.request_id);
    let body = html! {
        section.card {
            h2 { (e.action.as_deref().unwrap_or("(no action)")) " " span class=(if e.status >= 400 { "badge bad" } else { "badge ok" }) { (e.status) " " (e.code.as_deref().unwrap_or("OK")) } }
            table.kv {
                tr { th { "RequestId" } td { code { (e.request_id) } } }
                tr { th { "time (wall)" } td { (format_iso(e.wall_ms)) " " span.muted { (hms(e.wall_ms)) } } }
                tr { th { "virtual time" } td { (format_iso(e.virtual_ms)) } }
                tr { th { "method" } td { (e.method) } }
                tr { th { "account" } td { code { (e.account.as_deref().unwrap_or("—")) } } }
                tr { th { "region" } td { (e.region.as_deref().unwrap_or("—")) } }
                tr { th { "duration" } td { (format!("{:.3}", e.duration_us as f64 / 1000.0)) " ms" } }
                @if let Some(f) = &e.fault {
                    tr { th { "fault" } td { "rules " (f.rules.join(", ")) " · latency " (f.latency_ms) " ms" @if f.error { " · injected error" } } }
                }
                @if let Some((attempt, delay)) = &e.client_retry {
                    tr { th { "client retry" } td { "attempt " (attempt) " · delay " (delay) } }
                }
                @if let Some(m) = &e.message {
                    tr { th { "message" } td { pre.wrap { (m) } } }
                }
            }
        }
        @if let Some(d) = &e.signature {
            section.card.signature {
                h2 { "Signature diagnosis" }
                p.cause { "Likely cause: " b { (d.likely_cause.code) } }
                p { (d.likely_cause.explanation) }
                table.kv {
                    tr { th { "scheme" } td { (d.scheme) } }
                    tr { th { "AccessKeyId" } td { code { (d.access_key_id) } } }
                    tr { th { "method" } td { (d.method) } }
                    @if let Some(s) = d.clock_skew_seconds { tr { th { "clock skew" } td { (s) " s (client minus server wall clock)" } } }
                    @if let Some(s) = &d.client.timestamp { tr { th { "client timestamp" } td { code { (s) } } } }
                    @if let Some(h) = &d.client.signed_headers { tr { th { "signed headers" } td { code { (h.join(";")) } } } }
                    @if let Some(s) = &d.client.content_sha256 { tr { th { "x-acs-content-sha256" } td { code { (s) } } } }
                    @if !d.client.body_parameters.is_empty() { tr { th { "form-body parameters" } td { (d.client.body_parameters.join(", ")) } } }
                    @if let Some(s) = &d.server {
                        @if let Some(c) = &s.canonical_request { tr { th { "server canonical request" } td { pre { (c) } } } }
                        tr { th { "server string-to-sign" } td { pre.wrap { (s.string_to_sign) } } }
                    }
                    tr { th { "hypotheses tried" } td { (if d.tried.is_empty() { "—".to_owned() } else { d.tried.join(", ") }) } }
                }
            }
        }
        section.card {
            h2 { "Parameters" span.muted { " (signatures, tokens and secrets are never kept)" } }
            table.t.params {
                thead { tr { th { "name" } th { "value" } } }
                tbody {
                    @for (k, val) in &e.params { tr { td { code { (k) } } td { code.wrap { (val) } } } }
                    @if e.params_omitted > 0 { tr.more { td colspan="2" { "… " (e.params_omitted) " more not kept" } } }
                }
            }
        }
    };
    small_page(&title, filter, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::forward_entry::create_forward_entry::tests::{create as dnat, world_with_eip};
    use crate::actions::testing::state;
    use crate::control::ui::ClockView;

    fn view_of(st: crate::store::AccountState, filter: UiFilter) -> View {
        View {
            filter,
            all_accounts: vec![st.access_key_id.clone()],
            all_regions: st.regions.keys().cloned().collect(),
            accounts: vec![AccountView { name: "default".into(), state: st }],
            clock: ClockView { virtual_ms: 1_700_000_000_000, wall_ms: 1_700_000_000_000, offset_ms: 0, frozen: true },
            ..View::default()
        }
    }

    /// A gateway with an InUse EIP and one DNAT entry: (state, gateway id, EIP id, ip, entry id).
    fn world() -> (crate::store::AccountState, String, String, String, String) {
        let mut st = state();
        let (gw, ftb, _, ip) = world_with_eip(&mut st);
        let e = dnat(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &ip),
                ("ExternalPort", "8080"),
                ("InternalIp", "172.16.0.10"),
                ("InternalPort", "80"),
                ("IpProtocol", "tcp"),
                ("ForwardEntryName", "web"),
            ],
            0,
        )
        .unwrap();
        let eip = st.regions["cn-hangzhou"].eips.values().next().unwrap().id.clone();
        (st, gw, eip, ip, e.forward_entry_id)
    }

    #[test]
    fn renders_gateway_eip_and_dnat_entry() {
        let (st, gw, eip, ip, entry) = world();
        let html = page(&view_of(st, UiFilter::default())).into_string();
        for needle in [&gw, &eip, &ip, &entry] {
            assert!(html.contains(needle.as_str()), "{needle} is on the page");
        }
        assert!(html.contains(&format!("data-gateway=\"{gw}\"")));
        assert!(html.contains(&format!("data-eip=\"{eip}\"")));
        assert!(html.contains(&format!("data-entry=\"{entry}\"")));
        assert!(html.contains("UsedByForwardTable"), "the EIP's UsingStatus");
        assert!(html.contains("172.16.0.10:80"));
        assert!(html.contains(r#"data-op="reset" data-account="testid""#));
        assert!(html.contains(r#"data-count="nat_gateways"><b>1</b>"#), "counts");
        assert!(html.contains("regions with only the default VPC"), "quiet regions are folded");
        // The fragment has the same live parts, and no forms.
        let frag = fragment(&view_of(world().0, UiFilter::default())).into_string();
        assert!(frag.contains("data-slot=\"world\"") && frag.contains("data-slot=\"requests\""));
        assert!(!frag.contains("trace-form") && !frag.contains("<script"));
    }

    #[test]
    fn filters_by_region() {
        let (st, gw, ..) = world();
        let v = view_of(st.clone(), UiFilter { account: None, region: Some("cn-beijing".into()) });
        let html = page(&v).into_string();
        assert!(!html.contains(&gw), "a gateway of another region is not shown");
        assert!(html.contains(r#"data-region="cn-beijing""#));
        assert!(html.contains(r#"<option value="cn-beijing" selected>"#), "the filter keeps its choice");
        assert_eq!(count_rows(&v)[2].2, 0);
        let v = view_of(st, UiFilter { account: None, region: Some("cn-hangzhou".into()) });
        assert_eq!(count_rows(&v)[2].2, 1);
        assert_eq!(count_rows(&v)[3].2, 1);
        assert_eq!(count_rows(&v)[4].2, 1);
    }

    #[test]
    fn escapes_hostile_names() {
        let (mut st, gw, ..) = world();
        let hostile = r#"<script>alert("x")</script><img src=x onerror=alert(1)>&'"#;
        let rs = st.regions.get_mut("cn-hangzhou").unwrap();
        rs.nat_gateways.get_mut(&gw).unwrap().name = hostile.into();
        for v in rs.vpcs.values_mut() {
            v.name = hostile.into();
        }
        for e in rs.eips.values_mut() {
            e.name = hostile.into();
        }
        for e in rs.forward_entries.values_mut() {
            e.name = hostile.into();
        }
        // AccessKeyIds are printable ASCII: quotes and angle brackets included.
        st.access_key_id = "ak\"><svg/onload=alert(1)>".into();
        let mut v = view_of(st, UiFilter { account: Some("a\"><script>".into()), region: None });
        v.accounts[0].name = hostile.into();
        v.faults = vec![
            serde_json::json!({"id": "flt-1", "match": {"action": hostile}, "error": {"status": 400, "code": hostile}, "latency_ms": 0, "when": null, "matched": 1, "injected": 1}),
        ];
        let html = page(&v).into_string();
        assert!(!html.contains(hostile));
        assert!(!html.contains("<img src=x") && !html.contains("<svg"));
        assert!(html.contains(r#"data-account="ak&quot;&gt;&lt;svg/onload=alert(1)&gt;""#));
        assert!(
            html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&amp;'")
        );
        // The only script element is the page's own.
        assert_eq!(html.matches("<script").count(), 1);
        assert!(
            html.contains("a&quot;&gt;&lt;script&gt;"),
            "a filter value is escaped where the page repeats it (title)"
        );
    }

    #[test]
    fn journal_rows_highlight_failures_and_link_to_details() {
        let mk = |id: &str, status: u16, code: Option<&str>| {
            std::sync::Arc::new(Entry {
                request_id: id.into(),
                wall_ms: 1_700_000_000_123,
                virtual_ms: 1_700_000_000_123,
                method: "POST".into(),
                action: Some("CreateNatGateway".into()),
                account: Some("testid".into()),
                region: Some("cn-hangzhou".into()),
                params: vec![("VpcId".into(), "vpc-<b>".into())],
                params_omitted: 0,
                status,
                code: code.map(Into::into),
                message: code.map(|c| format!("{c} <message>")),
                duration_us: 1234,
                fault: None,
                client_retry: None,
                signature: None,
            })
        };
        let mut v = view_of(state(), UiFilter { account: Some("testid".into()), region: None });
        v.requests = vec![mk("A-1", 400, Some("Throttling")), mk("B-2", 200, None)];
        let html = requests(&v).into_string();
        assert!(html.contains(r#"<tr class="fail" data-request="A-1">"#), "{html}");
        assert!(html.contains(r#"<tr data-request="B-2">"#), "{html}");
        assert!(html.contains(r#"href="ui/requests/A-1?account=testid""#));
        assert!(html.contains("Throttling") && html.contains("1.23"));
        let detail = request_page(&mk("A-1", 400, Some("Throttling")), &v.filter).into_string();
        assert!(detail.contains("vpc-&lt;b&gt;") && detail.contains("Throttling &lt;message&gt;"));
        assert!(detail.contains(r#"href="../../ui?account=testid""#));
    }

    #[test]
    fn clock_buttons_call_the_clock_endpoint() {
        let v = view_of(state(), UiFilter::default());
        let html = clock(&v).into_string();
        assert!(html.contains(r#"data-body="{&quot;advance_seconds&quot;:10}""#), "{html}");
        assert!(html.contains("Unfreeze"), "a frozen clock offers to unfreeze");
    }
}
