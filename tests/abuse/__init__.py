"""The standing abuse suite (issue 12, "Hardening"): property-based tests that throw generated
garbage at every parser, route and socket event of dash-live. Every refusal names the problem;
no 5xx; no dead handler."""
