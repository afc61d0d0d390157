;; symv.wat: four rows of the symmetric matrix–vector product y += S v from the stored upper triangle of S
;; (SPEC §8): half the flops of the Householder reduction and every product of the Lanczos iteration for the
;; largest eigenvalues. Each stored entry is read once and used twice, for its row and for its column: half
;; the memory traffic of row dot products, which bounds these products at large n (simdSymv.ts and
;; symvRows.ts drive it).
;;
;; symv4(a, ld, v, y, len, out, v0, v1, v2, v3): with A_r the row at byte a + r·ld (r < 4) and columns c < len
;; rounded down to even, as byte offsets c·8 from a, v and y:
;;   y[c] += Σ_r A_r[c]·v_r                                 (the columns' share; v_r = v at row r)
;;   out[2r], out[2r+1] = the two lanes of Σ_c A_r[c]·v[c]   (the rows' share; the caller adds the lanes)
;; The caller handles the 4×4 diagonal block and the odd last column. The memory is imported and shared,
;; so that helper threads run this same code on the same matrix (symvThreads.ts, symvHelper.ts).
(module
  (import "env" "mem" (memory 1 65536 shared))
  (func $symv4 (export "symv4")
    (param $a i32) (param $ld i32) (param $v i32) (param $y i32) (param $len i32) (param $out i32)
    (param $v0 f64) (param $v1 f64) (param $v2 f64) (param $v3 f64)
    (local $vEnd i32) (local $a1 i32) (local $a2 i32) (local $a3 i32)
    ;; the rows' running sums
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    ;; v_r splatted
    (local $vv0 v128) (local $vv1 v128) (local $vv2 v128) (local $vv3 v128)
    ;; v[c..c+1] and A_r[c..c+1]
    (local $vc v128) (local $arc v128)
    (local.set $vEnd (i32.add (local.get $v) (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3))))
    (local.set $a1 (i32.add (local.get $a) (local.get $ld)))
    (local.set $a2 (i32.add (local.get $a1) (local.get $ld)))
    (local.set $a3 (i32.add (local.get $a2) (local.get $ld)))
    (local.set $vv0 (f64x2.splat (local.get $v0)))
    (local.set $vv1 (f64x2.splat (local.get $v1)))
    (local.set $vv2 (f64x2.splat (local.get $v2)))
    (local.set $vv3 (f64x2.splat (local.get $v3)))
    ;; two pairs of columns per pass while two are left (the same operations in the same order as one pair
    ;; per pass, with half the loop's bookkeeping: ~10% faster here), then the last pair, if any
    (block $pairsDone
      (loop $nextPairs
        (br_if $pairsDone (i32.ge_u (i32.add (local.get $v) (i32.const 16)) (local.get $vEnd)))
        (local.set $vc (v128.load (local.get $v)))
        ;; y[c..c+1] stays on the stack while each row adds its column share to it and its row share to s_r
        local.get $y
        (v128.load (local.get $y))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load (local.get $a))) (local.get $vv0)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $arc) (local.get $vc))))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load (local.get $a1))) (local.get $vv1)))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $arc) (local.get $vc))))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load (local.get $a2))) (local.get $vv2)))
        (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $arc) (local.get $vc))))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load (local.get $a3))) (local.get $vv3)))
        (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $arc) (local.get $vc))))
        v128.store
        (local.set $vc (v128.load offset=16 (local.get $v)))
        ;; y[c..c+1] stays on the stack while each row adds its column share to it and its row share to s_r
        local.get $y
        (v128.load offset=16 (local.get $y))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load offset=16 (local.get $a))) (local.get $vv0)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $arc) (local.get $vc))))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load offset=16 (local.get $a1))) (local.get $vv1)))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $arc) (local.get $vc))))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load offset=16 (local.get $a2))) (local.get $vv2)))
        (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $arc) (local.get $vc))))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load offset=16 (local.get $a3))) (local.get $vv3)))
        (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $arc) (local.get $vc))))
        v128.store offset=16
        (local.set $a (i32.add (local.get $a) (i32.const 32)))
        (local.set $a1 (i32.add (local.get $a1) (i32.const 32)))
        (local.set $a2 (i32.add (local.get $a2) (i32.const 32)))
        (local.set $a3 (i32.add (local.get $a3) (i32.const 32)))
        (local.set $v (i32.add (local.get $v) (i32.const 32)))
        (local.set $y (i32.add (local.get $y) (i32.const 32)))
        (br $nextPairs)))
    (if (i32.lt_u (local.get $v) (local.get $vEnd))
      (then
        (local.set $vc (v128.load (local.get $v)))
        ;; y[c..c+1] stays on the stack while each row adds its column share to it and its row share to s_r
        local.get $y
        (v128.load (local.get $y))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load (local.get $a))) (local.get $vv0)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $arc) (local.get $vc))))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load (local.get $a1))) (local.get $vv1)))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $arc) (local.get $vc))))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load (local.get $a2))) (local.get $vv2)))
        (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (local.get $arc) (local.get $vc))))
        (f64x2.add (f64x2.mul (local.tee $arc (v128.load (local.get $a3))) (local.get $vv3)))
        (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (local.get $arc) (local.get $vc))))
        v128.store
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $a1 (i32.add (local.get $a1) (i32.const 16)))
        (local.set $a2 (i32.add (local.get $a2) (i32.const 16)))
        (local.set $a3 (i32.add (local.get $a3) (i32.const 16)))
        (local.set $v (i32.add (local.get $v) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
))
    (v128.store (local.get $out) (local.get $s0))
    (v128.store offset=16 (local.get $out) (local.get $s1))
    (v128.store offset=32 (local.get $out) (local.get $s2))
    (v128.store offset=48 (local.get $out) (local.get $s3))))
