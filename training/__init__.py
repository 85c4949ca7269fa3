"""Training of the Video2EEG models with accelerate: supervised diffusion, self-play, adaptation.

Entry points: ``python -m training.train --config run.yaml`` (also under ``accelerate launch``)
and ``video2eeg train`` / ``video2eeg adapt``. Submodules are imported on use so that
``import training`` stays cheap.
"""
