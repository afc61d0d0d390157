;; triangular.wat: four-row float64 updates for triangular solves with an upper Cholesky factor U and for the
;; reorthogonalization of the Lanczos basis (SPEC §8); simdTriangular.ts drives them. U_r below is the row at
;; byte u + r·ld (r < 4); columns c < len rounded down to even, as byte offsets c·8 from u, y and x. The
;; caller handles the odd last column.
(module
  ;; axpy4(y, u, ld, len, z0, z1, z2, z3):  y[c] −= Σ_r z_r·U_r[c]
  ;; four rows per pass over y: 8 flops per load/store pair of y instead of 2.
  (func $axpy4 (export "axpy4")
    (param $y i32) (param $u i32) (param $ld i32) (param $len i32)
    (param $z0 f64) (param $z1 f64) (param $z2 f64) (param $z3 f64)
    (local $yEnd i32) (local $u1 i32) (local $u2 i32) (local $u3 i32)
    (local $zz0 v128) (local $zz1 v128) (local $zz2 v128) (local $zz3 v128)
    (local.set $yEnd (i32.add (local.get $y) (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3))))
    (local.set $u1 (i32.add (local.get $u) (local.get $ld)))
    (local.set $u2 (i32.add (local.get $u1) (local.get $ld)))
    (local.set $u3 (i32.add (local.get $u2) (local.get $ld)))
    (local.set $zz0 (f64x2.splat (local.get $z0)))
    (local.set $zz1 (f64x2.splat (local.get $z1)))
    (local.set $zz2 (f64x2.splat (local.get $z2)))
    (local.set $zz3 (f64x2.splat (local.get $z3)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $y) (local.get $yEnd)))
        ;; ((((y − U_0·z_0) − U_1·z_1) − U_2·z_2) − U_3·z_3), in this order
        (v128.store (local.get $y)
          (f64x2.sub
            (f64x2.sub
              (f64x2.sub
                (f64x2.sub (v128.load (local.get $y)) (f64x2.mul (v128.load (local.get $u)) (local.get $zz0)))
                (f64x2.mul (v128.load (local.get $u1)) (local.get $zz1)))
              (f64x2.mul (v128.load (local.get $u2)) (local.get $zz2)))
            (f64x2.mul (v128.load (local.get $u3)) (local.get $zz3))))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (local.set $u1 (i32.add (local.get $u1) (i32.const 16)))
        (local.set $u2 (i32.add (local.get $u2) (i32.const 16)))
        (local.set $u3 (i32.add (local.get $u3) (i32.const 16)))
        (br $next))))

  ;; dot4(x, u, ld, len, out):  out[2r], out[2r+1] = the two lanes of Σ_c U_r[c]·x[c]
  ;; four dot products per pass over x; the caller adds the lanes.
  (func $dot4 (export "dot4")
    (param $x i32) (param $u i32) (param $ld i32) (param $len i32) (param $out i32)
    (local $xEnd i32) (local $u1 i32) (local $u2 i32) (local $u3 i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $xc v128)
    (local.set $xEnd (i32.add (local.get $x) (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3))))
    (local.set $u1 (i32.add (local.get $u) (local.get $ld)))
    (local.set $u2 (i32.add (local.get $u1) (local.get $ld)))
    (local.set $u3 (i32.add (local.get $u2) (local.get $ld)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $xEnd)))
        (local.set $xc (v128.load (local.get $x)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (v128.load (local.get $u)) (local.get $xc))))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (v128.load (local.get $u1)) (local.get $xc))))
        (local.set $s2 (f64x2.add (local.get $s2) (f64x2.mul (v128.load (local.get $u2)) (local.get $xc))))
        (local.set $s3 (f64x2.add (local.get $s3) (f64x2.mul (v128.load (local.get $u3)) (local.get $xc))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $u (i32.add (local.get $u) (i32.const 16)))
        (local.set $u1 (i32.add (local.get $u1) (i32.const 16)))
        (local.set $u2 (i32.add (local.get $u2) (i32.const 16)))
        (local.set $u3 (i32.add (local.get $u3) (i32.const 16)))
        (br $next)))
    (v128.store (local.get $out) (local.get $s0))
    (v128.store offset=16 (local.get $out) (local.get $s1))
    (v128.store offset=32 (local.get $out) (local.get $s2))
    (v128.store offset=48 (local.get $out) (local.get $s3)))

  (memory (export "mem") 1))
