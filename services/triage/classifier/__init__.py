"""Triage's statistical classifier: where no rule decides, a linear model over character
n-grams predicts category, scene, team and priority with a confidence.

Training (``training.py``) needs scikit-learn, the ``train`` extra; the service only
scores an exported model in pure Python (``model.py``), so neither scikit-learn nor
NumPy is loaded in the service.
"""
