//! DeleteForwardEntry (ACTIONS.md §2.9): an Available entry goes `Deleting` → gone.

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
        table_id: p.required_string("ForwardTableId")?,
        entry_id: p.required_string("ForwardEntryId")?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let rs = st.region(&req.region_id)?;
    gateway_for_change(rs, &req.table_id)?;
    entry_for_change(rs, &req.table_id, &req.entry_id)?;
    if let Some(e) = st.region_mut(&req.region_id)?.forward_entries.get_mut(&req.entry_id) {
        e.status = EntryStatus::Deleting;
    }
    st.after(ctx.now, ctx.delays.entry_delete_ms, Due::ForwardGone { region: req.region_id, id: req.entry_id });
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::forward_entry::create_forward_entry::tests::{create, world_with_eip};
    use crate::actions::testing::*;

    #[test]
    fn deletes() {
        let mut st = state();
        let (_, ftb, _, ip) = world_with_eip(&mut st);
        let id = create(
            &mut st,
            &[
                ("ForwardTableId", &ftb),
                ("ExternalIp", &ip),
                ("ExternalPort", "80"),
                ("InternalIp", "172.16.0.10"),
                ("InternalPort", "80"),
                ("IpProtocol", "tcp"),
            ],
            10,
        )
        .unwrap()
        .forward_entry_id;
        let run = |st: &mut AccountState, id: &str, delay: u64| {
            parse(&params(&[("RegionId", "cn-hangzhou"), ("ForwardTableId", &ftb), ("ForwardEntryId", id)]))
                .and_then(|q| handle(st, &ctx_with_delay(delay), q))
        };
        assert_eq!(run(&mut st, &id, 0).err().unwrap().code(), "IncorretForwardEntryStatus", "still Pending");
        st.settle(NOW + 10);
        run(&mut st, &id, 10).unwrap();
        assert_eq!(st.regions["cn-hangzhou"].forward_entries[&id].status, EntryStatus::Deleting);
        st.settle(NOW + 10);
        assert!(!st.regions["cn-hangzhou"].forward_entries.contains_key(&id));
        assert_eq!(run(&mut st, &id, 0).err().unwrap().code(), "InvalidForwardEntryId.NotFound");
    }
}
