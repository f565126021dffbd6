"""`decisionframe serve`: the web app a team works in (pages with JSON twins, accounts,
roles, CSRF, staff labelling). Thin: every number comes from the domain packages and the
report's builders, through the disclosure layer."""

from decisionframe.web.app import create_app

__all__ = ["create_app"]
