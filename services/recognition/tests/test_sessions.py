"""Session options handed to onnxruntime."""

from __future__ import annotations

from pathlib import Path

from tstudio_recognition.adapters.ort_sessions import SessionSettings, with_options


def test_tensorrt_gets_an_engine_cache_in_the_data_dir_and_others_go_by_name(tmp_path: Path) -> None:
    settings = SessionSettings(engine_cache_dir=tmp_path / "trt")
    providers = with_options(
        ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"], settings
    )
    name, options = providers[0]
    assert name == "TensorrtExecutionProvider"
    assert options["trt_engine_cache_enable"] and options["trt_engine_cache_path"] == str(tmp_path / "trt")
    assert providers[1:] == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    assert (tmp_path / "trt").is_dir()
    assert with_options(["CPUExecutionProvider"], SessionSettings()) == ["CPUExecutionProvider"]
