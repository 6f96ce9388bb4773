"""Intake: channels in and out — tickets, customers, identity, notifications."""
