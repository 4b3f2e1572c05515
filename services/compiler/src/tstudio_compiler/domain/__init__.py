"""Pure timeline logic: model, validation, catalogs, planning, ffmpeg command building."""
