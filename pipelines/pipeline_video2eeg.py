"""``Video2EEGPipeline``: a diffusers pipeline from a video to personalised 62-channel EEG.

Data path of one call::

    video file / decoded frames ──► 2 s windows on the video's own timestamps (video_io)
        ──► num_frames sampled frames per window ──► video_encoder ──► video tokens
    (or precomputed video tokens) ──► SPGN(tokens, subject, emotion) ──► node conditioning
        ──► denoiser + scheduler loop (classifier-free guidance over the emotion and,
            for models trained with video dropout, over the video)
        ──► normalised EEG ──► µV with the SPGN config's eeg_mean / eeg_std
        ──► clips (n_windows, n_chans, n_times) or one continuous recording per video

Long videos become one recording without seams: overlapping windows share one diffusion path,
their predictions cross-faded into one at every step (MultiDiffusion, see
:mod:`pipelines.long_video`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from diffusers import DiffusionPipeline
from diffusers.callbacks import MultiPipelineCallbacks, PipelineCallback
from diffusers.models.modeling_utils import ModelMixin
from diffusers.schedulers.scheduling_utils import SchedulerMixin
from diffusers.utils import BaseOutput
from diffusers.utils.torch_utils import randn_tensor
from transformers import PreTrainedModel

from modeling_video2eeg.montage import make_info

from .long_video import (
    DEFAULT_OVERLAP,
    EEGWindow,
    fusion_weights,
    make_windows,
    plan_clip_windows,
    plan_continuous_windows,
)
from .video_io import ArrayVideo, VideoReader, open_video, read_windows

OUTPUT_TYPES: tuple[str, ...] = ("np", "pt", "mne")

EXAMPLE_DOC_STRING = """
    Examples:
        ```py
        >>> from pipelines import Video2EEGPipeline

        >>> pipe = Video2EEGPipeline.from_pretrained("path/or/repo-id")
        >>> out = pipe(video="clip.mp4", subject=3, emotion="positive", num_inference_steps=25)
        >>> out.eeg.shape  # one 2 s clip: (n_windows, n_chans, n_times)
        (1, 62, 400)
        >>> raw = pipe(video="film.mp4", subject=3, output_type="mne").eeg[0]  # mne.io.RawArray
        >>> raw.export("film_eeg.edf")
        ```
"""


@dataclass
class Video2EEGPipelineOutput(BaseOutput):
    """Output of :class:`Video2EEGPipeline`.

    Attributes
    ----------
    eeg : np.ndarray, torch.Tensor, list, mne.EpochsArray or list of mne.io.RawArray
        Generated EEG in microvolts (volts inside MNE objects, as MNE expects).
        Clips mode: ``(n_windows, n_chans, n_times)`` (an ``EpochsArray`` for ``"mne"``).
        Continuous mode: a list with one ``(n_chans, n_times_video)`` recording per input video
        (a ``RawArray`` each for ``"mne"``).
    sfreq : float
        Sampling frequency in Hz.
    ch_names : list of str
        Channel names, in the order of the channel axis.
    windows : list of EEGWindow
        Timing of every generated window (video index, EEG sample range, video seconds,
        generation pass). In clips mode ``windows[i]`` describes ``eeg[i]``.
    """

    eeg: Any
    sfreq: float
    ch_names: list[str]
    windows: list[EEGWindow]


@dataclass
class _Item:
    """One input of the batch: an opened video or one clip's precomputed tokens."""

    name: str
    reader: VideoReader | None = None
    tokens: torch.Tensor | None = None


class Video2EEGPipeline(DiffusionPipeline):
    r"""Generate EEG from a video for a given subject and emotion.

    Components
    ----------
    video_encoder : LowLevelVideoEncoder or TransformersVideoEncoder
        ``(batch, num_frames, 3, H, W)`` frames -> ``(batch, num_frames, token_dim)`` tokens.
    spgn : SPGNModel
        Video tokens + subject + emotion -> per-electrode conditioning. Its config holds the
        EEG geometry (``n_chans``, ``n_times``, ``sfreq``, ``ch_names``), the subjects, the
        emotion labels and the µV normalisation statistics.
    denoiser : EEGDenoiser
        Noise (or v) prediction on normalised EEG ``(batch, n_chans, n_times)``.
    scheduler : SchedulerMixin
        Any diffusers scheduler whose ``prediction_type`` matches the denoiser's; the default
        is :class:`~diffusers.DPMSolverMultistepScheduler` (good samples in ~25 steps).
    """

    model_cpu_offload_seq = "video_encoder->spgn->denoiser"
    _callback_tensor_inputs: ClassVar[list[str]] = ["latents"]

    def __init__(
        self,
        video_encoder: ModelMixin,
        spgn: PreTrainedModel,
        denoiser: ModelMixin,
        scheduler: SchedulerMixin,
    ):
        super().__init__()
        _unclip(scheduler)
        self.register_modules(
            video_encoder=video_encoder, spgn=spgn, denoiser=denoiser, scheduler=scheduler
        )

    @classmethod
    def download(cls, pretrained_model_name: str, **kwargs: Any) -> str:
        """Fetch a pipeline repository from the Hub and return its local snapshot folder.

        ``from_pretrained(repo_id)`` calls this. diffusers' own ``download`` refuses the
        ``model_index.json`` entries that name our component classes by module path
        (``["modeling_video2eeg.modeling_spgn", "SPGNModel"]``): they are neither diffusers /
        transformers classes nor files in the repository. The classes come from this package,
        so only configs and safetensors weights are fetched (never pickles).
        """
        from huggingface_hub import snapshot_download

        hub_kwargs = {
            key: kwargs[key]
            for key in ("cache_dir", "force_download", "local_files_only", "token", "revision")
            if kwargs.get(key) is not None
        }
        return snapshot_download(
            pretrained_model_name,
            allow_patterns=["model_index.json", "*/*.json", "*/*.safetensors"],
            library_name="diffusers",
            **hub_kwargs,
        )

    # ------------------------------------------------------------------ geometry
    @property
    def ch_names(self) -> list[str]:
        return list(self.spgn.config.ch_names)

    @property
    def sfreq(self) -> float:
        return float(self.spgn.config.sfreq)

    @property
    def window_samples(self) -> int:
        """Samples in one model window (``spgn.config.n_times``)."""
        return int(self.spgn.config.n_times)

    @property
    def window_seconds(self) -> float:
        return self.window_samples / self.sfreq

    @property
    def num_frames(self) -> int:
        """Frames sampled per window (``video_encoder.config.num_frames``)."""
        return int(self.video_encoder.config.num_frames)

    @property
    def guidance_scale(self) -> float:
        return self._guidance_scale

    @property
    def do_classifier_free_guidance(self) -> bool:
        return self._do_cfg

    @property
    def video_guidance_scale(self) -> float:
        return self._video_guidance_scale

    @property
    def do_video_guidance(self) -> bool:
        return self._do_video_guidance

    @property
    def num_timesteps(self) -> int:
        return self._num_timesteps

    @property
    def interrupt(self) -> bool:
        return self._interrupt

    # ------------------------------------------------------------------ inputs
    def check_inputs(
        self,
        video: Any,
        video_tokens: torch.Tensor | None,
        subject: int | Sequence[int] | None,
        num_inference_steps: int,
        guidance_scale: float,
        video_guidance_scale: float,
        output_type: str,
        overlap: int,
        window_batch_size: int,
        callback_on_step_end_tensor_inputs: Sequence[str] | None,
    ) -> None:
        """Validate arguments that need no decoding; raise ValueError naming the argument."""
        if (video is None) == (video_tokens is None):
            raise ValueError(
                "pass exactly one of `video` (file path(s), bytes or decoded frames) and "
                f"`video_tokens`; got video={_describe(video)}, video_tokens={_describe(video_tokens)}"
            )
        if subject is None:
            raise ValueError(
                f"`subject` is required: one of spgn.config.subject_ids={self.spgn.config.subject_ids}"
            )
        if (
            isinstance(num_inference_steps, bool)
            or not isinstance(num_inference_steps, (int, np.integer))
            or num_inference_steps < 1
        ):
            raise ValueError(
                f"`num_inference_steps` must be an integer >= 1, got {num_inference_steps!r}"
            )
        self.check_guidance_scales(guidance_scale, video_guidance_scale)
        if output_type not in OUTPUT_TYPES:
            raise ValueError(
                f"`output_type` must be one of {list(OUTPUT_TYPES)}, got {output_type!r}"
            )
        if not 1 <= overlap <= self.window_samples // 2:
            raise ValueError(
                f"`overlap` must be in [1, {self.window_samples // 2}] samples, got {overlap}"
            )
        if window_batch_size < 1:
            raise ValueError(f"`window_batch_size` must be >= 1, got {window_batch_size}")
        if callback_on_step_end_tensor_inputs is not None:
            unknown = [
                k
                for k in callback_on_step_end_tensor_inputs
                if k not in self._callback_tensor_inputs
            ]
            if unknown:
                raise ValueError(
                    f"`callback_on_step_end_tensor_inputs` must be in {self._callback_tensor_inputs}, "
                    f"got {unknown}"
                )
        encoder_frames = self.num_frames
        spgn_frames = int(self.spgn.config.num_frames)
        if encoder_frames != spgn_frames:
            raise ValueError(
                f"video_encoder.config.num_frames ({encoder_frames}) differs from "
                f"spgn.config.num_frames ({spgn_frames})"
            )
        for option in _CLIPPING_OPTIONS:
            if _uses_option(self.scheduler, option) and self.scheduler.config.get(option):
                raise ValueError(
                    f"scheduler.config.{option} is True: {type(self.scheduler).__name__} would clip "
                    "the normalised EEG (to ±1 by default) at every step. Build it with "
                    f"{type(self.scheduler).__name__}.from_config(config, {option}=False)"
                )
        scheduler_type = getattr(self.scheduler.config, "prediction_type", None)
        denoiser_type = self.denoiser.config.prediction_type
        if scheduler_type is not None and scheduler_type != denoiser_type:
            raise ValueError(
                f"scheduler.config.prediction_type is {scheduler_type!r} but the denoiser predicts "
                f"{denoiser_type!r}; build the scheduler with prediction_type={denoiser_type!r}"
            )

    def check_guidance_scales(self, guidance_scale: float, video_guidance_scale: float) -> None:
        """Refuse scales that are not finite numbers >= 0, and guidance over the video for a
        model that never learned the null video (``spgn.config.video_dropout_prob == 0``)."""
        if not np.isfinite(guidance_scale) or guidance_scale < 0:
            raise ValueError(
                f"`guidance_scale` must be a finite number >= 0, got {guidance_scale!r}"
            )
        if not np.isfinite(video_guidance_scale) or video_guidance_scale < 0:
            raise ValueError(
                f"`video_guidance_scale` must be a finite number >= 0, got {video_guidance_scale!r}"
            )
        if video_guidance_scale > 1.0 and not self.spgn.config.video_dropout_prob > 0:
            raise ValueError(
                f"`video_guidance_scale={video_guidance_scale:g}` needs a model trained to also "
                "generate without a video, but spgn.config.video_dropout_prob is 0; train with "
                "`video_dropout_prob` > 0 (e.g. 0.1) or leave video_guidance_scale at 1"
            )

    def _items(self, video: Any, video_tokens: Any, fps: Any) -> list[_Item]:
        """Open every input up front so that a bad one fails before any generation."""
        if video_tokens is not None:
            tokens = torch.as_tensor(video_tokens)
            if tokens.ndim == 2:
                tokens = tokens[None]
            if tokens.ndim != 3 or tokens.shape[0] < 1:
                raise ValueError(
                    "`video_tokens` must have shape (num_frames, token_dim) or "
                    f"(batch, num_frames, token_dim), got {tuple(tokens.shape)}"
                )
            return [_Item(name=f"video_tokens[{i}]", tokens=t) for i, t in enumerate(tokens)]

        if isinstance(video, (str, os.PathLike, bytes, bytearray)):
            videos: list[Any] = [video]
        elif isinstance(video, (np.ndarray, torch.Tensor)):
            if video.ndim == 4:
                videos = [video]
            elif video.ndim == 5:
                videos = list(video)
            else:
                raise ValueError(
                    "decoded `video` frames must have shape (n_frames, H, W, 3) / "
                    f"(n_frames, 3, H, W), or a batch of those; got {tuple(video.shape)}"
                )
        elif isinstance(video, (list, tuple)) and len(video) > 0:
            videos = list(video)
        else:
            raise ValueError(
                "`video` must be a file path, encoded bytes, decoded frames or a non-empty list "
                f"of those; got {_describe(video)}"
            )
        fps_list = _broadcast(fps, len(videos), "fps") if fps is not None else [None] * len(videos)
        items = []
        for index, (source, source_fps) in enumerate(zip(videos, fps_list, strict=True)):
            if isinstance(source, (np.ndarray, torch.Tensor)):
                if source_fps is None:
                    raise ValueError(
                        f"`fps` is required with decoded frames (video[{index}]): the frame rate "
                        "places the frames on the EEG time line"
                    )
                reader: VideoReader = ArrayVideo(source, fps=source_fps, name=f"video[{index}]")
            elif isinstance(source, (str, os.PathLike, bytes, bytearray)):
                reader = open_video(source)
            else:
                raise ValueError(
                    f"video[{index}] must be a path, bytes or decoded frames, got {_describe(source)}"
                )
            info = reader.info
            if info.duration_s * self.sfreq < self.window_samples - 1e-6:
                raise ValueError(
                    f"video {info.name!r} lasts {info.duration_s:.3f} s, shorter than one model "
                    f"window ({self.window_seconds:g} s = {self.window_samples} samples at "
                    f"{self.sfreq:g} Hz). Videos this short are refused rather than padded: pad "
                    "it yourself (e.g. hold the last frame) if that is what you want."
                )
            items.append(_Item(name=info.name, reader=reader))
        return items

    def _plan(
        self, items: list[_Item], continuous: bool, overlap: int
    ) -> tuple[list[EEGWindow], list[int], list[int]]:
        """Windows of all inputs, each window's offset on its input's canvas, canvas lengths.

        The canvas of an input is the signal the sampler denoises: the whole recording in
        continuous mode (offset = the window's first sample), the windows laid back to back in
        clips mode (offset = k · window).
        """
        window = self.window_samples
        windows: list[EEGWindow] = []
        offsets: list[int] = []
        lengths: list[int] = []
        for index, item in enumerate(items):
            if item.reader is None:
                starts = [0]
            else:
                n_times = item.reader.info.n_times(self.sfreq)
                starts = (
                    plan_continuous_windows(n_times, window, overlap)
                    if continuous
                    else plan_clip_windows(n_times, window)
                )
            windows.extend(make_windows(index, starts, window, self.sfreq))
            if continuous and item.reader is not None:
                offsets.extend(starts)
                lengths.append(starts[-1] + window)
            else:
                offsets.extend(k * window for k in range(len(starts)))
                lengths.append(len(starts) * window)
        return windows, offsets, lengths

    def plan(
        self,
        video: Any = None,
        *,
        video_tokens: torch.Tensor | None = None,
        fps: float | Sequence[float] | None = None,
        continuous: bool | None = None,
        overlap: int = DEFAULT_OVERLAP,
    ) -> list[EEGWindow]:
        """The windows a call with these inputs would generate, without generating anything.

        Opens (but does not decode) the videos; see :meth:`__call__` for the arguments.
        """
        items = self._items(video, video_tokens, fps)
        continuous = self._continuous(items, continuous)
        return self._plan(items, continuous, overlap)[0]

    def _continuous(self, items: list[_Item], continuous: bool | None) -> bool:
        if continuous is not None:
            return bool(continuous)
        return any(
            item.reader is not None and item.reader.info.n_times(self.sfreq) > self.window_samples
            for item in items
        )

    # ------------------------------------------------------------------ conditioning
    @torch.no_grad()
    def encode_video(self, frames_uint8: torch.Tensor) -> torch.Tensor:
        """Video tokens of sampled frames.

        Parameters
        ----------
        frames_uint8 : torch.Tensor
            uint8 ``(batch, num_frames, 3, H, W)``.

        Returns
        -------
        torch.Tensor
            float ``(batch, num_frames, token_dim)``.
        """
        device = self._execution_device
        frames = self.video_encoder.preprocess(frames_uint8.to(device))
        tokens = self.video_encoder(frames.to(self.video_encoder.dtype))
        return tokens if isinstance(tokens, torch.Tensor) else tokens[0]

    def _window_tokens(
        self, items: list[_Item], windows: list[EEGWindow], chunk: int
    ) -> torch.Tensor:
        """Tokens ``(n_windows, num_frames, token_dim)`` in window order, decoding by chunks."""
        out: list[torch.Tensor | None] = [None] * len(windows)
        for video_index, item in enumerate(items):
            positions = [i for i, w in enumerate(windows) if w.video_index == video_index]
            if item.tokens is not None:
                out[positions[0]] = item.tokens.to(self._execution_device)
                continue
            for begin in range(0, len(positions), chunk):
                part = positions[begin : begin + chunk]
                frames = read_windows(
                    item.reader,
                    [windows[i].start_s for i in part],
                    self.window_seconds,
                    self.num_frames,
                )
                for i, tokens in zip(part, self.encode_video(frames), strict=True):
                    out[i] = tokens
        return torch.stack(out)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ sampling
    def prepare_latents(
        self,
        lengths: Sequence[int],
        dtype: torch.dtype,
        device: torch.device,
        generator: list[torch.Generator] | torch.Generator | None,
        latents: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Initial noise canvas ``(batch, n_chans, max(lengths))``, scaled by ``init_noise_sigma``.

        Input ``i`` draws its ``(n_chans, lengths[i])`` noise from ``generator[i]`` (or in turn
        from the single ``generator``), so with a list of generators it does not depend on the
        other inputs; the canvas past ``lengths[i]`` is zero padding that no window reads.
        """
        n_chans = int(self.spgn.config.n_chans)
        shape = (len(lengths), n_chans, max(lengths))
        if latents is not None:
            if tuple(latents.shape) != shape:
                raise ValueError(
                    f"`latents` must have shape {shape} (batch, n_chans, longest canvas of this "
                    f"call), got {tuple(latents.shape)}"
                )
            return latents.to(device=device, dtype=dtype) * self.scheduler.init_noise_sigma
        canvas = torch.zeros(shape, dtype=dtype, device=device)
        for index, length in enumerate(lengths):
            source = generator[index] if isinstance(generator, list) else generator
            canvas[index, :, :length] = randn_tensor(
                (1, n_chans, length), generator=source, device=device, dtype=dtype
            )[0]
        return canvas * self.scheduler.init_noise_sigma

    def _step_kwargs(self, generator: Any) -> dict[str, Any]:
        parameters = set(inspect.signature(self.scheduler.step).parameters)
        return {"generator": generator} if "generator" in parameters else {}

    @torch.no_grad()
    def encode_conditions(
        self,
        video_tokens: torch.Tensor,
        subject_rows: torch.Tensor,
        emotion_ids: torch.Tensor,
        chunk: int = 64,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """SPGN conditioning of windows, ``chunk`` windows per forward.

        Parameters
        ----------
        video_tokens : torch.Tensor
            ``(n_windows, num_frames, token_dim)`` from the video encoder.
        subject_rows, emotion_ids : torch.LongTensor
            ``(n_windows,)`` subject embedding rows and emotion ids.

        Returns
        -------
        node_conditioning : torch.Tensor
            ``(n_windows, n_chans, hidden_size)``.
        tokens : torch.Tensor
            ``(n_windows, num_frames, hidden_size)``.
        """
        conditioning, cond_tokens = [], []
        for begin in range(0, len(video_tokens), chunk):
            part = slice(begin, begin + chunk)
            out = self.spgn(
                video_tokens[part], subject_rows[part], emotion_ids[part], return_dict=True
            )
            conditioning.append(out.node_conditioning)
            cond_tokens.append(out.video_tokens)
        dtype = self.denoiser.dtype
        return torch.cat(conditioning).to(dtype), torch.cat(cond_tokens).to(dtype)

    # ------------------------------------------------------------------ call
    @torch.no_grad()
    def __call__(
        self,
        video: Any = None,
        subject: int | Sequence[int] | None = None,
        emotion: str | int | Sequence[str | int] | None = None,
        *,
        video_tokens: torch.Tensor | None = None,
        fps: float | Sequence[float] | None = None,
        num_inference_steps: int = 25,
        guidance_scale: float = 1.0,
        video_guidance_scale: float = 1.0,
        generator: torch.Generator | list[torch.Generator] | None = None,
        latents: torch.Tensor | None = None,
        continuous: bool | None = None,
        overlap: int = DEFAULT_OVERLAP,
        window_batch_size: int = 64,
        output_type: str = "np",
        return_dict: bool = True,
        callback_on_step_end: Callable | PipelineCallback | MultiPipelineCallbacks | None = None,
        callback_on_step_end_tensor_inputs: Sequence[str] = ("latents",),
    ) -> Video2EEGPipelineOutput | tuple:
        r"""Generate EEG for one or a batch of videos.

        Parameters
        ----------
        video : str, path-like, bytes, array, tensor or list of those, optional
            Video file path(s) (any container/codec FFmpeg reads, any size and frame rate),
            encoded file bytes, or decoded frames ``(n_frames, H, W, 3)`` / ``(n_frames, 3, H, W)``
            (uint8, or float in [0, 1]; a 5-D array is a batch) together with ``fps``.
            Videos shorter than one window (2 s) are refused with a ValueError.
        subject : int or list of int
            External subject id(s) (``spgn.config.subject_ids``), one for all or one per input.
        emotion : str, int or list, optional
            Emotion name(s) from ``spgn.config.emotion_labels`` or integer id(s), one for all or
            one per input. None generates without emotion (the null class; no guidance).
        video_tokens : torch.Tensor, optional
            Precomputed tokens ``(num_frames, token_dim)`` or ``(batch, num_frames, token_dim)``
            instead of ``video``; each is one 2 s clip.
        fps : float or list of float, optional
            Frame rate of decoded-frame inputs.
        num_inference_steps : int
            Denoising steps (>= 1).
        guidance_scale : float
            Classifier-free guidance over the emotion: ``1`` (default) is plain conditional
            sampling with one denoiser pass per step; ``> 1`` pushes away from the
            emotion-free (null class) prediction, computing both in one batched pass.
        video_guidance_scale : float
            Classifier-free guidance over the video: ``> 1`` pushes away from the prediction
            for the null video (zero tokens, same subject and emotion), strengthening how the
            EEG follows the stimulus. Needs a model trained with ``video_dropout_prob > 0``.
            With both scales the guided prediction is
            ``ε_c + (g - 1)(ε_c - ε_no_emotion) + (g_v - 1)(ε_c - ε_no_video)``; each scale
            above 1 adds one prediction to the batched pass.
        generator : torch.Generator or list of torch.Generator, optional
            One generator, or one per input. With one per input, input ``i`` gives the same
            EEG whatever the batch around it (for stochastic schedulers such as DDPM this holds
            for inputs of equal length: their step noise is drawn for the padded batch canvas).
        latents : torch.Tensor, optional
            Unscaled initial noise canvas ``(batch, n_chans, n_canvas)``: per input the whole
            recording (continuous) or its windows back to back (clips), padded to the longest.
        continuous : bool, optional
            True: one seamless recording per video covering all of it (overlapping windows fused
            by MultiDiffusion, see :mod:`pipelines.long_video`). False: independent
            back-to-back 2 s clips (a partial last window is dropped). Default: continuous for
            any video longer than one window.
        overlap : int
            Samples shared by neighbouring windows in continuous mode (1 to half a window).
        window_batch_size : int
            Windows per denoiser forward (bounds memory for long videos).
        output_type : {"np", "pt", "mne"}
            numpy arrays, torch tensors, or MNE objects (``EpochsArray`` for clips, one
            ``RawArray`` per video for continuous recordings) with the SEED montage set.
        return_dict : bool
            Return a :class:`Video2EEGPipelineOutput` (default) or a tuple
            ``(eeg, sfreq, ch_names, windows)``.
        callback_on_step_end : callable, optional
            ``callback_on_step_end(pipe, step, timestep, callback_kwargs) -> dict`` after every
            scheduler step; ``"latents"`` is the whole noisy canvas ``(batch, n_chans,
            n_canvas)`` and may be replaced.
        callback_on_step_end_tensor_inputs : sequence of str
            Tensors passed in ``callback_kwargs`` (from ``_callback_tensor_inputs``).

        Returns
        -------
        Video2EEGPipelineOutput or tuple
        """
        if isinstance(callback_on_step_end, (PipelineCallback, MultiPipelineCallbacks)):
            callback_on_step_end_tensor_inputs = callback_on_step_end.tensor_inputs
        callback_on_step_end_tensor_inputs = list(callback_on_step_end_tensor_inputs)
        self.check_inputs(
            video,
            video_tokens,
            subject,
            num_inference_steps,
            guidance_scale,
            video_guidance_scale,
            output_type,
            overlap,
            window_batch_size,
            callback_on_step_end_tensor_inputs,
        )
        items = self._items(video, video_tokens, fps)
        batch_size = len(items)
        subjects = [
            int(s) if isinstance(s, np.integer) else s
            for s in _broadcast(subject, batch_size, "subject")
        ]
        emotions = _broadcast(emotion, batch_size, "emotion")
        subject_rows = self.spgn.subject_index(subjects)
        emotion_ids = self.spgn.emotion_ids(emotions)
        if isinstance(generator, list) and len(generator) != batch_size:
            raise ValueError(
                f"`generator` is a list of {len(generator)} generators but {batch_size} input(s) "
                "were given: pass one generator per input (or a single generator)"
            )

        continuous = self._continuous(items, continuous)
        windows, offsets, lengths = self._plan(items, continuous, overlap)

        self._guidance_scale = float(guidance_scale)
        self._do_cfg = guidance_scale > 1.0 and emotion is not None
        self._video_guidance_scale = float(video_guidance_scale)
        self._do_video_guidance = video_guidance_scale > 1.0
        self._interrupt = False
        device = self._execution_device
        dtype = self.denoiser.dtype
        window = self.window_samples

        # Conditioning of every window, computed once: it does not depend on the timestep.
        tokens = self._window_tokens(items, windows, window_batch_size)
        window_input = torch.tensor([w.video_index for w in windows], device=subject_rows.device)
        window_subjects = subject_rows[window_input]
        node_conditioning, cond_tokens = self.encode_conditions(
            tokens, window_subjects, emotion_ids[window_input], window_batch_size
        )
        # Each guidance adds a branch to the batched forward: (scale, node conditioning, tokens).
        branches = []
        if self._do_cfg:
            null_ids = torch.full_like(window_subjects, self.spgn.config.null_emotion_id)
            branches.append(
                (
                    self._guidance_scale,
                    *self.encode_conditions(tokens, window_subjects, null_ids, window_batch_size),
                )
            )
        if self._do_video_guidance:
            branches.append(
                (
                    self._video_guidance_scale,
                    *self.encode_conditions(
                        torch.zeros_like(tokens),  # the null video
                        window_subjects,
                        emotion_ids[window_input],
                        window_batch_size,
                    ),
                )
            )

        # MultiDiffusion: every window adds its weighted prediction to its slice of the canvas;
        # dividing by the summed weights gives one prediction for the whole signal.
        if continuous:
            weights = fusion_weights(window, overlap)
        else:
            weights = torch.ones(window, dtype=torch.float64)
        weight_sum = torch.zeros((len(lengths), 1, max(lengths)), dtype=torch.float64)
        for w, offset in zip(windows, offsets, strict=True):
            weight_sum[w.video_index, 0, offset : offset + window] += weights
        weights = weights.to(device=device, dtype=dtype)
        inverse_weight_sum = (1.0 / weight_sum.clamp_min(1e-12)).to(device=device, dtype=dtype)

        latents = self.prepare_latents(lengths, dtype, device, generator, latents)
        self.scheduler.set_timesteps(num_inference_steps, device=device)
        timesteps = self.scheduler.timesteps
        self._num_timesteps = len(timesteps)
        step_kwargs = self._step_kwargs(generator)
        chunks = [
            list(range(begin, min(begin + window_batch_size, len(windows))))
            for begin in range(0, len(windows), window_batch_size)
        ]
        with self.progress_bar(total=len(timesteps)) as progress_bar:
            for i, t in enumerate(timesteps):
                if self.interrupt:
                    continue
                model_canvas = self.scheduler.scale_model_input(latents, t)
                fused = torch.zeros_like(latents)
                for chunk in chunks:
                    sample = torch.stack(
                        [
                            model_canvas[
                                windows[k].video_index, :, offsets[k] : offsets[k] + window
                            ]
                            for k in chunk
                        ]
                    )
                    index = torch.tensor(chunk, device=node_conditioning.device)
                    conditioning, video_cond = node_conditioning[index], cond_tokens[index]
                    if branches:
                        # One batched forward: [conditional, then one per guidance branch].
                        sample = sample.repeat(1 + len(branches), 1, 1)
                        conditioning = torch.cat([conditioning] + [b[1][index] for b in branches])
                        video_cond = torch.cat([video_cond] + [b[2][index] for b in branches])
                    prediction = self.denoiser(
                        sample=sample,
                        timestep=t.expand(sample.shape[0]),
                        node_conditioning=conditioning,
                        video_tokens=video_cond,
                        return_dict=False,
                    )[0]
                    if branches:
                        cond, *nulls = prediction.chunk(1 + len(branches))
                        prediction = cond
                        for (scale, _, _), null in zip(branches, nulls, strict=True):
                            prediction = prediction + (scale - 1.0) * (cond - null)
                    for k, window_prediction in zip(chunk, prediction, strict=True):
                        span = slice(offsets[k], offsets[k] + window)
                        fused[windows[k].video_index, :, span] += weights * window_prediction
                fused = fused * inverse_weight_sum
                latents = self.scheduler.step(fused, t, latents, **step_kwargs, return_dict=False)[
                    0
                ]

                if callback_on_step_end is not None:
                    callback_kwargs = {}
                    for name in callback_on_step_end_tensor_inputs:
                        callback_kwargs[name] = locals()[name]
                    callback_outputs = callback_on_step_end(self, i, t, callback_kwargs)
                    latents = callback_outputs.pop("latents", latents)
                progress_bar.update()

        canvas = self.spgn.denormalize_eeg(latents.to(self.spgn.dtype)).float().cpu()
        if continuous:
            eeg: Any = [canvas[b, :, :length] for b, length in enumerate(lengths)]
        else:
            eeg = torch.stack(
                [
                    canvas[w.video_index, :, offset : offset + window]
                    for w, offset in zip(windows, offsets, strict=True)
                ]
            )
        eeg = self._postprocess(eeg, output_type, windows, subjects, emotions)
        self.maybe_free_model_hooks()

        if not return_dict:
            return (eeg, self.sfreq, self.ch_names, windows)
        return Video2EEGPipelineOutput(
            eeg=eeg, sfreq=self.sfreq, ch_names=self.ch_names, windows=windows
        )

    def _postprocess(
        self,
        eeg: torch.Tensor | list[torch.Tensor],
        output_type: str,
        windows: list[EEGWindow],
        subjects: list[Any],
        emotions: list[Any],
    ) -> Any:
        if output_type == "pt":
            return eeg
        if output_type == "np":
            return [x.numpy() for x in eeg] if isinstance(eeg, list) else eeg.numpy()
        import mne
        import pandas as pd

        info = make_info(self.ch_names, self.sfreq)
        if isinstance(eeg, list):
            # MNE stores volts.
            return [mne.io.RawArray(x.double().numpy() * 1e-6, info, verbose="error") for x in eeg]
        metadata = pd.DataFrame(
            {
                "video_index": [w.video_index for w in windows],
                "start_s": [w.start_s for w in windows],
                "stop_s": [w.stop_s for w in windows],
                "start_sample": [w.start_sample for w in windows],
                "subject": [subjects[w.video_index] for w in windows],
                "emotion": [
                    _emotion_name(emotions[w.video_index], self.spgn.config) for w in windows
                ],
            }
        )
        return mne.EpochsArray(
            eeg.double().numpy() * 1e-6, info, tmin=0.0, metadata=metadata, verbose="error"
        )


# ---------------------------------------------------------------------- helpers
def _broadcast(value: Any, batch_size: int, name: str) -> list[Any]:
    """One value for every input, or a list with one per input."""
    if isinstance(value, (list, tuple)):
        if len(value) != batch_size:
            raise ValueError(
                f"`{name}` has {len(value)} entries but {batch_size} input(s) were given: pass "
                "one value for all or one per input"
            )
        return list(value)
    if isinstance(value, torch.Tensor) and value.ndim > 0:
        return _broadcast(value.tolist(), batch_size, name)
    return [value] * batch_size


# Image-space options of some schedulers that clip x0 predictions; EEG must never be clipped.
_CLIPPING_OPTIONS = ("clip_sample", "thresholding")


def _uses_option(scheduler: SchedulerMixin, option: str) -> bool:
    return option in inspect.signature(type(scheduler).__init__).parameters


def _unclip(scheduler: SchedulerMixin) -> None:
    """Record ``clip_sample=False`` / ``thresholding=False`` in a config that only *carries* them.

    ``DDPMScheduler.from_config(pipe.scheduler.config)`` takes every key it knows from the
    config, and DDPM/DDIM default to ``clip_sample=True`` (clip x0 to ±1, meant for images),
    which would flatten normalised EEG. So options the current scheduler does not use itself
    are written into its config as False (a training DDPM's carried ``clip_sample=True``
    included), and scheduler swaps inherit that. Options the scheduler does use are left
    alone; ``check_inputs`` refuses them when True.
    """
    carried = {
        option: False
        for option in _CLIPPING_OPTIONS
        if not _uses_option(scheduler, option) and scheduler.config.get(option) is not False
    }
    if carried:
        scheduler.register_to_config(**carried)


def _emotion_name(emotion: Any, config) -> str:
    if emotion is None:
        return "null"
    if isinstance(emotion, str):
        return emotion
    labels = list(config.emotion_labels)
    return labels[int(emotion)] if 0 <= int(emotion) < len(labels) else "null"


def _describe(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, (np.ndarray, torch.Tensor)):
        return f"{type(value).__name__} of shape {tuple(value.shape)}"
    return type(value).__name__
