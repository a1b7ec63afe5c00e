"""The pure core: updates, JSON, folding, frames and the stream session; no I/O, no framework."""
