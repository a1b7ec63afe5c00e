"""The reference: one plain Dash callback returning the whole S1 text at once."""

from __future__ import annotations

from dash import Dash, Input, Output

from benchmarks.apps.common import Params, layout, mark_ready, parse_params, serve_flask
from benchmarks.apps.common import tokens as make_tokens


def build(params: Params) -> Dash:
    text = "".join(make_tokens(params.tokens))
    app = Dash(__name__)
    app.layout = layout(params)
    mark_ready(app)

    @app.callback(
        Output("s1-out", "children"), Input("s1-go", "n_clicks"), prevent_initial_call=True
    )
    def s1(_n: int) -> str:
        return text

    return app


if __name__ == "__main__":
    options = parse_params()
    serve_flask(build(options), options.port)
