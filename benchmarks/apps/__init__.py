"""One Dash app per system under benchmark, each run in a server process of its own.

Every app shows the same page (``common.layout``) so that the benchmark scripts drive every
system the same way; only how the server produces the updates differs.
"""
