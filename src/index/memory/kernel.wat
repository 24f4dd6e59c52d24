;; The scoring kernels of the vector arena (see kernel.ts), assembled into kernel-wasm.ts by
;; `npm run build:kernel`; kernel.test.ts checks the committed bytes are this text's.
;;
;; dots(addrs, n, q, bytes, out): for i < n, out[i] = sum of f32 mem[addrs[i] + j] * mem[q + j] over
;; `bytes` bytes (a multiple of 32: two 4-lane accumulators per step).
;; dots8(addrs, n, q, bytes, out): the same over `bytes` int8 values (a multiple of 16) against an
;; int16 query, into int32 sums; returns a value of the touched bytes (kept so the reads stay).
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "dots") (param $addrs i32) (param $n i32) (param $q i32) (param $bytes i32) (param $out i32)
    (local $i i32) (local $j i32) (local $p i32) (local $a v128) (local $b v128)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.load (i32.add (local.get $addrs) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $a (v128.const i32x4 0 0 0 0))
      (local.set $b (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $end (loop $cols
        (br_if $end (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $a (f32x4.add (local.get $a) (f32x4.mul
          (v128.load (i32.add (local.get $p) (local.get $j)))
          (v128.load (i32.add (local.get $q) (local.get $j))))))
        (local.set $b (f32x4.add (local.get $b) (f32x4.mul
          (v128.load offset=16 (i32.add (local.get $p) (local.get $j)))
          (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))))
        (local.set $j (i32.add (local.get $j) (i32.const 32)))
        (br $cols)))
      (local.set $a (f32x4.add (local.get $a) (local.get $b)))
      (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (f32.add
          (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
          (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows))))
  (func (export "dots8") (param $addrs i32) (param $n i32) (param $q i32) (param $bytes i32) (param $out i32) (result i32)
    (local $i i32) (local $j i32) (local $p i32) (local $v v128) (local $a v128) (local $f i32) (local $t i32) (local $o i32)
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.load (i32.add (local.get $addrs) (i32.shl (local.get $i) (i32.const 2)))))
      ;; Touches the cache lines of the row 8 ahead (its first 384 bytes at most), never past its end.
      (if (i32.lt_u (i32.add (local.get $i) (i32.const 8)) (local.get $n)) (then
        (local.set $f (i32.load (i32.add (local.get $addrs) (i32.shl (i32.add (local.get $i) (i32.const 8)) (i32.const 2)))))
        (local.set $o (i32.const 0))
        (block $touched (loop $touch
          (br_if $touched (i32.or (i32.ge_u (local.get $o) (local.get $bytes)) (i32.gt_u (local.get $o) (i32.const 320))))
          (local.set $t (i32.add (local.get $t) (i32.load8_u (i32.add (local.get $f) (local.get $o)))))
          (local.set $o (i32.add (local.get $o) (i32.const 64)))
          (br $touch)))))
      (local.set $a (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $end (loop $cols
        (br_if $end (i32.ge_u (local.get $j) (local.get $bytes)))
        (local.set $v (v128.load (i32.add (local.get $p) (local.get $j))))
        (local.set $a (i32x4.add (local.get $a) (i32x4.dot_i16x8_s
          (i16x8.extend_low_i8x16_s (local.get $v))
          (v128.load (i32.add (local.get $q) (i32.shl (local.get $j) (i32.const 1)))))))
        (local.set $a (i32x4.add (local.get $a) (i32x4.dot_i16x8_s
          (i16x8.extend_high_i8x16_s (local.get $v))
          (v128.load offset=16 (i32.add (local.get $q) (i32.shl (local.get $j) (i32.const 1)))))))
        (local.set $j (i32.add (local.get $j) (i32.const 16)))
        (br $cols)))
      (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
        (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $a)) (i32x4.extract_lane 1 (local.get $a)))
          (i32.add (i32x4.extract_lane 2 (local.get $a)) (i32x4.extract_lane 3 (local.get $a)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $rows)))
    (local.get $t))
)
