//! The write-ahead journal: a header, then records `[len u32][crc32 u32][payload]` (little-endian).
//! Appends go through one mutex in the order the emulator applied them; durability is separate:
//! `wait_durable(seq)` fsyncs everything appended so far, so concurrent writers share one fsync
//! (group commit).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use super::crc::crc32;
use super::FormatError;

pub const MAGIC: &[u8; 8] = b"NATEMUJ\x01";
pub const VERSION: u32 = 1;
/// Magic, version, the seq of the last record the snapshot already holds.
pub const HEADER_LEN: u64 = 8 + 4 + 8;
/// A record larger than this is corruption, not data.
const MAX_RECORD: u32 = 64 << 20;

/// What reading a journal found.
#[derive(Debug, Default)]
pub struct Scan {
    pub base_seq: u64,
    /// Valid payloads in order.
    pub records: Vec<Vec<u8>>,
    /// Where the valid prefix ends (the file is truncated there before appending).
    pub valid_len: u64,
    /// Bytes after the valid prefix: a torn final record, or (with `corrupt`) lost data.
    pub dropped_bytes: u64,
    /// A bad record with a valid record somewhere after it: not a torn tail.
    pub corrupt: bool,
    /// With `corrupt`: the valid records found after the damage (lost with `--repair`).
    pub lost_records: usize,
}

/// Reads a journal. A bad record (short, oversized, empty or failing its checksum) with nothing valid
/// after it is a torn tail; a bad record followed by a valid one is corruption.
pub fn scan(path: &Path) -> Result<Scan, FormatError> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Scan::default()),
        Err(e) => return Err(FormatError::Io(format!("{}: {e}", path.display()))),
    };
    let mut data = Vec::new();
    f.read_to_end(&mut data).map_err(|e| FormatError::Io(format!("{}: {e}", path.display())))?;
    if data.is_empty() {
        return Ok(Scan::default());
    }
    if data.len() < HEADER_LEN as usize || &data[..8] != MAGIC {
        if data.len() < HEADER_LEN as usize && MAGIC.starts_with(&data[..data.len().min(8)]) {
            // A crash while the header itself was written: nothing was ever acknowledged.
            return Ok(Scan { dropped_bytes: data.len() as u64, ..Scan::default() });
        }
        return Err(FormatError::NotOurs(path.display().to_string()));
    }
    let version = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
    if version != VERSION {
        return Err(FormatError::Version { path: path.display().to_string(), found: version, supported: VERSION });
    }
    let base_seq = u64::from_le_bytes(data[12..20].try_into().unwrap_or([0; 8]));
    let mut scan = Scan { base_seq, ..Scan::default() };
    let mut pos = HEADER_LEN as usize;
    while pos < data.len() {
        match record_at(&data, pos) {
            Some(payload) => {
                scan.records.push(payload.to_vec());
                pos += 8 + payload.len();
            }
            None => {
                // A bad record. If a valid record follows anywhere after it, the damage is in the
                // middle of the journal (corruption); otherwise it is the torn tail of a crash
                // mid-write (or a zero-filled tail the file system left).
                scan.valid_len = pos as u64;
                scan.dropped_bytes = (data.len() - pos) as u64;
                if let Some(next) = (pos + 1..data.len()).find(|&q| record_at(&data, q).is_some()) {
                    scan.corrupt = true;
                    let mut q = next;
                    while let Some(p) = record_at(&data, q) {
                        scan.lost_records += 1;
                        q += 8 + p.len();
                    }
                }
                return Ok(scan);
            }
        }
    }
    scan.valid_len = pos as u64;
    Ok(scan)
}

/// The payload of a whole, checksummed, non-empty record starting at `pos`.
fn record_at(data: &[u8], pos: usize) -> Option<&[u8]> {
    let rest = data.get(pos..)?;
    if rest.len() < 8 {
        return None;
    }
    let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
    if len == 0 || len > MAX_RECORD {
        return None;
    }
    let payload = rest.get(8..8 + len as usize)?;
    (crc32(payload) == crc).then_some(payload)
}

/// How long an answer waits for its write to be on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// fsync before answering (group commit).
    Always,
    /// fsync in the background every few milliseconds; a crash may lose the last moments.
    Batch,
    /// leave it to the operating system.
    Never,
}

struct Inner {
    file: File,
    len: u64,
    last_seq: u64,
}

pub struct Journal {
    path: PathBuf,
    inner: Mutex<Inner>,
    /// A second handle on the same file, so fsync does not hold up appends.
    sync_file: File,
    /// The last seq known to be on disk. Lock order: `sync_lock`, then `inner`.
    sync_lock: Mutex<u64>,
    pub mode: SyncMode,
}

impl Journal {
    /// Opens the journal for appending after recovery: truncated to its valid prefix (or created
    /// with a header for `base_seq`).
    pub fn open(path: &Path, valid_len: u64, base_seq: u64, last_seq: u64, mode: SyncMode) -> io::Result<Journal> {
        let mut file = super::private_options().read(true).write(true).create(true).truncate(false).open(path)?;
        let len = if valid_len < HEADER_LEN {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            write_header(&mut file, base_seq)?;
            HEADER_LEN
        } else {
            file.set_len(valid_len)?;
            valid_len
        };
        file.seek(SeekFrom::Start(len))?;
        file.sync_all()?;
        let sync_file = file.try_clone()?;
        Ok(Journal {
            path: path.to_owned(),
            inner: Mutex::new(Inner { file, len, last_seq }),
            sync_file,
            sync_lock: Mutex::new(last_seq),
            mode,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record; returns its seq (the caller must already hold the order: records are
    /// numbered in append order). An empty or oversized payload is refused before anything is
    /// written; a failed write leaves the file as it was.
    pub fn append(&self, make: impl FnOnce(u64) -> Vec<u8>) -> io::Result<u64> {
        let mut inner = self.inner.lock();
        let seq = inner.last_seq + 1;
        let payload = make(seq);
        if payload.is_empty() || payload.len() > MAX_RECORD as usize {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a journal record of {} bytes (1 to {MAX_RECORD} allowed)", payload.len()),
            ));
        }
        let mut rec = Vec::with_capacity(payload.len() + 8);
        rec.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        rec.extend_from_slice(&crc32(&payload).to_le_bytes());
        rec.extend_from_slice(&payload);
        if let Err(e) = inner.file.write_all(&rec) {
            // Leave the file as it was: a partial record would otherwise precede the next one.
            let len = inner.len;
            let _ = inner.file.set_len(len);
            let _ = inner.file.seek(SeekFrom::Start(len));
            return Err(e);
        }
        inner.len += rec.len() as u64;
        inner.last_seq = seq;
        Ok(seq)
    }

    pub fn last_seq(&self) -> u64 {
        self.inner.lock().last_seq
    }

    pub fn len(&self) -> u64 {
        self.inner.lock().len
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= HEADER_LEN
    }

    /// The last seq known to be on disk.
    pub fn durable_seq(&self) -> u64 {
        *self.sync_lock.lock()
    }

    /// Returns once record `seq` is on disk. The first waiter fsyncs everything appended so far;
    /// the others find their record already covered (group commit).
    pub fn wait_durable(&self, seq: u64) -> io::Result<()> {
        let mut durable = self.sync_lock.lock();
        if *durable >= seq {
            return Ok(());
        }
        let upto = self.last_seq();
        self.sync_file.sync_data()?;
        *durable = upto;
        Ok(())
    }

    /// Makes everything appended so far durable.
    pub fn sync(&self) -> io::Result<()> {
        let last = self.last_seq();
        self.wait_durable(last)
    }

    /// Empties the journal after a snapshot that holds everything up to `base_seq` (the snapshot
    /// must already be durable: a crash at any point here leaves a journal whose records the
    /// snapshot holds, which recovery skips).
    pub fn reset(&self, base_seq: u64) -> io::Result<()> {
        let mut durable = self.sync_lock.lock();
        let mut inner = self.inner.lock();
        inner.file.set_len(0)?;
        inner.file.seek(SeekFrom::Start(0))?;
        write_header(&mut inner.file, base_seq)?;
        inner.file.sync_all()?;
        inner.len = HEADER_LEN;
        inner.last_seq = base_seq;
        *durable = base_seq;
        Ok(())
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if self.mode != SyncMode::Never {
            let _ = self.sync();
        }
    }
}

fn write_header(file: &mut File, base_seq: u64) -> io::Result<()> {
    let mut h = Vec::with_capacity(HEADER_LEN as usize);
    h.extend_from_slice(MAGIC);
    h.extend_from_slice(&VERSION.to_le_bytes());
    h.extend_from_slice(&base_seq.to_le_bytes());
    file.write_all(&h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::persist::testdir;

    fn journal(dir: &Path) -> Journal {
        Journal::open(&dir.join("journal.log"), 0, 0, 0, SyncMode::Always).unwrap()
    }

    #[test]
    fn appends_and_scans_back() {
        let dir = testdir("journal-roundtrip");
        let j = journal(&dir);
        for i in 0..5 {
            let seq = j.append(|s| format!("{{\"seq\":{s},\"i\":{i}}}").into_bytes()).unwrap();
            j.wait_durable(seq).unwrap();
        }
        let s = scan(&dir.join("journal.log")).unwrap();
        assert_eq!(s.records.len(), 5);
        assert!(!s.corrupt && s.dropped_bytes == 0);
        assert_eq!(s.records[4], b"{\"seq\":5,\"i\":4}");
    }

    #[test]
    fn a_torn_tail_is_dropped_and_corruption_is_reported() {
        let dir = testdir("journal-torn");
        let path = dir.join("journal.log");
        let j = journal(&dir);
        for _ in 0..3 {
            j.append(|s| format!("record {s}").into_bytes()).unwrap();
        }
        drop(j);
        let full = std::fs::read(&path).unwrap();
        // Crash mid-write of the last record.
        std::fs::write(&path, &full[..full.len() - 3]).unwrap();
        let s = scan(&path).unwrap();
        assert_eq!((s.records.len(), s.corrupt), (2, false));
        assert!(s.dropped_bytes > 0);
        // A flipped byte in the first record, with valid records after it.
        let mut bad = full.clone();
        bad[HEADER_LEN as usize + 9] ^= 0xFF;
        std::fs::write(&path, &bad).unwrap();
        let s = scan(&path).unwrap();
        assert_eq!((s.records.len(), s.corrupt), (0, true));
        // A flipped byte in the last record only: torn.
        let mut last = full.clone();
        let n = last.len();
        last[n - 1] ^= 0xFF;
        std::fs::write(&path, &last).unwrap();
        let s = scan(&path).unwrap();
        assert_eq!((s.records.len(), s.corrupt), (2, false));
        // Another version.
        let mut v2 = full;
        v2[8] = 9;
        std::fs::write(&path, &v2).unwrap();
        assert!(matches!(scan(&path), Err(FormatError::Version { found: 9, .. })));
    }

    #[test]
    fn reopen_truncates_to_the_valid_prefix() {
        let dir = testdir("journal-reopen");
        let path = dir.join("journal.log");
        let j = journal(&dir);
        j.append(|_| b"a".to_vec()).unwrap();
        j.append(|_| b"b".to_vec()).unwrap();
        drop(j);
        let mut data = std::fs::read(&path).unwrap();
        data.extend_from_slice(&[1, 2, 3]);
        std::fs::write(&path, &data).unwrap();
        let s = scan(&path).unwrap();
        let j = Journal::open(&path, s.valid_len, s.base_seq, 2, SyncMode::Never).unwrap();
        assert_eq!(j.append(|_| b"c".to_vec()).unwrap(), 3);
        drop(j);
        let s = scan(&path).unwrap();
        assert_eq!(s.records, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    }
}
