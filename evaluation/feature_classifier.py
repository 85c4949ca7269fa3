"""The small EEG classifier whose hidden features define FID-EEG.

FID on images embeds both sets with a network trained on real images (Inception) and
compares Gaussian fits of the embeddings. For EEG there is no agreed pretrained network, so,
as in the EEG-GAN literature, we train one on the real data of the task at hand: a
multilayer perceptron (scikit-learn :class:`~sklearn.neural_network.MLPClassifier`, two ReLU
hidden layers of 128 and 64 units, L-BFGS, L2 ``alpha``) on the standardised per-clip
features of :mod:`evaluation.features` (SEED DE per channel and band + montage-neighbour
correlations), predicting a real label (concept, subject or emotion). The embedding is the
activation of the last hidden layer. A scikit-learn model keeps the metric deterministic,
fast on CPU (a few seconds on 2 000 clips) and free of torch.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler


class FeatureClassifier:
    """An MLP on standardised clip features, used as a feature extractor.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int
        Hidden layer widths; the last one is the embedding dimension.
    alpha : float
        L2 penalty.
    max_iter : int
        L-BFGS iterations.
    seed : int
        Weight initialisation seed (same seed, same embedding).
    """

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] = (128, 64),
        alpha: float = 1e-2,
        max_iter: int = 200,
        seed: int = 0,
    ) -> None:
        self.hidden_layer_sizes = tuple(int(size) for size in hidden_layer_sizes)
        self.scaler = StandardScaler()
        self.model = MLPClassifier(
            hidden_layer_sizes=self.hidden_layer_sizes,
            activation="relu",
            solver="lbfgs",
            alpha=alpha,
            max_iter=max_iter,
            random_state=seed,
        )

    def fit(self, features: np.ndarray, labels: Any) -> FeatureClassifier:
        """Fit on real clips.

        Parameters
        ----------
        features : np.ndarray
            Shape ``(n_clips, n_features)``.
        labels : array-like
            Shape ``(n_clips,)``, at least two classes.
        """
        labels = np.asarray(labels)
        if np.unique(labels).size < 2:
            raise ValueError("FeatureClassifier: needs at least 2 classes in labels to train")
        scaled = self.scaler.fit_transform(features)
        with warnings.catch_warnings():
            # L-BFGS stopping at max_iter is expected: the embedding need not be converged.
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.model.fit(scaled, labels)
        return self

    def embed(self, features: np.ndarray) -> np.ndarray:
        """Last-hidden-layer activations, shape ``(n_clips, hidden_layer_sizes[-1])``."""
        hidden = self.scaler.transform(features)
        for weights, bias in zip(self.model.coefs_[:-1], self.model.intercepts_[:-1], strict=True):
            hidden = np.maximum(hidden @ weights + bias, 0.0)
        return hidden

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Predicted labels, shape ``(n_clips,)``."""
        return self.model.predict(self.scaler.transform(features))

    def score(self, features: np.ndarray, labels: Any) -> float:
        """Accuracy on ``(features, labels)``."""
        return float(np.mean(self.predict(features) == np.asarray(labels)))
