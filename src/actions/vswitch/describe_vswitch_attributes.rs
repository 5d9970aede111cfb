//! DescribeVSwitchAttributes (REAL-SERVICE §8.2). Unknown id → 404 `InvalidVSwitchId.NotFound`.

use serde::Serialize;

use super::{view, VSwitchOut};
use crate::actions::dry_run;
use crate::error::ApiError;
use crate::params::Params;
use crate::store::{AccountState, Ctx};

pub struct Request {
    region_id: Option<String>,
    vswitch_id: String,
    dry_run: bool,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    Ok(Request {
        region_id: p.opt_string("RegionId"),
        vswitch_id: p.required_string("VSwitchId")?,
        dry_run: dry_run(p)?,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {
    #[serde(flatten)]
    pub vswitch: VSwitchOut,
}

pub fn handle(st: &AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    if let Some(r) = &req.region_id {
        ctx.region(r)?;
    }
    let v = st.find_vswitch(req.region_id.as_deref(), &req.vswitch_id)?;
    if req.dry_run {
        return Err(ApiError::DryRunOperation);
    }
    Ok(Response { vswitch: view(v, st.owner_id) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::testing::*;

    #[test]
    fn cases() {
        let st = state();
        let id = st.regions["cn-shenzhen"].vswitches.keys().next().unwrap().to_owned();
        let run = |pairs: &[(&str, &str)]| handle(&st, &ctx(), parse(&params(pairs))?);
        let r = run(&[("VSwitchId", &id)]).unwrap();
        assert_eq!((r.vswitch.status, r.vswitch.is_default), ("Available", true));
        assert_eq!(r.vswitch.available_ip_address_count, 4092);
        assert_eq!(run(&[("RegionId", "cn-hangzhou"), ("VSwitchId", &id)]).err().unwrap().status(), 404);
        assert_eq!(run(&[]).err().unwrap().code(), "MissingVSwitchId");
        assert_eq!(run(&[("VSwitchId", "vsw-none")]).err().unwrap().code(), "InvalidVSwitchId.NotFound");
    }
}
