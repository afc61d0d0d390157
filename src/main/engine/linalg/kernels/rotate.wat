;; rotate.wat: plane rotations of pairs of adjacent rows of float64 (SPEC §8), for the eigenvector accumulation
;; of the implicit QL iteration: with vectors, QL applies about 3n³ flops of rotations to Zᵀ (simdRotate.ts
;; records them and drives this kernel).
;;
(module
  ;; rotseq(z, rowBytes, len, rots, count): `count` rotations, in order, each three doubles [i, c, s] from byte
  ;; `rots` on, applied to one block of columns: rows i and i+1 of the row-major matrix whose block starts at
  ;; byte z (row stride rowBytes, len columns rounded down to even) become (c·x − s·y, s·x + c·y), two entries
  ;; of each row per step (the caller rotates an odd last column). A block of a few columns stays in cache
  ;; through the whole sequence, where one rotation at a time would stream each row pair from memory.
  (func $rotseq (export "rotseq")
    (param $z i32) (param $rowBytes i32) (param $len i32) (param $rots i32) (param $count i32)
    (local $rEnd i32) (local $span i32) (local $x i32) (local $y i32) (local $xEnd i32)
    (local $cc v128) (local $ss v128) (local $xk v128) (local $yk v128)
    (local.set $span (i32.shl (i32.and (local.get $len) (i32.const -2)) (i32.const 3)))
    (local.set $rEnd (i32.add (local.get $rots) (i32.mul (local.get $count) (i32.const 24))))
    (block $done
      (loop $nextRot
        (br_if $done (i32.ge_u (local.get $rots) (local.get $rEnd)))
        (local.set $x (i32.add (local.get $z)
          (i32.mul (i32.trunc_f64_u (f64.load (local.get $rots))) (local.get $rowBytes))))
        (local.set $y (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $xEnd (i32.add (local.get $x) (local.get $span)))
        (local.set $cc (f64x2.splat (f64.load offset=8 (local.get $rots))))
        (local.set $ss (f64x2.splat (f64.load offset=16 (local.get $rots))))
        (block $rowDone
          (loop $next
            (br_if $rowDone (i32.ge_u (local.get $x) (local.get $xEnd)))
            (local.set $xk (v128.load (local.get $x)))
            (local.set $yk (v128.load (local.get $y)))
            (v128.store (local.get $y)
              (f64x2.add (f64x2.mul (local.get $ss) (local.get $xk)) (f64x2.mul (local.get $cc) (local.get $yk))))
            (v128.store (local.get $x)
              (f64x2.sub (f64x2.mul (local.get $cc) (local.get $xk)) (f64x2.mul (local.get $ss) (local.get $yk))))
            (local.set $x (i32.add (local.get $x) (i32.const 16)))
            (local.set $y (i32.add (local.get $y) (i32.const 16)))
            (br $next)))
        (local.set $rots (i32.add (local.get $rots) (i32.const 24)))
        (br $nextRot))))
  (memory (export "mem") 1))
