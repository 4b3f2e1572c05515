/* Box blur with clamped edges, separable: a horizontal pass into a scratch frame, then a vertical
 * pass back. Both keep running sums, so the cost per pixel does not depend on the radius; the vertical
 * pass walks whole rows (cache friendly, vectorisable). All four channels are blurred and each pass
 * rounds to 8 bits: out = (sum + r) / (2r + 1), the division done exactly by a 32.32 reciprocal. */
#include "tstudio_plugin.h"

static uint8_t *scratch;
static uint32_t *colsum;
static uint32_t scratch_size, colsum_size;

static inline int clampi(int v, int hi) { return v < 0 ? 0 : v > hi ? hi : v; }

/* (x * m) >> 32 == x / window for every x < 2^16 when m = ceil(2^32 / window), window <= 129:
 * the error x * (m * window - 2^32) / 2^32 stays below 1 / window. */
static inline uint8_t divide(uint32_t x, uint64_t m) { return (uint8_t)(((uint64_t)x * m) >> 32); }

static int ensure(uint32_t need_scratch, uint32_t need_colsum) {
    if (need_scratch > scratch_size) {
        scratch = (uint8_t *)(uintptr_t)ts_alloc(need_scratch);
        scratch_size = scratch ? need_scratch : 0;
    }
    if (need_colsum > colsum_size) {
        colsum = (uint32_t *)(uintptr_t)ts_alloc(need_colsum);
        colsum_size = colsum ? need_colsum : 0;
    }
    return scratch && colsum;
}

TS_EXPORT("effect_apply")
int32_t effect_apply(uint8_t *frame, int32_t w, int32_t h, int32_t stride, double time,
                     const double *params, int32_t params_len) {
    (void)time;
    int r = (int)ts_param(params, params_len, 0, 4.0);
    if (r <= 0) return 0;
    const uint32_t window = 2u * (uint32_t)r + 1u;
    const uint64_t m = ((1ull << 32) + window - 1) / window;
    const int row_bytes = w * 4;
    if (!ensure((uint32_t)stride * (uint32_t)h, (uint32_t)row_bytes * 4u)) {
        static const char msg[] = "blur: no memory for the scratch frame";
        ts_abort(msg, sizeof msg - 1);
        return 1;
    }
    for (int y = 0; y < h; y++) {
        const uint8_t *src = frame + y * stride;
        uint8_t *dst = scratch + y * stride;
        uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int i = -r; i <= r; i++) {
            const uint8_t *p = src + clampi(i, w - 1) * 4;
            s0 += p[0]; s1 += p[1]; s2 += p[2]; s3 += p[3];
        }
        for (int x = 0; x < w; x++) {
            uint8_t *o = dst + x * 4;
            o[0] = divide(s0 + (uint32_t)r, m);
            o[1] = divide(s1 + (uint32_t)r, m);
            o[2] = divide(s2 + (uint32_t)r, m);
            o[3] = divide(s3 + (uint32_t)r, m);
            const uint8_t *in = src + clampi(x + r + 1, w - 1) * 4;
            const uint8_t *out = src + clampi(x - r, w - 1) * 4;
            s0 += in[0] - out[0]; s1 += in[1] - out[1]; s2 += in[2] - out[2]; s3 += in[3] - out[3];
        }
    }
    for (int i = 0; i < row_bytes; i++) colsum[i] = 0;
    for (int k = -r; k <= r; k++) {
        const uint8_t *row = scratch + clampi(k, h - 1) * stride;
        for (int i = 0; i < row_bytes; i++) colsum[i] += row[i];
    }
    for (int y = 0; y < h; y++) {
        uint8_t *dst = frame + y * stride;
        const uint8_t *in = scratch + clampi(y + r + 1, h - 1) * stride;
        const uint8_t *out = scratch + clampi(y - r, h - 1) * stride;
        for (int i = 0; i < row_bytes; i++) {
            dst[i] = divide(colsum[i] + (uint32_t)r, m);
            colsum[i] += (uint32_t)in[i] - (uint32_t)out[i];
        }
    }
    return 0;
}
