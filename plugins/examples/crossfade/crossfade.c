/* Crossfade transition: out = (a * (256 - k) + b * k + 128) >> 8 with k = round(progress * 256),
 * all four channels; the result replaces frame a. */
#include "tstudio_plugin.h"

TS_EXPORT("transition_apply")
int32_t transition_apply(uint8_t *a, const uint8_t *b, int32_t w, int32_t h, int32_t stride,
                         double progress, const double *params, int32_t params_len) {
    (void)params;
    (void)params_len;
    uint32_t k = (uint32_t)(progress * 256.0 + 0.5);
    if (k > 256) k = 256;
    uint32_t n = (uint32_t)stride * (uint32_t)h;
    (void)w;
    for (uint32_t i = 0; i < n; i++) a[i] = (uint8_t)((a[i] * (256 - k) + b[i] * k + 128) >> 8);
    return 0;
}
