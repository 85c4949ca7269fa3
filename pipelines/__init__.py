"""Diffusers pipelines of video2eeg: Video2EEGPipeline and video decoding/windowing."""
