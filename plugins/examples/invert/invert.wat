;; Invert colours, keep alpha: every pixel's RGB becomes 255 - RGB.
;; SIMD xor 128 bytes per loop step, then 16-byte steps, then single pixels for the tail.
(module
  (import "tstudio" "abort" (func $abort (param i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 1024))

  (func (export "abi_version") (result i32) (i32.const 1))

  ;; Bump allocator, 16-byte aligned; 0 when the memory ceiling stops growth.
  (func (export "alloc") (param $size i32) (result i32)
    (local $ptr i32) (local $end i32) (local $have i32)
    (local.set $ptr (i32.and (i32.add (global.get $heap) (i32.const 15)) (i32.const -16)))
    (local.set $end (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.lt_u (local.get $end) (local.get $ptr)) (then (return (i32.const 0))))
    (local.set $have (i32.shl (memory.size) (i32.const 16)))
    (if (i32.gt_u (local.get $end) (local.get $have))
      (then
        (if (i32.eq
              (memory.grow (i32.shr_u (i32.add (i32.sub (local.get $end) (local.get $have)) (i32.const 65535))
                                      (i32.const 16)))
              (i32.const -1))
          (then (return (i32.const 0))))))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  (func (export "effect_apply")
        (param $ptr i32) (param $w i32) (param $h i32) (param $stride i32) (param $time f64)
        (param $params i32) (param $params_len i32) (result i32)
    (local $end i32) (local $end128 i32) (local $end16 i32) (local $mask v128)
    (local.set $end (i32.add (local.get $ptr) (i32.mul (local.get $stride) (local.get $h))))
    (local.set $end128 (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $ptr)) (i32.const 127))))
    (local.set $end16 (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $ptr)) (i32.const 15))))
    (local.set $mask (v128.const i32x4 0x00ffffff 0x00ffffff 0x00ffffff 0x00ffffff))
    ;; 128 bytes per iteration: the per-iteration fuel and epoch checks cost less per byte.
    (block $done128
      (loop $simd128
        (br_if $done128 (i32.ge_u (local.get $ptr) (local.get $end128)))
        (v128.store offset=0 (local.get $ptr) (v128.xor (v128.load offset=0 (local.get $ptr)) (local.get $mask)))
        (v128.store offset=16 (local.get $ptr) (v128.xor (v128.load offset=16 (local.get $ptr)) (local.get $mask)))
        (v128.store offset=32 (local.get $ptr) (v128.xor (v128.load offset=32 (local.get $ptr)) (local.get $mask)))
        (v128.store offset=48 (local.get $ptr) (v128.xor (v128.load offset=48 (local.get $ptr)) (local.get $mask)))
        (v128.store offset=64 (local.get $ptr) (v128.xor (v128.load offset=64 (local.get $ptr)) (local.get $mask)))
        (v128.store offset=80 (local.get $ptr) (v128.xor (v128.load offset=80 (local.get $ptr)) (local.get $mask)))
        (v128.store offset=96 (local.get $ptr) (v128.xor (v128.load offset=96 (local.get $ptr)) (local.get $mask)))
        (v128.store offset=112 (local.get $ptr) (v128.xor (v128.load offset=112 (local.get $ptr)) (local.get $mask)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 128)))
        (br $simd128)))
    (block $done16
      (loop $simd16
        (br_if $done16 (i32.ge_u (local.get $ptr) (local.get $end16)))
        (v128.store (local.get $ptr) (v128.xor (v128.load (local.get $ptr)) (local.get $mask)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $simd16)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $ptr) (local.get $end)))
        (i32.store (local.get $ptr) (i32.xor (i32.load (local.get $ptr)) (i32.const 0x00ffffff)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 4)))
        (br $tail)))
    (i32.const 0))
)
