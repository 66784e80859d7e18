"""The operator command line ``tanggap``: the one place that composes engine, api and workflows."""
