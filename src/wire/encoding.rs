//! Percent-decoding of queries and form bodies, and the RFC 3986 encoding both signatures use.

use crate::error::ApiError;
use crate::params::Params;

/// Limits on what a request may carry (each answered by a documented 4xx).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_params: usize,
    pub max_value_bytes: usize,
}

/// Decodes `a=b&c=d` (query or `application/x-www-form-urlencoded` body): `+` is a space, `%XX` a
/// byte, and the result must be UTF-8. Malformed escapes and non-UTF-8 are refused rather than
/// guessed at, since the signature is computed over decoded values.
pub fn decode_pairs(raw: &[u8], into: &mut Params, limits: Limits) -> Result<(), ApiError> {
    for part in raw.split(|&b| b == b'&') {
        if part.is_empty() {
            continue;
        }
        let (k, v) = match part.iter().position(|&b| b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &b""[..]),
        };
        let key = decode_component(k)?;
        if key.is_empty() {
            return Err(ApiError::InvalidEncoding("a parameter has an empty name".into()));
        }
        let value = decode_component(v)?;
        if value.len() > limits.max_value_bytes {
            return Err(ApiError::ValueTooLong { name: truncate(&key, 64), limit: limits.max_value_bytes });
        }
        if into.len() >= limits.max_params {
            return Err(ApiError::TooManyParameters { limit: limits.max_params });
        }
        into.push(key, value)?;
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

pub fn decode_component(raw: &[u8]) -> Result<String, ApiError> {
    // Most names and values have nothing to decode.
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return std::str::from_utf8(raw)
            .map(str::to_owned)
            .map_err(|_| ApiError::InvalidEncoding("a parameter is not valid UTF-8".into()));
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = raw.get(i + 1).copied().and_then(hex_val);
                let lo = raw.get(i + 2).copied().and_then(hex_val);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(ApiError::InvalidEncoding("a '%' is not followed by two hex digits".into())),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ApiError::InvalidEncoding("a parameter is not valid UTF-8".into()))
}

/// RFC 3986 percent-encoding as both signature schemes define it: UTF-8 bytes, unreserved
/// `A-Z a-z 0-9 - _ . ~` kept, everything else `%XX` with upper-case hex (space → `%20`,
/// `*` → `%2A`).
pub fn pct(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // A run of unreserved bytes is copied at once (ASCII: a valid `str` slice).
        let run = bytes[i..].iter().take_while(|&&b| unreserved(b)).count();
        if run > 0 {
            // `i` is at an ASCII byte here (never inside a multi-byte character).
            out.push_str(&s[i..i + run]);
            i += run;
        }
        if let Some(&b) = bytes.get(i) {
            let esc = [b'%', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]];
            out.push_str(std::str::from_utf8(&esc).unwrap_or_default());
            i += 1;
        }
    }
}

pub fn pct_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    pct(s, &mut out);
    out
}

/// `k=v&k=v` over pairs sorted by name (byte order), both sides RFC 3986 encoded.
pub fn canonical_query<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut v: Vec<(&str, &str)> = pairs.collect();
    v.sort_unstable();
    let mut out = String::with_capacity(v.iter().map(|(k, x)| k.len() + x.len() + 2).sum::<usize>() * 3 / 2);
    for (i, (k, x)) in v.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        pct(k, &mut out);
        out.push('=');
        pct(x, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Limits = Limits { max_params: 100, max_value_bytes: 1000 };

    #[test]
    fn decodes_every_client_style() {
        let mut p = Params::new();
        decode_pairs(b"a=gw+one%20%E6%8F%8F*~&SignatureType=&flag", &mut p, L).unwrap();
        assert_eq!(p.get("a"), Some("gw one 描*~"));
        assert_eq!(p.get("SignatureType"), Some(""));
        assert_eq!(p.get("flag"), Some(""));
    }

    #[test]
    fn refuses_malformed_input() {
        for raw in [&b"a=%zz"[..], b"a=%E6%8F", b"a=%", b"=x", b"a=1&a=2"] {
            let mut p = Params::new();
            assert!(decode_pairs(raw, &mut p, L).is_err(), "{:?}", String::from_utf8_lossy(raw));
        }
        let mut p = Params::new();
        let many: Vec<u8> = (0..101).map(|i| format!("p{i}=1&")).collect::<String>().into_bytes();
        assert_eq!(decode_pairs(&many, &mut p, L).unwrap_err().code(), "InvalidParameter.TooMany");
    }

    #[test]
    fn rfc3986() {
        assert_eq!(pct_string("a b*c~/:=,+"), "a%20b%2Ac~%2F%3A%3D%2C%2B");
        assert_eq!(pct_string("描"), "%E6%8F%8F");
        assert_eq!(pct_string(""), "");
        assert_eq!(pct_string("%"), "%25");
        assert_eq!(pct_string("abc"), "abc");
        assert_eq!(pct_string("é1"), "%C3%A91");
        assert_eq!(pct_string("a描b c"), "a%E6%8F%8Fb%20c");
    }

    #[test]
    fn plain_components_are_copied_and_still_checked() {
        assert_eq!(decode_component(b"DescribeNatGateways").unwrap(), "DescribeNatGateways");
        assert_eq!(decode_component(b"").unwrap(), "");
        assert_eq!(decode_component("描".as_bytes()).unwrap(), "描", "raw UTF-8 is accepted as before");
        assert!(decode_component(b"\xff").is_err(), "raw non-UTF-8 is still refused");
    }
}
