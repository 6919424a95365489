"""The neural Forecaster (estimator.py, its parameter checks in checks.py), its model file
(tsrnn/forecastfile.py, torch-free),
prediction inputs (inputs.py, numpy) and training data path (training.py, torch)."""
