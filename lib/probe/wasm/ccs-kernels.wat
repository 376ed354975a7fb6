;; SIMD kernels (f32x4) for the passes over the activations. Source of truth for
;; ccs-kernels.wasm.ts; rebuild with `npm run build:wasm` (lib/probe/wasm/build.ts, npm wabt).
;; Pointers are byte offsets into the imported (shared) memory; lengths and leading
;; dimensions are in floats. Row lengths `len` are multiples of 4 (rows zero padded), so the
;; f32x4 lanes run along the rows and every kernel reads its operands contiguously.
;; The memory is shared so that worker threads can run the same kernels on disjoint rows.
(module
  (import "env" "memory" (memory 1 65536 shared))

  (func $hsum (param $v v128) (result f32)
    (f32.add (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
             (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; out[o] = s, or out[o] += s when $acc.
  (func $put (param $o i32) (param $s f32) (param $acc i32)
    (if (local.get $acc)
      (then (f32.store (local.get $o) (f32.add (f32.load (local.get $o)) (local.get $s))))
      (else (f32.store (local.get $o) (local.get $s)))))

  ;; A 2 × 4 tile of row dots: rows a0, a1 of A against rows b, b+ldb, b+2ldb, b+3ldb of B.
  ;; Eight accumulators and three operands fit the sixteen vector registers.
  (func $tile4 (param $a0 i32) (param $a1 i32) (param $b i32) (param $ldb i32) (param $lenb i32)
               (param $o0 i32) (param $o1 i32) (param $two i32) (param $acc i32)
    (local $kb i32) (local $b1 i32) (local $b2 i32) (local $b3 i32)
    (local $x0 v128) (local $x1 v128) (local $w v128)
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local.set $b1 (i32.add (local.get $b) (local.get $ldb)))
    (local.set $b2 (i32.add (local.get $b1) (local.get $ldb)))
    (local.set $b3 (i32.add (local.get $b2) (local.get $ldb)))
    (block $done
      (loop $k
        (br_if $done (i32.ge_u (local.get $kb) (local.get $lenb)))
        (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $kb))))
        (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $kb))))
        (local.set $w (v128.load (i32.add (local.get $b) (local.get $kb))))
        (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x0) (local.get $w))))
        (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x1) (local.get $w))))
        (local.set $w (v128.load (i32.add (local.get $b1) (local.get $kb))))
        (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x0) (local.get $w))))
        (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x1) (local.get $w))))
        (local.set $w (v128.load (i32.add (local.get $b2) (local.get $kb))))
        (local.set $s02 (f32x4.add (local.get $s02) (f32x4.mul (local.get $x0) (local.get $w))))
        (local.set $s12 (f32x4.add (local.get $s12) (f32x4.mul (local.get $x1) (local.get $w))))
        (local.set $w (v128.load (i32.add (local.get $b3) (local.get $kb))))
        (local.set $s03 (f32x4.add (local.get $s03) (f32x4.mul (local.get $x0) (local.get $w))))
        (local.set $s13 (f32x4.add (local.get $s13) (f32x4.mul (local.get $x1) (local.get $w))))
        (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
        (br $k)))
    (call $put (local.get $o0) (call $hsum (local.get $s00)) (local.get $acc))
    (call $put (i32.add (local.get $o0) (i32.const 4)) (call $hsum (local.get $s01)) (local.get $acc))
    (call $put (i32.add (local.get $o0) (i32.const 8)) (call $hsum (local.get $s02)) (local.get $acc))
    (call $put (i32.add (local.get $o0) (i32.const 12)) (call $hsum (local.get $s03)) (local.get $acc))
    (if (local.get $two)
      (then
        (call $put (local.get $o1) (call $hsum (local.get $s10)) (local.get $acc))
        (call $put (i32.add (local.get $o1) (i32.const 4)) (call $hsum (local.get $s11)) (local.get $acc))
        (call $put (i32.add (local.get $o1) (i32.const 8)) (call $hsum (local.get $s12)) (local.get $acc))
        (call $put (i32.add (local.get $o1) (i32.const 12)) (call $hsum (local.get $s13)) (local.get $acc)))))

  ;; A 2 × 2 tile (the remainder of r after the 2 × 4 tiles).
  (func $tile2 (param $a0 i32) (param $a1 i32) (param $b i32) (param $ldb i32) (param $lenb i32)
               (param $o0 i32) (param $o1 i32) (param $two i32) (param $acc i32)
    (local $kb i32) (local $b1 i32)
    (local $x0 v128) (local $x1 v128) (local $w v128) (local $v v128)
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local.set $b1 (i32.add (local.get $b) (local.get $ldb)))
    (block $done
      (loop $k
        (br_if $done (i32.ge_u (local.get $kb) (local.get $lenb)))
        (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $kb))))
        (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $kb))))
        (local.set $w (v128.load (i32.add (local.get $b) (local.get $kb))))
        (local.set $v (v128.load (i32.add (local.get $b1) (local.get $kb))))
        (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x0) (local.get $w))))
        (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x1) (local.get $w))))
        (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x0) (local.get $v))))
        (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x1) (local.get $v))))
        (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
        (br $k)))
    (call $put (local.get $o0) (call $hsum (local.get $s00)) (local.get $acc))
    (call $put (i32.add (local.get $o0) (i32.const 4)) (call $hsum (local.get $s01)) (local.get $acc))
    (if (local.get $two)
      (then
        (call $put (local.get $o1) (call $hsum (local.get $s10)) (local.get $acc))
        (call $put (i32.add (local.get $o1) (i32.const 4)) (call $hsum (local.get $s11)) (local.get $acc)))))

  ;; A 2 × 1 tile; two accumulators per row for instruction-level parallelism.
  (func $tile1 (param $a0 i32) (param $a1 i32) (param $b i32) (param $lenb i32)
               (param $o0 i32) (param $o1 i32) (param $two i32) (param $acc i32)
    (local $kb i32) (local $w v128)
    (local $s0 v128) (local $s1 v128) (local $t0 v128) (local $t1 v128)
    (block $done
      (loop $k
        (br_if $done (i32.ge_u (local.get $kb) (local.get $lenb)))
        (local.set $w (v128.load (i32.add (local.get $b) (local.get $kb))))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (v128.load (i32.add (local.get $a0) (local.get $kb))) (local.get $w))))
        (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (v128.load (i32.add (local.get $a1) (local.get $kb))) (local.get $w))))
        (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
        (br_if $done (i32.ge_u (local.get $kb) (local.get $lenb)))
        (local.set $w (v128.load (i32.add (local.get $b) (local.get $kb))))
        (local.set $t0 (f32x4.add (local.get $t0) (f32x4.mul (v128.load (i32.add (local.get $a0) (local.get $kb))) (local.get $w))))
        (local.set $t1 (f32x4.add (local.get $t1) (f32x4.mul (v128.load (i32.add (local.get $a1) (local.get $kb))) (local.get $w))))
        (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
        (br $k)))
    (call $put (local.get $o0) (call $hsum (f32x4.add (local.get $s0) (local.get $t0))) (local.get $acc))
    (if (local.get $two)
      (then (call $put (local.get $o1) (call $hsum (f32x4.add (local.get $s1) (local.get $t1))) (local.get $acc)))))

  ;; out[i·ldo + t] = A_i[0:len] · B_t[0:len] (or += when $acc) for i < m, t < r: the GEMM
  ;; A Bᵀ, two rows of A against four rows of B at a time. Every restart of CCS (the rows of
  ;; B) shares one read of A. An odd last row of A is paired with itself and stored once.
  (func (export "rowdots") (param $A i32) (param $m i32) (param $lda i32) (param $B i32) (param $r i32) (param $ldb i32)
                           (param $len i32) (param $out i32) (param $ldo i32) (param $acc i32)
    (local $i i32) (local $t i32) (local $a0 i32) (local $a1 i32) (local $o0 i32) (local $o1 i32) (local $two i32)
    (local $ldab i32) (local $ldbb i32) (local $ldob i32) (local $lenb i32)
    (local.set $ldab (i32.shl (local.get $lda) (i32.const 2)))
    (local.set $ldbb (i32.shl (local.get $ldb) (i32.const 2)))
    (local.set $ldob (i32.shl (local.get $ldo) (i32.const 2)))
    (local.set $lenb (i32.shl (local.get $len) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $a0 (i32.add (local.get $A) (i32.mul (local.get $i) (local.get $ldab))))
        (local.set $o0 (i32.add (local.get $out) (i32.mul (local.get $i) (local.get $ldob))))
        (local.set $two (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $m)))
        (local.set $a1 (select (i32.add (local.get $a0) (local.get $ldab)) (local.get $a0) (local.get $two)))
        (local.set $o1 (i32.add (local.get $o0) (local.get $ldob)))
        (local.set $t (i32.const 0))
        (block $t4_done
          (loop $t4
            (br_if $t4_done (i32.gt_u (i32.add (local.get $t) (i32.const 4)) (local.get $r)))
            (call $tile4 (local.get $a0) (local.get $a1) (i32.add (local.get $B) (i32.mul (local.get $t) (local.get $ldbb))) (local.get $ldbb) (local.get $lenb)
              (i32.add (local.get $o0) (i32.shl (local.get $t) (i32.const 2))) (i32.add (local.get $o1) (i32.shl (local.get $t) (i32.const 2))) (local.get $two) (local.get $acc))
            (local.set $t (i32.add (local.get $t) (i32.const 4)))
            (br $t4)))
        (if (i32.le_u (i32.add (local.get $t) (i32.const 2)) (local.get $r))
          (then
            (call $tile2 (local.get $a0) (local.get $a1) (i32.add (local.get $B) (i32.mul (local.get $t) (local.get $ldbb))) (local.get $ldbb) (local.get $lenb)
              (i32.add (local.get $o0) (i32.shl (local.get $t) (i32.const 2))) (i32.add (local.get $o1) (i32.shl (local.get $t) (i32.const 2))) (local.get $two) (local.get $acc))
            (local.set $t (i32.add (local.get $t) (i32.const 2)))))
        (if (i32.lt_u (local.get $t) (local.get $r))
          (then
            (call $tile1 (local.get $a0) (local.get $a1) (i32.add (local.get $B) (i32.mul (local.get $t) (local.get $ldbb))) (local.get $lenb)
              (i32.add (local.get $o0) (i32.shl (local.get $t) (i32.const 2))) (i32.add (local.get $o1) (i32.shl (local.get $t) (i32.const 2))) (local.get $two) (local.get $acc))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows))))

  ;; G[0:len] += Σ_i C[i] · X_i[0:len], two rows per sweep over G so G is loaded and stored
  ;; half as often; rows with C[i] = 0 cost nothing but the test.
  (func (export "addrows") (param $X i32) (param $n i32) (param $ldx i32) (param $len i32) (param $C i32) (param $G i32)
    (local $i i32) (local $kb i32) (local $ldxb i32) (local $lenb i32) (local $row i32) (local $g i32)
    (local $c0 f32) (local $c1 f32) (local $v0 v128) (local $v1 v128)
    (local.set $ldxb (i32.shl (local.get $ldx) (i32.const 2)))
    (local.set $lenb (i32.shl (local.get $len) (i32.const 2)))
    (local.set $row (local.get $X))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c0 (f32.load (i32.add (local.get $C) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $c1 (if (result f32) (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $n))
          (then (f32.load offset=4 (i32.add (local.get $C) (i32.shl (local.get $i) (i32.const 2)))))
          (else (f32.const 0))))
        (if (i32.or (f32.ne (local.get $c0) (f32.const 0)) (f32.ne (local.get $c1) (f32.const 0)))
          (then
            (local.set $v0 (f32x4.splat (local.get $c0)))
            (local.set $v1 (f32x4.splat (local.get $c1)))
            (local.set $kb (i32.const 0))
            (if (f32.ne (local.get $c1) (f32.const 0))
              (then
                (block $kd
                  (loop $ks
                    (br_if $kd (i32.ge_u (local.get $kb) (local.get $lenb)))
                    (local.set $g (i32.add (local.get $G) (local.get $kb)))
                    (v128.store (local.get $g) (f32x4.add (v128.load (local.get $g))
                      (f32x4.add (f32x4.mul (local.get $v0) (v128.load (i32.add (local.get $row) (local.get $kb))))
                                 (f32x4.mul (local.get $v1) (v128.load (i32.add (i32.add (local.get $row) (local.get $ldxb)) (local.get $kb)))))))
                    (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
                    (br $ks))))
              (else
                (block $kd1
                  (loop $ks1
                    (br_if $kd1 (i32.ge_u (local.get $kb) (local.get $lenb)))
                    (local.set $g (i32.add (local.get $G) (local.get $kb)))
                    (v128.store (local.get $g) (f32x4.add (v128.load (local.get $g))
                      (f32x4.mul (local.get $v0) (v128.load (i32.add (local.get $row) (local.get $kb))))))
                    (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
                    (br $ks1)))))))
        (local.set $row (i32.add (local.get $row) (i32.shl (local.get $ldxb) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $rows))))

  ;; The covariance operator's pass in one read of X: for each row, c_i = (X_i·V − shift)·scale,
  ;; proj[i] = c_i, G += c_i X_i while the row is still in L1 (PCA, NMF's initialisation).
  (func (export "gram1") (param $X i32) (param $n i32) (param $ldx i32) (param $len i32) (param $V i32)
                         (param $shift f32) (param $scale f32) (param $G i32) (param $proj i32)
    (local $i i32) (local $kb i32) (local $ldxb i32) (local $lenb i32) (local $row i32) (local $g i32)
    (local $c f32) (local $cv v128) (local $s0 v128) (local $s1 v128)
    (local.set $ldxb (i32.shl (local.get $ldx) (i32.const 2)))
    (local.set $lenb (i32.shl (local.get $len) (i32.const 2)))
    (local.set $row (local.get $X))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s0 (v128.const i32x4 0 0 0 0))
        (local.set $s1 (v128.const i32x4 0 0 0 0))
        (local.set $kb (i32.const 0))
        (block $dd
          (loop $ds
            (br_if $dd (i32.ge_u (local.get $kb) (local.get $lenb)))
            (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (v128.load (i32.add (local.get $row) (local.get $kb))) (v128.load (i32.add (local.get $V) (local.get $kb))))))
            (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
            (br_if $dd (i32.ge_u (local.get $kb) (local.get $lenb)))
            (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (v128.load (i32.add (local.get $row) (local.get $kb))) (v128.load (i32.add (local.get $V) (local.get $kb))))))
            (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
            (br $ds)))
        (local.set $c (f32.mul (f32.sub (call $hsum (f32x4.add (local.get $s0) (local.get $s1))) (local.get $shift)) (local.get $scale)))
        (f32.store (i32.add (local.get $proj) (i32.shl (local.get $i) (i32.const 2))) (local.get $c))
        (local.set $cv (f32x4.splat (local.get $c)))
        (local.set $kb (i32.const 0))
        (block $ad
          (loop $as
            (br_if $ad (i32.ge_u (local.get $kb) (local.get $lenb)))
            (local.set $g (i32.add (local.get $G) (local.get $kb)))
            (v128.store (local.get $g) (f32x4.add (v128.load (local.get $g)) (f32x4.mul (local.get $cv) (v128.load (i32.add (local.get $row) (local.get $kb))))))
            (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
            (br $as)))
        (local.set $row (i32.add (local.get $row) (local.get $ldxb)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; XT[k·ldt + i] = X[i·ldx + k] for i < n, k < len (len a multiple of 4): 4 × 4 blocks moved
  ;; with two rounds of shuffles, the last n mod 4 rows one value at a time.
  (func (export "transpose") (param $X i32) (param $n i32) (param $ldx i32) (param $len i32) (param $XT i32) (param $ldt i32)
    (local $i i32) (local $k i32) (local $ldxb i32) (local $ldtb i32) (local $src i32) (local $dst i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $ldxb (i32.shl (local.get $ldx) (i32.const 2)))
    (local.set $ldtb (i32.shl (local.get $ldt) (i32.const 2)))
    (block $blocks_done
      (loop $blocks
        (br_if $blocks_done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $k (i32.const 0))
        (block $kd
          (loop $ks
            (br_if $kd (i32.ge_u (local.get $k) (local.get $len)))
            (local.set $src (i32.add (i32.add (local.get $X) (i32.mul (local.get $i) (local.get $ldxb))) (i32.shl (local.get $k) (i32.const 2))))
            (local.set $r0 (v128.load (local.get $src)))
            (local.set $r1 (v128.load (i32.add (local.get $src) (local.get $ldxb))))
            (local.set $r2 (v128.load (i32.add (local.get $src) (i32.shl (local.get $ldxb) (i32.const 1)))))
            (local.set $r3 (v128.load (i32.add (local.get $src) (i32.mul (local.get $ldxb) (i32.const 3)))))
            (local.set $t0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
            (local.set $t1 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
            (local.set $t2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
            (local.set $t3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
            (local.set $dst (i32.add (i32.add (local.get $XT) (i32.mul (local.get $k) (local.get $ldtb))) (i32.shl (local.get $i) (i32.const 2))))
            (v128.store (local.get $dst) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $dst) (local.get $ldtb)) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t0) (local.get $t2)))
            (v128.store (i32.add (local.get $dst) (i32.shl (local.get $ldtb) (i32.const 1))) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $t1) (local.get $t3)))
            (v128.store (i32.add (local.get $dst) (i32.mul (local.get $ldtb) (i32.const 3))) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $t1) (local.get $t3)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $ks)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $blocks)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $k (i32.const 0))
        (block $kd2
          (loop $ks2
            (br_if $kd2 (i32.ge_u (local.get $k) (local.get $len)))
            (f32.store (i32.add (i32.add (local.get $XT) (i32.mul (local.get $k) (local.get $ldtb))) (i32.shl (local.get $i) (i32.const 2)))
              (f32.load (i32.add (i32.add (local.get $X) (i32.mul (local.get $i) (local.get $ldxb))) (i32.shl (local.get $k) (i32.const 2)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $ks2)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))
;; Z[k] = X[k] − Y[k] for k < len (len a multiple of 4): the pairs' differences δ from the
  ;; resident sides, without a round trip through JS arrays.
  (func (export "sub") (param $X i32) (param $Y i32) (param $Z i32) (param $len i32)
    (local $kb i32) (local $lenb i32)
    (local.set $lenb (i32.shl (local.get $len) (i32.const 2)))
    (block $done
      (loop $ks
        (br_if $done (i32.ge_u (local.get $kb) (local.get $lenb)))
        (v128.store (i32.add (local.get $Z) (local.get $kb))
          (f32x4.sub (v128.load (i32.add (local.get $X) (local.get $kb))) (v128.load (i32.add (local.get $Y) (local.get $kb)))))
        (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
        (br $ks))))

  ;; S_i = [max(X_i, 0) | max(−X_i, 0)] (rows of 2·len floats, lds apart): the split-sign rows
  ;; NMF factorises (activations are signed; this makes them non-negative losslessly).
  (func (export "splitsign") (param $X i32) (param $n i32) (param $ldx i32) (param $len i32) (param $S i32) (param $lds i32)
    (local $i i32) (local $kb i32) (local $lenb i32) (local $src i32) (local $dst i32) (local $v v128) (local $zero v128)
    (local.set $lenb (i32.shl (local.get $len) (i32.const 2)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $src (i32.add (local.get $X) (i32.shl (i32.mul (local.get $i) (local.get $ldx)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $S) (i32.shl (i32.mul (local.get $i) (local.get $lds)) (i32.const 2))))
        (local.set $kb (i32.const 0))
        (block $done
          (loop $ks
            (br_if $done (i32.ge_u (local.get $kb) (local.get $lenb)))
            (local.set $v (v128.load (i32.add (local.get $src) (local.get $kb))))
            (v128.store (i32.add (local.get $dst) (local.get $kb)) (f32x4.pmax (local.get $zero) (local.get $v)))
            (v128.store (i32.add (i32.add (local.get $dst) (local.get $lenb)) (local.get $kb)) (f32x4.pmax (local.get $zero) (f32x4.neg (local.get $v))))
            (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
            (br $ks)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))

  ;; Y_i = (X_i − M)·s for i < n (rows ldx and ldy floats apart, len a multiple of 4; Y may be
  ;; X): one normalisation group's centring and scaling, in place in the workspace.
  (func (export "affine") (param $X i32) (param $n i32) (param $ldx i32) (param $len i32) (param $M i32) (param $s f32) (param $Y i32) (param $ldy i32)
    (local $i i32) (local $kb i32) (local $lenb i32) (local $src i32) (local $dst i32) (local $sv v128)
    (local.set $lenb (i32.shl (local.get $len) (i32.const 2)))
    (local.set $sv (f32x4.splat (local.get $s)))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $src (i32.add (local.get $X) (i32.shl (i32.mul (local.get $i) (local.get $ldx)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $Y) (i32.shl (i32.mul (local.get $i) (local.get $ldy)) (i32.const 2))))
        (local.set $kb (i32.const 0))
        (block $done
          (loop $ks
            (br_if $done (i32.ge_u (local.get $kb) (local.get $lenb)))
            (v128.store (i32.add (local.get $dst) (local.get $kb))
              (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $src) (local.get $kb))) (v128.load (i32.add (local.get $M) (local.get $kb)))) (local.get $sv)))
            (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
            (br $ks)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows))))
)
