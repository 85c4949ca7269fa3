"""save_pretrained / from_pretrained round trip and the self-contained (remote-code) export."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest
import torch

from modeling_video2eeg import SPGNModel
from pipelines import Video2EEGPipeline, hub_export, save_self_contained

STEPS = 2


def _generate(pipe) -> np.ndarray:
    tokens = torch.rand(2, 4, 32, generator=torch.Generator().manual_seed(5))
    return pipe(
        video_tokens=tokens,
        subject=[1, 3],
        emotion=["positive", "negative"],
        guidance_scale=2.0,
        num_inference_steps=STEPS,
        generator=torch.Generator().manual_seed(0),
    ).eeg


@pytest.fixture(scope="module")
def reference(tiny_pipeline) -> np.ndarray:
    return _generate(tiny_pipeline)


def test_save_pretrained_round_trip_is_identical(tiny_pipeline, reference, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path)
    index = json.loads((tmp_path / "model_index.json").read_text())
    assert index["_class_name"] == "Video2EEGPipeline"
    assert index["spgn"] == ["modeling_video2eeg.modeling_spgn", "SPGNModel"]
    assert index["denoiser"] == ["modeling_video2eeg.denoiser", "EEGDenoiser"]
    assert index["video_encoder"] == ["modeling_video2eeg.video_encoders", "LowLevelVideoEncoder"]
    assert index["scheduler"] == ["diffusers", "DPMSolverMultistepScheduler"]
    assert not list(tmp_path.rglob("*.bin")) and list(tmp_path.rglob("*.safetensors"))

    loaded = Video2EEGPipeline.from_pretrained(tmp_path)
    loaded.set_progress_bar_config(disable=True)
    assert loaded.spgn.config.eeg_mean == tiny_pipeline.spgn.config.eeg_mean
    np.testing.assert_array_equal(_generate(loaded), reference)


_LOAD_WITHOUT_OUR_PACKAGES = textwrap.dedent(
    """
    import importlib.abc
    import sys

    OURS = {"pipelines", "modeling_video2eeg", "video2eeg", "dataset_builder", "training",
            "evaluation", "hub_cards", "tests"}

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in OURS:
                raise ImportError(f"this process must not import {name}")
            return None

    sys.meta_path.insert(0, Refuse())

    import numpy as np
    import torch
    from diffusers import DiffusionPipeline

    pipe = DiffusionPipeline.from_pretrained(sys.argv[1], trust_remote_code=True)
    pipe.set_progress_bar_config(disable=True)
    tokens = torch.rand(2, 4, 32, generator=torch.Generator().manual_seed(5))
    out = pipe(video_tokens=tokens, subject=[1, 3], emotion=["positive", "negative"],
               guidance_scale=2.0, num_inference_steps={steps},
               generator=torch.Generator().manual_seed(0))
    np.save(sys.argv[2], out.eeg)
    print(type(pipe).__module__, sorted(m for m in sys.modules if m.split(".")[0] in OURS))
    """
).replace("{steps}", str(STEPS))


def test_self_contained_export_loads_with_remote_code_in_a_clean_process(
    tiny_pipeline, reference, tmp_path
):
    folder = save_self_contained(tiny_pipeline, tmp_path / "repo")
    index = json.loads((folder / "model_index.json").read_text())
    assert index["_class_name"] == ["video2eeg_pipeline", "Video2EEGPipeline"]
    assert index["spgn"] == ["video2eeg_spgn", "SPGNModel"]
    assert index["denoiser"] == ["video2eeg_denoiser", "EEGDenoiser"]
    assert index["video_encoder"] == ["video2eeg_video_encoder", "LowLevelVideoEncoder"]
    # One self-contained module per class: all diffusers fetches from the Hub for a component.
    code = sorted(str(p.relative_to(folder)) for p in folder.rglob("*.py"))
    assert code == [
        "denoiser/video2eeg_denoiser.py",
        "spgn/video2eeg_spgn.py",
        "video2eeg_pipeline.py",
        "video_encoder/video2eeg_video_encoder.py",
    ]
    first_party_import = re.compile(r"^\s*(from|import)\s+(\.|modeling_video2eeg|pipelines)", re.M)
    for source in folder.rglob("*.py"):
        assert not first_party_import.search(source.read_text()), source

    script = tmp_path / "load.py"
    script.write_text(_LOAD_WITHOUT_OUR_PACKAGES)
    result_file = tmp_path / "eeg.npy"
    env = {**os.environ, "HF_HOME": str(tmp_path / "hf"), "PYTHONPATH": "", "OMP_NUM_THREADS": "1"}
    completed = subprocess.run(
        [sys.executable, str(script), str(folder), str(result_file)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    module, imported_ours = completed.stdout.strip().splitlines()[-1].split(" ", 1)
    assert module.startswith("diffusers_modules.")  # the bundled code, not this package
    assert imported_ours == "[]"
    np.testing.assert_array_equal(np.load(result_file), reference)


def test_export_refuses_a_non_empty_folder_and_leaves_nothing_on_failure(
    tiny_pipeline, tmp_path, monkeypatch
):
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        save_self_contained(tiny_pipeline, occupied)
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]

    def broken(*args):
        raise RuntimeError("simulated failure while bundling")

    monkeypatch.setattr(hub_export, "bundle_module", broken)
    with pytest.raises(RuntimeError, match="simulated"):
        save_self_contained(tiny_pipeline, tmp_path / "new")
    with pytest.raises(RuntimeError, match="simulated"):
        save_self_contained(tiny_pipeline, occupied, overwrite=True)
    # No target, no staging folder left behind, the existing folder untouched.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied"]
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]


def test_bundle_concatenates_dependencies_first_without_their_imports(monkeypatch):
    source = hub_export.bundle_module("modeling_video2eeg.modeling_spgn", "SPGNModel")
    markers = [
        source.index(f"# {'-' * 20} modeling_video2eeg.{name} ")
        for name in ("montage", "configuration_video2eeg", "modeling_spgn")
    ]
    assert markers == sorted(markers)
    assert "from .montage import" not in source and "from .configuration_video2eeg" not in source
    assert source.count("from __future__ import annotations") == 1
    module = types.ModuleType("bundled_spgn")
    monkeypatch.setitem(sys.modules, "bundled_spgn", module)  # dataclasses look modules up
    exec(compile(source, "<bundled>", "exec"), module.__dict__)
    assert module.SPGNModel.config_class is module.Video2EEGConfig
    assert module.SPGNModel is not SPGNModel  # really the bundled code
    # Names imported from a package resolve to the module defining them.
    pipeline_source = hub_export.bundle_module("pipelines.pipeline_video2eeg")
    assert "def make_info(" in pipeline_source and "def read_windows(" in pipeline_source


def test_bundling_refuses_clashing_top_level_names(tmp_path, monkeypatch):
    package = tmp_path / "pipelines_clash"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def helper():\n    return 1\n")
    (package / "b.py").write_text(
        "from pipelines_clash.a import helper as _unused  # noqa\n\ndef helper():\n    return 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(hub_export, "FIRST_PARTY", (*hub_export.FIRST_PARTY, "pipelines_clash"))
    with pytest.raises(ValueError, match="'helper' is also bound"):
        hub_export.bundle_module("pipelines_clash.b")
