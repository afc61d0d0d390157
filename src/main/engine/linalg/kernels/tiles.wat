;; tiles.wat: the 4×4 float64 matrix-product micro-kernel (SPEC §8), the level-3 core of the rank-2k updates of
;; the Householder reduction, of the blocked Cholesky trailing update and of gemmNT (simdGemm.ts drives it).
;;
;; tiles(p, q, kk, out, count, step, ld, sub): for t < count, with
;;   T_t[r, s] = Σ_{k < kk} P[k, r]·Q_t[k, s]        (r, s < 4)
;; where P [kk, 4] is the packed panel at byte p and Q_t [kk, 4] the one at byte q + t·kk·32 (the panels
;; follow each other): with sub = 0 it stores T_t, with sub ≠ 0 it subtracts it (C_t ← C_t − T_t), where the
;; 4×4 block C_t (or the place for T_t) starts at byte out + t·step and its rows are ld bytes apart. Stored
;; tiles follow each other (step 128, ld 32); subtracted, they are the tiles of one row of a matrix in this
;; memory (step 32, ld its row length in bytes), updated in place with no copy out and back.
;; Eight f64x2 accumulators hold the tile; each step of k loads one row of Q_t (two f64x2), splats the four
;; entries of P's row and does 16 multiply–adds. Each splat is loaded once into a local and used for both
;; halves of its row: with the splat-load written in both multiplies V8 loads it twice, and the kernel ran
;; at half the rate (~9–10 against ~18–24 GFLOP/s here). The memory is imported (shared, as symv.wat's), so
;; that a matrix in a symmetric-product kernel's memory takes its rank-2k updates where it lies.
(module
  (import "env" "mem" (memory 1 65536 shared))
  (func $tiles (export "tiles")
    (param $p i32) (param $q i32) (param $kk i32) (param $out i32) (param $count i32)
    (param $step i32) (param $ld i32) (param $sub i32)
    (local $o i32)
    (local $pp i32) (local $qq i32) (local $pEnd i32)
    ;; out_t[r, 0..1] and out_t[r, 2..3] for r = 0..3
    (local $c00 v128) (local $c02 v128) (local $c10 v128) (local $c12 v128)
    (local $c20 v128) (local $c22 v128) (local $c30 v128) (local $c32 v128)
    ;; the current row of Q_t, and one entry of P's row splatted
    (local $q01 v128) (local $q23 v128) (local $pr v128)
    (block $done
      (loop $nextTile
        (br_if $done (i32.eqz (local.get $count)))
        (local.set $c00 (v128.const f64x2 0 0))
        (local.set $c02 (v128.const f64x2 0 0))
        (local.set $c10 (v128.const f64x2 0 0))
        (local.set $c12 (v128.const f64x2 0 0))
        (local.set $c20 (v128.const f64x2 0 0))
        (local.set $c22 (v128.const f64x2 0 0))
        (local.set $c30 (v128.const f64x2 0 0))
        (local.set $c32 (v128.const f64x2 0 0))
        (local.set $pp (local.get $p))
        (local.set $qq (local.get $q))
        (local.set $pEnd (i32.add (local.get $p) (i32.shl (local.get $kk) (i32.const 5))))
        (block $tileDone
          (loop $nextK
            (br_if $tileDone (i32.ge_u (local.get $pp) (local.get $pEnd)))
            (local.set $q01 (v128.load (local.get $qq)))
            (local.set $q23 (v128.load offset=16 (local.get $qq)))
            (local.set $pr (v128.load64_splat (local.get $pp)))
            (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $pr) (local.get $q01))))
            (local.set $c02 (f64x2.add (local.get $c02) (f64x2.mul (local.get $pr) (local.get $q23))))
            (local.set $pr (v128.load64_splat offset=8 (local.get $pp)))
            (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $pr) (local.get $q01))))
            (local.set $c12 (f64x2.add (local.get $c12) (f64x2.mul (local.get $pr) (local.get $q23))))
            (local.set $pr (v128.load64_splat offset=16 (local.get $pp)))
            (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $pr) (local.get $q01))))
            (local.set $c22 (f64x2.add (local.get $c22) (f64x2.mul (local.get $pr) (local.get $q23))))
            (local.set $pr (v128.load64_splat offset=24 (local.get $pp)))
            (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $pr) (local.get $q01))))
            (local.set $c32 (f64x2.add (local.get $c32) (f64x2.mul (local.get $pr) (local.get $q23))))
            (local.set $pp (i32.add (local.get $pp) (i32.const 32)))
            (local.set $qq (i32.add (local.get $qq) (i32.const 32)))
            (br $nextK)))
        (if (local.get $sub)
          (then
            ;; C_t ← C_t − T_t, row by row
            (local.set $o (local.get $out))
            (v128.store (local.get $o) (f64x2.sub (v128.load (local.get $o)) (local.get $c00)))
            (v128.store offset=16 (local.get $o) (f64x2.sub (v128.load offset=16 (local.get $o)) (local.get $c02)))
            (local.set $o (i32.add (local.get $o) (local.get $ld)))
            (v128.store (local.get $o) (f64x2.sub (v128.load (local.get $o)) (local.get $c10)))
            (v128.store offset=16 (local.get $o) (f64x2.sub (v128.load offset=16 (local.get $o)) (local.get $c12)))
            (local.set $o (i32.add (local.get $o) (local.get $ld)))
            (v128.store (local.get $o) (f64x2.sub (v128.load (local.get $o)) (local.get $c20)))
            (v128.store offset=16 (local.get $o) (f64x2.sub (v128.load offset=16 (local.get $o)) (local.get $c22)))
            (local.set $o (i32.add (local.get $o) (local.get $ld)))
            (v128.store (local.get $o) (f64x2.sub (v128.load (local.get $o)) (local.get $c30)))
            (v128.store offset=16 (local.get $o) (f64x2.sub (v128.load offset=16 (local.get $o)) (local.get $c32))))
          (else
            (local.set $o (local.get $out))
            (v128.store (local.get $o) (local.get $c00))
            (v128.store offset=16 (local.get $o) (local.get $c02))
            (local.set $o (i32.add (local.get $o) (local.get $ld)))
            (v128.store (local.get $o) (local.get $c10))
            (v128.store offset=16 (local.get $o) (local.get $c12))
            (local.set $o (i32.add (local.get $o) (local.get $ld)))
            (v128.store (local.get $o) (local.get $c20))
            (v128.store offset=16 (local.get $o) (local.get $c22))
            (local.set $o (i32.add (local.get $o) (local.get $ld)))
            (v128.store (local.get $o) (local.get $c30))
            (v128.store offset=16 (local.get $o) (local.get $c32))))
        (local.set $out (i32.add (local.get $out) (local.get $step)))
        ;; the next Q panel starts where this one ended
        (local.set $q (local.get $qq))
        (local.set $count (i32.sub (local.get $count) (i32.const 1)))
        (br $nextTile))))
  )
