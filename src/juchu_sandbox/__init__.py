"""Emulators of the outside world (Rakuten RMS, RSL, the other malls) for tests, benchmarks and demos.

This package never imports ``juchu`` (an import-linter contract). The emulators themselves arrive with
the sandbox issue; until then the in-process fakes in ``juchu.connectors.fakes`` drive the demo.
"""
