"""Meson production: beam files and meson spectrum models."""
