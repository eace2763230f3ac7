//! Zero-copy access to JavaScript typed arrays (`SharedArrayBuffer`-backed ones included).
//!
//! [`TypedArray::from_js`] reads a typed array's data pointer and length through `napi_get_typedarray_info`; only
//! the part a call needs becomes a Rust slice, so other threads may use other parts of the same shared memory.
//! Making a slice is `unsafe`: the caller promises that nothing else reads (for `&mut`) or writes that range while
//! the slice lives. [`disjoint`] checks the one case the binding can check itself: two arrays of one call that
//! share bytes.

use std::ops::Range;

use napi::bindgen_prelude::{JsValue, Unknown};
use napi::sys;

/// Element type of a typed array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `Uint8Array`.
    U8,
    /// `Float32Array`.
    F32,
}

impl Kind {
    fn napi(self) -> i32 {
        match self {
            Self::U8 => sys::TypedarrayType::uint8_array,
            Self::F32 => sys::TypedarrayType::float32_array,
        }
    }

    fn js_name(self) -> &'static str {
        match self {
            Self::U8 => "Uint8Array",
            Self::F32 => "Float32Array",
        }
    }

    fn size(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::F32 => 4,
        }
    }
}

/// A typed array's data: pointer, element count and element type, read once from a JS value.
#[derive(Clone, Copy, Debug)]
pub struct TypedArray {
    data: *mut u8,
    len: usize,
    kind: Kind,
}

impl TypedArray {
    /// The typed array behind `value`.
    ///
    /// # Errors
    /// `"<name> must be a <Uint8Array|Float32Array>"` when `value` is not a typed array of `kind`.
    pub fn from_js(value: &Unknown<'_>, kind: Kind, name: &str) -> Result<Self, String> {
        let v = value.value();
        let wrong = || format!("{name} must be a {}", kind.js_name());
        let mut is_typed = false;
        // SAFETY: `v.env` and `v.value` come from the live call frame of the binding that received `value`, and
        // `is_typed` is a valid local to write to.
        let status = unsafe { sys::napi_is_typedarray(v.env, v.value, &raw mut is_typed) };
        if status != sys::Status::napi_ok || !is_typed {
            return Err(wrong());
        }
        let (mut ty, mut len, mut data, mut buffer, mut offset) =
            (0, 0usize, std::ptr::null_mut(), std::ptr::null_mut(), 0);
        // SAFETY: as above; every out-pointer is a valid local.
        let status = unsafe {
            sys::napi_get_typedarray_info(
                v.env,
                v.value,
                &raw mut ty,
                &raw mut len,
                &raw mut data,
                &raw mut buffer,
                &raw mut offset,
            )
        };
        if status != sys::Status::napi_ok || ty != kind.napi() {
            return Err(wrong());
        }
        Ok(Self {
            data: data.cast::<u8>(),
            len,
            kind,
        })
    }

    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the array has no element.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The address range of elements `range` (checked to be within the array).
    ///
    /// # Panics
    /// When `range` is not within `0..len`.
    #[must_use]
    pub fn addresses(&self, range: &Range<usize>) -> Range<usize> {
        assert!(range.start <= range.end && range.end <= self.len);
        let base = self.data as usize;
        let size = self.kind.size();
        base + range.start * size..base + range.end * size
    }

    /// Elements `range` of a `Uint8Array` as a shared slice.
    ///
    /// # Safety
    /// The array must stay alive and no one may write the range while the slice lives (JS does not run during a
    /// synchronous binding call; other threads must not be given the same range, which is the engine's contract:
    /// one batch's slots go to one call at a time).
    ///
    /// # Panics
    /// When the array is not a `Uint8Array` or `range` is not within it.
    #[must_use]
    pub unsafe fn u8s<'a>(&self, range: Range<usize>) -> &'a [u8] {
        assert!(self.kind == Kind::U8 && range.start <= range.end && range.end <= self.len);
        if range.is_empty() {
            return &[];
        }
        // SAFETY: the range is within the array's `len` bytes (asserted); liveness and the absence of writers are
        // the caller's promise.
        unsafe { std::slice::from_raw_parts(self.data.add(range.start), range.len()) }
    }

    /// Elements `range` of a `Uint8Array` as an exclusive slice.
    ///
    /// # Safety
    /// As [`Self::u8s`], and no other slice of the range may exist while this one lives (check two arrays of the
    /// same call with [`disjoint`]).
    ///
    /// # Panics
    /// When the array is not a `Uint8Array` or `range` is not within it.
    #[must_use]
    pub unsafe fn u8s_mut<'a>(&self, range: Range<usize>) -> &'a mut [u8] {
        assert!(self.kind == Kind::U8 && range.start <= range.end && range.end <= self.len);
        if range.is_empty() {
            return &mut [];
        }
        // SAFETY: within the array (asserted); exclusivity and liveness are the caller's promise.
        unsafe { std::slice::from_raw_parts_mut(self.data.add(range.start), range.len()) }
    }

    /// Elements `range` of a `Float32Array` as a shared slice.
    ///
    /// # Safety
    /// As [`Self::u8s`].
    ///
    /// # Panics
    /// When the array is not a `Float32Array` or `range` is not within it.
    #[must_use]
    #[allow(
        clippy::cast_ptr_alignment,
        reason = "a Float32Array's data is always 4-byte aligned"
    )]
    pub unsafe fn f32s<'a>(&self, range: Range<usize>) -> &'a [f32] {
        assert!(self.kind == Kind::F32 && range.start <= range.end && range.end <= self.len);
        if range.is_empty() {
            return &[];
        }
        // SAFETY: a Float32Array's data is 4-byte aligned and holds `len` f32 values; the range is within it
        // (asserted); liveness and the absence of writers are the caller's promise.
        unsafe { std::slice::from_raw_parts(self.data.cast::<f32>().add(range.start), range.len()) }
    }

    /// Elements `range` of a `Float32Array` as an exclusive slice.
    ///
    /// # Safety
    /// As [`Self::u8s_mut`].
    ///
    /// # Panics
    /// When the array is not a `Float32Array` or `range` is not within it.
    #[must_use]
    #[allow(
        clippy::cast_ptr_alignment,
        reason = "a Float32Array's data is always 4-byte aligned"
    )]
    pub unsafe fn f32s_mut<'a>(&self, range: Range<usize>) -> &'a mut [f32] {
        assert!(self.kind == Kind::F32 && range.start <= range.end && range.end <= self.len);
        if range.is_empty() {
            return &mut [];
        }
        // SAFETY: as in `f32s`; exclusivity is the caller's promise.
        unsafe {
            std::slice::from_raw_parts_mut(self.data.cast::<f32>().add(range.start), range.len())
        }
    }
}

/// The slots `start..start + count` of a records array and of a results array (`record_size` and `result_size`
/// bytes per slot), as a shared and an exclusive slice.
///
/// # Errors
/// When the slots exceed either array, or the two byte ranges share memory (an exclusive slice must not alias).
///
/// # Safety
/// As [`TypedArray::u8s`] for the records range and [`TypedArray::u8s_mut`] for the results range.
pub unsafe fn slots<'a>(
    records: &TypedArray,
    record_size: usize,
    results: &TypedArray,
    result_size: usize,
    start: usize,
    count: usize,
) -> Result<(&'a [u8], &'a mut [u8]), String> {
    let end = start + count;
    if end * record_size > records.len() || end * result_size > results.len() {
        return Err(format!(
            "slots {start}..{end} exceed records ({} slots) or results ({} slots)",
            records.len() / record_size,
            results.len() / result_size
        ));
    }
    let r = start * record_size..end * record_size;
    let o = start * result_size..end * result_size;
    if !disjoint(&records.addresses(&r), &results.addresses(&o)) {
        return Err(format!(
            "records and results share memory in slots {start}..{end}: results must not alias the records"
        ));
    }
    // SAFETY: both ranges are within their arrays (checked above) and share no byte, so the exclusive slice does
    // not alias the shared one; liveness and the absence of other users are the caller's promise.
    Ok(unsafe { (records.u8s(r), results.u8s_mut(o)) })
}

/// Whether two address ranges share no byte (empty ranges never overlap).
#[must_use]
pub fn disjoint(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.is_empty() || b.is_empty() || a.end <= b.start || b.end <= a.start
}

#[cfg(test)]
mod tests {
    use super::{Kind, TypedArray, disjoint, slots};

    fn u8_array(bytes: &mut [u8]) -> TypedArray {
        TypedArray {
            data: bytes.as_mut_ptr(),
            len: bytes.len(),
            kind: Kind::U8,
        }
    }

    #[test]
    fn slots_are_bounds_checked_and_must_not_alias() {
        let mut buf = vec![0u8; 8 * 64];
        let whole = u8_array(&mut buf);
        // SAFETY: `buf` outlives every slice below and nothing else touches it during the test.
        unsafe {
            // Records in slots 0..2 (bytes 0..128), results after them: disjoint parts of one buffer.
            let results = TypedArray {
                data: whole.data.add(128),
                len: 256,
                kind: Kind::U8,
            };
            let (r, o) = slots(&whole, 64, &results, 16, 0, 2).unwrap();
            assert_eq!((r.len(), o.len()), (128, 32));
            // Results starting inside the batch's records are refused.
            let inside = TypedArray {
                data: whole.data.add(64),
                len: 64,
                kind: Kind::U8,
            };
            assert!(
                slots(&whole, 64, &inside, 16, 0, 2)
                    .unwrap_err()
                    .contains("share memory")
            );
            // But the same view is fine for a batch whose records end before it.
            assert!(slots(&whole, 64, &inside, 16, 0, 1).is_ok());
            assert!(
                slots(&whole, 64, &results, 16, 6, 3)
                    .unwrap_err()
                    .contains("exceed")
            );
        }
    }

    #[test]
    fn overlapping_ranges_are_detected() {
        assert!(disjoint(&(0..64), &(64..80)));
        assert!(disjoint(&(64..80), &(0..64)));
        assert!(!disjoint(&(0..64), &(63..80)));
        assert!(!disjoint(&(10..20), &(0..100)));
        assert!(disjoint(&(10..10), &(0..100)));
    }
}
