"""Triage: classification, priority, SLA deadlines, knowledge base."""
