"""Model and dataset cards for the Hugging Face Hub.

Cards are rendered from Jinja templates (``hub_cards/templates``) with ``huggingface_hub``'s
``ModelCard`` / ``DatasetCard`` and carry proper YAML metadata; their text says what the data
is (:class:`DataProvenance`), what the metrics are and how we read the paper.
"""

from hub_cards.dataset_card import (
    ParquetShard,
    card_shard_problems,
    dataset_card_for_folder,
    find_parquet_shards,
    render_dataset_card,
    shard_features,
    size_category,
)
from hub_cards.figures import copy_figures, figure_links
from hub_cards.model_card import EvaluationData, flatten_metrics, render_model_card
from hub_cards.paper import PAPER_ARXIV_ID, PAPER_READING, PAPER_TITLE
from hub_cards.provenance import DATA_KINDS, DataProvenance

__all__ = [
    "DATA_KINDS",
    "PAPER_ARXIV_ID",
    "PAPER_READING",
    "PAPER_TITLE",
    "DataProvenance",
    "EvaluationData",
    "ParquetShard",
    "card_shard_problems",
    "copy_figures",
    "dataset_card_for_folder",
    "figure_links",
    "find_parquet_shards",
    "flatten_metrics",
    "render_dataset_card",
    "render_model_card",
    "shard_features",
    "size_category",
]
