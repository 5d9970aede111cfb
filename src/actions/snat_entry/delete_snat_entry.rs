//! DeleteSnatEntry (ACTIONS.md §2.13): an Available entry goes `Deleting` → gone; a Pending one is
//! refused with `IncorretSnatEntryStatus` (sic).

use serde::Serialize;

use super::{entry_for_change, gateway_for_change};
use crate::error::ApiError;
use crate::model::EntryStatus;
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: String,
    table_id: String,
    entry_id: String,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request {
        region_id: p.required_string("RegionId")?,
        table_id: p.required_string("SnatTableId")?,
        entry_id: p.required_string("SnatEntryId")?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    gateway_for_change(rs, &req.table_id)?;
    entry_for_change(rs, &req.table_id, &req.entry_id)?;
    if let Some(e) = st.region_mut(&req.region_id)?.snat_entries.get_mut(&req.entry_id) {
        e.status = EntryStatus::Deleting;
    }
    st.after(ctx.now, ctx.delays.entry_delete_ms, Due::SnatGone { region: req.region_id, id: req.entry_id });
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::forward_entry::create_forward_entry::tests::world_with_eip;
    use crate::actions::snat_entry::create_snat_entry::tests::{create, default_vswitches};
    use crate::actions::testing::*;

    #[test]
    fn deletes() {
        let mut st = state();
        let (_, _, stb, ip) = world_with_eip(&mut st);
        let vsw = default_vswitches(&st);
        let id = create(&mut st, &[("SnatTableId", &stb), ("SourceVSwitchId", &vsw[0]), ("SnatIp", &ip)], 5)
            .unwrap()
            .snat_entry_id;
        let run = |st: &mut AccountState, id: &str| {
            parse(&params(&[("RegionId", "cn-hangzhou"), ("SnatTableId", &stb), ("SnatEntryId", id)]))
                .and_then(|q| handle(st, &ctx(), q))
        };
        assert_eq!(run(&mut st, &id).err().unwrap().code(), "IncorretSnatEntryStatus");
        st.settle(NOW + 5);
        run(&mut st, &id).unwrap();
        assert!(!st.regions["cn-hangzhou"].snat_entries.contains_key(&id), "no delay: gone at once");
        assert_eq!(run(&mut st, &id).err().unwrap().code(), "InvalidSnatEntryId.NotFound");
    }
}
