"""Recurrent networks (torch): the recurrent core, forecasting heads and the trainer.

Importing this package imports torch; `tsrnn` itself never imports it at import time.
Modules: core (RecurrentCore), heads (DirectNet, Seq2SeqNet, Attention), trainer (Trainer,
TrainConfig, TrainHistory, resolve_device, seed_everything).
"""
