//! SIMD evaluation of the model: 8 (AVX2) or 16 (AVX-512F) rows walk each tree in lockstep, one row per lane.
//!
//! Every tree is laid out as a *complete* binary tree of its depth `d` (breadth first, children of local node `j`
//! of level `k` at `2j` and `2j + 1` of level `k + 1`), so a lane's position is just its index `j` within the
//! level and only the split fields are fetched. A leaf above the last level becomes a dummy split (feature 0) whose
//! whole subtree of leaves holds its value: whichever way the lanes go, they end on that value. Levels with up to
//! 16 (AVX2) or 32 (AVX-512) nodes fetch their split fields with in-register permutes, deeper levels gather them.
//! The lanes' feature values come, for levels 0-3 (at most 8 split features), from blends of the block's transposed
//! feature columns, deeper from gathers; small leaf sets (8 leaves AVX2, 64 AVX-512) are permuted, larger gathered.
//! Four blocks of rows walk each tree together (independent chains overlap the gathers' latency), levels unrolled
//! per tree depth. Sums are f64, one per lane, in tree order: bit-identical to the scalar walk. Trees deeper than
//! [`MAX_DEPTH`] leave the model on the scalar path.

use crate::features::N_FEATURES;

/// Deepest tree the complete layout takes (2^8 = 256 leaves per tree).
pub const MAX_DEPTH: u32 = 8;

/// Sign bit of a `feat` word: default direction is left.
const DEFAULT_LEFT: u32 = 1 << 31;

/// Slack after the arrays so the 8-/16-/32-wide table loads of the shallow levels and small leaf sets stay in bounds.
const PAD: usize = 32;

/// The model's trees in complete layout.
#[derive(Clone, Debug, Default)]
pub struct Complete {
    /// Per tree: offset of its split nodes, offset of its leaves, depth.
    trees: Vec<(u32, u32, u32)>,
    /// Split threshold per node (2^d - 1 per tree).
    thr: Vec<f32>,
    /// Split feature per node, `DEFAULT_LEFT` set when missing values go left.
    feat: Vec<u32>,
    /// Leaf values (2^d per tree).
    leaves: Vec<f32>,
}

/// The loader's flat node arrays (absolute indices; `feature` is `u32::MAX` for a leaf, whose value is its
/// `threshold`).
pub struct Nodes<'a> {
    pub roots: &'a [u32],
    pub depth: &'a [u8],
    pub feature: &'a [u32],
    pub threshold: &'a [f32],
    pub left: &'a [u32],
    pub right: &'a [u32],
    pub default_left: &'a [bool],
}

impl Complete {
    /// Builds the layout, or `None` when a tree is deeper than [`MAX_DEPTH`].
    #[must_use]
    pub fn build(n: &Nodes) -> Option<Self> {
        let mut c = Self::default();
        for (&root, &depth) in n.roots.iter().zip(n.depth) {
            let depth = u32::from(depth);
            if depth > MAX_DEPTH {
                return None;
            }
            let node_off = c.thr.len();
            let leaf_off = c.leaves.len();
            c.thr.resize(node_off + (1 << depth) - 1, 0.0);
            c.feat.resize(node_off + (1 << depth) - 1, 0);
            c.leaves.resize(leaf_off + (1 << depth), 0.0);
            c.fill(n, depth, root as usize, 0, 0, (node_off, leaf_off));
            c.trees.push((node_off as u32, leaf_off as u32, depth));
        }
        c.thr.resize(c.thr.len() + PAD, 0.0);
        c.feat.resize(c.feat.len() + PAD, 0);
        c.leaves.resize(c.leaves.len() + PAD, 0.0);
        Some(c)
    }

    /// Places node `i` at local index `j` of level `k` of a tree of depth `depth` at offsets `off`.
    #[allow(
        clippy::many_single_char_names,
        reason = "n, i, k, j, l, r: node arrays, node, level, local index, children"
    )]
    fn fill(&mut self, n: &Nodes, depth: u32, i: usize, k: u32, j: usize, off: (usize, usize)) {
        if k == depth {
            // The tree's depth is that of its deepest leaf, so node `i` is a leaf here.
            self.leaves[off.1 + j] = n.threshold[i];
            return;
        }
        let (l, r) = if n.feature[i] == u32::MAX {
            // A shallow leaf: a dummy split on feature 0 (thr/feat stay 0), the leaf repeated on both sides.
            (i, i)
        } else {
            let at = off.0 + (1 << k) - 1 + j;
            self.thr[at] = n.threshold[i];
            self.feat[at] = n.feature[i] | if n.default_left[i] { DEFAULT_LEFT } else { 0 };
            (n.left[i] as usize, n.right[i] as usize)
        };
        self.fill(n, depth, l, k + 1, 2 * j, off);
        self.fill(n, depth, r, k + 1, 2 * j + 1, off);
    }

    /// The margins of a prefix of `rows` with the widest kernel this CPU runs; returns how many rows were done
    /// (a multiple of 8, 0 when the CPU has no AVX2 or on other architectures). `out` has `rows.len()` entries.
    pub fn margins(&self, base: f64, rows: &[[f32; N_FEATURES]], out: &mut [f64]) -> usize {
        #[cfg(target_arch = "x86_64")]
        {
            let mut done = 0;
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked just above).
                done = unsafe { x86::margins_avx512(self, base, rows, out) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                done += unsafe { x86::margins_avx2(self, base, &rows[done..], &mut out[done..]) };
            }
            done
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (base, rows, out);
            0
        }
    }

    /// The AVX2 kernel alone (for tests): rows done, 0 without AVX2.
    #[cfg(test)]
    pub fn margins_avx2_only(
        &self,
        base: f64,
        rows: &[[f32; N_FEATURES]],
        out: &mut [f64],
    ) -> usize {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { x86::margins_avx2(self, base, rows, out) };
        }
        let _ = (base, rows, out);
        0
    }

    /// The AVX-512 kernel alone (for tests): rows done, 0 without AVX-512F.
    #[cfg(test)]
    pub fn margins_avx512_only(
        &self,
        base: f64,
        rows: &[[f32; N_FEATURES]],
        out: &mut [f64],
    ) -> usize {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { x86::margins_avx512(self, base, rows, out) };
        }
        let _ = (base, rows, out);
        0
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(
    clippy::cast_possible_wrap,
    clippy::cast_ptr_alignment,
    reason = "lane offsets (< 16 * N_FEATURES) fit i32; the unaligned loads and stores (loadu/storeu) need no alignment"
)]
mod x86 {
    use std::arch::x86_64::{
        __m256, __m256i, __m512, __m512i, _CMP_LT_OQ, _CMP_UNORD_Q, _mm256_add_epi32,
        _mm256_add_pd, _mm256_and_si256, _mm256_blendv_ps, _mm256_castpd_ps, _mm256_castps_pd,
        _mm256_castps_si256, _mm256_castps256_ps128, _mm256_castsi256_ps, _mm256_cmp_ps,
        _mm256_cvtps_pd, _mm256_extractf128_ps, _mm256_i32gather_epi32, _mm256_i32gather_ps,
        _mm256_loadu_ps, _mm256_loadu_si256, _mm256_or_ps, _mm256_permutevar8x32_epi32,
        _mm256_permutevar8x32_ps, _mm256_set1_epi32, _mm256_set1_pd, _mm256_setr_epi32,
        _mm256_setzero_si256, _mm256_slli_epi32, _mm256_sllv_epi32, _mm256_srai_epi32,
        _mm256_storeu_pd, _mm512_add_epi32, _mm512_add_pd, _mm512_and_si512, _mm512_castpd_ps,
        _mm512_castpd256_pd512, _mm512_castps_pd, _mm512_castps512_ps256, _mm512_castsi512_si256,
        _mm512_cmp_ps_mask, _mm512_cvtps_pd, _mm512_extractf64x4_pd, _mm512_extracti64x4_epi64,
        _mm512_i32gather_epi32, _mm512_i32gather_ps, _mm512_insertf64x4, _mm512_loadu_ps,
        _mm512_loadu_si512, _mm512_mask_blend_ps, _mm512_mask_sub_epi32, _mm512_permutex2var_epi32,
        _mm512_permutex2var_ps, _mm512_permutexvar_epi32, _mm512_permutexvar_ps, _mm512_set1_epi32,
        _mm512_set1_pd, _mm512_setr_epi32, _mm512_setzero_si512, _mm512_slli_epi32,
        _mm512_storeu_pd, _mm512_test_epi32_mask,
    };

    use super::{Complete, DEFAULT_LEFT, N_FEATURES};

    const N: i32 = N_FEATURES as i32;

    /// Split fields of level `k` for the lanes at local indices `j`.
    ///
    /// # Safety
    /// AVX2; `thr`/`feat` point at the level's first node, with `2^k` nodes (plus `PAD` slack) readable there.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn fetch8(k: u32, thr: *const f32, feat: *const u32, j: __m256i) -> (__m256, __m256i) {
        // SAFETY (whole body): the caller guarantees `2^k + PAD` readable entries; gathered indices are < 2^k.
        unsafe {
            if k <= 3 {
                let t = _mm256_loadu_ps(thr);
                let f = _mm256_loadu_si256(feat.cast());
                (
                    _mm256_permutevar8x32_ps(t, j),
                    _mm256_permutevar8x32_epi32(f, j),
                )
            } else if k == 4 {
                // Two 8-entry tables, bit 3 of `j` picks one.
                let hi = _mm256_castsi256_ps(_mm256_slli_epi32::<28>(j));
                let t = _mm256_blendv_ps(
                    _mm256_permutevar8x32_ps(_mm256_loadu_ps(thr), j),
                    _mm256_permutevar8x32_ps(_mm256_loadu_ps(thr.add(8)), j),
                    hi,
                );
                let f = _mm256_blendv_ps(
                    _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(
                        _mm256_loadu_si256(feat.cast()),
                        j,
                    )),
                    _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(
                        _mm256_loadu_si256(feat.add(8).cast()),
                        j,
                    )),
                    hi,
                );
                (t, _mm256_castps_si256(f))
            } else {
                (
                    _mm256_i32gather_ps::<4>(thr, j),
                    _mm256_i32gather_epi32::<4>(feat.cast(), j),
                )
            }
        }
    }

    /// Blocks of 8 rows, four blocks at a time while there are (independent gather chains to overlap the gathers'
    /// latency), then one at a time; returns the rows done.
    ///
    /// # Safety
    /// The CPU has AVX2. `out` has at least `rows.len()` entries.
    #[target_feature(enable = "avx2")]
    pub unsafe fn margins_avx2(
        c: &Complete,
        base: f64,
        rows: &[[f32; N_FEATURES]],
        out: &mut [f64],
    ) -> usize {
        let mut done = 0;
        while rows.len() - done >= 32 {
            // SAFETY: AVX2 (the caller's promise); 32 rows and outputs.
            unsafe { group_avx2::<4>(c, base, &rows[done..done + 32], &mut out[done..done + 32]) };
            done += 32;
        }
        while rows.len() - done >= 8 {
            // SAFETY: as above, 8 rows.
            unsafe { group_avx2::<1>(c, base, &rows[done..done + 8], &mut out[done..done + 8]) };
            done += 8;
        }
        done
    }

    /// One tree for `G` blocks of 8 rows.
    struct Walk8<'a, const G: usize> {
        c: &'a Complete,
        cols: &'a [[__m256; N_FEATURES]; G],
        p: [*const f32; G],
        node_off: usize,
        leaf_off: usize,
    }

    /// The feature value of each lane at level `K` from the block's columns (as [`select`], 8 lanes).
    #[inline]
    #[target_feature(enable = "avx2")]
    fn select8<const K: u32>(cols: &[__m256; N_FEATURES], level: &[u32], j: __m256i) -> __m256 {
        let mut v: [__m256; 8] = std::array::from_fn(|m| {
            if m < 1 << K {
                cols[(level[m] & !DEFAULT_LEFT) as usize]
            } else {
                cols[0]
            }
        });
        let mut width = 1 << K;
        let mut bit = 0;
        while width > 1 {
            // Bit `bit` of `j` moved to the sign bit, which `blendv` reads.
            let odd = _mm256_castsi256_ps(_mm256_sllv_epi32(j, _mm256_set1_epi32(31 - bit)));
            for m in 0..width / 2 {
                v[m] = _mm256_blendv_ps(v[2 * m], v[2 * m + 1], odd);
            }
            width /= 2;
            bit += 1;
        }
        v[0]
    }

    /// Walks a tree of depth `D` for `G` blocks of 8 rows (levels unrolled); returns the lanes' leaf values.
    ///
    /// # Safety
    /// AVX2; `w.node_off`/`w.leaf_off` are a tree of depth `D` in `w.c`; `w.p` are blocks of 8 rows.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn walk8<const G: usize, const D: u32>(w: &Walk8<G>) -> [__m256; G] {
        let index_mask = _mm256_set1_epi32(0x7fff_ffff);
        let one = _mm256_set1_epi32(1);
        let lanes = _mm256_setr_epi32(0, N, 2 * N, 3 * N, 4 * N, 5 * N, 6 * N, 7 * N);
        let mut j = [_mm256_setzero_si256(); G];
        macro_rules! level {
            ($k:literal) => {
                if $k < D {
                    let start = w.node_off + (1 << $k) - 1;
                    let level = &w.c.feat[start..];
                    for g in 0..G {
                        // SAFETY: level `k` of this tree starts at `start` with 2^k nodes, PAD slack after the
                        // arrays.
                        let (t, f) = unsafe { fetch8($k, w.c.thr[start..].as_ptr(), level.as_ptr(), j[g]) };
                        let x = match $k {
                            0 => w.cols[g][(level[0] & !DEFAULT_LEFT) as usize],
                            1 => select8::<1>(&w.cols[g], level, j[g]),
                            2 => select8::<2>(&w.cols[g], level, j[g]),
                            3 => select8::<3>(&w.cols[g], level, j[g]),
                            // SAFETY: feature indices are < N_FEATURES: `lane * N + feature` is inside the block.
                            _ => unsafe {
                                _mm256_i32gather_ps::<4>(w.p[g], _mm256_add_epi32(lanes, _mm256_and_si256(f, index_mask)))
                            },
                        };
                        // Left iff x < t, or x is NaN and the default is left (sign bit of `f`): as the scalar walk.
                        let lt = _mm256_cmp_ps::<_CMP_LT_OQ>(x, t);
                        let nan_dl = _mm256_and_si256(_mm256_castps_si256(_mm256_cmp_ps::<_CMP_UNORD_Q>(x, x)), f);
                        let left = _mm256_srai_epi32::<31>(_mm256_castps_si256(_mm256_or_ps(
                            lt,
                            _mm256_castsi256_ps(nan_dl),
                        )));
                        // 2j + 1 for right, 2j for left (`left` is -1).
                        j[g] = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32::<1>(j[g]), one), left);
                    }
                }
            };
        }
        level!(0);
        level!(1);
        level!(2);
        level!(3);
        level!(4);
        level!(5);
        level!(6);
        level!(7);
        // SAFETY: `j` < 2^D, the tree's leaf count at `leaf_off`; up to 8 leaves by a permute of one table load.
        std::array::from_fn(|g| unsafe {
            let leaves = w.c.leaves.as_ptr().add(w.leaf_off);
            if D <= 3 {
                _mm256_permutevar8x32_ps(_mm256_loadu_ps(leaves), j[g])
            } else {
                _mm256_i32gather_ps::<4>(leaves, j[g])
            }
        })
    }

    /// `G` blocks of 8 rows (exactly `8 G` rows and outputs) through every tree.
    ///
    /// # Safety
    /// AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    #[allow(
        clippy::many_single_char_names,
        reason = "c, p, g, j, k, t, f, x: the kernel's notation"
    )]
    unsafe fn group_avx2<const G: usize>(
        c: &Complete,
        base: f64,
        rows: &[[f32; N_FEATURES]],
        out: &mut [f64],
    ) {
        assert!(rows.len() == 8 * G && out.len() == 8 * G);
        let lanes = _mm256_setr_epi32(0, N, 2 * N, 3 * N, 4 * N, 5 * N, 6 * N, 7 * N);
        let p: [*const f32; G] = std::array::from_fn(|g| rows[8 * g..].as_ptr().cast::<f32>());
        // The blocks transposed, one vector per feature (see `group_avx512`).
        let cols: [[__m256; N_FEATURES]; G] = std::array::from_fn(|g| {
            std::array::from_fn(|f| {
                // SAFETY: `lane * N + f` < 8 N, inside the block.
                unsafe {
                    _mm256_i32gather_ps::<4>(
                        p[g],
                        _mm256_add_epi32(lanes, _mm256_set1_epi32(f as i32)),
                    )
                }
            })
        });
        let mut lo = [_mm256_set1_pd(base); G];
        let mut hi = [_mm256_set1_pd(base); G];
        for &(node_off, leaf_off, depth) in &c.trees {
            let w = Walk8 {
                c,
                cols: &cols,
                p,
                node_off: node_off as usize,
                leaf_off: leaf_off as usize,
            };
            // SAFETY: AVX2 (this function's); the tree's arrays are as `walk8` needs.
            let v = unsafe {
                match depth {
                    0 => walk8::<G, 0>(&w),
                    1 => walk8::<G, 1>(&w),
                    2 => walk8::<G, 2>(&w),
                    3 => walk8::<G, 3>(&w),
                    4 => walk8::<G, 4>(&w),
                    5 => walk8::<G, 5>(&w),
                    6 => walk8::<G, 6>(&w),
                    7 => walk8::<G, 7>(&w),
                    _ => walk8::<G, 8>(&w),
                }
            };
            for g in 0..G {
                lo[g] = _mm256_add_pd(lo[g], _mm256_cvtps_pd(_mm256_castps256_ps128(v[g])));
                hi[g] = _mm256_add_pd(hi[g], _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(v[g])));
            }
        }
        for g in 0..G {
            let o = out[8 * g..8 * g + 8].as_mut_ptr();
            // SAFETY: `o` has 8 entries.
            unsafe {
                _mm256_storeu_pd(o, lo[g]);
                _mm256_storeu_pd(o.add(4), hi[g]);
            }
        }
    }

    /// `base[idx]` for 16 lanes as two 8-lane gathers: on the EPYC we measured, one 16-lane gather costs about
    /// three 8-lane ones.
    ///
    /// # Safety
    /// AVX-512F; every `base + idx` is readable.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn gather16(base: *const f32, idx: __m512i) -> __m512 {
        let lo = _mm512_castsi512_si256(idx);
        let hi = _mm512_extracti64x4_epi64::<1>(idx);
        // SAFETY: the caller's promise.
        unsafe {
            let a = _mm256_i32gather_ps::<4>(base, lo);
            let b = _mm256_i32gather_ps::<4>(base, hi);
            _mm512_castpd_ps(_mm512_insertf64x4::<1>(
                _mm512_castpd256_pd512(_mm256_castps_pd(a)),
                _mm256_castps_pd(b),
            ))
        }
    }

    /// The feature value of each lane at level `K`: the column of each of the level's `2^K` split features, merged
    /// by the bits of the lanes' local indices `j` (lowest bit first, pairwise).
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn select<const K: u32>(cols: &[__m512; N_FEATURES], level: &[u32], j: __m512i) -> __m512 {
        let mut v: [__m512; 8] = std::array::from_fn(|m| {
            if m < 1 << K {
                cols[(level[m] & !DEFAULT_LEFT) as usize]
            } else {
                cols[0]
            }
        });
        let mut width = 1 << K;
        let mut bit = 1;
        while width > 1 {
            let odd = _mm512_test_epi32_mask(j, _mm512_set1_epi32(bit));
            for m in 0..width / 2 {
                v[m] = _mm512_mask_blend_ps(odd, v[2 * m], v[2 * m + 1]);
            }
            width /= 2;
            bit *= 2;
        }
        v[0]
    }

    /// The leaf values at local indices `j` of a tree of depth `depth` whose leaves start at `leaves`: permutes of
    /// up to four 16-entry tables for depth <= 6, gathers deeper.
    ///
    /// # Safety
    /// AVX-512F; `2^depth` leaves plus `PAD` slack readable at `leaves`; `j` < 2^depth.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn leaves16(depth: u32, leaves: *const f32, j: __m512i) -> __m512 {
        // SAFETY: the caller's promise; each table load reads 16 entries within 2^depth + PAD.
        unsafe {
            match depth {
                0..=4 => _mm512_permutexvar_ps(j, _mm512_loadu_ps(leaves)),
                5 => _mm512_permutex2var_ps(
                    _mm512_loadu_ps(leaves),
                    j,
                    _mm512_loadu_ps(leaves.add(16)),
                ),
                6 => {
                    let a = _mm512_permutex2var_ps(
                        _mm512_loadu_ps(leaves),
                        j,
                        _mm512_loadu_ps(leaves.add(16)),
                    );
                    let b = _mm512_permutex2var_ps(
                        _mm512_loadu_ps(leaves.add(32)),
                        j,
                        _mm512_loadu_ps(leaves.add(48)),
                    );
                    _mm512_mask_blend_ps(_mm512_test_epi32_mask(j, _mm512_set1_epi32(32)), a, b)
                }
                _ => gather16(leaves, j),
            }
        }
    }

    /// Blocks of 16 rows, four at a time while there are, then one at a time; returns the rows done.
    ///
    /// # Safety
    /// The CPU has AVX-512F. `out` has at least `rows.len()` entries.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn margins_avx512(
        c: &Complete,
        base: f64,
        rows: &[[f32; N_FEATURES]],
        out: &mut [f64],
    ) -> usize {
        let mut done = 0;
        while rows.len() - done >= 64 {
            // SAFETY: AVX-512F (the caller's promise); 64 rows and outputs.
            unsafe {
                group_avx512::<4>(c, base, &rows[done..done + 64], &mut out[done..done + 64]);
            };
            done += 64;
        }
        while rows.len() - done >= 16 {
            // SAFETY: as above, 16 rows.
            unsafe {
                group_avx512::<1>(c, base, &rows[done..done + 16], &mut out[done..done + 16]);
            };
            done += 16;
        }
        done
    }

    /// One tree for `G` blocks of 16 rows.
    struct Walk512<'a, const G: usize> {
        c: &'a Complete,
        cols: &'a [[__m512; N_FEATURES]; G],
        p: [*const f32; G],
        node_off: usize,
        leaf_off: usize,
    }

    /// Lane offsets of the 16 rows of a block.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn lanes16() -> __m512i {
        _mm512_setr_epi32(
            0,
            N,
            2 * N,
            3 * N,
            4 * N,
            5 * N,
            6 * N,
            7 * N,
            8 * N,
            9 * N,
            10 * N,
            11 * N,
            12 * N,
            13 * N,
            14 * N,
            15 * N,
        )
    }

    /// Walks a tree of depth `D` (levels unrolled, so each level's fetch is chosen at compile time); returns the
    /// lanes' leaf values.
    ///
    /// # Safety
    /// AVX-512F; `w.node_off`/`w.leaf_off` are a tree of depth `D` in `w.c`; `w.p` are blocks of 16 rows.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn walk512<const G: usize, const D: u32>(w: &Walk512<G>) -> [__m512; G] {
        let sign = _mm512_set1_epi32(i32::MIN);
        let index_mask = _mm512_set1_epi32(0x7fff_ffff);
        let one = _mm512_set1_epi32(1);
        let lanes = lanes16();
        let mut j = [_mm512_setzero_si512(); G];
        macro_rules! level {
            ($k:literal) => {
                if $k < D {
                    let start = w.node_off + (1 << $k) - 1;
                    let level = &w.c.feat[start..];
                    let thr = w.c.thr[start..].as_ptr();
                    let feat = level.as_ptr();
                    for g in 0..G {
                        // SAFETY: level `k` has 2^k nodes at `start`, PAD (32) slack after the arrays; gathered
                        // indices are < 2^k.
                        let (t, f) = unsafe {
                            if $k <= 4 {
                                (
                                    _mm512_permutexvar_ps(j[g], _mm512_loadu_ps(thr)),
                                    _mm512_permutexvar_epi32(j[g], _mm512_loadu_si512(feat.cast())),
                                )
                            } else if $k == 5 {
                                (
                                    _mm512_permutex2var_ps(_mm512_loadu_ps(thr), j[g], _mm512_loadu_ps(thr.add(16))),
                                    _mm512_permutex2var_epi32(
                                        _mm512_loadu_si512(feat.cast()),
                                        j[g],
                                        _mm512_loadu_si512(feat.add(16).cast()),
                                    ),
                                )
                            } else {
                                (_mm512_i32gather_ps::<4>(j[g], thr), _mm512_i32gather_epi32::<4>(j[g], feat.cast()))
                            }
                        };
                        let x = match $k {
                            0 => w.cols[g][(level[0] & !DEFAULT_LEFT) as usize],
                            1 => select::<1>(&w.cols[g], level, j[g]),
                            2 => select::<2>(&w.cols[g], level, j[g]),
                            3 => select::<3>(&w.cols[g], level, j[g]),
                            // SAFETY: feature indices are < N_FEATURES: `lane * N + feature` is inside the block.
                            _ => unsafe {
                                gather16(w.p[g], _mm512_add_epi32(lanes, _mm512_and_si512(f, index_mask)))
                            },
                        };
                        // Left iff x < t, or x is NaN and the default is left (sign bit of `f`): as the scalar walk.
                        let left = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(x, t)
                            | (_mm512_cmp_ps_mask::<_CMP_UNORD_Q>(x, x) & _mm512_test_epi32_mask(f, sign));
                        let right = _mm512_add_epi32(_mm512_slli_epi32::<1>(j[g]), one);
                        j[g] = _mm512_mask_sub_epi32(right, left, right, one);
                    }
                }
            };
        }
        level!(0);
        level!(1);
        level!(2);
        level!(3);
        level!(4);
        level!(5);
        level!(6);
        level!(7);
        // SAFETY: `j` < 2^D, the tree's leaf count at `leaf_off`.
        std::array::from_fn(|g| unsafe { leaves16(D, w.c.leaves.as_ptr().add(w.leaf_off), j[g]) })
    }

    /// `G` blocks of 16 rows (exactly `16 G` rows and outputs) through every tree.
    ///
    /// # Safety
    /// AVX-512F.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn group_avx512<const G: usize>(
        c: &Complete,
        base: f64,
        rows: &[[f32; N_FEATURES]],
        out: &mut [f64],
    ) {
        assert!(rows.len() == 16 * G && out.len() == 16 * G);
        let lanes = lanes16();
        let p: [*const f32; G] = std::array::from_fn(|g| rows[16 * g..].as_ptr().cast::<f32>());
        // The blocks transposed, one vector per feature: the shallow levels, where the lanes can only be at a few
        // nodes, pick their feature values from these columns with blends instead of gathering.
        let cols: [[__m512; N_FEATURES]; G] = std::array::from_fn(|g| {
            std::array::from_fn(|f| {
                // SAFETY: `lane * N + f` < 16 N, inside the block.
                unsafe { gather16(p[g], _mm512_add_epi32(lanes, _mm512_set1_epi32(f as i32))) }
            })
        });
        let mut lo = [_mm512_set1_pd(base); G];
        let mut hi = [_mm512_set1_pd(base); G];
        for &(node_off, leaf_off, depth) in &c.trees {
            let w = Walk512 {
                c,
                cols: &cols,
                p,
                node_off: node_off as usize,
                leaf_off: leaf_off as usize,
            };
            // SAFETY: AVX-512F (this function's); the tree's arrays are as `walk512` needs.
            let v = unsafe {
                match depth {
                    0 => walk512::<G, 0>(&w),
                    1 => walk512::<G, 1>(&w),
                    2 => walk512::<G, 2>(&w),
                    3 => walk512::<G, 3>(&w),
                    4 => walk512::<G, 4>(&w),
                    5 => walk512::<G, 5>(&w),
                    6 => walk512::<G, 6>(&w),
                    7 => walk512::<G, 7>(&w),
                    _ => walk512::<G, 8>(&w),
                }
            };
            for g in 0..G {
                lo[g] = _mm512_add_pd(lo[g], _mm512_cvtps_pd(_mm512_castps512_ps256(v[g])));
                hi[g] = _mm512_add_pd(
                    hi[g],
                    _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(
                        _mm512_castps_pd(v[g]),
                    ))),
                );
            }
        }
        for g in 0..G {
            let o = out[16 * g..16 * g + 16].as_mut_ptr();
            // SAFETY: `o` has 16 entries.
            unsafe {
                _mm512_storeu_pd(o, lo[g]);
                _mm512_storeu_pd(o.add(8), hi[g]);
            }
        }
    }
}
