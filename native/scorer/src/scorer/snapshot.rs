//! State snapshots: a scorer's whole state written to and restored from one file, atomically and checksummed.
//!
//! ```text
//!  file = header (48 B) | body (body_len B) | crc32c of everything before it (u32)     all little-endian
//!
//!  header
//!  byte 0         8        12       16            24            32            40       44       48
//!       +---------+--------+--------+-------------+-------------+-------------+--------+--------+
//!       | magic   | format | header | layout      | body_len    | created     | zero   | header |
//!       |"FRAUDSNP"| u32 =1 | len=48 | fingerprint | u64         | unix ms u64 | u32    | crc32c |
//!       +---------+--------+--------+-------------+-------------+-------------+--------+--------+
//!
//!  body = sections in this order, each: tag [4] | payload length u64 | payload
//!    META  modelVersion, thresholdsVersion (u32 length + UTF-8 each), extra (u32 length + bytes)
//!    CONF  labelDelayDays u32 | review f32 | decline f32
//!    CARD  n u64 | n x card entry, in slot order:
//!            key u64 | newest day i32 | bucket mask u32 (bit d: day bucket d is not empty)
//!            | per set bit, low to high: count u8, amount sum f32
//!            | prev_ts f64 | present_ts f64 | present_lat f32 | present_lon f32 | present_country u16
//!            | small_count u16 | small_day i32
//!    TERM  n u64 | label days u32 (31 + delay) | n x key u64 | n x newest day i32
//!            | n x 31 x transaction count u32 | n x label days x (fraud u32, labelled u32)
//! ```
//!
//! Every value is stored bit for bit (floats as their IEEE bits, NaN included), so a restored scorer scores every
//! later transaction exactly as the one that wrote the snapshot would have.

mod body;

use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::PoisonError;
use std::time::{SystemTime, UNIX_EPOCH};

pub use body::Body;
pub use body::{MAX_EXTRA_BYTES, MAX_VERSION_BYTES};

use super::Scorer;
use crate::decide::Thresholds;
use crate::state::{CardState, State, TermMeta};
use crate::ticket::{GateError, TicketGuard, WAIT_LIMIT};
use crate::windows::{CARD_DAYS, CardWindow};

/// The first 8 bytes of every snapshot.
pub const MAGIC: [u8; 8] = *b"FRAUDSNP";
/// Version of the file framing (header, sections, checksum).
pub const FORMAT_VERSION: u32 = 1;
/// Version of the state's meaning: bump it when a state field changes meaning without changing the structs' sizes.
pub const STATE_FORMAT_VERSION: u64 = 3;
/// Bytes of the header.
pub const HEADER_LEN: usize = 48;
/// Bytes of the trailing checksum.
pub const TRAILER_LEN: usize = 4;

/// FNV-1a over the bytes of `parts`.
const fn fingerprint(parts: &[u64]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    let mut i = 0;
    while i < parts.len() {
        let mut b = 0;
        while b < 8 {
            h ^= (parts[i] >> (8 * b)) & 0xff;
            h = h.wrapping_mul(0x0100_0000_01b3);
            b += 1;
        }
        i += 1;
    }
    h
}

/// Changes when the state structs change: the state format version and the sizes of what the body holds.
pub const LAYOUT_FINGERPRINT: u64 = fingerprint(&[
    STATE_FORMAT_VERSION,
    size_of::<CardState>() as u64,
    size_of::<CardWindow>() as u64,
    CARD_DAYS as u64,
    size_of::<[u32; 2]>() as u64,
    size_of::<Thresholds>() as u64,
    size_of::<TermMeta>() as u64,
]);

/// What the caller stores with a snapshot and gets back on restore; the scorer does not interpret it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotMeta {
    /// The model's version or hash (at most 4096 bytes).
    pub model_version: String,
    /// The thresholds' version or hash (at most 4096 bytes).
    pub thresholds_version: String,
    /// Anything else, e.g. a checkpoint's source position (at most 1 MiB).
    pub extra: Vec<u8>,
}

/// What a written snapshot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// File size in bytes.
    pub bytes: u64,
    /// Cards in it.
    pub cards: usize,
    /// Terminals in it.
    pub terminals: usize,
    /// When it was taken, Unix milliseconds.
    pub created_unix_ms: u64,
}

/// What a restore read.
#[derive(Clone, Debug, PartialEq)]
pub struct Restored {
    /// The metadata given to the snapshot.
    pub meta: SnapshotMeta,
    /// The thresholds the snapshot held, now in force.
    pub thresholds: Thresholds,
    /// The label delay of the snapshot's terminal state.
    pub label_delay_days: u32,
    /// File size, cards, terminals and time taken.
    pub info: SnapshotInfo,
}

/// What is wrong with a snapshot (or with writing one).
#[derive(Debug)]
pub enum SnapshotErrorKind {
    /// Reading, writing, syncing or renaming failed.
    Io {
        /// What was being done.
        op: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// The file does not start with [`MAGIC`].
    NotASnapshot,
    /// The header's checksum does not match its bytes.
    HeaderChecksum {
        /// Stored in the header.
        stored: u32,
        /// Computed from the header.
        computed: u32,
    },
    /// A framing version this build does not read.
    Version {
        /// In the file.
        found: u32,
        /// What this build reads.
        supported: u32,
    },
    /// Written by a build whose state structs differ.
    Layout {
        /// In the file.
        found: u64,
        /// This build's [`LAYOUT_FINGERPRINT`].
        expected: u64,
    },
    /// The file is shorter than its header says.
    Truncated {
        /// Bytes the header announces.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The file is longer than its header says.
    TrailingBytes {
        /// Bytes the header announces.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The checksum over the whole file does not match.
    Checksum {
        /// Stored at the end of the file.
        stored: u32,
        /// Computed from the file.
        computed: u32,
    },
    /// The checksum matches but the body does not make sense (a writer bug or a forged file).
    Corrupt(String),
    /// A valid snapshot that does not fit this scorer (e.g. another label delay).
    Mismatch(String),
    /// The metadata given to a snapshot is too large.
    Invalid(String),
    /// The snapshot's ticket never came up at the ordering gate.
    Gate(GateError),
}

impl fmt::Display for SnapshotErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { op, source } => write!(f, "cannot {op}: {source}"),
            Self::NotASnapshot => write!(
                f,
                "not a Fraudstream snapshot (the file does not start with {:?})",
                String::from_utf8_lossy(&MAGIC)
            ),
            Self::HeaderChecksum { stored, computed } => write!(
                f,
                "header is corrupt (checksum {computed:#010x}, header says {stored:#010x})"
            ),
            Self::Version { found, supported } => write!(
                f,
                "format version {found} is not supported (this build reads version {supported})"
            ),
            Self::Layout { found, expected } => write!(
                f,
                "written by a build with another state layout (fingerprint {found:#018x}, this build has {expected:#018x}); \
                 the state cannot be restored by this build"
            ),
            Self::Truncated { expected, found } => {
                write!(f, "truncated: {found} bytes, the header says {expected}")
            }
            Self::TrailingBytes { expected, found } => write!(
                f,
                "{found} bytes, the header says {expected}: unexpected bytes after the end"
            ),
            Self::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch (computed {computed:#010x}, file says {stored:#010x}): the file is corrupt"
            ),
            Self::Corrupt(m) => write!(f, "corrupt: {m}"),
            Self::Mismatch(m) | Self::Invalid(m) => f.write_str(m),
            Self::Gate(e) => write!(f, "{e}"),
        }
    }
}

/// A snapshot error naming the file.
#[derive(Debug)]
pub struct SnapshotError {
    /// The snapshot file.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: SnapshotErrorKind,
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "snapshot {}: {}", self.path.display(), self.kind)
    }
}

impl std::error::Error for SnapshotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            SnapshotErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn err(path: &Path, kind: SnapshotErrorKind) -> SnapshotError {
    SnapshotError {
        path: path.to_path_buf(),
        kind,
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The whole file image of a snapshot of `state`.
///
/// # Errors
/// When the metadata is too large.
pub fn encode_image(
    state: &State,
    thresholds: Thresholds,
    meta: &SnapshotMeta,
    created_unix_ms: u64,
) -> Result<Vec<u8>, SnapshotErrorKind> {
    body::check_meta(meta).map_err(SnapshotErrorKind::Invalid)?;
    let mut buf = vec![0u8; HEADER_LEN];
    body::encode(&mut buf, state, thresholds, meta);
    let body_len = (buf.len() - HEADER_LEN) as u64;
    buf[0..8].copy_from_slice(&MAGIC);
    buf[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    buf[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
    buf[16..24].copy_from_slice(&LAYOUT_FINGERPRINT.to_le_bytes());
    buf[24..32].copy_from_slice(&body_len.to_le_bytes());
    buf[32..40].copy_from_slice(&created_unix_ms.to_le_bytes());
    buf.extend_from_slice(&[0; TRAILER_LEN]);
    reseal(&mut buf);
    Ok(buf)
}

/// Recomputes both checksums of a snapshot image in place (the header's, and the trailer over all before it).
/// Tests and fuzzing use it to reach the body decoder with altered bytes; images shorter than a header are left.
pub fn reseal(image: &mut [u8]) {
    if image.len() < HEADER_LEN + TRAILER_LEN {
        return;
    }
    let h = crc32c::crc32c(&image[..HEADER_LEN - 4]);
    image[HEADER_LEN - 4..HEADER_LEN].copy_from_slice(&h.to_le_bytes());
    let end = image.len() - TRAILER_LEN;
    let t = crc32c::crc32c(&image[..end]);
    image[end..].copy_from_slice(&t.to_le_bytes());
}

/// Checks and decodes a whole snapshot image; returns the body and the time it was taken.
///
/// # Errors
/// The first thing found wrong, in this order: magic, length of the header, header checksum, format version,
/// layout fingerprint, file length, checksum, body.
pub fn decode_image(image: &[u8]) -> Result<(Body, u64), SnapshotErrorKind> {
    let found = image.len() as u64;
    if image.len() < MAGIC.len() || image[..MAGIC.len()] != MAGIC {
        // A file cut inside the magic is still reported as what it is, a truncated snapshot.
        return Err(if MAGIC.starts_with(image) {
            SnapshotErrorKind::Truncated {
                expected: HEADER_LEN as u64,
                found,
            }
        } else {
            SnapshotErrorKind::NotASnapshot
        });
    }
    if image.len() < HEADER_LEN {
        return Err(SnapshotErrorKind::Truncated {
            expected: HEADER_LEN as u64,
            found,
        });
    }
    let stored = u32_at(image, HEADER_LEN - 4);
    let computed = crc32c::crc32c(&image[..HEADER_LEN - 4]);
    if stored != computed {
        return Err(SnapshotErrorKind::HeaderChecksum { stored, computed });
    }
    let version = u32_at(image, 8);
    if version != FORMAT_VERSION {
        return Err(SnapshotErrorKind::Version {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let header_len = u32_at(image, 12);
    if header_len as usize != HEADER_LEN || u32_at(image, 40) != 0 {
        return Err(SnapshotErrorKind::Corrupt(format!(
            "header length {header_len} or reserved field is not what format {FORMAT_VERSION} writes"
        )));
    }
    let layout = u64_at(image, 16);
    if layout != LAYOUT_FINGERPRINT {
        return Err(SnapshotErrorKind::Layout {
            found: layout,
            expected: LAYOUT_FINGERPRINT,
        });
    }
    let expected = u64_at(image, 24).saturating_add((HEADER_LEN + TRAILER_LEN) as u64);
    if found < expected {
        return Err(SnapshotErrorKind::Truncated { expected, found });
    }
    if found > expected {
        return Err(SnapshotErrorKind::TrailingBytes { expected, found });
    }
    let end = image.len() - TRAILER_LEN;
    let stored = u32_at(image, end);
    let computed = crc32c::crc32c(&image[..end]);
    if stored != computed {
        return Err(SnapshotErrorKind::Checksum { stored, computed });
    }
    let body = body::decode(&image[HEADER_LEN..end]).map_err(SnapshotErrorKind::Corrupt)?;
    Ok((body, u64_at(image, 32)))
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, rename over `path`, fsync of the folder.
/// A crash leaves either the old file or the new one, never a partial one under `path`.
///
/// # Errors
/// The step that failed, naming `path`; the temporary file is removed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    let name = path.file_name().ok_or_else(|| {
        err(
            path,
            SnapshotErrorKind::Invalid("the path names no file".into()),
        )
    })?;
    let mut tmp_name = name.to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let io = |op| move |source| err(path, SnapshotErrorKind::Io { op, source });
    let written = (|| {
        let mut f = File::create(&tmp).map_err(io("create the temporary file"))?;
        f.write_all(bytes).map_err(io("write"))?;
        f.sync_all().map_err(io("fsync"))?;
        drop(f);
        fs::rename(&tmp, path).map_err(io("rename the temporary file into place"))
    })();
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // The rename is durable only once the folder's entry is on disk.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("fsync the folder"))
}

fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn info(image: &[u8], state: &State, created_unix_ms: u64) -> SnapshotInfo {
    SnapshotInfo {
        bytes: image.len() as u64,
        cards: state.cards.len(),
        terminals: state.terms.len(),
        created_unix_ms,
    }
}

impl Scorer {
    /// Writes the whole state (cards, terminals with their label buckets, label delay, thresholds) and `meta` to
    /// `path` atomically. The state is read under the state lock, so the snapshot falls between two batches'
    /// state phases; to know which, stop dispatching first, or use [`Scorer::snapshot_at`].
    /// Note: the state is encoded in memory first (about 50 bytes per card), then written.
    ///
    /// # Errors
    /// Metadata too large, or an I/O step failed (the previous file at `path`, if any, is left as it was).
    pub fn snapshot_to(
        &self,
        path: &Path,
        meta: &SnapshotMeta,
    ) -> Result<SnapshotInfo, SnapshotError> {
        let (image, info) = self.encode_now(path, meta)?;
        write_atomic(path, &image)?;
        Ok(info)
    }

    /// [`Scorer::snapshot_to`] as a barrier in the batch order: it takes `ticket` like a batch, so the snapshot
    /// holds exactly the batches with smaller tickets, while later batches wait only for the encoding (not the
    /// write). The ticket is consumed whatever happens.
    ///
    /// # Errors
    /// As [`Scorer::snapshot_to`], or the ticket was already used or its turn did not come within 10 s.
    pub fn snapshot_at(
        &self,
        path: &Path,
        meta: &SnapshotMeta,
        ticket: u64,
    ) -> Result<SnapshotInfo, SnapshotError> {
        let guard = TicketGuard::new(&self.gate, ticket);
        self.gate
            .wait(ticket, WAIT_LIMIT)
            .map_err(|e| err(path, SnapshotErrorKind::Gate(e)))?;
        let (image, info) = self.encode_now(path, meta)?;
        drop(guard);
        write_atomic(path, &image)?;
        Ok(info)
    }

    /// The file image of the state and thresholds now, encoded under the state lock, and what it holds.
    fn encode_now(
        &self,
        path: &Path,
        meta: &SnapshotMeta,
    ) -> Result<(Vec<u8>, SnapshotInfo), SnapshotError> {
        let thresholds = self.live().thresholds;
        let created = now_unix_ms();
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let image = encode_image(&state, thresholds, meta, created).map_err(|k| err(path, k))?;
        let info = info(&image, &state, created);
        Ok((image, info))
    }

    /// Replaces this scorer's state and thresholds with those of the snapshot at `path` and returns its metadata.
    /// The file is checked whole (magic, versions, layout, length, checksum, structure) before anything changes:
    /// on any error the scorer is left exactly as it was. Restore before the first batch (tickets start at 0 again
    /// only on a new scorer). The model is not in the snapshot: load it (and compare `meta.model_version`) as usual.
    ///
    /// # Errors
    /// The file cannot be read, is not a snapshot, is truncated, corrupt, from another format or state layout, or
    /// was taken with another label delay than this scorer's.
    pub fn restore_from(&self, path: &Path) -> Result<Restored, SnapshotError> {
        let image = fs::read(path)
            .map_err(|source| err(path, SnapshotErrorKind::Io { op: "read", source }))?;
        self.restore_image(&image).map_err(|k| err(path, k))
    }

    /// [`Scorer::restore_from`] with the file's bytes already in memory.
    ///
    /// # Errors
    /// As [`Scorer::restore_from`], without the file name.
    pub fn restore_image(&self, image: &[u8]) -> Result<Restored, SnapshotErrorKind> {
        let (body, created) = decode_image(image)?;
        let delay = body.state.terms.label_delay_days();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = state.terms.label_delay_days();
        if delay != mine {
            return Err(SnapshotErrorKind::Mismatch(format!(
                "taken with labelDelayDays {delay}, this scorer has {mine}; start with labelDelayDays {delay} or without the snapshot"
            )));
        }
        let restored = Restored {
            meta: body.meta,
            thresholds: body.thresholds,
            label_delay_days: delay,
            info: info(image, &body.state, created),
        };
        *state = body.state;
        drop(state);
        self.live().thresholds = restored.thresholds;
        Ok(restored)
    }
}

#[cfg(test)]
mod tests;
