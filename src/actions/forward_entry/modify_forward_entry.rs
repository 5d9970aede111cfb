//! ModifyForwardEntry (ACTIONS.md §2.7, REAL-SERVICE §5.1): any field of an Available DNAT entry;
//! the result is checked like a new entry (excluding itself) and goes `Pending` → `Available`.

use serde::Serialize;

use super::{
    check_rules, entry_for_change, gateway_for_change, parse_ip, parse_protocol, valid_entry_name, Port, Protocol,
    Tuple,
};
use crate::actions::dry_run;
use crate::error::ApiError;
use crate::model::EntryStatus;
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: String,
    table_id: String,
    entry_id: String,
    external_ip: Option<std::net::Ipv4Addr>,
    external_port: Option<Port>,
    internal_ip: Option<std::net::Ipv4Addr>,
    internal_port: Option<Port>,
    protocol: Option<Protocol>,
    name: Option<String>,
    port_break: Option<bool>,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let bad_port = "Use 1-65535, a range such as 1000/1010, or Any.";
    let name = p.opt_string("ForwardEntryName");
    if name.as_deref().is_some_and(|n| !valid_entry_name(n)) {
        return Err(ApiError::InvalidNameMalformed);
    }
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        table_id: p.required_string("ForwardTableId")?,
        entry_id: p.required_string("ForwardEntryId")?,
        external_ip: p.opt("ExternalIp").map(|s| parse_ip(s, ApiError::InvalidExternalIpMalformed)).transpose()?,
        external_port: p
            .opt("ExternalPort")
            .map(|s| Port::parse(s).ok_or(ApiError::InvalidExternalPortMalformed { reason: bad_port }))
            .transpose()?,
        internal_ip: p.opt("InternalIp").map(|s| parse_ip(s, ApiError::InvalidInternalIpMalformed)).transpose()?,
        internal_port: p
            .opt("InternalPort")
            .map(|s| Port::parse(s).ok_or(ApiError::InvalidInternalPortMalformed { reason: bad_port }))
            .transpose()?,
        protocol: p.opt("IpProtocol").map(parse_protocol).transpose()?,
        name,
        port_break: p.opt_bool("PortBreak")?,
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let gw = gateway_for_change(rs, &req.table_id)?;
    let entry = entry_for_change(rs, &req.table_id, &req.entry_id)?;
    let old = Tuple::of(entry);
    let tuple = Tuple {
        external_ip: req.external_ip.unwrap_or(old.external_ip),
        external_port: req.external_port.unwrap_or(old.external_port),
        internal_ip: req.internal_ip.unwrap_or(old.internal_ip),
        internal_port: req.internal_port.unwrap_or(old.internal_port),
        protocol: req.protocol.unwrap_or(old.protocol),
    };
    tuple.check()?;
    let port_break = req.port_break.unwrap_or(entry.port_break);
    check_rules(rs, gw, &tuple, port_break, Some(&req.entry_id))?;
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    if let Some(e) = st.region_mut(&req.region_id)?.forward_entries.get_mut(&req.entry_id) {
        e.external_ip = tuple.external_ip;
        e.external_port = tuple.external_port;
        e.internal_ip = tuple.internal_ip;
        e.internal_port = tuple.internal_port;
        e.ip_protocol = tuple.protocol;
        e.port_break = port_break;
        if let Some(n) = req.name {
            e.name = n;
        }
        e.status = EntryStatus::Pending;
    }
    st.after(ctx.now, ctx.delays.entry_pending_ms, Due::ForwardAvailable { region: req.region_id, id: req.entry_id });
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::forward_entry::create_forward_entry::tests::{create, world_with_eip};
    use crate::actions::testing::*;

    #[test]
    fn modifies_and_refuses() {
        let mut st = state();
        let (_, ftb, _, ip) = world_with_eip(&mut st);
        let a = create(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &ip),
                ("ExternalPort", "80"),
                ("InternalIp", "172.16.0.10"),
                ("InternalPort", "80"),
                ("IpProtocol", "tcp"),
            ],
            0,
        )
        .unwrap()
        .forward_entry_id;
        let b = create(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &ip),
                ("ExternalPort", "81"),
                ("InternalIp", "172.16.0.11"),
                ("InternalPort", "80"),
                ("IpProtocol", "tcp"),
            ],
            0,
        )
        .unwrap()
        .forward_entry_id;
        let run = |st: &mut AccountState, pairs: &[(&str, &str)], delay: u64| {
            let mut all = vec![("RegionId", "cn-hangzhou"), ("ForwardTableId", ftb.as_str())];
            all.extend_from_slice(pairs);
            parse(&params(&all)).and_then(|q| handle(st, &ctx_with_delay(delay), q))
        };
        assert_eq!(
            run(&mut st, &[("ForwardEntryId", &b), ("ExternalPort", "80")], 0).err().unwrap().code(),
            "OperationUnsupported.PortConflict"
        );
        run(&mut st, &[("ForwardEntryId", &a), ("InternalPort", "8080"), ("ForwardEntryName", "renamed")], 50).unwrap();
        let e = &st.regions["cn-hangzhou"].forward_entries[&a];
        assert_eq!(
            (e.internal_port.to_string(), e.name.as_str(), e.status),
            ("8080".into(), "renamed", EntryStatus::Pending)
        );
        assert_eq!(
            run(&mut st, &[("ForwardEntryId", &a), ("InternalPort", "81")], 0).err().unwrap().code(),
            "IncorretForwardEntryStatus"
        );
        assert_eq!(
            run(&mut st, &[("ForwardEntryId", "fwd-none")], 0).err().unwrap().code(),
            "InvalidForwardEntryId.NotFound"
        );
        assert_eq!(
            run(&mut st, &[("ForwardEntryId", &b), ("IpProtocol", "any")], 0).err().unwrap().code(),
            "InvalidExternalPort.Malformed"
        );
    }
}
