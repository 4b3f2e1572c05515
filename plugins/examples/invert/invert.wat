;; Invert colours, keep alpha: every pixel's RGB becomes 255 - RGB.
;; 16 bytes (4 pixels) per step with one SIMD xor; frames are whole pixels, so a tail of 1-3 pixels
;; is done one pixel at a time.
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
    (local $end i32) (local $end16 i32) (local $mask v128)
    (local.set $end (i32.add (local.get $ptr) (i32.mul (local.get $stride) (local.get $h))))
    (local.set $end16 (i32.sub (local.get $end) (i32.and (i32.sub (local.get $end) (local.get $ptr)) (i32.const 15))))
    (local.set $mask (v128.const i32x4 0x00ffffff 0x00ffffff 0x00ffffff 0x00ffffff))
    (block $done
      (loop $simd
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end16)))
        (v128.store (local.get $ptr) (v128.xor (v128.load (local.get $ptr)) (local.get $mask)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $simd)))
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $ptr) (local.get $end)))
        (i32.store (local.get $ptr) (i32.xor (i32.load (local.get $ptr)) (i32.const 0x00ffffff)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 4)))
        (br $tail)))
    (i32.const 0))
)
