"""A SEED-DV simulator: a complete SEED-DV-layout tree with plausible EEG and known ground truth.

Real SEED-DV is licensed, so every test, demo and benchmark runs on trees this module writes:
``EEG/sub{N}.npy`` (``float32`` microvolts, ``(n_blocks, n_chans, n_times)``),
``Video/{1st..}_10min.mp4`` (H.264 via PyAV), ``meta-info/*.npy``, ``BLIP-caption/*.txt`` and
``ground_truth.json`` at the root recording every parameter the EEG was generated with.

The EEG of one block is a sum of components, each grounded in textbook ranges (Nunez &
Srinivasan, *Electric Fields of the Brain*, 2006; Niedermeyer's *Electroencephalography*,
7th ed., 2017; Luck, *An Introduction to the Event-Related Potential Technique*, 2014):

* **Aperiodic background** — power spectrum ``∝ 1/(f² + f_knee²)^(β/2)`` with a per-subject
  exponent ``β`` in [1, 2] (He, 2014, *Trends Cogn Sci* 18:480; Donoghue et al., 2020,
  *Nat Neurosci* 23:1655), spatially correlated by volume conduction: channel covariance
  ``exp(-d_ij / λ)`` over inter-electrode distance ``d_ij`` (λ ≈ 7 cm gives neighbour
  correlations ≈ 0.6; Nunez & Srinivasan ch. 8). Background of ~5–8 µV RMS, i.e. tens of µV
  peak to peak.
* **Posterior alpha** — narrow-band (Gaussian, ~1 Hz SD) oscillation at an individual alpha
  peak frequency drawn in 9–11.5 Hz (Klimesch, 1999, *Brain Res Rev* 29:169: IAF ≈ 10 Hz,
  stable within a person), a per-subject amplitude and a posterior topography (O1/Oz/O2,
  PO sites) with per-subject centre and width, from two partially correlated left/right
  sources.
* **Motion suppresses alpha** — alpha amplitude is scaled by ``1 - s · m̃(t)`` with ``m̃`` the
  video's motion energy (smoothed, 300 ms lag, normalised to [0, 1]) and ``s`` ≈ 0.5: visual
  stimulation desynchronises alpha by tens of percent (Pfurtscheller & Lopes da Silva, 1999,
  *Clin Neurophysiol* 110:1842).
* **Luminance-evoked P100** — every frame-to-frame luminance change ``|ΔL|`` evokes an
  N75–P100–N135 complex at occipital sites peaking 100 ms later, a few µV for the
  hint-to-clip step (Odom et al., 2016, ISCEV VEP standard, *Doc Ophthalmol* 133:1).
* **Emotion** — each concept has an emotion (recorded in the ground truth) with a valence
  ``v`` (-1, 0, +1 by default). While its clips play: frontal alpha asymmetry, left frontal
  alpha × ``(1 - a·v)`` and right × ``(1 + a·v)`` (relatively lower left-frontal alpha for
  positive/approach states; Davidson, 1992; Coan & Allen, 2004, *Biol Psychol* 67:7), and
  lateral temporal beta/gamma (14–50 Hz) amplitude × ``(1 + g·v)`` (positive > negative over
  lateral temporal sites on SEED; Zheng & Lu, 2015, *IEEE TAMD* 7:162; Zheng et al., 2019,
  *IEEE TAC* 10:417). The defaults ``a = g = 0.15`` keep single clips ambiguous (positive vs
  negative clips differ by a Cohen's d of about 1.4 in frontal alpha asymmetry and 2.8 in
  temporal β/γ differential entropy, and a DE classifier reaches ~60 % on three classes),
  while many clips detect the effects with certainty.
* **Artifacts** (each switchable) — eye blinks (50–150 µV, ~300 ms, frontal-polar maximum
  decaying backwards; 5–20 per minute, fewer while watching), muscle bursts (broadband
  > 20 Hz, lateral temporal, 0.5–2 s), and 50 Hz mains interference (SEED was recorded in
  China) of about a microvolt.

All randomness comes from ``numpy.random.default_rng`` seeded by ``(seed, subject, session,
block)`` or ``(seed, purpose)``, so any subject can be regenerated alone and the same seed
always gives the same tree.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import scipy.fft
import scipy.ndimage
import scipy.signal
from tqdm.auto import tqdm

from dataset_builder.layout import (
    CAPTION_DIR,
    EEG_DIR,
    LABEL_FILE,
    META_DIR,
    META_FILES,
    VIDEO_DIR,
    SEEDDVLayout,
)
from dataset_builder.reader import SEEDDVFormatError, read_npy_header
from dataset_builder.simulated_video import BlockVideoModel, make_concept_styles
from dataset_builder.video_clips import Mp4Writer
from modeling_video2eeg.montage import SEED_CH_NAMES, electrode_positions

GROUND_TRUTH_FILE = "ground_truth.json"
SIMULATION_FILE = ".simulation.json"
ARTIFACTS: tuple[str, ...] = ("blink", "muscle", "line")
DEFAULT_EMOTIONS: tuple[str, ...] = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class SimulatorConfig:
    """Knobs of the simulator (amplitudes in µV, frequencies in Hz, distances in metres).

    Per-subject values are drawn uniformly from the ``*_range`` pairs; effect sizes are drawn
    within ±20 % of the given value per subject.
    """

    video_width: int = 64
    video_height: int = 48
    write_video: bool = True
    video_crf: int = 18
    video_preset: str = "ultrafast"
    emotion_labels: tuple[str, ...] = DEFAULT_EMOTIONS
    emotion_valence: tuple[float, ...] = (-1.0, 0.0, 1.0)
    background_rms_range_uv: tuple[float, float] = (5.0, 8.0)
    aperiodic_exponent_range: tuple[float, float] = (1.0, 2.0)
    aperiodic_knee_hz: float = 1.0
    spatial_length_m: float = 0.07
    sensor_noise_uv: float = 0.5
    alpha_peak_range_hz: tuple[float, float] = (9.0, 11.5)
    alpha_rms_range_uv: tuple[float, float] = (5.0, 12.0)
    alpha_bandwidth_hz: float = 1.0
    motion_alpha_suppression: float = 0.5
    p100_uv_per_luminance: float = 40.0
    frontal_alpha_rms_uv: float = 3.0
    frontal_alpha_asymmetry: float = 0.15
    temporal_beta_gamma_rms_uv: float = 3.0
    temporal_beta_gamma_gain: float = 0.15
    artifacts: tuple[str, ...] = ARTIFACTS
    blink_rate_hz: float = 0.15
    blink_amplitude_range_uv: tuple[float, float] = (50.0, 150.0)
    muscle_rate_hz: float = 0.03
    muscle_rms_range_uv: tuple[float, float] = (5.0, 15.0)
    line_noise_uv: float = 1.0
    line_freq_hz: float = 50.0

    def __post_init__(self) -> None:
        unknown = sorted(set(self.artifacts) - set(ARTIFACTS))
        if unknown:
            raise ValueError(f"unknown artifacts {unknown}; choose from {list(ARTIFACTS)}")
        if len(self.emotion_valence) != len(self.emotion_labels):
            raise ValueError(
                f"emotion_valence needs one value per emotion label {list(self.emotion_labels)}, "
                f"got {list(self.emotion_valence)}"
            )
        if self.video_width % 2 or self.video_height % 2:
            raise ValueError(f"video size must be even, got {self.video_width}x{self.video_height}")

    def to_dict(self) -> dict[str, Any]:
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in dataclasses.fields(self)
        }


@dataclass(frozen=True)
class SubjectParams:
    """The ground-truth parameters of one simulated subject (stable across sessions)."""

    subject: int
    background_rms_uv: float
    aperiodic_exponent: float
    alpha_peak_hz: float
    alpha_rms_uv: float
    alpha_centre_m: tuple[float, float, float]
    alpha_width_m: float
    alpha_left_right_ratio: float
    motion_alpha_suppression: float
    p100_uv_per_luminance: float
    frontal_alpha_asymmetry: float
    temporal_beta_gamma_gain: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"alpha_centre_m": list(self.alpha_centre_m)}


def _moving_average(x: np.ndarray, size: int) -> np.ndarray:
    """Centred moving average along the last axis (edges repeat the end value)."""
    return scipy.ndimage.uniform_filter1d(np.asarray(x, dtype=np.float64), size, mode="nearest")


def _project(topographies: Sequence[np.ndarray], signals: np.ndarray) -> np.ndarray:
    """Scalp signals of sources: ``sum_k topography_k ⊗ signal_k``, ``(n_chans, n_times)`` float32.

    Written as broadcast multiply-adds rather than a BLAS matmul: with k ≤ 2 sources BLAS
    gains nothing, and its threads fight over the few shared cores this runs on.
    """
    out = np.zeros((len(topographies[0]), signals.shape[-1]), dtype=np.float32)
    for topography, signal in zip(topographies, signals, strict=True):
        out += np.asarray(topography, dtype=np.float32)[:, None] * signal.astype(np.float32)
    return out


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *[int(k) for k in key]])


def draw_subject_params(seed: int, subject: int, config: SimulatorConfig) -> SubjectParams:
    """Per-subject ground truth, a function of ``(seed, subject)`` only."""
    rng = _rng(seed, 1, subject)
    posterior = np.mean([_anchor(c) for c in ("O1", "OZ", "O2", "POZ")], axis=0)
    centre = posterior + rng.normal(0, 0.008, 3) * np.array([1.0, 1.0, 0.5])

    def jitter(value: float) -> float:
        return float(value * rng.uniform(0.8, 1.2))

    return SubjectParams(
        subject=subject,
        background_rms_uv=float(rng.uniform(*config.background_rms_range_uv)),
        aperiodic_exponent=float(rng.uniform(*config.aperiodic_exponent_range)),
        alpha_peak_hz=float(rng.uniform(*config.alpha_peak_range_hz)),
        alpha_rms_uv=float(rng.uniform(*config.alpha_rms_range_uv)),
        alpha_centre_m=tuple(float(x) for x in centre),
        alpha_width_m=float(rng.uniform(0.03, 0.045)),
        alpha_left_right_ratio=float(rng.uniform(0.7, 1.3)),
        motion_alpha_suppression=jitter(config.motion_alpha_suppression),
        p100_uv_per_luminance=jitter(config.p100_uv_per_luminance),
        frontal_alpha_asymmetry=jitter(config.frontal_alpha_asymmetry),
        temporal_beta_gamma_gain=jitter(config.temporal_beta_gamma_gain),
    )


def _anchor(name: str) -> np.ndarray:
    """Position of a montage electrode used as a source centre (any layout channel subset)."""
    return electrode_positions(SEED_CH_NAMES)[SEED_CH_NAMES.index(name)]


def _gaussian_topography(positions: np.ndarray, centre: np.ndarray, width: float) -> np.ndarray:
    d2 = ((positions - centre) ** 2).sum(axis=1)
    return np.exp(-d2 / (2 * width**2))


def _colored_noise(
    rng: np.random.Generator, n_sources: int, n_times: int, gain: np.ndarray
) -> np.ndarray:
    """Unit-variance noise ``(n_sources, n_times)`` with amplitude spectrum ``gain`` (rfft bins)."""
    spectrum = scipy.fft.rfft(rng.standard_normal((n_sources, n_times), dtype=np.float32), axis=-1)
    spectrum *= gain.astype(np.float32)
    # Variance of filtered unit white noise: mean of |gain|² over the full (two-sided) spectrum.
    weights = np.full(gain.shape, 2.0)
    weights[0] = 1.0
    if n_times % 2 == 0:
        weights[-1] = 1.0
    variance = float((weights * gain**2).sum() / n_times)
    return scipy.fft.irfft(spectrum, n=n_times, axis=-1) / np.float32(np.sqrt(variance))


class EEGSimulator:
    """Generates the EEG of simulated subjects watching the simulated block videos.

    Parameters
    ----------
    layout : SEEDDVLayout
        Sizes and timing.
    seed : int
        Master seed.
    config : SimulatorConfig
        Amplitudes, effect sizes, artifacts.
    video : BlockVideoModel
        The stimulus videos (luminance and motion drive the EEG).
    concept_emotions : np.ndarray
        ``(n_concepts,)`` emotion index per concept (``concept_emotions[c - 1]``).
    """

    def __init__(
        self,
        layout: SEEDDVLayout,
        seed: int,
        config: SimulatorConfig,
        video: BlockVideoModel,
        concept_emotions: np.ndarray,
    ) -> None:
        self.layout = layout
        self.seed = seed
        self.config = config
        self.video = video
        self.concept_emotions = np.asarray(concept_emotions)
        self.positions = electrode_positions(layout.ch_names)
        distances = np.linalg.norm(self.positions[:, None] - self.positions[None], axis=-1)
        covariance = np.exp(-distances / config.spatial_length_m)
        self.mixing = np.linalg.cholesky(covariance).astype(np.float32)
        self._features: dict[int, dict[str, np.ndarray]] = {}

    def with_config(self, config: SimulatorConfig) -> EEGSimulator:
        """The same stimuli (and cached video features) under another config, for ablations."""
        other = EEGSimulator(self.layout, self.seed, config, self.video, self.concept_emotions)
        other._features = self._features
        return other

    # ------------------------------------------------------------------ stimulus drive
    def block_features(self, block: int) -> dict[str, np.ndarray]:
        """Per-frame ``luminance`` and ``motion`` of a block video (cached)."""
        if block not in self._features:
            self._features[block] = self.video.block_features(block)
        return self._features[block]

    @cached_property
    def motion_reference(self) -> float:
        """Motion energy that maps to full suppression: the 99th percentile over all blocks."""
        motion = np.concatenate(
            [self.block_features(b)["motion"] for b in range(1, self.layout.n_blocks + 1)]
        )
        return float(max(np.percentile(motion, 99), 1e-6))

    def _frames_to_samples(self, per_frame: np.ndarray) -> np.ndarray:
        lay = self.layout
        frame_of_sample = np.minimum(
            (np.arange(lay.n_times) * lay.fps / lay.sfreq).astype(np.int64), len(per_frame) - 1
        )
        return per_frame[frame_of_sample]

    def _smooth(self, x: np.ndarray, seconds: float, lag_s: float = 0.0) -> np.ndarray:
        n = max(1, round(seconds * self.layout.sfreq))
        smoothed = _moving_average(x, n)
        lag = round(lag_s * self.layout.sfreq)
        if lag:
            smoothed = np.concatenate([np.full(lag, smoothed[0]), smoothed[:-lag]])
        return smoothed

    def valence_time_course(self, block: int) -> np.ndarray:
        """``(n_times,)`` valence of the concept whose clips are playing (0 during hints)."""
        lay = self.layout
        valence = np.zeros(lay.n_times, dtype=np.float32)
        per_emotion = np.asarray(self.config.emotion_valence, dtype=np.float32)
        for position in range(lay.n_concepts):
            concept = int(self.video.concept_order[block - 1, position])
            start, _ = lay.clip_samples_range(position, 0)
            _, stop = lay.clip_samples_range(position, lay.n_repetitions - 1)
            valence[start:stop] = per_emotion[self.concept_emotions[concept - 1]]
        return self._smooth(valence, 0.5)

    # ------------------------------------------------------------------ components
    def simulate_block(self, params: SubjectParams, session: int, block: int) -> np.ndarray:
        """EEG of one block, ``float32 (n_chans, n_times)`` in µV."""
        lay, cfg = self.layout, self.config
        rng = _rng(self.seed, 2, params.subject, session, block)
        n, sfreq = lay.n_times, lay.sfreq
        freqs = scipy.fft.rfftfreq(n, 1 / sfreq)
        positions = self.positions

        # 1/f^β background, spatially mixed by the distance kernel's Cholesky factor.
        gain = (freqs**2 + cfg.aperiodic_knee_hz**2) ** (-params.aperiodic_exponent / 4)
        gain[0] = 0.0
        background = self.mixing @ _colored_noise(rng, lay.n_chans, n, gain)
        eeg = params.background_rms_uv * background

        # Posterior alpha from two partially correlated (ρ = 0.6) left/right sources.
        alpha_gain = np.exp(
            -((freqs - params.alpha_peak_hz) ** 2) / (2 * cfg.alpha_bandwidth_hz**2)
        )
        sources = _colored_noise(rng, 2, n, alpha_gain)
        sources[1] = 0.6 * sources[0] + 0.8 * sources[1]
        centre = np.asarray(params.alpha_centre_m)
        offset = np.array([0.025, 0.0, 0.0])
        topo_left = _gaussian_topography(positions, centre - offset, params.alpha_width_m)
        topo_right = params.alpha_left_right_ratio * _gaussian_topography(
            positions, centre + offset, params.alpha_width_m
        )
        features = self.block_features(block)
        motion = self._frames_to_samples(features["motion"])
        motion = np.clip(self._smooth(motion, 0.5, lag_s=0.3) / self.motion_reference, 0, 1)
        envelope = (1 - params.motion_alpha_suppression * motion).astype(np.float32)
        eeg += _project([topo_left, topo_right], params.alpha_rms_uv * sources * envelope)

        # Occipital N75-P100-N135 evoked by each frame-to-frame luminance change.
        luminance = features["luminance"]
        change = np.abs(np.diff(luminance, prepend=luminance[0]))
        impulses = np.zeros(n, dtype=np.float64)
        np.add.at(
            impulses,
            np.minimum((np.arange(len(change)) * sfreq / lay.fps).astype(int), n - 1),
            change,
        )
        t = np.arange(round(0.3 * sfreq)) / sfreq
        kernel = (
            np.exp(-((t - 0.100) ** 2) / (2 * 0.015**2))
            - 0.4 * np.exp(-((t - 0.075) ** 2) / (2 * 0.010**2))
            - 0.5 * np.exp(-((t - 0.135) ** 2) / (2 * 0.015**2))
        )
        evoked = scipy.signal.oaconvolve(impulses, kernel)[:n]
        occipital = _gaussian_topography(positions, _anchor("OZ"), 0.04)
        eeg += _project([occipital], params.p100_uv_per_luminance * evoked[None])

        # Emotion: frontal alpha asymmetry and lateral temporal beta/gamma, driven by valence.
        valence = self.valence_time_course(block)
        frontal = _colored_noise(rng, 2, n, alpha_gain)
        left_f = _gaussian_topography(positions, _anchor("F3"), 0.035)
        right_f = _gaussian_topography(positions, _anchor("F4"), 0.035)
        asym = params.frontal_alpha_asymmetry * valence
        frontal *= cfg.frontal_alpha_rms_uv * np.stack([1 - asym, 1 + asym])
        eeg += _project([left_f, right_f], frontal)
        band = ((freqs >= 14) & (freqs <= 50)).astype(np.float64)
        band = _moving_average(band, max(1, round(2.0 * n / sfreq)))  # soft edges
        temporal = _colored_noise(rng, 2, n, band)
        left_t = _gaussian_topography(positions, _anchor("T7"), 0.03)
        right_t = _gaussian_topography(positions, _anchor("T8"), 0.03)
        beta_gain = 1 + params.temporal_beta_gamma_gain * valence
        eeg += _project([left_t, right_t], cfg.temporal_beta_gamma_rms_uv * temporal * beta_gain)

        eeg += self._artifacts(params.subject, session, block, freqs)
        eeg += cfg.sensor_noise_uv * rng.standard_normal(eeg.shape, dtype=np.float32)
        return eeg.astype(np.float32, copy=False)

    def artifact_events(self, subject: int, session: int, block: int) -> dict[str, np.ndarray]:
        """The artifact events of a block (drawn whether or not the artifact is switched on).

        Their own RNG stream keeps switching one artifact from changing anything else.

        Returns
        -------
        dict
            ``blink_at`` samples and ``blink_amp`` µV; ``burst_at`` samples, ``burst_len`` s,
            ``burst_side`` (0 left, 1 right), ``burst_rms`` µV.
        """
        lay, cfg = self.layout, self.config
        rng = _rng(self.seed, 3, subject, session, block)
        n_blinks = rng.poisson(cfg.blink_rate_hz * lay.block_s)
        n_bursts = rng.poisson(cfg.muscle_rate_hz * lay.block_s)
        return {
            "blink_at": rng.integers(0, lay.n_times, n_blinks),
            "blink_amp": rng.uniform(*cfg.blink_amplitude_range_uv, n_blinks),
            "burst_at": rng.integers(0, lay.n_times, n_bursts),
            "burst_len": rng.uniform(0.5, 2.0, n_bursts),
            "burst_side": rng.integers(0, 2, n_bursts),
            "burst_rms": rng.uniform(*cfg.muscle_rms_range_uv, n_bursts),
        }

    def artifact_counts(self, subject: int, session: int) -> dict[str, int]:
        """Blinks and muscle bursts actually added to a session (0 for switched-off ones)."""
        counts = {"blink": 0, "muscle": 0}
        for block in range(1, self.layout.n_blocks + 1):
            events = self.artifact_events(subject, session, block)
            if "blink" in self.config.artifacts:
                counts["blink"] += len(events["blink_at"])
            if "muscle" in self.config.artifacts:
                counts["muscle"] += len(events["burst_at"])
        return counts

    def _artifacts(self, subject: int, session: int, block: int, freqs: np.ndarray) -> np.ndarray:
        lay, cfg = self.layout, self.config
        n, sfreq, positions = lay.n_times, lay.sfreq, self.positions
        out = np.zeros((lay.n_chans, n), dtype=np.float32)
        events = self.artifact_events(subject, session, block)
        rng = _rng(self.seed, 4, subject, session, block)
        if "blink" in cfg.artifacts and len(events["blink_at"]):
            impulses = np.zeros(n)
            np.add.at(impulses, events["blink_at"], events["blink_amp"])
            t = np.arange(round(0.4 * sfreq)) / sfreq
            shape = np.sin(np.pi * t / t[-1]) ** 2  # ~300 ms bell, zero at both ends
            trace = scipy.signal.oaconvolve(impulses, shape)[:n]
            eyes = _anchor("FPZ") + np.array([0.0, 0.02, -0.02])
            topo = np.exp(-np.linalg.norm(positions - eyes, axis=1) / 0.03)
            topo /= np.exp(-np.linalg.norm(_anchor("FP1") - eyes) / 0.03)  # 1 at FP1/FP2
            out += _project([topo], trace[None])
        if "muscle" in cfg.artifacts and len(events["burst_at"]):
            high = _colored_noise(rng, 2, n, (freqs >= 20).astype(np.float64))
            envelopes = np.zeros((2, n))
            for at, length, side, rms in zip(
                events["burst_at"],
                events["burst_len"],
                events["burst_side"],
                events["burst_rms"],
                strict=True,
            ):
                width = round(length * sfreq)
                window = scipy.signal.windows.tukey(width, 0.3) * rms
                stop = min(n, at + width)
                envelopes[side, at:stop] += window[: stop - at]
            left = _gaussian_topography(positions, _anchor("T7"), 0.03)
            right = _gaussian_topography(positions, _anchor("T8"), 0.03)
            out += _project([left, right], high * envelopes)
        if "line" in cfg.artifacts:
            gain = rng.uniform(0.5, 1.5, lay.n_chans)
            phase = rng.uniform(0, 2 * np.pi) + rng.normal(0, 0.1, lay.n_chans)
            # sin(ωt + φ_c) = cos φ_c · sin ωt + sin φ_c · cos ωt: two sources, no per-channel sin.
            wt = 2 * np.pi * cfg.line_freq_hz * np.arange(n) / sfreq
            amp = cfg.line_noise_uv * gain
            out += _project(
                [amp * np.cos(phase), amp * np.sin(phase)], np.stack([np.sin(wt), np.cos(wt)])
            )
        return out

    def simulate_session(
        self, params: SubjectParams, session: int, out: np.ndarray | None = None
    ) -> np.ndarray:
        """All blocks of one session: ``float32 (n_blocks, n_chans, n_times)`` in µV.

        ``out`` may be a preallocated (e.g. memory-mapped) array filled block by block, so a
        full-size subject never needs a second copy in memory.
        """
        if out is None:
            out = np.empty(self.layout.eeg_shape, dtype=np.float32)
        if out.shape != self.layout.eeg_shape:
            raise ValueError(f"out must have shape {self.layout.eeg_shape}, got {out.shape}")
        for block in range(1, self.layout.n_blocks + 1):
            out[block - 1] = self.simulate_block(params, session, block)
        return out


# ---------------------------------------------------------------------------- tree writer
def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _atomic_save_npy(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        np.save(f, array)
    os.replace(tmp, path)


def _complete_npy(path: Path, shape: tuple[int, ...]) -> bool:
    """Whether ``path`` is a whole ``float32`` npy of ``shape`` (resume check, header only)."""
    if not path.is_file():
        return False
    try:
        header = read_npy_header(path)
    except SEEDDVFormatError:
        return False
    return header.shape == shape and header.dtype == np.float32 and not header.truncated


@dataclass
class SimulatedTree:
    """What :func:`simulate_seed_dv` built: paths and the in-memory stimulus/EEG models."""

    root: Path
    layout: SEEDDVLayout
    config: SimulatorConfig
    seed: int
    video: BlockVideoModel
    simulator: EEGSimulator
    concept_emotions: np.ndarray
    subjects: dict[int, SubjectParams] = field(default_factory=dict)

    @property
    def ground_truth_path(self) -> Path:
        return self.root / GROUND_TRUTH_FILE


def build_stimuli(
    layout: SEEDDVLayout, seed: int, config: SimulatorConfig
) -> tuple[BlockVideoModel, np.ndarray]:
    """The stimulus set of a seed: concept styles, per-block order, and concept emotions.

    Returns
    -------
    video : BlockVideoModel
    concept_emotions : np.ndarray
        ``(n_concepts,)`` index into ``config.emotion_labels`` per concept, balanced across
        emotions (every emotion gets ``n_concepts // n_emotions`` or one more concepts).
    """
    rng = _rng(seed, 0)
    styles = make_concept_styles(layout.n_concepts, rng)
    order = np.stack([rng.permutation(layout.n_concepts) + 1 for _ in range(layout.n_blocks)])
    n_emotions = len(config.emotion_labels)
    emotions = rng.permutation(np.resize(np.arange(n_emotions), layout.n_concepts))
    return BlockVideoModel(layout, styles, order.astype(np.int64)), emotions


def make_simulator(
    layout: SEEDDVLayout | None = None,
    seed: int = 0,
    config: SimulatorConfig | None = None,
) -> EEGSimulator:
    """An :class:`EEGSimulator` over the stimuli of ``seed`` (no files written).

    ``layout``/``config`` default to ``SEEDDVLayout()`` / ``SimulatorConfig()``.
    """
    layout = layout or SEEDDVLayout()
    config = config or SimulatorConfig()
    video, emotions = build_stimuli(layout, seed, config)
    return EEGSimulator(layout, seed, config, video, emotions)


def _meta_arrays(sim: EEGSimulator) -> dict[str, np.ndarray]:
    lay, video = sim.layout, sim.video
    shape = (lay.n_blocks, lay.n_clips)
    meta = {name: np.zeros(shape, dtype=np.int64) for name in META_FILES}
    meta["optical_flow_score"] = np.zeros(shape, dtype=np.float64)
    for b in range(lay.n_blocks):
        motion = sim.block_features(b + 1)["motion"]
        for p in range(lay.n_concepts):
            style = video.styles[int(video.concept_order[b, p]) - 1]
            for r in range(lay.n_repetitions):
                j = lay.meta_index(p, r)
                start, stop = lay.clip_frame_range(p, r)
                meta["color"][b, j] = style.color_index
                meta["face_appearance"][b, j] = style.face
                meta["human_appearance"][b, j] = style.human
                meta["object_number"][b, j] = style.n_objects
                # Motion-energy proxy for SEED-DV's optical-flow score (mean |Δluma| × 100).
                meta["optical_flow_score"][b, j] = 100 * motion[start + 1 : stop].mean()
    return meta


def simulate_seed_dv(
    out_dir: str | Path,
    seed: int = 0,
    layout: SEEDDVLayout | None = None,
    config: SimulatorConfig | None = None,
    progress: bool = True,
) -> SimulatedTree:
    """Write a complete SEED-DV-layout tree with simulated EEG, videos, meta and captions.

    Every file is written atomically; a rerun with the same arguments keeps the files that are
    already complete and writes the rest (resume). ``ground_truth.json`` is written last.

    Parameters
    ----------
    out_dir : path-like
        Root of the tree (created).
    seed : int
        Same seed, same tree.
    layout : SEEDDVLayout, optional
        Sizes; the default is full SEED-DV (21 × 180 MB of EEG, 7 × 520 s of video).
    config : SimulatorConfig, optional
        Amplitudes, effects, artifacts, video size (default ``SimulatorConfig()``).
    progress : bool
        Show tqdm progress bars.

    Returns
    -------
    SimulatedTree

    Raises
    ------
    ValueError
        If ``out_dir`` already holds a simulation made with a different seed/layout/config.
    """
    layout = layout or SEEDDVLayout()
    config = config or SimulatorConfig()
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    spec = {"seed": int(seed), "layout": layout.to_dict(), "config": config.to_dict()}
    spec_path = root / SIMULATION_FILE
    if spec_path.exists():
        previous = json.loads(spec_path.read_text(encoding="utf-8"))
        if previous != spec:
            raise ValueError(
                f"{root} already holds a simulation with different settings "
                f"(seed/layout/config in {spec_path}); use an empty --out directory"
            )
    else:
        _atomic_write_text(spec_path, json.dumps(spec, indent=1, sort_keys=True))
    for folder in (EEG_DIR, VIDEO_DIR, META_DIR, CAPTION_DIR):
        (root / folder).mkdir(exist_ok=True)

    video, emotions = build_stimuli(layout, seed, config)
    sim = EEGSimulator(layout, seed, config, video, emotions)
    tree = SimulatedTree(root, layout, config, seed, video, sim, emotions)

    _atomic_save_npy(root / META_DIR / LABEL_FILE, video.concept_order)
    for name, array in _meta_arrays(sim).items():
        _atomic_save_npy(root / META_DIR / META_FILES[name], array)
    for block in range(1, layout.n_blocks + 1):
        lines = [
            video.styles[int(video.concept_order[block - 1, p]) - 1].caption(r)
            for p in range(layout.n_concepts)
            for r in range(layout.n_repetitions)
        ]
        _atomic_write_text(layout.caption_path(root, block), "\n".join(lines) + "\n")

    if config.write_video:
        blocks = range(1, layout.n_blocks + 1)
        for block in tqdm(blocks, desc="simulate videos", unit="block", disable=not progress):
            path = layout.video_path(root, block)
            if path.is_file():
                continue  # written atomically, so an existing file is complete
            with Mp4Writer(
                path,
                layout.fps,
                config.video_width,
                config.video_height,
                crf=config.video_crf,
                preset=config.video_preset,
            ) as writer:
                for *_, frames in video.segments(block, config.video_width, config.video_height):
                    writer.write(frames)

    sessions = layout.sessions()
    for subject, session in tqdm(sessions, desc="simulate EEG", unit="file", disable=not progress):
        params = tree.subjects.setdefault(subject, draw_subject_params(seed, subject, config))
        path = layout.eeg_path(root, subject, session)
        if _complete_npy(path, layout.eeg_shape):
            continue
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float32, shape=layout.eeg_shape)
        sim.simulate_session(params, session, out=array)
        array.flush()
        del array
        os.replace(tmp, path)

    _atomic_write_text(tree.ground_truth_path, json.dumps(ground_truth(tree), indent=1))
    return tree


def ground_truth(tree: SimulatedTree) -> dict[str, Any]:
    """The JSON-serialisable ground truth of a simulated tree (what ``ground_truth.json`` holds)."""
    lay, cfg, sim = tree.layout, tree.config, tree.simulator
    labels = list(cfg.emotion_labels)
    sessions: dict[int, list[int]] = {}
    for subject, session in lay.sessions():
        sessions.setdefault(subject, []).append(session)
    return {
        "seed": tree.seed,
        "layout": lay.to_dict(),
        "config": cfg.to_dict(),
        "emotion_labels": labels,
        "emotion_valence": dict(zip(labels, cfg.emotion_valence, strict=True)),
        "concept_emotions": {
            str(c + 1): labels[int(e)] for c, e in enumerate(tree.concept_emotions)
        },
        "concept_order": tree.video.concept_order.tolist(),
        "concepts": tree.video.describe(),
        "motion_reference": sim.motion_reference,
        "subjects": {
            str(subject): params.to_dict() | {"sessions": sessions[subject]}
            for subject, params in sorted(tree.subjects.items())
        },
        "artifacts": {
            "enabled": list(cfg.artifacts),
            "counts": {f"sub{s}_session{k}": sim.artifact_counts(s, k) for s, k in lay.sessions()},
        },
        "effects": {
            "alpha": "posterior alpha at alpha_peak_hz (Gaussian, SD alpha_bandwidth_hz), "
            "RMS alpha_rms_uv at the topography centre alpha_centre_m (width alpha_width_m)",
            "motion_alpha": "alpha amplitude × (1 − motion_alpha_suppression · m̃), m̃ = video "
            "motion energy smoothed 0.5 s, lagged 0.3 s, divided by motion_reference, clipped "
            "to [0, 1]",
            "p100": "occipital N75-P100-N135 of p100_uv_per_luminance µV per unit frame-to-"
            "frame luma change, peak 100 ms after the change",
            "frontal_alpha_asymmetry": "left frontal (F3) alpha × (1 − a·v), right (F4) "
            "× (1 + a·v) while a concept's clips play; v = emotion_valence",
            "temporal_beta_gamma": "14–50 Hz sources at T7/T8 × (1 + g·v)",
        },
    }


def load_ground_truth(root: str | Path) -> dict[str, Any]:
    """Read ``ground_truth.json`` of a simulated tree.

    Raises
    ------
    FileNotFoundError
        If the tree has none (a real SEED-DV copy, or an unfinished simulation).
    """
    path = Path(root) / GROUND_TRUTH_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: only simulated trees (video2eeg simulate) carry ground truth"
        )
    return json.loads(path.read_text(encoding="utf-8"))
