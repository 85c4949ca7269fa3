"""What a dataset (or a model's training data) is: simulated, real-aligned or generated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

DataKind = Literal["simulated", "real-aligned", "generated"]
DATA_KINDS: tuple[str, ...] = ("simulated", "real-aligned", "generated")

KIND_DESCRIPTIONS: dict[str, str] = {
    "simulated": (
        "Simulated data: a SEED-DV-shaped tree made by the project's simulator (1/f background, "
        "individual posterior alpha, visual evoked responses, small emotion effects). It is not "
        "a recording of anyone's brain; use it to test code, not to draw conclusions about EEG."
    ),
    "real-aligned": (
        "Real recordings: SEED-DV EEG cut into 2 s windows aligned with the video clips that were "
        "on screen (clip onset t0 = 13p + 3 + 2r s in each 520 s block). SEED-DV is distributed "
        "by its authors under a licence agreement; respect it before sharing this data."
    ),
    "generated": (
        "Generated data: EEG produced by a Video2EEG diffusion pipeline conditioned on the video "
        "clips, subjects and emotions listed in each row. It is synthetic, model-dependent data "
        "for multimodal training, not a measurement."
    ),
}


@dataclass(frozen=True)
class DataProvenance:
    """Where the EEG and its labels come from, as the cards report it.

    Parameters
    ----------
    kind : {"simulated", "real-aligned", "generated"}
        What the EEG is.
    emotion_source : str
        Where the emotion labels come from (SEED-DV has none): e.g. ``"simulator ground truth"``,
        ``"user mapping emotions.json (concept -> emotion)"``, ``"pseudo-labels from <model>"``.
    seeds : mapping of str to int
        Every seed that shaped the data (simulator, sampling, generation), by role.
    generator_model : str, optional
        Repo id or path of the pipeline that generated the EEG (required for ``"generated"``).
    generator_revision : str, optional
        Commit id / tag of that pipeline (required for ``"generated"``).
    source_dataset : str, optional
        What the rows were aligned from or conditioned on (e.g. ``"SEED-DV"``).
    notes : str
        Free text appended to the card's provenance section.
    """

    kind: DataKind
    emotion_source: str
    seeds: Mapping[str, int] = field(default_factory=dict)
    generator_model: str | None = None
    generator_revision: str | None = None
    source_dataset: str | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        if self.kind not in DATA_KINDS:
            raise ValueError(f"kind must be one of {DATA_KINDS}, got {self.kind!r}")
        if not isinstance(self.emotion_source, str) or not self.emotion_source.strip():
            raise ValueError(
                f"emotion_source must say where the emotion labels come from, got {self.emotion_source!r}"
            )
        if self.kind == "generated" and not (self.generator_model and self.generator_revision):
            raise ValueError(
                "generated data needs generator_model and generator_revision (got "
                f"{self.generator_model!r}, {self.generator_revision!r})"
            )
        for role, seed in self.seeds.items():
            if not isinstance(seed, int) or isinstance(seed, bool):
                raise ValueError(f"seeds[{role!r}] must be an int, got {seed!r}")

    @property
    def description(self) -> str:
        return KIND_DESCRIPTIONS[self.kind]
