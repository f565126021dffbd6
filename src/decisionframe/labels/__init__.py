"""Staff labels: what front-line staff say about single contacts and comments.

Labels are given in the web app's labelling queue (``decisionframe serve``, /labels) and
kept in the store's ``df_labels`` table, one row per label given (who, what, when; a
relabel adds a row, the newest per person counts). The next ``demand`` and ``voice`` runs
train on them beside the imported ``demand_label`` / theme-label columns.

- ``records``: writing labels (audited) and reading the newest per person and the
  consensus per item;
- ``agreement``: how far staff agree where two or more labelled the same item (Cohen's
  and Fleiss' kappa);
- ``queue``: which items to label next, most uncertain first.
"""
