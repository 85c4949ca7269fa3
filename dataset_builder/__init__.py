"""SEED-DV reading and alignment, the SEED-DV simulator, and the video-EEG-emotion datasets."""
