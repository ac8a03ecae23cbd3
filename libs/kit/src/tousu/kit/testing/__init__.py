"""Test support shared by every suite: real-server fixtures, event spies, polling helpers."""
