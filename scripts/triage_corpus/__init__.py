"""Phrasings of the triage corpus, written by hand per intent; write.py composes them."""
