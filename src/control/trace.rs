//! `POST /_emulator/nat/trace`: which DNAT or SNAT entry of a gateway translates a packet, and why
//! the others do not ([`crate::nat_trace`]), on a settled copy of the account's state (what a
//! Describe would show now). Changes nothing.

use std::net::Ipv4Addr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error;
use crate::app::App;
use crate::nat_trace::{trace, Direction, Packet};

const HINT: &str = "{\"account\"?: AccessKeyId, \"region\"?: RegionId, \"nat_gateway_id\": \"ngw-…\", \
                    \"direction\": \"inbound\"|\"outbound\", \"src_ip\": IPv4, \"src_port\"?: N, \"dst_ip\": IPv4, \
                    \"dst_port\"?: N, \"protocol\": \"tcp\"|\"udp\"|\"icmp\"}";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TraceBody {
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    region: Option<String>,
    nat_gateway_id: String,
    direction: Direction,
    src_ip: Ipv4Addr,
    #[serde(default)]
    src_port: u16,
    dst_ip: Ipv4Addr,
    #[serde(default)]
    dst_port: u16,
    protocol: String,
}

pub async fn post_trace(State(app): State<Arc<App>>, bytes: Bytes) -> Response {
    let req: TraceBody = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, format!("expected {HINT}: {e}")),
    };
    let protocol = req.protocol.trim().to_ascii_lowercase();
    if protocol.is_empty() || protocol.len() > 16 || !protocol.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return error(StatusCode::BAD_REQUEST, "protocol: tcp, udp, icmp or another protocol name");
    }
    // Default: the world's first account (`testid` in the default world), as for init data.
    let account = match req.account.filter(|a| !a.is_empty()) {
        Some(a) => a,
        None => match app.store.world.accounts.first() {
            Some(a) => a.access_key_id.clone(),
            None => return error(StatusCode::NOT_FOUND, "the world has no accounts"),
        },
    };
    let Some(acc) = app.store.account(&account) else {
        return error(StatusCode::NOT_FOUND, format!("no account with AccessKeyId {account:?}"));
    };
    let region = req.region.filter(|r| !r.is_empty());
    if let Some(r) = &region {
        if app.store.world.region(r).is_none() {
            return error(StatusCode::NOT_FOUND, format!("no region {r:?} in the world"));
        }
    }
    let mut st = acc.state.read().clone();
    st.settle(app.clock.now_ms());
    let found = st.regions.iter().find(|(rid, rs)| {
        region.as_deref().is_none_or(|r| r == rid.as_str()) && rs.nat_gateways.contains_key(&req.nat_gateway_id)
    });
    let Some((rid, rs)) = found else {
        let place = region.map(|r| format!(" in {r}")).unwrap_or_default();
        return error(
            StatusCode::NOT_FOUND,
            format!("no NAT gateway {:?} in account {account:?}{place}", req.nat_gateway_id),
        );
    };
    let Some(gw) = rs.nat_gateways.get(&req.nat_gateway_id) else {
        return error(StatusCode::NOT_FOUND, format!("no NAT gateway {:?}", req.nat_gateway_id));
    };
    let packet = Packet {
        direction: req.direction,
        src_ip: req.src_ip,
        src_port: req.src_port,
        dst_ip: req.dst_ip,
        dst_port: req.dst_port,
        protocol,
    };
    let result = trace(rs, gw, &packet);
    let mut out = json!({ "account": account, "region": rid });
    if let (Value::Object(o), Ok(Value::Object(t))) = (&mut out, serde_json::to_value(&result)) {
        o.extend(t);
    }
    Json(out).into_response()
}
