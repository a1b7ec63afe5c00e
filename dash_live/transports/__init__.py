"""The drivers that carry streams (one module each) and the composition root, install.py."""
