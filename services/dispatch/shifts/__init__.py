"""Shifts (seed 004, 轮班制): a team's roster of shift patterns in the team's time zone,
who is on shift at a moment, and what happens to open work when an agent goes off shift."""
