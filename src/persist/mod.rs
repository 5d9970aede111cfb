//! Persistence: a write-ahead journal of every acknowledged change plus snapshots, in `--data-dir`.
//!
//! Layout of the data directory:
//! - `LOCK` — held (advisory file lock) by the one process that writes here.
//! - `snapshot.bin` — the last snapshot: header (magic, version, body length, CRC-32) + JSON body.
//! - `journal.log` — records appended after that snapshot (see `journal`).
//! - `snapshots/<name>.bin` — named snapshots (same format).
//!
//! Recovery: the snapshot, then every journal record with a higher seq, applied through the same
//! deterministic code as live requests (the caller's `apply`). A torn final record is dropped with
//! a warning; corruption before the tail refuses to start unless `repair` keeps the longest valid
//! prefix. This file, `journal` and `crc` know nothing of HTTP or of what a record means;
//! `document` (the state document: snapshots, export, import) and `live` (the order of writes,
//! records, replay, compaction, named snapshots) connect them to the running emulator.

pub mod crc;
pub mod document;
pub mod journal;
pub mod live;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use journal::{Journal, SyncMode};

pub const SNAPSHOT_MAGIC: &[u8; 8] = b"NATEMUS\x01";
pub const SNAPSHOT_VERSION: u32 = 1;
const SNAPSHOT_HEADER: usize = 8 + 4 + 8 + 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("{0}")]
    Io(String),
    #[error("{0} is not an aliyun-nat-emulator data file; point --data-dir at an empty or an emulator directory")]
    NotOurs(String),
    #[error(
        "{path} has format version {found}, this emulator reads version {supported}; use the emulator release that wrote it, or export the state with it (GET /_emulator/state/export) and import it here"
    )]
    Version { path: String, found: u32, supported: u32 },
    #[error("{0} is damaged (checksum mismatch); restore it from a copy, or start with --repair to drop it")]
    Checksum(String),
    #[error(
        "{path}: the journal is damaged at byte {at} ({lost} bytes after it, holding at least {lost_records} valid records); start with --repair to keep the {kept} records before it (the rest is lost)"
    )]
    CorruptJournal { path: String, at: u64, lost: u64, lost_records: usize, kept: usize },
    #[error("{0}; start with --repair to start from what can be trusted (the message of --repair says what is lost)")]
    Inconsistent(String),
    #[error("another aliyun-nat-emulator process uses {0}; stop it, or give this one another --data-dir")]
    Locked(String),
}

/// Options for the files of a data directory: readable by their owner only (0600 on Unix), since
/// snapshots and the journal hold the accounts' secrets.
pub(crate) fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o
}

/// Writes `body` as a snapshot file atomically: temporary file, fsync, rename, fsync directory.
pub fn write_snapshot_file(path: &Path, body: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut f = private_options().write(true).create(true).truncate(true).open(&tmp)?;
        f.write_all(SNAPSHOT_MAGIC)?;
        f.write_all(&SNAPSHOT_VERSION.to_le_bytes())?;
        f.write_all(&(body.len() as u64).to_le_bytes())?;
        f.write_all(&crc::crc32(body).to_le_bytes())?;
        f.write_all(body)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Reads a snapshot file's body (None when there is none).
pub fn read_snapshot_file(path: &Path) -> Result<Option<Vec<u8>>, FormatError> {
    let data = match fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(FormatError::Io(format!("{}: {e}", path.display()))),
    };
    let name = path.display().to_string();
    if data.len() < SNAPSHOT_HEADER || &data[..8] != SNAPSHOT_MAGIC {
        return Err(FormatError::NotOurs(name));
    }
    let version = u32::from_le_bytes([data[8], data[9], data[10], data[11]]);
    if version != SNAPSHOT_VERSION {
        return Err(FormatError::Version { path: name, found: version, supported: SNAPSHOT_VERSION });
    }
    let len = u64::from_le_bytes(data[12..20].try_into().unwrap_or([0; 8])) as usize;
    let crc = u32::from_le_bytes([data[20], data[21], data[22], data[23]]);
    let body = &data[SNAPSHOT_HEADER..];
    if body.len() != len || crc::crc32(body) != crc {
        return Err(FormatError::Checksum(name));
    }
    Ok(Some(body.to_vec()))
}

/// A data directory, locked for this process.
pub struct DataDir {
    pub path: PathBuf,
    _lock: File,
}

/// What recovery found, before the caller applies it.
pub struct Recovered {
    /// The last snapshot's body.
    pub snapshot: Option<Vec<u8>>,
    /// Journal payloads after the snapshot, in order (seqs consecutive from the snapshot's + 1).
    pub records: Vec<Vec<u8>>,
    /// Human-readable notes (a dropped torn tail, a repair), to log.
    pub warnings: Vec<String>,
    /// `--repair` dropped something: the caller should write a snapshot of what it recovers (and
    /// reset the journal) before accepting writes, so the damage is gone from the directory.
    pub compact: bool,
    pub journal: Journal,
}

/// Every journal payload carries its seq; recovery uses it to skip what a snapshot already holds.
#[derive(Debug, Deserialize)]
struct SeqOnly {
    seq: u64,
}

impl DataDir {
    pub fn open(path: &Path) -> Result<DataDir, FormatError> {
        let io_err = |e: io::Error| FormatError::Io(format!("{}: {e}", path.display()));
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(path.join("snapshots")).map_err(io_err)?;
        let lock = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path.join("LOCK"))
            .map_err(|e| FormatError::Io(format!("{}: {e}", path.display())))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(FormatError::Locked(path.display().to_string())),
            Err(fs::TryLockError::Error(e)) => return Err(FormatError::Io(format!("{}: {e}", path.display()))),
        }
        Ok(DataDir { path: path.to_owned(), _lock: lock })
    }

    pub fn snapshot_path(&self) -> PathBuf {
        self.path.join("snapshot.bin")
    }

    pub fn journal_path(&self) -> PathBuf {
        self.path.join("journal.log")
    }

    pub fn named_snapshot_path(&self, name: &str) -> Option<PathBuf> {
        let ok = !name.is_empty()
            && name.len() <= 100
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
            && !name.starts_with('.');
        ok.then(|| self.path.join("snapshots").join(format!("{name}.bin")))
    }

    /// Reads the snapshot and the journal; with `repair`, damage keeps what can be trusted.
    /// `snapshot_seq` reads the seq stored in a snapshot body (its format is the caller's).
    ///
    /// Refused without `repair` (each with a message saying what to do): a damaged snapshot, a
    /// damaged journal (not its torn tail), a journal that continues a snapshot that is missing or
    /// older than it, and records whose seqs are not consecutive.
    pub fn recover(
        &self,
        mode: SyncMode,
        repair: bool,
        snapshot_seq: impl Fn(&[u8]) -> Option<u64>,
    ) -> Result<Recovered, FormatError> {
        let mut warnings = Vec::new();
        let mut compact = false;
        let snap_path = self.snapshot_path();
        let (snapshot, snapshot_damaged) = match read_snapshot_file(&snap_path) {
            Err(FormatError::Checksum(p)) if repair => (None, Some(p)),
            other => (other?, None),
        };
        let base = match &snapshot {
            Some(body) => snapshot_seq(body).ok_or_else(|| FormatError::NotOurs(snap_path.display().to_string()))?,
            None => 0,
        };
        let path = self.journal_path();
        let scan = journal::scan(&path)?;
        if scan.corrupt && !repair {
            return Err(FormatError::CorruptJournal {
                path: path.display().to_string(),
                at: scan.valid_len,
                lost: scan.dropped_bytes,
                lost_records: scan.lost_records,
                kept: scan.records.len(),
            });
        }
        if scan.corrupt {
            compact = true;
            warnings.push(format!(
                "--repair: {} is damaged at byte {}; kept the {} records before it, dropped {} bytes (at least {} valid records after the damage are lost)",
                path.display(),
                scan.valid_len,
                scan.records.len(),
                scan.dropped_bytes,
                scan.lost_records
            ));
        } else if scan.dropped_bytes > 0 {
            warnings.push(format!(
                "{}: dropped a torn final record ({} bytes, never acknowledged)",
                path.display(),
                scan.dropped_bytes
            ));
        }
        let seqs: Vec<Option<u64>> =
            scan.records.iter().map(|r| serde_json::from_slice::<SeqOnly>(r).ok().map(|s| s.seq)).collect();
        let open = |valid_len: u64, header_seq: u64, last: u64| {
            Journal::open(&path, valid_len, header_seq, last, mode)
                .map_err(|e| FormatError::Io(format!("{}: {e}", path.display())))
        };

        // The snapshot is lost: nothing in the journal can be applied to anything known.
        if let Some(p) = snapshot_damaged {
            warnings.push(format!(
                "--repair: {p} is damaged; starting from the world file, the snapshot and the {} journal records after it are lost",
                scan.records.len()
            ));
            let journal = open(0, 0, 0)?;
            return Ok(Recovered { snapshot: None, records: vec![], warnings, compact: true, journal });
        }
        // A journal that continues a snapshot which is missing, or older than the journal.
        if scan.base_seq > base {
            let what = match &snapshot {
                None => format!("{} is missing", snap_path.display()),
                Some(_) => format!("{} holds only up to seq {base}", snap_path.display()),
            };
            let msg = format!(
                "{} continues a snapshot at seq {}, but {what} (was a file of the data directory replaced or deleted?)",
                path.display(),
                scan.base_seq
            );
            if !repair {
                return Err(FormatError::Inconsistent(msg));
            }
            warnings.push(format!("--repair: {msg}; the {} journal records are dropped", scan.records.len()));
            let journal = open(0, base, base)?;
            return Ok(Recovered { snapshot, records: vec![], warnings, compact: true, journal });
        }
        // Records after the snapshot, which must follow it without a gap.
        let mut records = Vec::new();
        let mut kept_len = journal::HEADER_LEN;
        let mut expected = base + 1;
        for (r, seq) in scan.records.into_iter().zip(seqs) {
            let size = 8 + r.len() as u64;
            match seq {
                Some(s) if s < expected => {}
                Some(s) if s == expected => {
                    expected += 1;
                    records.push(r);
                }
                _ => {
                    let found = seq.map_or("a record without a seq".to_owned(), |s| format!("seq {s}"));
                    let msg = format!("{}: expected seq {expected} after the snapshot, found {found}", path.display());
                    if !repair {
                        return Err(FormatError::Inconsistent(msg));
                    }
                    warnings.push(format!("--repair: {msg}; kept the {} records before it", records.len()));
                    let journal = open(kept_len, scan.base_seq, expected - 1)?;
                    return Ok(Recovered { snapshot, records, warnings, compact: true, journal });
                }
            }
            kept_len += size;
        }
        let journal = open(scan.valid_len, base, expected - 1)?;
        Ok(Recovered { snapshot, records, warnings, compact, journal })
    }
}

/// A fresh, empty directory for a test (under the system temp dir).
#[cfg(test)]
pub fn testdir(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("nat-emulator-test-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&p);
    fs::create_dir_all(&p).expect("temp dir");
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_files_are_atomic_and_checked() {
        let dir = testdir("snapshot");
        let p = dir.join("snapshot.bin");
        assert_eq!(read_snapshot_file(&p).unwrap(), None);
        write_snapshot_file(&p, b"{\"seq\":3}").unwrap();
        assert_eq!(read_snapshot_file(&p).unwrap().as_deref(), Some(&b"{\"seq\":3}"[..]));
        let mut data = fs::read(&p).unwrap();
        let n = data.len();
        data[n - 2] ^= 1;
        fs::write(&p, &data).unwrap();
        assert!(matches!(read_snapshot_file(&p), Err(FormatError::Checksum(_))));
        data[8] = 7;
        fs::write(&p, &data).unwrap();
        assert!(matches!(read_snapshot_file(&p), Err(FormatError::Version { found: 7, .. })));
    }

    #[test]
    fn one_process_per_directory() {
        let dir = testdir("lock");
        let a = DataDir::open(&dir).unwrap();
        assert!(matches!(DataDir::open(&dir), Err(FormatError::Locked(_))));
        drop(a);
        DataDir::open(&dir).unwrap();
    }

    #[test]
    fn recovery_skips_what_the_snapshot_holds_and_refuses_corruption() {
        let dir = testdir("recover");
        let d = DataDir::open(&dir).unwrap();
        let seq_of = |b: &[u8]| serde_json::from_slice::<SeqOnly>(b).ok().map(|s| s.seq);
        let r = d.recover(SyncMode::Always, false, seq_of).unwrap();
        for _ in 0..4 {
            r.journal.append(|s| format!("{{\"seq\":{s}}}").into_bytes()).unwrap();
        }
        drop(r);
        write_snapshot_file(&d.snapshot_path(), b"{\"seq\":2}").unwrap();
        let r = d.recover(SyncMode::Always, false, seq_of).unwrap();
        assert_eq!(r.records, vec![b"{\"seq\":3}".to_vec(), b"{\"seq\":4}".to_vec()]);
        assert_eq!(r.journal.append(|s| format!("{{\"seq\":{s}}}").into_bytes()).unwrap(), 5);
        drop(r);
        let mut data = fs::read(d.journal_path()).unwrap();
        data[journal::HEADER_LEN as usize + 9] ^= 0xFF;
        fs::write(d.journal_path(), &data).unwrap();
        let e = d.recover(SyncMode::Always, false, seq_of).err().unwrap();
        assert!(matches!(e, FormatError::CorruptJournal { kept: 0, .. }), "{e}");
        let r = d.recover(SyncMode::Always, true, seq_of).unwrap();
        assert!(r.records.is_empty() && r.warnings[0].contains("--repair"));
    }

    #[test]
    fn a_gap_or_a_journal_ahead_of_its_snapshot_is_refused_and_repaired() {
        let seq_of = |b: &[u8]| serde_json::from_slice::<SeqOnly>(b).ok().map(|s| s.seq);
        // Records 1, 2, then 4: a gap.
        let dir = testdir("gap");
        let d = DataDir::open(&dir).unwrap();
        let r = d.recover(SyncMode::Never, false, seq_of).unwrap();
        for s in [1, 2, 4] {
            r.journal.append(|_| format!("{{\"seq\":{s}}}").into_bytes()).unwrap();
        }
        drop(r);
        let e = d.recover(SyncMode::Never, false, seq_of).err().unwrap();
        assert!(matches!(&e, FormatError::Inconsistent(m) if m.contains("expected seq 3")), "{e}");
        let r = d.recover(SyncMode::Never, true, seq_of).unwrap();
        assert_eq!(r.records.len(), 2);
        assert!(r.compact && r.warnings[0].contains("kept the 2 records"));
        assert_eq!(r.journal.append(|s| format!("{{\"seq\":{s}}}").into_bytes()).unwrap(), 3);
        drop(r);
        assert_eq!(d.recover(SyncMode::Never, false, seq_of).unwrap().records.len(), 3);

        // A journal continuing seq 10 with a snapshot at 5 (an old snapshot put back by hand).
        let dir = testdir("ahead");
        let d = DataDir::open(&dir).unwrap();
        write_snapshot_file(&d.snapshot_path(), b"{\"seq\":5}").unwrap();
        let j = journal::Journal::open(&d.journal_path(), 0, 10, 10, SyncMode::Never).unwrap();
        j.append(|s| format!("{{\"seq\":{s}}}").into_bytes()).unwrap();
        drop(j);
        let e = d.recover(SyncMode::Never, false, seq_of).err().unwrap();
        assert!(e.to_string().contains("holds only up to seq 5"), "{e}");
        let r = d.recover(SyncMode::Never, true, seq_of).unwrap();
        assert!(r.records.is_empty() && r.compact && r.snapshot.is_some());
    }

    #[test]
    fn corruption_is_told_apart_from_a_torn_or_zero_filled_tail() {
        let dir = testdir("tails");
        let path = dir.join("journal.log");
        let j = journal::Journal::open(&path, 0, 0, 0, SyncMode::Never).unwrap();
        for _ in 0..5 {
            j.append(|s| format!("{{\"seq\":{s}}}").into_bytes()).unwrap();
        }
        drop(j);
        let good = fs::read(&path).unwrap();
        // A length field damaged in the middle: the records after it are found, so it is corruption.
        let mut bad = good.clone();
        bad[journal::HEADER_LEN as usize + 1] = 0x7f;
        fs::write(&path, &bad).unwrap();
        let s = journal::scan(&path).unwrap();
        assert!(s.corrupt && s.records.is_empty() && s.lost_records == 4, "{s:?}");
        // Zeros after the last record: torn, not corrupt.
        let mut zeros = good.clone();
        zeros.extend_from_slice(&[0; 100]);
        fs::write(&path, &zeros).unwrap();
        let s = journal::scan(&path).unwrap();
        assert!(!s.corrupt && s.records.len() == 5 && s.dropped_bytes == 100, "{s:?}");
    }
}
