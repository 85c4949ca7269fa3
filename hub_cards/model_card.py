"""Model cards for Video2EEG checkpoints: metadata (incl. ``model-index``) and text."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from numbers import Real
from typing import TYPE_CHECKING

from hub_cards.figures import figure_links
from hub_cards.paper import PAPER_ARXIV_ID, PAPER_READING
from hub_cards.provenance import DataProvenance

if TYPE_CHECKING:
    from huggingface_hub import ModelCard

TASK_TYPE = "video-to-eeg"
TASK_NAME = "Video-conditioned EEG generation"
DEFAULT_MODEL_TAGS = (
    "video2eeg",
    "eeg",
    "video-to-eeg",
    "brain-computer-interface",
    "diffusion",
    "graph-neural-network",
    "seed-dv",
)
DEFAULT_COMPONENTS = {
    "video_encoder": "video frames `(batch, num_frames, 3, H, W)` → tokens `(batch, num_frames, token_dim)`",
    "spgn": "SPGN graph network over the 62 electrodes → per-electrode conditioning",
    "denoiser": "EEG denoiser `(batch, 62, 400)` conditioned on the SPGN output",
    "scheduler": "diffusers noise scheduler used for sampling",
}


@dataclass(frozen=True)
class EvaluationData:
    """The data a checkpoint's metrics were computed on.

    Parameters
    ----------
    name : str
        Human-readable name (``"simulated SEED-DV, block 7"``).
    dataset_id : str
        Hub repo id of the dataset, or another stable identifier of it.
    split : str
        Split the metrics were computed on.
    revision : str, optional
        Dataset revision (commit id / tag).
    """

    name: str
    dataset_id: str
    split: str = "test"
    revision: str | None = None


def flatten_metrics(report: Mapping[str, object], *, sep: str = ".") -> dict[str, float]:
    """Numeric scalar leaves of a (nested) evaluation report, keyed by their joined path.

    Non-numeric leaves (strings, arrays, lists) are skipped; booleans are not metrics.

    >>> flatten_metrics({"spectral": {"alpha_corr": 0.8, "bands": [1, 2]}, "n": 3})
    {'spectral.alpha_corr': 0.8, 'n': 3.0}
    """
    flat: dict[str, float] = {}

    def visit(prefix: str, value: object) -> None:
        if isinstance(value, Mapping):
            for key, child in value.items():
                visit(f"{prefix}{sep}{key}" if prefix else str(key), child)
        elif isinstance(value, Real) and not isinstance(value, bool):
            flat[prefix] = float(value)
        elif hasattr(value, "item") and getattr(value, "ndim", None) == 0:  # numpy / torch scalar
            visit(prefix, value.item())

    visit("", report)
    return flat


def _format_value(value: float) -> str:
    return f"{value:.6g}"


def render_model_card(
    *,
    model_name: str,
    repo_id: str,
    training_data: DataProvenance,
    metrics: Mapping[str, float] | None = None,
    evaluation_data: EvaluationData | None = None,
    revision: str | None = None,
    datasets: Sequence[str] = (),
    components: Mapping[str, str] | None = None,
    config_summary: Mapping[str, object] | None = None,
    figures: Sequence[str] = (),
    summary: str | None = None,
    license: str = "apache-2.0",
    base_model: str | None = None,
    tags: Sequence[str] = (),
    pipeline_tag: str = "other",
    library_name: str = "diffusers",
    example_subject: int = 1,
    example_emotion: str = "positive",
) -> ModelCard:
    """Render the model card of a Video2EEG checkpoint.

    Parameters
    ----------
    model_name : str
        Title of the card and ``model-index`` name.
    repo_id : str
        Repo the card is for (used in the usage snippet).
    training_data : DataProvenance
        What the model was trained on (simulated / real-aligned / generated, emotion source, seeds).
    metrics : mapping of str to float, optional
        Evaluation results (use :func:`flatten_metrics` on a nested report). Written both as a
        table and as ``model-index`` metadata; requires ``evaluation_data``.
    evaluation_data : EvaluationData, optional
        The data the metrics were computed on.
    revision : str, optional
        Revision shown in the usage snippet.
    datasets : sequence of str
        Hub dataset ids the model was trained on (``datasets`` metadata).
    components : mapping of str to str, optional
        Pipeline components and what they are (defaults describe the Video2EEG pipeline).
    config_summary : mapping, optional
        Settings worth a table (``n_chans``, ``sfreq``, ``subject_ids``, ``emotion_labels``, ...).
    figures : sequence of str
        Repo-relative image paths to embed (see :func:`hub_cards.copy_figures`).
    summary : str, optional
        Opening paragraph.
    license, base_model, tags, pipeline_tag, library_name
        Card metadata; ``tags`` add to :data:`DEFAULT_MODEL_TAGS`.

    Returns
    -------
    huggingface_hub.ModelCard
        ``card.data`` holds the metadata, ``str(card)`` the README text.
    """
    from huggingface_hub import EvalResult, ModelCard, ModelCardData

    if not isinstance(training_data, DataProvenance):
        raise TypeError(
            f"training_data must be a DataProvenance, got {type(training_data).__name__}"
        )
    metrics = dict(metrics or {})
    for name, value in metrics.items():
        if not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(value):
            raise ValueError(f"metrics[{name!r}] must be a finite number, got {value!r}")
    if metrics and evaluation_data is None:
        raise ValueError(
            "metrics were given without evaluation_data: say which data they were computed on"
        )
    eval_results = (
        [
            EvalResult(
                task_type=TASK_TYPE,
                task_name=TASK_NAME,
                dataset_type=evaluation_data.dataset_id,
                dataset_name=evaluation_data.name,
                dataset_split=evaluation_data.split,
                dataset_revision=evaluation_data.revision,
                metric_type=name,
                metric_name=name,
                metric_value=float(value),
            )
            for name, value in metrics.items()
        ]
        if evaluation_data is not None
        else []
    )
    kind_tag = f"{training_data.kind}-data"
    card_data = ModelCardData(
        license=license,
        library_name=library_name,
        pipeline_tag=pipeline_tag,
        tags=[*DEFAULT_MODEL_TAGS, kind_tag, f"arxiv:{PAPER_ARXIV_ID}", *tags],
        datasets=list(datasets) or None,
        base_model=base_model,
        model_name=model_name,
        eval_results=eval_results or None,
    )
    component_items = components if components is not None else DEFAULT_COMPONENTS
    config_items = [(key, _format_setting(value)) for key, value in (config_summary or {}).items()]
    template = files("hub_cards").joinpath("templates/model_card.md").read_text(encoding="utf-8")
    return ModelCard.from_template(
        card_data,
        template_str=template,
        model_name=model_name,
        repo_id=repo_id,
        revision=revision,
        summary=summary
        or (
            "A Video2EEG pipeline: it generates personalised 62-channel EEG (200 Hz) for a video, "
            "a subject and an emotion label."
        ),
        components=list(component_items.items()),
        config_items=config_items,
        provenance=training_data,
        datasets=list(datasets),
        seed_items=list(training_data.seeds.items()),
        metric_rows=[(name, _format_value(value)) for name, value in metrics.items()],
        evaluation_data=evaluation_data,
        figures=figure_links(figures),
        paper_reading=PAPER_READING,
        example_subject=example_subject,
        example_emotion=example_emotion,
    )


def _format_setting(value: object) -> str:
    if isinstance(value, (list, tuple)):
        shown = ", ".join(str(v) for v in value[:12])
        return f"[{shown}{', …' if len(value) > 12 else ''}] ({len(value)})"
    return str(value)
