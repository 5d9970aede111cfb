//! The emulator's clock and the few date routines the API needs.
//!
//! Every lifecycle deadline reads [`Clock::now_ms`]: the wall clock plus an offset that the control
//! plane can advance, or a frozen instant. Tests freeze it and advance it instead of sleeping.
//! Depends on nothing else in the crate.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, as the emulator sees them.
pub type Millis = u64;

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
    frozen: AtomicBool,
    frozen_at: AtomicU64,
    /// The highest running reading handed out: virtual time never goes back, even when the wall
    /// clock does (replaying a journal relies on writes seeing non-decreasing times).
    high_ms: AtomicU64,
}

/// What persistence stores of the clock: frozen at `virtual_ms`, or running at wall + `offset_ms`
/// (`virtual_ms` is then the reading when it was taken, for information).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClockState {
    pub frozen: bool,
    pub virtual_ms: Millis,
    pub offset_ms: i64,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock frozen at `at` (for tests).
    pub fn frozen_at(at: Millis) -> Self {
        let c = Self::default();
        c.frozen_at.store(at, Ordering::SeqCst);
        c.frozen.store(true, Ordering::SeqCst);
        c
    }

    pub fn now_ms(&self) -> Millis {
        if self.frozen.load(Ordering::Acquire) {
            return self.frozen_at.load(Ordering::Acquire);
        }
        let wall = wall_ms() as i64;
        let now = (wall + self.offset_ms.load(Ordering::Acquire)).max(0) as u64;
        // A plain load first: the shared counter is written only when time has moved on.
        let high = self.high_ms.load(Ordering::Acquire);
        if now <= high {
            return high;
        }
        now.max(self.high_ms.fetch_max(now, Ordering::AcqRel))
    }

    /// The clock as persistence stores it.
    pub fn state(&self) -> ClockState {
        let offset_ms = self.offset_ms.load(Ordering::Acquire);
        if self.is_frozen() {
            ClockState { frozen: true, virtual_ms: self.frozen_at.load(Ordering::Acquire), offset_ms }
        } else {
            ClockState { frozen: false, virtual_ms: self.now_ms(), offset_ms }
        }
    }

    /// Puts the clock back to a stored state (a running clock continues from its offset, and never
    /// reads less than the stored reading; time may go back, as restoring an older snapshot means).
    pub fn restore(&self, s: ClockState) {
        self.offset_ms.store(s.offset_ms, Ordering::Release);
        self.frozen_at.store(s.virtual_ms, Ordering::Release);
        self.high_ms.store(if s.frozen { 0 } else { s.virtual_ms }, Ordering::Release);
        self.frozen.store(s.frozen, Ordering::Release);
    }

    /// A running clock will not read less than `ms` (a replayed write's time: after a restart, the
    /// wall clock may be behind what the emulator already handed out).
    pub fn not_before(&self, ms: Millis) {
        self.high_ms.fetch_max(ms, Ordering::AcqRel);
    }

    /// Moves virtual time forward (frozen or not).
    pub fn advance(&self, ms: u64) {
        if self.frozen.load(Ordering::Acquire) {
            self.frozen_at.fetch_add(ms, Ordering::AcqRel);
        } else {
            self.offset_ms.fetch_add(ms as i64, Ordering::AcqRel);
        }
    }

    /// Freezes at the current instant, or lets time run again from the frozen instant.
    pub fn set_frozen(&self, freeze: bool) {
        let now = self.now_ms();
        if freeze {
            self.frozen_at.store(now, Ordering::Release);
            self.frozen.store(true, Ordering::Release);
        } else if self.frozen.load(Ordering::Acquire) {
            self.offset_ms.store(now as i64 - wall_ms() as i64, Ordering::Release);
            self.high_ms.fetch_max(now, Ordering::AcqRel);
            self.frozen.store(false, Ordering::Release);
        }
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::Acquire)
    }

    pub fn offset_ms(&self) -> i64 {
        if self.is_frozen() {
            self.frozen_at.load(Ordering::Acquire) as i64 - wall_ms() as i64
        } else {
            self.offset_ms.load(Ordering::Acquire)
        }
    }
}

pub fn wall_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `2024-01-01T00:00:00Z`: the API's time format (seconds, UTC).
pub fn format_iso(ms: Millis) -> String {
    let secs = (ms / 1000) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (h, mi, se) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    if !(0..=9999).contains(&y) {
        return format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{se:02}Z");
    }
    // Without `fmt` (every listed resource has a creation time).
    let mut b = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, mut n: u64| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(0, 4, y as u64);
    put(5, 2, m as u64);
    put(8, 2, d as u64);
    put(11, 2, h as u64);
    put(14, 2, mi as u64);
    put(17, 2, se as u64);
    b.iter().map(|&c| c as char).collect()
}

/// Parses `YYYY-MM-DDThh:mm:ssZ` (the only form the SDKs send; fractional seconds are accepted
/// too, as the documentation's ISO 8601 allows them). Returns milliseconds since the epoch.
pub fn parse_iso(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = s.get(r)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let rest = &s[19..];
    let frac_ok = match rest.strip_suffix('Z') {
        Some("") => true,
        Some(f) => f.len() >= 2 && f.starts_with('.') && f[1..].bytes().all(|c| c.is_ascii_digit()),
        None => false,
    };
    if !frac_ok || !(1..=12).contains(&mo) || d == 0 || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let dim = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if d > dim[(mo - 1) as usize] {
        return None;
    }
    let days = days_from_civil(y as i64, mo, d);
    let secs = days * 86_400 + (h * 3600 + mi * 60 + se) as i64;
    if secs < 0 {
        return None;
    }
    Some(secs as u64 * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for s in ["1970-01-01T00:00:00Z", "2016-02-23T12:46:24Z", "2024-02-29T23:59:59Z", "2026-11-25T18:22:03Z"] {
            assert_eq!(format_iso(parse_iso(s).expect(s)), s);
        }
        // Every day over four centuries, and beyond year 9999, as `format!` writes them.
        for day in (0..146_097u64 + 800).step_by(7) {
            let ms = day * 86_400_000 + (day % 86_400) * 1000;
            let secs = (ms / 1000) as i64;
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            let rem = secs.rem_euclid(86_400);
            let want = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem % 3600) / 60, rem % 60);
            assert_eq!(format_iso(ms), want);
        }
        assert_eq!(format_iso(253_402_300_800_000), "10000-01-01T00:00:00Z");
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "2016-02-23 12:46:24Z",
            "2016-02-23T12:46:24",
            "2016-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2016-02-23T24:00:00Z",
            "2016-02-23T12:46:24+08:00",
            "２016-02-23T12:46:24Z",
            "2016-02-23T12:46:24.Z",
        ] {
            assert_eq!(parse_iso(s), None, "{s}");
        }
        assert!(parse_iso("2016-02-23T12:46:24.123Z").is_some());
    }

    #[test]
    fn state_round_trips_and_time_never_goes_back() {
        let c = Clock::frozen_at(5_000);
        let s = c.state();
        assert_eq!(s, ClockState { frozen: true, virtual_ms: 5_000, offset_ms: 0 });
        let d = Clock::new();
        d.restore(s);
        assert_eq!(d.now_ms(), 5_000);
        let running = Clock::new();
        running.advance(60_000);
        let r = running.state();
        let e = Clock::new();
        e.restore(r);
        assert!(e.now_ms() >= r.virtual_ms && !e.is_frozen());
        // A wall clock that jumps back does not move virtual time back.
        let m = Clock::new();
        let first = m.now_ms();
        m.offset_ms.store(-10_000, Ordering::Release);
        assert!(m.now_ms() >= first);
    }

    #[test]
    fn frozen_clock_advances() {
        let c = Clock::frozen_at(1_000);
        c.advance(500);
        assert_eq!(c.now_ms(), 1_500);
        c.set_frozen(false);
        assert!(c.now_ms() >= 1_500);
    }
}
