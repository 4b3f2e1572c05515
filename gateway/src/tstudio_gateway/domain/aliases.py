"""Timeline Studio's command names (the original frontend's `invoke(...)` names) and the RPCs
that answer them. The arguments are our request's JSON, not the old frontend's shapes.

The commands the translation layer speaks in the frontend's own shapes (timeline_studio/:
compile_video, get_media_metadata, ...) are not here: those names run the translated command.

A target that is not in the contracts yet belongs to a service still being built: the gateway
answers "not available" for it instead of guessing.
"""

from __future__ import annotations

from types import MappingProxyType

TIMELINE_STUDIO_ALIASES: MappingProxyType[str, str] = MappingProxyType(
    {
        # rendering
        "get_render_statistics": "compiler.list_renders",
        "generate_single_frame_preview": "compiler.render_frame",
        "build_render_command_with_settings": "compiler.explain_render",
        "clear_render_cache": "compiler.clear_cache",
        "get_render_cache_info": "compiler.get_cache_stats",
        "check_project_media_availability": "compiler.find_missing_media",
        "update_project_media_paths": "compiler.relink_media",
        "check_hardware_acceleration": "compiler.get_capabilities",
        "list_available_plugins": "compiler.list_plugins",
        "load_plugin": "compiler.install_plugin",
        # media
        "probe_media_file": "media.probe",
        "generate_timeline_previews": "media.filmstrip",
        # recognition
        "ffmpeg_detect_scenes": "recognition.detect_shots",
        "process_image_with_yolo": "recognition.detect_image",
        "get_available_yolo_models": "recognition.list_models",
        "load_yolo_model": "recognition.load_model",
        "get_recognition_results": "recognition.get_recognition_results",
        # security
        "get_api_key_info": "security.get_secret_info",
        # the gateway itself
        "check_services_health": "gateway.check_services_health",
    }
)
