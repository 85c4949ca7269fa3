"""The paper the project implements, and what the cards say about our reading of it."""

from __future__ import annotations

PAPER_TITLE = "A Dataset Generation Scheme Based on Video2EEG-SPGN-Diffusion for SEED-VD"
PAPER_ARXIV_ID = "2509.05321"
PAPER_URL = f"https://arxiv.org/abs/{PAPER_ARXIV_ID}"

# Shown under "Our reading of the paper" in every card. The paper gives the idea (a graph
# network over the electrodes conditioning a diffusion model on video, personalised by subject,
# refined by self-play); the rest are this project's choices and are labelled as such.
PAPER_READING = f"""\
This is an independent, open implementation of *{PAPER_TITLE}* ([arXiv {PAPER_ARXIV_ID}]({PAPER_URL})).
It follows the paper's idea — a graph network over the 62 electrodes (SPGN) that turns video
features, a subject embedding and an emotion label into per-electrode conditioning for a diffusion
model that generates 62-channel, 200 Hz EEG, refined by self-play fine-tuning — and fills the
details the paper does not pin down with our own choices:

- **Graph**: nodes are the SEED electrodes with 3-D positions; edges join each electrode to its
  nearest neighbours plus its left/right hemispheric partner.
- **Video encoder**: pluggable; the default is weight-free (luminance, colour moments, motion
  energy per frame), or a frozen `transformers` vision backbone.
- **Denoiser**: temporal residual convolutions per electrode interleaved with graph mixing, FiLM
  conditioning from the SPGN, cross-attention to time-aligned video tokens; ε- or v-prediction.
- **Self-play**: SPIN-Diffusion (Yuan et al., 2024): each round lowers the denoising error on real
  EEG and raises it on the previous round's own samples for the same condition.
- **Emotion labels**: SEED-DV has none; every emotion label is a pseudo-label or a user-supplied
  mapping, and its source is recorded with the data.

This card does not quote the paper's numbers: any metric it reports was computed by this
project's evaluation suite on the data named in it.
"""
