"""Procedural stimulus videos for the SEED-DV simulator.

Each concept gets a visual style drawn from the seed: a dominant colour, a mean luminance, a
drifting grating (orientation, spatial frequency, drift speed), a number of moving blobs and a
slow luminance flicker. Clips of the same concept share the style and differ in phase and
direction; different concepts differ in luminance, colour and motion, which is what the
simulated EEG responds to. Between concepts a static dark-grey hint screen is shown (SEED-DV
shows the concept's name for ``hint_s`` seconds), so each clip onset is a luminance step.

Frames are rendered from closed-form expressions, so the same (concept, repetition, frame)
always gives the same image at any resolution; per-frame luminance and motion energy are
measured on the rendered frames.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from dataset_builder.layout import SEEDDVLayout

PALETTE: tuple[tuple[str, tuple[float, float, float]], ...] = (
    ("red", (1.0, 0.15, 0.1)),
    ("orange", (1.0, 0.55, 0.1)),
    ("yellow", (0.95, 0.9, 0.15)),
    ("green", (0.15, 0.85, 0.25)),
    ("cyan", (0.1, 0.85, 0.9)),
    ("blue", (0.15, 0.3, 1.0)),
    ("purple", (0.6, 0.2, 0.9)),
    ("white", (0.9, 0.9, 0.9)),
)
"""Dominant colours: name and linear RGB in [0, 1]. ``All_video_color`` stores the index."""

HINT_LUMINANCE = 0.15
"""Grey level of the hint screen between concepts."""

_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601 luma weights


@dataclass(frozen=True)
class ConceptStyle:
    """The visual style of one concept.

    Attributes
    ----------
    concept : int
        Concept id (1-based).
    color_index : int
        Index into :data:`PALETTE`.
    luminance : float
        Mean brightness scale in (0, 1].
    orientation_rad : float
        Grating orientation.
    spatial_freq : float
        Grating cycles across the frame width.
    drift_hz : float
        Grating temporal frequency (cycles/s); 0 is a still image.
    n_objects : int
        Moving blobs (1..3), SEED-DV's ``obj_number``.
    blob_speed : float
        Blob speed in frame widths per second.
    flicker_depth : float
        Relative depth of the slow luminance modulation.
    flicker_hz : float
        Its frequency.
    face, human : int
        0/1 flags written to SEED-DV's face/human appearance meta (no rendering effect).
    """

    concept: int
    color_index: int
    luminance: float
    orientation_rad: float
    spatial_freq: float
    drift_hz: float
    n_objects: int
    blob_speed: float
    flicker_depth: float
    flicker_hz: float
    face: int
    human: int

    @property
    def color_name(self) -> str:
        return PALETTE[self.color_index][0]

    def motion_word(self) -> str:
        speed = self.drift_hz + 4 * self.blob_speed
        if speed < 0.5:
            return "almost still"
        if speed < 2.0:
            return "drifting slowly"
        if speed < 4.0:
            return "moving steadily"
        return "moving fast"

    def caption(self, repetition: int) -> str:
        """A caption unique to (concept, repetition): what the clip looks like."""
        brightness = (
            "dark" if self.luminance < 0.45 else "bright" if self.luminance > 0.7 else "mid-tone"
        )
        objects = {1: "one shape", 2: "two shapes", 3: "three shapes"}[self.n_objects]
        return (
            f"a {brightness} {self.color_name} striped scene {self.motion_word()} with {objects}"
            f" (concept {self.concept}, clip {repetition + 1})"
        )


def make_concept_styles(n_concepts: int, rng: np.random.Generator) -> list[ConceptStyle]:
    """Draw one style per concept (ids 1..n_concepts) so concepts differ visibly."""
    colors = rng.permutation(np.resize(np.arange(len(PALETTE)), n_concepts))
    # Spread luminance and motion over their ranges, then shuffle, so any subset of
    # concepts covers dark/bright and still/fast stimuli.
    luminance = rng.permutation(np.linspace(0.3, 0.95, n_concepts))
    drift = rng.permutation(np.linspace(0.0, 4.0, n_concepts))
    styles = []
    for i in range(n_concepts):
        styles.append(
            ConceptStyle(
                concept=i + 1,
                color_index=int(colors[i]),
                luminance=float(luminance[i]),
                orientation_rad=float(rng.uniform(0, np.pi)),
                spatial_freq=float(rng.uniform(1.5, 4.0)),
                drift_hz=float(drift[i]),
                n_objects=int(rng.integers(1, 4)),
                blob_speed=float(drift[i] / 8 * rng.uniform(0.5, 1.5)),
                flicker_depth=float(rng.uniform(0.0, 0.25)),
                flicker_hz=float(rng.uniform(0.5, 2.5)),
                face=int(rng.random() < 0.3),
                human=int(rng.random() < 0.4),
            )
        )
    return styles


def render_clip(
    style: ConceptStyle,
    repetition: int,
    n_frames: int,
    fps: float,
    width: int,
    height: int,
) -> np.ndarray:
    """Render one clip of a concept.

    Returns
    -------
    np.ndarray
        ``uint8 (n_frames, height, width, 3)`` RGB.
    """
    # Repetition-specific but deterministic phase/direction.
    phase = 2 * np.pi * ((0.37 * repetition + 0.11 * style.concept) % 1.0)
    direction = 1.0 if repetition % 2 == 0 else -1.0
    t = np.arange(n_frames) / fps
    y = np.linspace(0, height / width, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    # Drifting grating sin(a(x, y) - ωt + φ) = sin a · cos(ωt - φ) - cos a · sin(ωt - φ):
    # one sin/cos per pixel and per frame instead of one per pixel per frame.
    a = (
        2
        * np.pi
        * style.spatial_freq
        * (x * np.cos(style.orientation_rad) + y * np.sin(style.orientation_rad))
    )
    shift = (2 * np.pi * direction * style.drift_hz * t - phase).astype(np.float32)
    grating = np.sin(a)[None] * np.cos(shift)[:, None, None]
    grating -= np.cos(a)[None] * np.sin(shift)[:, None, None]
    image = 0.775 + 0.225 * grating  # 0.55 + 0.45 * (0.5 + 0.5 * sin)
    for k in range(style.n_objects):
        angle = (
            phase + 2 * np.pi * k / style.n_objects + direction * 2 * np.pi * style.blob_speed * t
        )
        cx = (0.5 + 0.3 * np.cos(angle)).astype(np.float32)[:, None, None]
        cy = ((0.5 + 0.25 * np.sin(angle)) * height / width).astype(np.float32)[:, None, None]
        # A Gaussian blob is separable: exp(-dx²/2σ²) · exp(-dy²/2σ²).
        blob_x = np.exp(-((x[None] - cx) ** 2) / np.float32(2 * 0.06**2))
        blob_y = np.exp(-((y[None] - cy) ** 2) / np.float32(2 * 0.06**2))
        image += 0.6 * blob_x * blob_y
    flicker = 1 + style.flicker_depth * np.sin(2 * np.pi * style.flicker_hz * t + phase)
    image *= (style.luminance / 1.3 * flicker).astype(np.float32)[:, None, None]
    np.minimum(image, 1.0, out=image)  # image > 0 already (depth < 1, blobs >= 0)
    color = np.asarray(PALETTE[style.color_index][1], dtype=np.float32) * 255
    # luminance is in [0, 1] and palette entries are <= 1: the product fits uint8.
    return (image[..., None] * color + 0.5).astype(np.uint8)


def render_hint(n_frames: int, width: int, height: int) -> np.ndarray:
    """The static hint screen: dark grey with a lighter central fixation square."""
    frame = np.full((height, width, 3), round(HINT_LUMINANCE * 255), dtype=np.uint8)
    cy, cx, r = height // 2, width // 2, max(1, min(width, height) // 16)
    frame[cy - r : cy + r, cx - r : cx + r] = round(0.3 * 255)
    return np.broadcast_to(frame, (n_frames, height, width, 3)).copy()


def frame_luminance(frames: np.ndarray) -> np.ndarray:
    """Mean BT.601 luma per frame in [0, 1]: ``(n_frames,)`` from ``(n_frames, H, W, 3)`` uint8."""
    return frames.reshape(len(frames), -1, 3).mean(axis=1) @ _LUMA / 255.0


class BlockVideoModel:
    """The stimulus video of every block of a simulated tree, one clip at a time.

    Parameters
    ----------
    layout : SEEDDVLayout
        Timing (hint/clip seconds, fps, concepts, repetitions).
    styles : list of ConceptStyle
        One style per concept, ``styles[c - 1]`` for concept ``c``.
    concept_order : np.ndarray
        ``(n_blocks, n_concepts)`` concept ids per presentation position (``All_video_label``).
    """

    def __init__(
        self, layout: SEEDDVLayout, styles: list[ConceptStyle], concept_order: np.ndarray
    ) -> None:
        if len(styles) != layout.n_concepts:
            raise ValueError(f"need {layout.n_concepts} concept styles, got {len(styles)}")
        if concept_order.shape != (layout.n_blocks, layout.n_concepts):
            raise ValueError(
                f"concept_order must be {(layout.n_blocks, layout.n_concepts)}, got {concept_order.shape}"
            )
        self.layout = layout
        self.styles = styles
        self.concept_order = concept_order

    def segments(self, block: int, width: int, height: int):
        """Yield the frames of a block in order, one hint or clip at a time.

        Yields
        ------
        (kind, position, repetition, frames)
            ``kind`` is ``"hint"`` or ``"clip"``; repetition is -1 for hints.
        """
        lay = self.layout
        hint_frames = round(lay.hint_s * lay.fps)
        for position in range(lay.n_concepts):
            if hint_frames:
                yield "hint", position, -1, render_hint(hint_frames, width, height)
            style = self.styles[int(self.concept_order[block - 1, position]) - 1]
            for repetition in range(lay.n_repetitions):
                frames = render_clip(style, repetition, lay.clip_frames, lay.fps, width, height)
                yield "clip", position, repetition, frames

    def block_features(
        self, block: int, width: int = 32, height: int = 24
    ) -> dict[str, np.ndarray]:
        """Per-frame luminance and motion energy of a block, rendered at ``width x height``.

        Returns
        -------
        dict
            ``luminance`` ``(n_frames,)`` mean luma in [0, 1]; ``motion`` ``(n_frames,)`` mean
            absolute luma change from the previous frame (0 for the first frame).
        """
        lum, motion, last = [], [], None
        for _, _, _, frames in self.segments(block, width, height):
            luma = frames.astype(np.float32) @ _LUMA.astype(np.float32) / 255.0
            lum.append(luma.reshape(len(luma), -1).mean(axis=1))
            previous = luma[:1] if last is None else last[None]
            diffs = np.abs(np.diff(np.concatenate([previous, luma]), axis=0))
            motion.append(diffs.reshape(len(luma), -1).mean(axis=1))
            last = luma[-1]
        return {"luminance": np.concatenate(lum), "motion": np.concatenate(motion)}

    def describe(self) -> list[dict]:
        """JSON-serialisable styles, for the ground truth file."""
        return [asdict(style) | {"color_name": style.color_name} for style in self.styles]
