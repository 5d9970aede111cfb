//! What a successful call looks like on the wire: every SDK's signing style is accepted, values
//! survive every encoding, and replies have the documented JSON and XML shapes.

use serde_json::Value;

use crate::harness::{xml_field, xml_root, Server, XML_CT};
use crate::signer::{Req, Style};

#[tokio::test(flavor = "multi_thread")]
async fn every_signing_style_is_accepted() {
    let server = Server::start().await;
    for style in Style::ALL {
        let v = Req::new(style, "DescribeRegions").send(&server).await.ok();
        assert!(!v["Regions"]["Region"].as_array().unwrap().is_empty(), "{style:?}");
        // The other account, through the same style.
        Req::new(style, "DescribeVpcs").region("cn-hangzhou").creds("testid2", "testsecret2").send(&server).await.ok();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn values_survive_every_encoding() {
    let server = Server::start().await;
    // Space, `*`, `~`, reserved characters and non-ASCII: `+`/`%20`/raw `*` on the wire, RFC 3986
    // in the signature.
    let name = "gw one 描述*~";
    let description = "a+b=c&d/e:f,g (h)!'";
    for style in Style::ALL {
        let created = Req::new(style, "CreateVpc")
            .region("cn-hangzhou")
            .p("VpcName", name)
            .p("Description", description)
            .p("CidrBlock", "10.0.0.0/16")
            .send(&server)
            .await
            .ok();
        let id = created["VpcId"].as_str().unwrap();
        let v = Req::new(style, "DescribeVpcAttribute").region("cn-hangzhou").p("VpcId", id).send(&server).await.ok();
        assert_eq!(v["VpcName"], name, "{style:?}");
        assert_eq!(v["Description"], description, "{style:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn python_tea_with_a_scheme_in_its_host_header_is_accepted() {
    // WIRE.md surprise 7: py-tea with endpoint="http://…" sends and signs `host: http://…`.
    let server = Server::start().await;
    let host = format!("http://{}", server.authority());
    Req::new(Style::Acs3Py, "DescribeRegions").host(&host).send(&server).await.ok();
    let r = Req::new(Style::Acs3Py, "DescribeNothing").host(&host).send(&server).await;
    assert_eq!(r.err(404, "InvalidAction.NotFound")["HostId"], host.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn acs3_accepts_a_signed_form_body() {
    let server = Server::start().await;
    let req =
        Req { acs3_form: vec![("RegionId".into(), "cn-hangzhou".into())], ..Req::new(Style::Acs3Py, "DescribeVpcs") };
    let v = req.send(&server).await.ok();
    assert!(v["TotalCount"].as_u64().unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn v1_ignores_the_x_acs_action_header() {
    // pop-core's header can disagree with the Action parameter (WIRE.md): v1 routes on Action.
    let server = Server::start().await;
    let v = Req::get("DescribeRegions").header_after("x-acs-action", "describeRegions").send(&server).await.ok();
    assert!(v.get("Regions").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_regions_json_and_xml() {
    let server = Server::start().await;
    let r = Req::get("DescribeRegions").send(&server).await;
    // The reply is sent in chunks (RequestId, then the action's bytes) with its exact length.
    assert_eq!(
        r.header("content-length"),
        Some(r.text.len().to_string().as_str()),
        "{:?}",
        r.header("transfer-encoding")
    );
    let v = r.ok();
    let regions = v["Regions"]["Region"].as_array().unwrap();
    for r in regions {
        for k in ["RegionId", "RegionEndpoint", "LocalName"] {
            assert!(r[k].is_string(), "{k} in {r}");
        }
    }
    assert!(regions.iter().any(|r| r["RegionId"] == "cn-hangzhou"));

    for format in ["XML", "xml"] {
        let r = Req::get("DescribeRegions").set("Format", format).send(&server).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("content-type"), Some(XML_CT));
        assert!(r.text.starts_with("<?xml"), "{}", r.text);
        assert_eq!(xml_root(&r.text), "DescribeRegionsResponse");
        assert_eq!(r.xml_field("RequestId").as_deref(), r.header("x-acs-request-id"));
        assert_eq!(r.text.matches("<Region>").count(), regions.len(), "one <Region> per region, inside <Regions>");
        assert!(r.text.contains("<Regions><Region><RegionId>"), "{}", r.text);
    }
    // Format=JSON, json and absent all answer JSON.
    for req in [
        Req::get("DescribeRegions").set("Format", "json"),
        Req::get("DescribeRegions").unset("Format"),
        Req::new(Style::Acs3Node, "DescribeRegions"),
    ] {
        req.send(&server).await.ok();
    }
}

fn find_vpc<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["Vpcs"]["Vpc"]
        .as_array()
        .expect("Vpcs.Vpc is an array")
        .iter()
        .find(|x| x["VpcId"] == id)
        .unwrap_or_else(|| panic!("{id} listed in {v}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn describe_vpcs_json_and_xml_keep_empty_wrappers() {
    let server = Server::start().await;
    let id = Req::get("CreateVpc").region("cn-hangzhou").p("CidrBlock", "192.168.0.0/16").send(&server).await.ok()
        ["VpcId"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = Req::get("DescribeVpcs").region("cn-hangzhou").send(&server).await.ok();
    for k in ["TotalCount", "PageNumber", "PageSize"] {
        assert!(v[k].is_u64(), "{k}: {v}");
    }
    assert_eq!(v["PageNumber"], 1);
    assert_eq!(v["PageSize"], 10);
    let vpc = find_vpc(&v, &id);
    assert_eq!(vpc["VSwitchIds"]["VSwitchId"], serde_json::json!([]));
    assert_eq!(vpc["UserCidrs"]["UserCidr"], serde_json::json!([]));
    assert_eq!(vpc["Tags"]["Tag"], serde_json::json!([]));
    assert_eq!(vpc["IsDefault"], false);
    assert_eq!(vpc["CidrBlock"], "192.168.0.0/16");
    // The default VPC lists its vSwitches.
    let default = v["Vpcs"]["Vpc"].as_array().unwrap().iter().find(|x| x["IsDefault"] == true).expect("a default VPC");
    assert!(!default["VSwitchIds"]["VSwitchId"].as_array().unwrap().is_empty());

    // An empty page still has its wrappers.
    let v = Req::get("DescribeVpcs").region("cn-hangzhou").p("VpcName", "no-such-name").send(&server).await.ok();
    assert_eq!(v["TotalCount"], 0);
    assert_eq!(v["Vpcs"]["Vpc"], serde_json::json!([]));

    let r = Req::get("DescribeVpcs").region("cn-hangzhou").p("VpcId", &id).set("Format", "XML").send(&server).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some(XML_CT));
    assert_eq!(xml_root(&r.text), "DescribeVpcsResponse");
    assert_eq!(r.xml_field("TotalCount").as_deref(), Some("1"));
    assert_eq!(r.xml_field("VpcId").as_deref(), Some(id.as_str()));
    let vpcs = xml_field(&r.text, "Vpcs").expect("<Vpcs>");
    assert!(vpcs.starts_with("<Vpc>"), "{vpcs}");
    assert!(r.text.contains("<VSwitchIds></VSwitchIds>") || r.text.contains("<VSwitchIds/>"));
    assert_eq!(r.xml_field("IsDefault").as_deref(), Some("false"));
}

#[tokio::test(flavor = "multi_thread")]
async fn booleans_from_python_and_node() {
    let server = Server::start().await;
    Req::get("CreateVpc").region("cn-hangzhou").send(&server).await.ok();
    for (value, default) in [("True", true), ("true", true), ("False", false), ("false", false)] {
        let v = Req::get("DescribeVpcs").region("cn-hangzhou").p("IsDefault", value).send(&server).await.ok();
        let vpcs = v["Vpcs"]["Vpc"].as_array().unwrap();
        assert!(!vpcs.is_empty(), "IsDefault={value}");
        assert!(vpcs.iter().all(|x| x["IsDefault"] == default), "IsDefault={value}: {v}");
    }
    for value in ["False", "false"] {
        Req::get("CreateVpc").region("cn-hangzhou").p("DryRun", value).send(&server).await.ok();
    }
    for value in ["True", "true"] {
        Req::get("CreateVpc").region("cn-hangzhou").p("DryRun", value).send(&server).await.err(400, "DryRunOperation");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_echoes_and_bounds() {
    let server = Server::start().await;
    for _ in 0..3 {
        Req::get("CreateVpc").region("cn-shanghai").send(&server).await.ok();
    }
    let total = Req::get("DescribeVpcs").region("cn-shanghai").send(&server).await.ok()["TotalCount"].as_u64().unwrap();
    assert_eq!(total, 4, "the default VPC and three new ones");
    let page = |n: &str| Req::get("DescribeVpcs").region("cn-shanghai").p("PageSize", "3").p("PageNumber", n);
    let p2 = page("2").send(&server).await.ok();
    assert_eq!(
        (&p2["PageNumber"], &p2["PageSize"], &p2["TotalCount"]),
        (&Value::from(2), &Value::from(3), &Value::from(4))
    );
    assert_eq!(p2["Vpcs"]["Vpc"].as_array().unwrap().len(), 1);
    let far = page("99").send(&server).await.ok();
    assert_eq!(far["Vpcs"]["Vpc"], serde_json::json!([]));
}
