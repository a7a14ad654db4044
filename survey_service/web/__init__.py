"""The web front end, split by audience over shared pieces.

- ``respondents/``: citizens' and staff's survey pages, the site's own pages;
- ``admin/``: analysts' and administrators' pages (sign-in, dashboard, exports; empty yet);
- shared: ``flow`` (the multi-page survey flow), ``pages`` (HTML responses), ``errors``
  (error pages), ``deps`` (the ``site`` dependency, named-route URLs, the CSRF token), ``limits``
  (failed-attempt limits), ``messages`` (field error messages).
"""
