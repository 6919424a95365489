"""The neural Forecaster (estimator in estimator.py), its model file (modelfile.py, torch-free),
prediction inputs (inputs.py, numpy) and training data path (training.py, torch)."""
