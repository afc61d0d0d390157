;; rotate.wat: a plane rotation of two rows of float64 (SPEC §8), for the eigenvector accumulation of the
;; implicit QL iteration: with vectors, QL applies about 3n³ flops of rotations to Zᵀ (simdRotate.ts drives it).
;;
;; rot(x, y, len, c, s): for k < len rounded down to even, with x_k, y_k the doubles at bytes x + 8k, y + 8k:
;;   (x_k, y_k) ← (c·x_k − s·y_k, s·x_k + c·y_k)
;; two entries of each row per step. The caller rotates the odd last entry.
(module
  (func $rot (export "rot")
    (param $x i32) (param $y i32) (param $len i32) (param $c f64) (param $s f64)
    (local $xEnd i32)
    (local $cc v128) (local $ss v128) (local $xk v128) (local $yk v128)
    (local.set $cc (f64x2.splat (local.get $c)))
    (local.set $ss (f64x2.splat (local.get $s)))
    ;; xEnd = x + (len & ~1)·8
    (local.set $xEnd (i32.add (local.get $x) (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $x) (local.get $xEnd)))
        (local.set $xk (v128.load (local.get $x)))
        (local.set $yk (v128.load (local.get $y)))
        (v128.store (local.get $y)
          (f64x2.add (f64x2.mul (local.get $ss) (local.get $xk)) (f64x2.mul (local.get $cc) (local.get $yk))))
        (v128.store (local.get $x)
          (f64x2.sub (f64x2.mul (local.get $cc) (local.get $xk)) (f64x2.mul (local.get $ss) (local.get $yk))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $y (i32.add (local.get $y) (i32.const 16)))
        (br $next))))
  (memory (export "mem") 1))
