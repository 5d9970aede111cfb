//! Writes replies and errors as the real service does (REAL-SERVICE §2.4, §4.1).
//!
//! One reply tree (a JSON object in documentation order) is rendered as JSON, or as XML with the
//! root `<{Action}Response>` and every array as repeated elements named by its key, so that
//! `{"NatGateways":{"NatGateway":[a,b]}}` becomes `<NatGateways><NatGateway>a</NatGateway>…`.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Response, StatusCode};
use quick_xml::escape::escape;
use serde_json::{Map, Value};

use crate::dispatch::Reply;
use crate::error::ApiError;

pub const JSON_CT: &str = "application/json;charset=utf-8";
pub const XML_CT: &str = "text/xml;charset=utf-8";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `Format`: absent, `JSON` or `json` → JSON; `XML`/`xml` → XML; anything else refused.
    pub fn parse(v: Option<&str>) -> Result<Format, ApiError> {
        match v {
            None | Some("") => Ok(Format::Json),
            Some(f) if f.eq_ignore_ascii_case("json") => Ok(Format::Json),
            Some(f) if f.eq_ignore_ascii_case("xml") => Ok(Format::Xml),
            Some(_) => Err(ApiError::InvalidFormat),
        }
    }
}

fn respond(status: u16, format: Format, request_id: &str, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let ct = match format {
        Format::Json => JSON_CT,
        Format::Xml => XML_CT,
    };
    r.headers_mut().insert("content-type", HeaderValue::from_static(ct));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-acs-request-id", v);
    }
    r
}

/// The success body as chunks: `RequestId` first, then the action's fields (JSON: the reply's own
/// bytes follow the `RequestId` chunk, not copied).
pub fn success_chunks(format: Format, action: &str, request_id: &str, reply: &Reply) -> Vec<Bytes> {
    match format {
        Format::Json => {
            let mut head = Vec::with_capacity(request_id.len() + 20);
            head.extend_from_slice(b"{\"RequestId\":");
            // A string always serializes.
            let _ = crate::json::write(&mut head, request_id);
            if !reply.is_empty() {
                head.push(b',');
            }
            vec![Bytes::from(head), reply.after_brace()]
        }
        Format::Xml => {
            let reply = reply.to_map();
            let mut s = String::with_capacity(256);
            s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
            s.push('<');
            s.push_str(action);
            s.push_str("Response><RequestId>");
            s.push_str(&escape(request_id));
            s.push_str("</RequestId>");
            write_fields(&mut s, &reply);
            s.push_str("</");
            s.push_str(action);
            s.push_str("Response>");
            vec![Bytes::from(s)]
        }
    }
}

/// The success body in one piece.
pub fn success_body(format: Format, action: &str, request_id: &str, reply: &Reply) -> Vec<u8> {
    success_chunks(format, action, request_id, reply).concat()
}

pub fn success(format: Format, action: &str, request_id: &str, reply: &Reply) -> Response<Body> {
    let mut r = respond(200, format, request_id, Vec::new());
    *r.body_mut() = Body::new(Chunks::new(success_chunks(format, action, request_id, reply)));
    r
}

/// A body of a few chunks of known total length (hyper writes them with one vectored write and
/// sends `Content-Length`).
struct Chunks {
    chunks: std::collections::VecDeque<Bytes>,
    len: u64,
}

impl Chunks {
    fn new(chunks: Vec<Bytes>) -> Chunks {
        let len = chunks.iter().map(|c| c.len() as u64).sum();
        Chunks { chunks: chunks.into_iter().filter(|c| !c.is_empty()).collect(), len }
    }
}

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let next = self.chunks.pop_front();
        if let Some(c) = &next {
            self.len -= c.len() as u64;
        }
        std::task::Poll::Ready(next.map(|c| Ok(http_body::Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.len)
    }
}

fn write_fields(s: &mut String, obj: &Map<String, Value>) {
    for (k, v) in obj {
        write_value(s, k, v);
    }
}

fn write_value(s: &mut String, key: &str, v: &Value) {
    match v {
        Value::Array(items) => {
            for item in items {
                write_value(s, key, item);
            }
        }
        Value::Null => {}
        _ => {
            s.push('<');
            s.push_str(key);
            s.push('>');
            match v {
                Value::Object(o) => write_fields(s, o),
                Value::String(t) => s.push_str(&escape(t.as_str())),
                Value::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
                Value::Number(n) => s.push_str(&n.to_string()),
                Value::Null | Value::Array(_) => {}
            }
            s.push_str("</");
            s.push_str(key);
            s.push('>');
        }
    }
}

/// `https://api.aliyun.com/troubleshoot?q=<Code>&product=Vpc&requestId=<RequestId>` (the current
/// gateway's form, REAL-SERVICE §4.1).
pub fn recommend(code: &str, request_id: &str) -> String {
    format!("https://api.aliyun.com/troubleshoot?q={code}&product=Vpc&requestId={request_id}")
}

pub fn error(format: Format, request_id: &str, host_id: &str, err: &ApiError) -> Response<Body> {
    let code = err.code();
    let message = err.message();
    let recommend = recommend(&code, request_id);
    let body = match format {
        Format::Json => serde_json::to_vec(&serde_json::json!({
            "RequestId": request_id,
            "HostId": host_id,
            "Code": code,
            "Message": message,
            "Recommend": recommend,
        }))
        .unwrap_or_default(),
        Format::Xml => format!(
            "<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>{}</RequestId><HostId>{}</HostId><Code>{}</Code><Message>{}</Message><Recommend><![CDATA[{}]]></Recommend></Error>",
            escape(request_id),
            escape(host_id),
            escape(code.as_ref()),
            escape(message.as_ref()),
            recommend.replace("]]>", "]]]]><![CDATA[>")
        )
        .into_bytes(),
    };
    let mut r = respond(err.status(), format, request_id, body);
    if code.contains("Throttling") {
        r.headers_mut().insert("x-acs-retry-after", HeaderValue::from_static("1"));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn xml_lists_repeat_their_element() {
        let reply = json!({"Vpcs": {"Vpc": [{"VpcId": "a", "VSwitchIds": {"VSwitchId": ["x", "y"]}}, {"VpcId": "b<&>", "VSwitchIds": {"VSwitchId": []}}]}, "TotalCount": 2, "Ok": true});
        let Value::Object(o) = reply else { unreachable!() };
        let xml = String::from_utf8(success_body(Format::Xml, "DescribeVpcs", "RID", &Reply::from_map(&o))).unwrap();
        assert_eq!(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeVpcsResponse><RequestId>RID</RequestId><Vpcs><Vpc><VpcId>a</VpcId><VSwitchIds><VSwitchId>x</VSwitchId><VSwitchId>y</VSwitchId></VSwitchIds></Vpc><Vpc><VpcId>b&lt;&amp;&gt;</VpcId><VSwitchIds></VSwitchIds></Vpc></Vpcs><TotalCount>2</TotalCount><Ok>true</Ok></DescribeVpcsResponse>");
    }

    #[test]
    fn json_puts_request_id_first() {
        let Value::Object(o) = json!({"B": 1, "A": {"X": []}}) else { unreachable!() };
        let body = String::from_utf8(success_body(Format::Json, "X", "RID", &Reply::from_map(&o))).unwrap();
        assert_eq!(body, r#"{"RequestId":"RID","B":1,"A":{"X":[]}}"#);
        let body = String::from_utf8(success_body(Format::Json, "X", "R\"1", &Reply::new())).unwrap();
        assert_eq!(body, r#"{"RequestId":"R\"1"}"#, "an empty reply, and the id escaped");
    }

    #[test]
    fn format_is_case_insensitive() {
        assert_eq!(Format::parse(Some("json")), Ok(Format::Json));
        assert_eq!(Format::parse(Some("XML")), Ok(Format::Xml));
        assert_eq!(Format::parse(None), Ok(Format::Json));
        assert!(Format::parse(Some("yaml")).is_err());
    }
}
