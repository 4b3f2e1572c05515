/* Darkens towards the corners: factor = 1 - strength * smoothstep((d - radius) / (1 - radius)),
 * d = 0 at the centre and 1 in the corners. Alpha is left alone. */
#include "tstudio_plugin.h"

TS_EXPORT("effect_apply")
int32_t effect_apply(uint8_t *frame, int32_t w, int32_t h, int32_t stride, double time,
                     const double *params, int32_t params_len) {
    (void)time;
    double strength = ts_param(params, params_len, 0, 0.5);
    double radius = ts_param(params, params_len, 1, 0.5);
    double cx = w / 2.0, cy = h / 2.0;
    for (int y = 0; y < h; y++) {
        uint8_t *row = frame + y * stride;
        double dy = (y + 0.5 - cy) / cy;
        for (int x = 0; x < w; x++) {
            double dx = (x + 0.5 - cx) / cx;
            double d = __builtin_sqrt((dx * dx + dy * dy) * 0.5);
            double t = radius < 1.0 ? (d - radius) / (1.0 - radius) : 0.0;
            t = t < 0.0 ? 0.0 : t > 1.0 ? 1.0 : t;
            double f = 1.0 - strength * (t * t * (3.0 - 2.0 * t));
            uint8_t *px = row + x * 4;
            px[0] = (uint8_t)(px[0] * f + 0.5);
            px[1] = (uint8_t)(px[1] * f + 0.5);
            px[2] = (uint8_t)(px[2] * f + 0.5);
        }
    }
    return 0;
}
