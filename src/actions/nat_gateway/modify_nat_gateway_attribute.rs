//! ModifyNatGatewayAttribute (ACTIONS.md §2.2, REAL-SERVICE §5.1): name and description (the rules
//! of both eras: 1–128 characters, not starting with http(s)://), EipBindMode (only MULTI_BINDED →
//! NAT; the gateway goes `Modifying` → `Available`), IcmpReplyEnabled, EnableSessionLog, LogDelivery.
//! Only an Available gateway can be changed (`IncorrectStatus.NATGW`, which Terraform retries).

use serde::Serialize;

use super::{available_for_change, json_object, json_str};
use crate::error::ApiError;
use crate::model::nat_gateway::LogDelivery;
use crate::model::{valid_description_1_256, valid_name_1_128, NatStatus};
use crate::params::Params;
use crate::store::{AccountState, Ctx, Due};

pub struct Request {
    region_id: String,
    nat_gateway_id: String,
    name: Option<String>,
    description: Option<String>,
    eip_bind_mode: Option<String>,
    icmp_reply_enabled: Option<bool>,
    enable_session_log: Option<bool>,
    log_delivery: Option<LogDelivery>,
}

pub fn parse(p: &Params) -> Result<Request, ApiError> {
    let region_id = p.required_string("RegionId")?;
    let nat_gateway_id = p.required_string("NatGatewayId")?;
    let name = p.opt_string("Name");
    if name.as_deref().is_some_and(|n| !valid_name_1_128(n)) {
        return Err(ApiError::InvalidNameMalformed);
    }
    let description = p.opt_string("Description");
    if description.as_deref().is_some_and(|d| !valid_description_1_256(d)) {
        return Err(ApiError::InvalidDescriptionMalformed);
    }
    let eip_bind_mode = match p.opt("EipBindMode") {
        None => None,
        Some(m) if m.eq_ignore_ascii_case("NAT") => Some("NAT".to_owned()),
        Some(_) => return Err(ApiError::invalid("EipBindMode", "only NAT is allowed (from MULTI_BINDED).")),
    };
    let log_delivery = match p.opt("LogDelivery") {
        None => None,
        Some(raw) => {
            let m = json_object("LogDelivery", raw)?;
            let kind = json_str(&m, "LogDeliveryType").unwrap_or_else(|| "sls".into());
            if !kind.eq_ignore_ascii_case("sls") {
                return Err(ApiError::invalid("LogDelivery", "LogDeliveryType must be sls."));
            }
            let dest = json_str(&m, "LogDestination").unwrap_or_default();
            if !dest.starts_with("acs:log:") {
                return Err(ApiError::invalid(
                    "LogDelivery",
                    "LogDestination must look like acs:log:<region>:<uid>:project/<p>/logstore/<l>.",
                ));
            }
            Some(LogDelivery { log_delivery_type: "sls".into(), log_destination: dest })
        }
    };
    Ok(Request {
        region_id,
        nat_gateway_id,
        name,
        description,
        eip_bind_mode,
        icmp_reply_enabled: p.opt_bool("IcmpReplyEnabled")?,
        enable_session_log: p.opt_bool("EnableSessionLog")?,
        log_delivery,
    })
}

#[derive(Debug, Serialize)]
pub struct Response {}

pub fn handle(st: &mut AccountState, ctx: &Ctx<'_>, req: Request) -> Result<Response, ApiError> {
    ctx.region(&req.region_id)?;
    let gw = available_for_change(st, &req.region_id, &req.nat_gateway_id, |status| ApiError::IncorrectStatusNatgw {
        status,
    })?;
    let switch_mode = match &req.eip_bind_mode {
        Some(m) if *m != gw.eip_bind_mode => {
            if gw.eip_bind_mode != "MULTI_BINDED" {
                return Err(ApiError::invalid("EipBindMode", "only MULTI_BINDED can be changed to NAT."));
            }
            true
        }
        _ => false,
    };
    if let Some(n) = req.name {
        gw.name = n;
    }
    if let Some(d) = req.description {
        gw.description = d;
    }
    if let Some(v) = req.icmp_reply_enabled {
        gw.icmp_reply_enabled = v;
    }
    if let Some(v) = req.enable_session_log {
        gw.enable_session_log = v;
    }
    if req.log_delivery.is_some() {
        gw.log_delivery = req.log_delivery;
    }
    if switch_mode {
        gw.eip_bind_mode = "NAT".into();
        gw.status = NatStatus::Modifying;
        st.after(
            ctx.now,
            ctx.delays.nat_modify_ms,
            Due::NatAvailable { region: req.region_id, id: req.nat_gateway_id },
        );
    }
    Ok(Response {})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::nat_gateway::create_nat_gateway;
    use crate::actions::testing::*;

    fn gateway(st: &mut AccountState) -> String {
        let vpc = default_vpc(st, "cn-hangzhou");
        let p = params(&[("RegionId", "cn-hangzhou"), ("VpcId", &vpc)]);
        create_nat_gateway::handle(st, &ctx_with_delay(100), create_nat_gateway::parse(&p).unwrap())
            .unwrap()
            .nat_gateway_id
    }

    fn run(st: &mut AccountState, pairs: &[(&str, &str)]) -> Result<Response, ApiError> {
        parse(&params(pairs)).and_then(|q| handle(st, &ctx_with_delay(100), q))
    }

    #[test]
    fn modifies_and_switches_mode() {
        let mut st = state();
        let id = gateway(&mut st);
        let e = run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", &id), ("Name", "n")]).err().unwrap();
        assert_eq!(e.code(), "IncorrectStatus.NATGW", "Creating gateways cannot be changed");
        st.settle(NOW + 100);
        run(
            &mut st,
            &[
                ("RegionId", "cn-hangzhou"),
                ("NatGatewayId", &id),
                ("Name", "n"),
                ("Description", "d"),
                ("IcmpReplyEnabled", "False"),
            ],
        )
        .unwrap();
        let gw = &st.regions["cn-hangzhou"].nat_gateways[&id];
        assert_eq!((gw.name.as_str(), gw.description.as_str(), gw.icmp_reply_enabled), ("n", "d", false));
        run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", &id), ("EipBindMode", "NAT")]).unwrap();
        assert_eq!(st.regions["cn-hangzhou"].nat_gateways[&id].status, NatStatus::Modifying);
        st.settle(NOW + 100);
        assert_eq!(st.regions["cn-hangzhou"].nat_gateways[&id].status, NatStatus::Available);
        let ld = r#"{"LogDeliveryType":"sls","LogDestination":"acs:log:cn-hangzhou:0000:project/p/logstore/l"}"#;
        run(
            &mut st,
            &[("RegionId", "cn-hangzhou"), ("NatGatewayId", &id), ("LogDelivery", ld), ("EnableSessionLog", "true")],
        )
        .unwrap();
        assert!(st.regions["cn-hangzhou"].nat_gateways[&id].enable_session_log);
    }

    #[test]
    fn refusals() {
        let mut st = state();
        let id = gateway(&mut st);
        st.settle(NOW + 100);
        let before = serde_json::to_value(&st.regions).unwrap();
        let i = id.as_str();
        for (pairs, code) in [
            (vec![("RegionId", "cn-hangzhou")], "MissingNatGatewayId"),
            (vec![("NatGatewayId", i)], "MissingRegionId"),
            (vec![("RegionId", "cn-hangzhou"), ("NatGatewayId", "ngw-x")], "InvalidNatGatewayId.NotFound"),
            (
                vec![("RegionId", "cn-hangzhou"), ("NatGatewayId", i), ("Name", "https://a")],
                "InvalidParameter.Name.Malformed",
            ),
            (
                vec![("RegionId", "cn-hangzhou"), ("NatGatewayId", i), ("Description", "http://a")],
                "InvalidParameter.Description.Malformed",
            ),
            (
                vec![("RegionId", "cn-hangzhou"), ("NatGatewayId", i), ("EipBindMode", "MULTI_BINDED")],
                "InvalidParameter",
            ),
            (vec![("RegionId", "cn-hangzhou"), ("NatGatewayId", i), ("LogDelivery", "[1]")], "InvalidParameter"),
        ] {
            assert_eq!(run(&mut st, &pairs).err().map(|e| e.code()).as_deref(), Some(code), "{pairs:?}");
        }
        assert_eq!(serde_json::to_value(&st.regions).unwrap(), before);
        assert_eq!(
            run(&mut st, &[("RegionId", "cn-hangzhou"), ("NatGatewayId", i)]).err().map(|e| e.status()),
            None,
            "no change at all is accepted"
        );
    }
}
