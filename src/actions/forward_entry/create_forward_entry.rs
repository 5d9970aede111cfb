//! CreateForwardEntry (ACTIONS.md §2.6, REAL-SERVICE §5.1, R3–R6, R8): a DNAT entry in a
//! gateway's table. The external IP must be an InUse EIP of this gateway (or, for a VPC NAT
//! gateway, its NAT IP); the internal IP inside the VPC; external and internal tuples unique; at
//! most 100 entries per table. The entry is `Pending` until the configured delay has passed.

use serde::Serialize;

use std::sync::Arc;

use super::{check_rules, gateway_for_change, parse_ip, parse_protocol, table_busy, valid_entry_name, Port, Tuple};
use crate::actions::dry_run;
use crate::error::ApiError;
use crate::model::{EntryStatus, ForwardEntry};
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: String,
    table_id: String,
    tuple: Tuple,
    name: String,
    port_break: bool,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let table_id = p.required_string("ForwardTableId")?;
    let external_ip = parse_ip(p.required("ExternalIp")?, ApiError::InvalidExternalIpMalformed)?;
    let external_port = Port::parse(p.required("ExternalPort")?)
        .ok_or(ApiError::InvalidExternalPortMalformed { reason: "Use 1-65535, a range such as 1000/1010, or Any." })?;
    let internal_ip = parse_ip(p.required("InternalIp")?, ApiError::InvalidInternalIpMalformed)?;
    let internal_port = Port::parse(p.required("InternalPort")?)
        .ok_or(ApiError::InvalidInternalPortMalformed { reason: "Use 1-65535, a range such as 1000/1010, or Any." })?;
    let protocol = parse_protocol(p.required("IpProtocol")?)?;
    let tuple = Tuple { external_ip, external_port, internal_ip, internal_port, protocol };
    tuple.check()?;
    let name = p.opt_string("ForwardEntryName").unwrap_or_default();
    if !name.is_empty() && !valid_entry_name(&name) {
        return Err(ApiError::InvalidNameMalformed);
    }
    Ok(Request { region_id, table_id, tuple, name, port_break: p.bool_or("PortBreak", false)?, dry_run: dry_run(p)? })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    pub forward_entry_id: String,
}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    let region = ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let gw = gateway_for_change(rs, &req.table_id)?;
    if ctx.delays.entry_table_lock {
        if let Some(busy) = table_busy(rs, gw) {
            return Err(ApiError::IncorretForwardEntryStatus { detail: format!("Entry {busy} is Pending.") });
        }
    }
    check_rules(rs, gw, &req.tuple, req.port_break, None)?;
    if rs.forward_entries.group_len(&gw.id) >= ctx.quotas.forward_entries_per_table {
        return Err(ApiError::ForwardQuotaExceeded { limit: ctx.quotas.forward_entries_per_table });
    }
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    // The table's and gateway's ids are shared by every entry of the table (one allocation each).
    let (table_id, gateway_id): (Arc<str>, Arc<str>) = match rs.forward_entries.group(&gw.id).next() {
        Some(e) => (e.table_id.clone(), e.nat_gateway_id.clone()),
        None => (Arc::from(req.table_id.as_str()), Arc::from(gw.id.as_str())),
    };
    let id = st.ids.resource_id("fwd", &region.id_code);
    let seq = st.next_seq();
    let t = &req.tuple;
    let entry = ForwardEntry {
        id: id.clone(),
        table_id,
        nat_gateway_id: gateway_id,
        name: req.name,
        external_ip: t.external_ip,
        external_port: t.external_port,
        internal_ip: t.internal_ip,
        internal_port: t.internal_port,
        ip_protocol: t.protocol,
        port_break: req.port_break,
        status: EntryStatus::Pending,
        created_ms: ctx.now,
        seq,
    };
    st.region_mut(&req.region_id)?.forward_entries.insert(id.clone(), entry);
    st.after(ctx.now, ctx.delays.entry_pending_ms, Due::ForwardAvailable { region: req.region_id, id: id.clone() });
    Ok(Response { forward_entry_id: id })
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use crate::actions::eip::associate_eip_address::tests::{associate, gateway_and_eip};
    use crate::actions::testing::*;

    /// An Available gateway in cn-hangzhou's default VPC with one InUse EIP: (gateway, ftb, stb, ip).
    pub fn world_with_eip(st: &mut AccountState) -> (String, String, String, String) {
        let (gw, eip) = gateway_and_eip(st, "cn-hangzhou", &[]);
        associate(st, &eip, &gw, 0).unwrap();
        let g = &st.regions["cn-hangzhou"].nat_gateways[&gw];
        let ip = st.regions["cn-hangzhou"].eips[&eip].ip.to_string();
        (gw.clone(), g.forward_table_id.clone(), g.snat_table_id.clone(), ip)
    }

    pub fn create(st: &mut AccountState, pairs: &[(&str, &str)], delay: u64) -> Result<Response, ApiError> {
        let mut all = vec![("RegionId", "cn-hangzhou")];
        all.extend_from_slice(pairs);
        parse(&params(&all)).and_then(|q| handle(st, &ctx_with_delay(delay), q))
    }

    #[test]
    fn creates_pending_then_available() {
        let mut st = state();
        let (_, ftb, _, ip) = world_with_eip(&mut st);
        let r = create(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &ip),
                ("ExternalPort", "8080"),
                ("InternalIp", "172.16.0.10"),
                ("InternalPort", "80"),
                ("IpProtocol", "TCP"),
                ("ForwardEntryName", "web"),
            ],
            100,
        )
        .unwrap();
        let e = &st.regions["cn-hangzhou"].forward_entries[&r.forward_entry_id];
        assert_eq!(
            (e.status, e.ip_protocol.as_str(), e.external_port.to_string()),
            (EntryStatus::Pending, "tcp", "8080".into())
        );
        st.settle(NOW + 100);
        assert_eq!(st.regions["cn-hangzhou"].forward_entries[&r.forward_entry_id].status, EntryStatus::Available);
        // An IP mapping entry with Any ports on another port range of the same IP conflicts.
        let e = create(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &ip),
                ("ExternalPort", "Any"),
                ("InternalIp", "172.16.0.11"),
                ("InternalPort", "any"),
                ("IpProtocol", "Any"),
            ],
            0,
        );
        assert_eq!(e.err().unwrap().code(), "OperationUnsupported.PortConflict");
    }

    #[test]
    fn refusals_change_nothing() {
        let mut st = state();
        let (_, ftb, _, ip) = world_with_eip(&mut st);
        create(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &ip),
                ("ExternalPort", "100/110"),
                ("InternalIp", "172.16.0.10"),
                ("InternalPort", "200/210"),
                ("IpProtocol", "udp"),
            ],
            0,
        )
        .unwrap();
        let (_, other_eip) = gateway_and_eip(&mut st, "cn-hangzhou", &[]);
        let other_ip = st.regions["cn-hangzhou"].eips[&other_eip].ip.to_string();
        let before = serde_json::to_value(&st.regions).unwrap();
        let base = |ext: &str, eport: &str, int: &str, iport: &str, proto: &str| -> Vec<(String, String)> {
            vec![
                ("ForwardTableId".into(), ftb.clone()),
                ("ExternalIp".into(), ext.into()),
                ("ExternalPort".into(), eport.into()),
                ("InternalIp".into(), int.into()),
                ("InternalPort".into(), iport.into()),
                ("IpProtocol".into(), proto.into()),
            ]
        };
        let cases: Vec<(Vec<(String, String)>, &str)> = vec![
            (base("1.2.3", "80", "172.16.0.1", "80", "tcp"), "InvalidExternalIp.Malformed"),
            (base(&ip, "80", "172.16.0.300", "80", "tcp"), "InvalidInternalIp.Malformed"),
            (base(&ip, "0", "172.16.0.1", "80", "tcp"), "InvalidExternalPort.Malformed"),
            (base(&ip, "80", "172.16.0.1", "70000", "tcp"), "InvalidInternalPort.Malformed"),
            (base(&ip, "80", "172.16.0.1", "80", "icmp"), "InvalidProtocal.ValueNotSupported"),
            (base(&ip, "80", "172.16.0.1", "80", "any"), "InvalidExternalPort.Malformed"),
            (base(&ip, "Any", "172.16.0.1", "Any", "tcp"), "InvalidExternalPort.Malformed"),
            (base(&ip, "80/90", "172.16.0.1", "80/85", "tcp"), "InvalidInternalPort.Malformed"),
            (base("8.8.8.8", "80", "172.16.0.1", "80", "tcp"), "InvalidExternalIp.NotFound"),
            (base(&other_ip, "80", "172.16.0.1", "80", "tcp"), "InvalidIp.NotInNatgw"),
            (base(&ip, "80", "10.0.0.1", "80", "tcp"), "Forbidden.InternalIpOutOfVpcCIDR"),
            (base(&ip, "105", "172.16.0.2", "80", "udp"), "OperationUnsupported.PortConflict"),
            (base(&ip, "300", "172.16.0.10", "205", "udp"), "OperationUnsupported.PortConflict"),
            (
                base(&ip, "80", "172.16.0.1", "80", "tcp").into_iter().filter(|(k, _)| k != "ExternalIp").collect(),
                "MissingExternalIp",
            ),
            (
                vec![
                    ("ForwardTableId".into(), "ftb-none".into()),
                    ("ExternalIp".into(), ip.clone()),
                    ("ExternalPort".into(), "1".into()),
                    ("InternalIp".into(), "172.16.0.1".into()),
                    ("InternalPort".into(), "1".into()),
                    ("IpProtocol".into(), "tcp".into()),
                ],
                "InvalidForwardTableId.NotFound",
            ),
        ];
        for (pairs, code) in cases {
            let mut all = vec![("RegionId".to_owned(), "cn-hangzhou".to_owned())];
            all.extend(pairs.clone());
            let r = parse(&Params::from_pairs(all)).and_then(|q| handle(&mut st, &ctx(), q));
            assert_eq!(r.err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
    }

    #[test]
    fn eip_in_binding_and_table_lock() {
        let mut st = state();
        let (gw, eip) = gateway_and_eip(&mut st, "cn-hangzhou", &[]);
        associate(&mut st, &eip, &gw, 1000).unwrap();
        let ftb = st.regions["cn-hangzhou"].nat_gateways[&gw].forward_table_id.clone();
        let ip = st.regions["cn-hangzhou"].eips[&eip].ip.to_string();
        let pairs = [
            ("ForwardTableId", ftb.as_str()),
            ("ExternalIp", ip.as_str()),
            ("ExternalPort", "22"),
            ("InternalIp", "172.16.0.5"),
            ("InternalPort", "22"),
            ("IpProtocol", "tcp"),
        ];
        assert_eq!(create(&mut st, &pairs, 0).err().unwrap().code(), "OperationUnsupported.EipInBinding");
        st.settle(NOW + 1000);
        create(&mut st, &pairs, 500).unwrap();
        let locked = Ctx {
            delays: crate::store::Delays { entry_table_lock: true, ..crate::store::Delays::uniform(0) },
            ..ctx()
        };
        let mut second = pairs.to_vec();
        second[2] = ("ExternalPort", "23");
        second[4] = ("InternalPort", "23");
        let mut all = vec![("RegionId", "cn-hangzhou")];
        all.extend(second);
        let r = parse(&params(&all)).and_then(|q| handle(&mut st, &locked, q));
        assert_eq!(r.err().unwrap().code(), "IncorretForwardEntryStatus");
        assert!(parse(&params(&all)).and_then(|q| handle(&mut st, &ctx(), q)).is_ok(), "without the lock it passes");
    }
}
