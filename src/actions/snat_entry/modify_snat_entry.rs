//! ModifySnatEntry (ACTIONS.md §2.11, REAL-SERVICE §5.1): SnatIp, SnatEntryName, EipAffinity of an
//! Available entry; the entry goes `Pending` → `Available`. The source cannot change.

use serde::Serialize;

use super::{check_ips, entry_for_change, gateway_for_change, parse_snat_ips, valid_name};
use crate::actions::dry_run;
use crate::error::ApiError;
use crate::model::EntryStatus;
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: String,
    table_id: String,
    entry_id: String,
    snat_ips: Option<String>,
    name: Option<String>,
    eip_affinity: Option<u8>,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    if p.opt("NetworkInterfaceId").is_some() {
        if p.opt("SnatIp").is_some() {
            return Err(ApiError::SnatInvalidParameter("SnatIp and NetworkInterfaceId exclude each other."));
        }
        return Err(ApiError::InvalidNetworkInterfaceIdNotFound);
    }
    let name = p.opt_string("SnatEntryName");
    if name.as_deref().is_some_and(|n| !valid_name(n)) {
        return Err(ApiError::InvalidNameMalformed);
    }
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        table_id: p.required_string("SnatTableId")?,
        entry_id: p.required_string("SnatEntryId")?,
        snat_ips: p.opt_string("SnatIp"),
        name,
        eip_affinity: p.opt_int("EipAffinity", 0, 1)?.map(|v| v as u8),
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    let gw = gateway_for_change(rs, &req.table_id)?;
    entry_for_change(rs, &req.table_id, &req.entry_id)?;
    let ips = match &req.snat_ips {
        Some(raw) => {
            let ips = parse_snat_ips(raw, ctx.quotas.snat_ips_per_entry)?;
            check_ips(rs, gw, &ips)?;
            Some(ips)
        }
        None => None,
    };
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    if let Some(e) = st.region_mut(&req.region_id)?.snat_entries.get_mut(&req.entry_id) {
        if let Some(ips) = ips {
            e.snat_ips = ips;
        }
        if let Some(n) = req.name {
            e.name = n;
        }
        if let Some(a) = req.eip_affinity {
            e.eip_affinity = a;
        }
        e.status = EntryStatus::Pending;
    }
    st.after(ctx.now, ctx.delays.entry_pending_ms, Due::SnatAvailable { region: req.region_id, id: req.entry_id });
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::eip::associate_eip_address::tests::{associate, gateway_and_eip};
    use crate::actions::forward_entry::create_forward_entry::tests::world_with_eip;
    use crate::actions::snat_entry::create_snat_entry::tests::{create, default_vswitches};
    use crate::actions::testing::*;

    #[test]
    fn modifies() {
        let mut st = state();
        let (gw, _, stb, ip) = world_with_eip(&mut st);
        let (_, second) = gateway_and_eip(&mut st, "cn-hangzhou", &[]);
        associate(&mut st, &second, &gw, 0).unwrap();
        let ip2 = st.regions["cn-hangzhou"].eips[&second].ip.to_string();
        let vsw = default_vswitches(&st);
        let id = create(&mut st, &[("SnatTableId", &stb), ("SourceVSwitchId", &vsw[0]), ("SnatIp", &ip)], 0)
            .unwrap()
            .snat_entry_id;
        let run = |st: &mut AccountState, pairs: &[(&str, &str)]| {
            let mut all =
                vec![("RegionId", "cn-hangzhou"), ("SnatTableId", stb.as_str()), ("SnatEntryId", id.as_str())];
            all.extend_from_slice(pairs);
            parse(&params(&all)).and_then(|q| handle(st, &ctx_with_delay(10), q))
        };
        let both = format!("{ip},{ip2}");
        run(&mut st, &[("SnatIp", &both), ("EipAffinity", "1")]).unwrap();
        let e = &st.regions["cn-hangzhou"].snat_entries[&id];
        assert_eq!((e.snat_ips.len(), e.eip_affinity, e.status), (2, 1, EntryStatus::Pending));
        assert_eq!(run(&mut st, &[("SnatEntryName", "ok")]).err().unwrap().code(), "IncorretSnatEntryStatus");
        st.settle(NOW + 10);
        assert_eq!(run(&mut st, &[("SnatIp", "9.9.9.9")]).err().unwrap().code(), "InvalidSnatIp.NotFound");
    }
}
