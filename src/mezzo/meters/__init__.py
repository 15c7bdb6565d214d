"""Meters: read dynamics from audio (streaming accumulators plus one-call functions)."""
