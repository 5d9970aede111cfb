//! DescribeForwardTableEntries (ACTIONS.md §2.8, REAL-SERVICE §5.2): by ForwardTableId and/or
//! NatGatewayId, every filter, paging (default 10, max 50), oldest first; an unknown
//! ForwardEntryId gives an empty list (Terraform reads that as gone).

use std::net::Ipv4Addr;

use serde::Serialize;

use super::{parse_protocol, Port, Protocol};
use crate::actions::{page, page_of};
use crate::error::ApiError;
use crate::model::ForwardEntry;
use crate::params::{Paging, Params};
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: String,
    table_id: Option<String>,
    nat_gateway_id: Option<String>,
    entry_id: Option<String>,
    external_ip: Option<String>,
    external_port: Option<String>,
    internal_ip: Option<String>,
    internal_port: Option<String>,
    protocol: Option<Protocol>,
    name: Option<String>,
    paging: Paging,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let table_id = p.opt_string("ForwardTableId");
    let nat_gateway_id = p.opt_string("NatGatewayId");
    if table_id.is_none() && nat_gateway_id.is_none() {
        return Err(ApiError::DescribeForwardParamInvalid);
    }
    Ok(Request {
        region_id,
        table_id,
        nat_gateway_id,
        entry_id: p.opt_string("ForwardEntryId"),
        external_ip: p.opt_string("ExternalIp"),
        external_port: p.opt_string("ExternalPort"),
        internal_ip: p.opt_string("InternalIp"),
        internal_port: p.opt_string("InternalPort"),
        protocol: p.opt("IpProtocol").map(parse_protocol).transpose()?,
        name: p.opt_string("ForwardEntryName"),
        paging: p.paging(50)?,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response<'a> {
    pub total_count: usize,
    pub page_number: usize,
    pub page_size: usize,
    pub forward_table_entries: ForwardTableEntries<'a>,
}

#[derive(Debug, Serialize)]
pub struct ForwardTableEntries<'a> {
    #[serde(rename = "ForwardTableEntry")]
    pub items: Vec<ForwardEntryView<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ForwardEntryView<'a> {
    pub forward_entry_id: &'a str,
    pub forward_table_id: &'a str,
    pub forward_entry_name: &'a str,
    pub nat_gateway_id: &'a str,
    /// Addresses and ports are written as their text (`80`, `1000/1010`, `any`).
    pub external_ip: Ipv4Addr,
    pub external_port: Port,
    pub internal_ip: Ipv4Addr,
    pub internal_port: Port,
    pub ip_protocol: &'static str,
    pub status: &'static str,
}

pub fn view(e: &ForwardEntry) -> ForwardEntryView<'_> {
    ForwardEntryView {
        forward_entry_id: &e.id,
        forward_table_id: &e.table_id,
        forward_entry_name: &e.name,
        nat_gateway_id: &e.nat_gateway_id,
        external_ip: e.external_ip,
        external_port: e.external_port,
        internal_ip: e.internal_ip,
        internal_port: e.internal_port,
        ip_protocol: e.ip_protocol.as_str(),
        status: e.status.as_str(),
    }
}

/// An address filter: it matches the entries whose address is written exactly so (`Some(None)`:
/// the text is no address as the API writes one, so nothing matches).
fn ip_filter(filter: &Option<String>) -> Option<Option<Ipv4Addr>> {
    filter.as_ref().map(|f| f.parse::<Ipv4Addr>().ok().filter(|ip| ip.to_string() == *f))
}

/// A port filter: the stored text compared case-insensitively (`Any`/`any`).
fn port_filter(filter: &Option<String>) -> Option<Option<Port>> {
    filter.as_ref().map(|f| Port::parse(f).filter(|p| p.to_string().eq_ignore_ascii_case(f)))
}

fn matches<T: PartialEq>(filter: Option<Option<T>>, stored: T) -> bool {
    filter.is_none_or(|f| f == Some(stored))
}

pub fn handle<'a>(st: &'a AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response<'a>, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let gw = match (&req.table_id, &req.nat_gateway_id) {
        (Some(t), _) => rs.gateway_of_forward_table(t).ok_or(ApiError::InvalidForwardTableIdNotFound)?,
        (None, Some(g)) => rs.nat_gateways.get(g).ok_or(ApiError::InvalidNatGatewayIdNotFound)?,
        (None, None) => return Err(ApiError::DescribeForwardParamInvalid),
    };
    let other_gateway = req.nat_gateway_id.as_ref().is_some_and(|g| *g != gw.id);
    let unfiltered = req.entry_id.is_none()
        && req.external_ip.is_none()
        && req.external_port.is_none()
        && req.internal_ip.is_none()
        && req.internal_port.is_none()
        && req.protocol.is_none()
        && req.name.is_none();
    let (total, items) = if other_gateway {
        (0, vec![])
    } else if unfiltered {
        page_of(rs.forward_entries.group(&gw.id), rs.forward_entries.group_len(&gw.id), req.paging)
    } else {
        let (external_ip, internal_ip) = (ip_filter(&req.external_ip), ip_filter(&req.internal_ip));
        let (external_port, internal_port) = (port_filter(&req.external_port), port_filter(&req.internal_port));
        let items: Vec<&ForwardEntry> = rs
            .forward_entries
            .group(&gw.id)
            .filter(|e| {
                req.entry_id.as_ref().is_none_or(|i| &e.id == i)
                    && matches(external_ip, e.external_ip)
                    && matches(external_port, e.external_port)
                    && matches(internal_ip, e.internal_ip)
                    && matches(internal_port, e.internal_port)
                    && req.protocol.is_none_or(|p| e.ip_protocol == p)
                    && req.name.as_ref().is_none_or(|n| &e.name == n)
            })
            .collect();
        page(items, req.paging)
    };
    Ok(Response {
        total_count: total,
        page_number: req.paging.number,
        page_size: req.paging.size,
        forward_table_entries: ForwardTableEntries { items: items.into_iter().map(view).collect() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::forward_entry::create_forward_entry::tests::{create, world_with_eip};
    use crate::actions::testing::*;

    #[test]
    fn filters_and_pages() {
        let mut st = state();
        let (gw, ftb, _, ip) = world_with_eip(&mut st);
        for i in 0..60u16 {
            let port = (1000 + i).to_string();
            create(
                &mut st,
                &[
                    ("ForwardTableId", &ftb),
                    ("ExternalIp", &ip),
                    ("ExternalPort", &port),
                    ("InternalIp", "172.16.0.10"),
                    ("InternalPort", &port),
                    ("IpProtocol", if i % 2 == 0 { "tcp" } else { "udp" }),
                ],
                0,
            )
            .unwrap();
        }
        let run = |pairs: &[(&str, &str)]| {
            let mut all = vec![("RegionId", "cn-hangzhou")];
            all.extend_from_slice(pairs);
            parse(&params(&all)).and_then(|q| handle(&st, &ctx(), q))
        };
        let p1 = run(&[("ForwardTableId", &ftb), ("PageSize", "50")]).unwrap();
        assert_eq!((p1.total_count, p1.forward_table_entries.items.len()), (60, 50));
        let p2 = run(&[("ForwardTableId", &ftb), ("PageSize", "50"), ("PageNumber", "2")]).unwrap();
        assert_eq!(p2.forward_table_entries.items.len(), 10);
        assert_eq!(run(&[("NatGatewayId", &gw), ("IpProtocol", "UDP")]).unwrap().total_count, 30);
        assert_eq!(run(&[("ForwardTableId", &ftb), ("ExternalPort", "1005")]).unwrap().total_count, 1);
        assert_eq!(run(&[("ForwardTableId", &ftb), ("ForwardEntryId", "fwd-none")]).unwrap().total_count, 0);
        assert_eq!(run(&[]).err().unwrap().code(), "DESCRIBE_FORWARD_PARAM_INVALID");
        assert_eq!(run(&[("ForwardTableId", "ftb-none")]).err().unwrap().status(), 404);
        assert_eq!(run(&[("ForwardTableId", &ftb), ("PageSize", "51")]).err().unwrap().code(), "InvalidParameter");
        let json = serde_json::to_value(run(&[("ForwardTableId", &ftb), ("PageSize", "1")]).unwrap()).unwrap();
        assert_eq!(json["ForwardTableEntries"]["ForwardTableEntry"][0]["IpProtocol"], "tcp");
    }
}
